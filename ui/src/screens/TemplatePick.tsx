// Step 2: a card per template, or a template file (validated by the core). The file
// dialog is opened by the Rust side, which keeps the template it read; the page names
// a template by its reference (a built-in id, or the key of a loaded file).
import { useEffect, useState } from "preact/hooks";
import { api, type Template, type TemplateRef } from "../api";
import { ErrorBox } from "../components";
import { useCommand } from "../useCommand";

const MODE: Record<string, string> = {
  key: "access key",
  role: "role with External ID",
  "key+role": "access key + role with External ID",
};

type Offered = { reference: TemplateRef; template: Template };

const key = (r: TemplateRef) => (r.source === "builtin" ? `builtin:${r.id}` : `file:${r.key}`);

export function TemplatePick(props: {
  selected: Template | null;
  selectedRef: TemplateRef | null;
  onPick: (t: Template, ref: TemplateRef) => void;
  onContinue: () => void;
  onBack: () => void;
}) {
  const builtins = useCommand(api.templates);
  const load = useCommand(api.loadTemplate);
  // Template files loaded on this screen; one picked before stays on offer when the person comes back.
  const [files, setFiles] = useState<Offered[]>(() => {
    const sel = props.selectedRef;
    return sel?.source === "file" && props.selected ? [{ reference: sel, template: props.selected }] : [];
  });
  const error = load.error ?? builtins.error;
  useEffect(() => void builtins.run(), []);

  async function loadFile() {
    const answer = await load.run();
    if (!answer.ok || !answer.value) return;
    const loaded = answer.value;
    setFiles((list) => [...list, loaded]);
    props.onPick(loaded.template, loaded.reference);
  }

  const selected = props.selectedRef ? key(props.selectedRef) : null;
  const all: Offered[] = [...(builtins.result ?? []).map((t): Offered => ({ reference: { source: "builtin", id: t.id }, template: t })), ...files];
  return (
    <section aria-labelledby="template-h">
      <h2 id="template-h">What are you onboarding?</h2>
      <p class="lead">Each template holds the policy, the user or role, and how the External ID is made. You can change names and values next.</p>
      <ErrorBox error={error} />
      {builtins.result === null && !error && <p aria-busy="true">Loading templates…</p>}
      <ul class="cards" aria-label="Templates">
        {all.map(({ reference, template: t }) => (
          <li key={key(reference)} class={`card${selected === key(reference) ? " selected" : ""}`}>
            <button type="button" class="pick" aria-pressed={selected === key(reference)} data-template={t.id} onClick={() => props.onPick(t, reference)}>
              <h3>
                {t.name}
                {reference.source === "file" && <span class="muted"> (from a file)</span>}
              </h3>
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
