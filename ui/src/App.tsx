// The start of the wizard: the template cards. Later screens build on the same api.
import { useEffect, useState } from "preact/hooks";
import { api, isCommandError, type TemplateSummary } from "./api";

export function App() {
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .templates()
      .then(setTemplates)
      .catch((e: unknown) => setError(isCommandError(e) ? `${e.code}: ${e.message}` : String(e)));
  }, []);
  return (
    <main>
      <h1>Rolegate</h1>
      <p>Onboard an AWS account for a SaaS workspace, proven to require its External ID.</p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {templates === null && !error && <p aria-busy="true">Loading templates…</p>}
      {templates && (
        <ul aria-label="Templates" class="cards">
          {templates.map((t) => (
            <li key={t.id} class="card">
              <h2>{t.name}</h2>
              <p>{t.description}</p>
              <p class="mode">Mode: {t.mode}</p>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
