// Step 5: making it. Each step's status streams over a Channel, including the waits
// for IAM to propagate. Cancel asks the run to stop: no new step starts, a wait stops
// at once, and running steps finish and are journaled; then the person sees what
// exists and is offered Resume or Roll back with the list of what a roll-back deletes.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Event, type Plan, type RollbackReport, type RunSummary, type Step } from "../api";
import { Confirm, ErrorBox, StepList } from "../components";
import { useCommand } from "../useCommand";

type StepState = { status: "pending" | "running" | "waiting" | "done" | "failed" | "stopped"; text: string };

export function RollbackResult({ report }: { report: RollbackReport }) {
  return (
    <section class="notice" role="status" aria-label="Roll-back result">
      <strong>Roll-back of {report.run_id}</strong>
      <ul>
        {report.deleted.map((d) => (
          <li key={d}>deleted {d}</li>
        ))}
        {report.kept.map(([what, why]) => (
          <li key={what} class="field-error">
            kept {what}: {why}
          </li>
        ))}
      </ul>
      {report.kept.length === 0 ? <p data-testid="rollback-clean">Everything this run made is deleted.</p> : <p>Some resources were kept; the reasons are above.</p>}
    </section>
  );
}

export function RunProgress(props: { runId: string; steps: Step[]; onApplied: (s: RunSummary) => void; onRolledBack: (r: RollbackReport) => void }) {
  const [state, setState] = useState<Record<string, StepState>>(() => Object.fromEntries(props.steps.map((s) => [s.id, { status: "pending", text: "" }])));
  const [notices, setNotices] = useState<string[]>([]);
  const applying = useCommand(api.applyRun);
  const rollingBack = useCommand(api.rollbackRun);
  // Cancel asks this apply to stop; it is winding down until apply answers.
  const cancelling = useCommand(api.cancelRun);
  // What the journal says exists, read after a stop (kept shown while read again).
  const made = useCommand(api.runDetail, { keep: true });
  const [confirmRollback, setConfirmRollback] = useState(false);
  const started = useRef(false);
  const running = applying.busy || rollingBack.busy;
  const stopping = cancelling.called;
  // A failed roll-back's error replaces the run's; a resume clears both.
  const error = rollingBack.error ?? applying.error;
  const detail = made.result;
  const rollback = rollingBack.result;

  const onEvent = (e: Event) => {
    const put = (step: string, s: StepState) => setState((m) => ({ ...m, [step]: s }));
    switch (e.type) {
      case "step-started":
        return put(e.step, { status: "running", text: "" });
      case "step-done":
        return put(e.step, { status: "done", text: `${e.outcome}${e.detail ? `: ${e.detail}` : ""}` });
      case "step-failed":
        return put(e.step, { status: "failed", text: e.message });
      case "step-stopped":
        return put(e.step, { status: "stopped", text: e.message });
      case "waiting":
        return put(e.step, {
          status: "waiting",
          text: `waiting for AWS to propagate ${e.what} (${e.elapsed_seconds} s of at most ${e.limit_seconds} s, try ${e.attempt}, last answer ${e.last_code})`,
        });
      case "notice":
        return setNotices((n) => [...n, e.message]);
      case "deleted":
        return setNotices((n) => [...n, `deleted ${e.resource} ${e.detail}`]);
      case "kept":
        return setNotices((n) => [...n, `kept ${e.resource}: ${e.reason}`]);
      default:
        return undefined;
    }
  };

  async function apply() {
    cancelling.reset();
    rollingBack.reset();
    made.reset();
    const answer = await applying.run(props.runId, onEvent);
    cancelling.reset();
    if (answer.ok) props.onApplied(answer.value);
    else if (answer.error) void made.run(props.runId);
  }

  async function doRollback() {
    setConfirmRollback(false);
    const answer = await rollingBack.run(props.runId, onEvent);
    if (answer.ok) props.onRolledBack(answer.value);
    void made.run(props.runId);
  }

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void apply();
  }, []);

  const live = detail?.live ?? [];
  const cancelled = error?.code === "cancelled";
  return (
    <section aria-labelledby="run-h">
      <h2 id="run-h">{rollback ? `Run ${props.runId}, rolled back` : `Creating run ${props.runId}`}</h2>
      <StepList label="Steps" steps={props.steps.map((s) => ({ id: s.id, summary: s.summary, ...state[s.id] }))} />
      {notices.length > 0 && (
        <ul aria-label="Notices">
          {notices.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {stopping && running && (
        <p role="status" data-testid="run-stopping">
          Stopping: no new step starts; the steps that are running finish and are recorded first.
        </p>
      )}
      {rollback ? null : cancelled ? (
        <p role="status" data-testid="run-cancelled">
          <strong>Stopped at your request.</strong> No new step was started, and the steps that were running finished and were recorded.
        </p>
      ) : (
        <ErrorBox error={error} />
      )}
      {error && detail && !rollback && (
        <section class="notice warn" aria-label="What was made">
          {live.length === 0 ? (
            <p>Nothing was made in AWS.</p>
          ) : (
            <>
              <p>Made so far (and recorded in the run's journal):</p>
              <ul>
                {live.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </>
          )}
          <p>Resume finishes the run from where it stopped; Roll back deletes what it made.</p>
        </section>
      )}
      {confirmRollback && (
        <Confirm title="Roll back this run?" confirm={`Delete ${live.length} resource(s)`} danger onConfirm={doRollback} onCancel={() => setConfirmRollback(false)}>
          <p>These will be deleted, in this order:</p>
          <ul>
            {live.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </Confirm>
      )}
      {rollback && <RollbackResult report={rollback} />}
      <div class="actions">
        {running && (
          <button type="button" class="danger" disabled={stopping} onClick={() => void cancelling.run(props.runId)}>
            {stopping ? "Stopping…" : "Cancel"}
          </button>
        )}
        {!running && error && !rollback && (
          <>
            <button type="button" class="primary" onClick={() => void apply()}>
              Resume
            </button>
            <button type="button" class="danger" onClick={() => setConfirmRollback(true)}>
              Roll back…
            </button>
          </>
        )}
      </div>
    </section>
  );
}

/** The Run step, for a fresh run (the plan is in hand) or a resumed one (its steps read from its journal). */
export function RunScreen(props: { runId: string; plan: Plan | null; onApplied: () => void; onHistory: () => void }) {
  const journal = useCommand(api.runDetail);
  useEffect(() => {
    if (!props.plan) void journal.run(props.runId);
  }, [props.runId]);
  // A journal that cannot be read shows no steps; applying then says what is wrong.
  const steps = props.plan?.steps ?? journal.result?.plan.steps ?? (journal.error ? [] : null);
  if (!steps) return <p aria-busy="true">Reading the run…</p>;
  return <RunProgress runId={props.runId} steps={steps} onApplied={props.onApplied} onRolledBack={() => undefined} />;
}
