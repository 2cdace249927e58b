// Pure helpers of the Billing screen (tested by logic.test.ts). Money arrives as decimal
// strings and is shown as such: no float arithmetic on amounts.
import type { components } from "../../api/schema";

type Schemas = components["schemas"];
export type AccountOut = Schemas["AccountOut"];
export type UsageOut = Schemas["UsageOut"];
export type InvoiceOut = Schemas["InvoiceOut"];
export type RateIO = Schemas["RateIO"];
export type RateTableOut = Schemas["RateTableOut"];
export type RateMatchOut = Schemas["RateMatchOut"];
export type Direction = RateTableOut["direction"];
export type GroupBy = UsageOut["by"];

/** An editor row: every field a string, as typed. */
export interface RateRow {
  prefix: string;
  description: string;
  pricePerMinute: string;
  initialIncrement: string;
  increment: string;
  connectionFee: string;
}

export interface RowError {
  key: "prefix" | "duplicate" | "price" | "increment";
  line: number;
  prefix?: string;
}

const DECIMAL = /^\d{1,7}(\.\d{1,6})?$/;
const DIGITS = /^\d{0,20}$/;

export function toRow(rate: RateIO): RateRow {
  return {
    prefix: rate.prefix,
    description: rate.description,
    pricePerMinute: rate.pricePerMinute,
    initialIncrement: String(rate.initialIncrement),
    increment: String(rate.increment),
    connectionFee: rate.connectionFee ?? "0",
  };
}

export function emptyRow(): RateRow {
  return { prefix: "", description: "", pricePerMinute: "", initialIncrement: "60", increment: "60", connectionFee: "0" };
}

function isIncrement(text: string): boolean {
  return /^\d{1,4}$/.test(text) && Number(text) >= 1 && Number(text) <= 3600;
}

/** What is wrong with the rows, line by line (1-based), before anything is sent. */
export function validateRows(rows: readonly RateRow[]): RowError[] {
  const errors: RowError[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const line = i + 1;
    const prefix = row.prefix.trim();
    if (!DIGITS.test(prefix)) errors.push({ key: "prefix", line });
    else if (seen.has(prefix)) errors.push({ key: "duplicate", line, prefix });
    seen.add(prefix);
    if (!DECIMAL.test(row.pricePerMinute.trim()) || !DECIMAL.test(row.connectionFee.trim() || "0")) {
      errors.push({ key: "price", line });
    }
    if (!isIncrement(row.initialIncrement.trim()) || !isIncrement(row.increment.trim())) {
      errors.push({ key: "increment", line });
    }
  });
  return errors;
}

/** Rows as the API takes them (call after validateRows found nothing). */
export function toRates(rows: readonly RateRow[]): RateIO[] {
  return rows.map((row) => ({
    prefix: row.prefix.trim(),
    description: row.description.trim(),
    pricePerMinute: row.pricePerMinute.trim(),
    initialIncrement: Number(row.initialIncrement),
    increment: Number(row.increment),
    connectionFee: row.connectionFee.trim() || "0",
  }));
}

/** "0.1650" CNY -> "¥0.1650"-like text in the user's language, keeping every digit sent. */
export function formatMoney(amount: string, currency: string, locale: string): string {
  const code = currency.toUpperCase();
  if (!code) return amount;
  const symbol =
    new Intl.NumberFormat(locale, { style: "currency", currency: code, currencyDisplay: "narrowSymbol" })
      .formatToParts(0)
      .find((p) => p.type === "currency")?.value ?? code;
  return `${symbol}${amount}`;
}

/** Integer minor units (Stripe) -> "12.34" (2-decimal currencies). */
export function minorToText(minor: number): string {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(minor));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Billed seconds as minutes with one decimal: 391 -> "6.5". */
export function billedMinutes(seconds: number): string {
  return (Math.round((seconds / 60) * 10) / 10).toFixed(1);
}

/** [since, until) of a "YYYY-MM" month in UTC, as ISO strings. */
export function monthRange(month: string): { since: string; until: string } {
  const [y, m] = month.split("-").map(Number);
  const since = new Date(Date.UTC(y, m - 1, 1));
  const until = new Date(Date.UTC(y, m, 1));
  return { since: since.toISOString(), until: until.toISOString() };
}

/** The last `count` months, newest first, as "YYYY-MM" (UTC). */
export function recentMonths(now: Date, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
  }
  return out;
}

/** The credit figure to show: "no limit", or unpaid over the limit. */
export function creditState(account: Pick<AccountOut, "creditLimit" | "unpaid" | "mayDial">): "none" | "ok" | "over" {
  if (account.creditLimit == null) return "none";
  return account.mayDial ? "ok" : "over";
}
