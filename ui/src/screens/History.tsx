// Done / History: every run in the journal the CLI shares, with Test connection,
// Rotate key, Export again, Resume and Roll back (which first lists what it deletes).
import { useEffect, useState } from "preact/hooks";
import { api, type SessionInfo } from "../api";
import { Checks, Confirm, ErrorBox } from "../components";
import { isUnfinished, statusLabel } from "../runStatus";
import { useCommand } from "../useCommand";
import { ExternalIdField } from "./ExternalId";
import { RollbackResult } from "./Run";

const newestFirst = () => api.runs().then((r) => r.sort((a, b) => b.created_at.localeCompare(a.created_at)));

export function History(props: {
  session: SessionInfo | null;
  selected: string | null;
  onSelect: (runId: string | null) => void;
  onExport: (runId: string) => void;
  onResume: (runId: string) => void;
  onIdentity: () => void;
}) {
  // The list and the selected run stay shown while they are read again after an action.
  const runs = useCommand(newestFirst, { keep: true });
  const details = useCommand(api.runDetail, { keep: true });
  const actions = { test: useCommand(api.testRun), rotate: useCommand(api.rotateKey), rollback: useCommand(api.rollbackRun) };
  type Action = keyof typeof actions;
  const [confirm, setConfirm] = useState<"rollback" | "rotate" | null>(null);
  const busy = (Object.keys(actions) as Action[]).find((a) => actions[a].busy) ?? null;
  const error = actions.test.error ?? actions.rotate.error ?? actions.rollback.error ?? details.error ?? runs.error;
  const test = actions.test.result;
  const rotation = actions.rotate.result;
  const rollback = actions.rollback.result;

  useEffect(() => void runs.run(), [props.session?.home]);
  useEffect(() => {
    for (const a of Object.values(actions)) a.reset();
    setConfirm(null);
    details.reset();
    if (props.selected) void details.run(props.selected);
  }, [props.selected]);

  async function act(name: Action, runId: string) {
    setConfirm(null);
    // One result at a time, right under the actions.
    for (const [a, command] of Object.entries(actions)) if (a !== name) command.reset();
    await actions[name].run(runId);
    void runs.run();
    if (props.selected) void details.run(props.selected);
  }

  const id = props.selected;
  const d = details.result;
  const list = runs.result;
  const gone = d?.summary.status === "rolled-back";
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <p class="lead">Runs journaled in {props.session?.home ?? "the default Rolegate folder"}. Runs started with the CLI show here too.</p>
      {list && list.length === 0 && <p>No runs yet.</p>}
      {list && list.length > 0 && (
        <table aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Template</th>
              <th scope="col">Status</th>
              <th scope="col">Account</th>
              <th scope="col">Created</th>
              <th scope="col">Live</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.run_id} data-run={r.run_id}>
                <td>
                  <button type="button" aria-pressed={id === r.run_id} onClick={() => props.onSelect(r.run_id)}>
                    {r.run_id}
                  </button>
                </td>
                <td>{r.template_id}</td>
                <td>
                  <span class="badge" data-status={r.status}>
                    {statusLabel(r.status)}
                  </span>
                </td>
                <td>{r.account}</td>
                <td>{r.created_at.replace("T", " ").slice(0, 19)}</td>
                <td>{r.live_resources}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorBox error={error} />
      {id && d && (
        <section aria-label={`Run ${id}`} class="card" style={{ marginTop: "14px" }}>
          <h3>
            {d.template_name}{" "}
            <span class="badge" data-status={d.summary.status}>
              {statusLabel(d.summary.status)}
            </span>
          </h3>
          <p class="muted">
            Run {id}, account {d.summary.account}, made by <code>{d.caller_arn}</code>
          </p>
          {d.user && (
            <p>
              User <code>{d.user}</code>
              {d.access_key_id && (
                <>
                  , access key <code>{d.access_key_id}</code> (secret in the keychain)
                </>
              )}
            </p>
          )}
          {d.roles.map(([arn, ext]) => (
            <p key={arn}>
              Role <code>{arn}</code>, External ID <code>{ext}</code>
            </p>
          ))}
          {d.profiles.length > 0 && <p>AWS profiles: {d.profiles.join(", ")}</p>}
          {d.summary.status === "awaiting-platform" && (
            <p class="notice" role="status" data-testid="awaiting-platform">
              The AWS-side checks passed, but a role trusts a platform Rolegate cannot act as: the run is verified once that platform has checked it (or with{" "}
              <code>rolegate verify {id} --assume-as-profile PROFILE</code> and that platform's credentials).
            </p>
          )}
          {d.last_error && <p class="field-error">Last error: {d.last_error}</p>}
          {d.rotation && <p class="field-error">Key rotation {d.rotation}; Rotate key resumes it.</p>}
          {!props.session && (
            <div class="notice" role="status">
              Choose an identity in account {d.summary.account} to test, rotate, export or roll back.{" "}
              <button type="button" onClick={props.onIdentity}>
                Choose identity
              </button>
            </div>
          )}
          {props.session && props.session.who.account !== d.summary.account && (
            <div class="notice warn" role="status">
              This run is in account {d.summary.account}; the identity in use is in {props.session.who.account}.
            </div>
          )}
          {props.session && !gone && (
            <div class="actions">
              {isUnfinished(d.summary) && d.summary.status !== "rollback-incomplete" && (
                <button type="button" class="primary" onClick={() => props.onResume(id)}>
                  Resume
                </button>
              )}
              {!isUnfinished(d.summary) && (
                <>
                  <button type="button" disabled={!!busy} onClick={() => act("test", id)}>
                    {busy === "test" ? "Testing…" : "Test connection"}
                  </button>
                  {d.access_key_id && (
                    <button type="button" disabled={!!busy} onClick={() => setConfirm("rotate")}>
                      Rotate key…
                    </button>
                  )}
                  <button type="button" onClick={() => props.onExport(id)}>
                    Export again
                  </button>
                </>
              )}
              <button type="button" class="danger" disabled={!!busy} onClick={() => setConfirm("rollback")}>
                Roll back…
              </button>
            </div>
          )}
          {confirm === "rollback" && (
            <Confirm title="Roll back this run?" confirm={`Delete ${d.live.length} resource(s)`} danger onConfirm={() => act("rollback", id)} onCancel={() => setConfirm(null)}>
              <p>Only what this run provably made is deleted, in this order:</p>
              <ul aria-label="Will be deleted">
                {d.live.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
              {d.profiles.length > 0 && <p>AWS profiles {d.profiles.join(", ")} stay in your config but stop working.</p>}
            </Confirm>
          )}
          {confirm === "rotate" && (
            <Confirm title="Rotate the access key?" confirm="Rotate" onConfirm={() => act("rotate", id)} onCancel={() => setConfirm(null)}>
              <p>
                A new key is made and stored, checked until AWS accepts it, profiles are switched, then {d.access_key_id} is deactivated and deleted. If anything stops it, a working key
                remains.
              </p>
            </Confirm>
          )}
          {busy && <p aria-busy="true">{busy === "rollback" ? "Rolling back…" : busy === "rotate" ? "Rotating…" : "Working…"}</p>}
          {test && (
            <section aria-label="Test connection result">
              <h3>Test connection</h3>
              <Checks checks={test.checks} label="Connection checks" />
            </section>
          )}
          {rotation && (
            <section class="notice" role="status" aria-label="Rotation result">
              <ul>
                {rotation.done.map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ul>
              Run {rotation.run_id} now uses access key <code>{rotation.new_key}</code>.
            </section>
          )}
          {rollback && <RollbackResult report={rollback} />}
          {props.session && !gone && !isUnfinished(d.summary) && (
            <ExternalIdField
              key={id}
              runId={id}
              roles={d.plan.roles}
              onChanged={() => {
                void runs.run();
                void details.run(id);
              }}
            />
          )}
          {d.history.length > 0 && (
            <details>
              <summary>Journal</summary>
              <ul>
                {d.history.map((h, i) => (
                  <li key={i}>{h}</li>
                ))}
              </ul>
            </details>
          )}
        </section>
      )}
    </section>
  );
}
