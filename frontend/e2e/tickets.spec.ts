// CRM-5 tickets against a real back end (tests/e2e/backend.py): an agent opens a complaint in
// the portal's Tickets screen; the admin finds it by its coloured "Open" chip, assigns it to the
// agent, works it through the status workflow, records the reply to the customer and resolves
// it; the agent then sees it resolved with the whole history. On the seat console, a call
// offered to the agent (tests/e2e/seed_ticket_call.py, through the tenant's ACD) pops with the
// caller's open tickets, and the agent opens one from the call. Screenshots of each screen.
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
const tenant = `tk-${run}`;
const admin = { name: "Liu Yang", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };
const agent = { name: "Wang Fang", email: `agent-${run}@example.cn`, password: "Agent-Horse-4242" };
const subject = `Broadband down since Monday ${run}`;

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
        data: { companyName: `Tickets ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
      }),
    );
    await ok(await api.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
    const user = await ok<{ id: string }>(
      await api.post("/api/v1/users", { data: { email: agent.email, displayName: agent.name, role: "agent", password: agent.password } }),
    );
    // The agent's seat and queue, for the console test.
    tenantId = (await ok<{ tenantId: string }>(await api.get("/api/v1/auth/me"))).tenantId;
    const business = await ok<{ id: string }>(await api.post("/api/v1/businesses", { data: { name: "Service" } }));
    const ext = await ok<{ id: string }>(
      await api.post("/api/v1/extensions", { data: { number: "3001", password: "Sip-Secret-3001x", seatType: "webrtc", userId: user.id, businessId: business.id } }),
    );
    const profile = await ok<{ id: string }>(await api.post("/api/v1/acd/agents", { data: { userId: user.id, businessId: business.id, extensionId: ext.id } }));
    queueId = (await ok<{ id: string }>(await api.post("/api/v1/acd/queues", { data: { name: "Service", businessId: business.id, ringTimeout: 120 } }))).id;
    await ok(await api.put(`/api/v1/acd/agents/${profile.id}/queues`, { data: [{ queueId }] }));
  } finally {
    await api.dispose();
  }
});

test("an agent opens a ticket in the portal", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!, agent);
  await page.goto("/portal/tickets");
  await expect(page.getByRole("heading", { name: "Tickets" })).toBeVisible();
  await page.getByTestId("ticket-new").click();
  const form = page.getByTestId("ticket-form");
  await form.getByTestId("ticket-subject").fill(subject);
  await form.getByTestId("ticket-type").click();
  await page.getByRole("option", { name: "Complaint" }).click();
  await form.getByTestId("ticket-phone").fill("138 0013 8000");
  await form.getByLabel("Description").fill("The light on the router blinks red.");
  await shot(page, "tickets-agent-new");
  await form.getByRole("button", { name: "Create" }).click();

  // The new ticket opens in the drawer: open, blue, the number normalized.
  const detail = page.getByTestId("ticket-detail");
  await expect(detail.getByTestId("ticket-detail-subject")).toHaveText(subject);
  await expect(detail.getByTestId("ticket-status")).toHaveAttribute("data-status", "open");
  await expect(detail.getByTestId("ticket-detail-phone")).toHaveText("+8613800138000");
  await expect(detail.getByTestId("ticket-history-item")).toHaveCount(1);
  await shot(page, "tickets-agent-detail");
  await page.keyboard.press("Escape");
  const row = page.getByTestId("ticket-row").filter({ hasText: subject });
  await expect(row.getByTestId("ticket-status")).toHaveText("Open");
  await page.context().close();
});

test("the admin assigns it, works it and resolves it", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!, admin);
  await page.goto("/portal/tickets");
  const row = page.getByTestId("ticket-row").filter({ hasText: subject });
  await expect(row.getByTestId("ticket-status")).toHaveText("Open");
  // The chip carries the status colour (Mantine's blue for open).
  const colour = await row.getByTestId("ticket-status").evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(colour).not.toBe("rgba(0, 0, 0, 0)");
  await shot(page, "tickets-admin-list");
  await row.getByTestId("ticket-open").click();

  const detail = page.getByTestId("ticket-detail");
  await detail.getByTestId("ticket-assign").click();
  await page.getByRole("option", { name: agent.name }).click();
  await expect(detail.getByTestId("ticket-detail-assignee")).toHaveText(agent.name);
  await detail.getByTestId("move-in_progress").click();
  await expect(detail.getByTestId("ticket-status")).toHaveAttribute("data-status", "in_progress");
  await detail.getByTestId("ticket-reply").fill("Engineer visit booked for Friday morning.");
  await detail.getByTestId("ticket-reply-save").click();
  await expect(detail.getByText("Replied", { exact: true })).toBeVisible();
  // Resolved tickets cannot go back to "open": only back to work or closed.
  await detail.getByTestId("move-resolved").click();
  await expect(detail.getByTestId("ticket-status")).toHaveAttribute("data-status", "resolved");
  await expect(detail.getByTestId("ticket-moves").getByRole("button")).toHaveText(["In progress", "Closed"]);
  const history = detail.getByTestId("ticket-history-item");
  await expect(history).toHaveCount(5);
  await expect(history.nth(1)).toContainText(`assigned it to ${agent.name}`);
  await expect(history.nth(3)).toContainText("replied to the customer (Phone call)");
  await expect(history.nth(4)).toContainText("moved it from In progress to Resolved");
  await shot(page, "tickets-admin-resolved");
  await page.keyboard.press("Escape");
  await expect(row.getByTestId("ticket-status")).toHaveText("Resolved");

  // Filter by status: the resolved ticket is not among the open ones.
  await page.getByTestId("filter-status").focus(); // the pills' box covers the input
  await page.keyboard.press("ArrowDown");
  await page.getByRole("option", { name: "Open", exact: true }).click();
  await page.keyboard.press("Escape");
  await expect(page.getByText("No tickets match.")).toBeVisible();
  await page.context().close();
});

test("the agent sees it resolved, with its history, in Chinese too", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!, agent);
  await page.goto("/portal/tickets");
  const row = page.getByTestId("ticket-row").filter({ hasText: subject });
  await expect(row.getByTestId("ticket-status")).toHaveText("Resolved");
  await page.evaluate(() => localStorage.setItem("fastline.lang", "zh-CN"));
  await page.reload();
  await expect(page.getByRole("heading", { name: "工单" })).toBeVisible();
  await expect(row.getByTestId("ticket-status")).toHaveText("已解决");
  await row.getByTestId("ticket-open").click();
  await expect(page.getByTestId("ticket-history-item").last()).toContainText("已解决");
  await shot(page, "tickets-agent-zh");
  await page.context().close();
});

test("the agent opens a ticket from the call on the screen pop", async ({ browser, baseURL }) => {
  const page = await signedInPage(browser, baseURL!, agent);
  await page.goto("/seat");
  await expect(page.getByTestId("cti-connection")).toContainText("Connected");
  await ok(await page.context().request.post("/api/v1/cti/sign-in", { data: { ready: true } }));
  await expect(page.getByTestId("seat-state")).toHaveAttribute("data-state", "ready");

  // The caller of the first ticket calls again: the pop lists that open ticket.
  const port = new URL(baseURL!).port;
  const seeded = JSON.parse(
    execFileSync(python, [resolve(ROOT, "tests/e2e/seed_ticket_call.py"), "offer", tenantId, port, queueId, "+8613800138000"], { cwd: ROOT }).toString(),
  ) as { callKey: string };
  try {
    const pop = page.getByTestId("screen-pop");
    await expect(pop.getByTestId("pop-caller")).toHaveText("+8613800138000");
    const panel = pop.getByTestId("pop-tickets");
    await expect(panel.getByTestId("pop-ticket")).toHaveCount(0); // the first one is resolved
    await panel.getByTestId("pop-ticket-new").click();
    const form = page.getByTestId("ticket-form");
    await expect(form.getByTestId("ticket-form-phone")).toHaveText("+8613800138000");
    await form.getByTestId("ticket-subject").fill(`Asks about the engineer visit ${run}`);
    await shot(page, "tickets-seat-new-from-call");
    await form.getByRole("button", { name: "Create" }).click();
    await expect(panel.getByTestId("pop-ticket")).toHaveCount(1);
    await expect(panel.getByTestId("pop-ticket")).toContainText(`Asks about the engineer visit ${run}`);
    await expect(panel.getByTestId("ticket-status")).toHaveText("Open");
    await shot(page, "tickets-seat-pop");
  } finally {
    execFileSync(python, [resolve(ROOT, "tests/e2e/seed_ticket_call.py"), "hangup", tenantId, port, seeded.callKey], { cwd: ROOT });
  }
  // The ticket carries the call it was opened on.
  const list = await ok<{ items: { callKey: string | null; phone: string }[] }>(
    await page.context().request.get("/api/v1/tickets", { params: { callKey: seeded.callKey } }),
  );
  expect(list.items.map((t) => [t.callKey, t.phone])).toEqual([[seeded.callKey, "+8613800138000"]]);
  await page.context().close();
});
