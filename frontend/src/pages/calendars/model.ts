// The calendar editor's model and its checks, mirroring app/tenants/calendar.py so that a
// mistake is shown next to the field before the server is asked. The server checks again.
import type { CalendarIn, CalendarOut } from "../../api/client";

export interface Range {
  weekday: number; // 0 = Monday … 6 = Sunday (Python's weekday())
  start: string;
  end: string;
}
export interface HolidayRow {
  date: string;
  name: string;
}
export interface SpecialRow {
  date: string;
  start: string;
  end: string;
  name: string;
}
export interface CalendarDraft {
  name: string;
  timezone: string;
  weekly: Range[];
  holidays: HolidayRow[];
  specialDays: SpecialRow[];
}

/** Error keys (under calendars.errors.) by field path, e.g. "weekly.2.end". */
export type DraftErrors = Record<string, string>;

const TIME = /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export function minutes(hhmm: string): number {
  const [hh, mm] = hhmm.split(":").map(Number);
  return hh * 60 + mm;
}

export function isOvernight(r: { start: string; end: string }): boolean {
  return TIME.test(r.start) && TIME.test(r.end) && minutes(r.end) <= minutes(r.start);
}

function validDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

function checkRange(r: { start: string; end: string }, at: string, errors: DraftErrors): boolean {
  let ok = true;
  for (const side of ["start", "end"] as const) {
    if (!TIME.test(r[side])) {
      errors[`${at}.${side}`] = "time";
      ok = false;
    }
  }
  if (ok && r.start === r.end) {
    errors[`${at}.end`] = "same";
    ok = false;
  }
  return ok;
}

/** Same-day spans of a weekday's ranges (an overnight range counts until midnight). */
function span(r: Range): [number, number] {
  const end = isOvernight(r) ? 24 * 60 : minutes(r.end);
  return [minutes(r.start), end];
}

function checkOverlaps(weekly: Range[], valid: boolean[], errors: DraftErrors): void {
  weekly.forEach((a, i) => {
    weekly.forEach((b, j) => {
      if (j <= i || !valid[i] || !valid[j] || a.weekday !== b.weekday) return;
      const [as, ae] = span(a);
      const [bs, be] = span(b);
      if (as < be && bs < ae) errors[`weekly.${j}.start`] = "overlap";
    });
  });
}

function checkDates(rows: { date: string }[], at: string, errors: DraftErrors): void {
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (!validDate(row.date)) errors[`${at}.${i}.date`] = "date";
    else if (seen.has(row.date)) errors[`${at}.${i}.date`] = "duplicateDate";
    seen.add(row.date);
  });
}

export function validate(draft: CalendarDraft): DraftErrors {
  const errors: DraftErrors = {};
  if (!draft.name.trim()) errors.name = "name";
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$|^UTC$/.test(draft.timezone.trim())) {
    errors.timezone = "timezone";
  }
  const valid = draft.weekly.map((r, i) => checkRange(r, `weekly.${i}`, errors));
  checkOverlaps(draft.weekly, valid, errors);
  checkDates(draft.holidays, "holidays", errors);
  checkDates(draft.specialDays, "specialDays", errors);
  draft.specialDays.forEach((d, i) => checkRange(d, `specialDays.${i}`, errors));
  return errors;
}

export function toPayload(draft: CalendarDraft): CalendarIn {
  const byDayThenStart = (a: Range, b: Range) =>
    a.weekday - b.weekday || minutes(a.start) - minutes(b.start);
  return {
    name: draft.name.trim(),
    timezone: draft.timezone.trim(),
    weeklyHours: [...draft.weekly].sort(byDayThenStart),
    holidays: draft.holidays.map((h) => ({ date: h.date, name: h.name.trim() || "holiday" })),
    specialDays: draft.specialDays.map((d) => ({
      date: d.date,
      start: d.start,
      end: d.end,
      name: d.name.trim() || "special work day",
    })),
  };
}

export function fromCalendar(c: CalendarOut): CalendarDraft {
  return {
    name: c.name,
    timezone: c.timezone,
    weekly: c.weeklyHours.map((w) => ({ ...w })),
    holidays: c.holidays.map((h) => ({ date: h.date, name: h.name ?? "" })),
    specialDays: c.specialDays.map((d) => ({ ...d, name: d.name ?? "" })),
  };
}

/** A new calendar: Monday to Friday 09:00–18:00 in China Standard Time. */
export function defaultDraft(): CalendarDraft {
  return {
    name: "",
    timezone: "Asia/Shanghai",
    weekly: [0, 1, 2, 3, 4].map((weekday) => ({ weekday, start: "09:00", end: "18:00" })),
    holidays: [],
    specialDays: [],
  };
}

/**
 * The instant for the "open at T" tester: a wall-clock time typed in the calendar's zone,
 * sent with that zone's offset at that moment (the server needs an offset, RFC 3339).
 */
export function zonedInstant(local: string, timeZone: string): string {
  const [datePart, timePart] = local.split("T");
  const [y, mo, d] = datePart.split("-").map(Number);
  const [h, mi] = timePart.split(":").map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offset at roughly that instant (twice, to settle across a DST change).
  let offset = offsetMinutes(asUtc, timeZone);
  offset = offsetMinutes(asUtc - offset * 60_000, timeZone);
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${datePart}T${pad(h)}:${pad(mi)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function offsetMinutes(utcMillis: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(utcMillis));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((wall - utcMillis) / 60_000);
}
