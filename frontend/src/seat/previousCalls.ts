// SEAT-8: how the screen pop shows the caller's previous calls (PreviousCallsTable.tsx).
import { formatDuration, type PreviousCall } from "./state";

/** "03-02 09:05" this year, "2025-03-02 09:05" before; 24-hour clock, the browser's zone
 * unless `timeZone` is given (tests). An unreadable date is shown as it came. */
export function callWhen(iso: string, now: Date = new Date(), timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const parts = (d: Date) => {
    const f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const p: Record<string, string> = {};
    for (const { type, value } of f.formatToParts(d)) p[type] = value;
    return p;
  };
  const p = parts(at);
  const date = `${p.month}-${p.day}`;
  const sameYear = parts(now).year === p.year;
  return `${sameYear ? date : `${p.year}-${date}`} ${p.hour}:${p.minute}`;
}

/** Talk time as the portal counts it, else answer to hang-up; "" for an unanswered call. */
export function callDuration(call: Pick<PreviousCall, "talkSeconds" | "durationSeconds">): string {
  const seconds = call.talkSeconds ?? call.durationSeconds;
  return seconds === null || seconds === undefined ? "" : formatDuration(seconds);
}

/** "Li Na (2001)", the name or the extension alone, or "" when no agent took the call. */
export function callAgent(call: Pick<PreviousCall, "agentName" | "extension">): string {
  if (call.agentName && call.extension) return `${call.agentName} (${call.extension})`;
  return call.agentName || call.extension || "";
}

export function callDisposition(call: Pick<PreviousCall, "disposition" | "dispositionLabel">): string {
  return call.dispositionLabel || call.disposition || "";
}

export function playable(call: Pick<PreviousCall, "recordingId" | "audioUrl">): boolean {
  return Boolean(call.recordingId && call.audioUrl);
}
