//! The Sandbox identity: Rolegate's local IAM/STS emulator (moto with access control on)
//! started as a child process, with an administrator in account 123456789012, and beside
//! it the Seqera stand-in (sandbox_seqera.rs), signed in with its made-up token. Nothing
//! reaches AWS or Seqera. It needs python3 with moto[server] 5.2 and openapi-core
//! (scripts/setup.sh installs them); without the stand-in the Sandbox goes on without it. A fresh
//! Sandbox is also given an organization for the Fleet screen (sandbox_org.rs).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use secrecy::SecretString;
use serde::Deserialize;

use rolegate_aws::AwsConnect;
use rolegate_core::home::Home;
use rolegate_core::identity::IdentitySource;
use rolegate_core::platform_session::PlatformSession;
use rolegate_core::ports::Credentials;

use crate::error::CommandError;
use crate::state::AppState;

/// The sandbox's account id.
pub const ACCOUNT: &str = "123456789012";
const SCRIPT: &str = "rolegate_emulator.py";
/// IAM takes time in the Sandbox as in AWS, briefly, so a newcomer sees the waits: a new
/// key is refused for 2 s, a new role denies AssumeRole for 3 s, and a new user is an
/// invalid trust principal for 2 s (the emulator's propagation model).
const PROPAGATION: [&str; 6] = ["--key-delay", "2", "--role-delay", "3", "--principal-delay", "2"];

/// A running emulator; it is stopped when dropped (and exits by itself when the app
/// does, through `--parent-pid`).
pub struct Sandbox {
    pub url: String,
    pub user_arn: String,
    pub creds: Credentials,
    /// The token the emulator's control routes (`/_rolegate/...`) want; only this
    /// process (and the Seqera stand-in it starts, for its probes) holds it, so no other
    /// local process can make administrators or faults.
    control_token: SecretString,
    /// The Seqera stand-in, once started (declared before `child`: it stops first).
    seqera: Option<crate::sandbox_seqera::Standin>,
    child: Child,
}

/// The environment variable the token reaches the emulator through (never argv, which
/// every local user can read).
const TOKEN_ENV: &str = "ROLEGATE_EMULATOR_CONTROL_TOKEN";

fn random_token() -> String {
    use rolegate_core::ports::Entropy;
    let e = rolegate_core::ports::OsEntropy;
    (0..2).map(|_| e.uuid().replace('-', "")).collect()
}

/// The sandbox log is private: it names the administrator and every call.
fn private_log(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Deserialize)]
struct Bootstrap {
    user_arn: String,
    access_key_id: String,
    secret_access_key: String,
}

/// Where the emulator script is: `ROLEGATE_EMULATOR`, else the app's bundled resources,
/// else (development builds only) the source tree this binary was built from.
pub fn locate(resource_dir: Option<PathBuf>) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ROLEGATE_EMULATOR").map(PathBuf::from),
        resource_dir.map(|d| d.join("emulator").join(SCRIPT)),
        // Development builds run from the source tree; installed ones only use resources.
        cfg!(debug_assertions).then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/emulator").join(SCRIPT)),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// Start the emulator and read its address and the administrator's key from its pipe.
/// Its request log goes to `log` (or nowhere).
pub fn start(script: &Path, log: Option<&Path>) -> Result<Sandbox, String> {
    let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&python);
    // The emulator is moto on botocore: the person's AWS settings (a profile name,
    // keys, an endpoint) must not leak into it; an unknown AWS_PROFILE breaks it.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let token = random_token();
    let mut child = cmd
        .env(TOKEN_ENV, &token)
        .arg(script)
        .args(["--host", "127.0.0.1", "--port", "0", "--sandbox-account", ACCOUNT, "--control-token-env", TOKEN_ENV])
        .args(PROPAGATION)
        .args(["--parent-pid", &std::process::id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {python} {}: {e}", script.display()))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut ready = String::new();
    let mut keys = String::new();
    let read = out.read_line(&mut ready).and_then(|_| out.read_line(&mut keys));
    let url = ready.strip_prefix("ROLEGATE_EMULATOR_READY ").map(|u| u.trim().to_string());
    let boot = keys.strip_prefix("ROLEGATE_SANDBOX ").and_then(|j| serde_json::from_str::<Bootstrap>(j).ok());
    match (read, url, boot) {
        (Ok(_), Some(url), Some(b)) => {
            // Keep reading both pipes for the emulator's life: a closed pipe would kill
            // the request that next writes to it, and a full one would stall the server.
            let err = child.stderr.take().expect("piped stderr");
            let mut sink: Box<dyn std::io::Write + Send> = match log.and_then(|p| private_log(p).ok()) {
                Some(f) => Box::new(f),
                None => Box::new(std::io::sink()),
            };
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            std::thread::spawn(move || std::io::copy(&mut BufReader::new(err), &mut sink));
            Ok(Sandbox {
                url,
                user_arn: b.user_arn,
                creds: Credentials::long_lived(b.access_key_id, SecretString::from(b.secret_access_key)),
                control_token: SecretString::from(token),
                seqera: None,
                child,
            })
        }
        _ => {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = child.wait();
            let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("it printed nothing").trim().to_string();
            Err(format!(
                "the sandbox emulator did not start: {last}. It needs {python} with moto[server] 5.2 (scripts/setup.sh installs it)"
            ))
        }
    }
}

/// The keychain service of Sandbox runs: the app's with this suffix, so their secrets
/// never mix with real ones.
const SERVICE_SUFFIX: &str = "-sandbox";

/// The Sandbox as the identity `connect` chose: signed as its administrator, its runs
/// journaled in `<home>/sandbox` under their own keychain service.
pub struct Identity {
    pub connect: AwsConnect,
    pub home: Home,
    pub keychain_service: String,
    /// Set when this call started the emulator.
    pub notice: Option<String>,
}

/// The Sandbox for `connect`: started on first use (its folder made private, the
/// emulator's log in it), then the same one for the app's life.
pub async fn identity(state: &AppState, resource_dir: Option<PathBuf>) -> Result<Identity, CommandError> {
    let mut sb = state.sandbox.lock().await;
    let home = state.home.sandbox();
    let mut notice = None;
    if sb.is_none() {
        let script = locate(resource_dir.clone())
            .ok_or_else(|| CommandError::new("no-sandbox", "the sandbox emulator is not installed with this build"))?;
        let dir = home.path();
        rolegate_core::home::ensure_private_dir(dir).map_err(|e| CommandError::new("no-sandbox", format!("{}: {e}", dir.display())))?;
        let log = dir.join("emulator.log");
        let mut started = tokio::task::spawn_blocking(move || start(&script, Some(&log)))
            .await
            .map_err(|e| CommandError::new("no-sandbox", e.to_string()))?
            .map_err(|e| CommandError::new("no-sandbox", e))?;
        let keychain_service = format!("{}{SERVICE_SUFFIX}", state.keychain_service);
        let session = crate::commands::platform::session_for(home.clone(), &keychain_service);
        let seqera = seqera_beside(&mut started, resource_dir.as_deref(), &home, &session).await;
        let (url, creds) = (started.url.clone(), started.creds.clone());
        let org = tokio::task::spawn_blocking(move || crate::sandbox_org::ensure(&url, &creds)).await.unwrap_or_else(|e| e.to_string());
        notice = Some(format!(
            "Sandbox started at {}: a fresh emulated account {} (signed in as {}). {seqera} {org} Nothing reaches AWS; it is gone when the app closes.",
            started.url, ACCOUNT, started.user_arn
        ));
        *sb = Some(started);
    }
    let s = sb.as_ref().expect("started above");
    Ok(Identity {
        connect: AwsConnect::with_static(&s.url, "eu-west-1", &s.creds).with_source(IdentitySource::Sandbox),
        home,
        keychain_service: format!("{}{SERVICE_SUFFIX}", state.keychain_service),
        notice,
    })
}

/// Start the Seqera stand-in beside the Sandbox's emulator and sign the Sandbox's home in
/// with its made-up token (through the core, like any sign-in); a sentence for the notice.
/// When it cannot start, a Sandbox sign-in left from an earlier start is removed (its
/// stand-in is gone) and the sentence says why.
pub async fn seqera_beside(sb: &mut Sandbox, resource_dir: Option<&Path>, home: &Home, session: &PlatformSession) -> String {
    use crate::sandbox_seqera as sq;
    let started = match sq::locate(resource_dir) {
        Some(script) => {
            let (reference, url, token) = (sq::reference(resource_dir), sb.url.clone(), sb.control_token.clone());
            let log = home.path().join("seqera.log");
            tokio::task::spawn_blocking(move || sq::start(&script, reference.as_deref(), &url, &token, Some(&log)))
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
        }
        None => Err("the Seqera stand-in is not installed with this build".into()),
    };
    let mut standin = match started {
        Ok(s) => s,
        Err(why) => {
            let _ = session.sign_out().await;
            return format!("No Seqera Platform stand-in: {why}.");
        }
    };
    let token = standin.token.take().expect("a new stand-in has its token");
    let url = standin.url.clone();
    sb.seqera = Some(standin);
    match session.sign_in(&url, token).await {
        Ok(s) => format!(
            "A Seqera Platform stand-in runs at {} with workspace sandbox-org/sandbox; you are signed in to it as {}.",
            s.url, s.user.user_name
        ),
        Err(e) => format!(
            "A Seqera Platform stand-in runs at {url}, but signing in to it failed: {}.",
            crate::error::CommandError::from(e).message
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_core::ports::Connect;
    use std::sync::Arc;

    #[tokio::test]
    async fn the_sandbox_starts_and_its_administrator_can_use_iam_and_sts() {
        // A profile name the emulator's botocore cannot find must not reach it.
        std::env::set_var("AWS_PROFILE", "no-such-profile-anywhere");
        let script = locate(None).expect("the emulator script in the source tree");
        let sb = tokio::task::spawn_blocking(move || start(&script, None)).await.unwrap().expect("sandbox starts");
        assert_eq!(sb.user_arn, format!("arn:aws:iam::{ACCOUNT}:user/sandbox-admin"));
        let c = AwsConnect::with_static(&sb.url, "eu-west-1", &sb.creds);
        let who = c.sts().get_caller_identity().await.expect("sts");
        assert_eq!(who.account, ACCOUNT);
        let policy = c.iam().get_policy(&format!("arn:aws:iam::{ACCOUNT}:policy/nothing-here")).await;
        assert!(matches!(policy, Ok(None)), "{policy:?}");
        assert!(c.iam().get_user("nobody").await.expect("iam").is_none());
        // The administrator works at once; what the person makes takes its time, as in AWS.
        c.iam().create_user("newcomer", "/", &[]).await.expect("create user");
        let key = c.iam().create_access_key("newcomer").await.expect("create key");
        let e = c.sts_as(&Credentials::long_lived(key.id, key.secret)).get_caller_identity().await.unwrap_err();
        assert_eq!(e.kind, rolegate_core::ports::AwsErrorKind::InvalidClientTokenId, "a new key is not accepted at once: {e}");
    }

    /// A raw HTTP request to the sandbox emulator: its status code.
    fn status_of(url: &str, host: &str, path: &str, token: Option<&str>) -> u16 {
        use std::io::Write;
        let hostport = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(hostport).unwrap();
        let body = r#"{"account":"210987654321","user":"intruder"}"#;
        let auth = token.map(|t| format!("X-Rolegate-Control: {t}\r\n")).unwrap_or_default();
        write!(
            s,
            "POST {path} HTTP/1.0\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    /// A newcomer's Sandbox has a Seqera session: the stand-in starts beside the emulator,
    /// the Sandbox's home is signed in with its made-up token (kept in the vault only),
    /// and the made-up workspace is listed.
    #[tokio::test]
    async fn the_sandbox_starts_the_seqera_standin_and_is_signed_in_to_it() {
        use rolegate_core::testing::MemoryVault;
        let script = locate(None).expect("the emulator script in the source tree");
        let mut sb = tokio::task::spawn_blocking(move || start(&script, None)).await.unwrap().expect("sandbox starts");
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        rolegate_core::home::ensure_private_dir(home.path()).unwrap();
        let vault = Arc::new(MemoryVault::default());
        let session = PlatformSession::new(Arc::new(rolegate_seqera::SeqeraHttp), vault.clone(), home.clone());
        let said = seqera_beside(&mut sb, None, &home, &session).await;
        assert!(said.contains("you are signed in to it as sandbox"), "{said}");
        let signed = session.current().unwrap().expect("signed in");
        assert!(signed.url.starts_with("http://127.0.0.1:"), "{signed:?}");
        assert_eq!(vault.entries(), vec![signed.entry.clone()], "the token is in the vault");
        let (_, spaces) = session.workspaces().await.expect("workspaces");
        assert_eq!(spaces.iter().map(|w| w.path()).collect::<Vec<_>>(), ["sandbox-org/sandbox"]);
        // The token is nowhere else: not in the session file, the stand-in's log or the notice.
        let token = vault_token(&vault, &signed.entry).await;
        for f in ["seqera.json", "seqera.log"] {
            let text = std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
            assert!(!text.contains(&token), "the token is in {f}");
        }
        assert!(!said.contains(&token));
        assert!(std::fs::read_to_string(dir.path().join("seqera.log")).is_ok(), "the stand-in logs to the Sandbox's folder");

        // Its probes reach the Sandbox's emulator as Seqera's own role (they need the
        // emulator's control token to make Seqera's account): a role that is not there
        // is Seqera's INVALID, not a failure of the stand-in.
        use rolegate_core::platform::{CredentialKeys, NewCredential, PlatformValidation};
        let (_, api) = session.signed_in_api().await.expect("the signed-in API");
        let ws = spaces[0].workspace_id;
        let cred = NewCredential {
            name: "sandbox-probe".into(),
            description: None,
            keys: CredentialKeys::AwsRole { role_arn: format!("arn:aws:iam::{ACCOUNT}:role/not-there") },
        };
        let id = api.create_credential(ws, &cred).await.expect("credential created");
        let verdict = api.validate_credential(ws, &id).await.expect("the stand-in answers");
        assert!(matches!(verdict, PlatformValidation::Invalid { .. }), "{verdict:?}");
    }

    async fn vault_token(vault: &rolegate_core::testing::MemoryVault, entry: &str) -> String {
        use rolegate_core::ports::Vault;
        use secrecy::ExposeSecret;
        let t = vault.get(entry).await.unwrap().expect("a token");
        t.expose_secret().to_string()
    }

    #[tokio::test]
    async fn only_the_app_reaches_the_sandbox_control_routes_and_its_log_is_private() {
        use secrecy::ExposeSecret;
        let script = locate(None).expect("the emulator script in the source tree");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("emulator.log");
        let l2 = log.clone();
        let sb = tokio::task::spawn_blocking(move || start(&script, Some(&l2))).await.unwrap().expect("sandbox starts");
        let host = sb.url.trim_start_matches("http://").to_string();
        let token = sb.control_token.expose_secret().to_string();
        let sb_url = sb.url.clone();
        let codes = tokio::task::spawn_blocking(move || {
            [
                // Any other local process: no token, a wrong one, or a page that rebinds a name.
                status_of(&sb_url, &host, "/_rolegate/bootstrap-account", None),
                status_of(&sb_url, &host, "/_rolegate/faults", Some("guess")),
                status_of(&sb_url, "attacker.example:80", "/_rolegate/bootstrap-account", Some(&token)),
                // The process that started it.
                status_of(&sb_url, &host, "/_rolegate/bootstrap-account", Some(&token)),
            ]
        })
        .await
        .unwrap();
        assert_eq!(codes, [403, 403, 403, 200]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
        }
        drop(sb);
    }
}
