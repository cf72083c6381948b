// Step 6: prove it works. The role is assumed with the External ID and refused without
// it (and with a wrong one); each check says passed, failed or skipped and why, and a
// failure carries the concrete fix, copyable. The summary is the status the run earned:
// verified, failed, or awaiting the platform's check of a role only it can assume.
import { useEffect, useState } from "preact/hooks";
import { api, type Check } from "../api";
import { Checks, ErrorBox } from "../components";
import { statusLabel } from "../runStatus";
import { useCommand } from "../useCommand";
import { ExternalIdField } from "./ExternalId";

export function Verify(props: { runId: string; onContinue: () => void; onHistory: () => void }) {
  const [live, setLive] = useState<Check[]>([]);
  const verify = useCommand(api.verifyRun);
  const detail = useCommand(api.runDetail, { keep: true });
  const { result: outcome, error, busy } = verify;
  const report = outcome?.verification;

  function run() {
    setLive([]);
    return verify.run(props.runId, (e) => e.type === "check-done" && setLive((l) => [...l, e.check]));
  }
  useEffect(() => {
    void run();
    void detail.run(props.runId);
  }, [props.runId]);

  const checks = report?.checks ?? live;
  const failed = checks.filter((c) => c.status === "failed").length;
  return (
    <section aria-labelledby="verify-h">
      <h2 id="verify-h">Verify</h2>
      <p class="lead">Signing in with the new key and assuming each role with its External ID, then without it and with a wrong one (both must be refused).</p>
      {busy && <p aria-busy="true">Checking…</p>}
      <Checks checks={checks} label="Verification checks" />
      {outcome && (
        <div role="status" data-testid="verify-summary" data-status={outcome.status}>
          {outcome.status === "verified" && <p>All {checks.length} checks passed or were skipped with a reason: the run is verified.</p>}
          {outcome.status === "verify-failed" && <p>{failed} check(s) failed; the fix is under each.</p>}
          {outcome.status === "awaiting-platform" && (
            <>
              <p>
                The AWS-side checks passed; the run is <strong>{statusLabel(outcome.status)}</strong>. Only the platform can assume these roles, so it is verified once the
                platform has checked them:
              </p>
              <ul aria-label="Awaiting the platform">
                {outcome.awaiting.map((r) => (
                  <li key={r.arn}>
                    <code>{r.arn}</code> trusts <code>{r.principals.join(", ")}</code>
                  </li>
                ))}
              </ul>
              <p class="muted">
                To check it yourself with that platform's credentials: <code>rolegate verify {props.runId} --assume-as-profile PROFILE</code>
              </p>
            </>
          )}
        </div>
      )}
      <ErrorBox error={error} />
      {report && detail.result && <ExternalIdField runId={props.runId} roles={detail.result.plan.roles} onChanged={() => void detail.run(props.runId)} />}
      <div class="actions">
        <button type="button" onClick={() => void run()} disabled={busy}>
          Verify again
        </button>
        <button type="button" onClick={props.onHistory}>
          Go to History (roll back)
        </button>
        <button type="button" class="primary" disabled={busy || !outcome} onClick={props.onContinue}>
          Continue: export
        </button>
      </div>
    </section>
  );
}
