// The identity the person picks is the one used: the app starts with an administrator's
// keys for one emulator account in its environment, and the person picks a profile of
// another account. The identity panel names the profile and where its keys come from,
// and the run is made in the profile's account; nothing appears in the environment's.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, aws, cli, privateHome, startEmulator, writeAdminProfile } from "./emulator.mjs";

const ENV_ACCOUNT = "310987654321";
const PROFILE_ACCOUNT = "420987654321";
let app, emu, home, profileAdmin;

/** An administrator in another account of the same emulator. */
async function bootstrap(url, account) {
  const r = await fetch(`${url}/_rolegate/bootstrap-account`, { method: "POST", body: JSON.stringify({ account, user: "profile-admin" }) });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

/** Users, roles and customer policies of the account `admin` administers. */
async function inventory(admin) {
  const keys = { AWS_ACCESS_KEY_ID: admin.access_key_id, AWS_SECRET_ACCESS_KEY: admin.secret_access_key };
  const users = (await aws(emu, home, ["iam", "list-users"], keys)).Users.map((u) => `user/${u.UserName}`);
  const roles = (await aws(emu, home, ["iam", "list-roles"], keys)).Roles.map((r) => `role/${r.RoleName}`);
  const policies = (await aws(emu, home, ["iam", "list-policies", "--scope", "Local"], keys)).Policies.map((p) => `policy/${p.PolicyName}`);
  return [...users, ...roles, ...policies].sort();
}

before(async () => {
  emu = await startEmulator(ENV_ACCOUNT);
  profileAdmin = await bootstrap(emu.url, PROFILE_ACCOUNT);
  home = privateHome("identity");
  // `e2e-admin` is the profile the `cli` helper signs with: the profile's account.
  writeAdminProfile(home, "e2e-admin", profileAdmin);
  app = await openApp(
    appEnv(home, { AWS_ENDPOINT_URL: emu.url, AWS_ACCESS_KEY_ID: emu.admin.access_key_id, AWS_SECRET_ACCESS_KEY: emu.admin.secret_access_key }),
  );
});
after(async () => {
  await app?.close();
  emu?.stop();
});

const $ = (s) => app.browser.$(s);

const heading = (text, timeout) => app.heading(text, timeout);
const button = (text, within) => app.button(text, within);

test("a profile picked in the app wins over keys in its environment", async () => {
  await app.shotOnFailure("identity-profile-over-environment", async () => {
    const b = app.browser;
    const envInventory = await inventory(emu.admin);
    await heading("Which AWS identity");
    // The environment offers its keys, and says so.
    const envChoice = await $("//input[@name='identity-kind' and @value='environment']/ancestor::label");
    await envChoice.waitForExist({ timeout: 15000 });
    assert.match(await envChoice.getText(), new RegExp(`AWS_ACCESS_KEY_ID \\(${emu.admin.access_key_id}\\)`));

    const profile = await $("input[name=identity-kind][value=profile]");
    await profile.waitForClickable({ timeout: 15000 });
    await profile.click();
    assert.match(await (await $("#profile-select option")).getText(), /e2e-admin \(keys, eu-west-1\)/);
    await (await button("Check this identity")).click();
    const account = await $("[data-testid=account]");
    await account.waitForExist({ timeout: 20000 });
    assert.equal(await account.getText(), PROFILE_ACCOUNT, "the profile's account, not the environment's");
    assert.equal(await (await $("[data-testid=caller-arn]")).getText(), profileAdmin.user_arn);
    assert.equal(await (await $("[data-testid=identity-source]")).getText(), "profile e2e-admin, keys from the credentials file");
    await app.shot("identity-01-profile-over-environment");
    await (await button("Continue: choose a template")).click();

    await heading("What are you onboarding?");
    const card = await $("[data-template=ecr-wave-readonly]");
    await card.waitForClickable({ timeout: 20000 });
    await card.click();
    await (await button("Continue: details")).click();
    await heading("Details");
    await b.waitUntil(async () => (await (await $("[role=status]")).getText()).startsWith("Ready"), { timeout: 15000 });
    await (await button("Continue: review the plan")).click();
    await heading("Review the plan");
    await (await button("Create it")).click();
    await heading("Verify", 120000);
    const summary = await $("[data-testid=verify-summary]");
    await summary.waitForExist({ timeout: 120000 });
    assert.match(await summary.getText(), /passed/);
    await app.shot("identity-02-verified");

    const made = await inventory(profileAdmin);
    assert.ok(made.some((r) => r.startsWith("user/") && r !== "user/profile-admin"), `the run's user is in the profile's account: ${made}`);
    assert.ok(made.includes("policy/ecr-wave-readonly"), `the run's policy is in the profile's account: ${made}`);
    assert.deepEqual(await inventory(emu.admin), envInventory, "nothing was made in the environment's account");

    // The CLI (signing with the same profile) sees the app's run in that account and rolls it back.
    const runs = (await cli(emu, home, ["runs"])).runs;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].account, PROFILE_ACCOUNT);
    await cli(emu, home, ["rollback", runs[0].run_id]);
    assert.deepEqual(await inventory(profileAdmin), ["user/profile-admin"], "the roll-back leaves nothing");
  });
});
