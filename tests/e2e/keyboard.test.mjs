// The wizard with the keyboard only: no clicks, only Tab, Shift+Tab, Enter and Space,
// starting from a machine with no AWS identity, so the start screen offers the Sandbox
// (the app starts the emulator itself). The focused control must show a visible focus
// ring. Key-mode template (ECR read-only for Wave) through export, then roll back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, privateHome } from "./emulator.mjs";

let app, home;

before(async () => {
  home = privateHome("keyboard");
  app = await openApp(appEnv(home));
});
after(async () => {
  await app?.close();
});

/** What has the focus: tag, label text, name, and whether a focus ring is drawn. */
function focused() {
  return app.browser.execute(() => {
    const el = document.activeElement;
    if (!el) return null;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.textContent ?? "").trim().replace(/\s+/g, " "),
      name: el.getAttribute("name") ?? "",
      value: el.value ?? "",
      template: el.getAttribute("data-template") ?? "",
      ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    };
  });
}

/** Press Tab (or Shift+Tab) until the focused element matches; fail after `max` presses. */
async function tabTo(what, match, { back = false, max = 60 } = {}) {
  for (let i = 0; i < max; i++) {
    await app.browser.keys(back ? ["Shift", "Tab"] : ["Tab"]);
    const f = await focused();
    if (f && match(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

const buttonNamed = (start) => (f) => f.tag === "button" && f.text.startsWith(start);

async function waitText(selector, re, timeout = 60000) {
  const el = await app.browser.$(selector);
  await app.browser.waitUntil(async () => re.test(await el.getText().catch(() => "")), { timeout, timeoutMsg: `${selector} never matched ${re}` });
}

test("a keyboard-only run of the wizard in the Sandbox", async () => {
  await app.shotOnFailure("keyboard", wizard);
});

async function wizard() {
  const b = app.browser;
  await (await b.$("main h2")).waitForExist({ timeout: 15000 });
  // The page is refused what its capability does not grant: the clipboard is written
  // from Rust only, and the store may not delete.
  const refused = await b.executeAsync((done) =>
    Promise.allSettled([
      window.__TAURI_INTERNALS__.invoke("plugin:clipboard-manager|read_text"),
      window.__TAURI_INTERNALS__.invoke("plugin:store|delete", { rid: 0, key: "theme" }),
    ]).then((r) => done(r.map((x) => (x.status === "rejected" ? String(x.reason) : "allowed")))),
  );
  for (const r of refused) assert.match(r, /not allowed/, `refused: ${r}`);
  await waitText("main", /No AWS identity is configured/, 15000);
  assert.equal(await (await b.$("input[value=sandbox]")).isSelected(), true, "the Sandbox is offered first");

  let f = await tabTo("Check this identity", buttonNamed("Check this identity"));
  assert.ok(f.ring, "the focused button shows a focus ring");
  await app.shot("k01-identity-focus");
  await b.keys(["Enter"]);
  await waitText("[data-testid=account]", /^123456789012$/, 60000);
  await app.shot("k02-sandbox-signed-in");
  await tabTo("Continue", buttonNamed("Continue: choose a template"));
  await b.keys(["Enter"]);

  await waitText("main h2", /What are you onboarding/);
  f = await tabTo("the ECR card", (x) => x.template === "ecr-wave-readonly");
  assert.ok(f.ring, "the focused card shows a focus ring");
  await b.keys([" "]);
  await app.shot("k03-template-focus");
  await tabTo("Continue", buttonNamed("Continue: details"));
  await b.keys(["Enter"]);

  await waitText("main h2", /Details/);
  await waitText("main [role=status]", /^Ready/, 20000);
  await tabTo("Continue", buttonNamed("Continue: review the plan"));
  await b.keys(["Enter"]);

  await waitText("main h2", /Review the plan/);
  await tabTo("Create", buttonNamed("Create it"));
  await app.shot("k04-review-focus");
  await b.keys(["Enter"]);

  await waitText("main h2", /^Verify$/, 120000);
  await waitText("[data-testid=verify-summary]", /passed/, 120000);
  await app.shot("k05-verify");
  await tabTo("Continue", buttonNamed("Continue: export"));
  await b.keys(["Enter"]);

  await waitText("main h2", /Export/);
  f = await tabTo("a format", (x) => x.tag === "input" && x.name === "format");
  await waitText("[data-testid=export-preview]", /\*{16}/, 20000);
  await app.shot("k06-export");
  await tabTo("Done", buttonNamed("Done: go to History"));
  await b.keys(["Enter"]);

  await waitText("main h2", /History/);
  await tabTo("Roll back", buttonNamed("Roll back…"));
  await b.keys(["Enter"]);
  // The confirmation focuses Cancel; the destructive button is one Shift+Tab away.
  f = await focused();
  assert.equal(f.text, "Cancel", "the confirmation starts on Cancel");
  await tabTo("Delete", buttonNamed("Delete"), { back: true, max: 3 });
  await app.shot("k07-rollback-confirm");
  await b.keys(["Enter"]);
  await waitText("[data-testid=rollback-clean]", /Everything this run made is deleted/, 60000);
  await app.shot("k08-rolled-back");
}
