// Component tests of the Fleet screen against a mockIPC backend: the organization's
// tree with the management account marked, Deploy sending the core's request, the
// per-account table filling in from FleetProgress and FleetVerdict events before the
// report replaces it, Retry / Roll back / Refresh status / reopening a fleet, and
// errors shown with the core's message, hint and field.
import type { FleetReport, FleetSummary, FleetTargets, Template } from "../api";
import { Fleet } from "../screens/Fleet";
import { backend, button, clearMocks, click, emit, mount, settle, typeInto } from "./ipc";
import { plan, session, template } from "./fixtures";

afterEach(() => clearMocks());

const roleTemplate: Template = { ...template, id: "seqera-cloud-role", name: "Seqera Cloud (role)", mode: "role", user: null };

const tree: FleetTargets = {
  organization_id: "o-abcd1234",
  management_account_id: "123456789012",
  caller_account_id: "123456789012",
  caller_is_management: true,
  root: {
    id: "r-ab12",
    name: "Root",
    kind: "root",
    accounts: [{ id: "123456789012", name: "management", email: "m@example.org", status: "ACTIVE", management: true, caller: true }],
    children: [
      {
        id: "ou-ab12-11111111",
        name: "Workloads",
        kind: "ou",
        accounts: [{ id: "111111111111", name: "prod", email: "p@example.org", status: "ACTIVE", management: false, caller: false }],
        children: [
          {
            id: "ou-ab12-22222222",
            name: "Dev",
            kind: "ou",
            accounts: [{ id: "222222222222", name: "dev", email: "d@example.org", status: "ACTIVE", management: false, caller: false }],
            children: [],
          },
        ],
      },
    ],
  },
};

const report = (extra: Partial<FleetReport> = {}): FleetReport => ({
  fleet_id: "fl-000000000001",
  status: "partly-deployed",
  template_id: "seqera-cloud-role",
  stack_set_name: "rolegate-fl-000000000001",
  stack_set_id: "rolegate-fl-000000000001:1",
  permission_model: "service-managed",
  last_operation: "op-1",
  accounts: [
    { account: "111111111111", region: "eu-west-1", instance_status: "CURRENT", detailed_status: "SUCCEEDED", verdict: "awaiting-platform", reason: "every check Rolegate can run passed", checks: [] },
    {
      account: "222222222222",
      region: "eu-west-1",
      instance_status: "OUTDATED",
      detailed_status: "FAILED",
      verdict: "failed",
      reason: "seqera-role already exists",
      fix: "free the role name in 222222222222, then Retry",
      checks: [],
    },
  ],
  notes: [],
  ...extra,
});

const listed: FleetSummary[] = [
  { fleet_id: "fl-000000000009", status: "deployed", template_id: "seqera-cloud-role", stack_set_name: "rolegate-fl-000000000009", account: "123456789012", created_at: "2026-11-30T10:00:00Z", succeeded: 3, reached: 3 },
];

function fleetBackend(extra: Record<string, unknown> = {}) {
  return backend({
    fleet_targets: tree,
    templates: [template, roleTemplate],
    fleet_list: listed,
    plan: plan({ template_id: "seqera-cloud-role", mode: "role" }),
    ...extra,
  });
}

const noop = () => undefined;
const cell = (root: Element, account: string, col: number) => root.querySelector(`tr[data-account="${account}"]`)?.querySelectorAll("td")[col]?.textContent;

test("the tree nests OUs and marks the management account, offering a single run for it; only role-mode templates are offered", async () => {
  fleetBackend();
  const single: string[] = [];
  const root = await mount(<Fleet session={session} onIdentity={noop} onSingleRun={() => single.push("single")} />);
  expect(root.querySelector('li[data-ou="ou-ab12-11111111"] li[data-ou="ou-ab12-22222222"] li[data-account="222222222222"]')).not.toBeNull();
  const mgmt = root.querySelector('[data-testid="management-account"]')!;
  expect(mgmt.closest("li")!.getAttribute("data-account")).toBe("123456789012");
  expect(mgmt.textContent).toContain("service-managed StackSets never deploy to it");
  await click(button(root, "Onboard it with a single run"));
  expect(single).toEqual(["single"]);
  const options = [...root.querySelectorAll<HTMLOptionElement>("#fleet-template option")].map((o) => o.value);
  expect(options).toEqual(["seqera-cloud-role"]);
});

test("Deploy sends the request; the fleet id shows at once and the table fills in live from events, then from the report", async () => {
  let answer: (r: FleetReport) => void = noop;
  let args: Record<string, unknown> = {};
  const ipc = fleetBackend({
    fleet_apply: (a: Record<string, unknown>) => {
      args = a;
      return new Promise((resolve) => (answer = resolve));
    },
  });
  const root = await mount(<Fleet session={session} onIdentity={noop} onSingleRun={noop} />);
  await click(root.querySelector('input[aria-label="OU Workloads ou-ab12-11111111"]'));
  await typeInto(root.querySelector("input[name=max-concurrent]"), "50%");
  await typeInto(root.querySelector("input[name=failure-tolerance]"), "1");
  await click(root.querySelector("input[name=auto-deploy]"));
  await click(button(root, "Deploy"));
  const sent = ipc.called("fleet_apply")[0].args.request as { template: unknown; fleet: Record<string, unknown>; inputs: { template_id: string } };
  expect(sent.template).toEqual({ source: "builtin", id: "seqera-cloud-role" });
  expect(sent.inputs.template_id).toBe("seqera-cloud-role");
  expect(sent.fleet).toEqual({
    targets: { ous: ["ou-ab12-11111111"] },
    regions: ["eu-west-1"],
    auto_deploy: true,
    preferences: { max_concurrent: 50, concurrent_percent: true, failure_tolerance: 1, tolerance_percent: false, regions_parallel: false },
    administration_role_arn: null,
    execution_role_name: null,
    access_role: "OrganizationAccountAccessRole",
    acknowledge_admin_access: false,
  });
  expect(root.textContent).toContain("Deploying…");

  (args.onStarted as { onmessage: (id: string) => void }).onmessage("fl-000000000001");
  await settle();
  expect(root.textContent).toContain("Fleet fl-000000000001");

  const progress = (account: string, status: string, reason = "") => ({ type: "fleet-progress", fleet_id: "fl-000000000001", operation_id: "op-1", account, region: "eu-west-1", status, reason });
  emit(args, progress("", "RUNNING"), progress("111111111111", "RUNNING"), progress("222222222222", "RUNNING"));
  await settle();
  expect(root.querySelector('[data-testid="fleet-operation"]')!.textContent).toContain("op-1: RUNNING");
  expect(cell(root, "111111111111", 2)).toBe("RUNNING");
  expect(cell(root, "222222222222", 4)).toBe("pending");

  emit(args, progress("222222222222", "FAILED", "seqera-role already exists"), progress("111111111111", "SUCCEEDED"));
  emit(args, { type: "fleet-verdict", fleet_id: "fl-000000000001", account: "111111111111", verdict: "awaiting-platform", reason: "checks passed" });
  // An event of another fleet changes nothing.
  emit(args, { type: "fleet-verdict", fleet_id: "fl-000000000777", account: "333333333333", verdict: "failed", reason: "x" });
  await settle();
  expect(cell(root, "222222222222", 2)).toBe("FAILED");
  expect(cell(root, "222222222222", 5)).toBe("seqera-role already exists");
  expect(cell(root, "111111111111", 4)).toBe("awaiting-platform");
  expect(root.querySelector('tr[data-account="333333333333"]')).toBeNull();

  answer(report());
  await settle();
  // The report has no operation results: that column goes.
  expect(root.querySelector('td[data-col="operation"]')).toBeNull();
  expect(cell(root, "111111111111", 2)).toBe("CURRENT (SUCCEEDED)");
  expect(cell(root, "222222222222", 3)).toBe("failed");
  expect(cell(root, "222222222222", 5)).toBe("free the role name in 222222222222, then Retry");
  expect(root.textContent).not.toContain("Deploying…");
  expect(ipc.called("fleet_list").length).toBeGreaterThanOrEqual(2);
});

test("Retry, Refresh status and Roll back (after confirming) act on the fleet in hand; a fleet of the list is reopened", async () => {
  const ipc = fleetBackend({
    fleet_status: (a: Record<string, unknown>) => report({ fleet_id: a.fleetId as string }),
    fleet_retry: () => report({ status: "deployed" }),
    fleet_rollback: () => report({ status: "rolled-back", accounts: [{ ...report().accounts[0], instance_status: "NONE", detailed_status: "", verdict: "removed", reason: "no role of the fleet is left" }] }),
  });
  const root = await mount(<Fleet session={session} onIdentity={noop} onSingleRun={noop} />);
  await click(button(root, "fl-000000000009"));
  expect(ipc.called("fleet_status").map((c) => c.args.fleetId)).toEqual(["fl-000000000009"]);
  expect(root.textContent).toContain("Fleet fl-000000000009");
  expect(cell(root, "222222222222", 3)).toBe("failed");

  await click(button(root, "Retry"));
  expect(ipc.called("fleet_retry").map((c) => c.args.fleetId)).toEqual(["fl-000000000009"]);
  await click(button(root, "Refresh status"));
  expect(ipc.called("fleet_status")).toHaveLength(2);

  await click(button(root, "Roll back…"));
  expect(ipc.called("fleet_rollback")).toHaveLength(0);
  await click(button(root, "Delete every instance and the StackSet"));
  expect(ipc.called("fleet_rollback")).toHaveLength(1);
  expect(cell(root, "111111111111", 3)).toBe("removed");
  expect(root.querySelector('tr[data-account="222222222222"]')).toBeNull();
});

test("an error shows the core's code, message, hint and the field it names; bad numbers are named before any call", async () => {
  const ipc = fleetBackend({
    fleet_apply: () => {
      throw {
        code: "invalid-input",
        message: "the input is not valid",
        hint: "Pick a role-mode template.",
        fields: [{ field: "template", rule: "fleet-role-mode-only", message: "a StackSet would hand each account's secret access key to CloudFormation" }],
      };
    },
  });
  const root = await mount(<Fleet session={session} onIdentity={noop} onSingleRun={noop} />);
  await typeInto(root.querySelector("input[name=max-concurrent]"), "ten");
  await click(button(root, "Deploy"));
  expect(ipc.called("fleet_apply")).toHaveLength(0);
  expect(root.querySelector("input[name=max-concurrent]")!.getAttribute("aria-invalid")).toBe("true");
  expect(root.textContent).toContain("max-concurrent: number");

  await typeInto(root.querySelector("input[name=max-concurrent]"), "10");
  await click(button(root, "Deploy"));
  expect(ipc.called("fleet_apply")).toHaveLength(1);
  const alert = [...root.querySelectorAll('[role="alert"]')].map((a) => a.textContent).join(" ");
  expect(alert).toContain("invalid-input");
  expect(alert).toContain("Pick a role-mode template.");
  expect(alert).toContain("template: a StackSet would hand each account's secret access key to CloudFormation (fleet-role-mode-only)");
});

test("a plan that names a way to administrator access asks for the acknowledgement, which the request carries", async () => {
  const ipc = fleetBackend({
    plan: plan({ template_id: "seqera-cloud-role", lints: [{ severity: "warning", field: "policies.main", rule: "admin-access", message: "iam:PassRole on * leads to administrator access", acknowledge: true }] }),
    fleet_apply: () => report(),
  });
  const root = await mount(<Fleet session={session} onIdentity={noop} onSingleRun={noop} />);
  await new Promise((r) => setTimeout(r, 300));
  await settle();
  expect(root.textContent).toContain("iam:PassRole on * leads to administrator access");
  await click(root.querySelector("input[name=acknowledge]"));
  await click(root.querySelector('input[aria-label="Root r-ab12"]'));
  await click(button(root, "Deploy"));
  const sent = ipc.called("fleet_apply")[0].args.request as { fleet: { acknowledge_admin_access: boolean; targets: unknown } };
  expect(sent.fleet.acknowledge_admin_access).toBe(true);
  expect(sent.fleet.targets).toEqual({ ous: ["r-ab12"] });
});

test("accounts mode sends a self-managed account list; without an identity the screen asks for one", async () => {
  const ipc = fleetBackend({ fleet_apply: () => report({ permission_model: "self-managed" }) });
  const root = await mount(<Fleet session={session} onIdentity={noop} onSingleRun={noop} />);
  await click(root.querySelectorAll<HTMLInputElement>("input[name=fleet-kind]")[1]);
  await click(root.querySelector('input[aria-label="Account dev 222222222222"]'));
  await typeInto(root.querySelector("input[name=execution-role]"), "MyExecRole");
  await click(button(root, "Deploy"));
  const sent = ipc.called("fleet_apply")[0].args.request as { fleet: Record<string, unknown> };
  expect(sent.fleet.targets).toEqual({ accounts: ["222222222222"] });
  expect(sent.fleet.auto_deploy).toBe(false);
  expect(sent.fleet.execution_role_name).toBe("MyExecRole");

  const asked: string[] = [];
  const none = await mount(<Fleet session={null} onIdentity={() => asked.push("identity")} onSingleRun={noop} />);
  await click(button(none, "Choose identity"));
  expect(asked).toEqual(["identity"]);
});
