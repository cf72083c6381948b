// The wizard's reducer on its own: each transition, what the step list offers after it,
// going back, starting over, and what is cleared when.
import type { RunSummary } from "../api";
import { initialDetails } from "../screens/Details";
import { STEPS, initialState, reached, reducer, type Action, type Step, type WizardState } from "../wizard";
import { detail, plan, session, template } from "./fixtures";

const builtin = { source: "builtin", id: template.id } as const;
const inputs = { template_id: template.id } as never;

/** Apply actions in turn, each to a frozen state, so a reducer that mutates fails. */
function after(...actions: Action[]): WizardState {
  return actions.reduce((s, a) => reducer(Object.freeze(s), a), initialState("system"));
}

const offered = (s: WizardState) => STEPS.map(([step]) => step).filter((step) => reached(s, step));

/** Identity, template, details planned: ready for review. */
const planned: Action[] = [
  { type: "connected", session, remember: { kind: "profile", profile: "ops" } },
  { type: "template-picked", template, templateRef: builtin },
  { type: "planned", plan: plan(), inputs },
];

test("it starts on the identity step with nothing chosen, waiting for the settings", () => {
  const s = initialState("dark");
  expect(s).toMatchObject({ section: "wizard", step: "identity", session: null, remembered: undefined, theme: "dark", template: null, plan: null, runId: null, interrupted: [] });
  expect(offered(s)).toEqual(["identity"]);
});

test("settings: read, unreadable (nothing to preselect) and unsaved (what was read stays)", () => {
  const read = after({ type: "settings-read", theme: "light", lastIdentity: { kind: "sandbox" } });
  expect(read).toMatchObject({ theme: "light", remembered: { kind: "sandbox" }, settingsProblem: null });
  expect(after({ type: "settings-unreadable", message: "settings could not be read: x" })).toMatchObject({ remembered: null, settingsProblem: "settings could not be read: x" });
  const unsaved = reducer(read, { type: "settings-unsaved", message: "settings could not be saved: y" });
  expect(unsaved).toMatchObject({ remembered: { kind: "sandbox" }, theme: "light", settingsProblem: "settings could not be saved: y" });
  expect(reducer(read, { type: "theme", theme: "dark" }).theme).toBe("dark");
});

test("runs read at start: only the unfinished ones are kept for the notice", () => {
  const run = (status: RunSummary["status"]): RunSummary => ({ ...detail().summary, run_id: `rg-${status}`, status });
  const all = (["planned", "applying", "applied", "verified", "verify-failed", "awaiting-platform", "failed", "cancelled", "rolling-back", "rolled-back", "rollback-incomplete"] as const).map(run);
  expect(after({ type: "runs-read", runs: all }).interrupted.map((r) => r.status)).toEqual(["planned", "applying", "failed", "cancelled", "rolling-back", "rollback-incomplete"]);
});

test("forward: each step opens the next, and a started run closes the steps before it", () => {
  let s = after(planned[0]);
  expect(s.session).toBe(session);
  expect(s.remembered).toEqual({ kind: "profile", profile: "ops" });
  expect(offered(s)).toEqual(["identity", "template"]);
  s = reducer(s, planned[1]);
  expect(s).toMatchObject({ template, templateRef: builtin, details: initialDetails(template, session), plan: null });
  expect(s.details?.region).toBe(session.region);
  expect(offered(s)).toEqual(["identity", "template", "details"]);
  s = reducer(s, { type: "details-changed", details: { ...s.details!, tags: "team=data" } });
  expect(s.details?.tags).toBe("team=data");
  s = reducer(s, planned[2]);
  expect(offered(s)).toEqual(["identity", "template", "details", "review"]);
  s = reducer(s, { type: "started", runId: "rg-000000000001" });
  expect(s).toMatchObject({ section: "wizard", step: "run", runId: "rg-000000000001" });
  // The run exists: its plan can no longer be reviewed and started again.
  expect(offered(s)).toEqual(["identity", "template", "details"]);
});

test("details that stop planning close the review step; planning again opens it", () => {
  const s = after(...planned, { type: "planned", plan: null, inputs });
  expect(offered(s)).not.toContain("review");
  expect(offered(reducer(s, { type: "planned", plan: plan(), inputs }))).toContain("review");
});

test("going back keeps everything typed and planned", () => {
  const ready = after(...planned, { type: "go", section: "wizard", step: "review" });
  for (const step of ["details", "template", "identity"] as Step[]) {
    const back = reducer(ready, { type: "go", section: "wizard", step });
    expect(back.step).toBe(step);
    expect(back).toMatchObject({ template, templateRef: builtin, details: ready.details, plan: ready.plan, inputs });
  }
  // Another identity keeps the onboarding too, and a null remember keeps the remembered one.
  const other = reducer(ready, { type: "connected", session: { ...session, label: "pasted key" }, remember: null });
  expect(other).toMatchObject({ plan: ready.plan, details: ready.details, remembered: { kind: "profile", profile: "ops" } });
});

test("picking the same template keeps its details and plan; another template starts them afresh", () => {
  const typed = after(...planned, { type: "details-changed", details: { ...initialDetails(template, session), path: "/saas/" } });
  expect(reducer(typed, { type: "template-picked", template, templateRef: { ...builtin } })).toBe(typed);
  const fromFile = { ...template, name: "My launch template" };
  const other = reducer(typed, { type: "template-picked", template: fromFile, templateRef: { source: "file", key: "file-1" } });
  expect(other).toMatchObject({ template: fromFile, templateRef: { source: "file", key: "file-1" }, details: initialDetails(fromFile, session), plan: null });
  expect(offered(other)).not.toContain("review");
});

test("a section keeps the wizard's step, so Onboarding returns where the person was", () => {
  const s = after(...planned, { type: "go", section: "wizard", step: "details" }, { type: "go", section: "history" });
  expect(s).toMatchObject({ section: "history", step: "details" });
  expect(reducer(s, { type: "go", section: "wizard" })).toMatchObject({ section: "wizard", step: "details" });
});

test("History: select, export again, and resume (which drops the plan: the journal has the steps)", () => {
  const s = after(...planned, { type: "go", section: "history" }, { type: "select-run", runId: "rg-000000000009" });
  expect(s.historyRun).toBe("rg-000000000009");
  expect(reducer(s, { type: "export-run", runId: "rg-000000000009" })).toMatchObject({ section: "wizard", step: "export", runId: "rg-000000000009", plan: s.plan });
  const resumed = reducer(s, { type: "resume", runId: "rg-000000000009" });
  expect(resumed).toMatchObject({ section: "wizard", step: "run", runId: "rg-000000000009", plan: null });
  expect(reducer(s, { type: "select-run", runId: null }).historyRun).toBeNull();
});

test("verify and export hand the run to History, opened on it", () => {
  const s = after(...planned, { type: "started", runId: "rg-000000000001" }, { type: "go", section: "wizard", step: "export" }, { type: "show-run", runId: "rg-000000000001" });
  expect(s).toMatchObject({ section: "history", historyRun: "rg-000000000001", step: "export", runId: "rg-000000000001" });
});

test("starting over clears the onboarding, keeps the identity and the rest, and starts where it can", () => {
  const done = after(
    { type: "settings-read", theme: "dark", lastIdentity: null },
    { type: "runs-read", runs: [{ ...detail().summary, status: "failed" }] },
    ...planned,
    { type: "started", runId: "rg-000000000001" },
    { type: "show-run", runId: "rg-000000000001" },
  );
  const fresh = reducer(done, { type: "new-onboarding" });
  expect(fresh).toMatchObject({ section: "wizard", step: "template", template: null, templateRef: null, details: null, plan: null, inputs: null, runId: null });
  expect(fresh).toMatchObject({ session, remembered: { kind: "profile", profile: "ops" }, theme: "dark", historyRun: "rg-000000000001", interrupted: done.interrupted });
  expect(offered(fresh)).toEqual(["identity", "template"]);
  // Without an identity, it starts by choosing one.
  expect(after({ type: "go", section: "test" }, { type: "new-onboarding" })).toMatchObject({ section: "wizard", step: "identity" });
});
