import { defineConfig } from "@playwright/test";

// One port per run, fixed here (workers inherit the environment) so that the web server and
// the tests agree on it.
process.env.FASTLINE_E2E_PORT ??= String(20000 + (process.pid % 20000));
const port = Number(process.env.FASTLINE_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;
const python = process.env.PYTHON ?? "../.venv/bin/python";

export default defineConfig({
  testDir: "./e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "../test-artifacts/playwright",
  use: {
    baseURL,
    viewport: { width: 1280, height: 720 },
    locale: "en-US",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download does not work on this machine.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
      ],
    },
  },
  webServer: {
    // A fresh database, `fastline serve` (serving dist/) and a worker; see tests/e2e/backend.py.
    command: `${python} ../tests/e2e/backend.py`,
    url: `${baseURL}/ready`,
    // E2E_REUSE=1 with FASTLINE_E2E_PORT: run against a back end you started (faster iteration).
    reuseExistingServer: process.env.E2E_REUSE === "1",
    timeout: 120_000,
    stdout: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
  },
});
