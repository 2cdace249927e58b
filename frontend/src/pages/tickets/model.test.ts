import { describe, expect, it } from "vitest";

import {
  ACTIVE,
  dueToIso,
  EMPTY_FILTERS,
  historyKey,
  isFinal,
  isOverdue,
  mayMove,
  nextStatuses,
  STATUSES,
  statusColour,
  ticketRef,
  toQuery,
} from "./model";

describe("ticket workflow", () => {
  it("offers the moves the server allows", () => {
    expect(nextStatuses("open")).toEqual(["in_progress", "waiting_customer", "resolved", "closed"]);
    expect(nextStatuses("waiting_customer")).toEqual(["in_progress", "resolved", "closed"]);
    expect(nextStatuses("resolved")).toEqual(["in_progress", "closed"]);
  });

  it("refuses moves the server refuses", () => {
    expect(mayMove("waiting_customer", "open")).toBe(false);
    expect(mayMove("resolved", "open")).toBe(false);
    expect(mayMove("closed", "in_progress")).toBe(false);
    expect(mayMove("open", "open")).toBe(false);
    expect(mayMove("open", "deleted")).toBe(false);
    expect(mayMove("resolved", "in_progress")).toBe(true);
  });

  it("treats closed as final, and only closed", () => {
    expect(STATUSES.filter(isFinal)).toEqual(["closed"]);
    expect(nextStatuses("no-such-status")).toEqual([]);
  });

  it("gives every status its own colour", () => {
    const colours = STATUSES.map(statusColour);
    expect(colours).toEqual(["blue", "orange", "violet", "green", "gray"]);
    expect(new Set(colours).size).toBe(STATUSES.length);
    expect(statusColour("unknown")).toBe("gray");
  });

  it("counts only active tickets as overdue", () => {
    const now = new Date("2026-05-01T12:00:00Z");
    expect(isOverdue({ dueAt: "2026-05-01T11:00:00Z", status: "open" }, now)).toBe(true);
    expect(isOverdue({ dueAt: "2026-05-01T13:00:00Z", status: "open" }, now)).toBe(false);
    expect(isOverdue({ dueAt: "2026-05-01T11:00:00Z", status: "resolved" }, now)).toBe(false);
    expect(isOverdue({ dueAt: null, status: "open" }, now)).toBe(false);
    expect(ACTIVE).toEqual(["open", "in_progress", "waiting_customer"]);
  });
});

describe("ticket filters", () => {
  it("sends only what is set", () => {
    expect(toQuery(EMPTY_FILTERS)).toEqual({});
    expect(
      toQuery({ ...EMPTY_FILTERS, statuses: ["open", "in_progress"], type: "complaint", phone: " 0013800 ", assignee: "me" }),
    ).toEqual({ status: ["open", "in_progress"], type: "complaint", phone: "0013800", mine: true });
    expect(toQuery({ ...EMPTY_FILTERS, assignee: "none" })).toEqual({ unassigned: true });
    expect(toQuery({ ...EMPTY_FILTERS, assignee: "u-1", callKey: "abc" })).toEqual({ assigneeId: "u-1", callKey: "abc" });
  });

  it("turns a local due time into ISO with the zone", () => {
    expect(dueToIso("")).toBeNull();
    expect(dueToIso("nonsense")).toBeNull();
    expect(dueToIso("2026-05-01T09:30")).toBe(new Date("2026-05-01T09:30").toISOString());
  });
});

describe("ticket display", () => {
  it("has a short reference", () => {
    expect(ticketRef("0193a5b2-7c1d-7e00-8f00-00000abcdef1")).toBe("#BCDEF1");
  });

  it("describes history lines", () => {
    const base = { old: "", new: "", text: "", channel: "" };
    expect(historyKey({ ...base, kind: "status", old: "open", new: "resolved" })).toEqual({
      key: "tickets.history.status",
      values: { old: "open", new: "resolved" },
    });
    expect(historyKey({ ...base, kind: "assigned" }).key).toBe("tickets.history.unassigned");
    expect(historyKey({ ...base, kind: "reply", channel: "phone" }).values).toEqual({ channel: "phone" });
    expect(historyKey({ ...base, kind: "created" }).key).toBe("tickets.history.created");
  });
});
