// Test connection for credentials that already exist: the identity in use, or an
// access key (pasted, or its secret from the keychain), and optionally a role with its
// External ID: assumed with it, and proven refused without it.
import { useState } from "preact/hooks";
import { api, type Check, type SessionInfo } from "../api";
import { Checks, ErrorBox, Field, errorsFor, unclaimed } from "../components";
import { useCommand } from "../useCommand";

export function TestConnection(props: { session: SessionInfo | null; onIdentity: () => void }) {
  const [keyId, setKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [save, setSave] = useState(false);
  const [replaceSaved, setReplaceSaved] = useState(false);
  const [roleArn, setRoleArn] = useState("");
  const [externalId, setExternalId] = useState("");
  const [sessionName, setSessionName] = useState("rolegate-test");
  const [live, setLive] = useState<Check[]>([]);
  const testing = useCommand(api.testConnection);
  const { error, busy } = testing;
  const report = testing.result?.connection ?? null;
  const saved = testing.result?.saved ?? null;

  if (!props.session) {
    return (
      <section aria-labelledby="test-h">
        <h2 id="test-h">Test connection</h2>
        <p>Test connection signs in through an endpoint and region; choose the identity (or the Sandbox) first. You can then test any access key and role, not only that identity.</p>
        <button type="button" class="primary" onClick={props.onIdentity}>
          Choose identity
        </button>
      </section>
    );
  }

  async function test(e: Event) {
    e.preventDefault();
    setLive([]);
    const opt = (s: string) => (s.trim() === "" ? null : s.trim());
    const answer = await testing.run(
      {
        access_key_id: opt(keyId),
        secret: opt(secret),
        save,
        replace_saved: save && replaceSaved,
        role_arn: opt(roleArn),
        external_id: opt(externalId),
        session_name: sessionName.trim(),
      },
      (ev) => ev.type === "check-done" && setLive((l) => [...l, ev.check]),
    );
    if (answer.ok) setSecret("");
  }

  const fields = error?.fields ?? [];
  const checks = report?.checks ?? live;
  return (
    <section aria-labelledby="test-h">
      <h2 id="test-h">Test connection</h2>
      <p class="lead">
        Leave the key empty to test <strong>{props.session.label}</strong> ({props.session.who.arn}). With a role and External ID, the role must accept the ID and refuse a call without it.
      </p>
      <form onSubmit={test}>
        <Field label="Access key id (optional)" name="access_key_id" value={keyId} onInput={setKeyId} errors={errorsFor(fields, "access_key_id")} placeholder="AKIA…" />
        <Field label="Secret access key (optional)" name="secret" type="password" value={secret} onInput={setSecret} hint="Empty: the secret stored in the keychain for this key." errors={errorsFor(fields, "secret")} />
        <label class="radio">
          <input type="checkbox" checked={save} onChange={(e) => setSave((e.currentTarget as HTMLInputElement).checked)} />
          Store this secret in the keychain (only once it signs in)
        </label>
        {save && (
          <label class="radio">
            <input type="checkbox" checked={replaceSaved} onChange={(e) => setReplaceSaved((e.currentTarget as HTMLInputElement).checked)} />
            Replace the stored secret if the keychain holds a different one for this key
          </label>
        )}
        <Field label="Role ARN (optional)" name="role_arn" value={roleArn} onInput={setRoleArn} errors={errorsFor(fields, "role_arn")} placeholder="arn:aws:iam::123456789012:role/…" />
        <Field label="External ID" name="external_id" value={externalId} onInput={setExternalId} errors={errorsFor(fields, "external_id")} />
        <Field label="Session name" name="session_name" value={sessionName} onInput={setSessionName} errors={errorsFor(fields, "session_name")} />
        <ErrorBox error={error} fields={unclaimed(fields, ["access_key_id", "secret", "role_arn", "external_id", "session_name"])} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Testing…" : "Test"}
          </button>
        </div>
      </form>
      {checks.length > 0 && <Checks checks={checks} label="Connection checks" />}
      {report && (
        <p role="status" data-testid="test-summary">
          {report.checks.every((c) => c.status !== "failed") ? "Connection works." : "Connection has problems; see the fixes above."}
          {report.key_age_days !== null && ` The access key is ${report.key_age_days} day(s) old.`}
          {report.session_expires && ` The role session expires at ${report.session_expires}.`}
        </p>
      )}
      {saved && (
        <p role="status" data-testid="secret-saved" data-outcome={saved.outcome}>
          {saved.message}
        </p>
      )}
    </section>
  );
}
