// Step 4: the plan the core built. Every call with its JSON documents; lints as errors
// (which block) and warnings, and a tick the person must give for warnings the core
// marks as needing acknowledgement (a way to reach administrator access). Nothing is
// created before the person confirms; then the core plans again and starts only this
// plan (its id), refusing one that differs.
import { useState } from "preact/hooks";
import { api, type Plan, type RunInputs, type TemplateRef } from "../api";
import { ErrorBox } from "../components";
import { useCommand } from "../useCommand";

export function Review(props: { plan: Plan; templateRef: TemplateRef; inputs: RunInputs; onStarted: (runId: string) => void; onBack: () => void }) {
  const p = props.plan;
  const start = useCommand(api.startRun);
  const errors = p.lints.filter((l) => l.severity === "error");
  const warnings = p.lints.filter((l) => l.severity === "warning");
  const toAcknowledge = warnings.filter((l) => l.acknowledge);
  const [acknowledged, setAcknowledged] = useState(false);
  const waiting = toAcknowledge.length > 0 && !acknowledged;

  async function confirm() {
    const answer = await start.run({ plan_id: p.run_id, template: props.templateRef, inputs: props.inputs, acknowledged });
    if (answer.ok) props.onStarted(answer.value);
  }

  return (
    <section aria-labelledby="review-h">
      <h2 id="review-h">Review the plan</h2>
      <p class="lead">
        {p.steps.length} calls in account <strong>{p.account}</strong> ({p.partition}), as <code>{p.caller_arn}</code>. Nothing has been created yet.
      </p>
      <table aria-label="What will be made">
        <tbody>
          {p.policies.map((x) => (
            <tr key={x.arn}>
              <th scope="row">Policy</th>
              <td>
                <code>{x.arn}</code>
              </td>
            </tr>
          ))}
          {p.user && (
            <tr>
              <th scope="row">User</th>
              <td>
                <code>{p.user.arn}</code> with one access key (its secret goes to the keychain)
              </td>
            </tr>
          )}
          {p.roles.map((r) => (
            <tr key={r.arn}>
              <th scope="row">Role</th>
              <td>
                <code>{r.arn}</code>
                <div>
                  trusts {r.trusts_created_user ? "the user above" : r.principals.join(", ")} only with External ID{" "}
                  <code data-testid={`external-id-${r.key}`}>{r.external_id}</code> ({r.condition.operator} {r.condition.value})
                </div>
              </td>
            </tr>
          ))}
          <tr>
            <th scope="row">Tags</th>
            <td>{p.tags.map((t) => `${t.key}=${t.value}`).join(", ")}</td>
          </tr>
        </tbody>
      </table>
      {(errors.length > 0 || warnings.length > 0) && (
        <section aria-label="Findings">
          <h3>Findings</h3>
          <ul class="status-list">
            {[...errors, ...warnings].map((l) => (
              <li key={`${l.field}-${l.rule}`} data-severity={l.severity} data-acknowledge={l.acknowledge ? "true" : undefined}>
                <span class={`st ${l.severity === "error" ? "st-failed" : "st-skipped"}`}>{l.severity === "error" ? "Error" : "Warning"}</span>
                {l.message} <span class="muted">({l.field}: {l.rule})</span>
              </li>
            ))}
          </ul>
          {toAcknowledge.length > 0 && errors.length === 0 && (
            <label class="radio">
              <input type="checkbox" name="acknowledge" checked={acknowledged} onChange={(e) => setAcknowledged((e.currentTarget as HTMLInputElement).checked)} />
              I have read {toAcknowledge.length === 1 ? "the warning" : `the ${toAcknowledge.length} warnings`} about administrator access above and want
              to create it as planned
            </label>
          )}
        </section>
      )}
      <h3>Calls, in order</h3>
      <ol aria-label="Calls">
        {p.steps.map((s) => (
          <li key={s.id}>
            <details>
              <summary>
                <code>{s.call.operation}</code> {s.summary}
              </summary>
              <pre>{JSON.stringify(s.call, null, 2)}</pre>
              {s.after.length > 0 && <p class="muted">after: {s.after.join(", ")}</p>}
            </details>
          </li>
        ))}
      </ol>
      <ErrorBox error={start.error} />
      <div class="actions">
        <button type="button" onClick={props.onBack}>
          Back
        </button>
        <button type="button" class="primary" disabled={start.busy || errors.length > 0 || waiting} onClick={confirm}>
          {errors.length > 0
            ? "Fix the errors above first"
            : waiting
              ? "Confirm the warning above first"
              : `Create it: make these ${p.steps.length} calls`}
        </button>
      </div>
    </section>
  );
}
