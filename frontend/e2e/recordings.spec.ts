// REC-2 / REC-4 / REC-5 against a real back end (tests/e2e/backend.py): a call seeded into the
// tenant (tests/e2e/seed_calls.py writes the CDR and a real stereo WAV, as callcontrol and the
// recordings worker do) is found in the Calls page by its number, its recording plays in the
// page's <audio> element (served with HTTP Range), it turns "Listened", and the reports chart it.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, request, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const SHOTS = resolve(ROOT, "test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });
const python = process.env.PYTHON ?? resolve(ROOT, ".venv/bin/python");

const run = Date.now().toString(36);
const tenant = `rec-${run}`;
const admin = { name: "Sun Li", email: `sup-${run}@example.cn`, password: "Correct-Horse-42" };

test.describe.configure({ mode: "serial" });

async function ok<T>(response: Awaited<ReturnType<APIRequestContext["post"]>>): Promise<T> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return (await response.json()) as T;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal scroll at 1280x720`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

async function signedInPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, locale: "en-US" });
  await ok(await context.request.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
  return context.newPage();
}

let seeded: { callKey: string; recordingId: string; number: string };

test.beforeAll(async ({ baseURL }) => {
  const api = await request.newContext({ baseURL });
  try {
    const signup = await ok<{ tenantId: string }>(
      await api.post("/api/v1/signup", {
        data: { companyName: `Recordings ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
      }),
    );
    const port = new URL(baseURL!).port;
    const out = execFileSync(python, [resolve(ROOT, "tests/e2e/seed_calls.py"), signup.tenantId, port], { cwd: ROOT });
    seeded = JSON.parse(out.toString()) as typeof seeded;
  } finally {
    await api.dispose();
  }
});

test("find a seeded call in the Calls page and play its recording", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!);
  await page.goto("/portal");
  await page.getByTestId("main-nav").getByRole("link", { name: "Calls", exact: true }).click();
  await expect(page.getByTestId("call-row")).toHaveCount(3);
  await page.getByTestId("filter-number").fill(seeded.number);
  const row = page.getByTestId("call-row");
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-call-key", seeded.callKey);
  await expect(row).toContainText(`+86${seeded.number}`); // a supervisor-level user sees E.164
  await expect(row.getByTestId("listened-badge")).toHaveText("Not listened");
  await shot(page, "rec-01-calls-search");

  await row.getByRole("button", { name: "Details" }).click();
  const detail = page.getByTestId("call-detail");
  await expect(detail).toContainText("Sales hotline");
  await expect(detail.getByTestId("call-legs")).toContainText(`sip:${seeded.number}@carrier`);
  const audio = detail.getByTestId("recording-audio");
  await expect(audio).toHaveAttribute("src", `/api/v1/recordings/${seeded.recordingId}/audio`);
  // The click on "Details" was a user gesture: the page may start playback.
  await audio.evaluate((a: HTMLAudioElement) => a.play());
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 10_000 }).toBeGreaterThan(0.3);
  expect(await audio.evaluate((a: HTMLAudioElement) => Math.round(a.duration))).toBe(6);
  // Seeking (the server answers the browser's Range requests with 206).
  await audio.evaluate((a: HTMLAudioElement) => {
    a.currentTime = 4.5;
  });
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime)).toBeGreaterThanOrEqual(4.5);
  await shot(page, "rec-02-call-detail-playing");
  await audio.evaluate((a: HTMLAudioElement) => a.pause());
  await page.keyboard.press("Escape");
  // Playing marked it listened for this user.
  await expect(page.getByTestId("call-row").getByTestId("listened-badge")).toHaveText("Listened");
  await page.context().close();
});

test("the Recordings page lists it as listened, with a download link", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!);
  await page.goto("/portal/recordings");
  const row = page.getByTestId("recording-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("listened-badge")).toHaveText("Listened");
  await expect(row.getByRole("link", { name: "Download" })).toHaveAttribute("href", `/api/v1/recordings/${seeded.recordingId}/download`);
  const head = await page.request.get(`/api/v1/recordings/${seeded.recordingId}/audio`, { headers: { Range: "bytes=0-43" } });
  expect(head.status()).toBe(206);
  expect((await head.body()).subarray(0, 4).toString()).toBe("RIFF");
  await row.getByRole("button", { name: "Mark as not listened" }).click();
  await expect(row.getByTestId("listened-badge")).toHaveText("Not listened");
  await row.getByRole("button", { name: "Play" }).click();
  await expect(page.getByTestId("recording-audio")).toBeVisible();
  await shot(page, "rec-03-recordings");
  await page.context().close();
});

test("reports chart the seeded calls and export to Excel", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!);
  await page.goto("/portal/reports");
  await page.getByRole("tab", { name: "Queues" }).click();
  const table = page.getByTestId("queue-report");
  await expect(table).toContainText("Sales hotline");
  const cells = table.locator("tbody tr").first().locator("td");
  await expect(cells.nth(1)).toHaveText("3"); // offered
  await expect(cells.nth(2)).toHaveText("1"); // answered
  await expect(cells.nth(3)).toHaveText("2"); // abandoned
  await expect(page.getByTestId("report-chart").locator("rect")).not.toHaveCount(0);
  await shot(page, "rec-04-reports-queues");
  await page.getByRole("button", { name: "Export to Excel" }).click();
  const ready = page.getByTestId("export-ready");
  await expect(ready).toBeVisible({ timeout: 30_000 });
  const href = await ready.getByRole("link", { name: "Download" }).getAttribute("href");
  const file = await page.request.get(href!);
  expect(file.status()).toBe(200);
  expect(file.headers()["content-type"]).toContain("spreadsheetml");
  await page.getByRole("tab", { name: "Agents" }).click();
  const agentRow = page.getByTestId("agent-report").locator("tbody tr");
  await expect(agentRow).toHaveCount(1);
  await expect(agentRow.locator("td").nth(0)).toHaveText(admin.name); // the seeded call's agent
  await expect(agentRow.locator("td").nth(1)).toHaveText("1"); // calls
  await expect(agentRow.locator("td").nth(5)).toHaveText("1:26"); // talk time
  await shot(page, "rec-05-reports-agents");
  await page.context().close();
});

test("the same screens in Chinese fit at 1280x720", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!);
  await page.goto("/portal/calls");
  await page.getByText("中文", { exact: true }).click();
  await expect(page.getByRole("heading", { name: "通话记录" })).toBeVisible();
  await expect(page.getByTestId("call-row")).toHaveCount(3);
  await shot(page, "rec-06-calls-zh");
  await page.getByTestId("main-nav").getByRole("link", { name: "录音", exact: true }).click();
  await expect(page.getByTestId("recording-row")).toHaveCount(1);
  await shot(page, "rec-07-recordings-zh");
  await page.getByTestId("main-nav").getByRole("link", { name: "报表", exact: true }).click();
  await page.getByRole("tab", { name: "队列" }).click();
  await expect(page.getByTestId("queue-report")).toContainText("Sales hotline");
  await shot(page, "rec-08-reports-zh");
  await page.getByText("English", { exact: true }).click(); // leave the language as found
  await page.context().close();
});
