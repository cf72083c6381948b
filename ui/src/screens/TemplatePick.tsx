// Step 2: a card per template, or a template file (validated by the core).
import { useEffect, useState } from "preact/hooks";
import { open } from "@tauri-apps/plugin-dialog";
import { api, asCommandError, type CommandError, type Template } from "../api";
import { ErrorBox } from "../components";

const MODE: Record<string, string> = {
  key: "access key",
  role: "role with External ID",
  "key+role": "access key + role with External ID",
};

export function TemplatePick(props: { selected: Template | null; onPick: (t: Template) => void; onContinue: () => void; onBack: () => void }) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  useEffect(() => {
    api
      .templates()
      .then(setTemplates)
      .catch((e: unknown) => setError(asCommandError(e)));
  }, []);

  async function loadFile() {
    setError(null);
    try {
      const path = await open({ multiple: false, directory: false, filters: [{ name: "Rolegate template", extensions: ["json"] }] });
      if (typeof path !== "string") return;
      const t = await api.loadTemplate(path);
      setTemplates((list) => [...(list ?? []).filter((x) => x.id !== t.id), t]);
      props.onPick(t);
    } catch (e) {
      setError(asCommandError(e));
    }
  }

  const all = templates ?? [];
  return (
    <section aria-labelledby="template-h">
      <h2 id="template-h">What are you onboarding?</h2>
      <p class="lead">Each template holds the policy, the user or role, and how the External ID is made. You can change names and values next.</p>
      <ErrorBox error={error} />
      {templates === null && !error && <p aria-busy="true">Loading templates…</p>}
      <ul class="cards" aria-label="Templates">
        {all.map((t) => (
          <li key={t.id} class={`card${props.selected?.id === t.id ? " selected" : ""}`}>
            <button type="button" class="pick" aria-pressed={props.selected?.id === t.id} data-template={t.id} onClick={() => props.onPick(t)}>
              <h3>{t.name}</h3>
              <p>{t.description}</p>
              <span class="badge">{MODE[t.mode] ?? t.mode}</span> <span class="badge">{t.platform}</span>
            </button>
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" onClick={props.onBack}>
          Back
        </button>
        <button type="button" onClick={loadFile}>
          Load a template file…
        </button>
        <button type="button" class="primary" disabled={!props.selected} onClick={props.onContinue}>
          Continue: details
        </button>
      </div>
    </section>
  );
}
