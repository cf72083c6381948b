// Fleet: one role-mode template across an AWS Organization through StackSets. The
// organization's tree to pick OUs or accounts from, the template and StackSets'
// settings, Deploy; then a table per account that fills in live from the core's
// FleetProgress and FleetVerdict events, with Retry, Roll back, Refresh status and
// Resume, and this home's fleets to reopen one. Every check and verdict is the core's.
import { useEffect, useState } from "preact/hooks";
import { api, type Event, type FleetApplyRequest, type FleetReport, type FieldError, type SessionInfo, type Template } from "../api";
import { Confirm, ErrorBox, Field, errorsFor, unclaimed } from "../components";
import { fromReport, noFleet, onFleetEvent, type FleetLive } from "../fleetRows";
import { inputError, useCommand } from "../useCommand";
import { AccountTable, FleetList } from "./FleetTable";
import { TargetTree, type TargetKind } from "./FleetTargets";

type Named = "resume" | "retry" | "status" | "rollback";
type Action = "deploy" | Named;

/** The commands that act on a fleet named by its id. */
const ON_FLEET: Record<Named, (fleetId: string, onEvent: (e: Event) => void) => Promise<FleetReport>> = {
  resume: api.fleetResume,
  retry: api.fleetRetry,
  status: api.fleetStatus,
  rollback: api.fleetRollback,
};

const BUSY: Record<Action, string> = {
  deploy: "Deploying…",
  resume: "Resuming…",
  retry: "Retrying the failed accounts…",
  status: "Reading every account…",
  rollback: "Rolling back…",
};

/** "N" or "N%" as StackSets' count or percentage; null when it is neither. */
function amount(text: string): { n: number; percent: boolean } | null {
  const m = /^\s*(\d+)\s*(%?)\s*$/.exec(text);
  return m ? { n: Number(m[1]), percent: m[2] === "%" } : null;
}

const roleMode = (t: Template) => t.mode === "role";

export function Fleet(props: { session: SessionInfo | null; onIdentity: () => void; onSingleRun: () => void }) {
  const targets = useCommand(api.fleetTargets);
  const templates = useCommand(() => api.templates().then((ts) => ts.filter(roleMode)));
  const fleets = useCommand(api.fleetList, { keep: true });
  const planned = useCommand(api.plan, { keep: true, delayMs: 250 });
  const [kind, setKind] = useState<TargetKind>("ous");
  const [picked, setPicked] = useState<string[]>([]);
  const [templateId, setTemplateId] = useState("");
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [region, setRegion] = useState(props.session?.region ?? "");
  const [autoDeploy, setAutoDeploy] = useState(false);
  const [maxConcurrent, setMaxConcurrent] = useState("10");
  const [tolerance, setTolerance] = useState("0");
  const [accessRole, setAccessRole] = useState("OrganizationAccountAccessRole");
  const [adminRole, setAdminRole] = useState("");
  const [execRole, setExecRole] = useState("");
  const [ack, setAck] = useState(false);
  const [live, setLive] = useState<FleetLive>(noFleet);
  const [confirm, setConfirm] = useState(false);
  const onEvent = (e: Event) => setLive((l) => onFleetEvent(l, e));

  const act = useCommand((what: Action, arg: string | FleetApplyRequest) =>
    typeof arg === "string" && what !== "deploy" ? ON_FLEET[what](arg, onEvent) : api.fleetApply(arg as FleetApplyRequest, (fleetId) => setLive({ ...noFleet, fleetId }), onEvent),
  );
  const [running, setRunning] = useState<Action | null>(null);

  useEffect(() => {
    if (!props.session) return;
    setRegion(props.session.region);
    void targets.run();
    void templates.run();
    void fleets.run();
  }, [props.session?.who.arn, props.session?.home]);

  const template = templates.result?.find((t) => t.id === templateId) ?? null;
  useEffect(() => {
    if (!templateId && templates.result?.length) setTemplateId(templates.result[0].id);
  }, [templates.result]);

  const inputs = () => ({
    template_id: templateId,
    region: props.session?.region ?? region.trim(),
    path: "/",
    names: {},
    variables: Object.fromEntries(Object.entries(variables).filter(([, v]) => v.trim() !== "").map(([k, v]) => [k, v.trim()])),
    trusted_principals: [],
    external_ids: {},
    policy_documents: {},
    tags: [],
  });
  // The core's plan says whether the person must acknowledge a way to administrator access.
  useEffect(() => {
    if (props.session && templateId) void planned.run({ source: "builtin", id: templateId }, inputs());
  }, [templateId, JSON.stringify(variables), props.session?.who.arn]);
  const needsAck = !!planned.result?.lints.some((l) => l.acknowledge);

  async function run(what: Action, arg: string | FleetApplyRequest) {
    setConfirm(false);
    setRunning(what);
    if (typeof arg === "string") setLive((l) => (l.fleetId === arg ? l : { ...noFleet, fleetId: arg }));
    const answer = await act.run(what, arg);
    setRunning(null);
    if (answer.ok) setLive((l) => fromReport(answer.value, l.operation));
    void fleets.run();
  }

  function deploy() {
    const fields: FieldError[] = [];
    const mc = amount(maxConcurrent);
    const ft = amount(tolerance);
    if (!mc) fields.push({ field: "max-concurrent", rule: "number", message: `${JSON.stringify(maxConcurrent)} is no number: write N or N%` });
    if (!ft) fields.push({ field: "failure-tolerance", rule: "number", message: `${JSON.stringify(tolerance)} is no number: write N or N%` });
    if (!mc || !ft) return act.fail(inputError(fields, "Some settings are not numbers."));
    const request: FleetApplyRequest = {
      template: { source: "builtin", id: templateId },
      inputs: inputs(),
      fleet: {
        targets: kind === "ous" ? { ous: picked } : { accounts: picked },
        regions: [region.trim()],
        auto_deploy: kind === "ous" && autoDeploy,
        preferences: { max_concurrent: mc.n, concurrent_percent: mc.percent, failure_tolerance: ft.n, tolerance_percent: ft.percent, regions_parallel: false },
        administration_role_arn: kind === "accounts" && adminRole.trim() ? adminRole.trim() : null,
        execution_role_name: kind === "accounts" && execRole.trim() ? execRole.trim() : null,
        access_role: accessRole.trim(),
        acknowledge_admin_access: ack,
      },
    };
    setLive(noFleet);
    void run("deploy", request);
  }

  if (!props.session) {
    return (
      <section aria-labelledby="fleet-h">
        <h2 id="fleet-h">Fleet</h2>
        <div class="notice" role="status">
          Choose the identity that reads the organization (its management account or a StackSets delegated administrator).{" "}
          <button type="button" onClick={props.onIdentity}>
            Choose identity
          </button>
        </div>
      </section>
    );
  }

  const fields = act.error?.fields ?? [];
  const claimed = ["region", "max-concurrent", "failure-tolerance", "access-role", "execution-role", "variables"];
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  const busy = act.busy;
  return (
    <section aria-labelledby="fleet-h">
      <h2 id="fleet-h">Fleet</h2>
      <p class="lead">Deploy one role-mode template to the accounts of an AWS Organization with CloudFormation StackSets, then verify every account.</p>
      <h3>Targets</h3>
      <div class="field" role="radiogroup" aria-label="Deploy to">
        <label>
          <input type="radio" name="fleet-kind" checked={kind === "ous"} onChange={() => (setKind("ous"), setPicked([]))} /> OUs (service-managed)
        </label>{" "}
        <label>
          <input type="radio" name="fleet-kind" checked={kind === "accounts"} onChange={() => (setKind("accounts"), setPicked([]))} /> Accounts (self-managed)
        </label>
      </div>
      <ErrorBox error={targets.error} />
      {targets.busy && <p aria-busy="true">Reading the organization…</p>}
      {targets.result && <TargetTree tree={targets.result} kind={kind} picked={picked} onToggle={toggle} onSingleRun={props.onSingleRun} />}
      <h3>Template and settings</h3>
      <div class="field">
        <label for="fleet-template">Template (role mode)</label>
        <select id="fleet-template" value={templateId} onChange={(e) => (setTemplateId((e.currentTarget as HTMLSelectElement).value), setVariables({}), setAck(false))}>
          {(templates.result ?? []).map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
      {template?.variables.map((v) => (
        <Field key={v.name} label={v.label} name={`var-${v.name}`} value={variables[v.name] ?? ""} placeholder={v.default ?? ""} hint={v.description} errors={errorsFor(fields, `variables.${v.name}`)} onInput={(x) => setVariables({ ...variables, [v.name]: x })} />
      ))}
      <ErrorBox error={planned.error} />
      <Field label="Region of the stack instances" name="region" value={region} onInput={setRegion} errors={errorsFor(fields, "region")} hint="One Region: the template holds only IAM resources, which are global." />
      {kind === "ous" && (
        <div class="field">
          <label>
            <input type="checkbox" name="auto-deploy" checked={autoDeploy} onChange={() => setAutoDeploy(!autoDeploy)} /> Deploy to accounts that join these OUs later (and remove from those that leave)
          </label>
        </div>
      )}
      <Field label="Max concurrent accounts (N or N%)" name="max-concurrent" value={maxConcurrent} onInput={setMaxConcurrent} errors={errorsFor(fields, "max-concurrent")} />
      <Field label="Failure tolerance (N or N%)" name="failure-tolerance" value={tolerance} onInput={setTolerance} errors={errorsFor(fields, "failure-tolerance")} />
      <Field label="Access role verification assumes in each account" name="access-role" value={accessRole} onInput={setAccessRole} errors={errorsFor(fields, "access-role")} />
      {kind === "accounts" && (
        <>
          <Field label="Administration role ARN (blank: AWSCloudFormationStackSetAdministrationRole)" name="administration-role" value={adminRole} onInput={setAdminRole} />
          <Field label="Execution role name (blank: AWSCloudFormationStackSetExecutionRole)" name="execution-role" value={execRole} onInput={setExecRole} errors={errorsFor(fields, "execution-role")} />
        </>
      )}
      {needsAck && (
        <div class="notice warn">
          <ul>
            {planned.result!.lints.filter((l) => l.acknowledge).map((l) => (
              <li key={`${l.field}-${l.rule}`}>{l.message}</li>
            ))}
          </ul>
          <label>
            <input type="checkbox" name="acknowledge" checked={ack} onChange={() => setAck(!ack)} /> I have read this: the role grants a way to administrator access in every account
          </label>
        </div>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={busy || !templateId} onClick={deploy}>
          Deploy
        </button>
      </div>
      <ErrorBox error={act.error} fields={unclaimed(fields, claimed)} />
      {busy && running && <p aria-busy="true">{BUSY[running]}</p>}
      {live.fleetId && (
        <section aria-label={`Fleet ${live.fleetId}`} class="card">
          <h3>Fleet {live.fleetId}</h3>
          <AccountTable live={live} />
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => run("status", live.fleetId!)}>
              Refresh status
            </button>
            <button type="button" disabled={busy} onClick={() => run("retry", live.fleetId!)}>
              Retry
            </button>
            <button type="button" disabled={busy} onClick={() => run("resume", live.fleetId!)}>
              Resume
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => setConfirm(true)}>
              Roll back…
            </button>
          </div>
          {confirm && (
            <Confirm title="Roll back this fleet?" confirm="Delete every instance and the StackSet" danger onConfirm={() => run("rollback", live.fleetId!)} onCancel={() => setConfirm(false)}>
              <p>CloudFormation deletes each account's stack (the role and its policies); then the StackSet, once its tag and id prove it is this fleet's.</p>
            </Confirm>
          )}
        </section>
      )}
      <h3>Fleets</h3>
      <ErrorBox error={fleets.error} />
      {fleets.result && <FleetList fleets={fleets.result} open={live.fleetId} onOpen={(id) => run("status", id)} />}
    </section>
  );
}
