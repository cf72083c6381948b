// Step 1: which AWS identity does the work. Profiles from the AWS config (SSO and
// credential_process included), the environment, pasted keys (the secret goes to the
// keychain, never to the settings file), or the Sandbox emulator.
import { useLayoutEffect, useState } from "preact/hooks";
import { api, type IdentityChoice, type IdentitySources, type SessionInfo } from "../api";
import { ErrorBox, Field, errorsFor, unclaimed } from "../components";
import { identitySources, signalReady } from "../marks";
import type { RememberedIdentity } from "../settings";
import { useCommand } from "../useCommand";

type Kind = "profile" | "environment" | "keys" | "sandbox";

/** The choice offered first: the remembered one if it still exists, else the first
 * that does (a profile, the environment, the Sandbox), else pasted keys. */
function preselect(s: IdentitySources, r: RememberedIdentity | null): { kind: Kind; profile: string } {
  const first = s.profiles[0]?.name ?? "";
  if (r?.kind === "profile" && s.profiles.some((p) => p.name === r.profile)) return { kind: "profile", profile: r.profile };
  if (r?.kind === "environment" && s.environment) return { kind: "environment", profile: first };
  if (r?.kind === "sandbox" && s.sandbox_available) return { kind: "sandbox", profile: first };
  if (first) return { kind: "profile", profile: first };
  if (s.environment) return { kind: "environment", profile: first };
  if (s.sandbox_available) return { kind: "sandbox", profile: first };
  return { kind: "keys", profile: first };
}

export function Identity(props: {
  session: SessionInfo | null;
  /** undefined while the settings are still being read. */
  remembered: RememberedIdentity | null | undefined;
  onConnected: (s: SessionInfo, remember: RememberedIdentity | null) => void;
  onContinue: () => void;
}) {
  const load = useCommand(identitySources);
  const sources = load.result;
  // The person's own picks; until they pick, the preselection (derived, so a remembered
  // identity that arrives after the sources still applies) is what is shown.
  const [pickedKind, setPickedKind] = useState<Kind | null>(null);
  const [pickedProfile, setPickedProfile] = useState<string | null>(null);
  const [region, setRegion] = useState("");
  const [keyId, setKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [save, setSave] = useState(true);
  const connection = useCommand(api.connect);
  // Connecting is offered only once the sources are in, so at most one of these is set.
  const error = connection.error ?? load.error;

  // A layout effect: the answer was asked for before the first render (marks.ts).
  useLayoutEffect(() => void load.run(), []);

  const pre = sources && props.remembered !== undefined ? preselect(sources, props.remembered) : null;
  const kind = pickedKind ?? pre?.kind ?? null;
  const profile = pickedProfile ?? pre?.profile ?? "";

  // The start screen is interactive once its choices, preselected, (or its error) are shown.
  useLayoutEffect(() => {
    if (pre || error) signalReady();
  }, [pre !== null, error]);

  const nothingConfigured = sources !== null && sources.profiles.length === 0 && !sources.environment;
  const fields = error?.fields ?? [];

  async function connect(e: Event) {
    e.preventDefault();
    if (!kind) return;
    const r = region.trim() || null;
    let choice: IdentityChoice;
    let remember: RememberedIdentity | null = null;
    if (kind === "profile") {
      choice = { kind: "profile", profile, region: r };
      remember = { kind: "profile", profile };
    } else if (kind === "environment") {
      choice = { kind: "environment", region: r };
      remember = { kind: "environment" };
    } else if (kind === "keys") {
      choice = { kind: "keys", access_key_id: keyId.trim(), secret, region: r, save };
    } else {
      choice = { kind: "sandbox" };
      remember = { kind: "sandbox" };
    }
    const answer = await connection.run(choice);
    if (!answer.ok) return;
    setSecret("");
    props.onConnected(answer.value, remember);
  }

  const radio = (value: Kind, label: string, detail?: string, disabled?: boolean) => (
    <label class="radio">
      <input type="radio" name="identity-kind" value={value} checked={kind === value}
        disabled={disabled}
        onChange={() => setPickedKind(value)}
      />
      <span>
        <strong>{label}</strong>
        {detail && <span class="muted"> — {detail}</span>}
      </span>
    </label>
  );

  return (
    <section aria-labelledby="identity-h">
      <h2 id="identity-h">Which AWS identity does the work?</h2>
      <p class="lead">It needs permission to create IAM policies, users, keys and roles in the account you onboard. Nothing is created until you confirm the plan.</p>
      {nothingConfigured && (
        <div class="notice" role="status">
          No AWS identity is configured on this machine (no profiles, no AWS variables).{" "}
          {sources.sandbox_available ? (
            <>
              Try the <strong>Sandbox</strong>: a local IAM/STS emulator where you can walk the whole wizard without an AWS account.
            </>
          ) : (
            <>Paste an access key below, or set up a profile with <code>aws configure</code> or <code>aws configure sso</code> and come back.</>
          )}
        </div>
      )}
      {sources === null && !error && <p aria-busy="true">Looking for AWS profiles…</p>}
      {sources && (
        <form onSubmit={connect}>
          <fieldset>
            <legend>Identity</legend>
            {radio("profile", "A profile from your AWS config", sources.profiles.length ? `${sources.profiles.length} found` : "none found", sources.profiles.length === 0)}
            {kind === "profile" && sources.profiles.length > 0 && (
              <div class="field">
                <label for="profile-select">Profile</label>
                <select id="profile-select" name="profile" value={profile} onChange={(e) => setPickedProfile((e.currentTarget as HTMLSelectElement).value)}>
                  {sources.profiles.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name} ({p.kind}
                      {p.region ? `, ${p.region}` : ""})
                    </option>
                  ))}
                </select>
              </div>
            )}
            {radio("environment", "The environment", sources.environment ?? "no AWS variables set", !sources.environment)}
            {radio("keys", "Paste an access key", "the secret is kept in the OS keychain, never in a file")}
            {kind === "keys" && (
              <div>
                <Field label="Access key id" name="access_key_id" value={keyId} onInput={setKeyId} errors={errorsFor(fields, "access_key_id")} placeholder="AKIA…" />
                <Field label="Secret access key" name="secret" type="password" value={secret} onInput={setSecret} errors={errorsFor(fields, "secret")} />
                <label class="radio">
                  <input type="checkbox" checked={save} onChange={(e) => setSave((e.currentTarget as HTMLInputElement).checked)} />
                  Store the secret in the keychain (only after the key signs in)
                </label>
              </div>
            )}
            {radio("sandbox", "Sandbox", sources.sandbox_detail, !sources.sandbox_available)}
          </fieldset>
          {kind !== "sandbox" && (
            <Field label="Region (optional)" name="region" value={region} onInput={setRegion} hint="IAM is global; the region is where STS is called and what exports name." placeholder="from the profile, or us-east-1" errors={errorsFor(fields, "region")} />
          )}
          <ErrorBox error={error} fields={unclaimed(fields, ["access_key_id", "secret", "region"])} />
          <div class="actions">
            <button type="submit" class="primary" disabled={connection.busy || !kind}>
              {connection.busy ? (kind === "sandbox" ? "Starting the sandbox…" : "Signing in…") : "Check this identity"}
            </button>
          </div>
        </form>
      )}
      {props.session && (
        <section class="notice" aria-label="Signed in" role="status">
          <div>
            Signed in with <strong>{props.session.label}</strong>
          </div>
          <div>
            Identity from <strong data-testid="identity-source">{props.session.source}</strong>
          </div>
          <div>
            Account <strong data-testid="account">{props.session.who.account}</strong>
          </div>
          <div>
            Caller <code data-testid="caller-arn">{props.session.who.arn}</code>
          </div>
          <div class="muted">Region {props.session.region}; runs are journaled in {props.session.home}</div>
          {props.session.notice && <div>{props.session.notice}</div>}
          <div class="actions">
            <button type="button" class="primary" onClick={props.onContinue}>
              Continue: choose a template
            </button>
          </div>
        </section>
      )}
    </section>
  );
}
