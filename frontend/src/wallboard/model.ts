// The wallboard's rows (app/seats/wallboard.py): a `snapshot` replaces everything; then each
// `agent` or `queue` message replaces one row. Times in state tick in the browser from the
// moment a row arrived, so the server sends a row per change only, never per second.

export interface AgentRow {
  agent: string;
  name: string;
  extension: string | null;
  state: string;
  reason: string;
  inStateSeconds: number;
  callId: string;
  callsToday: number;
  /** Browser clock (ms) when inStateSeconds was true. */
  receivedAt: number;
}

export interface QueueRow {
  queue: string;
  name: string;
  waiting: number;
  longestWaitSeconds: number;
  readyAgents?: number;
  staffedAgents?: number;
  allBusy?: boolean;
  answeredToday: number;
  abandonedToday: number;
  serviceLevel: number | null;
  serviceLevelSeconds?: number;
  receivedAt: number;
}

export interface Board {
  agents: AgentRow[];
  queues: QueueRow[];
  live: boolean;
}

export const emptyBoard: Board = { agents: [], queues: [], live: false };

type Message = Record<string, unknown> & { type?: string };

function stamp<T>(row: unknown, now: number): T {
  return { ...(row as object), receivedAt: now } as T;
}

function upsert<T>(rows: T[], row: T, key: keyof T): T[] {
  const at = rows.findIndex((r) => r[key] === row[key]);
  if (at < 0) return [...rows, row];
  return rows.map((r, i) => (i === at ? row : r));
}

export function reduceBoard(board: Board, msg: Message, now: number): Board {
  switch (msg.type) {
    case "snapshot":
      return {
        live: board.live,
        agents: ((msg.agents as unknown[]) ?? []).map((a) => stamp<AgentRow>(a, now)),
        queues: ((msg.queues as unknown[]) ?? []).map((q) => stamp<QueueRow>(q, now)),
      };
    case "agent":
      return { ...board, agents: upsert(board.agents, stamp<AgentRow>(msg, now), "agent") };
    case "queue":
      return { ...board, queues: upsert(board.queues, stamp<QueueRow>(msg, now), "queue") };
    default:
      return board;
  }
}

/** Seconds in state now, ticking from the row's arrival. */
export function inState(row: AgentRow, now: number): number {
  return row.inStateSeconds + Math.max(0, now - row.receivedAt) / 1000;
}

/** Longest wait ticks too, while anyone waits. */
export function longestWait(row: QueueRow, now: number): number {
  return row.waiting > 0 ? row.longestWaitSeconds + Math.max(0, now - row.receivedAt) / 1000 : 0;
}

/** "87%" or "—" when no call was answered or abandoned today. */
export function formatServiceLevel(level: number | null | undefined): string {
  return level === null || level === undefined ? "—" : `${Math.round(level * 100)}%`;
}

/** Supervisor actions per agent state: what makes sense, the server still decides. */
export function supervisorActions(state: string): {
  monitor: boolean;
  forceReady: boolean;
  forceSignOut: boolean;
} {
  const onCall = state === "talking" || state === "hold";
  return {
    monitor: onCall,
    forceReady: state === "not_ready" || state === "after_call_work",
    forceSignOut: state !== "signed_out" && !onCall && state !== "ringing",
  };
}

/** SEAT-7 actions on an agent's live call, and the REST route of each
 * (app/seats/cti_controllers.py): listen, whisper, barge and record need `agents.monitor`,
 * release (hang the call up) `agents.force`; force ready / sign-out have their own routes. */
export type CallAction = "listen" | "whisper" | "barge" | "release" | "record" | "stop-record";
export const CALL_ACTIONS: readonly CallAction[] = ["listen", "whisper", "barge", "record", "stop-record", "release"];

export function callActionPath(action: CallAction, agent: string): string {
  return `/api/v1/cti/agents/${encodeURIComponent(agent)}/${action}`;
}

export function callActionPerm(action: CallAction): "agents.monitor" | "agents.force" {
  return action === "release" ? "agents.force" : "agents.monitor";
}
