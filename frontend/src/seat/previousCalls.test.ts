import { describe, expect, it } from "vitest";

import { callAgent, callDisposition, callDuration, callWhen, playable } from "./previousCalls";

describe("screen pop previous calls (SEAT-8)", () => {
  const now = new Date("2026-11-26T08:00:00Z");

  it("shows the date and time in the agent's zone, the year only when it is not this year", () => {
    expect(callWhen("2026-03-02T09:05:00+00:00", now, "Asia/Shanghai")).toBe("03-02 17:05");
    expect(callWhen("2026-03-02T09:05:00+00:00", now, "UTC")).toBe("03-02 09:05");
    expect(callWhen("2025-12-31T23:30:00+00:00", now, "UTC")).toBe("2025-12-31 23:30");
    expect(callWhen("2025-12-31T16:30:00+00:00", now, "Asia/Shanghai")).toBe("01-01 00:30");
    expect(callWhen("yesterday", now)).toBe("yesterday");
  });

  it("counts talk time, else time since answer, and nothing for a missed call", () => {
    expect(callDuration({ talkSeconds: 90, durationSeconds: 94 })).toBe("1:30");
    expect(callDuration({ talkSeconds: null, durationSeconds: 60 })).toBe("1:00");
    expect(callDuration({ talkSeconds: 3725, durationSeconds: 3730 })).toBe("1:02:05");
    expect(callDuration({ talkSeconds: null, durationSeconds: null })).toBe("");
  });

  it("names the agent with their extension, and the wrap-up by its label", () => {
    expect(callAgent({ agentName: "Li Na", extension: "2001" })).toBe("Li Na (2001)");
    expect(callAgent({ agentName: null, extension: "2001" })).toBe("2001");
    expect(callAgent({ agentName: "Li Na", extension: null })).toBe("Li Na");
    expect(callAgent({ agentName: null, extension: null })).toBe("");
    expect(callDisposition({ disposition: "follow_up", dispositionLabel: "Follow-up needed" })).toBe("Follow-up needed");
    expect(callDisposition({ disposition: "no_answer", dispositionLabel: null })).toBe("no_answer");
    expect(callDisposition({ disposition: null, dispositionLabel: null })).toBe("");
  });

  it("offers playback only for a recording the server sent a URL for", () => {
    expect(playable({ recordingId: "r1", audioUrl: "/api/v1/recordings/r1/audio" })).toBe(true);
    expect(playable({ recordingId: null, audioUrl: null })).toBe(false);
  });
});
