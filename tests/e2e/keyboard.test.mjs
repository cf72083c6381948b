// The wizard with the keyboard only: no clicks, only Tab, Shift+Tab, Enter and Space,
// starting from a machine with no AWS identity, so the start screen offers the Sandbox
// (the app starts the emulator itself). The focused control must show a visible focus
// ring. A key-mode template loaded from a file (ECR read-only for Wave under another name;
// the file dialog is answered through ROLEGATE_TEST_DIALOG_ANSWER, which only a debug
// build reads) through export, then roll back.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, privateHome } from "./emulator.mjs";

let app, home, outside;

const builtin = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../src-tauri/core/templates/ecr-wave-readonly.json");

before(async () => {
  home = privateHome("keyboard");
  const template = { ...JSON.parse(readFileSync(builtin, "utf8")), name: "ECR read-only, from a file" };
  const file = path.join(home.dir, "template.json");
  writeFileSync(file, JSON.stringify(template));
  // A JSON file outside the app's folder: the page must not be able to read or write it.
  outside = path.join(home.dir, "outside.json");
  writeFileSync(outside, JSON.stringify({ kept: true }));
  app = await openApp(appEnv(home, { ROLEGATE_TEST_DIALOG_ANSWER: file }));
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
  // The page is refused every plugin command: the clipboard is written from Rust only,
  // settings go through settings_get/settings_set (no store with a path of the page's
  // choosing, to read or to overwrite), and file dialogs are opened by Rust.
  const refused = await b.executeAsync((outside, done) => {
    const invoke = window.__TAURI_INTERNALS__.invoke;
    const answer = (p) => p.then(() => "allowed", (e) => String(e));
    (async () => {
      const r = [await answer(invoke("plugin:clipboard-manager|read_text"))];
      r.push(await answer(invoke("plugin:store|delete", { rid: 0, key: "theme" })));
      let rid = 0;
      r.push(await answer(invoke("plugin:store|load", { path: outside, options: { autoSave: false } }).then((x) => (rid = x))));
      r.push(await answer(invoke("plugin:store|load", { path: "../../../../outside.json" })));
      r.push(await answer(invoke("plugin:store|set", { rid, key: "kept", value: "overwritten" })));
      r.push(await answer(invoke("plugin:store|save", { rid })));
      r.push(await answer(invoke("plugin:dialog|open", { options: {} })));
      r.push(await answer(invoke("plugin:dialog|save", { options: {} })));
      return r;
    })().then(done, (e) => done([String(e)]));
  }, outside);
  assert.equal(refused.length, 8, `every call answered: ${refused}`);
  for (const r of refused) assert.match(r, /not allowed|not found/, `refused: ${r}`);
  assert.deepEqual(JSON.parse(readFileSync(outside, "utf8")), { kept: true }, "the file outside the app's folder is untouched");
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
  await app.shot("k03-template-focus");
  // The file dialog is opened by the Rust side; the loaded template is picked.
  await tabTo("Load a template file", buttonNamed("Load a template file"));
  await b.keys(["Enter"]);
  const loaded = await b.$("//button[@data-template='ecr-wave-readonly'][contains(., 'ECR read-only, from a file')]");
  await loaded.waitForExist({ timeout: 15000 });
  assert.equal(await loaded.getAttribute("aria-pressed"), "true", "the loaded template is picked");
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
