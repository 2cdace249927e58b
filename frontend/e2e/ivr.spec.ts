// The IVR builder against a real back end: build play_prompt -> menu -> hang_up by drag and
// drop (palette onto the canvas, exits onto nodes, with real pointer events), see the server's
// errors on the nodes, save, publish, run it in the simulator with key 1 and watch the path
// light up; roll back a version; point a number at the flow. (IVR-1, IVR-3)
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test, type Locator, type Page } from "@playwright/test";

const SHOTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `ivr-${run}`;
const admin = { name: "Zhao Min", email: `ivr-${run}@example.cn`, password: "Correct-Horse-42" };
const did = `800${String(Date.now()).slice(-7)}`;

test.describe.configure({ mode: "serial" });

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
});

test.afterAll(async () => {
  await page.close();
});

async function shot(name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal scroll at 1280x720`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** Drag a palette item onto the canvas at (x, y) from the canvas's top-left (HTML5 drag and drop). */
async function dropNode(type: string, x: number, y: number): Promise<void> {
  await page.getByTestId(`palette-${type}`).dragTo(page.getByTestId("ivr-canvas"), { targetPosition: { x, y } });
}

async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = (await locator.boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drag from a node's exit handle to another node's input handle with the mouse. */
async function wire(from: string, exit: string, to: string): Promise<void> {
  const a = await centre(page.getByTestId(`exit-${from}-${exit}`));
  const b = await centre(page.getByTestId(`in-${to}`));
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId(`rf__edge-e:${from}:${exit}`)).toBeVisible();
}

/** Move a node by its header to (x, y) from the canvas's top-left, with the mouse. */
async function moveNode(id: string, x: number, y: number): Promise<void> {
  const head = page.getByTestId(`ivr-node-${id}`).locator(".ivr-node__head");
  const from = await centre(head);
  const canvas = (await page.getByTestId("ivr-canvas").boundingBox())!;
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(canvas.x + x, canvas.y + y, { steps: 8 });
  await page.mouse.up();
}

const props = () => page.getByTestId("ivr-props");

test("sign up and add a number", async () => {
  await page.goto("/signup");
  await page.getByLabel("Company name").fill(`IVR Builders ${run}`);
  await page.getByLabel("Company ID").fill(tenant);
  await page.getByLabel("Your name").fill(admin.name);
  await page.getByLabel("Your e-mail").fill(admin.email);
  await page.getByLabel(/^Password/).fill(admin.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${admin.name}` })).toBeVisible();
  const added = await page.request.post("/api/v1/numbers", { data: { number: did, kind: "800" } });
  expect(added.status()).toBe(201);
});

test("create a flow and build play prompt -> menu -> hang up by drag and drop", async () => {
  await page.getByTestId("main-nav").getByRole("link", { name: "IVR flows", exact: true }).click();
  await expect(page.getByRole("heading", { name: "IVR flows" })).toBeVisible();
  await page.getByRole("button", { name: "New flow" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("Hotline");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/ivr\/flows\/[0-9a-f-]+$/);
  await expect(page.getByTestId("ivr-flow-name")).toHaveText("Hotline");

  // A new flow is a single hang-up node; remove it and start from the palette.
  await page.getByTestId("ivr-node-start").click();
  await page.keyboard.press("Delete");
  await expect(page.getByTestId("ivr-node-start")).toHaveCount(0);

  await dropNode("play_prompt", 40, 140);
  await expect(page.getByTestId("ivr-node-n1")).toBeVisible();
  await props().getByLabel("Label").fill("Greeting");
  await props().getByLabel("Prompt file").fill("welcome");

  await dropNode("menu", 290, 260);
  await expect(page.getByTestId("ivr-node-n2")).toBeVisible();
  await props().getByLabel("Label").fill("Main menu");
  await props().getByLabel("Menu keys").fill("1");
  await expect(page.getByTestId("exit-n2-2")).toHaveCount(0);
  // The form checks the schema while typing.
  await props().getByLabel("Timeout (seconds)").fill("0");
  await expect(props()).toContainText("Must be more than 0");
  await props().getByLabel("Timeout (seconds)").fill("4");
  await expect(props()).not.toContainText("Must be more than 0");
  await props().getByLabel("Prompt file").fill("main-menu");

  // The keyboard way: select a palette item, press Enter.
  await page.getByTestId("palette-hang_up").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("ivr-node-n3")).toBeVisible();
  await moveNode("n3", 600, 120);
  await expect(page.getByTestId("ivr-node-n1")).toContainText("Start");

  // Nothing is wired yet: the server's errors land on the nodes and exits they name.
  await page.getByRole("button", { name: "Validate" }).click();
  await expect(page.getByTestId("ivr-error-list")).toContainText("n1");
  await expect(page.getByTestId("ivr-node-n1")).not.toHaveAttribute("data-errors", "0");
  await expect(page.getByTestId("ivr-node-n2").locator(".ivr-exit--error")).toContainText("retries used");
  await shot("ivr-01-canvas-errors");

  await wire("n1", "next", "n2");
  await wire("n2", "1", "n3");
  await wire("n2", "max_retries", "n3");
  await page.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByTestId("ivr-notice")).toHaveText("Draft v1 saved");
  await expect(page.getByTestId("ivr-node-n2")).toHaveAttribute("data-errors", "0");
  await expect(page.getByTestId("ivr-dirty")).toHaveCount(0);
  await shot("ivr-02-canvas-built");
});

test("publish and run the flow in the simulator with key 1", async () => {
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByTestId("ivr-notice")).toHaveText("Version 1 is live: new calls run it.");

  await page.getByRole("tab", { name: "Simulator" }).click();
  await page.getByLabel("Listen 1").fill("1");
  await page.getByRole("button", { name: "Run" }).click();
  const heard = page.getByTestId("ivr-sim-heard");
  await expect(heard.getByRole("listitem")).toHaveCount(2);
  await expect(heard.getByRole("listitem").nth(0)).toContainText("welcome");
  await expect(heard.getByRole("listitem").nth(1)).toContainText("main-menu");
  await expect(page.getByTestId("ivr-sim-ended")).toHaveText("The call left the IVR");
  // The path lights up in order: greeting, menu, hang-up, and the two exits taken.
  await expect(page.getByTestId("ivr-node-n3")).toHaveAttribute("data-lit", "true");
  await expect(page.getByTestId("ivr-node-n1")).toHaveAttribute("data-steps", "1");
  await expect(page.getByTestId("ivr-node-n2")).toHaveAttribute("data-steps", "2");
  await expect(page.getByTestId("ivr-node-n3")).toHaveAttribute("data-steps", "3");
  await expect(page.getByTestId("rf__edge-e:n1:next")).toHaveClass(/ivr-edge--lit/);
  await expect(page.getByTestId("rf__edge-e:n2:1")).toHaveClass(/ivr-edge--lit/);
  await expect(page.getByTestId("rf__edge-e:n2:max_retries")).not.toHaveClass(/ivr-edge--lit/);
  await shot("ivr-03-simulated");
});

test("publish a second version and roll back to the first", async () => {
  await page.getByTestId("ivr-node-n1").click();
  await page.getByRole("tab", { name: "Properties" }).click();
  await props().getByLabel("Prompt file").fill("welcome-v2");
  await expect(page.getByTestId("ivr-dirty")).toBeVisible();
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByTestId("ivr-notice")).toHaveText("Version 2 is live: new calls run it.");
  await page.getByRole("button", { name: "Versions" }).click();
  const drawer = page.getByRole("dialog");
  await expect(drawer.getByTestId("ivr-version-2")).toContainText("Published");
  await drawer.getByTestId("ivr-version-1").getByRole("button", { name: "Republish" }).click();
  await expect(page.getByTestId("ivr-notice")).toHaveText("Version 1 is live again.");
  // No draft is left, so the canvas shows the version now live.
  await page.getByTestId("ivr-node-n1").click();
  await expect(props().getByLabel("Prompt file")).toHaveValue("welcome");
});

test("point a number at the published flow", async () => {
  await page.getByRole("link", { name: "All flows" }).click();
  const row = page.getByTestId("ivr-flow-Hotline");
  await expect(row).toContainText("Published v1");
  await row.getByRole("combobox", { name: "Number: Hotline" }).click();
  await page.getByRole("option", { name: did }).click();
  await row.getByRole("button", { name: "Point a number here" }).click();
  await expect(row.getByTestId("ivr-flow-numbers")).toContainText(did);
  await shot("ivr-04-flows");
});

test("the builder speaks Chinese", async () => {
  await page.getByRole("radiogroup", { name: /Language|语言/ }).getByText("中文", { exact: true }).click();
  await expect(page.getByRole("heading", { name: "IVR 流程" })).toBeVisible();
  await page.getByRole("link", { name: "Hotline" }).click();
  await expect(page.getByTestId("palette-play_prompt")).toHaveText("播放语音");
  await page.getByTestId("ivr-node-n2").click();
  await expect(page.getByTestId("ivr-props")).toContainText("菜单按键");
  await shot("ivr-05-editor-zh");
});
