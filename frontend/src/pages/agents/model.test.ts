import { describe, expect, it } from "vitest";

import { agentCreateBody, agentPatchBody, draftFromAgent, validateAgent, validateReasons, type AgentOut } from "./model";

const stored: AgentOut = {
  id: "a1",
  userId: "u1",
  businessId: "b1",
  extensionId: "e1",
  extension: "8001",
  skills: { billing: 8 },
  autoAnswer: false,
  maxAcw: null,
  queues: [],
};

describe("agent profile form", () => {
  it("needs a user and a business, and checks max ACW and skills", () => {
    expect(validateAgent(draftFromAgent())).toEqual({ userId: "required", businessId: "required" });
    const d = { ...draftFromAgent(stored), maxAcw: 4000, skills: [{ name: "x y", level: 1 }] };
    expect(validateAgent(d)).toEqual({ maxAcw: "acwTimeout", "skills.0.name": "skillName" });
    expect(validateAgent(draftFromAgent(stored))).toEqual({});
  });

  it("creates with an empty max ACW as null (the queue's timeout)", () => {
    const body = agentCreateBody({ ...draftFromAgent(), userId: "u2", businessId: "b1", skills: [{ name: "vip", level: 3 }] });
    expect(body).toEqual({ userId: "u2", businessId: "b1", extensionId: null, skills: { vip: 3 }, autoAnswer: false, maxAcw: null });
  });

  it("patches only what changed", () => {
    expect(agentPatchBody(stored, draftFromAgent(stored))).toEqual({});
    const d = { ...draftFromAgent(stored), autoAnswer: true, maxAcw: 45, skills: [{ name: "billing", level: 9 }] };
    expect(agentPatchBody(stored, d)).toEqual({ autoAnswer: true, maxAcw: 45, skills: { billing: 9 } });
  });
});

describe("not-ready reasons", () => {
  it("checks codes, labels and uniqueness", () => {
    expect(validateReasons([{ code: "lunch", label: "Lunch" }])).toEqual({});
    expect(validateReasons([])).toEqual({ reasons: "reasonCount" });
    expect(
      validateReasons([
        { code: "Lunch", label: "x" },
        { code: "meeting", label: " " },
        { code: "meeting", label: "Again" },
      ]),
    ).toEqual({ "reasons.0.code": "reasonCode", "reasons.1.label": "required", "reasons.2.code": "reasonDuplicate" });
  });
});
