// Small building blocks every screen uses: labelled fields with their errors next to
// them, the error banner, check lists and the progress log.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Check, FieldError } from "./api";
import type { UiError } from "./useCommand";

/** The errors that concern one input: its field name, or anything under it. */
export function errorsFor(fields: FieldError[], name: string): FieldError[] {
  return fields.filter((f) => f.field === name || f.field.startsWith(`${name}.`) || f.field.startsWith(`${name}[`));
}

/** The errors no input on the screen claims (shown above the actions, naming the field). */
export function unclaimed(fields: FieldError[], names: string[]): FieldError[] {
  return fields.filter((f) => !names.some((n) => errorsFor([f], n).length > 0));
}

let nextId = 0;
function useId(prefix: string) {
  const [id] = useState(() => `${prefix}-${++nextId}`);
  return id;
}

type FieldProps = {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  errors?: FieldError[];
  hint?: string;
  placeholder?: string;
  type?: "text" | "password";
  multiline?: boolean;
  rows?: number;
  children?: ComponentChildren;
  autoFocus?: boolean;
};

/** A labelled input; its errors sit right under it and are announced with it. */
export function Field(p: FieldProps) {
  const id = useId(`f-${p.name.replace(/[^a-z0-9]/gi, "-")}`);
  const errs = p.errors ?? [];
  const describedBy = [p.hint ? `${id}-hint` : "", errs.length ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    name: p.name,
    value: p.value,
    placeholder: p.placeholder,
    "aria-invalid": errs.length ? ("true" as const) : undefined,
    "aria-describedby": describedBy,
    autoFocus: p.autoFocus,
    onInput: (e: Event) => p.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <div class="row">
        {p.multiline ? <textarea rows={p.rows ?? 4} spellcheck={false} {...common} /> : <input type={p.type ?? "text"} spellcheck={false} autoComplete="off" {...common} />}
        {p.children}
      </div>
      {p.hint && (
        <span class="hint" id={`${id}-hint`}>
          {p.hint}
        </span>
      )}
      {errs.length > 0 && (
        <div id={`${id}-err`}>
          {errs.map((e) => (
            <p class="field-error" key={`${e.field}-${e.rule}`}>
              {e.message} <span class="muted">({e.field}: {e.rule})</span>
            </p>
          ))}
        </div>
      )}
    </div>
  );
}

/** A command's error: the sentence, its code, and any field errors no input claims. */
export function ErrorBox({ error, fields }: { error: UiError | null; fields?: FieldError[] }) {
  if (!error) return null;
  const list = fields ?? error.fields;
  return (
    <div class="alert" role="alert">
      <strong>{error.code}</strong>: {error.message}
      {error.hint && <p class="hint">{error.hint}</p>}
      {list.length > 0 && (
        <ul>
          {list.map((f) => (
            <li key={`${f.field}-${f.rule}`}>
              {f.field}: {f.message} ({f.rule})
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Copy text the page already holds (never a secret; those are copied by the Rust side). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard
            .writeText(text)
            .then(() => setDone("copied"))
            .catch((e: unknown) => setDone(`copy failed: ${String(e)}`))
        }
      >
        {label}
      </button>
      {done && (
        <span role="status" class="muted">
          {done}
        </span>
      )}
    </>
  );
}

const MARK: Record<string, string> = { passed: "✓", failed: "✗", skipped: "–" };

/** One line of a live step list: its id, status word and summary, and a line of detail. */
export type StepLine = { id: string; status: string; summary: string; text?: string };

/** The steps of a run or a send as they happen (Run, Send to Seqera Platform). */
export function StepList({ steps, label }: { steps: StepLine[]; label: string }) {
  return (
    <ol class="status-list" aria-label={label} aria-live="polite">
      {steps.map((s) => (
        <li key={s.id} data-step={s.id} data-status={s.status}>
          <span class={`st st-${s.status}`}>{s.status}</span> {s.summary}
          {s.text && <div class="muted">{s.text}</div>}
        </li>
      ))}
    </ol>
  );
}

/** Verification or Test connection results: each check, its reason, and on failure the fix. */
export function Checks({ checks, label }: { checks: Check[]; label: string }) {
  return (
    <ul class="status-list" aria-label={label}>
      {checks.map((c) => (
        <li key={c.id} data-check={c.id} data-status={c.status}>
          <span class={`st st-${c.status}`} aria-hidden="true">
            {MARK[c.status] ?? "?"}
          </span>
          <strong>{c.title}</strong> <span class="badge">{c.status}</span>
          <div class="muted">{c.reason}</div>
          {c.fix && (
            <div>
              <p>Fix:</p>
              <pre>{c.fix}</pre>
              <CopyButton text={c.fix} label={`Copy the fix for “${c.title}”`} />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A confirmation step inside the page (no native dialog, so keyboard and screen readers follow). */
export function Confirm(p: { title: string; children: ComponentChildren; confirm: string; onConfirm: () => void; onCancel: () => void; danger?: boolean }) {
  return (
    <section class="notice warn" role="alertdialog" aria-label={p.title}>
      <h3>{p.title}</h3>
      {p.children}
      <div class="actions">
        <button type="button" class={p.danger ? "danger" : "primary"} onClick={p.onConfirm}>
          {p.confirm}
        </button>
        <button type="button" onClick={p.onCancel} autoFocus>
          Cancel
        </button>
      </div>
    </section>
  );
}
