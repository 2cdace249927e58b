// The portal against a real back end (tests/e2e/backend.py): one tenant's first day, in order.
import { readFileSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test, type Page } from "@playwright/test";

import { totp } from "./totp";

const SHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `e2e-${run}`;
const admin = { name: "Wang Fang", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };
// A DID belongs to one tenant platform-wide: each run uses its own.
const did = `400${String(Date.now()).slice(-7)}`;
const agent = { name: "Li Lei", email: `agent-${run}@example.cn`, password: "Agent-Horse-4242" };

test.describe.configure({ mode: "serial" });

/** A screenshot per screen, and the layout must not break at 1280x720. */
async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal scroll at 1280x720`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

async function nav(page: Page, label: string): Promise<void> {
  await page.getByTestId("main-nav").getByRole("link", { name: label, exact: true }).click();
}

async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.getByLabel("Company ID").fill(tenant);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel(/^Password/).fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
});

test.afterAll(async () => {
  await page.close();
});

test("sign up a tenant and land on the dashboard", async () => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await shot(page, "01-login");
  await page.getByRole("link", { name: "Sign up your company" }).click();
  await page.getByLabel("Company name").fill(`E2E Telesales ${run}`);
  await page.getByLabel("Company ID").fill(tenant);
  await page.getByLabel("Your name").fill(admin.name);
  await page.getByLabel("Your e-mail").fill(admin.email);
  await page.getByLabel(/^Password/).fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  // The server's problem detail is shown where the user is working.
  await expect(page.getByTestId("problem")).toContainText("at least 10 characters");
  await shot(page, "02-signup-problem");
  await page.getByLabel(/^Password/).fill(admin.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${admin.name}` })).toBeVisible();
  await expect(page).toHaveURL(/\/portal$/);
  await shot(page, "03-dashboard");
});

test("create an agent user", async () => {
  await nav(page, "Users & roles");
  await page.getByRole("button", { name: "New user" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("E-mail").fill(agent.email);
  await dialog.getByLabel("Name").fill(agent.name);
  await dialog.getByRole("combobox", { name: "Role" }).click();
  await page.getByRole("option", { name: "Agent" }).click();
  await dialog.getByLabel("Initial password").fill(agent.password);
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByTestId("users-table").getByRole("row", { name: new RegExp(agent.email) });
  await expect(row).toBeVisible();
  await page.getByLabel("Search").fill("li lei");
  await expect(page.getByTestId("users-table").getByRole("row")).toHaveCount(2);
  await shot(page, "04-users");
});

test("create a calendar and ask whether it is open at a time", async () => {
  await nav(page, "Calendars");
  await page.getByRole("link", { name: "New calendar" }).click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Office hours");
  // A mistake is flagged next to the field before the server is asked.
  await page.getByLabel("To 1").fill("09:00");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Start and end are the same")).toBeVisible();
  await page.getByLabel("To 1").fill("18:00");
  await page.getByRole("button", { name: "Add holiday" }).click();
  await page.getByLabel("Date 1").fill("2026-10-01");
  await page.getByRole("textbox", { name: "Name 1" }).fill("National Day");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Calendar Office hours saved")).toBeVisible();
  await expect(page).toHaveURL(/\/portal\/calendars\/[0-9a-f-]{36}$/);

  const tester = page.getByLabel("Date (Asia/Shanghai)");
  await tester.fill("2026-10-05T10:00"); // a Monday
  await page.getByRole("button", { name: "Check" }).click();
  await expect(page.getByTestId("open-result")).toContainText("Open");
  await expect(page.getByTestId("open-result")).toContainText("weekly Mon 09:00-18:00");
  await tester.fill("2026-10-01T10:00"); // National Day
  await page.getByRole("button", { name: "Check" }).click();
  await expect(page.getByTestId("open-result")).toContainText("Closed");
  await expect(page.getByTestId("open-result")).toContainText("holiday National Day");
  await shot(page, "05-calendar");
});

test("create a business on that calendar and give it a number", async () => {
  await nav(page, "Businesses");
  await page.getByRole("button", { name: "New business" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("Sales hotline");
  await dialog.getByRole("combobox", { name: "Calendar" }).click();
  await page.getByRole("option", { name: "Office hours" }).click();
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("businesses-table")).toContainText("Sales hotline");
  await shot(page, "06-businesses");

  await nav(page, "Numbers");
  await page.getByRole("button", { name: "Add number" }).click();
  await dialog.getByLabel("Number").fill(`${did.slice(0, 3)}-${did.slice(3, 6)}-${did.slice(6)}`);
  await dialog.getByRole("combobox", { name: "Type" }).click();
  await page.getByRole("option", { name: "400" }).click();
  await dialog.getByRole("combobox", { name: "Business" }).click();
  await page.getByRole("option", { name: "Sales hotline" }).click();
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("numbers-table")).toContainText(did);
  await shot(page, "07-numbers");
});

test("black-list a number and check it", async () => {
  await nav(page, "Black / white lists");
  await page.getByRole("button", { name: "Add to list" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Number").fill("138 0013 8000");
  await dialog.getByLabel("Note").fill("abusive caller");
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("lists-table")).toContainText("13800138000");
  await page.getByRole("textbox", { name: "Number" }).first().fill("13800138000");
  await page.getByRole("button", { name: "Check" }).click();
  await expect(page.getByTestId("check-result")).toContainText("13800138000 is on: Black list");
  await shot(page, "08-lists");
});

test("find these actions in the audit log and export it", async () => {
  await nav(page, "Audit log");
  const table = page.getByTestId("audit-table");
  for (const action of ["user.create", "calendar.create", "business.create", "number.add", "caller_list.add"]) {
    await expect(table.getByText(action, { exact: true })).toBeVisible();
  }
  await page.getByLabel("Search").fill("caller_list");
  await expect(table.getByRole("row")).toHaveCount(2);
  await expect(table).toContainText(admin.email);
  await shot(page, "09-audit");

  await page.getByRole("button", { name: "Export CSV" }).click();
  await expect(page.getByTestId("export-ready")).toBeVisible({ timeout: 30_000 });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  const csv = readFileSync(await download.path(), "utf-8");
  expect(csv).toContain("caller_list.add");
  expect(csv).toContain("user.create");
  await shot(page, "10-audit-export");
});

test("security settings and profile", async () => {
  await nav(page, "Security settings");
  await page.getByLabel("Password expires after (days)").fill("90");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved")).toBeVisible();
  await shot(page, "11-security");
  await nav(page, "My profile");
  await expect(page.getByTestId("profile-name")).toHaveText(admin.name);
  await shot(page, "12-profile");
});

test("switch to Chinese and see translated navigation", async () => {
  await page.getByRole("radiogroup", { name: /Language|语言/ }).getByText("中文", { exact: true }).click();
  const menu = page.getByTestId("main-nav");
  await expect(menu.getByRole("link", { name: "用户与角色" })).toBeVisible();
  await expect(menu.getByRole("link", { name: "审计日志" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  // The choice survives a reload.
  await page.reload();
  await expect(menu.getByRole("link", { name: "黑白名单" })).toBeVisible();
  await shot(page, "13-zh-nav");
  await page.getByRole("radiogroup", { name: /Language|语言/ }).getByText("English", { exact: true }).click();
  await expect(menu.getByRole("link", { name: "Users & roles" })).toBeVisible();
});

test("a locked account shows why, and an admin unlocks it", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  for (let i = 0; i < 3; i += 1) {
    await signIn(page, { email: agent.email, password: "not-the-password" });
    await expect(page.getByTestId("problem")).toContainText("Wrong company, e-mail or password");
  }
  await signIn(page, agent);
  await expect(page.getByTestId("problem")).toContainText("locked");
  await expect(page.getByText("Account locked")).toBeVisible();
  await shot(page, "14-login-locked");

  await signIn(page, admin);
  await expect(page.getByRole("heading", { name: `Welcome, ${admin.name}` })).toBeVisible();
  await nav(page, "Users & roles");
  const row = page.getByTestId("users-table").getByRole("row", { name: new RegExp(agent.email) });
  await expect(row.getByText("Locked")).toBeVisible();
  await row.getByRole("button", { name: "Unlock" }).click();
  await expect(row.getByText("Locked")).toBeHidden();
  await page.getByRole("button", { name: "Sign out" }).click();
});

test("the agent signs in with the keyboard and sees the profile and the seat console", async () => {
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Company ID").fill(tenant);
  await page.getByLabel("E-mail").fill(agent.email);
  await page.getByLabel(/^Password/).fill(agent.password);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/portal\/profile$/);
  const links = page.getByTestId("main-nav").getByRole("link");
  // Agents hear their own calls (REC-2): Recordings is theirs too.
  await expect(links).toHaveText(["Seat console", "Recordings", "Customers", "Tickets", "Knowledge base", "My profile"]);
  await expect(page.getByTestId("profile-name")).toHaveText(agent.name);
  // Keyboard: the skip link comes first and is visible when focused.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await shot(page, "15-agent-profile");
  // The server refuses what the navigation hides.
  await page.goto("/portal/users");
  await expect(page.getByTestId("problem")).toContainText("may not do this");
});

test("an admin turns on two-factor sign-in and is asked for the code", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, admin);
  await nav(page, "My profile");
  await page.getByRole("button", { name: "Turn on" }).click();
  const secret = (await page.locator("code").innerText()).trim();
  await page.getByLabel("Authenticator code").fill(totp(secret));
  await page.getByRole("button", { name: "Confirm with a code" }).click();
  await expect(page.getByText("On", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();

  await signIn(page, admin);
  await expect(page.getByTestId("problem")).toContainText("Enter the 6-digit code");
  await shot(page, "16-login-totp");
  await page.getByLabel("Authenticator code").fill(totp(secret));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${admin.name}` })).toBeVisible();
});
