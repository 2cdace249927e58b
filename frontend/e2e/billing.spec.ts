// BILL-1 / BILL-2 against a real back end (tests/e2e/backend.py): an admin's rate table is
// saved through the API, three outbound CDRs of this month are seeded as callcontrol writes
// them (tests/integration/billing/e2e_seed.py), and the Billing page rates them with its
// button, shows the cost per seat and the total, tests a number against the prefixes, and
// stops outbound calling once the credit limit is below the unpaid cost.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, request, test, type APIRequestContext, type Page } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const SHOTS = resolve(ROOT, "test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });
const python = process.env.PYTHON ?? resolve(ROOT, ".venv/bin/python");

const run = Date.now().toString(36);
const tenant = `bill-${run}`;
const admin = { name: "Zhao Min", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };

const RATES = [
  { prefix: "", pricePerMinute: "1.00", initialIncrement: 60, increment: 60, description: "Rest of world" },
  { prefix: "86", pricePerMinute: "0.10", initialIncrement: 60, increment: 6, description: "China" },
  { prefix: "861", pricePerMinute: "0.12", initialIncrement: 6, increment: 6, description: "China mobile" },
  { prefix: "8610", pricePerMinute: "0.05", initialIncrement: 60, increment: 6, connectionFee: "0.02", description: "Beijing" },
];

async function ok<T>(response: Awaited<ReturnType<APIRequestContext["post"]>>): Promise<T> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return (await response.json()) as T;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

test.beforeAll(async ({ baseURL }) => {
  const api = await request.newContext({ baseURL });
  try {
    const signup = await ok<{ tenantId: string; token: string }>(
      await api.post("/api/v1/signup", {
        data: { companyName: `Billing ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
      }),
    );
    const headers = { Authorization: `Bearer ${signup.token}` };
    const agent = await ok<{ id: string }>(
      await api.post("/api/v1/users/", {
        headers,
        data: { email: `agent-${run}@example.cn`, displayName: "Wang Fang", role: "agent", password: admin.password },
      }),
    );
    await ok(await api.put("/api/v1/billing/rate-tables/outbound", { headers, data: { name: "China Telecom", currency: "CNY", rates: RATES } }));
    const port = new URL(baseURL!).port;
    execFileSync(python, [resolve(ROOT, "tests/integration/billing/e2e_seed.py"), signup.tenantId, port, agent.id], { cwd: ROOT });
  } finally {
    await api.dispose();
  }
});

test("the billing page rates seeded calls and shows the cost per seat, prefix test and credit limit", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, locale: "en-US" });
  await ok(await context.request.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
  const page = await context.newPage();
  await page.goto("/portal");
  await page.getByTestId("main-nav").getByRole("link", { name: "Billing" }).click();
  await expect(page).toHaveURL(/\/portal\/billing$/);

  // Rate: Beijing 75 s -> 78 s billed = 0.02 + 0.05*78/60 = 0.0850; mobile 10 s -> 12 s =
  // 0.0240; London 61 s -> 120 s at 1.00 = 2.0000. The back end's worker scheduler rates new
  // calls every minute too, so the button may find 0 to 3 of them left.
  await page.getByRole("button", { name: "Rate new calls" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^[0-3] calls? rated$/ })).toBeVisible();
  const usage = page.getByTestId("billing-usage");
  await expect(usage.getByRole("row", { name: /Wang Fang\s+2\s+1\.5\s+.*0\.1090/ })).toBeVisible();
  await expect(usage.getByRole("row", { name: /\(none\)\s+1\s+2\.0\s+.*2\.0000/ })).toBeVisible();
  await expect(page.getByTestId("billing-usage-total")).toContainText("2.1090");

  // The prefix test asks the server: +86 10 ... gets Beijing, 75 s cost 0.0850.
  await page.getByLabel("Number", { exact: true }).fill("+86 10 1234 5678");
  await page.getByLabel("Talk time (s)").fill("75");
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("prefix-result")).toHaveText("Prefix 8610 (Beijing): 78 s billed, cost 0.0850");

  // The rate editor shows the saved table; a duplicate prefix is caught before saving.
  const editor = page.getByTestId("rate-editor");
  await expect(editor.getByLabel("Prefix 4")).toHaveValue("8610");
  await page.getByRole("button", { name: "Add rate" }).click();
  await editor.getByLabel("Prefix 5").fill("86");
  await editor.getByLabel("Price / min 5").fill("0.2");
  await expect(page.getByTestId("rate-errors")).toContainText("Line 5: prefix 86 appears twice");
  await expect(page.getByRole("button", { name: "Save rate table" })).toBeDisabled();

  // Credit limit 1.00 below the 2.1090 unpaid: outbound calling stops.
  await page.getByLabel("Credit limit").fill("1.00");
  await page.getByRole("button", { name: "Save limit" }).click();
  await expect(page.getByTestId("billing-dial-state")).toContainText("Outbound calling stopped");
  await expect(page.getByTestId("billing-unpaid")).toContainText("2.1090");
  await shot(page, "billing-en");

  // The same screen in Chinese.
  await page.getByRole("radiogroup", { name: /Language|语言/ }).getByText("中文", { exact: true }).click();
  await expect(page.getByRole("heading", { name: "计费", level: 2 })).toBeVisible();
  await expect(page.getByTestId("billing-dial-state")).toContainText("已停止外呼");
  await expect(page.getByRole("columnheader", { name: "计费分钟" })).toBeVisible();
  await shot(page, "billing-zh");

  await context.close();
});
