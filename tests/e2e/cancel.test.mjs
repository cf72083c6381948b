// Cancel in the real window, against the test emulator: a key+role run whose CreateRole
// IAM keeps answering "invalid principal" (the new user not yet known), so the run sits
// in a propagation wait. Cancel stops it at once, the running steps having finished and
// been journaled: the Run screen says it stopped, lists what exists (the user and its
// key, whose secret is in the keychain), the journal's status is "cancelled", and Roll
// back leaves nothing in IAM or the keychain.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, cli, inventory, privateHome, startEmulator, writeAdminProfile } from "./emulator.mjs";

const ACCOUNT = "310987654321";
const USER = "e2e-cancel-launch";
let app, emu, home;

before(async () => {
  emu = await startEmulator(ACCOUNT);
  home = privateHome("cancel");
  writeAdminProfile(home, "e2e-admin", emu.admin);
  app = await openApp(appEnv(home, { AWS_ENDPOINT_URL: emu.url }));
});
after(async () => {
  await app?.close();
  emu?.stop();
});

const $ = (s) => app.browser.$(s);

/** Make the administrator's next `count` calls of `action` answer with an AWS error. */
async function fault(action, code, message, count) {
  const r = await fetch(`${emu.url}/_rolegate/faults`, {
    method: "POST",
    body: JSON.stringify({ access_key_id: emu.admin.access_key_id, action, code, message, count }),
  });
  assert.equal(r.status, 200, await r.text());
}

const heading = (text, timeout) => app.heading(text, timeout);
const button = (text, within) => app.button(text, within);

test("Cancel during a run stops it cleanly, says what exists, and Roll back leaves nothing", async () => {
  await app.shotOnFailure("cancel", cancelRun);
});

async function cancelRun() {
  const b = app.browser;
  // Far more "not yet" answers than the 120 s wait would outlast.
  await fault("CreateRole", "MalformedPolicyDocument", 'Invalid principal in policy: "AWS":"arn:aws:iam::310987654321:user/e2e-cancel-launch"', 500);

  await heading("Which AWS identity");
  await (await $("input[name=identity-kind][value=profile]")).click();
  await (await $("#profile-select option")).waitForExist({ timeout: 15000 });
  await (await button("Check this identity")).click();
  await (await $("[data-testid=account]")).waitForExist({ timeout: 20000 });
  await (await button("Continue: choose a template")).click();
  await heading("What are you onboarding?");
  await (await $("[data-template=seqera-batch-launch]")).click();
  await (await button("Continue: details")).click();
  await heading("Details");
  const user = await $("input[name='name.user']");
  await user.clearValue();
  await user.setValue(USER);
  await b.waitUntil(async () => (await (await $("[role=status]")).getText()).startsWith("Ready"), { timeout: 10000 });
  await (await button("Continue: review the plan")).click();
  await heading("Review the plan");
  await (await button("Create it")).click();

  // The role's step waits for IAM; the key's step, beside it, finishes.
  await heading("Creating run");
  const role = await $("li[data-step='role:main']");
  await role.waitForExist({ timeout: 30000 });
  await b.waitUntil(async () => (await role.getAttribute("data-status")) === "waiting", { timeout: 60000, timeoutMsg: "the role step never waited" });
  await b.waitUntil(async () => (await (await $("li[data-step='access-key']")).getAttribute("data-status")) === "done", {
    timeout: 60000,
    timeoutMsg: "the key step did not finish",
  });
  await app.shot("cancel-01-waiting");
  const pressed = Date.now();
  await (await button("Cancel")).click();
  const stopped = await $("[data-testid=run-cancelled]");
  await stopped.waitForExist({ timeout: 20000, timeoutMsg: "the run did not say it stopped at the person's request" });
  const tookMs = Date.now() - pressed;
  assert.ok(tookMs < 15000, `the wait stopped soon after Cancel (${tookMs} ms), not at its 120 s bound`);
  assert.equal(await role.getAttribute("data-status"), "stopped");
  assert.match(await stopped.getText(), /Stopped at your request/);

  // What exists is listed, and it is what the journal and IAM hold.
  const made = await $("[aria-label='What was made']");
  await made.waitForExist({ timeout: 10000 });
  const listed = await made.getText();
  assert.match(listed, new RegExp(`IAM user ${USER}`));
  assert.match(listed, new RegExp(`access key AKIA\\w+ of user ${USER}`));
  assert.doesNotMatch(listed, /IAM role/, "the role was never made");
  await (await button("Resume")).waitForExist();
  await app.shot("cancel-02-stopped");
  const runs = (await cli(emu, home, ["runs"])).runs;
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, "cancelled", "the journal says the run stopped on request");
  const key = listed.match(/access key (AKIA\w+)/)[1];
  const secrets = (await cli(emu, home, ["secrets", "list"])).secrets.map((s) => s.access_key_id);
  assert.ok(secrets.includes(key), `the keychain holds the secret of ${key}: ${secrets}`);
  assert.ok((await inventory(emu, home)).includes(`user/${USER}`));

  // Roll back: the confirmation lists the same resources; then nothing is left.
  await (await button("Roll back…")).click();
  const dialog = await $("section[role=alertdialog]");
  await dialog.waitForExist({ timeout: 10000 });
  assert.match(await dialog.getText(), new RegExp(key));
  await (await button("Delete", "//section[@role='alertdialog']")).click();
  await (await $("[data-testid=rollback-clean]")).waitForExist({ timeout: 60000 });
  await app.shot("cancel-03-rolled-back");
  assert.deepEqual(await inventory(emu, home), ["user/sandbox-admin"], "nothing the run made is left");
  const left = (await cli(emu, home, ["secrets", "list"])).secrets.map((s) => s.access_key_id);
  assert.ok(!left.includes(key), `the key's secret left the keychain: ${left}`);
}
