// Step 3: names, variables, External IDs, principals and tags. Every change is planned
// by the core (no AWS call) and its errors are shown next to the field they name.
import { useEffect, useMemo } from "preact/hooks";
import { api, type FieldError, type Plan, type RunInputs, type SessionInfo, type Template, type TemplateRef } from "../api";
import { ErrorBox, Field, errorsFor, unclaimed } from "../components";
import { inputError, useCommand } from "../useCommand";

const newExternalIds = (n: number) => Promise.all(Array.from({ length: n }, () => api.newExternalId()));

export type DetailsState = {
  region: string;
  path: string;
  names: Record<string, string>;
  variables: Record<string, string>;
  externalIds: Record<string, string>;
  principals: string;
  tags: string;
  policies: Record<string, string>;
  /** The optional features ticked, by key. */
  features: string[];
};

export function initialDetails(t: Template, session: SessionInfo): DetailsState {
  return { region: session.region, path: "/", names: {}, variables: {}, externalIds: {}, principals: "", tags: "", policies: {}, features: [] };
}

/** The RunInputs the form describes, plus the errors only the form can see (syntax). */
export function toInputs(t: Template, d: DetailsState): { inputs: RunInputs; local: FieldError[] } {
  const local: FieldError[] = [];
  const nonEmpty = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([, v]) => v.trim() !== "").map(([k, v]) => [k, v.trim()]));
  const tags = d.tags
    .split("\n")
    .map((l, i) => [l.trim(), i] as const)
    .filter(([l]) => l !== "")
    .flatMap(([l, i]) => {
      const at = l.indexOf("=");
      if (at <= 0) {
        local.push({ field: `tags[${i}]`, rule: "syntax", message: `line ${i + 1} must be written KEY=VALUE; got ${JSON.stringify(l)}` });
        return [];
      }
      return [{ key: l.slice(0, at).trim(), value: l.slice(at + 1).trim() }];
    });
  const policy_documents: RunInputs["policy_documents"] = {};
  for (const [k, text] of Object.entries(d.policies)) {
    if (text.trim() === "") continue;
    try {
      policy_documents[k] = JSON.parse(text);
    } catch (e) {
      local.push({ field: `policy.${k}`, rule: "json", message: `not JSON: ${(e as Error).message}` });
    }
  }
  const inputs: RunInputs = {
    template_id: t.id,
    region: d.region.trim(),
    path: d.path.trim(),
    names: nonEmpty(d.names),
    variables: nonEmpty(d.variables),
    trusted_principals: d.principals
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean),
    external_ids: nonEmpty(d.externalIds),
    policy_documents,
    tags,
    features: t.features.filter((f) => d.features.includes(f.key)).map((f) => f.key),
  };
  return { inputs, local };
}

export function Details(props: {
  template: Template;
  templateRef: TemplateRef;
  session: SessionInfo;
  state: DetailsState;
  onChange: (d: DetailsState) => void;
  onPlanned: (plan: Plan | null, inputs: RunInputs) => void;
  plan: Plan | null;
  onContinue: () => void;
  onBack: () => void;
}) {
  const t = props.template;
  const d = props.state;
  // Planning follows the typing: 200 ms after the last change, and only the latest answer counts.
  const planning = useCommand(api.plan, { keep: true, delayMs: 200 });
  const fresh = useCommand(newExternalIds);
  const regenerated = useCommand(api.newExternalId);
  const error = regenerated.error ?? fresh.error ?? planning.error;
  const checking = planning.busy;
  const { inputs, local } = useMemo(() => toInputs(t, d), [t, d]);

  // A fresh External ID for each role whose template generates one, once.
  useEffect(() => {
    const missing = t.roles.filter((r) => r.external_id.scheme === "uuid" && !d.externalIds[r.key]);
    if (missing.length === 0) return;
    void fresh.run(missing.length).then((answer) => {
      if (!answer.ok) return;
      const next = { ...d.externalIds };
      missing.forEach((r, i) => (next[r.key] = answer.value[i]));
      props.onChange({ ...d, externalIds: next });
    });
  }, [t.id]);

  // Plan as the person types (the core validates; nothing reaches AWS).
  useEffect(() => {
    if (local.length > 0) {
      planning.fail(inputError(local, "some fields need fixing"));
      props.onPlanned(null, inputs);
      return;
    }
    void planning.run(props.templateRef, inputs).then((answer) => {
      if (answer.ok) props.onPlanned(answer.value, inputs);
      else if (answer.error) props.onPlanned(null, inputs);
    });
  }, [inputs]);

  const fields = error?.fields ?? [];
  const set = (patch: Partial<DetailsState>) => props.onChange({ ...d, ...patch });
  const claimed = ["region", "path", "tags", "trusted_principals", "name", "var", "external_id", "policy", "policy_file", "feature"];
  const trustsPrincipals = t.roles.some((r) => Array.isArray(r.trusted));
  const planned = (key: string) => props.plan?.roles.find((r) => r.key === key);

  async function regenerate(key: string) {
    const answer = await regenerated.run();
    if (answer.ok) set({ externalIds: { ...d.externalIds, [key]: answer.value } });
  }

  return (
    <section aria-labelledby="details-h">
      <h2 id="details-h">Details: {t.name}</h2>
      <p class="lead">
        Account <strong>{props.session.who.account}</strong>. Leave a name empty to use the template's.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (props.plan && !checking) props.onContinue();
        }}
      >
        {t.variables.length > 0 && (
          <fieldset>
            <legend>Values</legend>
            {t.variables.map((v) => (
              <Field
                key={v.name}
                label={v.label}
                name={`var.${v.name}`}
                value={d.variables[v.name] ?? ""}
                placeholder={v.default ?? ""}
                hint={v.description}
                onInput={(x) => set({ variables: { ...d.variables, [v.name]: x } })}
                errors={errorsFor(fields, `var.${v.name}`)}
              />
            ))}
          </fieldset>
        )}
        {t.features.length > 0 && (
          <fieldset>
            <legend>Optional features</legend>
            <p class="muted">Each adds its statements to the policy; the mandatory part is always there.</p>
            {t.features.map((f) => (
              <label key={f.key} class="check">
                <input
                  type="checkbox"
                  name={`feature.${f.key}`}
                  checked={d.features.includes(f.key)}
                  onChange={(e) => {
                    const on = (e.target as HTMLInputElement).checked;
                    set({ features: on ? [...d.features, f.key] : d.features.filter((k) => k !== f.key) });
                  }}
                />{" "}
                <strong>{f.label}</strong> <span class="muted">{f.description}</span>
                {errorsFor(fields, `feature.${f.key}`).map((e) => (
                  <span key={e.rule} class="error" role="alert">
                    {" "}
                    {e.message}
                  </span>
                ))}
              </label>
            ))}
          </fieldset>
        )}
        <fieldset>
          <legend>Names</legend>
          {t.user && (
            <Field label="IAM user" name="name.user" value={d.names.user ?? ""} placeholder={props.plan?.user?.name ?? t.user.name} onInput={(x) => set({ names: { ...d.names, user: x } })} errors={errorsFor(fields, "name.user")} />
          )}
          {t.roles.map((r) => (
            <Field
              key={r.key}
              label={`Role “${r.key}”`}
              name={`name.role:${r.key}`}
              value={d.names[`role:${r.key}`] ?? ""}
              placeholder={planned(r.key)?.name ?? r.name}
              hint={r.description}
              onInput={(x) => set({ names: { ...d.names, [`role:${r.key}`]: x } })}
              errors={errorsFor(fields, `name.role:${r.key}`)}
            />
          ))}
          {t.policies.map((p) => (
            <Field
              key={p.key}
              label={`Policy “${p.key}”`}
              name={`name.policy:${p.key}`}
              value={d.names[`policy:${p.key}`] ?? ""}
              placeholder={props.plan?.policies.find((x) => x.key === p.key)?.name ?? p.name}
              onInput={(x) => set({ names: { ...d.names, [`policy:${p.key}`]: x } })}
              errors={errorsFor(fields, `name.policy:${p.key}`)}
            />
          ))}
          <Field label="IAM path" name="path" value={d.path} onInput={(x) => set({ path: x })} hint="Everything is created under this path, e.g. / or /saas/" errors={errorsFor(fields, "path")} />
          <Field label="Region" name="region" value={d.region} onInput={(x) => set({ region: x })} errors={errorsFor(fields, "region")} />
        </fieldset>
        {t.roles.length > 0 && (
          <fieldset>
            <legend>External ID</legend>
            {t.roles.map((r) =>
              r.external_id.scheme === "uuid" ? (
                <Field
                  key={r.key}
                  label={`External ID for role “${r.key}”`}
                  name={`external_id.${r.key}`}
                  value={d.externalIds[r.key] ?? ""}
                  hint="Generated for this run. If the receiving platform gave you one, paste it instead."
                  onInput={(x) => set({ externalIds: { ...d.externalIds, [r.key]: x } })}
                  errors={errorsFor(fields, `external_id.${r.key}`)}
                >
                  <button type="button" onClick={() => regenerate(r.key)}>
                    Regenerate
                  </button>
                </Field>
              ) : (
                <div class="field" key={r.key}>
                  <span>
                    <strong>Role “{r.key}”</strong>: the platform sends <code>{planned(r.key)?.external_id ?? r.external_id.value}</code>; the trust policy matches{" "}
                    <code>{planned(r.key)?.condition.value ?? r.external_id.condition}</code>
                  </span>
                  {errorsFor(fields, `external_id.${r.key}`).map((e) => (
                    <p class="field-error" key={e.rule}>
                      {e.message}
                    </p>
                  ))}
                </div>
              ),
            )}
          </fieldset>
        )}
        {trustsPrincipals && (
          <Field
            label="Trusted principals (optional)"
            name="trusted_principals"
            multiline
            rows={2}
            value={d.principals}
            onInput={(x) => set({ principals: x })}
            hint="Role or account ARNs of the platform, one per line. Empty: the template's."
            errors={errorsFor(fields, "trusted_principals")}
          />
        )}
        {t.policies
          .filter((p) => p.document === null)
          .map((p) => (
            <Field
              key={p.key}
              label={`Policy document “${p.key}” (JSON)`}
              name={`policy.${p.key}`}
              multiline
              rows={6}
              value={d.policies[p.key] ?? ""}
              onInput={(x) => set({ policies: { ...d.policies, [p.key]: x } })}
              errors={[...errorsFor(fields, `policy.${p.key}`), ...errorsFor(fields, `policy_file.${p.key}`)]}
            />
          ))}
        <Field label="Tags (optional)" name="tags" multiline rows={2} value={d.tags} onInput={(x) => set({ tags: x })} hint="KEY=VALUE, one per line. Rolegate adds rolegate:run-id itself." errors={errorsFor(fields, "tags")} />
        <ErrorBox error={error && unclaimed(fields, claimed).length > 0 ? error : error && fields.length === 0 ? error : null} fields={unclaimed(fields, claimed)} />
        <p role="status" class="muted">
          {checking ? "Checking…" : props.plan ? `Ready: ${props.plan.steps.length} calls planned.` : error ? "Fix the fields marked above." : ""}
        </p>
        <div class="actions">
          <button type="button" onClick={props.onBack}>
            Back
          </button>
          <button type="submit" class="primary" disabled={!props.plan || checking}>
            Continue: review the plan
          </button>
        </div>
      </form>
    </section>
  );
}
