// The simulator's time field: a datetime-local input has no offset, the API wants one
// (`at` with its offset, e.g. 2026-10-01T09:30:00+08:00), and calendars are judged in the
// calendar's own zone on the server, so the browser's offset at that moment is what the admin
// means.

const pad = (n: number) => String(n).padStart(2, "0");

/** A Date as the value of an <input type="datetime-local"> (local time, minutes). */
export function localInputValue(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "2026-10-01T09:30" and an offset east of UTC in minutes -> "2026-10-01T09:30:00+08:00". */
export function withOffset(local: string, offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const seconds = local.length === 16 ? ":00" : "";
  return `${local}${seconds}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The local input value with the browser's offset at that moment, or null when empty. */
export function atFromInput(local: string): string | null {
  if (!local) return null;
  const when = new Date(local);
  if (Number.isNaN(when.getTime())) return null;
  return withOffset(local, -when.getTimezoneOffset());
}
