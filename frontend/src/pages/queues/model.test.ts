import { describe, expect, it } from "vitest";

import { draftFromQueue, membershipChanges, membersOf, queueBody, validateQueue, validTier, type AgentOut } from "./model";

const base = () => ({ ...draftFromQueue(), name: "Sales", businessId: "b1" });

describe("queue editor (SEAT-3..5)", () => {
  it("accepts the defaults once named and given a business", () => {
    expect(validateQueue(draftFromQueue())).toEqual({ name: "name", businessId: "required" });
    expect(validateQueue(base())).toEqual({});
  });

  it("checks the timers as the server does", () => {
    expect(validateQueue({ ...base(), ringTimeout: 0 }).ringTimeout).toBe("ringTimeout");
    expect(validateQueue({ ...base(), ringTimeout: 301 }).ringTimeout).toBe("ringTimeout");
    expect(validateQueue({ ...base(), ringTimeout: "" }).ringTimeout).toBe("ringTimeout");
    expect(validateQueue({ ...base(), maxWait: -1 }).maxWait).toBe("maxWait");
    expect(validateQueue({ ...base(), acwTimeout: 3601 }).acwTimeout).toBe("acwTimeout");
    expect(validateQueue({ ...base(), serviceLevelSeconds: 2.5 }).serviceLevelSeconds).toBe("serviceLevel");
  });

  it("needs an overflow target that fits the kind", () => {
    expect(validateQueue({ ...base(), overflowKind: "external", overflowTarget: "" }).overflowTarget).toBe("required");
    expect(validateQueue({ ...base(), overflowKind: "external", overflowTarget: "call me" }).overflowTarget).toBe("phone");
    expect(validateQueue({ ...base(), overflowKind: "external", overflowTarget: "13800138000" })).toEqual({});
    const self = "11111111-2222-3333-4444-555555555555";
    expect(validateQueue({ ...base(), overflowKind: "queue", overflowTarget: self }, self).overflowTarget).toBe("self");
  });

  it("flags bad, duplicate and out-of-range skills by row", () => {
    const errors = validateQueue({
      ...base(),
      skills: [
        { name: "Billing", level: 5 },
        { name: "vip", level: 11 },
        { name: "vip", level: 3 },
      ],
    });
    expect(errors).toEqual({ "skills.0.name": "skillName", "skills.1.level": "skillLevel", "skills.2.name": "skillDuplicate" });
  });

  it("sends numbers and a skills map, and no target without overflow", () => {
    const body = queueBody({ ...base(), ringTimeout: "25", overflowTarget: "stale", skills: [{ name: "billing", level: "7" }] });
    expect(body).toMatchObject({ name: "Sales", ringTimeout: 25, overflowKind: "none", overflowTarget: "", skills: { billing: 7 } });
  });

  it("round-trips a stored queue", () => {
    const stored = { ...queueBody(base()), id: "q1", skills: { vip: 2, billing: 8 } };
    expect(queueBody(draftFromQueue(stored))).toEqual({ ...queueBody(base()), skills: { billing: 8, vip: 2 } });
  });
});

describe("queue members with tiers", () => {
  const agent = (id: string, queues: { queueId: string; priority: number }[]): AgentOut => ({
    id,
    userId: `u-${id}`,
    businessId: "b1",
    extensionId: null,
    extension: null,
    skills: {},
    autoAnswer: false,
    maxAcw: null,
    queues,
  });
  const agents = [agent("a", [{ queueId: "q1", priority: 0 }, { queueId: "q2", priority: 5 }]), agent("b", []), agent("c", [{ queueId: "q1", priority: 2 }])];

  it("reads the queue's members and their tiers", () => {
    expect(membersOf(agents, "q1")).toEqual({ a: 0, c: 2 });
    expect(membersOf(agents, undefined)).toEqual({});
  });

  it("changes only the agents whose membership changed, keeping their other queues", () => {
    const changes = membershipChanges(agents, "q1", { a: 0, b: 1 });
    expect(changes).toEqual([
      { agentId: "b", queues: [{ queueId: "q1", priority: 1 }] },
      { agentId: "c", queues: [] },
    ]);
    expect(membershipChanges(agents, "q1", { a: 3, c: 2 })).toEqual([
      { agentId: "a", queues: [{ queueId: "q2", priority: 5 }, { queueId: "q1", priority: 3 }] },
    ]);
    expect(membershipChanges(agents, "q1", { a: 0, c: 2 })).toEqual([]);
  });

  it("checks tiers", () => {
    expect(validTier(0)).toBe(true);
    expect(validTier(1000)).toBe(true);
    expect(validTier(1001)).toBe(false);
    expect(validTier(1.5)).toBe(false);
    expect(validTier("")).toBe(false);
  });
});

describe("post-call survey (REC-6)", () => {
  it("keeps the queue's survey flow through the form and clears it to none", () => {
    const draft = draftFromQueue({ surveyFlowId: "f-1" } as Parameters<typeof draftFromQueue>[0]);
    expect(queueBody(draft).surveyFlowId).toBe("f-1");
    expect(queueBody({ ...draft, surveyFlowId: null }).surveyFlowId).toBeNull();
    expect(draftFromQueue(null).surveyFlowId).toBeNull();
  });
});
