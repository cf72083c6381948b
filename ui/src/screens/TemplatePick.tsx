// Step 2: a card per template family (a compute-environment type, its modes as
// buttons), or a template file (validated by the core). The file dialog is opened by
// the Rust side, which keeps the template it read; the page names a template by its
// reference (a built-in id, or the key of a loaded file).
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

const ORDER = ["key", "key+role", "role"];
const featureCount = (n: number) => `${n} optional feature${n === 1 ? "" : "s"}`;

const key = (r: TemplateRef) => (r.source === "builtin" ? `builtin:${r.id}` : `file:${r.key}`);

/** A family's title: its first template's name without the mode in brackets. */
const familyTitle = (t: Template) => t.name.replace(/\s*\([^)]*\)$/, "");

/** Consecutive offers of one family (built-in variants) share a card. */
function byFamily(all: Offered[]): Offered[][] {
  const out: Offered[][] = [];
  for (const o of all) {
    const fam = o.reference.source === "builtin" ? o.template.family : null;
    const last = out.at(-1);
    if (fam && last && last[0].reference.source === "builtin" && last[0].template.family === fam) last.push(o);
    else out.push([o]);
  }
  return out;
}

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
        {byFamily(all).map((group) => {
          if (group.length === 1) {
            const { reference, template: t } = group[0];
            return (
              <li key={key(reference)} class={`card${selected === key(reference) ? " selected" : ""}`}>
                <button type="button" class="pick" aria-pressed={selected === key(reference)} data-template={t.id} onClick={() => props.onPick(t, reference)}>
                  <h3>
                    {t.name}
                    {reference.source === "file" && <span class="muted"> (from a file)</span>}
                  </h3>
                  <p>{t.description}</p>
                  <span class="badge">{MODE[t.mode] ?? t.mode}</span> <span class="badge">{t.platform}</span>
                  {t.features.length > 0 && <span class="badge">{featureCount(t.features.length)}</span>}
                </button>
              </li>
            );
          }
          const chosen = group.find((o) => selected === key(o.reference));
          const shown = (chosen ?? group[0]).template;
          const title = familyTitle(group[0].template);
          return (
            <li key={key(group[0].reference)} class={`card${chosen ? " selected" : ""}`} data-family={group[0].template.family}>
              <h3>{title}</h3>
              <p>{shown.description}</p>
              <span class="badge">{shown.platform}</span>
              {shown.features.length > 0 && <span class="badge">{featureCount(shown.features.length)}</span>}
              <div class="modes" role="group" aria-label={`${title}: how the platform signs in`}>
                {[...group].sort((a, b) => ORDER.indexOf(a.template.mode) - ORDER.indexOf(b.template.mode)).map(({ reference, template: t }) => (
                  <button type="button" key={key(reference)} class="pick mode" aria-pressed={selected === key(reference)} data-template={t.id} onClick={() => props.onPick(t, reference)}>
                    {MODE[t.mode] ?? t.mode}
                  </button>
                ))}
              </div>
            </li>
          );
        })}
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
