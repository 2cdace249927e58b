import { describe, expect, it } from "vitest";

import {
  bucketLabel,
  EMPTY_FILTERS,
  formatBytes,
  formatDuration,
  formatPercent,
  layoutBars,
  niceMax,
  sumByBucket,
  toExportBody,
  toQuery,
} from "./model";

describe("call filters", () => {
  it("sends only what is set, typed", () => {
    expect(toQuery(EMPTY_FILTERS)).toEqual({});
    const q = toQuery({
      ...EMPTY_FILTERS,
      number: " 13800138000 ",
      direction: "inbound",
      minDuration: "30",
      hasRecording: "true",
      listened: "false",
      since: "2026-03-02T10:00",
    });
    expect(q).toMatchObject({ number: "13800138000", direction: "inbound", minDuration: 30, hasRecording: true, listened: false });
    expect(q.since).toBe(new Date("2026-03-02T10:00").toISOString());
  });

  it("drops junk", () => {
    expect(toQuery({ ...EMPTY_FILTERS, direction: "sideways", minDuration: "-5", since: "not a date" })).toEqual({});
    expect(toQuery({ ...EMPTY_FILTERS, minDuration: "abc", hasRecording: "maybe" })).toEqual({});
  });

  it("finds unhappy callers by their survey score (REC-6)", () => {
    expect(toQuery({ ...EMPTY_FILTERS, satisfactionAtMost: "2" })).toEqual({ satisfactionAtMost: 2 });
    expect(toQuery({ ...EMPTY_FILTERS, satisfactionAtMost: "0" })).toEqual({ satisfactionAtMost: 0 });
    for (const junk of ["-1", "10", "2.5", "x"]) expect(toQuery({ ...EMPTY_FILTERS, satisfactionAtMost: junk })).toEqual({});
    expect(toExportBody({ ...EMPTY_FILTERS, satisfactionAtMost: "3" }).satisfactionAtMost).toBe(3);
  });

  it("exports the same filters with nulls, never `listened`", () => {
    const body = toExportBody({ ...EMPTY_FILTERS, queueId: "q1", listened: "true" });
    expect(body.queueId).toBe("q1");
    expect(body.number).toBeNull();
    expect("listened" in body).toBe(false);
  });
});

describe("formats", () => {
  it("durations, sizes, percentages", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBe("0:00");
    expect(formatBytes(500)).toBe("500 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(2_500_000)).toBe("2.4 MB");
    expect(formatPercent(0.3333)).toBe("33.3%");
  });
});

describe("report charts", () => {
  const rows = [
    { bucket: "2026-03-03", agentId: "a", calls: 1, answered: 1 },
    { bucket: "2026-03-02", agentId: "a", calls: 2, answered: 2 },
    { bucket: "2026-03-03", agentId: "b", calls: 1, answered: 0 },
    { bucket: null, agentId: "a", calls: 99, answered: 99 }, // a total: not a bucket
  ];

  it("sums agents per bucket, in date order", () => {
    expect(sumByBucket(rows, ["calls", "answered"])).toEqual([
      { bucket: "2026-03-02", values: [2, 2] },
      { bucket: "2026-03-03", values: [2, 1] },
    ]);
  });

  it("picks round axis maxima", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(18)).toBe(20);
    expect(niceMax(230)).toBe(250);
    expect(niceMax(0.4)).toBe(0.5);
  });

  it("lays grouped bars inside the plot", () => {
    const { bars, max } = layoutBars(sumByBucket(rows, ["calls", "answered"]), 200, 100);
    expect(max).toBe(2);
    expect(bars).toHaveLength(4);
    expect(bars[0]).toMatchObject({ x: 10, y: 0, height: 100, series: 0, bucket: "2026-03-02" });
    expect(bars[3]).toMatchObject({ height: 50, y: 50, series: 1, bucket: "2026-03-03" });
    for (const bar of bars) expect(bar.x + bar.width).toBeLessThanOrEqual(200);
    expect(layoutBars([], 200, 100).bars).toEqual([]);
  });

  it("labels buckets by period", () => {
    expect(bucketLabel("2026-03-01", "month")).toBe("2026-03");
    expect(bucketLabel("2026-01-01", "year")).toBe("2026");
    expect(bucketLabel("2026-03-02", "week")).toBe("2026-03-02");
  });
});
