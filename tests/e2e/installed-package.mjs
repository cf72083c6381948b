// The .deb as a person gets it: installed with apt, the installed binary started under
// Xvfb shows the start screen, then the package is removed and leaves nothing behind.
// Run by tests/e2e/run-installed.sh (needs root or sudo), not by the plain e2e run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, privateHome } from "./emulator.mjs";

const deb = process.env.ROLEGATE_DEB;
const sudo = process.getuid() === 0 ? [] : ["sudo"];

function sh(cmd, args) {
  const [c, ...rest] = [...sudo, cmd, ...args];
  return execFileSync(c, rest, { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function field(name) {
  return execFileSync("dpkg-deb", ["-f", deb, name], { encoding: "utf8" }).trim();
}

test("the .deb installs, its app opens on the start screen, and it removes cleanly", async () => {
  assert.ok(deb && existsSync(deb), `ROLEGATE_DEB must name the built package (${deb})`);
  const pkg = field("Package");
  assert.equal(field("Version"), "0.1.0");
  assert.match(field("Description"), /External ID/);
  sh("apt-get", ["install", "-y", "-qq", deb]);
  let removed = false;
  try {
    const files = execFileSync("dpkg", ["-L", pkg], { encoding: "utf8" }).split("\n");
    const bin = files.find((f) => /^\/usr\/bin\/[^/]+$/.test(f));
    assert.ok(bin, `the package installs a program in /usr/bin: ${files.join(" ")}`);
    const desktop = files.find((f) => f.startsWith("/usr/share/applications/") && f.endsWith(".desktop"));
    assert.ok(desktop, "the package installs a desktop entry");
    const entry = readFileSync(desktop, "utf8");
    assert.match(entry, /^Name=Rolegate$/m);
    assert.match(entry, new RegExp(`^Exec=${bin.split("/").pop()}`, "m"));
    assert.ok(files.some((f) => f.startsWith("/usr/share/icons/hicolor/") && f.endsWith(".png")), "icons are installed");
    assert.ok(files.some((f) => f.endsWith("/emulator/rolegate_emulator.py")), "the Sandbox emulator ships with the app");
    // Every module of the emulator in the repository ships beside it (it imports them all).
    const modules = readdirSync(new URL("../emulator/", import.meta.url)).filter((f) => f.endsWith(".py"));
    for (const m of modules) {
      assert.ok(files.some((f) => f.endsWith(`/emulator/${m}`)), `the Sandbox emulator's ${m} ships with it`);
    }
    // The Sandbox's Seqera stand-in ships the same way: every module of it (its self-test aside).
    const seqera = readdirSync(new URL("../seqera/", import.meta.url)).filter((f) => f.endsWith(".py") && !f.startsWith("test_"));
    assert.ok(seqera.includes("rolegate_seqera.py"), `the stand-in is in the repository: ${seqera}`);
    for (const m of seqera) {
      assert.ok(files.some((f) => f.endsWith(`/seqera/${m}`)), `the Sandbox's Seqera stand-in's ${m} ships with the app`);
    }
    assert.match(readFileSync(`/usr/share/doc/${pkg}/copyright`, "utf8"), /Apache-2\.0/, "the licence is installed");

    const home = privateHome("installed");
    const app = await openApp(appEnv(home), bin);
    try {
      const h = await app.browser.$("main h2");
      await h.waitForExist({ timeout: 20000 });
      assert.equal(await h.getText(), "Which AWS identity does the work?");
      const sandbox = await app.browser.$("input[value=sandbox]");
      await sandbox.waitForExist({ timeout: 20000 });
      assert.equal(await sandbox.isEnabled(), true, "the installed app finds its Sandbox emulator");
      assert.equal(await sandbox.isSelected(), true, "with no AWS identity, the Sandbox is offered first");
      await app.browser.pause(500); // let WebKit paint the answer before the screenshot
      await app.shot("installed-start-screen");
    } finally {
      await app.close();
    }

    sh("apt-get", ["remove", "-y", "-qq", pkg]);
    removed = true;
    assert.equal(existsSync(bin), false, `${bin} is gone`);
    assert.equal(existsSync(desktop), false, `${desktop} is gone`);
    // dpkg either forgets the package or remembers it as not installed.
    let status = "unknown";
    try {
      status = execFileSync("dpkg-query", ["-W", "-f=${db:Status-Status}", pkg], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch (e) {
      if (/no packages found/.test(String(e.stderr))) status = "forgotten";
      else throw e;
    }
    assert.match(status, /^(not-installed|config-files|forgotten)$/, `dpkg says ${status}`);
  } finally {
    if (!removed) sh("apt-get", ["remove", "-y", "-qq", pkg]);
  }
});
