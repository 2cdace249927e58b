// CRM-4 knowledge base: the article form's logic (keywords typed as one line, checks that
// mirror the server's, the body sent), kept apart from the screens so Vitest can test it.
import type { Schemas } from "../../api/client";

export type ArticleIn = Schemas["ArticleIn"];
export type ArticleOut = Schemas["ArticleOut"];
export type ArticleSummary = Schemas["ArticleSummary"];

export const MAX_KEYWORDS = 20;
export const MAX_KEYWORD = 50;
export const MAX_BODY = 20_000;

export interface ArticleDraft {
  title: string;
  body: string;
  category: string;
  keywords: string; // as typed: "退款, refund 发票" or "退款，发票"
  businessId: string | null; // null: every agent
}

export const EMPTY_DRAFT: ArticleDraft = { title: "", body: "", category: "", keywords: "", businessId: null };

/** Split typed keywords on commas (ASCII or Chinese), semicolons and white space; unique. */
export function parseKeywords(typed: string): string[] {
  const words = typed
    .split(/[,，;；、\s]+/u)
    .map((w) => w.trim())
    .filter(Boolean);
  return [...new Set(words)];
}

export function draftOf(article: ArticleOut): ArticleDraft {
  return {
    title: article.title,
    body: article.body,
    category: article.category,
    keywords: article.keywords.join(", "),
    businessId: article.businessId ?? null,
  };
}

export type DraftErrors = Partial<Record<"title" | "keywords" | "body", string>>;

/** Error keys under `knowledge.errors.` per field; empty when the draft can be sent. */
export function validateDraft(d: ArticleDraft): DraftErrors {
  const e: DraftErrors = {};
  if (!d.title.trim()) e.title = "title";
  const words = parseKeywords(d.keywords);
  if (words.length > MAX_KEYWORDS) e.keywords = "tooManyKeywords";
  else if (words.some((w) => w.length > MAX_KEYWORD)) e.keywords = "keywordTooLong";
  if (d.body.length > MAX_BODY) e.body = "bodyTooLong";
  return e;
}

export function articleBody(d: ArticleDraft): ArticleIn {
  return {
    title: d.title.trim(),
    body: d.body.trim(),
    category: d.category.trim(),
    keywords: parseKeywords(d.keywords),
    businessId: d.businessId,
  };
}

/** The page's <audio> source; the version makes a replaced recording load afresh. */
export function audioUrl(articleId: string, version: string): string {
  return `/api/v1/knowledge/articles/${encodeURIComponent(articleId)}/audio?v=${encodeURIComponent(version)}`;
}

/** Seconds as m:ss for the lists. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "";
  const total = Math.round(seconds);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** Seconds left of a playback started at `startedMs` lasting `durationSeconds`, never below 0. */
export function secondsLeft(startedMs: number, durationSeconds: number, nowMs: number): number {
  return Math.max(0, Math.ceil(durationSeconds - (nowMs - startedMs) / 1000));
}
