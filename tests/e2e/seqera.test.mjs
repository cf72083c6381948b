// Seqera Platform in the Sandbox, in the real window: with no AWS identity and no
// Seqera account, the Sandbox starts the emulator and the Seqera stand-in and is signed
// in to it with its made-up token. The key+role template (Seqera Batch launch) is
// applied and verified; the External ID "the platform shows" is pasted on Verify, the
// role's trust policy changes to it, the app waits and verifies again; Export shows the
// Sandbox's Seqera user and its workspace, and Send makes the credential there, takes
// Seqera's External ID and shows Seqera's verdict; History shows the External ID; signing
// out and pasting a wrong token shows Seqera's refusal with the advice, the field empty.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, privateHome } from "./emulator.mjs";

let app;
const NEW_ID = "seqera-generated-7f3a9c21";

before(async () => {
  app = await openApp(appEnv(privateHome("seqera")));
});
after(async () => {
  await app?.close();
});

const $ = (s) => app.browser.$(s);

async function waitText(selector, re, timeout = 60000) {
  const el = await $(selector);
  await app.browser.waitUntil(async () => re.test(await el.getText().catch(() => "")), { timeout, timeoutMsg: `${selector} never matched ${re}` });
  return el.getText();
}

test("the Sandbox is signed in to its Seqera stand-in; an External ID from the platform is applied and verified", async () => {
  await app.shotOnFailure("seqera", flow);
});

async function flow() {
  const b = app.browser;
  await app.heading("Which AWS identity");
  await waitText("main", /No AWS identity is configured/, 15000);
  await (await app.button("Check this identity")).click();
  await waitText("[data-testid=account]", /^123456789012$/, 60000);
  const notice = await waitText("main", /Seqera Platform stand-in runs at http:\/\/127\.0\.0\.1:\d+/, 10000);
  assert.match(notice, /you are signed in to it as sandbox/, "the Sandbox signs in to its stand-in");
  await app.shot("s01-sandbox-with-seqera");
  await (await app.button("Continue: choose a template")).click();

  await app.heading("What are you onboarding?");
  await (await $("[data-template=seqera-batch-launch]")).click();
  await (await app.button("Continue: details")).click();
  await app.heading("Details");
  await waitText("main [role=status]", /^Ready/, 20000);
  const oldId = await (await $("input[name='external_id.main']")).getValue();
  await (await app.button("Continue: review the plan")).click();
  await app.heading("Review the plan");
  await (await app.button("Create it")).click();
  await app.heading("Verify", 120000);
  await waitText("[data-testid=verify-summary]", /passed/, 120000);

  // The External ID the platform shows, pasted on Verify.
  const field = await $("input[name=external_id]");
  await field.waitForExist({ timeout: 15000 });
  await field.setValue(NEW_ID);
  await app.shot("s02-verify-external-id");
  await (await app.button("Use this External ID")).click();
  const outcome = await $("[data-testid=external-id-outcome]");
  await outcome.waitForExist({ timeout: 120000 });
  assert.equal(await outcome.getAttribute("data-outcome"), "changed");
  const said = await outcome.getText();
  assert.match(said, new RegExp(`now requires External ID ${NEW_ID} \\(was ${oldId}\\)`));
  assert.match(said, /Waited until AWS accepted the new value/);
  assert.match(said, /Run status: verified/);
  const after = "[aria-label='Checks after the External ID change'] li";
  assert.equal((await b.$$(`${after}[data-status=failed]`)).length, 0, "no check failed with the new External ID");
  assert.ok((await b.$$(`${after}[data-status=passed]`)).length >= 3, "the role was assumed with the new ID and refused without it");
  await outcome.scrollIntoView();
  await app.shot("s03-external-id-changed");
  await (await app.button("Continue: export")).click();

  // Export: the Sandbox's Seqera session and its workspace.
  await app.heading("Export");
  const user = await waitText("[data-testid=seqera-user]", /Signed in to http:\/\/127\.0\.0\.1:\d+ as sandbox/, 20000);
  assert.match(user, /sandbox@example\.org/);
  const ws = await $("input[name=seqera-workspace][value='sandbox-org/sandbox']");
  await ws.waitForExist({ timeout: 20000 });
  await ws.click();
  await waitText("section[aria-labelledby=send-seqera-h]", /to sandbox-org\/sandbox/, 5000);
  await (await $("section[aria-labelledby=send-seqera-h]")).scrollIntoView();
  await app.shot("s04-export-seqera-workspace");

  // Send: the credential made in the stand-in's workspace, Seqera's External ID in the
  // trust policy, Seqera's own check against the emulator, the run verified.
  await (await app.button("Send to Seqera Platform", "//section[@aria-labelledby='send-seqera-h']")).click();
  const verdict = await $("[data-testid=seqera-verdict]");
  await verdict.waitForExist({ timeout: 180000 });
  assert.equal(await verdict.getAttribute("data-outcome"), "available", await verdict.getText());
  for (const step of ["seqera:credential", "seqera:external-id", "seqera:validate"]) {
    const li = await $(`[aria-label='Seqera steps'] li[data-step='${step}']`);
    assert.equal(await li.getAttribute("data-status"), "done", `${step}: ${await li.getText()}`);
  }
  assert.match(await (await $("[data-testid=seqera-credential]")).getText(), /rolegate-seqera-batch-launch-rg-[0-9a-f]{12}/);
  assert.match(await (await $("[data-testid=seqera-run-status]")).getText(), /verified/);
  await verdict.scrollIntoView();
  await app.shot("s04b-sent-to-seqera");

  // Signing out, then a token Seqera refuses: its message and advice; the field is emptied.
  await (await app.button("Sign out", "//section[@aria-labelledby='send-seqera-h']")).click();
  const url = await $("input[name=seqera-url]");
  await url.waitForExist({ timeout: 10000 });
  assert.equal(await url.getValue(), "https://api.cloud.seqera.io");
  await url.setValue(user.match(/http:\/\/127\.0\.0\.1:\d+/)[0]);
  await (await $("input[name=seqera-token]")).setValue("not-the-sandbox-token");
  await (await app.button("Sign in")).click();
  const alert = await waitText("section[aria-labelledby=send-seqera-h] [role=alert]", /platform-token-refused/, 20000);
  assert.match(alert, /create a new access token in Seqera Platform/);
  assert.equal(await (await $("input[name=seqera-token]")).getValue(), "", "the token field is empty after submit");
  await (await $("section[aria-labelledby=send-seqera-h] [role=alert]")).scrollIntoView({ block: "end" });
  await app.shot("s05-token-refused");

  // History shows the External ID the role now requires: Seqera's, since the send.
  await (await app.button("Done: go to History")).click();
  await app.heading("History");
  await waitText("main section.card", /External ID [0-9a-f-]{36}/, 20000);
  await app.shot("s06-history");
}
