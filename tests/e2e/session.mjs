// One WebDriver session on the real app binary: starts tauri-driver (which starts
// WebKitWebDriver), opens the app, and saves screenshots under ARTIFACTS.
import { execFile, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { remote } from "webdriverio";

const here = path.dirname(new URL(import.meta.url).pathname);
export const artifacts = process.env.ROLEGATE_E2E_ARTIFACTS ?? path.join(here, "artifacts");

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForPort(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${ms} ms`);
}

/** Open the app; `env` is added to the environment the app (through tauri-driver) gets. */
export async function openApp(env = {}, app = process.env.ROLEGATE_APP) {
  if (!app) throw new Error("ROLEGATE_APP must name the app binary");
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn(path.join(here, "node_modules/.bin/tauri-driver"), ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
  });
  await waitForPort(port, 15000);
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "warn",
    capabilities: { browserName: "wry", "wdio:enforceWebDriverClassic": true, "tauri:options": { application: app } },
  });
  mkdirSync(artifacts, { recursive: true });
  // The window as the X server shows it. WebKitWebDriver's own screenshot never answers
  // when WebKit renders without compositing, which is how Rolegate runs on Linux
  // (webkit_renderer_env in src-tauri/src/lib.rs), so ImageMagick reads the screen.
  async function capture(file) {
    const { x, y, width, height } = await browser.getWindowRect();
    await new Promise((resolve, reject) =>
      execFile("import", ["-window", "root", "-crop", `${width}x${height}+${x}+${y}`, "+repage", file], (e) => (e ? reject(e) : resolve())),
    );
  }
  return {
    browser,
    /** Wait until the screen's heading starts with `text`. */
    async heading(text, timeout = 30000) {
      await browser.waitUntil(async () => (await (await browser.$("main h2")).getText().catch(() => "")).startsWith(text), {
        timeout,
        timeoutMsg: `no screen titled “${text}”`,
      });
    },
    /** The clickable button whose text is (or starts with) `text`, inside `within`. */
    async button(text, within = "//main") {
      const el = await browser.$(`${within}//button[normalize-space()="${text}" or starts-with(normalize-space(), "${text}")]`);
      await el.waitForClickable({ timeout: 30000 });
      return el;
    },
    shot: (name) => capture(path.join(artifacts, `${name}.png`)),
    /** Run `steps`; if they fail, save a screenshot of the window as it was first. */
    async shotOnFailure(name, steps) {
      try {
        await steps();
      } catch (e) {
        await capture(path.join(artifacts, `failure-${name}.png`)).catch(() => {});
        throw e;
      }
    },
    close: async () => {
      await browser.deleteSession().catch(() => {});
      driver.kill();
    },
  };
}
