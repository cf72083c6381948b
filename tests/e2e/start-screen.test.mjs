// The app window opens on the start screen and lists the templates the Rust side
// returns through IPC (the capability must allow the command, the CSP must let the
// bundle run): a broken capability, CSP or IPC wiring fails here.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";

let app;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

test("the start screen lists every built-in template", async () => {
  const list = await app.browser.$("[aria-label=Templates]");
  await list.waitForExist({ timeout: 15000 });
  const names = await app.browser.$$("[aria-label=Templates] h2").map((h) => h.getText());
  assert.deepEqual(names, [
    "Seqera Batch Forge",
    "Seqera Batch launch",
    "Seqera Cloud (role-based)",
    "ECR read-only for Wave",
    "Spacelift AWS integration",
    "Custom",
  ]);
  assert.equal(await app.browser.$("[role=alert]").isExisting(), false, "no error is shown");
  await app.shot("01-start-screen");
});
