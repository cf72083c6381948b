// Step 7: hand over what the receiving side reads. Previews mask every secret; Reveal
// asks the app for the real text on an explicit click; Copy and Save go from the Rust
// side straight to the clipboard or a 0600 file (the Rust side opens the save dialog),
// so the secret never enters the page. A copied secret is cleared from the clipboard.
import { useEffect, useState } from "preact/hooks";
import { api, asCommandError, exportRequest, type CommandError, type ExportRequest, type Format, type ProfileEdit, type Rendered, type RunDetail, type WriteReport } from "../api";
import { ErrorBox, Field, errorsFor } from "../components";

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
};

const ENV: Format[] = ["sh", "fish", "powershell", "dotenv"];

function AwsProfile({ runId, detail }: { runId: string; detail: RunDetail }) {
  const [name, setName] = useState(detail.default_name);
  const [plain, setPlain] = useState(false);
  const [force, setForce] = useState(false);
  const [edit, setEdit] = useState<ProfileEdit | null>(null);
  const [written, setWritten] = useState<WriteReport | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const req = { name: name.trim(), plain_keys: plain, force };

  useEffect(() => {
    setWritten(null);
    api.profilePreview(runId, req).then(
      (e) => {
        setEdit(e);
        setError(null);
      },
      (e: unknown) => {
        setEdit(null);
        setError(asCommandError(e));
      },
    );
  }, [name, plain, force]);

  async function write() {
    try {
      setWritten(await api.profileWrite(runId, req));
      setError(null);
    } catch (e) {
      setError(asCommandError(e));
    }
  }

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

export function Export(props: { runId: string; onDone: () => void }) {
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [format, setFormat] = useState<Format | null>(null);
  const [opts, setOpts] = useState<Partial<ExportRequest>>({});
  const [preview, setPreview] = useState<Rendered | null>(null);
  const [revealed, setRevealed] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<CommandError | null>(null);

  useEffect(() => {
    api.runDetail(props.runId).then(
      (d) => {
        setDetail(d);
        setFormat(d.formats[0] ?? null);
      },
      (e: unknown) => setError(asCommandError(e)),
    );
  }, [props.runId]);

  const request = (reveal: boolean) => exportRequest(format!, { ...opts, reveal });
  useEffect(() => {
    if (!format || format === "aws-profile") return;
    setRevealed(false);
    setStatus("");
    api.exportPreview(props.runId, request(false)).then(
      (r) => {
        setPreview(r);
        setError(null);
      },
      (e: unknown) => {
        setPreview(null);
        setError(asCommandError(e));
      },
    );
  }, [format, opts]);

  async function act(what: "reveal" | "hide" | "copy" | "save") {
    setError(null);
    try {
      if (what === "reveal") {
        setPreview(await api.exportPreview(props.runId, request(true)));
        setRevealed(true);
      } else if (what === "hide") {
        setPreview(await api.exportPreview(props.runId, request(false)));
        setRevealed(false);
      } else if (what === "copy") {
        const copied = await api.exportCopy(props.runId, request(true));
        setStatus(
          copied.cleared_in_seconds !== null
            ? `Copied, secret included; the clipboard is cleared in ${copied.cleared_in_seconds} s (and when Rolegate quits).`
            : "Copied.",
        );
      } else {
        const path = await api.exportSave(props.runId, request(true));
        if (path === null) return;
        setStatus(`Saved to ${path} (mode 0600).`);
      }
    } catch (e) {
      setError(asCommandError(e));
    }
  }

  return (
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <p class="lead">What the receiving side reads. Secrets stay masked in the window unless you reveal them.</p>
      {detail && (
        <fieldset>
          <legend>Format</legend>
          {detail.formats.map((f) => (
            <label class="radio" key={f}>
              <input type="radio" name="format" value={f} checked={format === f} onChange={() => setFormat(f)} />
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
      <div class="actions">
        <button type="button" class="primary" onClick={props.onDone}>
          Done: go to History
        </button>
      </div>
    </section>
  );
}
