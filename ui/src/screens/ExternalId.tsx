// "External ID the platform shows", on Verify and History for a run with a role: the
// person pastes the value the platform generated; the core checks it, changes the
// role's trust policy to require it, waits until it works and verifies the run again.
// The page shows what happened: changed, adopted or unchanged, whether it waited, the
// run's new status and the checks.
import { useState } from "preact/hooks";
import { api, type Check, type ExternalIdChange, type PlannedRole } from "../api";
import { Checks, ErrorBox, Field, errorsFor, unclaimed } from "../components";
import { useCommand } from "../useCommand";

function outcome(c: ExternalIdChange): string {
  switch (c.outcome) {
    case "changed":
      return `Role ${c.role_name} now requires External ID ${c.external_id} (was ${c.previous_external_id}).`;
    case "adopted":
      return `Role ${c.role_name} already required External ID ${c.external_id}; the run now records it.`;
    case "unchanged":
      return `Role ${c.role_name} already uses External ID ${c.external_id}; nothing was changed.`;
  }
}

export function ExternalIdField(props: { runId: string; roles: PlannedRole[]; onChanged?: (c: ExternalIdChange) => void }) {
  const [value, setValue] = useState("");
  const [roleKey, setRoleKey] = useState(props.roles[0]?.key ?? "");
  const [live, setLive] = useState<Check[]>([]);
  const setting = useCommand(api.setExternalId);
  if (props.roles.length === 0) return null;
  const fields = setting.error?.fields ?? [];
  const change = setting.result;

  async function submit(e: Event) {
    e.preventDefault();
    setLive([]);
    const key = props.roles.length > 1 ? roleKey : null;
    const answer = await setting.run(props.runId, key, value.trim(), (ev) => ev.type === "check-done" && setLive((l) => [...l, ev.check]));
    if (answer.ok) props.onChanged?.(answer.value);
  }

  const checks = change?.verification?.checks ?? live;
  return (
    <form aria-label="External ID the platform shows" style={{ marginTop: "18px" }} onSubmit={(e) => void submit(e)}>
      <h3>External ID the platform shows</h3>
      <p class="muted">If the receiving platform generated its own External ID (Seqera does), paste it here: the role's trust policy is changed to require it, then the run is verified again.</p>
      {props.roles.length > 1 && (
        <fieldset>
          <legend>Role</legend>
          {props.roles.map((r) => (
            <label class="radio" key={r.key}>
              <input type="radio" name="external-id-role" value={r.key} checked={roleKey === r.key} onChange={() => setRoleKey(r.key)} />
              {r.key} (<code>{r.name}</code>)
            </label>
          ))}
        </fieldset>
      )}
      <Field label="External ID" name="external_id" value={value} onInput={setValue} errors={errorsFor(fields, "external_id")} />
      <ErrorBox error={setting.error} fields={unclaimed(fields, ["external_id"])} />
      <div class="actions">
        <button type="submit" disabled={setting.busy || !value.trim()}>
          {setting.busy ? "Changing the trust policy…" : "Use this External ID"}
        </button>
      </div>
      {setting.busy && <p aria-busy="true">Changing the trust policy, waiting for AWS, verifying again…</p>}
      {change && (
        <div class="notice" role="status" data-testid="external-id-outcome" data-outcome={change.outcome}>
          <p>{outcome(change)}</p>
          <p>
            {change.waited
              ? "Waited until AWS accepted the new value."
              : change.outcome === "unchanged"
                ? "Nothing changed, so nothing to wait for."
                : "No wait: this run's own key cannot assume the role; the platform that assumes it is the one to check it."}{" "}
            Run status: <span class="badge" data-status={change.status}>{change.status}</span>
          </p>
        </div>
      )}
      {checks.length > 0 && <Checks checks={checks} label="Checks after the External ID change" />}
    </form>
  );
}
