// The seat console's model of the agent, fed by the CTI WebSocket (app/seats/README.md "CTI"):
// `hello` (the whole picture), then `state`, `offer` (screen pop), `answered`, `ended`,
// `ring_failed`, `queue_busy`, `call_event`, and `reply` to our commands. Pure functions so
// that the reduction and the timers are tested without a browser.

export type AgentStateName =
  | "signed_out"
  | "ready"
  | "not_ready"
  | "ringing"
  | "talking"
  | "hold"
  | "after_call_work";

export interface Reason {
  code: string;
  label: string;
}

export interface QueueFlag {
  queue: string;
  name: string;
  allBusy: boolean;
}

/** SEAT-8: an earlier call of the same customer, as the pop lists it (no customer number). */
export interface PreviousCall {
  callKey: string;
  direction: "inbound" | "outbound" | "internal" | string;
  /** ISO 8601 with offset. */
  arrivedAt: string;
  answered: boolean;
  extension: string | null;
  agentUserId: string | null;
  agentName: string | null;
  /** Answer to hang-up; null if never answered. */
  durationSeconds: number | null;
  /** Bridged to an agent to hang-up (the portal's talk time); null if never bridged. */
  talkSeconds: number | null;
  disposition: string | null;
  dispositionLabel: string | null;
  /** The wrap-up note, numbers masked (DIAL-6). */
  note: string | null;
  /** Set only when this agent may play it (their own call): the recordings API's audio URL. */
  recordingId: string | null;
  audioUrl: string | null;
}

export interface ScreenPop {
  callId: string;
  queue: { id: string; name: string };
  caller: { number: string; calledNumber: string };
  priority: number;
  ringTimeout: number;
  autoAnswer: boolean;
  ivr: { path: unknown[]; variables: Record<string, unknown>; dtmf: string };
  previousCalls: PreviousCall[];
  /** DIAL-7: set on a campaign call; GET /api/v1/dialer/leads/{id} has the record and script. */
  lead?: { id: string; campaignId: string };
}

export interface SeatModel {
  connected: boolean;
  agent: string;
  extension: string | null;
  reasons: Reason[];
  state: AgentStateName;
  reason: string;
  callId: string;
  /** Browser clock (ms) when the current state began; timers count from here. */
  stateSince: number;
  /** Browser clock (ms) when the current call was answered; 0 without a call. */
  callSince: number;
  callsTaken: number;
  queues: QueueFlag[];
  pop: ScreenPop | null;
  lastEnded: { callId: string; talkMs: number } | null;
  /** DIAL-9: the marquee as last pushed over the socket; null until a push (then the REST copy). */
  marquee: string[] | null;
  /** DIAL-5: callback reminders received this session, newest first (masked numbers). */
  reminders: Reminder[];
}

export interface Reminder {
  callbackId: string;
  leadId: string;
  dueAt: string;
  phone: string;
  name: string;
  note: string;
  /** CRM-5: a ticket assigned to the agent coming due (`name` is its subject). */
  ticketId?: string;
}

export function initialSeat(): SeatModel {
  return {
    connected: false,
    agent: "",
    extension: null,
    reasons: [],
    state: "signed_out",
    reason: "",
    callId: "",
    stateSince: 0,
    callSince: 0,
    callsTaken: 0,
    queues: [],
    pop: null,
    lastEnded: null,
    marquee: null,
    reminders: [],
  };
}

type Message = Record<string, unknown> & { type?: string };

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v) || 0);

function queueFlag(q: Message): QueueFlag {
  return { queue: str(q.id) || str(q.queue), name: str(q.name), allBusy: q.allBusy === true };
}

const ON_CALL: ReadonlySet<AgentStateName> = new Set(["talking", "hold"]);

/** The status block of `hello` and of REST replies (`cti.status_out`). */
export function applyStatus(model: SeatModel, status: Message, now: number): SeatModel {
  const state = (str(status.state) || "signed_out") as AgentStateName;
  const since = now - num(status.inStateSeconds) * 1000;
  const changed = state !== model.state || str(status.callId) !== model.callId;
  return {
    ...model,
    agent: str(status.agent) || model.agent,
    state,
    reason: str(status.reason),
    callId: str(status.callId),
    stateSince: changed || !model.stateSince ? since : model.stateSince,
    callSince: ON_CALL.has(state) ? model.callSince || since : 0,
    callsTaken: num(status.callsTaken),
  };
}

/** One message from the CTI socket -> the next model. Unknown messages change nothing. */
export function reduceSeat(model: SeatModel, msg: Message, now: number): SeatModel {
  switch (msg.type) {
    case "hello": {
      const base: SeatModel = {
        ...model,
        connected: true,
        agent: str(msg.agent),
        extension: typeof msg.extension === "string" ? msg.extension : null,
        reasons: Array.isArray(msg.reasons) ? (msg.reasons as Reason[]) : [],
        // hello names a queue `id`; queue_busy events name it `queue`.
        queues: Array.isArray(msg.queues) ? (msg.queues as Message[]).map(queueFlag) : [],
      };
      return applyStatus(base, (msg.status ?? {}) as Message, now);
    }
    case "state": {
      const state = str(msg.state) as AgentStateName;
      const wasOnCall = ON_CALL.has(model.state);
      return {
        ...model,
        state,
        reason: str(msg.reason),
        callId: str(msg.callId),
        stateSince: now,
        // Hold keeps the call timer running; a new call starts it.
        callSince: ON_CALL.has(state) ? (wasOnCall ? model.callSince : now) : 0,
        // The pop stays up through the call and wrap-up, and goes when the agent is free again.
        pop: state === "ready" || state === "not_ready" || state === "signed_out" ? null : model.pop,
      };
    }
    case "offer":
      return { ...model, pop: msg as unknown as ScreenPop };
    case "answered":
      return { ...model, callsTaken: model.callsTaken + 1 };
    case "marquee":
      return { ...model, marquee: Array.isArray(msg.messages) ? msg.messages.map(String) : [] };
    case "reminder": {
      const reminder: Reminder = {
        callbackId: str(msg.callbackId),
        leadId: str(msg.leadId),
        dueAt: str(msg.dueAt),
        phone: str(msg.phone),
        name: str(msg.name),
        note: str(msg.note),
      };
      const others = model.reminders.filter((r) => r.callbackId !== reminder.callbackId);
      return { ...model, reminders: [reminder, ...others].slice(0, 10) };
    }
    case "ticket_reminder": {
      const ticketId = str(msg.ticketId);
      const reminder: Reminder = { callbackId: `ticket:${ticketId}`, leadId: "", dueAt: str(msg.dueAt), phone: "", name: str(msg.subject), note: "", ticketId };
      const others = model.reminders.filter((r) => r.callbackId !== reminder.callbackId);
      return { ...model, reminders: [reminder, ...others].slice(0, 10) };
    }
    case "ended":
      return { ...model, lastEnded: { callId: str(msg.callId), talkMs: num(msg.talk_ms) } };
    case "ring_failed":
      return str(msg.callId) === model.pop?.callId ? { ...model, pop: null } : model;
    case "queue_busy": {
      const queue = str(msg.queue);
      const flag = { queue, name: str(msg.name), allBusy: msg.allBusy === true };
      const known = model.queues.some((q) => q.queue === queue);
      return {
        ...model,
        queues: known
          ? model.queues.map((q) => (q.queue === queue ? { ...q, allBusy: flag.allBusy } : q))
          : [...model.queues, flag],
      };
    }
    default:
      return model;
  }
}

/** Any of the agent's queues with every agent busy (SEAT-5's light). */
export function allBusy(model: SeatModel): boolean {
  return model.queues.some((q) => q.allBusy);
}

/** Seconds -> "m:ss", or "h:mm:ss" from an hour on. Negative clocks show 0:00. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function elapsed(since: number, now: number): number {
  return since ? (now - since) / 1000 : 0;
}

/** What the state bar lets the agent do in each state (the server decides; this hides noise). */
export function actionsFor(state: AgentStateName): {
  signIn: boolean;
  signOut: boolean;
  ready: boolean;
  notReady: boolean;
  endAcw: boolean;
} {
  return {
    signIn: state === "signed_out",
    signOut: state === "ready" || state === "not_ready" || state === "after_call_work",
    ready: state === "not_ready" || state === "after_call_work",
    notReady: state === "ready" || state === "not_ready" || state === "after_call_work",
    endAcw: state === "after_call_work",
  };
}

/** The CTI socket's URL on this origin (ws:, or wss: behind https). */
export function socketUrl(path: string, location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** The call the wrap-up form is about: the current call, else the one that just ended
 * (the form stays until the agent takes the next call). "" when there is none. */
export function wrapupTarget(model: SeatModel, phoneCallKey = ""): string {
  return model.callId || phoneCallKey || model.lastEnded?.callId || model.pop?.callId || "";
}
