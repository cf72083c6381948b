// The shell: navigation (onboarding wizard, History, Test connection, Fleet), the identity in
// use, the theme, and the screen for the section and wizard step (routes.tsx). The
// state is one reducer (wizard.ts); the shell performs its effects.
import { useEffect, useLayoutEffect, useReducer, useRef } from "preact/hooks";
import { startRuns, startSettings } from "./marks";
import { SCREENS, type Wiring } from "./routes";
import { applyTheme, cachedTheme, writeSettings, type SettingsUpdate, type Theme } from "./settings";
import { STEPS, initialState, reached, reducer, type Section, type Step } from "./wizard";

export function App() {
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState(cachedTheme()));
  const { section, step, session, theme, settingsProblem, interrupted } = state;
  const main = useRef<HTMLElement>(null);

  // A layout effect: the answers were asked for before the first render (marks.ts).
  useLayoutEffect(() => {
    startSettings()
      .then((s) => {
        dispatch({ type: "settings-read", theme: s.theme, lastIdentity: s.lastIdentity });
        applyTheme(s.theme);
      })
      .catch((e: unknown) => dispatch({ type: "settings-unreadable", message: `settings could not be read: ${String(e)}` }));
    startRuns().then((runs) => dispatch({ type: "runs-read", runs }), () => undefined);
  }, []);

  // Move focus to the new screen's heading so keyboard and screen-reader users follow.
  useEffect(() => {
    const h = main.current?.querySelector<HTMLElement>("h2");
    if (h) {
      h.tabIndex = -1;
      h.focus();
    }
  }, [section, step]);

  const persist = (change: SettingsUpdate) =>
    void writeSettings(change).catch((e: unknown) => dispatch({ type: "settings-unsaved", message: `settings could not be saved: ${String(e)}` }));
  const go = (s: Section, st?: Step) => dispatch({ type: "go", section: s, step: st });

  function pickTheme(t: Theme) {
    dispatch({ type: "theme", theme: t });
    applyTheme(t);
    persist({ theme: t });
  }

  const stepIndex = STEPS.findIndex(([s]) => s === step);
  const wiring: Wiring = { state, dispatch, persist };
  const screen = SCREENS[section === "wizard" ? step : section](wiring) || <p>Nothing to show here yet.</p>;

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
              <button type="button" onClick={() => dispatch({ type: "new-onboarding" })}>
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
            <li>
              <button type="button" aria-current={section === "fleet" ? "page" : undefined} onClick={() => go("fleet")}>
                Fleet
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
                {reached(state, s) && s !== step ? (
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
                    onClick={() => dispatch({ type: "show-run", runId: r.run_id })}
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
