// CRM-1 customer records against a real back end (tests/e2e/backend.py): the admin creates a
// customer with tags and a custom field in the portal's Customers screen and finds it by its
// Chinese name; on the seat console, an inbound call from that number (tests/e2e/
// seed_ticket_call.py, through the tenant's ACD) pops with the record at the top, and the agent
// edits it in place by keyboard; a caller without a record gets one created from the call.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, request, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const SHOTS = resolve(ROOT, "test-artifacts/screenshots");
const python = process.env.PYTHON ?? resolve(ROOT, ".venv/bin/python");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `cu-${run}`;
const admin = { name: "Liu Yang", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };
const agent = { name: "Wang Fang", email: `agent-${run}@example.cn`, password: "Agent-Horse-4242" };

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

async function signedInPage(browser: Browser, baseURL: string, who: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ baseURL, locale: "en-US" });
  await ok(await context.request.post("/api/v1/auth/login", { data: { tenant, email: who.email, password: who.password } }));
  return context.newPage();
}

let tenantId = "";
let queueId = "";

test.beforeAll(async ({ baseURL }) => {
  const api = await request.newContext({ baseURL });
  try {
    await ok(
      await api.post("/api/v1/signup", {
        data: { companyName: `Customers ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
      }),
    );
    await ok(await api.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
    const user = await ok<{ id: string }>(
      await api.post("/api/v1/users", { data: { email: agent.email, displayName: agent.name, role: "agent", password: agent.password } }),
    );
    tenantId = (await ok<{ tenantId: string }>(await api.get("/api/v1/auth/me"))).tenantId;
    const business = await ok<{ id: string }>(await api.post("/api/v1/businesses", { data: { name: "Service" } }));
    const ext = await ok<{ id: string }>(
      await api.post("/api/v1/extensions", { data: { number: "3101", password: "Sip-Secret-3101x", seatType: "webrtc", userId: user.id, businessId: business.id } }),
    );
    const profile = await ok<{ id: string }>(await api.post("/api/v1/acd/agents", { data: { userId: user.id, businessId: business.id, extensionId: ext.id } }));
    queueId = (await ok<{ id: string }>(await api.post("/api/v1/acd/queues", { data: { name: "Service", businessId: business.id, ringTimeout: 120 } }))).id;
    await ok(await api.put(`/api/v1/acd/agents/${profile.id}/queues`, { data: [{ queueId }] }));
  } finally {
    await api.dispose();
  }
});

test("the admin creates a customer and finds it in the portal", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!, admin);
  await page.goto("/portal");
  await page.getByTestId("main-nav").getByRole("link", { name: "Customers", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
  await page.getByTestId("customer-new").click();
  const form = page.getByTestId("customer-form");
  await form.getByTestId("customer-name-input").fill("张伟");
  await form.getByTestId("customer-company-input").fill("北京星辰科技");
  await form.getByTestId("customer-phones-input").fill("13800138000");
  await form.getByTestId("customer-phones-input").press("Enter");
  await form.getByTestId("customer-category-input").fill("vip");
  await form.getByTestId("customer-tags-input").fill("宽带");
  await form.getByTestId("customer-tags-input").press("Enter");
  await form.getByTestId("customer-add-field").click();
  await form.getByLabel("Field", { exact: true }).fill("会员号");
  await form.getByLabel("Value", { exact: true }).fill("A-1001");
  await shot(page, "customers-new");
  await form.getByRole("button", { name: "Create" }).click();
  await expect(form).toBeHidden();
  const rows = page.getByTestId("customer-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("张伟");
  await expect(rows.first()).toContainText("+8613800138000");
  await expect(rows.first()).toContainText("宽带");
  // Search by a name's start; another start finds nothing.
  await page.getByTestId("customer-filter-q").fill("张");
  await expect(rows).toHaveCount(1);
  await page.getByTestId("customer-filter-q").fill("李");
  await expect(page.getByText("No customers match.")).toBeVisible();
  await shot(page, "customers-list");
  await page.context().close();
});

test("the agent's screen pop shows the caller's record and edits it in place", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!, agent);
  await page.goto("/seat");
  await expect(page.getByTestId("cti-connection")).toContainText("Connected");
  await ok(await page.context().request.post("/api/v1/cti/sign-in", { data: { ready: true } }));
  await expect(page.getByTestId("seat-state")).toHaveAttribute("data-state", "ready");
  const port = new URL(baseURL!).port;
  const seed = (...args: string[]) => execFileSync(python, [resolve(ROOT, "tests/e2e/seed_ticket_call.py"), ...args], { cwd: ROOT }).toString();

  let seeded = JSON.parse(seed("offer", tenantId, port, queueId, "+8613800138000")) as { callKey: string };
  try {
    const panel = page.getByTestId("screen-pop").getByTestId("pop-customer");
    await expect(panel.getByTestId("customer-name")).toHaveText("张伟");
    await expect(panel.getByTestId("customer-tags")).toContainText("宽带");
    await expect(panel.getByTestId("customer-fields")).toContainText("会员号: A-1001");
    await shot(page, "customers-seat-pop");
    // Keyboard: focus Edit, open the form, type a note, save with Enter in a field.
    await panel.getByTestId("pop-customer-edit").focus();
    await page.keyboard.press("Enter");
    await panel.getByTestId("customer-notes-input").fill("Prefers afternoon calls");
    await panel.getByTestId("customer-company-input").press("Enter");
    await expect(panel.getByTestId("customer-notes")).toHaveText("Prefers afternoon calls");
  } finally {
    seed("hangup", tenantId, port, seeded.callKey);
  }

  // A caller without a record: the agent creates it from the call (the number comes from it).
  seeded = JSON.parse(seed("offer", tenantId, port, queueId, "+8613900139000")) as { callKey: string };
  try {
    const panel = page.getByTestId("screen-pop").getByTestId("pop-customer");
    await expect(panel).toContainText("No customer record for this caller yet.");
    await panel.getByTestId("pop-customer-create").click();
    await expect(panel.getByTestId("customer-form-phone")).toHaveText("+8613900139000");
    await panel.getByTestId("customer-name-input").fill("王芳");
    await shot(page, "customers-seat-create");
    await panel.getByRole("button", { name: "Create" }).click();
    await expect(panel.getByTestId("customer-name")).toHaveText("王芳");
    await expect(panel.getByTestId("customer-phones")).toHaveText("+8613900139000");
  } finally {
    seed("hangup", tenantId, port, seeded.callKey);
  }
  await page.context().close();
});
