import { describe, expect, it } from "vitest";

import {
  CALL_ACTIONS,
  callActionPath,
  callActionPerm,
  emptyBoard,
  formatServiceLevel,
  inState,
  longestWait,
  reduceBoard,
  supervisorActions,
} from "./model";

const snapshot = {
  type: "snapshot",
  agents: [
    { agent: "a1", name: "Li Lei", extension: "1001", state: "ready", reason: "", inStateSeconds: 12, callId: "", callsToday: 3 },
  ],
  queues: [
    { queue: "q1", name: "Sales", waiting: 2, longestWaitSeconds: 40, answeredToday: 9, abandonedToday: 1, serviceLevel: 0.8 },
  ],
};

describe("wallboard rows", () => {
  it("replaces everything with a snapshot and ticks times from arrival", () => {
    const b = reduceBoard(emptyBoard, snapshot, 1_000);
    expect(b.agents).toHaveLength(1);
    expect(inState(b.agents[0], 6_000)).toBe(17);
    expect(longestWait(b.queues[0], 11_000)).toBe(50);
  });

  it("replaces one agent row per update, restarting its clock", () => {
    let b = reduceBoard(emptyBoard, snapshot, 0);
    b = reduceBoard(b, { type: "agent", agent: "a1", name: "Li Lei", state: "not_ready", reason: "lunch", inStateSeconds: 0, callsToday: 3 }, 5_000);
    expect(b.agents).toHaveLength(1);
    expect(b.agents[0]).toMatchObject({ state: "not_ready", reason: "lunch" });
    expect(inState(b.agents[0], 7_000)).toBe(2);
  });

  it("adds rows for agents and queues it had not seen", () => {
    let b = reduceBoard(emptyBoard, snapshot, 0);
    b = reduceBoard(b, { type: "agent", agent: "a2", state: "ready", inStateSeconds: 0 }, 1);
    b = reduceBoard(b, { type: "queue", queue: "q2", waiting: 0, longestWaitSeconds: 0 }, 1);
    expect(b.agents.map((a) => a.agent)).toEqual(["a1", "a2"]);
    expect(b.queues.map((q) => q.queue)).toEqual(["q1", "q2"]);
  });

  it("does not tick the longest wait of an empty queue", () => {
    const b = reduceBoard(emptyBoard, { type: "queue", queue: "q", waiting: 0, longestWaitSeconds: 0 }, 0);
    expect(longestWait(b.queues[0], 60_000)).toBe(0);
  });

  it("formats the service level", () => {
    expect(formatServiceLevel(0.8)).toBe("80%");
    expect(formatServiceLevel(null)).toBe("—");
  });

  it("offers monitoring on calls and forcing only where no call is lost", () => {
    expect(supervisorActions("talking")).toEqual({ monitor: true, forceReady: false, forceSignOut: false });
    expect(supervisorActions("not_ready")).toEqual({ monitor: false, forceReady: true, forceSignOut: true });
    expect(supervisorActions("ringing").forceSignOut).toBe(false);
    expect(supervisorActions("signed_out").forceSignOut).toBe(false);
  });
});

describe("supervisor call actions (SEAT-7)", () => {
  it("post to the back end's routes, one per action", () => {
    const agent = "6ab65376-a8f8-447a-ae47-ad501c62c6ac";
    expect(CALL_ACTIONS.map((a) => callActionPath(a, agent))).toEqual([
      `/api/v1/cti/agents/${agent}/listen`,
      `/api/v1/cti/agents/${agent}/whisper`,
      `/api/v1/cti/agents/${agent}/barge`,
      `/api/v1/cti/agents/${agent}/record`,
      `/api/v1/cti/agents/${agent}/stop-record`,
      `/api/v1/cti/agents/${agent}/release`,
    ]);
  });

  it("need the server's permissions: release is a force, the rest monitoring", () => {
    expect(CALL_ACTIONS.map(callActionPerm)).toEqual([
      "agents.monitor",
      "agents.monitor",
      "agents.monitor",
      "agents.monitor",
      "agents.monitor",
      "agents.force",
    ]);
  });
});

describe("marquee editor (DIAL-9)", () => {
  it("sends one message per non-empty line, trimmed", async () => {
    const { marqueeLines } = await import("./MarqueeEditor");
    expect(marqueeLines(" Go team \n\n Lunch at 12:30\n  ")).toEqual(["Go team", "Lunch at 12:30"]);
    expect(marqueeLines("")).toEqual([]);
  });
});
