// Component tests of "Send to Seqera Platform" (SeqeraSend) against a mockIPC backend:
// what it asks seqera_connect for, the steps, waits and checks it draws while Seqera
// and AWS are asked, Seqera's verdict in words, and the errors where they belong.
import { render } from "preact";
import { act } from "preact/test-utils";
import { SeqeraSend } from "../screens/SeqeraSend";
import type { Check, SeqeraConnection } from "../api";
import { backend, button, clearMocks, click, emit, mount, settle, typeInto } from "./ipc";

afterEach(() => clearMocks());

const RUN = "rg-000000000001";
const WS = "acme/research";
const NAME = `rolegate-seqera-cloud-role-${RUN}`;

const awsChecks: Check[] = [{ id: "trust", title: "The role trusts exactly the platform", status: "passed", reason: "principals and External ID as planned" }];

function connection(extra: Partial<SeqeraConnection> = {}, check?: Partial<Check>): SeqeraConnection {
  const platform: Check = {
    id: "platform-validate",
    title: "Seqera Platform uses the credential",
    status: "passed",
    reason: "Seqera Platform checked credential rolegate-seqera-cloud-role-rg-000000000001 against AWS and found it AVAILABLE",
    ...check,
  };
  return {
    run_id: RUN,
    url: "http://127.0.0.1:9999",
    workspace: WS,
    credential_id: "cred-42",
    credential_name: "rolegate-seqera-cloud-role-rg-000000000001",
    kind: "aws-role",
    reused: false,
    external_id: "5f0c-seqera-generated",
    external_id_change: {
      run_id: RUN,
      role_key: "main",
      role_name: "seqera-cloud",
      previous_external_id: "old",
      external_id: "5f0c-seqera-generated",
      outcome: "changed",
      waited: false,
      status: "applied",
      verification: null,
    },
    validation: { outcome: "available" },
    status: "verified",
    verification: { at: "2026-12-02T04:00:00Z", account: "123456789012", identity: null, principal: null, key_age_days: null, session_expires: null, checks: [...awsChecks, platform] },
    ...extra,
  };
}

const nameField = (root: Element) => root.querySelector<HTMLInputElement>("input[name=credential_name]")!;

test("with no workspace picked it says to pick one and offers no send", async () => {
  const ipc = backend({});
  const root = await mount(<SeqeraSend runId={RUN} workspace={null} defaultName={NAME} />);
  expect(root.querySelector("[data-testid=seqera-pick-workspace]")?.textContent).toContain("Pick the Seqera workspace");
  expect(button(root, "Send to Seqera Platform").disabled).toBe(true);
  expect(ipc.calls).toHaveLength(0);
});

test("sending draws each step, the wait and the checks live, then AVAILABLE and the run's new status", async () => {
  let answer: (c: SeqeraConnection) => void = () => undefined;
  const ipc = backend({
    seqera_connect: (a: Record<string, unknown>) => {
      emit(
        a,
        { type: "step-started", step: "seqera:credential", summary: "create the AWS role credential rolegate-seqera-cloud-role-rg-000000000001 in acme/research" },
        { type: "step-done", step: "seqera:credential", outcome: "created", detail: "AWS role credential (cred-42) in acme/research" },
        { type: "step-started", step: "seqera:external-id", summary: "give role seqera-cloud the External ID Seqera Platform generated" },
        { type: "step-done", step: "seqera:external-id", outcome: "changed", detail: "role seqera-cloud requires External ID 5f0c-seqera-generated" },
        { type: "step-started", step: "seqera:validate", summary: "ask Seqera Platform to check credential rolegate-seqera-cloud-role-rg-000000000001 against AWS" },
        {
          type: "waiting",
          step: "seqera:validate",
          what: "AWS to take in the new trust policy, as Seqera Platform sees it",
          attempt: 2,
          elapsed_seconds: 4,
          limit_seconds: 60,
          last_code: "INVALID",
        },
        { type: "check-done", check: awsChecks[0] },
      );
      return new Promise((r) => (answer = r));
    },
  });
  const root = await mount(<SeqeraSend runId={RUN} workspace={WS} defaultName={NAME} />);
  expect(nameField(root).placeholder).toBe("rolegate-seqera-cloud-role-rg-000000000001");
  await click(button(root, "Send to Seqera Platform"));
  // A blank name is sent as none (the core's default).
  expect(ipc.called("seqera_connect")[0].args).toMatchObject({ runId: RUN, workspace: WS, credentialName: null });

  const step = (id: string) => root.querySelector(`li[data-step="${id}"]`)!;
  expect(step("seqera:credential").getAttribute("data-status")).toBe("done");
  expect(step("seqera:credential").textContent).toContain("created: AWS role credential (cred-42) in acme/research");
  expect(step("seqera:external-id").textContent).toContain("give role seqera-cloud the External ID Seqera Platform generated");
  expect(step("seqera:validate").getAttribute("data-status")).toBe("waiting");
  expect(step("seqera:validate").textContent).toContain("waiting for AWS to take in the new trust policy, as Seqera Platform sees it (4 s of at most 60 s, try 2, last answer INVALID)");
  expect(root.querySelector("[aria-label='Checks so far'] li[data-check=trust]")?.getAttribute("data-status")).toBe("passed");
  expect(button(root, "Sending to Seqera Platform").disabled).toBe(true);
  expect(root.querySelector("[data-testid=seqera-verdict]")).toBeNull();

  answer(connection());
  await settle();
  const verdict = root.querySelector("[data-testid=seqera-verdict]")!;
  expect(verdict.getAttribute("data-outcome")).toBe("available");
  expect(verdict.textContent).toContain("AVAILABLE");
  expect(verdict.textContent).toContain("(passed)");
  expect(root.querySelector("[data-testid=seqera-credential]")?.textContent).toBe(
    "Created the AWS credential (role mode) rolegate-seqera-cloud-role-rg-000000000001 (cred-42) in acme/research at http://127.0.0.1:9999.",
  );
  expect(root.querySelector("[data-testid=seqera-external-id]")?.textContent).toContain("5f0c-seqera-generated");
  expect(root.querySelector("[data-testid=seqera-run-status]")?.textContent).toBe(`Run ${RUN} is now verified: AWS and Seqera Platform both accept it.`);
  expect(root.querySelector("li[data-check=platform-validate]")?.getAttribute("data-status")).toBe("passed");
});

test("INVALID shows Seqera's message and the fix from the platform-validate check", async () => {
  const fix = "role seqera-cloud must trust the principal Seqera Platform acts as (arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole) with the External ID 5f0c";
  backend({
    seqera_connect: connection(
      { validation: { outcome: "invalid", message: "Access denied: sts:AssumeRole" }, status: "verify-failed" },
      { id: "platform-validate", status: "failed", reason: "Seqera Platform found it INVALID", fix },
    ),
  });
  const root = await mount(<SeqeraSend runId={RUN} workspace={WS} defaultName={NAME} />);
  await click(button(root, "Send to Seqera Platform"));
  const verdict = root.querySelector("[data-testid=seqera-verdict]")!;
  expect(verdict.getAttribute("data-outcome")).toBe("invalid");
  expect(verdict.textContent).toContain("INVALID");
  expect(verdict.textContent).toContain("Access denied: sts:AssumeRole");
  expect(verdict.querySelector("[data-testid=seqera-fix]")?.textContent).toBe(fix);
  expect(root.querySelector("[data-testid=seqera-run-status]")?.textContent).toContain("verification failed");
});

test("no verdict (Seqera could not reach AWS) is said as such, with the reason", async () => {
  backend({
    seqera_connect: connection(
      { validation: { outcome: "transient", message: "timeout reaching sts.amazonaws.com" }, status: "verified" },
      { status: "skipped", reason: "skipped: Seqera Platform could not reach AWS" },
    ),
  });
  const root = await mount(<SeqeraSend runId={RUN} workspace={WS} defaultName={NAME} />);
  await click(button(root, "Send to Seqera Platform"));
  const verdict = root.querySelector("[data-testid=seqera-verdict]")!;
  expect(verdict.getAttribute("data-outcome")).toBe("transient");
  expect(verdict.textContent).toContain("No verdict");
  expect(verdict.textContent).toContain("timeout reaching sts.amazonaws.com");
  expect(verdict.textContent).not.toContain("AVAILABLE");
});

test("a credential name Seqera already has is shown on the name field", async () => {
  const ipc = backend({
    seqera_connect: () => {
      throw {
        code: "invalid-input",
        message: "credential_name: workspace acme/research already has a credential named taken",
        fields: [{ field: "credential_name", rule: "name-taken", message: "workspace acme/research at http://127.0.0.1:9999 already has a credential named taken (409)" }],
      };
    },
  });
  const root = await mount(<SeqeraSend runId={RUN} workspace={WS} defaultName={NAME} />);
  await typeInto(nameField(root), "  taken ");
  await click(button(root, "Send to Seqera Platform"));
  expect(ipc.called("seqera_connect")[0].args.credentialName).toBe("taken");
  const input = nameField(root);
  expect(input.getAttribute("aria-invalid")).toBe("true");
  const under = input.closest(".field")!.querySelector(".field-error")!;
  expect(under.textContent).toContain("already has a credential named taken");
  expect(under.textContent).toContain("name-taken");
  // Claimed by the field, so not listed again in the banner.
  expect(root.querySelector("[role=alert] ul")).toBeNull();
  expect(root.querySelector("[data-testid=seqera-verdict]")).toBeNull();
});

test("not signed in: the error's message and what to do", async () => {
  backend({
    seqera_connect: () => {
      throw { code: "platform-not-signed-in", message: "not signed in to Seqera Platform", hint: "sign in to Seqera Platform with an access token first" };
    },
  });
  const root = await mount(<SeqeraSend runId={RUN} workspace={WS} defaultName={NAME} />);
  await click(button(root, "Send to Seqera Platform"));
  const alert = root.querySelector("[role=alert]")!;
  expect(alert.textContent).toContain("platform-not-signed-in");
  expect(alert.textContent).toContain("not signed in to Seqera Platform");
  expect(alert.querySelector(".hint")?.textContent).toBe("sign in to Seqera Platform with an access token first");
  expect(button(root, "Send to Seqera Platform").disabled).toBe(false);
});

test("another workspace picked after a send starts afresh: the last verdict is not shown for it", async () => {
  backend({ seqera_connect: connection() });
  const root = await mount(<SeqeraSend runId={RUN} workspace={WS} defaultName={NAME} />);
  await click(button(root, "Send to Seqera Platform"));
  expect(root.querySelector("[data-testid=seqera-verdict]")).not.toBeNull();
  await act(async () => {
    render(<SeqeraSend runId={RUN} workspace="acme/other" defaultName={NAME} />, root);
  });
  await settle();
  expect(root.querySelector("[data-testid=seqera-verdict]")).toBeNull();
  expect(root.querySelector("[data-testid=seqera-run-status]")).toBeNull();
  expect(button(root, "Send to Seqera Platform").disabled).toBe(false);
});
