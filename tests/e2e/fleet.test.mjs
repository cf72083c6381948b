// The Fleet screen in the real window, in the Sandbox: with no AWS identity the Sandbox
// starts and is given an organization; the Fleet section shows its tree (the nested OU,
// the management account marked with its single run), the Workloads OU (with Dev nested
// in it) is deployed with the Seqera Cloud role template, the table per account fills in
// while the StackSet operation runs and ends with every account awaiting the platform;
// the fleet shows in the list; Roll back leaves every account "removed".
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openApp } from "./session.mjs";
import { appEnv, privateHome } from "./emulator.mjs";

let app;

before(async () => {
  app = await openApp(appEnv(privateHome("fleet")));
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

/** The verdict of every row of the accounts table. */
const verdicts = () => app.browser.execute(() => [...document.querySelectorAll("table[aria-label=Accounts] tbody tr")].map((r) => [r.getAttribute("data-account"), r.getAttribute("data-verdict")]));

test("the Sandbox's organization is deployed to from the Fleet screen, account by account, then rolled back", async () => {
  await app.shotOnFailure("fleet", flow);
});

async function flow() {
  const b = app.browser;
  await app.heading("Which AWS identity");
  await waitText("main", /No AWS identity is configured/, 15000);
  await (await app.button("Check this identity")).click();
  await waitText("[data-testid=account]", /^123456789012$/, 60000);
  await (await app.button("Fleet", "//nav")).click();
  await app.heading("Fleet");

  const workloads = await $("li[data-ou] > label input[aria-label^='OU Workloads']");
  await workloads.waitForExist({ timeout: 30000 });
  const mgmt = await $("[data-testid=management-account]");
  assert.match(await mgmt.getText(), /service-managed StackSets never deploy to it/);
  assert.equal(await (await mgmt.parentElement()).getAttribute("data-account"), "123456789012");
  const dev = await $("li[data-ou] li[data-ou] > label input[aria-label^='OU Dev']");
  assert.ok(await dev.isExisting(), "Dev is nested in an OU");
  await app.shot("fleet-01-tree");

  await workloads.click();
  await (await $("#fleet-template")).selectByAttribute("value", "seqera-cloud-role");
  await (await app.button("Deploy")).click();
  await waitText("main section.card h3", /^Fleet fl-/, 30000);
  await b.waitUntil(async () => (await verdicts()).length === 3, { timeout: 120000, timeoutMsg: "the table never had the three accounts of Workloads and Dev" });
  await b.waitUntil(async () => (await verdicts()).every(([, v]) => v === "awaiting-platform"), {
    timeout: 180000,
    timeoutMsg: "not every account ended awaiting the platform",
  });
  const rows = await verdicts();
  assert.ok(!rows.some(([a]) => a === "123456789012"), `the management account gets no instance: ${JSON.stringify(rows)}`);
  assert.match(await (await $("table[aria-label=Accounts] tbody tr td:nth-child(3)")).getText(), /^CURRENT/);
  await waitText("table[aria-label=Fleets]", /deployed/, 30000);
  await (await $("main section.card")).scrollIntoView();
  await app.shot("fleet-02-deployed");

  await (await app.button("Roll back…")).click();
  await (await app.button("Delete every instance and the StackSet")).click();
  await b.waitUntil(async () => {
    const v = await verdicts();
    return v.length > 0 && v.every(([, x]) => x === "removed");
  }, { timeout: 180000, timeoutMsg: "the accounts were not all removed" });
  await waitText("table[aria-label=Fleets]", /rolled-back/, 30000);
  await (await $("main section.card")).scrollIntoView();
  await app.shot("fleet-03-rolled-back");
}
