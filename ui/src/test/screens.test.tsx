// Component tests of the wizard screens against a mockIPC backend: what each screen
// asks the Rust side for, and what it shows of the answers and errors.
import { useState } from "preact/hooks";
import { App } from "../App";
import { Details, initialDetails, type DetailsState } from "../screens/Details";
import { Export } from "../screens/Export";
import { History } from "../screens/History";
import { Review } from "../screens/Review";
import { RunProgress } from "../screens/Run";
import { TemplatePick } from "../screens/TemplatePick";
import { TestConnection } from "../screens/TestConnection";
import { Verify } from "../screens/Verify";
import type { Plan, RunInputs, Template, TemplateRef } from "../api";
import { backend, button, clearMocks, click, emit, mount, settle, typeInto } from "./ipc";
import { detail, plan, session, template } from "./fixtures";

afterEach(() => clearMocks());

const sources = (extra = {}) => ({
  profiles: [],
  environment: null,
  sandbox_available: true,
  sandbox_detail: "a local IAM/STS emulator",
  current: null,
  ...extra,
});

test("with no AWS identity configured, the start screen offers the Sandbox and shows who it signs in as", async () => {
  const ipc = backend({ runs: [], ui_ready: null, identity_sources: sources(), connect: { ...session, label: "Sandbox", sandbox: true } });
  const root = await mount(<App />);
  expect(root.textContent).toContain("No AWS identity is configured");
  const sandbox = root.querySelector<HTMLInputElement>("input[value=sandbox]")!;
  expect(sandbox.checked).toBe(true);
  expect(root.querySelector<HTMLInputElement>("input[value=profile]")!.disabled).toBe(true);
  await click(button(root, "Check this identity"));
  expect(ipc.called("connect")[0].args.choice).toEqual({ kind: "sandbox" });
  expect(root.querySelector("[data-testid=account]")?.textContent).toBe("123456789012");
  expect(root.querySelector("[data-testid=caller-arn]")?.textContent).toBe(session.who.arn);
  // The ready signal goes out once the choices are in the page.
  await vi.waitFor(() => expect(ipc.called("ui_ready").length).toBe(1));
  expect(document.body.dataset.ready).toBe("true");
  const marks = ipc.called("ui_ready")[0].args.marks as [string, number][];
  expect(marks.map(([k]) => k)).toEqual(["origin", "sources", "ready"]);
  expect(marks[0][1]).toBe(performance.timeOrigin);
});

test("the remembered identity is preselected, and the start screen is ready only once the settings are read", async () => {
  let answer: (settings: unknown) => void = () => undefined;
  const ipc = backend({
    runs: [],
    ui_ready: null,
    identity_sources: sources({ profiles: [{ name: "dev", kind: "keys", region: null }, { name: "prod", kind: "sso", region: null }] }),
    settings_get: () => new Promise((r) => (answer = r)),
  });
  delete document.body.dataset.ready;
  const root = await mount(<App />);
  // The sources are in, the settings are not: nothing is preselected or signalled yet.
  expect(root.querySelector("#profile-select")).toBeNull();
  expect(root.querySelector<HTMLInputElement>("input[value=profile]")!.checked).toBe(false);
  expect(ipc.called("ui_ready")).toHaveLength(0);
  expect(document.body.dataset.ready).toBeUndefined();
  answer({ theme: "system", lastIdentity: { kind: "profile", profile: "prod" }, runs: [] });
  await settle();
  expect(root.querySelector<HTMLInputElement>("input[value=profile]")!.checked).toBe(true);
  expect(root.querySelector<HTMLSelectElement>("#profile-select")!.value).toBe("prod");
  expect(ipc.called("ui_ready")).toHaveLength(1);
  expect(document.body.dataset.ready).toBe("true");
});

test("profiles are listed with how they sign in, and a refused connection is shown with its code", async () => {
  const ipc = backend({
    runs: [],
    identity_sources: sources({ profiles: [{ name: "sso-dev", kind: "sso", region: "eu-west-2" }] }),
    connect: () => {
      throw { code: "no-credentials", message: "the SSO session has expired", fields: [] };
    },
  });
  const root = await mount(<App />);
  expect(root.querySelector("#profile-select")?.textContent).toBe("sso-dev (sso, eu-west-2)");
  await click(button(root, "Check this identity"));
  expect(ipc.called("connect")[0].args.choice).toEqual({ kind: "profile", profile: "sso-dev", region: null });
  expect(root.querySelector("[role=alert]")?.textContent).toContain("no-credentials: the SSO session has expired");
  expect(root.querySelector("[data-testid=account]")).toBeNull();
});

test("pasted keys: a field error from the core sits next to the field it names", async () => {
  backend({
    runs: [],
    identity_sources: sources(),
    connect: () => {
      throw { code: "invalid-input", message: "bad input", fields: [{ field: "access_key_id", rule: "access-key-id-chars", message: "may hold only upper-case letters and digits" }] };
    },
  });
  const root = await mount(<App />);
  await click(root.querySelector("input[value=keys]"));
  await typeInto(root.querySelector("input[name=access_key_id]"), "akia-lower");
  await typeInto(root.querySelector("input[name=secret]"), "s3cret");
  await click(button(root, "Check this identity"));
  const input = root.querySelector("input[name=access_key_id]")!;
  expect(input.getAttribute("aria-invalid")).toBe("true");
  const described = document.getElementById(input.getAttribute("aria-describedby")!.split(" ").pop()!);
  expect(described?.textContent).toContain("may hold only upper-case letters and digits");
  // The error is claimed by the field, so the banner does not repeat it.
  expect(root.querySelector("[role=alert] li")).toBeNull();
});

function detailsHarness(planFor: (inputs: RunInputs) => Plan) {
  const ipc = backend({
    new_external_id: (() => {
      let n = 0;
      return () => `00000000-0000-4000-8000-00000000000${++n}`;
    })(),
    plan: (a: Record<string, unknown>) => planFor(a.inputs as RunInputs),
  });
  const seen: { state: DetailsState; planned: Plan | null } = { state: initialDetails(template, session), planned: null };
  function Harness() {
    const [state, setState] = useState<DetailsState>(seen.state);
    const [planned, setPlanned] = useState<Plan | null>(null);
    seen.state = state;
    seen.planned = planned;
    return (
      <Details template={template} templateRef={{ source: "builtin", id: template.id }} session={session} state={state} plan={planned} onChange={setState} onPlanned={(p) => setPlanned(p)} onContinue={() => undefined} onBack={() => undefined} />
    );
  }
  return {
    ipc,
    seen,
    async start() {
      const root = await mount(<Harness />);
      await new Promise((r) => setTimeout(r, 250));
      await settle();
      return root;
    },
  };
}

test("details: a generated External ID, regenerate, and core errors placed next to their fields", async () => {
  const h = detailsHarness((inputs) => {
    if (inputs.names.user === "bad name") throw { code: "invalid-input", message: "bad", fields: [{ field: "name.user", rule: "iam-name-chars", message: "may contain only letters" }] };
    return plan();
  });
  const root = await h.start();
  expect(h.seen.state.externalIds.main).toBe("00000000-0000-4000-8000-000000000001");
  await click(button(root, "Regenerate"));
  await settle();
  expect(h.seen.state.externalIds.main).toBe("00000000-0000-4000-8000-000000000002");
  await typeInto(root.querySelector("input[name='name.user']"), "bad name");
  await new Promise((r) => setTimeout(r, 250));
  await settle();
  const user = root.querySelector("input[name='name.user']")!;
  expect(user.getAttribute("aria-invalid")).toBe("true");
  expect(user.closest(".field")?.textContent).toContain("may contain only letters");
  expect(h.seen.planned).toBeNull();
  const last = h.ipc.called("plan").at(-1)!.args.inputs as RunInputs;
  expect(last.external_ids).toEqual({ main: "00000000-0000-4000-8000-000000000002" });
});

test("details: tag lines without '=' are refused before asking the core", async () => {
  const h = detailsHarness(() => plan());
  const root = await h.start();
  const before = h.ipc.called("plan").length;
  await typeInto(root.querySelector("textarea[name=tags]"), "team=data\nnot-a-pair");
  await new Promise((r) => setTimeout(r, 250));
  await settle();
  expect(root.querySelector("textarea[name=tags]")!.closest(".field")?.textContent).toContain("line 2 must be written KEY=VALUE");
  expect(h.ipc.called("plan").length).toBe(before);
});

test("template: a file is loaded through the Rust side (no path from the page) and picked by its key", async () => {
  const fromFile = { ...template, id: "seqera-batch-launch", name: "My launch template" };
  const ipc = backend({ templates: [template], load_template: { reference: { source: "file", key: "file-1" }, template: fromFile } });
  let picked: [Template, TemplateRef] | null = null;
  const root = await mount(<TemplatePick selected={null} selectedRef={null} onPick={(t, r) => (picked = [t, r])} onBack={() => undefined} onContinue={() => undefined} />);
  await click(button(root, "Load a template file"));
  expect(ipc.called("load_template")[0].args).toEqual({});
  expect(picked).toEqual([fromFile, { source: "file", key: "file-1" }]);
  // Same template id as a built-in one: both cards stay, each with its own reference.
  expect(root.querySelectorAll("[data-template=seqera-batch-launch]").length).toBe(2);
  expect(root.textContent).toContain("My launch template (from a file)");
});

test("review: a lint error blocks the run; warnings are shown; confirming sends the plan's id, never a plan", async () => {
  const ipc = backend({ start_run: "rg-000000000001" });
  const blocked = plan({ lints: [{ severity: "error", field: "policy.main", rule: "wildcard-action", message: "allows every action", acknowledge: false }] });
  let started: string | null = null;
  const ref = { source: "builtin", id: "seqera-batch-launch" } as const;
  const inputs = { template_id: "seqera-batch-launch" } as RunInputs;
  let root = await mount(<Review plan={blocked} templateRef={ref} inputs={inputs} onStarted={(id) => (started = id)} onBack={() => undefined} />);
  expect(button(root, "Fix the errors above first").disabled).toBe(true);
  expect(root.querySelector("[data-severity=error]")?.textContent).toContain("allows every action");
  const ok = plan({ lints: [{ severity: "warning", field: "tags", rule: "no-owner", message: "no owner tag", acknowledge: false }] });
  root = await mount(<Review plan={ok} templateRef={ref} inputs={inputs} onStarted={(id) => (started = id)} onBack={() => undefined} />);
  expect(root.querySelectorAll("[aria-label=Calls] > li").length).toBe(3);
  await click(button(root, "Create it"));
  expect(ipc.called("start_run").length).toBe(1);
  expect(ipc.called("start_run")[0].args).toEqual({ request: { plan_id: ok.run_id, template: ref, inputs, acknowledged: false } });
  expect(started).toBe("rg-000000000001");
});

test("review: a warning of a way to administrator access is shown with its text and must be acknowledged", async () => {
  const ipc = backend({ start_run: "rg-000000000001" });
  const message =
    "iam:CreateRole together with iam:PutRolePolicy: the holder can create a role, write any inline policy into it and act through it, which is administrator access in effect.";
  const forge = plan({
    lints: [
      { severity: "warning", field: "policy.main.Statement[0]", rule: "role-escalation-inline", message, acknowledge: true },
      { severity: "warning", field: "tags", rule: "no-owner", message: "no owner tag", acknowledge: false },
    ],
  });
  let started: string | null = null;
  const root = await mount(<Review plan={forge} templateRef={{ source: "builtin", id: "seqera-batch-forge" }} inputs={{} as RunInputs} onStarted={(id) => (started = id)} onBack={() => undefined} />);
  const shown = root.querySelector("[data-acknowledge=true]");
  expect(shown?.getAttribute("data-severity")).toBe("warning");
  expect(shown?.textContent).toContain(message);
  expect(shown?.textContent).toContain("role-escalation-inline");
  // Nothing can be created until the person says they have read it.
  const create = button(root, "Confirm the warning above first");
  expect(create.disabled).toBe(true);
  await click(create);
  expect(ipc.called("start_run").length).toBe(0);
  const tick = root.querySelector<HTMLInputElement>("input[name=acknowledge]")!;
  expect(tick.closest("label")?.textContent).toContain("about administrator access");
  await click(tick);
  await click(button(root, "Create it"));
  expect(ipc.called("start_run").length).toBe(1);
  // The tick goes to the core, which refuses such a plan without it.
  expect((ipc.called("start_run")[0].args as { request: { acknowledged: boolean } }).request.acknowledged).toBe(true);
  expect(started).toBe("rg-000000000001");
});

test("run: steps follow the channel, propagation waits are spelled out, cancel asks the backend", async () => {
  let applyArgs: Record<string, unknown> = {};
  let finish: (v: unknown) => void = () => undefined;
  const ipc = backend({
    apply_run: (a: Record<string, unknown>) => {
      applyArgs = a;
      return new Promise((resolve) => (finish = resolve));
    },
    cancel_run: true,
  });
  let applied = false;
  const root = await mount(<RunProgress runId="rg-000000000001" steps={plan().steps} onApplied={() => (applied = true)} onRolledBack={() => undefined} />);
  emit(
    applyArgs,
    { type: "step-started", step: "user", summary: "Create the IAM user" },
    { type: "step-done", step: "user", outcome: "created", detail: "arn:aws:iam::123456789012:user/seqera-launch" },
    { type: "waiting", step: "wait:key", what: "the new access key", attempt: 3, elapsed_seconds: 4, limit_seconds: 120, last_code: "InvalidClientTokenId" },
  );
  await settle();
  expect(root.querySelector("[data-step=user]")?.getAttribute("data-status")).toBe("done");
  expect(root.querySelector("[data-step='wait:key']")?.textContent).toContain("waiting for AWS to propagate the new access key (4 s of at most 120 s, try 3, last answer InvalidClientTokenId)");
  await click(button(root, "Cancel"));
  expect(ipc.called("cancel_run")[0].args).toEqual({ runId: "rg-000000000001" });
  finish({ run_id: "rg-000000000001" });
  await settle();
  expect(applied).toBe(true);
});

test("run: a cancel waits for the running steps, then says it stopped, lists what exists, and offers resume or roll back", async () => {
  let applyArgs: Record<string, unknown> = {};
  let stop: (e: unknown) => void = () => undefined;
  const ipc = backend({
    apply_run: (a: Record<string, unknown>) => {
      applyArgs = a;
      return new Promise((_, reject) => (stop = reject));
    },
    cancel_run: true,
    run_detail: detail({ summary: { ...detail().summary, status: "cancelled" } }),
    rollback_run: { run_id: "rg-000000000001", deleted: detail().live, kept: [] },
  });
  const root = await mount(<RunProgress runId="rg-000000000001" steps={plan().steps} onApplied={() => undefined} onRolledBack={() => undefined} />);
  emit(applyArgs, { type: "waiting", step: "wait:key", what: "the new access key", attempt: 1, elapsed_seconds: 1, limit_seconds: 120, last_code: "InvalidClientTokenId" });
  await click(button(root, "Cancel"));
  expect(ipc.called("cancel_run")[0].args).toEqual({ runId: "rg-000000000001" });
  // Until the engine answers, the run is winding down, not stopped.
  expect(button(root, "Stopping…").disabled).toBe(true);
  expect(root.querySelector("[data-testid=run-stopping]")?.textContent).toContain("the steps that are running finish and are recorded first");
  emit(applyArgs, { type: "step-stopped", step: "wait:key", message: "stopped while waiting for AWS, as the run is stopping; it waits again when the run resumes" });
  stop({ code: "cancelled", message: "run rg-000000000001 stopped at your request", fields: [] });
  await settle();
  expect(root.querySelector("[data-step='wait:key']")?.getAttribute("data-status")).toBe("stopped");
  expect(root.querySelector("[data-testid=run-cancelled]")?.textContent).toContain("Stopped at your request");
  expect(root.querySelector("[role=alert]")).toBeNull();
  const made = root.querySelector("[aria-label='What was made']")?.textContent ?? "";
  for (const r of detail().live) expect(made).toContain(r);
  expect(button(root, "Resume")).toBeTruthy();
  await click(button(root, "Roll back…"));
  await click(button(root, `Delete ${detail().live.length} resource(s)`));
  // Once rolled back, the page says so, not that the run is stopped with things made.
  expect(root.querySelector("[data-testid=rollback-clean]")).not.toBeNull();
  expect(root.querySelector("[data-testid=run-cancelled]")).toBeNull();
  expect(root.querySelector("[aria-label='What was made']")).toBeNull();
  expect(root.querySelector("#run-h")?.textContent).toBe("Run rg-000000000001, rolled back");
});

test("run: after a failure, what was made is listed and roll-back confirms with the same list", async () => {
  const ipc = backend({
    apply_run: () => {
      throw { code: "aws", message: "CreateRole: AccessDenied", fields: [] };
    },
    run_detail: detail({ summary: { ...detail().summary, status: "failed" } }),
    rollback_run: { run_id: "rg-000000000001", deleted: detail().live, kept: [] },
  });
  const root = await mount(<RunProgress runId="rg-000000000001" steps={plan().steps} onApplied={() => undefined} onRolledBack={() => undefined} />);
  expect(root.querySelector("[role=alert]")?.textContent).toContain("CreateRole: AccessDenied");
  expect(root.querySelector("[aria-label='What was made']")?.textContent).toContain("IAM user seqera-launch");
  await click(button(root, "Roll back…"));
  expect(root.querySelector("[role=alertdialog]")?.textContent).toContain("access key AKIAEXAMPLE0000001 of user seqera-launch");
  expect(ipc.called("rollback_run").length).toBe(0);
  await click(button(root, "Delete 3 resource(s)"));
  expect(ipc.called("rollback_run").length).toBe(1);
  expect(root.querySelector("[data-testid=rollback-clean]")).not.toBeNull();
});

test("export: the preview is masked; reveal is an explicit request; copy goes through the Rust side", async () => {
  const ipc = backend({
    run_detail: detail(),
    export_preview: (a: Record<string, unknown>) => {
      const reveal = (a.request as { reveal: boolean }).reveal;
      return { format: "sh", text: `export AWS_SECRET_ACCESS_KEY='${reveal ? "REAL" : "****************"}'\n`, holds_secret: reveal, file_name: "x.sh" };
    },
    export_copy: { holds_secret: true, cleared_in_seconds: 45 },
    export_save: "/home/me/x.sh",
  });
  const root = await mount(<Export runId="rg-000000000001" onDone={() => undefined} />);
  expect(root.querySelector("[data-testid=export-preview]")?.textContent).toContain("'****************'");
  expect(ipc.called("export_preview").every((c) => (c.args.request as { reveal: boolean }).reveal === false)).toBe(true);
  await click(button(root, "Copy"));
  expect((ipc.called("export_copy")[0].args.request as { format: string }).format).toBe("sh");
  expect(root.textContent).toContain("Copied, secret included; the clipboard is cleared in 45 s");
  // Save: the Rust side opens the dialog; the page sends no path.
  await click(button(root, "Save to a file"));
  expect(Object.keys(ipc.called("export_save")[0].args).sort()).toEqual(["request", "runId"]);
  expect(root.textContent).toContain("Saved to /home/me/x.sh (mode 0600).");
  expect(root.querySelector("[data-testid=export-preview]")?.textContent).not.toContain("REAL");
  await click(button(root, "Reveal secrets"));
  expect(root.querySelector("[data-testid=export-preview]")?.textContent).toContain("'REAL'");
  await click(button(root, "Hide secrets"));
  expect(root.querySelector("[data-testid=export-preview]")?.textContent).not.toContain("REAL");
});

test("export: the AWS profile change is previewed before it is written, and a taken name is an error on the field", async () => {
  const ipc = backend({
    run_detail: detail({ formats: ["aws-profile"] }),
    profile_preview: (a: Record<string, unknown>) => {
      if ((a.request as { name: string }).name === "taken")
        throw { code: "invalid-input", message: "bad", fields: [{ field: "profile", rule: "exists", message: "profile taken already exists" }] };
      return { profile: "p", source_profile: "p-source", files: [{ path: "/home/u/.aws/config", sections: [["profile p", "added"]], diff: "+[profile p]\n", holds_secret: false }] };
    },
    profile_write: { written: ["/home/u/.aws/config"], backups: [] },
  });
  const root = await mount(<Export runId="rg-000000000001" onDone={() => undefined} />);
  expect(root.querySelector("pre[aria-label^='Change to']")?.textContent).toBe("+[profile p]\n");
  expect(ipc.called("profile_write").length).toBe(0);
  await typeInto(root.querySelector("input[name=profile]"), "taken");
  await settle();
  expect(root.querySelector("input[name=profile]")!.closest(".field")?.textContent).toContain("profile taken already exists");
  expect(button(root, "Write profile").disabled).toBe(true);
  await typeInto(root.querySelector("input[name=profile]"), "p");
  await settle();
  await click(button(root, "Write profile"));
  expect(ipc.called("profile_write")[0].args.request).toEqual({ name: "p", plain_keys: false, force: false });
  expect(root.querySelector("[data-testid=profile-written]")?.textContent).toContain("aws sts get-caller-identity --profile p");
});

test("history: roll back lists what will be deleted and deletes nothing until confirmed", async () => {
  const ipc = backend({
    runs: [detail().summary],
    run_detail: detail(),
    rollback_run: { run_id: "rg-000000000001", deleted: detail().live.slice(0, 2), kept: [["IAM role seqera-launch", "it carries another run's tag"]] },
  });
  const root = await mount(<History session={session} selected="rg-000000000001" onSelect={() => undefined} onExport={() => undefined} onResume={() => undefined} onIdentity={() => undefined} />);
  await click(button(root, "Roll back…"));
  const list = root.querySelector("[aria-label='Will be deleted']")!;
  expect([...list.querySelectorAll("li")].map((l) => l.textContent)).toEqual(detail().live);
  await click(button(root, "Cancel"));
  expect(ipc.called("rollback_run").length).toBe(0);
  await click(button(root, "Roll back…"));
  await click(button(root, "Delete 3 resource(s)"));
  expect(ipc.called("rollback_run").length).toBe(1);
  expect(root.textContent).toContain("kept IAM role seqera-launch: it carries another run's tag");
  expect(root.querySelector("[data-testid=rollback-clean]")).toBeNull();
});

test("history: a cancelled run is unfinished, offered for resume and roll back, not for export", async () => {
  const cancelled = detail({ summary: { ...detail().summary, status: "cancelled" } });
  let resumed: string | null = null;
  backend({ runs: [cancelled.summary], run_detail: cancelled });
  const root = await mount(<History session={session} selected="rg-000000000001" onSelect={() => undefined} onExport={() => undefined} onResume={(id) => (resumed = id)} onIdentity={() => undefined} />);
  expect(button(root, "Roll back…")).toBeTruthy();
  expect([...root.querySelectorAll("button")].some((b) => b.textContent === "Export again")).toBe(false);
  await click(button(root, "Resume"));
  expect(resumed).toBe("rg-000000000001");
});

const PLATFORM = "arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole";
const skipped = { id: "assume-with-external-id", title: "Assume the role with the External ID", status: "skipped" as const, reason: `skipped: only ${PLATFORM} can assume this role` };
const report = (checks: { id: string; title: string; status: "passed" | "failed" | "skipped"; reason: string }[]) => ({
  at: "2026-11-22T08:00:00Z",
  account: "123456789012",
  identity: null,
  principal: null,
  key_age_days: null,
  session_expires: null,
  checks,
});

test("verify: a role only the platform can assume leaves the run awaiting the platform's check, naming the role", async () => {
  const role = "arn:aws:iam::123456789012:role/seqera-cloud-access";
  backend({ verify_run: { status: "awaiting-platform", verification: report([skipped]), awaiting: [{ arn: role, principals: [PLATFORM] }] } });
  const root = await mount(<Verify runId="rg-000000000001" onContinue={() => undefined} onHistory={() => undefined} />);
  const summary = root.querySelector("[data-testid=verify-summary]")!;
  expect(summary.getAttribute("data-status")).toBe("awaiting-platform");
  expect(summary.textContent).toContain("the run is awaiting the platform's check");
  expect(summary.querySelector("[aria-label='Awaiting the platform']")?.textContent).toBe(`${role} trusts ${PLATFORM}`);
  expect(summary.textContent).toContain("rolegate verify rg-000000000001 --assume-as-profile PROFILE");
  expect(summary.textContent).not.toContain("the run is verified");
});

test("verify: the summary is the status the run earned", async () => {
  backend({ verify_run: { status: "verified", verification: report([{ ...skipped, status: "passed", reason: "assumed" }]), awaiting: [] } });
  let root = await mount(<Verify runId="rg-000000000001" onContinue={() => undefined} onHistory={() => undefined} />);
  expect(root.querySelector("[data-testid=verify-summary]")?.textContent).toBe("All 1 checks passed or were skipped with a reason: the run is verified.");
  clearMocks();
  backend({ verify_run: { status: "verify-failed", verification: report([{ ...skipped, status: "failed", reason: "AccessDenied" }]), awaiting: [] } });
  root = await mount(<Verify runId="rg-000000000001" onContinue={() => undefined} onHistory={() => undefined} />);
  expect(root.querySelector("[data-testid=verify-summary]")?.textContent).toBe("1 check(s) failed; the fix is under each.");
});

test("history: a run awaiting the platform's check says so in the list and the details", async () => {
  const awaiting = detail({ summary: { ...detail().summary, status: "awaiting-platform" } });
  backend({ runs: [awaiting.summary], run_detail: awaiting });
  const root = await mount(<History session={session} selected="rg-000000000001" onSelect={() => undefined} onExport={() => undefined} onResume={() => undefined} onIdentity={() => undefined} />);
  const badges = [...root.querySelectorAll(".badge[data-status=awaiting-platform]")].map((b) => b.textContent);
  expect(badges).toEqual(["awaiting the platform's check", "awaiting the platform's check"]);
  expect(root.querySelector("[data-testid=awaiting-platform]")?.textContent).toContain("--assume-as-profile");
  // It is an applied run: exported again, not resumed.
  expect(button(root, "Export again")).toBeTruthy();
  expect([...root.querySelectorAll("button")].some((b) => b.textContent === "Resume")).toBe(false);
});

test("test connection: blank fields are sent as null and failed checks show their copyable fix", async () => {
  const ipc = backend({
    test_connection: (a: Record<string, unknown>) => {
      emit(a, { type: "check-done", check: { id: "identity", title: "Sign in", status: "passed", reason: "ok" } });
      return {
        connection: {
          at: "2026-11-22T08:00:00Z",
          account: "123456789012",
          principal: "arn",
          key_age_days: 3,
          session_expires: null,
          checks: [
            { id: "identity", title: "Sign in", status: "passed", reason: "ok" },
            { id: "no-external-id", title: "The role can NOT be assumed without an External ID", status: "failed", reason: "it was assumed", fix: '"Condition": {"StringEquals": {"sts:ExternalId": "x"}}' },
          ],
        },
        saved: null,
      };
    },
  });
  const root = await mount(<TestConnection session={session} onIdentity={() => undefined} />);
  await typeInto(root.querySelector("input[name=role_arn]"), "arn:aws:iam::123456789012:role/r");
  await typeInto(root.querySelector("input[name=external_id]"), "x");
  await click(button(root, "Test"));
  expect(ipc.called("test_connection")[0].args.request).toEqual({
    access_key_id: null,
    secret: null,
    save: false,
    replace_saved: false,
    role_arn: "arn:aws:iam::123456789012:role/r",
    external_id: "x",
    session_name: "rolegate-test",
  });
  const failed = root.querySelector("li[data-status=failed]")!;
  expect(failed.querySelector("pre")?.textContent).toContain("sts:ExternalId");
  expect(button(failed, "Copy the fix")).toBeTruthy();
  expect(root.querySelector("[data-testid=test-summary]")?.textContent).toContain("The access key is 3 day(s) old.");
});

test("test connection: storing a pasted secret asks separately to replace a stored one and says what happened", async () => {
  const message = "the secret was not stored: it does not sign in as AKIAEXAMPLE; the keychain keeps the secret it held";
  const ipc = backend({
    test_connection: () => ({
      connection: { at: "2026-11-22T08:00:00Z", account: null, principal: null, key_age_days: null, session_expires: null, checks: [{ id: "identity", title: "Sign in", status: "failed", reason: "SignatureDoesNotMatch" }] },
      saved: { outcome: "not-stored", entry: "aws-secret-access-key/AKIAEXAMPLE", keychain: "the keychain", message },
    }),
  });
  const root = await mount(<TestConnection session={session} onIdentity={() => undefined} />);
  await typeInto(root.querySelector("input[name=access_key_id]"), "AKIAEXAMPLE");
  await typeInto(root.querySelector("input[name=secret]"), "wrong");
  expect(root.textContent).not.toContain("Replace the stored secret");
  const [store] = Array.from(root.querySelectorAll<HTMLInputElement>("input[type=checkbox]"));
  store.click();
  await settle();
  const replace = Array.from(root.querySelectorAll<HTMLInputElement>("input[type=checkbox]"))[1];
  expect(replace.parentElement?.textContent).toContain("Replace the stored secret");
  expect(replace.checked).toBe(false);
  await click(button(root, "Test"));
  expect(ipc.called("test_connection")[0].args.request).toMatchObject({ save: true, replace_saved: false });
  const shown = root.querySelector("[data-testid=secret-saved]")!;
  expect(shown.getAttribute("data-outcome")).toBe("not-stored");
  expect(shown.textContent).toBe(message);
});

test("the theme choice is applied and kept in the settings (through settings_set, never a plugin)", async () => {
  const ipc = backend({ runs: [], identity_sources: sources() });
  const root = await mount(<App />);
  const select = root.querySelector<HTMLSelectElement>("#theme")!;
  select.value = "dark";
  select.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(document.documentElement.dataset.theme).toBe("dark");
  expect(ipc.store.get("theme")).toBe("dark");
  // "Follow the system" takes the OS preference, and follows it when it changes.
  let listener: (() => void) | null = null;
  const query = { matches: true, addEventListener: (_: string, f: () => void) => (listener = f), removeEventListener: () => (listener = null) };
  window.matchMedia = (() => query) as unknown as typeof window.matchMedia;
  select.value = "system";
  select.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(document.documentElement.dataset.theme).toBe("dark");
  query.matches = false;
  listener!();
  expect(document.documentElement.dataset.theme).toBe("light");
  expect(ipc.store.get("theme")).toBe("system");
  expect(ipc.called("settings_set").map((c) => c.args)).toEqual([{ change: { theme: "dark" } }, { change: { theme: "system" } }]);
  expect(ipc.calls.filter((c) => c.cmd.startsWith("plugin:"))).toEqual([]);
});

test("unfinished runs are offered for resume or roll-back when the app opens", async () => {
  backend({ runs: [{ ...detail().summary, status: "applying", live_resources: 2 }], identity_sources: sources() });
  const root = await mount(<App />);
  expect(root.querySelector("[aria-label='Unfinished runs']")?.textContent).toContain("rg-000000000001 (seqera-batch-launch, account 123456789012) is applying with 2 resource(s) made.");
});

test("template: a compute-environment type is one card whose modes are buttons; a mode picks its template", async () => {
  const base = { ...template, id: "seqera-eks", name: "Seqera EKS (access key)", mode: "key" as const, family: "seqera-eks" };
  const role = { ...base, id: "seqera-eks-role", name: "Seqera EKS (Seqera role)", mode: "role" as const };
  const ecr = { ...template, id: "ecr-wave-readonly", name: "ECR read-only for Wave", mode: "key" as const };
  const keyRole = { ...base, id: "seqera-eks-key-role", name: "Seqera EKS (key + role)", mode: "key+role" as const };
  backend({ templates: [base, role, keyRole, ecr] });
  let picked: [Template, TemplateRef] | null = null;
  const root = await mount(<TemplatePick selected={null} selectedRef={null} onPick={(t, r) => (picked = [t, r])} onBack={() => undefined} onContinue={() => undefined} />);
  const cards = root.querySelectorAll("[aria-label=Templates] > li");
  expect(cards.length).toBe(2);
  const family = root.querySelector("[data-family=seqera-eks]")!;
  expect(family.querySelector("h3")?.textContent).toBe("Seqera EKS");
  const modes = [...family.querySelectorAll("[role=group] button")].map((b) => b.textContent);
  // In one order whatever the file's: key, key + role, role.
  expect(modes).toEqual(["access key", "access key + role with External ID", "role with External ID"]);
  await click(family.querySelector<HTMLButtonElement>("[data-template=seqera-eks-role]")!);
  expect(picked).toEqual([role, { source: "builtin", id: "seqera-eks-role" }]);
  // A template without a family keeps its own card.
  expect(root.querySelectorAll("[data-template=ecr-wave-readonly]").length).toBe(1);
});

test("details: optional features are ticked and sent to the core; an unknown one is shown on its box", async () => {
  const withFeatures: Template = {
    ...template,
    features: [
      { key: "lineage", label: "Data lineage", description: "SQS queues for lineage", policy: "main", statements: [{}] },
      { key: "fsx", label: "FSx", description: "file systems", policy: "main", statements: [{}] },
    ],
  };
  const ipc = backend({
    new_external_id: "00000000-0000-4000-8000-000000000001",
    plan: (a: Record<string, unknown>) => {
      const inputs = a.inputs as RunInputs;
      if (inputs.features?.includes("fsx")) throw { code: "invalid-input", message: "bad", fields: [{ field: "feature.fsx", rule: "unknown-feature", message: "not offered here" }] };
      return plan();
    },
  });
  function Harness() {
    const [state, setState] = useState<DetailsState>(initialDetails(withFeatures, session));
    return <Details template={withFeatures} templateRef={{ source: "builtin", id: withFeatures.id }} session={session} state={state} plan={null} onChange={setState} onPlanned={() => undefined} onContinue={() => undefined} onBack={() => undefined} />;
  }
  const root = await mount(<Harness />);
  await new Promise((r) => setTimeout(r, 250));
  await settle();
  expect((ipc.called("plan").at(-1)!.args.inputs as RunInputs).features).toEqual([]);
  const lineage = root.querySelector<HTMLInputElement>("input[name='feature.lineage']")!;
  expect(lineage.closest("label")?.textContent).toContain("SQS queues for lineage");
  await click(lineage);
  await new Promise((r) => setTimeout(r, 250));
  await settle();
  expect((ipc.called("plan").at(-1)!.args.inputs as RunInputs).features).toEqual(["lineage"]);
  await click(root.querySelector<HTMLInputElement>("input[name='feature.fsx']")!);
  await new Promise((r) => setTimeout(r, 250));
  await settle();
  expect((ipc.called("plan").at(-1)!.args.inputs as RunInputs).features).toEqual(["lineage", "fsx"]);
  expect(root.querySelector("input[name='feature.fsx']")!.closest("label")?.textContent).toContain("not offered here");
});
