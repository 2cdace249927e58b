// EDGE-3 / TEN-9: an admin adds the company's carrier trunk in the portal and sees it listed;
// a campaign then picks it by name. Real back end (tests/e2e/backend.py); screenshots in
// test-artifacts/screenshots/ like the other screens (1280x720, no horizontal scrolling).
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";

const SHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `trunk-${run}`;
const admin = { name: "Wang Fang", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };
// TEST-NET-3 with the run in the last octets: another run's trunks never hold these addresses.
const octet = (parseInt(run.slice(-4), 36) % 200) + 20;
const source = `203.0.113.${octet}`;
const pair = octet - (octet % 2);
const theirs = `198.51.100.${pair}/31`; // another tenant's block

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

let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser, baseURL }) => {
  context = await browser.newContext({ baseURL });
  const api = context.request;
  await ok(
    await api.post("/api/v1/signup", {
      data: { companyName: `Trunk ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
    }),
  );
  await ok(await api.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
  await ok(await api.post("/api/v1/businesses", { data: { name: "Renewals" } }));
  page = await context.newPage();
  // Another company already holds a block: ours must be refused without naming them.
  const other = await browser.newContext({ baseURL });
  const slug = `other-${run}`;
  const email = `admin-${run}@other.example.cn`;
  await ok(await other.request.post("/api/v1/signup", { data: { companyName: `Other ${run}`, slug, adminName: "Li Lei", adminEmail: email, password: admin.password } }));
  await ok(await other.request.post("/api/v1/auth/login", { data: { tenant: slug, email, password: admin.password } }));
  await ok(await other.request.post("/api/v1/trunks", { data: { name: "Their line", host: "sip.other.example", sourceIps: [theirs] } }));
  await other.close();
});

test.afterAll(async () => {
  await context.close();
});

test("EDGE-3 TEN-9: add a carrier trunk with source addresses and see it listed", async () => {
  await page.goto("/portal");
  await page.getByTestId("main-nav").getByRole("link", { name: "Trunks", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Trunks" })).toBeVisible();
  await expect(page.getByTestId("trunks-table")).toContainText("No trunks yet");

  await page.getByRole("button", { name: "Add trunk" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("textbox", { name: "Name", exact: true }).fill("China Telecom Shanghai");
  await dialog.getByRole("textbox", { name: "Host", exact: true }).fill("sip.carrier.example");
  // A block with host bits set is caught before the server is asked, naming the entry.
  await dialog.getByRole("textbox", { name: "Source addresses" }).fill(`${source}\n198.51.100.9/24`);
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("198.51.100.9/24 has host bits set")).toBeVisible();
  await dialog.getByRole("textbox", { name: "Source addresses" }).fill(`${source}\n198.51.100.${pair + 1}`);
  await expect(dialog.getByText("has host bits set")).toBeHidden(); // corrected: no stale complaint
  await dialog.getByRole("textbox", { name: "Username", exact: true }).fill("fastline-acct");
  await dialog.getByLabel("Password", { exact: true }).fill("Carrier-Secret-9");
  await dialog.getByRole("textbox", { name: "Caller ID", exact: true }).fill("+862150001000");
  await dialog.getByRole("textbox", { name: "Max channels" }).fill("60");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("An address you entered is not available.")).toBeVisible();
  await expect(dialog).not.toContainText(`Other ${run}`);
  await expect(dialog).not.toContainText("Their line");
  await shot(page, "trunks-02-form");
  await dialog.getByRole("textbox", { name: "Source addresses" }).fill(`${source}\n198.51.100.${pair + 2}`);
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();

  const row = page.getByTestId("trunks-table").getByRole("row", { name: /China Telecom Shanghai/ });
  await expect(row).toContainText("UDP sip.carrier.example:5060");
  await expect(row).toContainText(`${source}, 198.51.100.${pair + 2}`);
  await expect(row).toContainText("60");
  await expect(row).toContainText("Active");
  const trunks = await ok<{ items: { name: string; hasPassword: boolean; username: string }[] }>(await context.request.get("/api/v1/trunks"));
  expect(trunks.items).toEqual([expect.objectContaining({ name: "China Telecom Shanghai", hasPassword: true, username: "fastline-acct" })]);
  await shot(page, "trunks-01-list");
});

test("DIAL-10: a campaign picks its trunk by name", async () => {
  await page.goto("/portal/campaigns/new");
  const trunk = page.getByRole("combobox", { name: "Trunk", exact: true });
  await trunk.click();
  await page.getByRole("option", { name: "China Telecom Shanghai", exact: true }).click();
  await expect(trunk).toHaveValue("China Telecom Shanghai");
});
