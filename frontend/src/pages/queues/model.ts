// The queue editor's model (SEAT-3..5) and its checks, mirroring QueueIn in
// app/seats/acd_controllers.py so that mistakes show next to the field; the server checks again.
import type { Schemas } from "../../api/client";
import { skillsFromMap, skillsToMap, validateSkills, type SkillRow } from "../../components/skills";

export type QueueIn = Schemas["QueueIn"];
export type QueueOut = Omit<Schemas["QueueOut"], "id"> & { id: string };
export type AgentOut = Schemas["AgentOut"];
export type Membership = Schemas["Membership"];
export type Strategy = NonNullable<QueueIn["strategy"]>;
export type OverflowKind = NonNullable<QueueIn["overflowKind"]>;

export const STRATEGIES: Strategy[] = ["longest_idle", "round_robin", "priority", "fewest_calls", "skills", "sticky"];
export const OVERFLOW_KINDS: OverflowKind[] = ["none", "queue", "voicemail", "external"];

export interface QueueDraft {
  name: string;
  businessId: string | null;
  strategy: Strategy;
  ringTimeout: number | string;
  maxWait: number | string;
  overflowKind: OverflowKind;
  overflowTarget: string;
  skills: SkillRow[];
  wrapUp: boolean;
  acwTimeout: number | string;
  noAnswer: "not_ready" | "ready";
  announcePosition: boolean;
  announceWait: boolean;
  serviceLevelSeconds: number | string;
  mohPromptId: string | null;
  /** REC-6: a published flow the customer runs when the agent hangs up first; null = none. */
  surveyFlowId: string | null;
}

/** Error keys (under acd.errors.) by field path, e.g. "skills.0.name". */
export type Errors = Record<string, string>;

export function draftFromQueue(q?: QueueOut | null): QueueDraft {
  return {
    name: q?.name ?? "",
    businessId: q?.businessId ?? null,
    strategy: q?.strategy ?? "longest_idle",
    ringTimeout: q?.ringTimeout ?? 20,
    maxWait: q?.maxWait ?? 0,
    overflowKind: q?.overflowKind ?? "none",
    overflowTarget: q?.overflowTarget ?? "",
    skills: skillsFromMap(q?.skills),
    wrapUp: q?.wrapUp ?? true,
    acwTimeout: q?.acwTimeout ?? 30,
    noAnswer: q?.noAnswer ?? "not_ready",
    announcePosition: q?.announcePosition ?? true,
    announceWait: q?.announceWait ?? true,
    serviceLevelSeconds: q?.serviceLevelSeconds ?? 20,
    mohPromptId: q?.mohPromptId ?? null,
    surveyFlowId: q?.surveyFlowId ?? null,
  };
}

function numberIn(value: number | string, min: number, max: number, opts: { exclusiveMin?: boolean; integer?: boolean } = {}): boolean {
  if (value === "" || value === null || value === undefined) return false;
  const n = Number(value);
  if (!Number.isFinite(n) || n > max) return false;
  if (opts.integer && !Number.isInteger(n)) return false;
  return opts.exclusiveMin ? n > min : n >= min;
}

const PHONE = /^\+?[0-9][0-9 ()-]{2,30}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateQueue(d: QueueDraft, selfId?: string): Errors {
  const errors: Errors = {};
  if (!d.name.trim() || d.name.trim().length > 100) errors.name = "name";
  if (!d.businessId) errors.businessId = "required";
  if (!numberIn(d.ringTimeout, 0, 300, { exclusiveMin: true })) errors.ringTimeout = "ringTimeout";
  if (!numberIn(d.maxWait, 0, 86400)) errors.maxWait = "maxWait";
  if (!numberIn(d.acwTimeout, 0, 3600)) errors.acwTimeout = "acwTimeout";
  if (!numberIn(d.serviceLevelSeconds, 1, 600, { integer: true })) errors.serviceLevelSeconds = "serviceLevel";
  const target = d.overflowTarget.trim();
  if (d.overflowKind !== "none") {
    if (!target) errors.overflowTarget = "required";
    else if (target.length > 64) errors.overflowTarget = "tooLong";
    else if (d.overflowKind === "external" && !PHONE.test(target)) errors.overflowTarget = "phone";
    else if (d.overflowKind === "queue" && !UUID_RE.test(target)) errors.overflowTarget = "required";
    else if (d.overflowKind === "queue" && target === selfId) errors.overflowTarget = "self";
  }
  validateSkills(d.skills, "skills", errors);
  return errors;
}

export function queueBody(d: QueueDraft): QueueIn {
  return {
    name: d.name.trim(),
    businessId: d.businessId ?? "",
    strategy: d.strategy,
    ringTimeout: Number(d.ringTimeout),
    maxWait: Number(d.maxWait),
    overflowKind: d.overflowKind,
    overflowTarget: d.overflowKind === "none" ? "" : d.overflowTarget.trim(),
    skills: skillsToMap(d.skills),
    wrapUp: d.wrapUp,
    acwTimeout: Number(d.acwTimeout),
    noAnswer: d.noAnswer,
    announcePosition: d.announcePosition,
    announceWait: d.announceWait,
    serviceLevelSeconds: Number(d.serviceLevelSeconds),
    mohPromptId: d.mohPromptId,
    surveyFlowId: d.surveyFlowId,
  };
}

/** Members of one queue as the editor shows them: agent id -> tier (lower rings first). */
export type MemberTiers = Record<string, number>;

export function membersOf(agents: readonly AgentOut[], queueId: string | undefined): MemberTiers {
  const out: MemberTiers = {};
  if (!queueId) return out;
  for (const a of agents) {
    const m = a.queues.find((q) => q.queueId === queueId);
    if (m) out[a.id] = m.priority ?? 0;
  }
  return out;
}

/**
 * The PUT /api/v1/acd/agents/{id}/queues calls that make `wanted` the queue's members: each
 * changed agent keeps their other queues and gains, loses or re-tiers this one. Unchanged
 * agents are left alone.
 */
export function membershipChanges(
  agents: readonly AgentOut[],
  queueId: string,
  wanted: MemberTiers,
): { agentId: string; queues: Membership[] }[] {
  const changes: { agentId: string; queues: Membership[] }[] = [];
  for (const a of agents) {
    const current = a.queues.find((q) => q.queueId === queueId);
    const tier = wanted[a.id];
    const others = a.queues.filter((q) => q.queueId !== queueId);
    if (tier === undefined) {
      if (current) changes.push({ agentId: a.id, queues: others });
    } else if (!current || (current.priority ?? 0) !== tier) {
      changes.push({ agentId: a.id, queues: [...others, { queueId, priority: tier }] });
    }
  }
  return changes;
}

export function validTier(value: number | string): boolean {
  return numberIn(value, 0, 1000, { integer: true });
}
