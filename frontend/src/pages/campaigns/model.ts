// Campaign editor model (DIAL-1, DIAL-5, DIAL-8, DIAL-9) with the checks of
// app/dialer/campaigns.py, messages.py and schemas.py, the import progress shown while a lead list loads, and the error report
// (the /errors CSV: line, reason, detail, value) parsed for a table.
import type { Schemas } from "../../api/client";

export type CampaignIn = Schemas["CampaignIn"];
export type CampaignOut = Schemas["CampaignOut"];
export type ImportStatus = Schemas["ImportStatusOut"];
export type LeadList = Schemas["LeadListOut"];
export type Mode = CampaignIn["mode"];
export type SurveyTally = Schemas["SurveyTallyOut"];
export type Voice = "zh" | "en";

export const MODES: Mode[] = ["preview", "progressive", "predictive", "notification"];
/** Outcomes a retry rule can name (app/dialer/campaigns.py RETRY_OUTCOMES, commonest first). */
export const RETRY_OUTCOMES = ["busy", "no_answer", "machine", "failed", "abandoned", "answered"] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];
export const DAYS = [1, 2, 3, 4, 5, 6, 7] as const;
/** Keys a survey may offer (RFC 4733 events 0-11), in the order "add a key" proposes them. */
export const SURVEY_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"] as const;
export const VOICES: Voice[] = ["zh", "en"];
/** Modes whose agents take the calls: they may leave a message on answering machines. */
export const AGENT_DIALLING: Mode[] = ["progressive", "predictive"];
const MAX_SPOKEN = 2000; // app/ivr_builder/tts.py MAX_TEXT

export interface SurveyKeyRow {
  key: string;
  label: string;
}

export interface WindowRow {
  start: string;
  end: string;
  days: number[]; // empty = every day
}
export interface RetryRow {
  enabled: boolean;
  delayMinutes: number | string;
  maxAttempts: number | string;
}
export interface CampaignDraft {
  name: string;
  mode: Mode;
  businessId: string | null;
  startsOn: string;
  endsOn: string;
  windows: WindowRow[];
  timezone: string;
  trunkId: string;
  callerId: string;
  maxChannels: number | string;
  maxAttempts: number | string;
  retry: Record<RetryOutcome, RetryRow>;
  targetAbandonPercent: number | string; // the API takes a fraction; people think in percent
  manualRatio: number | string; // "" = automatic pacing
  maxRatio: number | string;
  minRingSeconds: number | string;
  agentIds: string[];
  groupIds: string[];
  script: string;
  // DIAL-8: what a notification campaign says (a prompt, else the text spoken)
  messagePromptId: string;
  messageText: string;
  messageVoice: Voice;
  surveyOn: boolean;
  surveyPromptId: string;
  surveyText: string;
  surveyKeys: SurveyKeyRow[];
  surveyRepeat: number | string;
  surveyTimeout: number | string;
  // progressive/predictive: left after an answering machine's beep
  machinePromptId: string;
  machineText: string;
}

export type Errors = Record<string, string>;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function draftFromCampaign(c?: CampaignOut | null): CampaignDraft {
  const rules = (c?.retryRules ?? {}) as Record<string, { delayMinutes: number; maxAttempts: number }>;
  const retry = Object.fromEntries(
    RETRY_OUTCOMES.map((o) => {
      const rule = rules[o];
      return [o, rule ? { enabled: true, delayMinutes: rule.delayMinutes, maxAttempts: rule.maxAttempts } : { enabled: false, delayMinutes: 60, maxAttempts: 3 }];
    }),
  ) as Record<RetryOutcome, RetryRow>;
  return {
    name: c?.name ?? "",
    mode: c?.mode ?? "preview",
    businessId: c?.businessId ?? null,
    startsOn: c?.startsOn ?? "",
    endsOn: c?.endsOn ?? "",
    windows: (c?.windows ?? [{ start: "09:00", end: "18:00", days: [1, 2, 3, 4, 5] }]).map((w) => ({ start: w.start, end: w.end, days: w.days ?? [] })),
    timezone: c?.timezone ?? "Asia/Shanghai",
    trunkId: c?.trunkId ?? "",
    callerId: c?.callerId ?? "",
    maxChannels: c?.maxChannels ?? 10,
    maxAttempts: c?.maxAttempts ?? 5,
    retry,
    targetAbandonPercent: round((c?.targetAbandonRate ?? 0.02) * 100, 2),
    manualRatio: c?.manualRatio ?? "",
    maxRatio: c?.maxRatio ?? 6,
    minRingSeconds: c?.minRingSeconds ?? 15,
    agentIds: c?.agentIds ?? [],
    groupIds: c?.groupIds ?? [],
    script: c?.script ?? "",
    messagePromptId: c?.messagePromptId ?? "",
    messageText: c?.messageText ?? "",
    messageVoice: c?.messageVoice ?? "zh",
    surveyOn: Boolean(c?.survey),
    surveyPromptId: c?.survey?.promptId ?? "",
    surveyText: c?.survey?.text ?? "",
    surveyKeys: c?.survey?.keys.map((k) => ({ key: k.key, label: k.label })) ?? [
      { key: "1", label: "" },
      { key: "2", label: "" },
    ],
    surveyRepeat: c?.survey?.repeat ?? 2,
    surveyTimeout: c?.survey?.timeoutSeconds ?? 5,
    machinePromptId: c?.machinePromptId ?? "",
    machineText: c?.machineText ?? "",
  };
}

/** The key "add a key" proposes: the first one the survey does not offer yet (null: all used). */
export function nextSurveyKey(rows: SurveyKeyRow[]): string | null {
  const used = new Set(rows.map((r) => r.key));
  return SURVEY_KEYS.find((k) => !used.has(k)) ?? null;
}

/** The survey's checks (app/dialer/messages.py survey_of), keyed like the form's fields. */
export function validateSurvey(d: CampaignDraft): Errors {
  const e: Errors = {};
  if (!d.surveyPromptId && !d.surveyText.trim()) e.surveyText = "surveyQuestion";
  if (d.surveyText.length > MAX_SPOKEN) e.surveyText = "tooLong";
  if (d.surveyKeys.length === 0) e.surveyKeys = "surveyKeys";
  const seen = new Set<string>();
  d.surveyKeys.forEach((row, i) => {
    if (!(SURVEY_KEYS as readonly string[]).includes(row.key)) e[`surveyKeys.${i}.key`] = "surveyKey";
    else if (seen.has(row.key)) e[`surveyKeys.${i}.key`] = "surveyKeyTwice";
    seen.add(row.key);
    const label = row.label.trim();
    if (!label || label.length > 100) e[`surveyKeys.${i}.label`] = "surveyLabel";
  });
  if (!inRange(d.surveyRepeat, 1, 5, true)) e.surveyRepeat = "range";
  if (!inRange(d.surveyTimeout, 1, 30)) e.surveyTimeout = "range";
  return e;
}

/** Can this campaign start as far as its message goes? (The server refuses a notification
 * campaign without a message when it is started, not when it is saved.) */
export function hasMessage(d: Pick<CampaignDraft, "messagePromptId" | "messageText">): boolean {
  return Boolean(d.messagePromptId) || d.messageText.trim() !== "";
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function num(value: number | string): number | null {
  if (value === "" || value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function inRange(value: number | string, min: number, max: number, integer = false): boolean {
  const n = num(value);
  return n !== null && n >= min && n <= max && (!integer || Number.isInteger(n));
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** Is `zone` an IANA zone this browser knows (the server checks against its own list)? */
export function knownZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function validateCampaign(d: CampaignDraft): Errors {
  const e: Errors = {};
  const name = d.name.trim();
  if (!name || name.length > 100) e.name = "name";
  if (d.startsOn && !DATE.test(d.startsOn)) e.startsOn = "date";
  if (d.endsOn && !DATE.test(d.endsOn)) e.endsOn = "date";
  if (!e.startsOn && !e.endsOn && d.startsOn && d.endsOn && d.endsOn < d.startsOn) e.endsOn = "endsBeforeStart";
  d.windows.forEach((w, i) => {
    if (!HHMM.test(w.start)) e[`windows.${i}.start`] = "time";
    if (!HHMM.test(w.end)) e[`windows.${i}.end`] = "time";
    if (HHMM.test(w.start) && HHMM.test(w.end) && minutesOf(w.end) <= minutesOf(w.start)) e[`windows.${i}.end`] = "windowOrder";
  });
  if (!knownZone(d.timezone)) e.timezone = "timezone";
  if (d.trunkId.trim() && !UUID_RE.test(d.trunkId.trim())) e.trunkId = "uuid";
  if (d.callerId.length > 32) e.callerId = "tooLong";
  if (!inRange(d.maxChannels, 1, 10_000, true)) e.maxChannels = "range";
  if (!inRange(d.maxAttempts, 1, 50, true)) e.maxAttempts = "range";
  for (const o of RETRY_OUTCOMES) {
    const r = d.retry[o];
    if (!r.enabled) continue;
    if (!inRange(r.delayMinutes, 0, 60 * 24 * 60, true)) e[`retry.${o}.delayMinutes`] = "range";
    if (!inRange(r.maxAttempts, 0, 50, true)) e[`retry.${o}.maxAttempts`] = "range";
  }
  const pct = num(d.targetAbandonPercent);
  if (pct === null || pct <= 0 || pct > 20) e.targetAbandonPercent = "abandonRate";
  if (!inRange(d.maxRatio, 1, 20)) e.maxRatio = "range";
  if (d.manualRatio !== "") {
    const max = num(d.maxRatio);
    if (!inRange(d.manualRatio, 1, 20)) e.manualRatio = "range";
    else if (max !== null && Number(d.manualRatio) > max) e.manualRatio = "manualRatio";
  }
  if (!inRange(d.minRingSeconds, 0, 120)) e.minRingSeconds = "range";
  if (d.script.length > 20_000) e.script = "tooLong";
  if (d.messageText.length > MAX_SPOKEN) e.messageText = "tooLong";
  if (d.machineText.length > MAX_SPOKEN) e.machineText = "tooLong";
  if (d.mode === "notification" && d.surveyOn) Object.assign(e, validateSurvey(d));
  return e;
}

export function campaignBody(d: CampaignDraft): CampaignIn {
  const retryRules: Record<string, { delayMinutes: number; maxAttempts: number }> = {};
  for (const o of RETRY_OUTCOMES) {
    const r = d.retry[o];
    if (r.enabled) retryRules[o] = { delayMinutes: Number(r.delayMinutes), maxAttempts: Number(r.maxAttempts) };
  }
  return {
    name: d.name.trim(),
    mode: d.mode,
    businessId: d.businessId,
    startsOn: d.startsOn || null,
    endsOn: d.endsOn || null,
    windows: d.windows.map((w) => ({ start: w.start, end: w.end, days: w.days.length ? [...w.days].sort() : null })),
    timezone: d.timezone,
    trunkId: d.trunkId.trim() || null,
    callerId: d.callerId.trim(),
    maxChannels: Number(d.maxChannels),
    maxAttempts: Number(d.maxAttempts),
    retryRules,
    targetAbandonRate: round(Number(d.targetAbandonPercent) / 100, 6),
    manualRatio: d.manualRatio === "" ? null : Number(d.manualRatio),
    maxRatio: Number(d.maxRatio),
    minRingSeconds: Number(d.minRingSeconds),
    agentIds: d.agentIds,
    groupIds: d.groupIds,
    script: d.script,
    messagePromptId: d.messagePromptId || null,
    messageText: d.messageText,
    messageVoice: d.messageVoice,
    // Only notification campaigns ask a survey (the server refuses one elsewhere).
    survey:
      d.mode === "notification" && d.surveyOn
        ? {
            promptId: d.surveyPromptId || null,
            text: d.surveyText,
            keys: d.surveyKeys.map((k) => ({ key: k.key, label: k.label.trim() })),
            repeat: Number(d.surveyRepeat),
            timeoutSeconds: Number(d.surveyTimeout),
          }
        : null,
    machinePromptId: d.machinePromptId || null,
    machineText: d.machineText,
  };
}

export interface TallyRow {
  key: string;
  label: string;
  count: number;
  share: number; // of the people who pressed a key, 0..1
}

/** The survey tally's rows with each key's share of the answers (DIAL-8). */
export function tallyRows(tally: Pick<SurveyTally, "keys" | "answered">): TallyRow[] {
  return tally.keys.map((k) => ({ ...k, share: tally.answered ? k.count / tally.answered : 0 }));
}

/** What a campaign in each status may do next (app/dialer/campaigns.py change_status). */
export function allowedActions(status: string): ("start" | "pause" | "finish")[] {
  switch (status) {
    case "draft":
      return ["start", "finish"];
    case "running":
      return ["pause", "finish"];
    case "paused":
      return ["start", "finish"];
    default:
      return [];
  }
}

// --- import progress -------------------------------------------------------------------------

export interface ProgressView {
  percent: number; // 0..100, whole numbers, never backwards past 100
  finished: boolean;
  failed: boolean;
  rows: number;
  rowsPerSecond: number;
  imported: number;
  rejected: number;
}

/** The bar's figures from an import status (`percent` may come as 0..100 with decimals). */
export function progressView(s: Pick<ImportStatus, "status" | "percent" | "rows" | "rowsPerSecond" | "imported" | "rejected">): ProgressView {
  const finished = s.status === "done" || s.status === "failed";
  const failed = s.status === "failed";
  const raw = Number.isFinite(s.percent) ? s.percent : 0;
  const percent = s.status === "done" ? 100 : Math.max(0, Math.min(failed ? 100 : 99, Math.floor(raw)));
  return {
    percent,
    finished,
    failed,
    rows: Math.max(0, s.rows || 0),
    rowsPerSecond: Math.max(0, Math.round(s.rowsPerSecond || 0)),
    imported: s.imported || 0,
    rejected: s.rejected || 0,
  };
}

/** Seconds left at the current speed, or null when unknown. */
export function etaSeconds(view: ProgressView): number | null {
  if (view.finished || view.percent <= 0 || view.rowsPerSecond <= 0 || view.rows <= 0) return null;
  const total = (view.rows * 100) / view.percent;
  return Math.max(0, Math.round((total - view.rows) / view.rowsPerSecond));
}

// --- CSV ---------------------------------------------------------------------------------------

/** RFC 4180 CSV (quotes, doubled quotes, CRLF or LF, newlines inside quotes) -> rows of cells. */
export function parseCsv(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < src.length) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && cell === "") quoted = true;
    else if (ch === delimiter) {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      if (ch === "\r" && src[i + 1] === "\n") i += 1;
    } else cell += ch;
    i += 1;
  }
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export interface ImportErrorRow {
  line: number;
  reason: string;
  detail: string;
  value: string;
}

/** The /errors CSV (header line,reason,detail,value) as rows sorted by line number. */
export function parseErrorReport(text: string): ImportErrorRow[] {
  const rows = parseCsv(text).filter((r) => r.some((c) => c !== ""));
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const at = (name: string, fallback: number) => (header.includes(name) ? header.indexOf(name) : fallback);
  const [li, ri, di, vi] = [at("line", 0), at("reason", 1), at("detail", 2), at("value", 3)];
  const body = header.includes("line") ? rows.slice(1) : rows;
  return body
    .map((r) => ({ line: Number.parseInt(r[li] ?? "", 10), reason: r[ri] ?? "", detail: r[di] ?? "", value: r[vi] ?? "" }))
    .filter((r) => Number.isFinite(r.line))
    .sort((a, b) => a.line - b.line);
}

/** The header row of a CSV file's first bytes (`,`, `;` or tab, whichever splits it most). */
export function csvHeader(firstChunk: string): string[] {
  const firstLine = parseCsv(firstChunk.split(/\r?\n/)[0] ?? "")[0] ?? [];
  const line = firstChunk.split(/\r?\n/)[0] ?? "";
  let best = firstLine;
  for (const d of [";", "\t"]) {
    const cells = parseCsv(line, d)[0] ?? [];
    if (cells.length > best.length) best = cells;
  }
  return best.map((c) => c.trim()).filter(Boolean);
}

const PHONE_NAMES = ["phone", "mobile", "tel", "telephone", "number", "电话", "手机", "号码", "手机号"];
const NAME_NAMES = ["name", "姓名", "客户", "名字", "customer"];
const ZONE_NAMES = ["timezone", "time_zone", "tz", "时区"];

function guess(header: string[], names: string[]): string | null {
  const lower = header.map((h) => h.toLowerCase());
  for (const n of names) {
    const i = lower.indexOf(n);
    if (i >= 0) return header[i];
  }
  for (const n of names) {
    const i = lower.findIndex((h) => h.includes(n));
    if (i >= 0) return header[i];
  }
  return null;
}

/** A first guess at the column mapping from the header. */
export function guessMapping(header: string[]): { phone: string | null; name: string | null; timezone: string | null } {
  return { phone: guess(header, PHONE_NAMES), name: guess(header, NAME_NAMES), timezone: guess(header, ZONE_NAMES) };
}

export function formatOf(fileName: string): "csv" | "xlsx" {
  return /\.xlsx$/i.test(fileName) ? "xlsx" : "csv";
}

/** Abandonment as a percentage with one decimal, e.g. 0.0312 -> "3.1%". */
export function percentLabel(rate: number): string {
  return `${round(rate * 100, 1).toFixed(1)}%`;
}
