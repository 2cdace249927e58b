// API-1 / API-2 portal screens against a real back end (tests/e2e/backend.py): an admin creates
// an API client and sees its secret once, then a webhook with its signing secret once.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test, type Page } from "@playwright/test";

const SHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `e2e-api-${run}`;
const admin = { name: "Zhao Min", email: `admin-api-${run}@example.cn`, password: "Correct-Horse-42" };

test.describe.configure({ mode: "serial" });

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto("/signup");
  await page.getByLabel("Company name").fill(`API Partner ${run}`);
  await page.getByLabel("Company ID").fill(tenant);
  await page.getByLabel("Your name").fill(admin.name);
  await page.getByLabel("Your e-mail").fill(admin.email);
  await page.getByLabel(/^Password/).fill(admin.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/portal$/);
});

test.afterAll(async () => {
  await page.close();
});

async function shot(name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal scroll at 1280x720`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

test("create an API client and see its secret once", async () => {
  await page.getByTestId("main-nav").getByRole("link", { name: "API clients", exact: true }).click();
  await expect(page.getByRole("heading", { name: "API clients" })).toBeVisible();
  await page.getByRole("button", { name: "New API client" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("CRM sync");
  await dialog.getByLabel("Read queues and agents (agents:read)").check();
  await dialog.getByRole("button", { name: "Create" }).click();
  const secretBox = page.getByTestId("secret-value");
  await expect(secretBox).toContainText(/^fls_/);
  const secret = (await secretBox.textContent()) ?? "";
  expect(secret.length).toBeGreaterThan(20);
  await expect(page.getByTestId("secret-once")).toContainText("shown only this once");
  await shot("api-01-client-secret");
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByTestId("secret-value")).toHaveCount(0);
  const table = page.getByTestId("api-clients-table");
  await expect(table).toContainText("CRM sync");
  await expect(table).toContainText("agents:read");
  // Never again: not in the table, not after a reload.
  await expect(table).not.toContainText(secret);
  await page.reload();
  await expect(page.getByTestId("api-clients-table")).toContainText("CRM sync");
  await expect(page.locator("body")).not.toContainText(secret);
  await shot("api-02-clients");
  // The secret works at the token endpoint.
  const clientId = (await page.getByTestId("api-clients-table").locator("td").nth(1).textContent()) ?? "";
  const token = await page.request.post("/oauth/token", {
    form: { grant_type: "client_credentials", client_id: clientId, client_secret: secret },
  });
  expect(token.status()).toBe(200);
  expect((await token.json()).scope).toContain("agents:read");
});

test("revoke the client", async () => {
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("api-clients-table")).toContainText("Revoked");
});

test("create a webhook, see its signing secret once, send a test event", async () => {
  await page.getByTestId("main-nav").getByRole("link", { name: "Webhooks", exact: true }).click();
  await page.getByRole("button", { name: "New webhook" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("URL").fill("https://crm.example.cn/hooks/fastline");
  await dialog.getByLabel("call.state").check();
  await expect(dialog.getByLabel("Every event")).not.toBeChecked();
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(page.getByTestId("secret-value")).toContainText(/^whsec_/);
  await page.getByRole("button", { name: "I have copied it" }).click();
  const table = page.getByTestId("webhooks-table");
  await expect(table).toContainText("https://crm.example.cn/hooks/fastline");
  await expect(table).toContainText("call.state");
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByRole("status")).toContainText("Test event queued.");
  await page.getByRole("button", { name: "Deliveries" }).click();
  await expect(page.getByTestId("deliveries-table")).toContainText("webhook.test");
  await page.waitForTimeout(500); // the drawer's slide-in
  await shot("api-03-webhook-deliveries");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("deliveries-table")).toHaveCount(0);
});

test("a partner app gets a user's approval with authorization code + PKCE", async ({ baseURL }) => {
  const callback = `${baseURL}/partner-callback`;
  await page.getByTestId("main-nav").getByRole("link", { name: "API clients", exact: true }).click();
  await page.getByRole("button", { name: "New API client" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("Partner CRM");
  await dialog.getByLabel(/^Redirect URIs/).fill(callback);
  await dialog.getByRole("button", { name: "Create" }).click();
  const secret = (await page.getByTestId("secret-value").textContent()) ?? "";
  await page.getByRole("button", { name: "I have copied it" }).click();
  const row = page.getByTestId("api-clients-table").getByRole("row", { name: /Partner CRM/ });
  const clientId = (await row.locator("td").nth(1).textContent()) ?? "";

  const verifier = randomBytes(48).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: callback,
    scope: "calls:read",
    state: "st-42",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  await page.goto(`/oauth/authorize?${query}`);
  await expect(page).toHaveURL(/\/oauth\/consent\?/);
  await expect(page.getByTestId("consent")).toContainText("Partner CRM");
  await expect(page.getByTestId("consent")).toContainText("Read calls (calls:read)");
  await shot("api-04-consent");
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(/\/partner-callback\?/);
  const back = new URL(page.url());
  expect(back.searchParams.get("state")).toBe("st-42");
  const code = back.searchParams.get("code") ?? "";
  const token = await page.request.post("/oauth/token", {
    form: { grant_type: "authorization_code", code, redirect_uri: callback, code_verifier: verifier, client_id: clientId, client_secret: secret },
  });
  expect(token.status()).toBe(200);
  const access = (await token.json()).access_token as string;
  const calls = await page.request.get("/api/v1/calls/", { headers: { Authorization: `Bearer ${access}` } });
  expect(calls.status()).toBe(200);
});
