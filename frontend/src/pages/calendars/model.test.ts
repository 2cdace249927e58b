import { describe, expect, it } from "vitest";

import { defaultDraft, isOvernight, toPayload, validate, zonedInstant, type CalendarDraft } from "./model";

function draft(change: Partial<CalendarDraft>): CalendarDraft {
  return { ...defaultDraft(), name: "Office", ...change };
}

describe("calendar editor validation", () => {
  it("accepts the default Monday-to-Friday calendar once named", () => {
    expect(validate(draft({}))).toEqual({});
    expect(validate({ ...defaultDraft() })).toEqual({ name: "name" });
  });

  it("flags malformed and equal times on the row that has them", () => {
    const errors = validate(draft({ weekly: [{ weekday: 0, start: "9:00", end: "18:00" }, { weekday: 1, start: "10:00", end: "10:00" }] }));
    expect(errors).toEqual({ "weekly.0.start": "time", "weekly.1.end": "same" });
  });

  it("allows a range past midnight and 24:00 as an end", () => {
    expect(isOvernight({ start: "22:00", end: "06:00" })).toBe(true);
    expect(validate(draft({ weekly: [{ weekday: 4, start: "22:00", end: "06:00" }, { weekday: 5, start: "08:00", end: "24:00" }] }))).toEqual({});
  });

  it("flags overlapping ranges on the same day only", () => {
    const weekly = [
      { weekday: 0, start: "09:00", end: "12:00" },
      { weekday: 0, start: "11:00", end: "14:00" },
      { weekday: 1, start: "11:00", end: "14:00" },
      { weekday: 0, start: "12:00", end: "13:00" },
    ];
    expect(validate(draft({ weekly }))).toEqual({ "weekly.1.start": "overlap", "weekly.3.start": "overlap" });
  });

  it("flags impossible and repeated dates", () => {
    const holidays = [
      { date: "2026-10-01", name: "National Day" },
      { date: "2026-02-30", name: "" },
      { date: "2026-10-01", name: "again" },
    ];
    expect(validate(draft({ holidays }))).toEqual({ "holidays.1.date": "date", "holidays.2.date": "duplicateDate" });
  });

  it("checks special work days' dates and hours", () => {
    const specialDays = [{ date: "2026-10-11", start: "09:00", end: "09:00", name: "调休" }];
    expect(validate(draft({ specialDays }))).toEqual({ "specialDays.0.end": "same" });
  });

  it("rejects a time zone that is not an IANA name", () => {
    expect(validate(draft({ timezone: "GMT+8 Beijing" }))).toEqual({ timezone: "timezone" });
    expect(validate(draft({ timezone: "America/Argentina/Buenos_Aires" }))).toEqual({});
  });

  it("sends weekly hours sorted by day then start, with default names", () => {
    const payload = toPayload(
      draft({
        weekly: [
          { weekday: 2, start: "14:00", end: "18:00" },
          { weekday: 0, start: "09:00", end: "12:00" },
          { weekday: 2, start: "09:00", end: "12:00" },
        ],
        holidays: [{ date: "2026-10-01", name: " " }],
      }),
    );
    expect((payload.weeklyHours ?? []).map((w) => `${w.weekday} ${w.start}`)).toEqual(["0 09:00", "2 09:00", "2 14:00"]);
    expect(payload.holidays).toEqual([{ date: "2026-10-01", name: "holiday" }]);
  });
});

describe("open-at tester time", () => {
  it("gives a wall-clock time the calendar zone's offset", () => {
    expect(zonedInstant("2026-10-01T09:30", "Asia/Shanghai")).toBe("2026-10-01T09:30:00+08:00");
    expect(zonedInstant("2026-01-15T09:30", "America/New_York")).toBe("2026-01-15T09:30:00-05:00");
    expect(zonedInstant("2026-07-15T09:30", "America/New_York")).toBe("2026-07-15T09:30:00-04:00");
    expect(zonedInstant("2026-07-15T09:30", "UTC")).toBe("2026-07-15T09:30:00+00:00");
  });
});
