// CRM-4 knowledge base against a real back end (tests/e2e/backend.py): an admin writes an
// article in the portal, attaches a recording (converted by the server to 8 kHz WAV) and plays
// it in the page; an agent finds it from the seat console's FAQ panel by a Chinese word in the
// middle of a sentence, reads it, and sees that "play to caller" waits for a call.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, request, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const SHOTS = resolve(HERE, "../../test-artifacts/screenshots");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `kb-${run}`;
const admin = { name: "Liu Yang", email: `admin-${run}@example.cn`, password: "Correct-Horse-42" };
const agent = { name: "Zhou Xin", email: `agent-${run}@example.cn`, password: "Agent-Horse-4242" };
const article = {
  title: "退款流程",
  category: "售后",
  keywords: "退款, refund",
  body: "客户来电要求退款时，先核对订单号，再告诉客户款项将在三个工作日内原路退回。",
};

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

async function signedIn(browser: Browser, baseURL: string, who: { email: string; password: string }, locale = "en-US") {
  const context = await browser.newContext({ baseURL, locale });
  await ok(await context.request.post("/api/v1/auth/login", { data: { tenant, email: who.email, password: who.password } }));
  return context;
}

/** 1.5 s of a 440 Hz tone, 44.1 kHz stereo: the server must turn it into 8 kHz mono. */
function toneWav(seconds = 1.5, rate = 44100): Buffer {
  const frames = Math.round(seconds * rate);
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const s = Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    data.writeInt16LE(s, i * 4);
    data.writeInt16LE(s, i * 4 + 2);
  }
  const head = Buffer.alloc(44);
  head.write("RIFF", 0);
  head.writeUInt32LE(36 + data.length, 4);
  head.write("WAVEfmt ", 8);
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(2, 22);
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * 4, 28);
  head.writeUInt16LE(4, 32);
  head.writeUInt16LE(16, 34);
  head.write("data", 36);
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

test.beforeAll(async ({ baseURL }) => {
  const api = await request.newContext({ baseURL });
  try {
    await ok(
      await api.post("/api/v1/signup", {
        data: { companyName: `Knowledge ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
      }),
    );
    await ok(await api.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
    const user = await ok<{ id: string }>(
      await api.post("/api/v1/users", { data: { displayName: agent.name, email: agent.email, password: agent.password, role: "agent" } }),
    );
    const business = await ok<{ id: string }>(await api.post("/api/v1/businesses", { data: { name: "After-sales" } }));
    const ext = await ok<{ id: string }>(
      await api.post("/api/v1/extensions", {
        data: { number: "3001", password: "Sip-Secret-3001x", seatType: "webrtc", userId: user.id, businessId: business.id },
      }),
    );
    await ok(await api.post("/api/v1/acd/agents", { data: { userId: user.id, businessId: business.id, extensionId: ext.id } }));
  } finally {
    await api.dispose();
  }
});

test("an admin writes an article, attaches a recording and plays it in the page", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, admin);
  const page = await context.newPage();
  await page.goto("/portal");
  await page.getByTestId("main-nav").getByRole("link", { name: "Knowledge base", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Knowledge base" })).toBeVisible();
  await page.getByTestId("kb-new").click();
  const dialog = page.getByRole("dialog");
  // The form says what is missing before anything is sent.
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toContainText("Give the article a title.");
  await dialog.getByTestId("kb-title").fill(article.title);
  await dialog.getByTestId("kb-category").fill(article.category);
  await dialog.getByTestId("kb-keywords").fill(article.keywords);
  await dialog.getByTestId("kb-body").fill(article.body);
  await shot(page, "kb-01-new-article");
  await dialog.getByRole("button", { name: "Save" }).click();
  // Saved: the dialog turns into the editor, where the recording can be attached.
  await expect(dialog.getByRole("heading", { name: "Edit article" })).toBeVisible();
  await dialog.locator('input[type="file"]').setInputFiles({ name: "退款说明.wav", mimeType: "audio/wav", buffer: toneWav() });
  await dialog.getByTestId("kb-audio-upload").click();
  await expect(dialog.getByTestId("kb-audio-length")).toContainText("Audio saved: 1.5 s");
  const audio = dialog.getByTestId("kb-audio-player");
  await audio.evaluate((a: HTMLAudioElement) => {
    a.muted = true;
    return a.play();
  });
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 10_000 }).toBeGreaterThan(0.2);
  expect(await audio.evaluate((a: HTMLAudioElement) => Math.round(a.duration * 10) / 10)).toBe(1.5);
  await shot(page, "kb-02-article-audio");
  await page.keyboard.press("Escape");

  // Found by a word inside the sentence; the list shows the recording's length.
  await page.getByTestId("kb-search").fill("工作日");
  const row = page.getByTestId("kb-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(article.title);
  await expect(row).toContainText("0:02");
  await page.getByTestId("kb-search").fill("发票");
  await expect(page.getByText("No article matches.")).toBeVisible();
  await page.getByTestId("kb-search").fill("refund");
  await expect(row).toHaveCount(1);
  await shot(page, "kb-03-portal-search");
  await context.close();
});

test("an agent finds the article in the seat console's FAQ panel", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, agent);
  const page = await context.newPage();
  await page.goto("/seat");
  const panel = page.getByTestId("kb-panel");
  await expect(panel).toContainText("Type a word to search the knowledge base.");
  await panel.getByTestId("kb-panel-search").fill("原路退回");
  const result = panel.getByTestId("kb-panel-result");
  await expect(result).toHaveCount(1);
  await expect(result).toContainText(article.title);
  await result.click();
  await expect(panel.getByTestId("kb-panel-body")).toHaveText(article.body);
  // No call yet: the recording can be heard here, not played to a caller.
  await expect(panel.getByTestId("kb-play-to-caller")).toBeDisabled();
  await expect(panel).toContainText("Play to caller works while you talk to a caller.");
  await shot(page, "kb-04-seat-faq");
  // The API says the same: nobody to play to.
  const articleId = (await ok<{ items: { id: string }[] }>(await page.request.get("/api/v1/knowledge/articles?q=退款"))).items[0].id;
  const refused = await page.request.post(`/api/v1/knowledge/articles/${articleId}/play`);
  expect(refused.status()).toBe(409);
  expect((await refused.json()).code).toBe("no_call");
  await context.close();
});

test("the FAQ panel speaks Chinese", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, agent, "zh-CN");
  const page = await context.newPage();
  await page.goto("/seat");
  const panel = page.getByTestId("kb-panel");
  await expect(panel.getByRole("heading", { name: "常见问题" })).toBeVisible();
  await panel.getByTestId("kb-panel-search").fill("退款");
  await panel.getByTestId("kb-panel-result").click();
  await expect(panel.getByTestId("kb-play-to-caller")).toContainText("放给客户听");
  await shot(page, "kb-05-seat-faq-zh");
  await context.close();
});
