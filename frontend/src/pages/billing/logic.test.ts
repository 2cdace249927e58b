import { describe, expect, it } from "vitest";

import { can, navFor } from "../../auth/permissions";

import {
  billedMinutes,
  creditState,
  emptyRow,
  formatMoney,
  minorToText,
  monthRange,
  recentMonths,
  toRates,
  toRow,
  validateRows,
  type RateRow,
} from "./logic";

function row(over: Partial<RateRow>): RateRow {
  return { ...emptyRow(), pricePerMinute: "0.10", ...over };
}

describe("billing screen logic", () => {
  it("accepts a valid table, including the empty catch-all prefix", () => {
    const rows = [row({ prefix: "" }), row({ prefix: "86", increment: "6" }), row({ prefix: "8610", connectionFee: "0.02" })];
    expect(validateRows(rows)).toEqual([]);
    expect(toRates(rows)[2]).toEqual({
      prefix: "8610",
      description: "",
      pricePerMinute: "0.10",
      initialIncrement: 60,
      increment: 60,
      connectionFee: "0.02",
    });
  });

  it("reports bad prefixes, duplicates, prices and increments by line", () => {
    const rows = [
      row({ prefix: "86" }),
      row({ prefix: "86" }),
      row({ prefix: "+86" }),
      row({ prefix: "1", pricePerMinute: "-1" }),
      row({ prefix: "2", pricePerMinute: "0.1.2" }),
      row({ prefix: "3", increment: "0" }),
      row({ prefix: "4", initialIncrement: "6.5" }),
    ];
    expect(validateRows(rows)).toEqual([
      { key: "duplicate", line: 2, prefix: "86" },
      { key: "prefix", line: 3 },
      { key: "price", line: 4 },
      { key: "price", line: 5 },
      { key: "increment", line: 6 },
      { key: "increment", line: 7 },
    ]);
  });

  it("round-trips an API rate through an editor row", () => {
    const rate = { prefix: "86755", description: "Shenzhen", pricePerMinute: "0.0333", initialIncrement: 1, increment: 1, connectionFee: "0" };
    expect(toRates([toRow(rate)])).toEqual([rate]);
    expect(toRow({ ...rate, connectionFee: null }).connectionFee).toBe("0");
  });

  it("formats money without touching the digits", () => {
    expect(formatMoney("2.2229", "CNY", "en")).toMatch(/^(CN)?¥2\.2229$/);
    expect(formatMoney("0.1650", "usd", "en")).toBe("$0.1650");
    expect(formatMoney("5", "", "en")).toBe("5");
    expect(minorToText(274)).toBe("2.74");
    expect(minorToText(5)).toBe("0.05");
    expect(minorToText(-1234)).toBe("-12.34");
    expect(billedMinutes(391)).toBe("6.5");
    expect(billedMinutes(0)).toBe("0.0");
  });

  it("gives month ranges and the recent months in UTC", () => {
    expect(monthRange("2026-12")).toEqual({ since: "2026-12-01T00:00:00.000Z", until: "2027-01-01T00:00:00.000Z" });
    expect(recentMonths(new Date("2026-02-15T00:00:00Z"), 3)).toEqual(["2026-02", "2026-01", "2025-12"]);
  });

  it("tells the credit state", () => {
    expect(creditState({ creditLimit: null, unpaid: "9", mayDial: true })).toBe("none");
    expect(creditState({ creditLimit: "10.00", unpaid: "9", mayDial: true })).toBe("ok");
    expect(creditState({ creditLimit: "1.00", unpaid: "2.7429", mayDial: false })).toBe("over");
  });

  it("shows the billing screen to admins only", () => {
    const paths = (role: string) => navFor(role).map((item) => item.path);
    expect(paths("admin")).toContain("/portal/billing");
    for (const role of ["supervisor", "qa", "agent"]) expect(paths(role)).not.toContain("/portal/billing");
    expect(can("admin", "billing.manage")).toBe(true);
    expect(can("supervisor", "billing.read")).toBe(false);
  });
});
