// The whole wizard in the real window, against the test emulator: a profile from the
// AWS config as the identity, the key+role template (Seqera Batch launch), review,
// run, verify, then an AWS profile written by the app that the AWS CLI uses to assume
// the role; Test connection from History; roll back, and nothing the run made is left.
// A screenshot of every screen goes to the artifacts folder.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, aws, cli, inventory, privateHome, startEmulator, writeAdminProfile } from "./emulator.mjs";

const ACCOUNT = "210987654321";
let app, emu, home, cliRun, baseline, saveTo;

before(async () => {
  emu = await startEmulator(ACCOUNT);
  home = privateHome("wizard");
  writeAdminProfile(home, "e2e-admin", emu.admin);
  // A run made with the CLI before the app opens: History must show it.
  await cli(emu, home, ["apply", "-t", "ecr-wave-readonly"]);
  cliRun = (await cli(emu, home, ["runs"])).runs[0].run_id;
  baseline = await inventory(emu, home);
  // The save dialog is answered through ROLEGATE_TEST_DIALOG_ANSWER (debug builds only).
  saveTo = path.join(home.dir, "export.sh");
  app = await openApp(appEnv(home, { AWS_ENDPOINT_URL: emu.url, ROLEGATE_TEST_DIALOG_ANSWER: saveTo }));
});
after(async () => {
  await app?.close();
  emu?.stop();
});

const $ = (s) => app.browser.$(s);

async function click(selector) {
  const el = await $(selector);
  await el.waitForClickable({ timeout: 20000 });
  await el.click();
}

const admin = () => ({ AWS_ACCESS_KEY_ID: emu.admin.access_key_id, AWS_SECRET_ACCESS_KEY: emu.admin.secret_access_key });

const heading = (text, timeout) => app.heading(text, timeout);
const button = (text, within) => app.button(text, within);

test("the key+role wizard, export to the AWS CLI, Test connection and roll back", async () => {
  await app.shotOnFailure("wizard", wizard);
});

async function wizard() {
  const b = app.browser;

  // Identity: the profile is found and offered; checking it shows account and caller.
  await heading("Which AWS identity");
  await click("input[name=identity-kind][value=profile]");
  const option = await $("#profile-select option");
  await option.waitForExist({ timeout: 15000 });
  assert.match(await option.getText(), /e2e-admin \(keys, eu-west-1\)/);
  await app.shot("01-identity");
  await (await button("Check this identity")).click();
  const account = await $("[data-testid=account]");
  await account.waitForExist({ timeout: 20000 });
  assert.equal(await account.getText(), ACCOUNT);
  assert.equal(await (await $("[data-testid=caller-arn]")).getText(), `arn:aws:iam::${ACCOUNT}:user/sandbox-admin`);
  await app.shot("02-identity-signed-in");
  await (await button("Continue: choose a template")).click();

  // Template: the cards; pick the key+role one.
  await heading("What are you onboarding?");
  await click("[data-template=seqera-batch-launch]");
  await app.shot("03-template");
  await (await button("Continue: details")).click();

  // Details: live validation puts a core error next to the field, then clears it.
  await heading("Details");
  const user = await $("input[name='name.user']");
  await user.setValue("bad name!");
  const err = await $("//input[@name='name.user']/ancestor::div[@class='field']//p[@class='field-error']");
  await err.waitForExist({ timeout: 10000 });
  assert.match(await err.getText(), /name\.user/);
  assert.equal(await user.getAttribute("aria-invalid"), "true");
  await app.shot("04-details-invalid");
  await user.clearValue();
  await user.setValue("e2e-batch-launch");
  await b.waitUntil(async () => !(await err.isExisting()), { timeout: 10000, timeoutMsg: "the field error did not clear" });
  const extId = await (await $("input[name='external_id.main']")).getValue();
  assert.match(extId, /^[0-9a-f-]{36}$/, "a UUID External ID was generated");
  await b.waitUntil(async () => (await (await $("[role=status]")).getText()).startsWith("Ready"), { timeout: 10000 });
  await app.shot("05-details");
  await (await button("Continue: review the plan")).click();

  // Review: every call listed; nothing made yet.
  await heading("Review the plan");
  const calls = await b.$$("[aria-label=Calls] > li");
  assert.ok(calls.length >= 6, `the plan lists ${calls.length} calls`);
  assert.deepEqual(await inventory(emu, home), baseline, "nothing is created before the confirmation");
  await app.shot("06-review");
  await (await button("Create it")).click();

  // Run: steps stream in; then Verify runs by itself.
  await heading("Creating run");
  await app.shot("07-run");
  await heading("Verify", 120000);
  const summary = await $("[data-testid=verify-summary]");
  await summary.waitForExist({ timeout: 120000 });
  assert.match(await summary.getText(), /passed/);
  const failed = await b.$$("[aria-label='Verification checks'] li[data-status=failed]");
  assert.equal(failed.length, 0, "no verification check failed");
  const withoutId = await b.$$("[aria-label='Verification checks'] li[data-status=passed]");
  assert.ok(withoutId.length >= 3, "the key, the role with the ID, and the refusals were checked");
  await app.shot("08-verify");
  await (await button("Continue: export")).click();

  // Export: env preview is masked; then write the AWS profile.
  await heading("Export");
  await click("input[name=format][value=sh]");
  const preview = await $("[data-testid=export-preview]");
  await b.waitUntil(async () => (await preview.getText().catch(() => "")).includes("export AWS_ACCESS_KEY_ID"), { timeout: 15000, timeoutMsg: "no shell preview" });
  assert.match(await preview.getText(), /AWS_SECRET_ACCESS_KEY='\*{16}'/);
  await app.shot("09-export-masked");
  // Save: the Rust side opens the dialog and writes the file picked there, 0600.
  await (await button("Save to a file")).click();
  const status = await $("main [role=status]");
  await b.waitUntil(async () => (await status.getText()).startsWith("Saved to"), { timeout: 15000, timeoutMsg: "the export was not saved" });
  assert.equal(await status.getText(), `Saved to ${saveTo} (mode 0600).`);
  assert.equal(statSync(saveTo).mode & 0o777, 0o600);
  const saved = readFileSync(saveTo, "utf8");
  assert.match(saved, /export AWS_SECRET_ACCESS_KEY='[^*']{20,}'/, "the file holds the real secret");
  // Copy: the secret goes from Rust to the clipboard, and the page says it will be cleared.
  await (await button("Copy")).click();
  await b.waitUntil(async () => (await status.getText()).startsWith("Copied"), { timeout: 15000, timeoutMsg: "the export was not copied" });
  assert.match(await status.getText(), /the clipboard is cleared in 45 s/);
  await click("input[name=format][value=aws-profile]");
  const profile = await $("input[name=profile]");
  await profile.waitForExist({ timeout: 10000 });
  await profile.setValue("e2e-launch");
  await b.waitUntil(async () => (await b.$$("pre[aria-label^='Change to']")).length > 0, { timeout: 10000 });
  await app.shot("10-export-profile");
  await (await button("Write profile")).click();
  await (await $("[data-testid=profile-written]")).waitForExist({ timeout: 15000 });
  await app.shot("11-export-written");

  // The AWS CLI uses the profile: credential_process reads the keychain through the
  // app binary, and the role is assumed with the External ID.
  const who = await aws(emu, home, ["sts", "get-caller-identity", "--profile", "e2e-launch"]);
  assert.match(who.Arn, new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/`));
  assert.match(readFileSync(home.config, "utf8"), new RegExp(`external_id = ${extId}`), "the profile sends the run's External ID");

  // History: Test connection, then roll back after the confirmation lists everything.
  await (await button("Done: go to History")).click();
  await heading("History");
  // One journal folder for both: the CLI's run shows here, the app's run in the CLI.
  const rows = await b.$$("[aria-label=Runs] tbody tr").map((r) => r.getAttribute("data-run"));
  assert.ok(rows.includes(cliRun), `History lists the CLI's run ${cliRun}: ${rows}`);
  const appRun = rows.find((r) => r !== cliRun);
  const cliSees = (await cli(emu, home, ["runs"])).runs.map((r) => r.run_id);
  assert.ok(cliSees.includes(appRun), `the CLI lists the app's run ${appRun}: ${cliSees}`);
  await (await button("Test connection")).click();
  const checks = await $("[aria-label='Connection checks']");
  await checks.waitForExist({ timeout: 60000 });
  assert.equal((await b.$$("[aria-label='Connection checks'] li[data-status=failed]")).length, 0);
  assert.ok((await b.$$("[aria-label='Connection checks'] li[data-status=passed]")).length >= 2);
  await app.shot("12-history-test-connection");

  // Rotate the key: the profile (credential_process names the run) keeps working.
  const oldKey = (await aws(emu, home, ["iam", "list-access-keys", "--user-name", "e2e-batch-launch"], admin())).AccessKeyMetadata[0].AccessKeyId;
  await (await button("Rotate key…")).click();
  await (await button("Rotate", "//section[@role='alertdialog']")).click();
  const rotated = await $("[aria-label='Rotation result']");
  await rotated.waitForExist({ timeout: 120000 });
  const keys = (await aws(emu, home, ["iam", "list-access-keys", "--user-name", "e2e-batch-launch"], admin())).AccessKeyMetadata.map((k) => k.AccessKeyId);
  assert.equal(keys.length, 1, "the old key is deleted");
  assert.notEqual(keys[0], oldKey, "a new key replaced it");
  assert.match(await rotated.getText(), new RegExp(keys[0]));
  const again = await aws(emu, home, ["sts", "get-caller-identity", "--profile", "e2e-launch"]);
  assert.match(again.Arn, /assumed-role/, "the profile works with the new key");
  await app.shot("12b-history-rotated");
  await (await button("Roll back…")).click();
  const list = await $("[aria-label='Will be deleted']");
  await list.waitForExist({ timeout: 10000 });
  const listed = await list.getText();
  assert.match(listed, /e2e-batch-launch/);
  await app.shot("13-rollback-confirm");
  await (await button("Delete", "//section[@role='alertdialog']")).click();
  await (await $("[data-testid=rollback-clean]")).waitForExist({ timeout: 60000 });
  await app.shot("14-rolled-back");
  await cli(emu, home, ["rollback", cliRun]);
  assert.deepEqual(await inventory(emu, home), ["user/sandbox-admin"], "nothing either run made is left");

  // The Test connection screen on its own: the identity in use, then a key that does
  // not exist (the failure names the fix).
  await (await button("Test connection", "//nav")).click();
  await heading("Test connection");
  await (await button("Test")).click();
  await b.waitUntil(async () => (await b.$$("[aria-label='Connection checks'] li[data-status=passed]")).length === 1, { timeout: 30000 });
  await (await $("input[name=access_key_id]")).setValue("AKIAIOSFODNN7EXAMPLE");
  await (await $("input[name=secret]")).setValue("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  await (await button("Test")).click();
  const failedCheck = await $("[aria-label='Connection checks'] li[data-status=failed]");
  await failedCheck.waitForExist({ timeout: 30000 });
  assert.match(await failedCheck.getText(), /AWS does not know this access key/);
  await app.shot("15-test-connection");

  // Pasted keys: the identity signs in, and only then is its secret kept in the keychain.
  await (await button("New onboarding", "//nav")).click();
  await click("a[href='#identity']");
  await heading("Which AWS identity");
  await click("input[name=identity-kind][value=keys]");
  await (await $("input[name=access_key_id]")).setValue(emu.admin.access_key_id);
  await (await $("input[name=secret]")).setValue(emu.admin.secret_access_key);
  await (await button("Check this identity")).click();
  await b.waitUntil(async () => (await (await $("[aria-label='Signed in']")).getText().catch(() => "")).includes(`pasted key ${emu.admin.access_key_id}`), {
    timeout: 20000,
    timeoutMsg: "the pasted key did not sign in",
  });
  assert.match(await (await $("[aria-label='Signed in']")).getText(), /is stored in/);
  const kept = (await cli(emu, home, ["secrets", "list"])).secrets.map((x) => x.access_key_id);
  assert.ok(kept.includes(emu.admin.access_key_id), `the keychain holds the pasted key's secret: ${kept}`);
  await app.shot("15b-identity-pasted-key");

  // The dark theme, chosen in the sidebar.
  await (await $("#theme")).selectByAttribute("value", "dark");
  await b.waitUntil(async () => (await b.execute(() => document.documentElement.dataset.theme)) === "dark", { timeout: 5000 });
  await app.shot("16-dark-theme");
}
