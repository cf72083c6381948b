// Seqera Platform on the Export screen: sign in with an access token, who is signed in
// where, sign out, and the signed-in user's workspaces (ORG/WORKSPACE) to pick from. The
// token lives only in its password input until it is submitted: it is read from the
// field, handed to seqera_sign_in once (which keeps it in the keychain), and the field
// is emptied; no state, setting or store of the page holds it.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type SignedIn, type Workspace } from "../api";
import { ErrorBox, Field, errorsFor, unclaimed } from "../components";
import { useCommand } from "../useCommand";
import { SeqeraSend } from "./SeqeraSend";

export const SEQERA_CLOUD = "https://api.cloud.seqera.io";

/** `ORG/WORKSPACE`, as Seqera and `--seqera-workspace` name a workspace. */
export const workspacePath = (w: Workspace) => `${w.org_name}/${w.workspace_name}`;

/** The sign-in form: the platform's API URL and an access token. */
export function SeqeraSignIn(props: { onSignedIn: (s: SignedIn) => void }) {
  const [url, setUrl] = useState(SEQERA_CLOUD);
  const token = useRef<HTMLInputElement>(null);
  const signIn = useCommand(api.seqeraSignIn);
  const fields = signIn.error?.fields ?? [];
  const tokenErrors = errorsFor(fields, "token");

  async function submit(e: Event) {
    e.preventDefault();
    const input = token.current!;
    const value = input.value;
    input.value = "";
    const answer = await signIn.run(url.trim(), value);
    if (answer.ok) props.onSignedIn(answer.value);
  }

  return (
    <form aria-label="Sign in to Seqera Platform" onSubmit={(e) => void submit(e)}>
      <Field label="Platform API URL" name="seqera-url" value={url} onInput={setUrl} errors={errorsFor(fields, "url")} hint="Seqera Cloud, or your Enterprise API's URL (often https://HOST/api)" />
      <div class="field">
        <label for="seqera-token">Access token</label>
        <input
          id="seqera-token"
          name="seqera-token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          ref={token}
          aria-invalid={tokenErrors.length ? "true" : undefined}
          aria-describedby="seqera-token-hint"
        />
        <p id="seqera-token-hint" class="muted">
          From Seqera Platform's user menu, Your tokens. It is checked with the platform, then kept in the keychain only.
        </p>
        {tokenErrors.map((f) => (
          <p key={f.rule} class="field-error">
            {f.message}
          </p>
        ))}
      </div>
      <ErrorBox error={signIn.error} fields={unclaimed(fields, ["url", "token"])} />
      <div class="actions">
        <button type="submit" class="primary" disabled={signIn.busy}>
          {signIn.busy ? "Signing in…" : "Sign in"}
        </button>
      </div>
    </form>
  );
}

/** The signed-in user's workspaces, one to pick. */
export function WorkspacePicker(props: { session: SignedIn; value: string | null; onPick: (path: string) => void }) {
  const listing = useCommand(api.seqeraWorkspaces);
  useEffect(() => void listing.run(), [props.session.url, props.session.user.id]);
  const list = listing.result?.workspaces ?? null;
  return (
    <fieldset aria-label="Seqera workspace">
      <legend>Workspace</legend>
      {listing.busy && <p aria-busy="true">Reading the workspaces…</p>}
      {list && list.length === 0 && <p>{props.session.user.user_name} belongs to no workspace at {props.session.url}.</p>}
      {list?.map((w) => (
        <label class="radio" key={w.workspace_id}>
          <input type="radio" name="seqera-workspace" value={workspacePath(w)} checked={props.value === workspacePath(w)} onChange={() => props.onPick(workspacePath(w))} />
          {workspacePath(w)}
          {w.full_name && w.full_name !== workspacePath(w) && w.full_name !== w.workspace_name && <span class="muted"> ({w.full_name})</span>}
        </label>
      ))}
      <ErrorBox error={listing.error} />
    </fieldset>
  );
}

/** Who is signed in, a way out, and the workspace picker; the sign-in form when nobody is. */
export function SendToSeqera(props: { runId: string; defaultName: string }) {
  const current = useCommand(api.seqeraSession);
  const signOut = useCommand(api.seqeraSignOut);
  const [signed, setSigned] = useState<SignedIn | null>(null);
  const [workspace, setWorkspace] = useState<string | null>(null);
  useEffect(() => {
    void current.run().then((a) => a.ok && setSigned(a.value));
  }, []);

  async function out() {
    const a = await signOut.run();
    if (a.ok) {
      setSigned(null);
      setWorkspace(null);
    }
  }

  return (
    <section aria-labelledby="send-seqera-h" class="card">
      <h3 id="send-seqera-h">Send to Seqera Platform</h3>
      {current.called && !current.busy && !signed && <SeqeraSignIn onSignedIn={setSigned} />}
      {signed && (
        <>
          <p role="status" data-testid="seqera-user">
            Signed in to <code>{signed.url}</code> as <strong>{signed.user.user_name}</strong>
            {signed.user.email && <> ({signed.user.email})</>}.{" "}
            <button type="button" onClick={() => void out()} disabled={signOut.busy}>
              Sign out
            </button>
          </p>
          <WorkspacePicker session={signed} value={workspace} onPick={setWorkspace} />
          <SeqeraSend runId={props.runId} workspace={workspace} defaultName={props.defaultName} />
        </>
      )}
      <ErrorBox error={current.error ?? signOut.error} />
    </section>
  );
}
