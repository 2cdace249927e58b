import { describe, expect, it } from "vitest";

import {
  articleBody,
  audioUrl,
  EMPTY_DRAFT,
  formatSeconds,
  parseKeywords,
  secondsLeft,
  validateDraft,
} from "./model";

describe("knowledge base form (CRM-4)", () => {
  it("splits keywords on ASCII and Chinese commas and spaces, once each", () => {
    expect(parseKeywords(" 退款，发票、refund,  refund;invoice\n售后 ")).toEqual(["退款", "发票", "refund", "invoice", "售后"]);
    expect(parseKeywords("   ")).toEqual([]);
  });

  it("checks what the server checks", () => {
    expect(validateDraft(EMPTY_DRAFT)).toEqual({ title: "title" });
    const many = Array.from({ length: 21 }, (_, i) => `k${i}`).join(" ");
    expect(validateDraft({ ...EMPTY_DRAFT, title: "t", keywords: many })).toEqual({ keywords: "tooManyKeywords" });
    expect(validateDraft({ ...EMPTY_DRAFT, title: "t", keywords: "x".repeat(51) })).toEqual({ keywords: "keywordTooLong" });
    expect(validateDraft({ ...EMPTY_DRAFT, title: "t", body: "字".repeat(20_001) })).toEqual({ body: "bodyTooLong" });
    expect(validateDraft({ ...EMPTY_DRAFT, title: "退款流程" })).toEqual({});
  });

  it("sends trimmed fields and the keyword list", () => {
    expect(
      articleBody({ title: " 退款 ", body: " 三天到账 ", category: " 售后 ", keywords: "退款, refund", businessId: null }),
    ).toEqual({ title: "退款", body: "三天到账", category: "售后", keywords: ["退款", "refund"], businessId: null });
  });

  it("formats lengths and the time left of a playback", () => {
    expect(formatSeconds(75.4)).toBe("1:15");
    expect(formatSeconds(null)).toBe("");
    expect(secondsLeft(1000, 10, 4500)).toBe(7);
    expect(secondsLeft(1000, 2, 9000)).toBe(0);
    expect(audioUrl("a b", "2026-11-26T00:00:00Z")).toBe(
      "/api/v1/knowledge/articles/a%20b/audio?v=2026-11-26T00%3A00%3A00Z",
    );
  });
});
