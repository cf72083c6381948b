// The app's state as one reducer: the section and wizard step shown, the identity in
// use, the template, the details typed, the plan with its inputs, the run, the run
// selected in History, unfinished runs, and the settings the shell shows. Pure: the
// shell performs the effects (settings writes, the theme on the page).
import type { Plan, RunInputs, RunSummary, SessionInfo, Template, TemplateRef } from "./api";
import { isUnfinished } from "./runStatus";
import { initialDetails, type DetailsState } from "./screens/Details";
import type { RememberedIdentity, Theme } from "./settings";

export type Step = "identity" | "template" | "details" | "review" | "run" | "verify" | "export";
export type Section = "wizard" | "history" | "test" | "fleet";

export const STEPS: [Step, string][] = [
  ["identity", "Identity"],
  ["template", "Template"],
  ["details", "Details"],
  ["review", "Review"],
  ["run", "Run"],
  ["verify", "Verify"],
  ["export", "Export"],
];

export type WizardState = {
  section: Section;
  step: Step;
  session: SessionInfo | null;
  /** undefined until the settings are read (the start screen waits for it to preselect). */
  remembered: RememberedIdentity | null | undefined;
  theme: Theme;
  settingsProblem: string | null;
  template: Template | null;
  /** How the Rust side names the template (a built-in id, or the key of a loaded file). */
  templateRef: TemplateRef | null;
  details: DetailsState | null;
  /** The plan of the details as typed; null while they do not plan, and for a resumed run. */
  plan: Plan | null;
  inputs: RunInputs | null;
  /** The run the Run, Verify and Export steps show. */
  runId: string | null;
  /** The run opened in History. */
  historyRun: string | null;
  /** Unfinished runs found when the app opened. */
  interrupted: RunSummary[];
};

export type Action =
  | { type: "settings-read"; theme: Theme; lastIdentity: RememberedIdentity | null }
  | { type: "settings-unreadable"; message: string }
  | { type: "settings-unsaved"; message: string }
  | { type: "theme"; theme: Theme }
  | { type: "runs-read"; runs: RunSummary[] }
  /** Show a section, and in the wizard a step (its own, or the one it was on). */
  | { type: "go"; section: Section; step?: Step }
  | { type: "connected"; session: SessionInfo; remember: RememberedIdentity | null }
  | { type: "template-picked"; template: Template; templateRef: TemplateRef }
  | { type: "details-changed"; details: DetailsState }
  | { type: "planned"; plan: Plan | null; inputs: RunInputs }
  | { type: "started"; runId: string }
  | { type: "resume"; runId: string }
  | { type: "export-run"; runId: string }
  | { type: "show-run"; runId: string }
  | { type: "select-run"; runId: string | null }
  | { type: "new-onboarding" };

/** One onboarding's own state: what a new onboarding clears (the identity, History's
 * selection, the unfinished runs and the settings stay). */
const noOnboarding = { template: null, templateRef: null, details: null, plan: null, inputs: null, runId: null } as const;

export function initialState(theme: Theme): WizardState {
  return { section: "wizard", step: "identity", session: null, remembered: undefined, theme, settingsProblem: null, ...noOnboarding, historyRun: null, interrupted: [] };
}

const sameRef = (a: TemplateRef | null, b: TemplateRef | null) => JSON.stringify(a) === JSON.stringify(b);

export function reducer(s: WizardState, a: Action): WizardState {
  switch (a.type) {
    case "settings-read":
      return { ...s, theme: a.theme, remembered: a.lastIdentity };
    case "settings-unreadable":
      return { ...s, remembered: null, settingsProblem: a.message };
    case "settings-unsaved":
      return { ...s, settingsProblem: a.message };
    case "theme":
      return { ...s, theme: a.theme };
    case "runs-read":
      return { ...s, interrupted: a.runs.filter(isUnfinished) };
    case "go":
      return { ...s, section: a.section, step: a.step ?? s.step };
    case "connected":
      // A new identity keeps the onboarding so far; what it plans follows the identity on the Rust side.
      return { ...s, session: a.session, remembered: a.remember ?? s.remembered };
    case "template-picked":
      // Picking the template already in use keeps what was typed for it.
      if (sameRef(a.templateRef, s.templateRef)) return s;
      return { ...s, template: a.template, templateRef: a.templateRef, details: initialDetails(a.template, s.session!), plan: null };
    case "details-changed":
      return { ...s, details: a.details };
    case "planned":
      return { ...s, plan: a.plan, inputs: a.inputs };
    case "started":
      return { ...s, runId: a.runId, section: "wizard", step: "run" };
    case "resume":
      // The Run screen reads the plan's steps from the run's journal.
      return { ...s, runId: a.runId, plan: null, section: "wizard", step: "run" };
    case "export-run":
      return { ...s, runId: a.runId, section: "wizard", step: "export" };
    case "show-run":
      return { ...s, historyRun: a.runId, section: "history" };
    case "select-run":
      return { ...s, historyRun: a.runId };
    case "new-onboarding":
      return { ...s, ...noOnboarding, section: "wizard", step: s.session ? "template" : "identity" };
  }
}

/** Whether the step list links to a step: the steps before a run, once what they need is in. */
export function reached(s: WizardState, step: Step): boolean {
  switch (step) {
    case "identity":
      return true;
    case "template":
      return !!s.session;
    case "details":
      return !!s.session && !!s.template;
    case "review":
      return !!s.plan && !s.runId;
    default:
      return false;
  }
}
