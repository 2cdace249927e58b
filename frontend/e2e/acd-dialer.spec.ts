// Queues, agents & skills and campaigns against a real back end (tests/e2e/backend.py: the API,
// a worker that runs lead imports). Operated by keyboard where a user would; each screen is
// checked for horizontal scrolling at 1280x720 and saved to test-artifacts/screenshots/.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";

const SHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `acd-${run}`;
const admin = { name: "Sun Li", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };
const agent = { name: "Zhou Xun", email: `zx-${run}@example.cn`, password: "Agent-Horse-4242" };

test.describe.configure({ mode: "serial" });

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal scroll at 1280x720`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

async function ok<T>(response: Awaited<ReturnType<APIRequestContext["post"]>>): Promise<T> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return (await response.json()) as T;
}

async function nav(page: Page, label: string): Promise<void> {
  await page.getByTestId("main-nav").getByRole("link", { name: label, exact: true }).click();
}

/** Pick an option of a Mantine Select with the keyboard only: focus, arrows, Enter. */
async function choose(page: Page, scope: Page | ReturnType<Page["getByRole"]>, label: string, option: string): Promise<void> {
  const box = scope.getByRole("textbox", { name: label, exact: true }).or(scope.getByRole("combobox", { name: label, exact: true })).first();
  await box.focus();
  await page.keyboard.press("ArrowDown"); // opens the list
  const wanted = page.getByRole("option", { name: option, exact: true });
  await wanted.waitFor();
  for (let i = 0; i < 40 && (await wanted.getAttribute("data-combobox-selected")) === null; i += 1) {
    await page.keyboard.press("ArrowDown");
  }
  await expect(wanted).toHaveAttribute("data-combobox-selected");
  await page.keyboard.press("Enter");
  await expect(wanted).toBeHidden();
}

let context: BrowserContext;
let page: Page;
let businessId = "";
let agentUserId = "";

test.beforeAll(async ({ browser, baseURL }) => {
  context = await browser.newContext({ baseURL });
  const api = context.request;
  await ok(
    await api.post("/api/v1/signup", {
      data: { companyName: `ACD ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
    }),
  );
  await ok(await api.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
  agentUserId = (await ok<{ id: string }>(await api.post("/api/v1/users", { data: { displayName: agent.name, email: agent.email, password: agent.password, role: "agent" } }))).id;
  businessId = (await ok<{ id: string }>(await api.post("/api/v1/businesses", { data: { name: "Support" } }))).id;
  await ok(await api.post("/api/v1/extensions", { data: { number: "3001", password: "Sip-Secret-3001x", seatType: "webrtc", businessId } }));
  page = await context.newPage();
});

test.afterAll(async () => {
  await context.close();
});

test("SEAT-2 SEAT-3: create an agent profile with a seat, skills and levels, and reason codes", async () => {
  await page.goto("/portal");
  await nav(page, "Agents & skills");
  await expect(page.getByRole("heading", { name: "Agents & skills" })).toBeVisible();
  await page.getByRole("button", { name: "New agent" }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  // Nothing chosen: flagged next to the fields before the server is asked.
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("Required").first()).toBeVisible();
  await choose(page, dialog, "User", `${agent.name} <${agent.email}>`);
  await choose(page, dialog, "Business", "Support");
  await choose(page, dialog, "Seat (extension)", "3001");
  await dialog.getByRole("button", { name: "Add skill" }).click();
  await dialog.getByLabel("Skill 1", { exact: true }).fill("Billing");
  await dialog.getByLabel("Level of skill 1").fill("8");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("Lower-case letters, digits, - and _")).toBeVisible();
  await dialog.getByLabel("Skill 1", { exact: true }).fill("billing");
  await dialog.getByLabel("Auto-answer").check();
  await dialog.getByLabel("Max after-call work (s)").fill("45");
  await dialog.getByRole("button", { name: "Create" }).press("Enter");
  await expect(dialog).toBeHidden();
  const row = page.getByTestId("agents-table").getByRole("row", { name: new RegExp(agent.name) });
  await expect(row).toContainText("3001");
  await expect(row).toContainText("billing 8");
  await expect(row).toContainText("45 s");

  // Reason codes: the defaults are shown; add one and save.
  await page.getByRole("button", { name: "Add reason" }).click();
  const n = await page.getByLabel(/^Code \d+$/).count();
  await page.getByLabel(`Code ${n}`, { exact: true }).fill("coaching");
  await page.getByLabel(`Label ${n}`, { exact: true }).fill("Coaching");
  await page.getByRole("button", { name: "Save" }).click();
  // Saved: the list is the server's again (no pending edits, nothing to cancel).
  await expect(page.getByRole("button", { name: "Cancel" })).toBeHidden();
  await expect(page.getByRole("button", { name: "Save" })).toBeDisabled();
  const reasons = await ok<{ code: string }[]>(await context.request.get("/api/v1/acd/reasons"));
  expect(reasons.map((r) => r.code)).toContain("coaching");
  await shot(page, "acd-01-agents");
});

test("SEAT-3 SEAT-4 SEAT-5: create a queue with strategy, timers, overflow, skills and a member tier", async () => {
  await nav(page, "Queues");
  await page.getByRole("button", { name: "New queue" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("1 to 100 characters")).toBeVisible();
  await dialog.getByRole("textbox", { name: "Name", exact: true }).fill("Billing support");
  await choose(page, dialog, "Business", "Support");
  await choose(page, dialog, "Strategy", "Best skills");
  await dialog.getByLabel("Ring timeout (s)").fill("25");
  await dialog.getByLabel("Max wait (s)").fill("120");
  await dialog.getByLabel("After-call work timeout (s)").fill("40");
  await choose(page, dialog, "Overflow", "External number");
  await dialog.getByLabel("Overflow target").fill("not a number");
  await dialog.getByRole("button", { name: "Add skill" }).click();
  await dialog.getByLabel("Skill 1", { exact: true }).fill("billing");
  await dialog.getByLabel("Level of skill 1").fill("5");
  // The agent of the business is listed; make them a member on tier 2 by keyboard.
  const member = dialog.getByLabel(`Member: ${agent.name}`);
  await member.focus();
  await page.keyboard.press("Space");
  await expect(member).toBeChecked();
  await dialog.getByLabel(`Tier of ${agent.name}`).fill("2");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("Not a phone number")).toBeVisible();
  await dialog.getByLabel("Overflow target").fill("13800138000");
  await shot(page, "acd-02-queue-form");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByTestId("queues-table").getByRole("row", { name: /Billing support/ });
  await expect(row).toContainText("Best skills");
  await expect(row).toContainText("25 s / 40 s / 120 s");
  await expect(row).toContainText("External number: 13800138000");
  await expect(row).toContainText("billing 5");
  await expect(row).toContainText("1");

  const queues = await ok<{ id: string; name: string; strategy: string; ringTimeout: number; overflowTarget: string; skills: Record<string, number> }[]>(
    await context.request.get("/api/v1/acd/queues"),
  );
  const queue = queues.find((q) => q.name === "Billing support");
  expect(queue).toMatchObject({ strategy: "skills", ringTimeout: 25, overflowTarget: "13800138000", skills: { billing: 5 } });
  const agents = await ok<{ userId: string; queues: { queueId: string; priority: number }[] }[]>(await context.request.get("/api/v1/acd/agents"));
  expect(agents.find((a) => a.userId === agentUserId)?.queues).toEqual([{ queueId: queue?.id, priority: 2 }]);

  // Edit: change the tier; the agents screen shows it.
  await page.getByRole("button", { name: "Edit: Billing support" }).click();
  await dialog.getByLabel(`Tier of ${agent.name}`).fill("0");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await shot(page, "acd-03-queues");
  await nav(page, "Agents & skills");
  await expect(page.getByTestId("agents-table").getByRole("row", { name: new RegExp(agent.name) })).toContainText("Billing support · tier 0");
});

function leadsCsv(): { csv: string; rows: number; bad: number[] } {
  const lines = ["name,phone,city"];
  const bad = [4, 7]; // file line numbers (the header is line 1)
  for (let line = 2; line <= 3001; line += 1) {
    const phone = line === 4 ? "12345" : line === 7 ? "not-a-number" : `138${String(line).padStart(8, "0")}`;
    lines.push(`Lead ${line},${phone},Shanghai`);
  }
  return { csv: `${lines.join("\n")}\n`, rows: 3000, bad };
}

let campaignUrl = "";

test("DIAL-1 DIAL-5: create a campaign, import a CSV with 2 bad rows, see 100% and the bad lines", async () => {
  await nav(page, "Campaigns");
  await page.getByRole("link", { name: "New campaign" }).click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Renewals Q4");
  await choose(page, page, "Mode", "Progressive");
  await page.getByLabel("Window 1 to").fill("08:00");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByText("The end must be after the start")).toBeVisible();
  await page.getByLabel("Window 1 to").fill("20:00");
  await page.getByLabel("Retry on Busy").check();
  await page.getByLabel("Delay for Busy").fill("30");
  await page.getByLabel("Target abandonment").fill("2.5");
  await page.getByLabel("Caller ID").fill("4008001234");
  await shot(page, "dial-01-campaign-form");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/portal\/campaigns\/[0-9a-f-]{36}\?tab=lists$/);
  campaignUrl = page.url();
  await expect(page.getByRole("tab", { name: "Lead lists" })).toHaveAttribute("aria-selected", "true");

  const { csv, rows, bad } = leadsCsv();
  await page.locator('input[type="file"]').setInputFiles({ name: "renewals.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  // The phone and name columns are guessed from the header.
  await expect(page.getByRole("textbox", { name: "Phone column" }).or(page.getByRole("combobox", { name: "Phone column" })).first()).toHaveValue("phone");
  await page.getByRole("button", { name: "Upload and import" }).click();
  const progress = page.getByTestId("import-progress");
  await expect(progress).toHaveAttribute("aria-valuenow", "100", { timeout: 30_000 });
  await expect(progress).toContainText("100%");
  await expect(progress).toContainText("rows/s");
  await expect(page.getByTestId("import-summary")).toHaveText(`Done: ${rows - bad.length} imported, ${bad.length} rejected.`);
  const errors = page.getByTestId("import-errors");
  await expect(errors.getByRole("row")).toHaveCount(1 + bad.length);
  const cells = await errors.locator("tbody tr td:first-child").allTextContents();
  expect(cells.map(Number)).toEqual(bad);
  await expect(errors.getByRole("row", { name: /^4 / })).toContainText("12345");
  await expect(errors.getByRole("row", { name: /^7 / })).toContainText("not-a-number");
  await shot(page, "dial-02-import-done");

  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download CSV" }).click();
  const file = await download;
  const text = readFileSync(await file.path(), "utf8");
  expect(text.replace(/^\uFEFF/, "").split(/\r?\n/)[0]).toBe("line,reason,detail,value"); // BOM for Excel
  expect(text).toContain("4,invalid_number");

  const list = page.getByTestId("lead-lists").getByRole("row", { name: /renewals/ });
  await expect(list).toContainText("Done");
  await expect(list).toContainText(String(rows - bad.length));
});

test("DIAL-9: dispositions, start / pause and the abandonment rate", async () => {
  await page.goto(campaignUrl);
  await page.getByRole("tab", { name: "Dispositions" }).click();
  await page.getByLabel("Code", { exact: true }).fill("Sale!");
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByText("Code: lower-case letters")).toBeVisible();
  await page.getByLabel("Code", { exact: true }).fill("sale");
  await page.getByLabel("Label", { exact: true }).fill("Renewed");
  await page.getByLabel("Success").check();
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.getByTestId("dispositions").getByRole("row", { name: /sale/ })).toContainText("Renewed");
  await shot(page, "dial-03-dispositions");

  await page.getByRole("button", { name: "Start: Renewals Q4" }).click();
  await expect(page.getByTestId("campaign-status")).toHaveText("Running");
  await page.getByRole("button", { name: "Pause: Renewals Q4" }).click();
  await expect(page.getByTestId("campaign-status")).toHaveText("Paused");

  await page.getByRole("tab", { name: "Abandonment" }).click();
  await expect(page.getByTestId("abandonment")).toContainText("0.0%");
  await expect(page.getByTestId("abandonment")).toContainText("target 2.5%");
  await shot(page, "dial-04-abandonment");

  // Edit the settings of the paused campaign.
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Max channels").fill("20");
  // A progressive campaign may leave a message on answering machines, after the beep.
  await expect(page.getByTestId("notification-message")).toHaveCount(0);
  await page.getByTestId("machine-message").getByLabel("Or text to speak").fill("您好，这里是续保提醒，我们稍后再联系您。");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved", { exact: true })).toBeVisible();
  const id = new URL(campaignUrl).pathname.split("/").pop() ?? "";
  const stored = await ok<{ maxChannels: number; retryRules: Record<string, unknown>; targetAbandonRate: number }>(await context.request.get(`/api/v1/dialer/campaigns/${id}`));
  expect(stored).toMatchObject({ maxChannels: 20, retryRules: { busy: { delayMinutes: 30, maxAttempts: 3 } }, targetAbandonRate: 0.025, machineText: "您好，这里是续保提醒，我们稍后再联系您。", survey: null });

  await nav(page, "Campaigns");
  const row = page.getByTestId("campaigns-table").getByRole("row", { name: /Renewals Q4/ });
  await expect(row).toContainText("Paused");
  await expect(row).toContainText("Progressive");
  await shot(page, "dial-05-campaigns");
});

test("DIAL-8: a notification campaign speaks its text and asks a survey; its results tab", async () => {
  await nav(page, "Campaigns");
  await page.getByRole("link", { name: "New campaign" }).click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Delivery notice");
  await choose(page, page, "Mode", "Notification");
  const message = page.getByTestId("notification-message");
  await expect(page.getByTestId("machine-message")).toHaveCount(0);
  await expect(message).toContainText("needs a recorded prompt or text before it can start");
  await message.getByLabel("Text to speak").fill("您好，您的包裹将于明天上午送达。");
  await message.getByLabel("Ask a survey after the message (one key)").check();
  const survey = page.getByTestId("survey");
  await page.getByLabel("Meaning of key 1").fill("Satisfied");
  await page.getByRole("button", { name: "Create" }).click();
  // No question yet and key 2 has no meaning: refused in the page, nothing sent.
  await expect(survey.getByText("The question: a recorded prompt or text to speak")).toBeVisible();
  await expect(survey.getByText("1 to 100 characters")).toBeVisible();
  await survey.getByLabel("Or question to speak").fill("满意请按1，不满意请按2，其他请按3。");
  await page.getByLabel("Meaning of key 2").fill("Not satisfied");
  await survey.getByRole("button", { name: "Add key" }).click();
  await page.getByLabel("Meaning of key 3").fill("Call me back");
  await shot(page, "dial-07-notification-form");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/portal\/campaigns\/[0-9a-f-]{36}\?tab=lists$/);
  const id = new URL(page.url()).pathname.split("/").pop() ?? "";
  const stored = await ok<Record<string, unknown>>(await context.request.get(`/api/v1/dialer/campaigns/${id}`));
  expect(stored).toMatchObject({
    mode: "notification",
    messageText: "您好，您的包裹将于明天上午送达。",
    messageVoice: "zh",
    survey: { keys: [{ key: "1", label: "Satisfied" }, { key: "2", label: "Not satisfied" }, { key: "3", label: "Call me back" }], repeat: 2, timeoutSeconds: 5 },
  });
  await page.getByRole("tab", { name: "Results" }).click();
  const keys = page.getByTestId("survey-keys");
  await expect(keys.getByRole("row")).toHaveCount(4);
  await expect(keys.getByRole("row", { name: /^2 / })).toContainText("Not satisfied");
  await expect(page.getByTestId("survey-tally")).toContainText("No calls yet.");
  await shot(page, "dial-08-survey-results");
});

test("SEAT-3 DIAL-1: the queue, agent and campaign screens in Chinese fit 1280x720", async () => {
  await page.goto(campaignUrl.replace(/\?.*$/, "?tab=lists"));
  await page.getByRole("radiogroup", { name: /Language|语言/ }).getByText("中文", { exact: true }).click();
  await expect(page.getByRole("tab", { name: "名单" })).toHaveAttribute("aria-selected", "true");
  await page.getByRole("button", { name: /^被拒绝的行/ }).click();
  await expect(page.getByTestId("import-errors").getByRole("row")).toHaveCount(3);
  await expect(page.getByTestId("import-errors")).toContainText("号码无效");
  await shot(page, "dial-06-zh-lists");
  const menu = page.getByTestId("main-nav");
  await menu.getByRole("link", { name: "队列", exact: true }).click();
  await expect(page.getByRole("heading", { name: "队列" })).toBeVisible();
  await expect(page.getByTestId("queues-table")).toContainText("技能最优");
  await shot(page, "acd-04-zh-queues");
  await menu.getByRole("link", { name: "坐席与技能", exact: true }).click();
  await expect(page.getByRole("heading", { name: "示忙原因代码" })).toBeVisible();
  await shot(page, "acd-05-zh-agents");
  await page.getByRole("radiogroup", { name: /Language|语言/ }).getByText("English", { exact: true }).click();
  await expect(menu.getByRole("link", { name: "Queues", exact: true })).toBeVisible();
});
