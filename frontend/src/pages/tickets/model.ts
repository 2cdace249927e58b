// CRM-5 tickets: the status workflow (a copy of app/crm/tickets.py, kept in workflow.json and
// checked against the server by tests/unit/crm/test_ticket_workflow.py), colours, filters.
import workflow from "./workflow.json";

export type TicketStatus = "open" | "in_progress" | "waiting_customer" | "resolved" | "closed";
export type TicketType = "consult" | "complaint" | "suggestion";
export type TicketPriority = "low" | "normal" | "high" | "urgent";
export type ReplyChannel = "phone" | "note";

interface StatusInfo {
  status: string;
  colour: string;
  next: string[];
}

const STATUS_INFO: readonly StatusInfo[] = workflow.statuses;
export const STATUSES = STATUS_INFO.map((s) => s.status) as TicketStatus[];
export const TYPES = workflow.types as TicketType[];
export const PRIORITIES = workflow.priorities as TicketPriority[];
export const CHANNELS = workflow.channels as ReplyChannel[];
/** Still someone's work: what the screen pop lists and what can come due. */
export const ACTIVE: readonly TicketStatus[] = ["open", "in_progress", "waiting_customer"];

function info(status: string): StatusInfo | undefined {
  return STATUS_INFO.find((s) => s.status === status);
}

/** The Mantine colour of a status chip (gray for a status this build does not know). */
export function statusColour(status: string): string {
  return info(status)?.colour ?? "gray";
}

/** Where a ticket can go from `status`; closed is final. */
export function nextStatuses(status: string): TicketStatus[] {
  return (info(status)?.next ?? []) as TicketStatus[];
}

export function mayMove(from: string, to: string): boolean {
  return nextStatuses(from).includes(to as TicketStatus);
}

export function isFinal(status: string): boolean {
  return nextStatuses(status).length === 0;
}

const PRIORITY_COLOURS: Record<TicketPriority, string> = { low: "gray", normal: "blue", high: "orange", urgent: "red" };

export function priorityColour(priority: string): string {
  return PRIORITY_COLOURS[priority as TicketPriority] ?? "gray";
}

export function isOverdue(ticket: { dueAt?: string | null; status: string }, now: Date = new Date()): boolean {
  return Boolean(ticket.dueAt) && ACTIVE.includes(ticket.status as TicketStatus) && new Date(ticket.dueAt!).getTime() < now.getTime();
}

/** A short, stable reference to say on the phone: the id's last 6 characters. */
export function ticketRef(id: string): string {
  return `#${id.replace(/-/g, "").slice(-6).toUpperCase()}`;
}

export interface TicketFilterState {
  statuses: TicketStatus[];
  type: string;
  priority: string;
  assignee: string; // "" any, "me", "none", or a user id
  phone: string;
  callKey: string;
  q: string;
}

export const EMPTY_FILTERS: TicketFilterState = {
  statuses: [],
  type: "",
  priority: "",
  assignee: "",
  phone: "",
  callKey: "",
  q: "",
};

export interface TicketQuery {
  status?: TicketStatus[];
  type?: TicketType;
  priority?: TicketPriority;
  assigneeId?: string;
  mine?: boolean;
  unassigned?: boolean;
  phone?: string;
  callKey?: string;
  q?: string;
}

/** The list endpoint's query: only what is set, trimmed. */
export function toQuery(f: TicketFilterState): TicketQuery {
  const q: TicketQuery = {};
  if (f.statuses.length) q.status = f.statuses;
  if (f.type) q.type = f.type as TicketType;
  if (f.priority) q.priority = f.priority as TicketPriority;
  if (f.assignee === "me") q.mine = true;
  else if (f.assignee === "none") q.unassigned = true;
  else if (f.assignee) q.assigneeId = f.assignee;
  for (const key of ["phone", "callKey", "q"] as const) {
    const value = f[key].trim();
    if (value) q[key] = value;
  }
  return q;
}

/** A `<input type="datetime-local">` value (local time) as ISO 8601 with the zone, or null. */
export function dueToIso(local: string): string | null {
  if (!local) return null;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

export interface HistoryEntry {
  kind: string;
  old: string;
  new: string;
  text: string;
  channel: string;
}

/** i18n key and values describing one history line (statuses translated by the caller). */
export function historyKey(e: HistoryEntry): { key: string; values: Record<string, string> } {
  switch (e.kind) {
    case "status":
      return { key: "tickets.history.status", values: { old: e.old, new: e.new } };
    case "assigned":
      return { key: e.new ? "tickets.history.assigned" : "tickets.history.unassigned", values: { who: e.new } };
    case "reply":
      return { key: "tickets.history.reply", values: { channel: e.channel } };
    case "callback":
      return { key: "tickets.history.callback", values: { extension: e.new } };
    case "due":
      return { key: e.new ? "tickets.history.due" : "tickets.history.dueCleared", values: { at: e.new } };
    case "priority":
      return { key: "tickets.history.priority", values: { old: e.old, new: e.new } };
    case "reminder":
      return { key: "tickets.history.reminder", values: {} };
    case "comment":
      return { key: "tickets.history.comment", values: {} };
    default:
      return { key: "tickets.history.created", values: {} };
  }
}
