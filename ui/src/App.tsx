// The shell: navigation (onboarding wizard, History, Test connection), the identity in
// use, the theme, and the wizard's state from Identity to Export.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, type Plan, type RunInputs, type RunSummary, type SessionInfo, type Template, type TemplateRef } from "./api";
import { Details, initialDetails, type DetailsState } from "./screens/Details";
import { Export } from "./screens/Export";
import { History } from "./screens/History";
import { isUnfinished } from "./runStatus";
import { Identity } from "./screens/Identity";
import { Review } from "./screens/Review";
import { RunProgress } from "./screens/Run";
import { TemplatePick } from "./screens/TemplatePick";
import { TestConnection } from "./screens/TestConnection";
import { Verify } from "./screens/Verify";
import { startRuns, startSettings } from "./marks";
import { applyTheme, cachedTheme, writeSettings, type RememberedIdentity, type Theme } from "./settings";

export type Step = "identity" | "template" | "details" | "review" | "run" | "verify" | "export";
type Section = "wizard" | "history" | "test";

const STEPS: [Step, string][] = [
  ["identity", "Identity"],
  ["template", "Template"],
  ["details", "Details"],
  ["review", "Review"],
  ["run", "Run"],
  ["verify", "Verify"],
  ["export", "Export"],
];

export function App() {
  const [section, setSection] = useState<Section>("wizard");
  const [step, setStep] = useState<Step>("identity");
  const [session, setSession] = useState<SessionInfo | null>(null);
  // undefined until the settings are read (the start screen waits for it to preselect).
  const [remembered, setRemembered] = useState<RememberedIdentity | null | undefined>(undefined);
  const [theme, setTheme] = useState<Theme>(cachedTheme);
  const [settingsProblem, setSettingsProblem] = useState<string | null>(null);
  const [template, setTemplate] = useState<Template | null>(null);
  // How the Rust side names the template (a built-in id, or the key of a loaded file).
  const [templateRef, setTemplateRef] = useState<TemplateRef | null>(null);
  const [details, setDetails] = useState<DetailsState | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [inputs, setInputs] = useState<RunInputs | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [historyRun, setHistoryRun] = useState<string | null>(null);
  const [interrupted, setInterrupted] = useState<RunSummary[]>([]);
  const main = useRef<HTMLElement>(null);

  // A layout effect: the answers were asked for before the first render (marks.ts).
  useLayoutEffect(() => {
    startSettings()
      .then((s) => {
        setTheme(s.theme);
        applyTheme(s.theme);
        setRemembered(s.lastIdentity);
      })
      .catch((e: unknown) => {
        setRemembered(null);
        setSettingsProblem(`settings could not be read: ${String(e)}`);
      });
    startRuns().then((r) => setInterrupted(r.filter(isUnfinished)), () => undefined);
  }, []);

  // Move focus to the new screen's heading so keyboard and screen-reader users follow.
  useEffect(() => {
    const h = main.current?.querySelector<HTMLElement>("h2");
    if (h) {
      h.tabIndex = -1;
      h.focus();
    }
  }, [section, step]);

  const persist = (p: Promise<unknown>) => p.catch((e: unknown) => setSettingsProblem(`settings could not be saved: ${String(e)}`));

  function go(s: Section, st?: Step) {
    setSection(s);
    if (st) setStep(st);
  }

  function pickTheme(t: Theme) {
    setTheme(t);
    applyTheme(t);
    void persist(writeSettings({ theme: t }));
  }

  function resume(id: string) {
    setRunId(id);
    // The Run screen reads the plan's steps from the run's journal.
    setPlan(null);
    go("wizard", "run");
  }

  const stepIndex = STEPS.findIndex(([s]) => s === step);
  const reached = (s: Step) => {
    switch (s) {
      case "identity":
        return true;
      case "template":
        return !!session;
      case "details":
        return !!session && !!template;
      case "review":
        return !!plan && !runId;
      default:
        return false;
    }
  };

  let screen;
  if (section === "history") {
    screen = (
      <History
        session={session}
        selected={historyRun}
        onSelect={setHistoryRun}
        onExport={(id) => {
          setRunId(id);
          go("wizard", "export");
        }}
        onResume={resume}
        onIdentity={() => go("wizard", "identity")}
      />
    );
  } else if (section === "test") {
    screen = <TestConnection session={session} onIdentity={() => go("wizard", "identity")} />;
  } else if (step === "identity") {
    screen = (
      <Identity
        session={session}
        remembered={remembered}
        onConnected={(s, remember) => {
          setSession(s);
          if (remember) {
            setRemembered(remember);
            void persist(writeSettings({ lastIdentity: remember }));
          }
        }}
        onContinue={() => go("wizard", "template")}
      />
    );
  } else if (step === "template") {
    screen = (
      <TemplatePick
        selected={template}
        selectedRef={templateRef}
        onPick={(t, ref) => {
          if (JSON.stringify(ref) !== JSON.stringify(templateRef)) {
            setTemplate(t);
            setTemplateRef(ref);
            setDetails(initialDetails(t, session!));
            setPlan(null);
          }
        }}
        onBack={() => go("wizard", "identity")}
        onContinue={() => go("wizard", "details")}
      />
    );
  } else if (step === "details" && template && templateRef && session && details) {
    screen = (
      <Details
        template={template}
        templateRef={templateRef}
        session={session}
        state={details}
        onChange={setDetails}
        plan={plan}
        onPlanned={(p, i) => {
          setPlan(p);
          setInputs(i);
        }}
        onBack={() => go("wizard", "template")}
        onContinue={() => go("wizard", "review")}
      />
    );
  } else if (step === "review" && plan && inputs && templateRef) {
    screen = (
      <Review
        plan={plan}
        templateRef={templateRef}
        inputs={inputs}
        onBack={() => go("wizard", "details")}
        onStarted={(id) => {
          setRunId(id);
          go("wizard", "run");
        }}
      />
    );
  } else if (step === "run" && runId) {
    screen = <RunScreen runId={runId} plan={plan} onApplied={() => go("wizard", "verify")} onHistory={() => go("history")} />;
  } else if (step === "verify" && runId) {
    screen = (
      <Verify
        runId={runId}
        onContinue={() => go("wizard", "export")}
        onHistory={() => {
          setHistoryRun(runId);
          go("history");
        }}
      />
    );
  } else if (step === "export" && runId) {
    screen = (
      <Export
        runId={runId}
        onDone={() => {
          setHistoryRun(runId);
          go("history");
        }}
      />
    );
  } else {
    screen = <p>Nothing to show here yet.</p>;
  }

  function newOnboarding() {
    setTemplate(null);
    setTemplateRef(null);
    setDetails(null);
    setPlan(null);
    setInputs(null);
    setRunId(null);
    go("wizard", session ? "template" : "identity");
  }

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <aside class="side">
        <h1>Rolegate</h1>
        <nav aria-label="Sections">
          <ul>
            <li>
              <button type="button" aria-current={section === "wizard" ? "page" : undefined} onClick={() => (section === "wizard" ? undefined : go("wizard"))}>
                Onboarding
              </button>
            </li>
            <li>
              <button type="button" onClick={newOnboarding}>
                New onboarding
              </button>
            </li>
            <li>
              <button type="button" aria-current={section === "history" ? "page" : undefined} onClick={() => go("history")}>
                History
              </button>
            </li>
            <li>
              <button type="button" aria-current={section === "test" ? "page" : undefined} onClick={() => go("test")}>
                Test connection
              </button>
            </li>
          </ul>
        </nav>
        <div class="who" aria-label="Identity in use">
          {session ? (
            <>
              <strong>{session.sandbox ? "Sandbox" : session.label}</strong>
              <div>account {session.who.account}</div>
              <div>{session.who.arn}</div>
            </>
          ) : (
            "No identity chosen"
          )}
        </div>
        <div class="field">
          <label for="theme">Theme</label>
          <select id="theme" value={theme} onChange={(e) => pickTheme((e.currentTarget as HTMLSelectElement).value as Theme)}>
            <option value="system">Follow the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </div>
        {settingsProblem && (
          <p class="field-error" role="alert">
            {settingsProblem}
          </p>
        )}
      </aside>
      <main id="main" ref={main} class="content">
        {section === "wizard" && (
          <ol class="steps" aria-label="Onboarding steps">
            {STEPS.map(([s, label], i) => (
              <li key={s} aria-current={s === step ? "step" : undefined} class={i < stepIndex ? "done" : undefined}>
                {reached(s) && s !== step ? (
                  <a
                    href={`#${s}`}
                    onClick={(e) => {
                      e.preventDefault();
                      go("wizard", s);
                    }}
                  >
                    {i + 1}. {label}
                  </a>
                ) : (
                  <>
                    {i + 1}. {label}
                  </>
                )}
              </li>
            ))}
          </ol>
        )}
        {interrupted.length > 0 && section === "wizard" && step === "identity" && (
          <section class="notice warn" aria-label="Unfinished runs">
            <strong>Unfinished runs</strong>
            <ul>
              {interrupted.map((r) => (
                <li key={r.run_id}>
                  {r.run_id} ({r.template_id}, account {r.account}) is <strong>{r.status}</strong> with {r.live_resources} resource(s) made.{" "}
                  <button
                    type="button"
                    onClick={() => {
                      setHistoryRun(r.run_id);
                      go("history");
                    }}
                  >
                    Resume or roll back…
                  </button>
                </li>
              ))}
            </ul>
            <span class="muted">Choose an identity in the run's account first.</span>
          </section>
        )}
        {screen}
      </main>
    </div>
  );
}

/** The Run step, for a fresh run (the plan is in hand) or a resumed one (read from its journal). */
function RunScreen(props: { runId: string; plan: Plan | null; onApplied: () => void; onHistory: () => void }) {
  const [steps, setSteps] = useState(props.plan?.steps ?? null);
  useEffect(() => {
    if (!steps) api.runDetail(props.runId).then((d) => setSteps(d.plan.steps), () => setSteps([]));
  }, [props.runId]);
  if (!steps) return <p aria-busy="true">Reading the run…</p>;
  return <RunProgress runId={props.runId} steps={steps} onApplied={props.onApplied} onRolledBack={() => undefined} />;
}
