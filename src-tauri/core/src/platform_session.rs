//! Signing in to Seqera Platform, for both front ends: which URL (flag, environment,
//! default, checked), the token checked by asking the platform who it belongs to, then
//! kept in the keychain only (entry `seqera-token/<url>`), and a small private file in
//! the home remembering which URL is signed in (no secret). Also the signed-in user's
//! workspaces, signing out, and what each platform refusal means (code, exit class,
//! advice) for `RunError`.

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Frontend, RunError};
use crate::home::Home;
use crate::platform::{
    normalize_url, PlatformError, PlatformErrorKind, PlatformUser, SeqeraApi, SeqeraConnect, Workspace, SEQERA_CLOUD_URL,
};
use crate::ports::Vault;
use crate::validate::FieldError;

/// The variable that names the platform's URL when the command line does not.
pub const SEQERA_URL_ENV: &str = "ROLEGATE_SEQERA_URL";

/// The keychain entry holding the token for the platform at `url` (a normalized URL).
pub fn token_entry(url: &str) -> String {
    format!("seqera-token/{url}")
}

/// The platform URL to use: `flag` (`--url`) if given, else `env` (`ROLEGATE_SEQERA_URL`)
/// unless empty, else Seqera Cloud; checked by `platform::normalize_url`. A bad one is an
/// input error on the field `url` that says where the value came from.
pub fn resolve_url(flag: Option<&str>, env: Option<&str>) -> Result<String, RunError> {
    let (value, from) = match (flag, env) {
        (Some(f), _) => (f, "the URL"),
        (None, Some(e)) if !e.trim().is_empty() => (e, "the URL in ROLEGATE_SEQERA_URL"),
        _ => (SEQERA_CLOUD_URL, "the URL"),
    };
    normalize_url(value)
        .map_err(|rule| RunError::Invalid(vec![FieldError::new("url", "platform-url", format!("{from} {rule}; got {value:?}"))]))
}

/// Who is signed in where: the file `seqera.json` in the home (0600). No secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignedIn {
    pub url: String,
    pub user: PlatformUser,
    /// Where the token is kept (the keychain entry name; never the token).
    pub entry: String,
}

/// The result of signing out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignedOut {
    /// The URL that was signed in, if one was.
    pub url: Option<String>,
    /// Whether a token was removed from the keychain.
    pub removed: bool,
}

/// Sign-in to the receiving platform over the `SeqeraConnect` port and a vault.
pub struct PlatformSession {
    pub connect: Arc<dyn SeqeraConnect>,
    pub vault: Arc<dyn Vault>,
    pub home: Home,
}

impl PlatformSession {
    pub fn new(connect: Arc<dyn SeqeraConnect>, vault: Arc<dyn Vault>, home: Home) -> PlatformSession {
        PlatformSession { connect, vault, home }
    }

    fn file(&self) -> PathBuf {
        self.home.platform_session()
    }

    /// The keychain's name, for messages.
    pub fn keychain(&self) -> String {
        self.vault.describe()
    }

    /// Who is signed in, from the home's file; `None` when nobody is.
    pub fn current(&self) -> Result<Option<SignedIn>, RunError> {
        let path = self.file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(local("read", path, e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| local("read", path, e))
    }

    /// Check `token` at `url` (already resolved) by asking whom it belongs to; only then
    /// keep it in the keychain and remember the URL. A token kept for another URL before
    /// is removed (one platform signed in at a time).
    pub async fn sign_in(&self, url: &str, token: SecretString) -> Result<SignedIn, RunError> {
        let url = resolve_url(Some(url), None)?;
        let token = check_token(token)?;
        let api = self.api(&url, token.clone())?;
        let user = api.user().await.map_err(|e| platform_error(&url, e, Call::SignIn))?;
        let entry = token_entry(&url);
        let previous = self.current().ok().flatten();
        self.vault.put(&entry, &token).await?;
        let signed = SignedIn { url: url.clone(), user, entry: entry.clone() };
        if let Err(e) = self.remember(&signed) {
            // Not remembered means not signed in: take the token back out of the keychain.
            let _ = self.vault.delete(&entry).await;
            return Err(e);
        }
        if let Some(old) = previous.filter(|p| p.entry != entry) {
            // Best effort: the new sign-in stands even if the old entry cannot be removed.
            let _ = self.vault.delete(&old.entry).await;
        }
        Ok(signed)
    }

    /// The signed-in user (asked again, so a token revoked since is found out) and their
    /// workspaces.
    pub async fn workspaces(&self) -> Result<(SignedIn, Vec<Workspace>), RunError> {
        let (signed, api) = self.signed_in_api().await?;
        let user = api.user().await.map_err(|e| platform_error(&signed.url, e, Call::Use))?;
        let list = api.workspaces(user.id).await.map_err(|e| platform_error(&signed.url, e, Call::Use))?;
        Ok((SignedIn { user, ..signed }, list))
    }

    /// The platform API of the signed-in session.
    pub async fn signed_in_api(&self) -> Result<(SignedIn, Arc<dyn SeqeraApi>), RunError> {
        let signed = self.current()?.ok_or(RunError::PlatformNotSignedIn { url: None })?;
        let token = self.vault.get(&signed.entry).await?.ok_or_else(|| RunError::PlatformNotSignedIn { url: Some(signed.url.clone()) })?;
        let api = self.api(&signed.url, token)?;
        Ok((signed, api))
    }

    /// The platform API at `url` when the signed-in session is there; `None` when nobody
    /// is signed in, or someone is signed in elsewhere (roll-back then reports what it
    /// could not delete there).
    pub async fn api_for(&self, url: &str) -> Result<Option<Arc<dyn SeqeraApi>>, RunError> {
        match self.current()? {
            Some(signed) if signed.url == url => match self.vault.get(&signed.entry).await? {
                Some(token) => Ok(Some(self.api(url, token)?)),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// The platform a run's credentials are on, for roll-back: signed in there, or `None`
    /// (the credentials are then reported as kept, with how to sign in).
    pub async fn api_for_run(&self, journal: &crate::journal::Journal) -> Result<Option<crate::engine::PlatformApi>, RunError> {
        match journal.platform.iter().find(|r| r.live() && r.credential_id.is_some()) {
            Some(rec) => Ok(self.api_for(&rec.url).await?.map(crate::engine::PlatformApi)),
            None => Ok(None),
        }
    }

    /// Remove the token from the keychain and forget the URL.
    pub async fn sign_out(&self) -> Result<SignedOut, RunError> {
        let Some(signed) = self.current()? else {
            return Ok(SignedOut { url: None, removed: false });
        };
        let removed = self.vault.delete(&signed.entry).await?;
        let path = self.file();
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(local("remove", path, e)),
        }
        Ok(SignedOut { url: Some(signed.url), removed })
    }

    fn api(&self, url: &str, token: SecretString) -> Result<Arc<dyn SeqeraApi>, RunError> {
        self.connect.connect(url, token).map_err(|e| platform_error(url, e, Call::SignIn))
    }

    fn remember(&self, signed: &SignedIn) -> Result<(), RunError> {
        let home = self.home.path();
        crate::home::ensure_private_dir(home).map_err(|e| local("create", home.to_path_buf(), e))?;
        let path = self.file();
        let text = serde_json::to_string_pretty(signed).expect("json");
        crate::fs::write_private_atomic(&path, text.as_bytes()).map_err(|e| local("write", path, e))
    }
}

fn local(action: &str, path: PathBuf, e: impl std::fmt::Display) -> RunError {
    RunError::Local { action: action.into(), path, message: e.to_string() }
}

/// A token is one line of printable characters; surrounding blanks are dropped.
fn check_token(token: SecretString) -> Result<SecretString, RunError> {
    let t = token.expose_secret().trim();
    let rule = |rule: &str, message: &str| RunError::Invalid(vec![FieldError::new("token", rule, message)]);
    if t.is_empty() {
        return Err(rule("required", "is empty: paste the access token Seqera Platform showed when you created it"));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(rule("one-token", "must be one token, without spaces or line breaks inside"));
    }
    Ok(SecretString::from(t.to_string()))
}

/// What the call was for: at sign-in, an answer that is not Seqera's means a wrong URL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    SignIn,
    Use,
}

/// The run error for a refusal or failure of the platform at `url` while using it.
pub(crate) fn refused(url: &str, error: PlatformError) -> RunError {
    platform_error(url, error, Call::Use)
}

/// The run error for a platform error at `url`.
fn platform_error(url: &str, error: PlatformError, call: Call) -> RunError {
    match error.kind {
        // The adapter's own checks of what it was given (a token a header cannot carry).
        PlatformErrorKind::BadRequest if error.status.is_none() && matches!(error.operation.as_str(), "token" | "url") => {
            RunError::Invalid(vec![FieldError::new(error.operation.as_str(), "platform-client", error.message)])
        }
        PlatformErrorKind::Unauthorized => RunError::PlatformTokenRefused { url: url.into(), operation: error.operation },
        // `GET /user-info` is there on every Seqera API: no such path means another site.
        PlatformErrorKind::NotFound if call == Call::SignIn => {
            RunError::Platform { url: url.into(), error: PlatformError { kind: PlatformErrorKind::Decode, ..error } }
        }
        _ => RunError::Platform { url: url.into(), error },
    }
}

/// `RunError::Platform`'s code.
pub(crate) fn code(e: &PlatformError) -> &'static str {
    match e.kind {
        PlatformErrorKind::Unauthorized => "platform-token-refused",
        PlatformErrorKind::Forbidden => "platform-forbidden",
        PlatformErrorKind::NotFound => "platform-not-found",
        PlatformErrorKind::Conflict => "platform-conflict",
        PlatformErrorKind::BadRequest => "platform-refused",
        PlatformErrorKind::Network => "platform-unreachable",
        PlatformErrorKind::Server => "platform-failed",
        PlatformErrorKind::Decode => "platform-not-seqera",
    }
}

/// `RunError::Platform`'s exit class: 2 when the URL is not a Seqera API (bad input),
/// 5 for a conflict there, else 4 (the platform failing or refusing, like AWS errors).
pub(crate) fn exit_code(e: &PlatformError) -> i32 {
    match e.kind {
        PlatformErrorKind::Decode => 2,
        PlatformErrorKind::Conflict => 5,
        _ => 4,
    }
}

/// `RunError::Platform`'s message.
pub(crate) fn message(url: &str, e: &PlatformError) -> String {
    match e.kind {
        PlatformErrorKind::Network => format!("Seqera Platform at {url} could not be reached ({}): {}", e.operation, e.message),
        PlatformErrorKind::Decode => {
            format!("{url} does not answer as Seqera Platform's API does ({}: {})", e.operation, e.message)
        }
        PlatformErrorKind::Forbidden => {
            format!("Seqera Platform at {url} refused {}: the token's user may not do this ({})", e.operation, e.message)
        }
        _ => format!("Seqera Platform at {url}: {}: {}", e.operation, e.message),
    }
}

/// `RunError::PlatformTokenRefused`'s and `RunError::Platform`'s advice.
pub(crate) fn hint(e: &RunError, front: Frontend) -> Option<String> {
    let cli = front == Frontend::Cli;
    match e {
        RunError::PlatformTokenRefused { url, .. } => Some(if cli {
            format!("create a new access token in Seqera Platform (user menu, Your tokens) and sign in again: `rolegate seqera login --url {url} --token-stdin`")
        } else {
            "create a new access token in Seqera Platform (user menu, Your tokens) and paste it again".into()
        }),
        RunError::PlatformNotSignedIn { url } => Some(match (cli, url) {
            (true, Some(url)) => format!("sign in with `rolegate seqera login --url {url} --token-stdin`"),
            (true, None) => "sign in with `rolegate seqera login [--url URL] --token-stdin`".into(),
            (false, _) => "sign in to Seqera Platform with an access token first".into(),
        }),
        RunError::Platform { error, .. } => match error.kind {
            PlatformErrorKind::Network => Some(if cli {
                "check the URL (--url or ROLEGATE_SEQERA_URL) and this machine's network, then try again".into()
            } else {
                "check the platform's URL and this machine's network, then try again".into()
            }),
            PlatformErrorKind::Decode => Some(if cli {
                "give the platform's API URL with --url: https://api.cloud.seqera.io for Seqera Cloud, or your Enterprise API's URL (often https://HOST/api)".into()
            } else {
                "enter the platform's API URL: https://api.cloud.seqera.io for Seqera Cloud, or your Enterprise API's URL (often https://HOST/api)".into()
            }),
            PlatformErrorKind::Forbidden => {
                Some("ask an owner or admin of the organization for access, or use a token of a user who has it".into())
            }
            PlatformErrorKind::Server => Some("the platform failed; try again later".into()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
#[path = "platform_session_tests.rs"]
mod tests;
