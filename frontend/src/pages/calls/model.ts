// Pure logic of the Calls, Recordings and Reports screens (tested by model.test.ts).

/** What the filter form holds: strings as typed ("" = not set). */
export interface CallFilterState {
  since: string; // datetime-local, the browser's zone
  until: string;
  number: string;
  direction: string;
  agentId: string;
  queueId: string;
  extension: string;
  minDuration: string; // talk seconds
  disposition: string;
  hasRecording: string; // "" | "true" | "false"
  listened: string; // "" | "true" | "false" (recordings only)
  satisfactionAtMost: string; // "" or a survey score 0-9 (REC-6): the unhappy callers
}

export const EMPTY_FILTERS: CallFilterState = {
  since: "",
  until: "",
  number: "",
  direction: "",
  agentId: "",
  queueId: "",
  extension: "",
  minDuration: "",
  disposition: "",
  hasRecording: "",
  listened: "",
  satisfactionAtMost: "",
};

/** A datetime-local value (the browser's zone) as an ISO instant, or undefined. */
export function instant(local: string): string | undefined {
  if (!local) return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

function bool(value: string): boolean | undefined {
  return value === "true" ? true : value === "false" ? false : undefined;
}

export interface CallQuery {
  since?: string;
  until?: string;
  number?: string;
  direction?: "inbound" | "outbound" | "internal";
  agentId?: string;
  queueId?: string;
  extension?: string;
  minDuration?: number;
  disposition?: string;
  hasRecording?: boolean;
  listened?: boolean;
  satisfactionAtMost?: number;
}

const DIRECTIONS = ["inbound", "outbound", "internal"] as const;

/** The API's query: only the fields that are set, typed; junk (a negative duration) dropped. */
export function toQuery(f: CallFilterState): CallQuery {
  const q: CallQuery = {};
  const since = instant(f.since);
  const until = instant(f.until);
  if (since) q.since = since;
  if (until) q.until = until;
  if (f.number.trim()) q.number = f.number.trim();
  if ((DIRECTIONS as readonly string[]).includes(f.direction)) q.direction = f.direction as CallQuery["direction"];
  if (f.agentId) q.agentId = f.agentId;
  if (f.queueId) q.queueId = f.queueId;
  if (f.extension.trim()) q.extension = f.extension.trim();
  const min = Number(f.minDuration);
  if (f.minDuration.trim() && Number.isFinite(min) && min > 0) q.minDuration = min;
  if (f.disposition.trim()) q.disposition = f.disposition.trim();
  const rec = bool(f.hasRecording);
  if (rec !== undefined) q.hasRecording = rec;
  const heard = bool(f.listened);
  if (heard !== undefined) q.listened = heard;
  const score = Number(f.satisfactionAtMost);
  if (f.satisfactionAtMost.trim() && Number.isInteger(score) && score >= 0 && score <= 9) q.satisfactionAtMost = score;
  return q;
}

/** The export body: the same filters with nulls for the unset ones (no `listened`). */
export function toExportBody(f: CallFilterState) {
  const q = toQuery(f);
  return {
    since: q.since ?? null,
    until: q.until ?? null,
    number: q.number ?? null,
    direction: q.direction ?? null,
    agentId: q.agentId ?? null,
    queueId: q.queueId ?? null,
    extension: q.extension ?? null,
    minDuration: q.minDuration ?? null,
    disposition: q.disposition ?? null,
    hasRecording: q.hasRecording ?? null,
    satisfactionAtMost: q.satisfactionAtMost ?? null,
  };
}

/** 65 -> "1:05", 3725 -> "1:02:05", 0 -> "0:00". */
export function formatDuration(seconds: number | null | undefined): string {
  const total = Math.max(0, Math.round(seconds ?? 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** 1536 -> "1.5 KB", 2_500_000 -> "2.4 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

// ------------------------------------------------------------------------------ reports

export type Period = "day" | "week" | "month" | "year";

/** One series row of a report: its period bucket plus numeric measures. */
export interface BucketRow {
  bucket?: string | null;
  [measure: string]: unknown;
}

export interface ChartPoint {
  bucket: string;
  values: number[]; // one per measure
}

/** Sum the per-agent (or per-queue) rows of each bucket, buckets in order. */
export function sumByBucket(rows: readonly BucketRow[], measures: readonly string[]): ChartPoint[] {
  const sums = new Map<string, number[]>();
  for (const row of rows) {
    if (!row.bucket) continue;
    const acc = sums.get(row.bucket) ?? measures.map(() => 0);
    measures.forEach((m, i) => {
      const v = row[m];
      acc[i] += typeof v === "number" && Number.isFinite(v) ? v : 0;
    });
    sums.set(row.bucket, acc);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([bucket, values]) => ({ bucket, values }));
}

/** A round axis maximum at or above `max`: 1, 2, 2.5, 5 x 10^n (never 0). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  series: number;
  value: number;
  bucket: string;
}

/** Grouped bars: one group per bucket, one bar per measure, in a width x height plot. */
export function layoutBars(points: readonly ChartPoint[], width: number, height: number): { bars: Bar[]; max: number } {
  const max = niceMax(Math.max(0, ...points.flatMap((p) => p.values)));
  if (points.length === 0) return { bars: [], max };
  const group = width / points.length;
  const series = points[0].values.length;
  const barWidth = (group * 0.8) / Math.max(1, series);
  const bars: Bar[] = [];
  points.forEach((p, g) => {
    p.values.forEach((value, s) => {
      const h = (value / max) * height;
      bars.push({ x: g * group + group * 0.1 + s * barWidth, y: height - h, width: barWidth, height: h, series: s, value, bucket: p.bucket });
    });
  });
  return { bars, max };
}

/** A bucket's label: "2026-03-02" by day/week, "2026-03" by month, "2026" by year. */
export function bucketLabel(bucket: string, period: Period): string {
  if (period === "month") return bucket.slice(0, 7);
  if (period === "year") return bucket.slice(0, 4);
  return bucket;
}

/** Default report range: the last 30 days up to tomorrow, as datetime-local strings. */
export function defaultRange(now: Date = new Date()): { since: string; until: string } {
  const day = (d: Date) => {
    const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
    return `${local.toISOString().slice(0, 10)}T00:00`;
  };
  const until = new Date(now.getTime() + 24 * 3600_000);
  const since = new Date(now.getTime() - 30 * 24 * 3600_000);
  return { since: day(since), until: day(until) };
}
