// Step 7: hand over what the receiving side reads. Previews mask every secret; Reveal
// asks the app for the real text on an explicit click; Copy and Save go from the Rust
// side straight to the clipboard or a 0600 file (the Rust side opens the save dialog),
// so the secret never enters the page. A copied secret is cleared from the clipboard.
import { useEffect, useReducer, useState } from "preact/hooks";
import { api, exportRequest, type ExportRequest, type Format, type Rendered, type RunDetail } from "../api";
import { ErrorBox, Field, errorsFor } from "../components";
import { useCommand } from "../useCommand";
import { SendToSeqera } from "./Seqera";

const LABEL: Record<Format, string> = {
  "aws-profile": "AWS profile",
  sh: "Shell (bash/zsh)",
  fish: "fish",
  powershell: "PowerShell",
  dotenv: ".env",
  seqera: "Seqera credential JSON",
  registry: "Seqera registry credential (ECR, Wave)",
  nextflow: "Nextflow config (Wave)",
  spacelift: "Spacelift trust statements",
  terraform: "Terraform",
  cloudformation: "CloudFormation",
  kubernetes: "Kubernetes service account (IRSA)",
};

const ENV: Format[] = ["sh", "fish", "powershell", "dotenv"];

function AwsProfile({ runId, detail }: { runId: string; detail: RunDetail }) {
  const [name, setName] = useState(detail.default_name);
  const [plain, setPlain] = useState(false);
  const [force, setForce] = useState(false);
  // The change to the AWS files follows the form; writing it is a separate click.
  const previewing = useCommand(api.profilePreview, { keep: true });
  const writing = useCommand(api.profileWrite);
  const req = { name: name.trim(), plain_keys: plain, force };

  useEffect(() => {
    writing.reset();
    void previewing.run(runId, req);
  }, [name, plain, force]);

  const write = () => writing.run(runId, req);
  const edit = previewing.error ? null : previewing.result;
  const written = writing.result;
  const error = writing.error ?? previewing.error;

  const fields = error?.fields ?? [];
  return (
    <section aria-label="AWS profile">
      <Field label="Profile name" name="profile" value={name} onInput={setName} errors={errorsFor(fields, "profile")} />
      <label class="radio">
        <input type="checkbox" checked={plain} onChange={(e) => setPlain((e.currentTarget as HTMLInputElement).checked)} />
        Write the secret into the credentials file (mode 0600) instead of reading it from the keychain through credential_process
      </label>
      <label class="radio">
        <input type="checkbox" checked={force} onChange={(e) => setForce((e.currentTarget as HTMLInputElement).checked)} />
        Replace a profile of this name (a backup of the file is written first)
      </label>
      {edit &&
        edit.files.map((f) => (
          <div key={f.path}>
            <p>
              <code>{f.path}</code> {f.sections.map(([s, what]) => `[${s}] ${what}`).join(", ")}
            </p>
            <pre aria-label={`Change to ${f.path}`}>{f.diff || "(no change)"}</pre>
          </div>
        ))}
      <ErrorBox error={error && errorsFor(fields, "profile").length === fields.length && fields.length > 0 ? null : error} />
      <div class="actions">
        <button type="button" class="primary" disabled={!edit} onClick={write}>
          Write profile {name.trim()}
        </button>
      </div>
      {written && (
        <div class="notice" role="status" data-testid="profile-written">
          Wrote {written.written.join(", ")}
          {written.backups.length > 0 && <div>Backups: {written.backups.join(", ")}</div>}
          <div>
            Try it: <code>aws sts get-caller-identity --profile {name.trim()}</code>
          </div>
        </div>
      )}
    </section>
  );
}

/** What the window shows of the export besides the run: the person's picks, the text
 * in the preview (masked unless revealed) and the last hand-over message. */
type View = { picked: Format | null; opts: Partial<ExportRequest>; preview: Rendered | null; revealed: boolean; status: string };

type ViewAction =
  | { type: "pick"; format: Format }
  | { type: "options"; opts: Partial<ExportRequest> }
  | { type: "preview"; preview: Rendered | null; revealed: boolean }
  | { type: "status"; status: string };

/** A new format or new options hide the secrets again and forget the last message. */
function view(v: View, a: ViewAction): View {
  switch (a.type) {
    case "pick":
      return { ...v, picked: a.format, revealed: false, status: "" };
    case "options":
      return { ...v, opts: a.opts, revealed: false, status: "" };
    case "preview":
      return { ...v, preview: a.preview, revealed: a.revealed };
    case "status":
      return { ...v, status: a.status };
  }
}

type HandOver = "reveal" | "hide" | "copy" | "save";

export function Export(props: { runId: string; onDone: () => void }) {
  const loading = useCommand(api.runDetail);
  const [v, dispatch] = useReducer(view, { picked: null, opts: {}, preview: null, revealed: false, status: "" });
  const detail = loading.result;
  const format = v.picked ?? detail?.formats[0] ?? null;
  const opts = v.opts;
  const request = (reveal: boolean) => exportRequest(format!, { ...opts, reveal });

  // The masked preview follows the format and options.
  const previewing = useCommand((request: ExportRequest) => api.exportPreview(props.runId, request), { keep: true });
  // Reveal, hide, copy and save: each answer is what the view shows next (a cancelled save dialog changes nothing).
  const acting = useCommand(async (what: HandOver): Promise<ViewAction | null> => {
    if (what === "reveal" || what === "hide") {
      const reveal = what === "reveal";
      return { type: "preview", preview: await api.exportPreview(props.runId, request(reveal)), revealed: reveal };
    }
    if (what === "copy") {
      const copied = await api.exportCopy(props.runId, request(true));
      const status =
        copied.cleared_in_seconds !== null ? `Copied, secret included; the clipboard is cleared in ${copied.cleared_in_seconds} s (and when Rolegate quits).` : "Copied.";
      return { type: "status", status };
    }
    const path = await api.exportSave(props.runId, request(true));
    return path === null ? null : { type: "status", status: `Saved to ${path} (mode 0600).` };
  });
  const error = acting.error ?? previewing.error ?? loading.error;

  useEffect(() => void loading.run(props.runId), [props.runId]);

  useEffect(() => {
    if (!format || format === "aws-profile") return;
    acting.reset();
    void previewing.run(request(false)).then((answer) => {
      if (answer.ok) dispatch({ type: "preview", preview: answer.value, revealed: false });
      else if (answer.error) dispatch({ type: "preview", preview: null, revealed: false });
    });
  }, [format, opts]);

  async function act(what: HandOver) {
    const answer = await acting.run(what);
    if (answer.ok && answer.value) dispatch(answer.value);
  }

  const { preview, revealed, status } = v;
  const setOpts = (o: Partial<ExportRequest>) => dispatch({ type: "options", opts: o });
  return (
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <p class="lead">What the receiving side reads. Secrets stay masked in the window unless you reveal them.</p>
      {detail && (
        <fieldset>
          <legend>Format</legend>
          {detail.formats.map((f) => (
            <label class="radio" key={f}>
              <input type="radio" name="format" value={f} checked={format === f} onChange={() => dispatch({ type: "pick", format: f })} />
              {LABEL[f]}
            </label>
          ))}
        </fieldset>
      )}
      {format === "aws-profile" && detail && <AwsProfile runId={props.runId} detail={detail} />}
      {format && format !== "aws-profile" && (
        <section aria-label="Preview">
          {ENV.includes(format) && (
            <label class="radio">
              <input type="checkbox" checked={!!opts.temporary} onChange={(e) => setOpts({ ...opts, temporary: (e.currentTarget as HTMLInputElement).checked })} />
              Temporary credentials from the role (expire; the long-lived key stays in the keychain)
            </label>
          )}
          {(format === "seqera" || format === "registry") && (
            <Field label="Credential name" name="name" value={opts.name ?? ""} placeholder={detail?.default_name} onInput={(v) => setOpts({ ...opts, name: v || null })} errors={errorsFor(error?.fields ?? [], "name")} />
          )}
          {format === "spacelift" && (
            <Field
              label="Stacks (one per line)"
              name="stacks"
              multiline
              rows={2}
              value={(opts.stacks ?? []).join("\n")}
              onInput={(v) => setOpts({ ...opts, stacks: v.split("\n").map((s) => s.trim()).filter(Boolean) })}
            />
          )}
          {preview && (
            <>
              <pre aria-label={`${LABEL[format]} preview`} data-testid="export-preview">
                {preview.text}
              </pre>
              <div class="actions">
                {!revealed ? (
                  <button type="button" onClick={() => act("reveal")}>
                    Reveal secrets
                  </button>
                ) : (
                  <button type="button" onClick={() => act("hide")}>
                    Hide secrets
                  </button>
                )}
                <button type="button" onClick={() => act("copy")}>
                  Copy
                </button>
                <button type="button" onClick={() => act("save")}>
                  Save to a file…
                </button>
              </div>
            </>
          )}
          <p role="status">{status}</p>
        </section>
      )}
      <ErrorBox error={error} />
      {detail?.seqera_credential_name && <SendToSeqera runId={props.runId} defaultName={detail.seqera_credential_name} />}
      <div class="actions">
        <button type="button" class="primary" onClick={props.onDone}>
          Done: go to History
        </button>
      </div>
    </section>
  );
}
