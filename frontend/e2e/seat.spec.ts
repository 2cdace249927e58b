// The agent seat console and the supervisor wallboard against a real back end and a real
// Kamailio (tests/e2e/backend.py starts it; its ports are in test-artifacts/e2e-logs/edge.json).
// (a) the wallboard shows an agent's state changes live, driven through the CTI REST API;
// (b) the agent signs in on the console and JsSIP registers through Kamailio over WebSocket.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, request, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const SHOTS = resolve(HERE, "../../test-artifacts/screenshots");
const EDGE_INFO = resolve(HERE, "../../test-artifacts/e2e-logs/edge.json");
mkdirSync(SHOTS, { recursive: true });

const run = Date.now().toString(36);
const tenant = `seat-${run}`;
const admin = { name: "Zhao Min", email: `sup-${run}@example.cn`, password: "Correct-Horse-42" };
const agent = { name: "Chen Jing", email: `seat-${run}@example.cn`, password: "Agent-Horse-4242" };
const extension = { number: "2001", password: "Sip-Secret-2001x" };

test.describe.configure({ mode: "serial" });

interface Edge {
  wsUrl: string;
  ctlSocket: string;
  callcontrolPort?: number;
}
function edge(): Edge {
  return JSON.parse(readFileSync(EDGE_INFO, "utf8")) as Edge;
}

async function ok<T>(response: Awaited<ReturnType<APIRequestContext["post"]>>): Promise<T> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return (await response.json()) as T;
}

async function signedIn(browser: Browser, baseURL: string, who: { email: string; password: string }) {
  const context = await browser.newContext({ baseURL });
  await ok(await context.request.post("/api/v1/auth/login", { data: { tenant, email: who.email, password: who.password } }));
  return context;
}

let adminApi: APIRequestContext;
let agentApi: APIRequestContext;
let agentUserId = "";
let tenantId = "";
// A DID belongs to one tenant platform-wide: each run uses its own.
const did = `401${String(Date.now()).slice(-7)}`;

test.beforeAll(async ({ baseURL }) => {
  adminApi = await request.newContext({ baseURL });
  await ok(
    await adminApi.post("/api/v1/signup", {
      data: { companyName: `Seat ${run}`, slug: tenant, adminName: admin.name, adminEmail: admin.email, password: admin.password },
    }),
  );
  await ok(await adminApi.post("/api/v1/auth/login", { data: { tenant, email: admin.email, password: admin.password } }));
  const user = await ok<{ id: string }>(
    await adminApi.post("/api/v1/users", {
      data: { displayName: agent.name, email: agent.email, password: agent.password, role: "agent" },
    }),
  );
  agentUserId = user.id;
  const business = await ok<{ id: string }>(await adminApi.post("/api/v1/businesses", { data: { name: "Telesales" } }));
  const businessId = business.id;
  await ok(await adminApi.post("/api/v1/numbers", { data: { number: did, businessId } }));
  tenantId = (await ok<{ tenantId: string }>(await adminApi.get("/api/v1/auth/me"))).tenantId;
  const ext = await ok<{ id: string }>(
    await adminApi.post("/api/v1/extensions", {
      data: { number: extension.number, password: extension.password, seatType: "webrtc", userId: agentUserId, businessId },
    }),
  );
  const profile = await ok<{ id: string }>(
    await adminApi.post("/api/v1/acd/agents", { data: { userId: agentUserId, businessId, extensionId: ext.id } }),
  );
  const queue = await ok<{ id: string }>(
    await adminApi.post("/api/v1/acd/queues", { data: { name: "Sales", businessId } }),
  );
  await ok(await adminApi.put(`/api/v1/acd/agents/${profile.id}/queues`, { data: [{ queueId: queue.id }] }));
  agentApi = await request.newContext({ baseURL });
  await ok(await agentApi.post("/api/v1/auth/login", { data: { tenant, email: agent.email, password: agent.password } }));
});

test.afterAll(async () => {
  await adminApi?.dispose();
  await agentApi?.dispose();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

test("the wallboard shows an agent's state changes live", async ({ browser, baseURL }) => {
  const context = await signedIn(browser, baseURL!, admin);
  const page = await context.newPage();
  await page.goto("/wallboard");
  await expect(page.getByTestId("wallboard-live")).toHaveText("Live");
  const row = page.getByTestId("wallboard-agent").filter({ hasText: agent.name });
  await expect(row.getByTestId("agent-state")).toHaveAttribute("data-state", "signed_out");

  // The agent's own CTI calls, as the console would make them; the board follows each one.
  await ok(await agentApi.post("/api/v1/cti/sign-in", { data: { ready: true } }));
  await expect(row.getByTestId("agent-state")).toHaveAttribute("data-state", "ready");
  await expect(page.getByTestId("wallboard-queues")).toContainText("Sales");
  const reasons = await ok<{ reasons: { code: string }[] }>(await agentApi.get("/api/v1/cti/me"));
  const reason = reasons.reasons[0].code;
  await ok(await agentApi.post("/api/v1/cti/not-ready", { data: { reason } }));
  await expect(row.getByTestId("agent-state")).toHaveAttribute("data-state", "not_ready");
  await expect(row.getByTestId("agent-reason")).toHaveText(reason);
  // Time in state ticks in the browser without a new message.
  await expect(row.getByTestId("agent-in-state")).toHaveText(/0:0[2-9]/, { timeout: 8_000 });
  await shot(page, "wallboard-live");

  // SEAT-7: force ready from the board, then the (not yet served) listen-in shows the problem.
  await row.getByRole("button", { name: "Force ready" }).click();
  await expect(row.getByTestId("agent-state")).toHaveAttribute("data-state", "ready");
  await ok(await agentApi.post("/api/v1/cti/sign-out"));
  await expect(row.getByTestId("agent-state")).toHaveAttribute("data-state", "signed_out");

  // DIAL-9: the supervisor sets the agents' marquee here (the console shows it in the next test).
  const editor = page.getByTestId("marquee-editor");
  await editor.getByRole("textbox").fill("Go team: 3 sales to the bonus!\nLunch at 12:30");
  await editor.getByRole("button", { name: "Save the marquee" }).click();
  await expect(editor.getByRole("status")).toHaveText("Saved: agents see it now");
  await context.close();
});

test("the agent signs in on the console and the softphone registers through Kamailio", async ({ browser, baseURL }) => {
  test.skip(!existsSync(EDGE_INFO), "no Kamailio edge in this run (FASTLINE_E2E_KAMAILIO=0)");
  const context = await signedIn(browser, baseURL!, agent);
  const page = await context.newPage();
  await page.goto("/seat");
  await expect(page.getByTestId("cti-connection")).toContainText("Connected");
  await expect(page.getByTestId("seat-state")).toHaveAttribute("data-state", "signed_out");
  await expect(page.getByTestId("marquee")).toContainText("Go team: 3 sales to the bonus!");
  await expect(page.getByTestId("today")).toBeVisible(); // DIAL-9 counters

  // The state bar, by keyboard: sign in (not ready), then ready.
  await page.getByRole("button", { name: "Sign in" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("seat-state")).toHaveAttribute("data-state", "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await expect(page.getByTestId("seat-state")).toHaveAttribute("data-state", "ready");
  await expect(page.getByTestId("all-busy")).toHaveAttribute("data-busy", "false");

  // The softphone: the extension password is typed once (the API never returns it).
  const phone = page.getByTestId("softphone");
  await phone.getByLabel("SIP WebSocket server").fill(edge().wsUrl);
  await phone.getByLabel("SIP domain").fill(`${tenant}.sip.fastline.local`);
  await phone.getByLabel("Extension password").fill(extension.password);
  await phone.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("sip-registration")).toHaveAttribute("data-state", "registered");

  // Kamailio's own location table has the browser's contact (WebSocket transport).
  const dump = execFileSync("kamcmd", ["-s", `unix:${edge().ctlSocket}`, "ul.dump"]).toString();
  expect(dump).toContain(`${extension.number}@${tenant}.sip.fastline.local`);
  expect(dump.toLowerCase()).toContain("transport=ws");
  await shot(page, "seat-registered");

  await phone.getByRole("button", { name: "Unregister" }).click();
  await expect(page.getByTestId("sip-registration")).toHaveAttribute("data-state", "unregistered");
  // The console speaks Chinese too.
  await page.getByText("中文", { exact: true }).click();
  await expect(page.getByRole("heading", { name: "坐席工作台" })).toBeVisible();
  await shot(page, "seat-zh");
  await page.getByText("English", { exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByTestId("seat-state")).toHaveAttribute("data-state", "signed_out");
  await context.close();
});

// (c) A real WebRTC call: SIPp calls the tenant's number straight into callcontrol (as the edge
// would hand it over, X-Fastline headers), callcontrol plays the welcome prompt and rings the
// agent's WebRTC seat through Kamailio; the agent answers in the page and getStats() shows audio
// both ways (SIPp echoes ours through rtpengine: Opus/ICE/DTLS-SRTP <-> G.711 RTP).
test("a customer call rings the WebRTC seat, is answered, and audio flows both ways", async ({ browser, baseURL }) => {
  test.skip(!existsSync(EDGE_INFO), "no Kamailio edge in this run (FASTLINE_E2E_KAMAILIO=0)");
  const info = edge();
  test.skip(!info.callcontrolPort, "no callcontrol in this run (FASTLINE_E2E_CALLCONTROL=0)");
  const context = await signedIn(browser, baseURL!, agent);
  const page = await context.newPage();
  await page.goto("/seat");
  const phone = page.getByTestId("softphone");
  await phone.getByLabel("SIP WebSocket server").fill(info.wsUrl);
  await phone.getByLabel("SIP domain").fill(`${tenant}.sip.fastline.local`);
  await phone.getByLabel("Extension password").fill(extension.password);
  await phone.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("sip-registration")).toHaveAttribute("data-state", "registered");
  const sipp = spawn(
    "sipp",
    [
      `127.0.0.1:${info.callcontrolPort}`,
      "-sf", resolve(HERE, "sipp/customer_echo.xml"),
      "-s", did, "-key", "tenant", tenantId,
      "-m", "1", "-i", "127.0.0.1", "-p", String(31000 + (process.pid % 9000)),
      "-mp", String(41000 + 2 * (process.pid % 4000)), "-rtp_echo", "-timeout", "60s",
    ],
    { stdio: "ignore" },
  );
  try {
    await expect(page.getByTestId("call-status")).toHaveAttribute("data-phase", "incoming", { timeout: 20_000 });
    await shot(page, "seat-incoming");
    await page.keyboard.press("Alt+A"); // answer from the keyboard
    await expect(page.getByTestId("call-status")).toHaveAttribute("data-phase", "active");
    // RTCPeerConnection.getStats() in the page: audio flows both ways (SIPp echoes ours).
    const stats = page.getByTestId("media-stats");
    await expect
      .poll(async () => Number(await stats.getAttribute("data-received")), { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(Number(await stats.getAttribute("data-sent"))).toBeGreaterThan(0);
    await shot(page, "seat-in-call");
    await page.getByRole("button", { name: "Hang up" }).click();
    await expect(page.getByTestId("call-status")).toHaveAttribute("data-phase", "ended");
  } finally {
    sipp.kill();
  }

  // Wrap-up (SEAT-6, DIAL-7): the form is about the call the phone rang with (X-Call-Key).
  const wrapup = page.getByTestId("wrapup");
  await wrapup
    .getByRole("textbox", { name: "Disposition", exact: true })
    .or(wrapup.getByRole("combobox", { name: "Disposition", exact: true }))
    .first()
    .click();
  await page.getByRole("option", { name: "Sale" }).click();
  await wrapup.getByLabel("Note").fill("Wants the yearly plan");
  await wrapup.getByRole("button", { name: "Save wrap-up" }).click();
  await expect(page.getByTestId("wrapup-saved")).toBeVisible();
  await shot(page, "seat-wrapup");
  await context.close();

  // The supervisor finds the call by its disposition and plays its recording (REC-1, REC-2,
  // REC-5): callcontrol recorded it in rtpengine and a worker turned the capture into a WAV.
  const supervisor = await signedIn(browser, baseURL!, admin);
  const portal = await supervisor.newPage();
  const row = portal.getByTestId("call-row");
  await expect
    .poll(
      async () => {
        await portal.goto("/portal/calls");
        await portal.getByRole("textbox", { name: "Disposition" }).fill("sale");
        await expect(row).toHaveCount(1);
        return row.getByTestId("listened-badge").count();
      },
      { timeout: 45_000, intervals: [1_000] },
    )
    .toBe(1);
  await expect(row).toContainText("sale");
  await expect(row).toContainText(agent.name);
  await shot(portal, "seat-call-found");
  await row.getByRole("button", { name: "Details" }).click();
  const audio = portal.getByTestId("call-detail").getByTestId("recording-audio");
  await audio.evaluate((a: HTMLAudioElement) => a.play());
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 10_000 }).toBeGreaterThan(0.2);
  expect(await audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeGreaterThan(1);
  await shot(portal, "seat-call-recording");
  await supervisor.close();
});

// EDGE-2, SEAT-3: the usual inbound path — the number's IVR flow queues the caller and the ACD
// offers the call to the browser seat, which must get ICE + DTLS-SRTP from rtpengine (a plain
// RTP offer is refused by the browser). Answered in the page; getStats() shows audio both ways.
test("a caller queued by an IVR flow reaches the browser seat with audio both ways", async ({ browser, baseURL }) => {
  test.skip(!existsSync(EDGE_INFO), "no Kamailio edge in this run (FASTLINE_E2E_KAMAILIO=0)");
  const info = edge();
  test.skip(!info.callcontrolPort, "no callcontrol in this run (FASTLINE_E2E_CALLCONTROL=0)");
  const queuedDid = `402${String(Date.now()).slice(-7)}`;
  const businessId = (await ok<{ items: { id: string }[] }>(await adminApi.get("/api/v1/businesses"))).items[0].id;
  const number = await ok<{ id: string }>(await adminApi.post("/api/v1/numbers", { data: { number: queuedDid, businessId } }));
  const queues = await ok<{ id: string; name: string }[]>(await adminApi.get("/api/v1/acd/queues"));
  const queueId = queues.find((q) => q.name === "Sales")!.id;
  const flow = await ok<{ id: string }>(
    await adminApi.post("/api/v1/ivr/flows", {
      data: {
        name: "Queue to sales",
        document: {
          start: "q",
          nodes: [
            { id: "q", type: "queue", params: { queue: queueId }, exits: { overflow: "bye" } },
            { id: "bye", type: "hang_up", params: { reason: "overflow" }, exits: {} },
          ],
        },
      },
    }),
  );
  await ok(await adminApi.post(`/api/v1/ivr/flows/${flow.id}/publish`));
  await ok(await adminApi.put(`/api/v1/ivr/flows/${flow.id}/numbers/${number.id}`));

  const context = await signedIn(browser, baseURL!, agent);
  const page = await context.newPage();
  await page.goto("/seat");
  const phone = page.getByTestId("softphone");
  await phone.getByLabel("SIP WebSocket server").fill(info.wsUrl);
  await phone.getByLabel("SIP domain").fill(`${tenant}.sip.fastline.local`);
  await phone.getByLabel("Extension password").fill(extension.password);
  await phone.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("sip-registration")).toHaveAttribute("data-state", "registered");
  await ok(await agentApi.post("/api/v1/cti/sign-in", { data: { ready: true } }));
  const sipp = spawn(
    "sipp",
    [
      `127.0.0.1:${info.callcontrolPort}`,
      "-sf", resolve(HERE, "sipp/customer_echo.xml"),
      "-s", queuedDid, "-key", "tenant", tenantId,
      "-m", "1", "-i", "127.0.0.1", "-p", String(32000 + (process.pid % 9000)),
      "-mp", String(49000 + 2 * (process.pid % 4000)), "-rtp_echo", "-timeout", "60s",
    ],
    { stdio: "ignore" },
  );
  try {
    await expect(page.getByTestId("call-status")).toHaveAttribute("data-phase", "incoming", { timeout: 25_000 });
    await page.keyboard.press("Alt+A");
    await expect(page.getByTestId("call-status")).toHaveAttribute("data-phase", "active");
    const stats = page.getByTestId("media-stats");
    await expect
      .poll(async () => Number(await stats.getAttribute("data-received")), { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(Number(await stats.getAttribute("data-sent"))).toBeGreaterThan(0);
    await shot(page, "seat-queued-call");

    // SEAT-8, REC-2: the pop lists the same customer's earlier call (the one answered and
    // wrapped up above), with its recording, which the agent plays in the page by keyboard.
    const history = page.getByTestId("pop-history");
    const earlier = history.getByTestId("pop-history-row").first();
    await expect(earlier).toContainText(agent.name);
    await expect(earlier).toContainText("Sale");
    const play = earlier.getByRole("button", { name: /^Play the recording of the call on / });
    await play.focus();
    await page.keyboard.press("Enter");
    const recording = page.getByTestId("pop-history-audio");
    await expect.poll(() => recording.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 10_000 }).toBeGreaterThan(0.2);
    await expect(earlier.getByRole("button", { name: /^Stop the recording/ })).toHaveAttribute("aria-pressed", "true");
    await shot(page, "seat-pop-history");
    await page.getByRole("button", { name: "Hang up" }).click();
    await expect(page.getByTestId("call-status")).toHaveAttribute("data-phase", "ended");
  } finally {
    sipp.kill();
    await context.close();
  }
});
