import { describe, expect, it } from "vitest";

import { audioPackets, callKeyOf, dialTarget } from "./phone";
import { actionsFor, allBusy, elapsed, formatDuration, initialSeat, reduceSeat, socketUrl, wrapupTarget } from "./state";

const hello = {
  type: "hello",
  agent: "u1",
  extension: "1001",
  reasons: [{ code: "break", label: "Break" }],
  status: { agent: "u1", state: "not_ready", reason: "break", callId: "", inStateSeconds: 30, callsTaken: 2, queues: ["q1"] },
  queues: [{ id: "q1", name: "Sales", allBusy: true }],
};

describe("seat state reduction", () => {
  it("takes the whole picture from hello, with the time already spent in state", () => {
    const m = reduceSeat(initialSeat(), hello, 100_000);
    expect(m).toMatchObject({ connected: true, extension: "1001", state: "not_ready", reason: "break", callsTaken: 2 });
    expect(formatDuration(elapsed(m.stateSince, 100_000))).toBe("0:30");
  });

  it("restarts the state timer on each change and runs the call timer through hold", () => {
    let m = reduceSeat(initialSeat(), hello, 0);
    m = reduceSeat(m, { type: "state", state: "ringing", callId: "c1" }, 10_000);
    expect(m.callSince).toBe(0);
    m = reduceSeat(m, { type: "state", state: "talking", callId: "c1" }, 12_000);
    expect(m.callSince).toBe(12_000);
    m = reduceSeat(m, { type: "state", state: "hold", callId: "c1" }, 40_000);
    expect(m.stateSince).toBe(40_000);
    expect(m.callSince).toBe(12_000); // hold does not restart the call clock
    m = reduceSeat(m, { type: "state", state: "after_call_work", callId: "c1" }, 70_000);
    expect(m.callSince).toBe(0);
    expect(formatDuration(elapsed(m.stateSince, 95_000))).toBe("0:25"); // the ACW timer
  });

  it("keeps the screen pop through the call and wrap-up, clears it when free again", () => {
    let m = reduceSeat(initialSeat(), hello, 0);
    m = reduceSeat(m, { type: "offer", callId: "c1", caller: { number: "138****0000" } }, 1);
    expect(m.pop?.callId).toBe("c1");
    m = reduceSeat(m, { type: "state", state: "talking", callId: "c1" }, 2);
    m = reduceSeat(m, { type: "state", state: "after_call_work", callId: "c1" }, 3);
    expect(m.pop?.caller.number).toBe("138****0000"); // masked as sent
    m = reduceSeat(m, { type: "state", state: "ready", callId: "" }, 4);
    expect(m.pop).toBeNull();
  });

  it("drops the pop of a ring that failed", () => {
    let m = reduceSeat(initialSeat(), { type: "offer", callId: "c1", caller: { number: "1" } }, 0);
    m = reduceSeat(m, { type: "ring_failed", callId: "c1", why: "timeout" }, 1);
    expect(m.pop).toBeNull();
  });

  it("lights all-busy per queue from queue_busy events", () => {
    let m = reduceSeat(initialSeat(), hello, 0);
    expect(allBusy(m)).toBe(true);
    expect(m.queues).toEqual([{ queue: "q1", name: "Sales", allBusy: true }]);
    m = reduceSeat(m, { type: "queue_busy", queue: "q1", name: "Sales", allBusy: false }, 2);
    expect(allBusy(m)).toBe(false);
  });

  it("counts answered calls and ignores messages it does not know", () => {
    let m = reduceSeat(initialSeat(), hello, 0);
    m = reduceSeat(m, { type: "answered", callId: "c1" }, 1);
    expect(m.callsTaken).toBe(3);
    expect(reduceSeat(m, { type: "reply", id: 1, ok: true }, 2)).toBe(m);
  });
});

describe("state bar", () => {
  it("offers what each state allows", () => {
    expect(actionsFor("signed_out")).toEqual({ signIn: true, signOut: false, ready: false, notReady: false, endAcw: false });
    expect(actionsFor("ready")).toMatchObject({ signOut: true, ready: false, notReady: true });
    expect(actionsFor("talking")).toEqual({ signIn: false, signOut: false, ready: false, notReady: false, endAcw: false });
    expect(actionsFor("after_call_work")).toMatchObject({ endAcw: true, ready: true });
  });

  it("formats timers", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(59.9)).toBe("0:59");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(-5)).toBe("0:00");
    expect(elapsed(0, 1000)).toBe(0);
  });

  it("builds socket URLs on the page's origin", () => {
    expect(socketUrl("/api/v1/cti/ws", { protocol: "https:", host: "a.example" })).toBe("wss://a.example/api/v1/cti/ws");
    expect(socketUrl("/x", { protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000/x");
  });
});

describe("softphone helpers", () => {
  it("dials extensions and numbers in the tenant's domain, nothing else", () => {
    expect(dialTarget("1002", "acme.sip.fastline.local")).toBe("sip:1002@acme.sip.fastline.local");
    expect(dialTarget("+86 (10) 1234-5678", "d")).toBe("sip:+861012345678@d");
    expect(dialTarget("1002@evil.example", "d")).toBeNull();
    expect(dialTarget("", "d")).toBeNull();
  });

  it("sums audio RTP packets both ways from getStats", () => {
    const report = [
      { type: "outbound-rtp", kind: "audio", packetsSent: 50 },
      { type: "inbound-rtp", kind: "audio", packetsReceived: 48 },
      { type: "inbound-rtp", kind: "video", packetsReceived: 999 },
      { type: "candidate-pair", packetsSent: 7 },
    ];
    expect(audioPackets(report)).toEqual({ packetsSent: 50, packetsReceived: 48 });
  });
});

describe("wrap-up target", () => {
  it("is the CTI call, else the phone's call, else the last ended call", () => {
    let m = initialSeat();
    expect(wrapupTarget(m)).toBe("");
    expect(wrapupTarget(m, "k-phone")).toBe("k-phone");
    m = reduceSeat(m, { type: "ended", callId: "c-old", talk_ms: 1000 }, 1);
    expect(wrapupTarget(m)).toBe("c-old");
    expect(wrapupTarget(m, "k-phone")).toBe("k-phone");
    m = reduceSeat(m, { type: "state", state: "talking", callId: "c-now" }, 2);
    expect(wrapupTarget(m, "k-phone")).toBe("c-now");
  });

  it("takes the call key from the INVITE only when it looks like one", () => {
    const req = (v?: string) => ({ getHeader: (name: string) => (name === "X-Call-Key" ? v : undefined) });
    expect(callKeyOf(req("0f3a9c51e2b84d6f"))).toBe("0f3a9c51e2b84d6f");
    expect(callKeyOf(req(" abc "))).toBe("abc");
    expect(callKeyOf(req("<script>"))).toBe("");
    expect(callKeyOf(req(undefined))).toBe("");
    expect(callKeyOf(undefined)).toBe("");
  });
});

describe("marquee and reminders (DIAL-9, DIAL-5)", () => {
  it("takes the pushed marquee and keeps the newest reminders once each", () => {
    let m = initialSeat();
    expect(m.marquee).toBeNull();
    m = reduceSeat(m, { type: "marquee", messages: ["Go team", "Lunch at 12:30"] }, 1);
    expect(m.marquee).toEqual(["Go team", "Lunch at 12:30"]);
    m = reduceSeat(m, { type: "marquee", messages: [] }, 2);
    expect(m.marquee).toEqual([]);
    const reminder = { type: "reminder", callbackId: "cb1", dueAt: "2026-03-02T02:05:00Z", phone: "138****8000", name: "Li", note: "" };
    m = reduceSeat(m, reminder, 3);
    m = reduceSeat(m, { ...reminder, callbackId: "cb2" }, 4);
    m = reduceSeat(m, { ...reminder, note: "again" }, 5);
    expect(m.reminders.map((r) => [r.callbackId, r.note])).toEqual([["cb1", "again"], ["cb2", ""]]);
    // CRM-5: a ticket coming due joins the same list, once per ticket.
    const due = { type: "ticket_reminder", ticketId: "t1", subject: "Send the quote", dueAt: "2026-03-02T02:10:00Z" };
    m = reduceSeat(m, due, 6);
    m = reduceSeat(m, due, 7);
    expect(m.reminders.filter((r) => r.ticketId).map((r) => [r.ticketId, r.name])).toEqual([["t1", "Send the quote"]]);
  });
});
