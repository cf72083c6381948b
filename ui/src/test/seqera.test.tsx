// Component tests of Seqera Platform in the window (sign-in, sign-out, the workspace
// picker on Export) and of "External ID the platform shows" on Verify and History,
// against a mockIPC backend.
import type { ExternalIdChange, PlannedRole, SignedIn } from "../api";
import { Export } from "../screens/Export";
import { ExternalIdField } from "../screens/ExternalId";
import { History } from "../screens/History";
import { SeqeraSignIn } from "../screens/Seqera";
import { Verify } from "../screens/Verify";
import { backend, button, clearMocks, click, emit, mount, typeInto } from "./ipc";
import { detail, plan, session } from "./fixtures";

afterEach(() => clearMocks());

const signed: SignedIn = {
  url: "https://api.cloud.seqera.io",
  user: { id: 7, user_name: "ada", email: "ada@example.org" },
  entry: "seqera-token/https://api.cloud.seqera.io",
};

const workspaces = {
  session: signed,
  workspaces: [
    { org_id: 1, org_name: "acme", workspace_id: 11, workspace_name: "pipelines", full_name: "Acme pipelines" },
    { org_id: 1, org_name: "acme", workspace_id: 12, workspace_name: "dev", full_name: null },
  ],
};

const role: PlannedRole = {
  key: "main",
  name: "seqera-launch",
  arn: "arn:aws:iam::123456789012:role/seqera-launch",
  description: "Assumed by Seqera",
  principals: ["arn:aws:iam::123456789012:user/seqera-launch"],
  trusts_created_user: true,
  external_id: "3ed8a467-5f28-4a8c-9219-3575a783dd05",
  condition: { operator: "StringEquals", value: "3ed8a467-5f28-4a8c-9219-3575a783dd05", anchors: [] },
  trust_policy: {},
  attach: [],
  max_session_seconds: 3600,
  verify_actions: [],
};

const withRole = () => detail({ plan: plan({ roles: [role] }), formats: ["seqera", "aws-profile"] });

const check = (id: string) => ({ id, title: `check ${id}`, status: "passed" as const, reason: "ok" });

const change = (extra: Partial<ExternalIdChange> = {}): ExternalIdChange => ({
  run_id: "rg-000000000001",
  role_key: "main",
  role_name: "seqera-launch",
  previous_external_id: role.external_id,
  external_id: "seqera-generated-0001",
  outcome: "changed",
  waited: true,
  status: "verified",
  verification: { at: "2026-11-22T08:02:00Z", account: "123456789012", identity: null, principal: null, key_age_days: 0, session_expires: null, checks: [check("assume-with-id"), check("assume-without-id")] },
  ...extra,
});

const tokenInput = (root: Element) => root.querySelector<HTMLInputElement>("input[name=seqera-token]")!;

test("sign-in: the token is a password field, sent once with the URL, and the field is empty after submit", async () => {
  const got: SignedIn[] = [];
  const ipc = backend({ seqera_sign_in: signed });
  const root = await mount(<SeqeraSignIn onSignedIn={(s) => got.push(s)} />);
  expect(root.querySelector<HTMLInputElement>("input[name=seqera-url]")!.value).toBe("https://api.cloud.seqera.io");
  expect(tokenInput(root).type).toBe("password");
  await typeInto(tokenInput(root), "eyJ-secret-token");
  await click(button(root, "Sign in"));
  expect(ipc.called("seqera_sign_in").map((c) => c.args)).toEqual([{ url: "https://api.cloud.seqera.io", token: "eyJ-secret-token" }]);
  expect(tokenInput(root).value).toBe("");
  expect(got).toEqual([signed]);
  expect(root.innerHTML).not.toContain("eyJ-secret-token");
});

test("sign-in: a refused token shows the error's message and hint, and the field is empty again", async () => {
  backend({
    seqera_sign_in: () => {
      throw {
        code: "platform-token-refused",
        message: "Seqera Platform at https://api.cloud.seqera.io refused the access token (GET /user-info)",
        hint: "create a new access token in Seqera Platform (user menu, Your tokens) and paste it again",
        fields: [],
        lints: [],
      };
    },
  });
  const root = await mount(<SeqeraSignIn onSignedIn={() => undefined} />);
  await typeInto(root.querySelector("input[name=seqera-url]"), "https://seqera.example.org/api");
  await typeInto(tokenInput(root), "revoked-token");
  await click(button(root, "Sign in"));
  const alert = root.querySelector("[role=alert]")!;
  expect(alert.textContent).toContain("refused the access token");
  expect(alert.textContent).toContain("create a new access token in Seqera Platform (user menu, Your tokens) and paste it again");
  expect(tokenInput(root).value).toBe("");
  expect(root.innerHTML).not.toContain("revoked-token");
});

test("export: a signed-in user is shown with the workspaces to pick, and can sign out", async () => {
  const ipc = backend({
    run_detail: withRole(),
    export_preview: { format: "seqera", text: "{}", holds_secret: false, file_name: "x.json" },
    seqera_session: signed,
    seqera_workspaces: workspaces,
    seqera_sign_out: { url: signed.url, removed: true },
  });
  const root = await mount(<Export runId="rg-000000000001" onDone={() => undefined} />);
  const section = root.querySelector("section[aria-labelledby=send-seqera-h]")!;
  expect(section.querySelector("h3")!.textContent).toBe("Send to Seqera Platform");
  expect(section.querySelector("[data-testid=seqera-user]")!.textContent).toContain("Signed in to https://api.cloud.seqera.io as ada (ada@example.org)");
  const radios = [...section.querySelectorAll<HTMLInputElement>("input[name=seqera-workspace]")];
  expect(radios.map((r) => r.value)).toEqual(["acme/pipelines", "acme/dev"]);
  await click(radios[1]);
  // The picked workspace is where Send goes.
  expect(section.textContent).toContain("to acme/dev");
  expect([...section.querySelectorAll("button")].map((b) => b.textContent)).toEqual(["Sign out", "Send to Seqera Platform"]);
  await click(button(section, "Sign out"));
  expect(ipc.called("seqera_sign_out").length).toBe(1);
  expect(section.querySelector("input[name=seqera-token]")).not.toBeNull();
  expect(section.querySelector("input[name=seqera-workspace]")).toBeNull();
});

test("export: with nobody signed in, the sign-in form is offered and signing in lists the workspaces", async () => {
  const ipc = backend({
    run_detail: withRole(),
    export_preview: { format: "seqera", text: "{}", holds_secret: false, file_name: "x.json" },
    seqera_session: null,
    seqera_sign_in: signed,
    seqera_workspaces: workspaces,
  });
  const root = await mount(<Export runId="rg-000000000001" onDone={() => undefined} />);
  expect(ipc.called("seqera_workspaces").length).toBe(0);
  await typeInto(tokenInput(root), "tok");
  await click(button(root, "Sign in"));
  expect(root.querySelectorAll("input[name=seqera-workspace]").length).toBe(2);
});

test("export: a run whose template Seqera holds no credential for has no Seqera section", async () => {
  backend({ run_detail: detail({ seqera_credential_name: null }), export_preview: { format: "sh", text: "", holds_secret: false, file_name: "x.sh" } });
  const root = await mount(<Export runId="rg-000000000001" onDone={() => undefined} />);
  expect(root.textContent).not.toContain("Send to Seqera Platform");
});

test("external ID: the pasted value is sent for the run's role and the outcome is shown", async () => {
  const ipc = backend({
    set_external_id: (a: Record<string, unknown>) => {
      emit(a, { type: "check-done", check: check("assume-with-id") });
      return change();
    },
  });
  const root = await mount(<ExternalIdField runId="rg-000000000001" roles={[role]} />);
  await typeInto(root.querySelector("input[name=external_id]"), "  seqera-generated-0001 ");
  await click(button(root, "Use this External ID"));
  expect(ipc.called("set_external_id")[0].args).toMatchObject({ runId: "rg-000000000001", roleKey: null, value: "seqera-generated-0001" });
  const out = root.querySelector("[data-testid=external-id-outcome]")!;
  expect(out.getAttribute("data-outcome")).toBe("changed");
  expect(out.textContent).toContain(`Role seqera-launch now requires External ID seqera-generated-0001 (was ${role.external_id})`);
  expect(out.textContent).toContain("Waited until AWS accepted the new value.");
  expect(out.querySelector("[data-status]")!.textContent).toBe("verified");
  expect([...root.querySelectorAll("[data-check]")].map((c) => c.getAttribute("data-check"))).toEqual(["assume-with-id", "assume-without-id"]);
});

test("external ID: adopted and unchanged say so; a bad value is shown at the field with its rule", async () => {
  let answer: ExternalIdChange | null = change({ outcome: "adopted", waited: false, status: "verified" });
  backend({
    set_external_id: () => {
      if (answer) return answer;
      throw { code: "invalid-input", message: "invalid input", hint: null, fields: [{ field: "external_id", rule: "external-id-chars", message: "may hold only letters, digits and +=,.@:/-" }], lints: [] };
    },
  });
  const root = await mount(<ExternalIdField runId="rg-000000000001" roles={[role]} />);
  const input = root.querySelector("input[name=external_id]");
  await typeInto(input, "seqera-generated-0001");
  await click(button(root, "Use this External ID"));
  expect(root.querySelector("[data-testid=external-id-outcome]")!.textContent).toContain("already required External ID seqera-generated-0001; the run now records it");
  expect(root.textContent).toContain("No wait: this run's own key cannot assume the role");
  answer = change({ outcome: "unchanged", waited: false, verification: null });
  await click(button(root, "Use this External ID"));
  expect(root.textContent).toContain("already uses External ID seqera-generated-0001; nothing was changed");
  expect(root.textContent).toContain("Nothing changed, so nothing to wait for.");
  answer = null;
  await typeInto(input, "bad value!");
  await click(button(root, "Use this External ID"));
  expect(root.querySelector("[data-testid=external-id-outcome]")).toBeNull();
  expect(root.querySelector(".field")?.textContent).toContain("may hold only letters, digits");
});

test("external ID: with several roles the person picks which one", async () => {
  const ipc = backend({ set_external_id: change({ role_key: "ops" }) });
  const root = await mount(<ExternalIdField runId="rg-1" roles={[role, { ...role, key: "ops", name: "ops-role" }]} />);
  await click(root.querySelector("input[name=external-id-role][value=ops]"));
  await typeInto(root.querySelector("input[name=external_id]"), "x-123456");
  await click(button(root, "Use this External ID"));
  expect(ipc.called("set_external_id")[0].args.roleKey).toBe("ops");
});

test("verify: the External ID field is offered once the checks are in, for a run with a role", async () => {
  backend({ verify_run: { status: "verified", verification: change().verification, awaiting: [] }, run_detail: withRole(), set_external_id: change() });
  const root = await mount(<Verify runId="rg-000000000001" onContinue={() => undefined} onHistory={() => undefined} />);
  expect(root.querySelector("form[aria-label='External ID the platform shows']")).not.toBeNull();
  await typeInto(root.querySelector("input[name=external_id]"), "seqera-generated-0001");
  await click(button(root, "Use this External ID"));
  expect(root.querySelector("[data-testid=external-id-outcome]")!.textContent).toContain("now requires External ID seqera-generated-0001");
});

test("verify and history: a run without a role has no External ID field", async () => {
  backend({ verify_run: { status: "verified", verification: change().verification, awaiting: [] }, run_detail: detail(), runs: [detail().summary] });
  const root = await mount(<Verify runId="rg-000000000001" onContinue={() => undefined} onHistory={() => undefined} />);
  expect(root.textContent).toContain("All 2 checks passed");
  expect(root.querySelector("input[name=external_id]")).toBeNull();
});

test("history: an applied run with a role offers the field, and the run is read again after the change", async () => {
  const ipc = backend({ runs: [withRole().summary], run_detail: withRole(), set_external_id: change() });
  const root = await mount(<History session={session} selected="rg-000000000001" onSelect={() => undefined} onExport={() => undefined} onResume={() => undefined} onIdentity={() => undefined} />);
  const before = ipc.called("run_detail").length;
  await typeInto(root.querySelector("input[name=external_id]"), "seqera-generated-0001");
  await click(button(root, "Use this External ID"));
  expect(root.querySelector("[data-testid=external-id-outcome]")!.textContent).toContain("now requires External ID seqera-generated-0001");
  expect(ipc.called("run_detail").length).toBeGreaterThan(before);
});
