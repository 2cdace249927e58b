import { describe, expect, it } from "vitest";

import {
  allowedActions,
  campaignBody,
  csvHeader,
  draftFromCampaign,
  etaSeconds,
  formatOf,
  guessMapping,
  hasMessage,
  nextSurveyKey,
  parseCsv,
  parseErrorReport,
  percentLabel,
  progressView,
  tallyRows,
  validateCampaign,
  type CampaignOut,
} from "./model";

const named = () => ({ ...draftFromCampaign(), name: "Renewals" });

describe("campaign form (DIAL-1, DIAL-5)", () => {
  it("accepts the defaults once named", () => {
    expect(validateCampaign(draftFromCampaign())).toEqual({ name: "name" });
    expect(validateCampaign(named())).toEqual({});
  });

  it("checks windows: HH:MM, end after start (no crossing midnight)", () => {
    const d = { ...named(), windows: [{ start: "9:00", end: "18:00", days: [] }, { start: "20:00", end: "02:00", days: [] }, { start: "10:00", end: "10:00", days: [] }] };
    expect(validateCampaign(d)).toEqual({ "windows.0.start": "time", "windows.1.end": "windowOrder", "windows.2.end": "windowOrder" });
  });

  it("checks dates, zone, trunk id, ratios and the abandonment target", () => {
    expect(validateCampaign({ ...named(), startsOn: "2026-12-01", endsOn: "2026-11-30" })).toEqual({ endsOn: "endsBeforeStart" });
    expect(validateCampaign({ ...named(), timezone: "Mars/Olympus" })).toEqual({ timezone: "timezone" });
    expect(validateCampaign({ ...named(), trunkId: "trunk-1" })).toEqual({ trunkId: "uuid" });
    expect(validateCampaign({ ...named(), manualRatio: 4, maxRatio: 3 })).toEqual({ manualRatio: "manualRatio" });
    expect(validateCampaign({ ...named(), manualRatio: 0.5 })).toEqual({ manualRatio: "range" });
    expect(validateCampaign({ ...named(), targetAbandonPercent: 0 })).toEqual({ targetAbandonPercent: "abandonRate" });
    expect(validateCampaign({ ...named(), targetAbandonPercent: 25 })).toEqual({ targetAbandonPercent: "abandonRate" });
    expect(validateCampaign({ ...named(), maxChannels: 0, maxAttempts: 51 })).toEqual({ maxChannels: "range", maxAttempts: "range" });
  });

  it("checks only the retry rules that are switched on", () => {
    const d = named();
    d.retry.busy = { enabled: true, delayMinutes: -5, maxAttempts: 3 };
    d.retry.machine = { enabled: false, delayMinutes: -5, maxAttempts: 99 };
    expect(validateCampaign(d)).toEqual({ "retry.busy.delayMinutes": "range" });
  });

  it("builds the API body: percent -> fraction, empty -> null, rules only when on", () => {
    const d = named();
    d.retry.no_answer = { enabled: true, delayMinutes: "120", maxAttempts: 2 };
    const body = campaignBody({ ...d, targetAbandonPercent: 2.5, windows: [{ start: "09:00", end: "12:00", days: [3, 1] }, { start: "14:00", end: "18:00", days: [] }] });
    expect(body.targetAbandonRate).toBe(0.025);
    expect(body.manualRatio).toBeNull();
    expect(body.trunkId).toBeNull();
    expect(body.startsOn).toBeNull();
    expect(body.retryRules).toEqual({ no_answer: { delayMinutes: 120, maxAttempts: 2 } });
    expect(body.windows).toEqual([{ start: "09:00", end: "12:00", days: [1, 3] }, { start: "14:00", end: "18:00", days: null }]);
  });

  it("round-trips a stored campaign", () => {
    const d = named();
    d.retry.busy = { enabled: true, delayMinutes: 30, maxAttempts: 4 };
    const body = campaignBody({ ...d, manualRatio: 2 });
    expect(campaignBody(draftFromCampaign({ ...body, id: "c1", status: "draft" }))).toEqual(body);
  });

  it("offers the status changes the server allows", () => {
    expect(allowedActions("draft")).toEqual(["start", "finish"]);
    expect(allowedActions("running")).toEqual(["pause", "finish"]);
    expect(allowedActions("paused")).toEqual(["start", "finish"]);
    expect(allowedActions("finished")).toEqual([]);
  });
});

describe("import progress", () => {
  const status = { status: "running", percent: 42.7, rows: 42_000, rowsPerSecond: 21_000.4, imported: 0, rejected: 3 };
  it("shows whole percents and rows per second while running", () => {
    expect(progressView(status)).toEqual({ percent: 42, finished: false, failed: false, rows: 42_000, rowsPerSecond: 21_000, imported: 0, rejected: 3 });
  });
  it("never shows 100% before the import is done, and always 100% when it is", () => {
    expect(progressView({ ...status, percent: 100 }).percent).toBe(99);
    expect(progressView({ ...status, percent: 130 }).percent).toBe(99);
    expect(progressView({ ...status, percent: -3 }).percent).toBe(0);
    expect(progressView({ ...status, percent: Number.NaN }).percent).toBe(0);
    const done = progressView({ ...status, status: "done", percent: 0, imported: 9, rejected: 2 });
    expect(done).toMatchObject({ percent: 100, finished: true, failed: false, imported: 9, rejected: 2 });
    expect(progressView({ ...status, status: "failed" })).toMatchObject({ finished: true, failed: true });
  });
  it("estimates the time left from the speed", () => {
    expect(etaSeconds(progressView({ ...status, percent: 25, rows: 1000, rowsPerSecond: 100 }))).toBe(30);
    expect(etaSeconds(progressView({ ...status, rowsPerSecond: 0 }))).toBeNull();
    expect(etaSeconds(progressView({ ...status, status: "done" }))).toBeNull();
  });
});

describe("error report", () => {
  it("parses the /errors CSV by line number, with quoted cells", () => {
    const text =
      'line,reason,detail,value\r\n7,invalid_number:too_short,"number too short, 3 digits",123\r\n3,duplicate_in_file,the same number as line 2,+8613800138000\r\n12,missing_phone,no phone number,\r\n';
    expect(parseErrorReport(text)).toEqual([
      { line: 3, reason: "duplicate_in_file", detail: "the same number as line 2", value: "+8613800138000" },
      { line: 7, reason: "invalid_number:too_short", detail: "number too short, 3 digits", value: "123" },
      { line: 12, reason: "missing_phone", detail: "no phone number", value: "" },
    ]);
    expect(parseErrorReport("line,reason,detail,value\n")).toEqual([]);
    expect(parseErrorReport("")).toEqual([]);
  });

  it("parses CSV edge cases", () => {
    expect(parseCsv('a,"b ""q""",c\n"multi\nline",2,3')).toEqual([
      ["a", 'b "q"', "c"],
      ["multi\nline", "2", "3"],
    ]);
    expect(parseCsv("\ufeffx;y", ";")).toEqual([["x", "y"]]);
  });
});

describe("column mapping", () => {
  it("reads the header with the delimiter that splits it most", () => {
    expect(csvHeader("name,phone,city\nLi,138,BJ")).toEqual(["name", "phone", "city"]);
    expect(csvHeader("姓名;手机;备注\r\n李雷;138;x")).toEqual(["姓名", "手机", "备注"]);
    expect(csvHeader("a\tb\n1\t2")).toEqual(["a", "b"]);
  });
  it("guesses phone, name and time zone columns", () => {
    expect(guessMapping(["Name", "Mobile", "TZ"])).toEqual({ phone: "Mobile", name: "Name", timezone: "TZ" });
    expect(guessMapping(["姓名", "手机号"])).toEqual({ phone: "手机号", name: "姓名", timezone: null });
    expect(guessMapping(["x"])).toEqual({ phone: null, name: null, timezone: null });
  });
  it("knows the format from the file name and formats rates", () => {
    expect(formatOf("leads.XLSX")).toBe("xlsx");
    expect(formatOf("leads.csv")).toBe("csv");
    expect(percentLabel(0.0312)).toBe("3.1%");
    expect(percentLabel(0)).toBe("0.0%");
  });
});

describe("notification message, survey and machine message (DIAL-8)", () => {
  const notice = () => ({ ...named(), mode: "notification" as const, messageText: "您的包裹明天送达。", surveyOn: true, surveyText: "满意请按一", surveyKeys: [{ key: "1", label: "满意" }, { key: "2", label: "不满意" }] });

  it("sends the survey only for notification campaigns, keys with trimmed labels", () => {
    const body = campaignBody({ ...notice(), surveyKeys: [{ key: "1", label: " 满意 " }], surveyRepeat: "3", surveyTimeout: 8 });
    expect(body.survey).toEqual({ promptId: null, text: "满意请按一", keys: [{ key: "1", label: "满意" }], repeat: 3, timeoutSeconds: 8 });
    expect(body.messageText).toBe("您的包裹明天送达。");
    expect(body.messagePromptId).toBeNull();
    expect(campaignBody({ ...notice(), mode: "progressive" }).survey).toBeNull();
    expect(campaignBody({ ...notice(), surveyOn: false }).survey).toBeNull();
    expect(campaignBody({ ...named(), mode: "predictive", machineText: "稍后再联系您" }).machineText).toBe("稍后再联系您");
  });

  it("round-trips a saved campaign's survey and message", () => {
    const body = campaignBody(notice());
    const draft = draftFromCampaign({ ...body, id: "c1", status: "draft" } as CampaignOut);
    expect(draft.surveyOn).toBe(true);
    expect(draft.surveyKeys).toEqual([{ key: "1", label: "满意" }, { key: "2", label: "不满意" }]);
    expect(draftFromCampaign({ ...body, survey: null, id: "c2" } as CampaignOut).surveyOn).toBe(false);
  });

  it("checks the survey as the server does", () => {
    expect(validateCampaign(notice())).toEqual({});
    expect(validateCampaign({ ...notice(), surveyText: "" })).toEqual({ surveyText: "surveyQuestion" });
    expect(validateCampaign({ ...notice(), surveyText: "", surveyPromptId: "p1" })).toEqual({});
    expect(validateCampaign({ ...notice(), surveyKeys: [{ key: "1", label: "a" }, { key: "1", label: "" }] })).toEqual({ "surveyKeys.1.key": "surveyKeyTwice", "surveyKeys.1.label": "surveyLabel" });
    expect(validateCampaign({ ...notice(), surveyKeys: [] })).toEqual({ surveyKeys: "surveyKeys" });
    expect(validateCampaign({ ...notice(), surveyKeys: [{ key: "A", label: "x" }] })).toEqual({ "surveyKeys.0.key": "surveyKey" });
    expect(validateCampaign({ ...notice(), surveyRepeat: 6, surveyTimeout: 0.5 })).toEqual({ surveyRepeat: "range", surveyTimeout: "range" });
    // A survey switched on but the campaign is not a notification one: not sent, not checked.
    expect(validateCampaign({ ...notice(), mode: "progressive", surveyKeys: [] })).toEqual({});
    expect(validateCampaign({ ...notice(), messageText: "x".repeat(2001) })).toEqual({ messageText: "tooLong" });
  });

  it("proposes the next unused key and knows whether there is a message", () => {
    expect(nextSurveyKey([{ key: "1", label: "" }, { key: "2", label: "" }])).toBe("3");
    expect(nextSurveyKey([])).toBe("1");
    expect(nextSurveyKey(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"].map((key) => ({ key, label: "x" })))).toBeNull();
    expect(hasMessage({ messagePromptId: "", messageText: "  " })).toBe(false);
    expect(hasMessage({ messagePromptId: "p", messageText: "" })).toBe(true);
  });

  it("gives each key its share of the answers", () => {
    const rows = tallyRows({ answered: 4, keys: [{ key: "1", label: "满意", count: 3 }, { key: "2", label: "不满意", count: 1 }] });
    expect(rows.map((r) => r.share)).toEqual([0.75, 0.25]);
    expect(tallyRows({ answered: 0, keys: [{ key: "1", label: "a", count: 0 }] })[0].share).toBe(0);
  });
});
