// Which screen each wizard step and each section shows, wired to the wizard's state and
// its actions. A screen that lacks what it needs (no run yet) answers null.
import type { ComponentChild } from "preact";
import { Details } from "./screens/Details";
import { Export } from "./screens/Export";
import { Fleet } from "./screens/Fleet";
import { History } from "./screens/History";
import { Identity } from "./screens/Identity";
import { Review } from "./screens/Review";
import { RunScreen } from "./screens/Run";
import { TemplatePick } from "./screens/TemplatePick";
import { TestConnection } from "./screens/TestConnection";
import { Verify } from "./screens/Verify";
import type { SettingsUpdate } from "./settings";
import type { Action, Section, Step, WizardState } from "./wizard";

export type View = Step | Exclude<Section, "wizard">;

export type Wiring = {
  state: WizardState;
  dispatch: (a: Action) => void;
  /** Keep a settings change (the shell reports a failure). */
  persist: (change: SettingsUpdate) => void;
};

/** Navigation to a wizard step, for a screen's Back and Continue. */
const to = (dispatch: Wiring["dispatch"], step: Step) => () => dispatch({ type: "go", section: "wizard", step });

export const SCREENS: Record<View, (w: Wiring) => ComponentChild | null> = {
  history: ({ state: s, dispatch }) => (
    <History
      session={s.session}
      selected={s.historyRun}
      onSelect={(runId) => dispatch({ type: "select-run", runId })}
      onExport={(runId) => dispatch({ type: "export-run", runId })}
      onResume={(runId) => dispatch({ type: "resume", runId })}
      onIdentity={to(dispatch, "identity")}
    />
  ),
  test: ({ state: s, dispatch }) => <TestConnection session={s.session} onIdentity={to(dispatch, "identity")} />,
  fleet: ({ state: s, dispatch }) => <Fleet session={s.session} onIdentity={to(dispatch, "identity")} onSingleRun={() => dispatch({ type: "new-onboarding" })} />,
  identity: ({ state: s, dispatch, persist }) => (
    <Identity
      session={s.session}
      remembered={s.remembered}
      onConnected={(session, remember) => {
        dispatch({ type: "connected", session, remember });
        if (remember) persist({ lastIdentity: remember });
      }}
      onContinue={to(dispatch, "template")}
    />
  ),
  template: ({ state: s, dispatch }) => (
    <TemplatePick
      selected={s.template}
      selectedRef={s.templateRef}
      onPick={(template, templateRef) => dispatch({ type: "template-picked", template, templateRef })}
      onBack={to(dispatch, "identity")}
      onContinue={to(dispatch, "details")}
    />
  ),
  details: ({ state: s, dispatch }) =>
    s.template &&
    s.templateRef &&
    s.session &&
    s.details && (
      <Details
        template={s.template}
        templateRef={s.templateRef}
        session={s.session}
        state={s.details}
        onChange={(details) => dispatch({ type: "details-changed", details })}
        plan={s.plan}
        onPlanned={(plan, inputs) => dispatch({ type: "planned", plan, inputs })}
        onBack={to(dispatch, "template")}
        onContinue={to(dispatch, "review")}
      />
    ),
  review: ({ state: s, dispatch }) =>
    s.plan &&
    s.inputs &&
    s.templateRef && (
      <Review
        plan={s.plan}
        templateRef={s.templateRef}
        inputs={s.inputs}
        onBack={to(dispatch, "details")}
        onStarted={(runId) => dispatch({ type: "started", runId })}
      />
    ),
  run: ({ state: s, dispatch }) =>
    s.runId && (
      <RunScreen
        runId={s.runId}
        plan={s.plan}
        onApplied={to(dispatch, "verify")}
        onHistory={() => dispatch({ type: "go", section: "history" })}
      />
    ),
  verify: ({ state: s, dispatch }) =>
    s.runId && (
      <Verify
        runId={s.runId}
        onContinue={to(dispatch, "export")}
        onHistory={() => dispatch({ type: "show-run", runId: s.runId! })}
      />
    ),
  export: ({ state: s, dispatch }) => s.runId && <Export runId={s.runId} onDone={() => dispatch({ type: "show-run", runId: s.runId! })} />,
};
