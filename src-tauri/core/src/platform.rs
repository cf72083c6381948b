//! The receiving platform as the engine sees it (Seqera Platform first): who the token
//! belongs to, its workspaces, and the credentials Rolegate creates, reads back,
//! asks the platform to validate and deletes there. The seqera crate implements
//! `SeqeraApi` over HTTP; the engine never sees a URL or a JSON body.

use std::fmt;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// What went wrong in a call to the platform. Never holds the token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct PlatformError {
    pub kind: PlatformErrorKind,
    /// The API operation (`POST /credentials`).
    pub operation: String,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlatformErrorKind {
    /// The token was refused (401): expired, revoked or mistyped.
    Unauthorized,
    /// The token's user may not do this here (403).
    Forbidden,
    /// The workspace or credential is not there (404).
    NotFound,
    /// A credential of that name exists, or the platform refuses the change (409).
    Conflict,
    /// The platform refused the request as malformed (400); `message` is its own.
    BadRequest,
    /// No answer: DNS, connection, TLS or timeout.
    Network,
    /// The platform failed (5xx).
    Server,
    /// An answer that does not match the platform's API document.
    Decode,
}

impl PlatformError {
    pub fn new(kind: PlatformErrorKind, operation: &str, status: Option<u16>, message: impl Into<String>) -> Self {
        PlatformError { kind, operation: operation.into(), status, message: message.into() }
    }

    /// Worth another try later (nothing the person must change).
    pub fn transient(&self) -> bool {
        matches!(self.kind, PlatformErrorKind::Network | PlatformErrorKind::Server)
    }
}

/// The person a platform token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlatformUser {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub user_name: String,
    pub email: Option<String>,
}

/// A workspace the user belongs to, named `ORG/WORKSPACE` as Seqera shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Workspace {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub org_id: i64,
    pub org_name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub workspace_id: i64,
    pub workspace_name: String,
    pub full_name: Option<String>,
}

impl Workspace {
    /// `ORG/WORKSPACE`, the form `--seqera-workspace` takes.
    pub fn path(&self) -> String {
        format!("{}/{}", self.org_name, self.workspace_name)
    }
}

/// What a new credential holds. Secrets are `SecretString` and print redacted.
#[derive(Clone)]
pub enum CredentialKeys {
    /// Seqera Cloud's role mode: the platform assumes the role as its own principal,
    /// with an External ID it generates.
    AwsRole { role_arn: String },
    /// An access key, optionally with a role to assume; `generate_external_id` asks
    /// the platform for an External ID (only with a role).
    AwsKeys { access_key_id: String, secret_access_key: SecretString, assume_role_arn: Option<String>, generate_external_id: bool },
    /// A container registry login (ECR for Wave): user name and password.
    ContainerRegistry { registry: String, user_name: String, password: SecretString },
}

impl fmt::Debug for CredentialKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialKeys::AwsRole { role_arn } => f.debug_struct("AwsRole").field("role_arn", role_arn).finish(),
            CredentialKeys::AwsKeys { access_key_id, assume_role_arn, generate_external_id, .. } => f
                .debug_struct("AwsKeys")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"<redacted>")
                .field("assume_role_arn", assume_role_arn)
                .field("generate_external_id", generate_external_id)
                .finish(),
            CredentialKeys::ContainerRegistry { registry, user_name, .. } => f
                .debug_struct("ContainerRegistry")
                .field("registry", registry)
                .field("user_name", user_name)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

impl CredentialKeys {
    /// Seqera's `provider` for these keys.
    pub fn provider(&self) -> &'static str {
        match self {
            CredentialKeys::AwsRole { .. } | CredentialKeys::AwsKeys { .. } => "aws",
            CredentialKeys::ContainerRegistry { .. } => "container-reg",
        }
    }

    /// Whether the platform is asked to generate the External ID (`useExternalId=true`).
    pub fn platform_generates_external_id(&self) -> bool {
        match self {
            CredentialKeys::AwsRole { .. } => true,
            CredentialKeys::AwsKeys { assume_role_arn, generate_external_id, .. } => assume_role_arn.is_some() && *generate_external_id,
            CredentialKeys::ContainerRegistry { .. } => false,
        }
    }
}

/// A credential to create in a workspace.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub name: String,
    pub description: Option<String>,
    pub keys: CredentialKeys,
}

/// A credential as the platform describes it (no secret: Seqera never returns one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlatformCredential {
    pub id: String,
    pub name: String,
    pub provider: String,
    /// `keys` or `role` for AWS credentials.
    pub mode: Option<String>,
    pub assume_role_arn: Option<String>,
    pub access_key_id: Option<String>,
    /// The External ID the platform generated (or was given).
    pub external_id: Option<String>,
    pub registry: Option<String>,
    /// `AVAILABLE` or `INVALID`, as the platform last found it.
    pub status: Option<String>,
    pub message: Option<String>,
}

/// The platform's answer to "check this credential".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum PlatformValidation {
    /// The platform used the credential and it worked.
    Available,
    /// The platform used the credential and its cloud refused it; `message` is the
    /// platform's.
    Invalid { message: String },
    /// The platform could not reach its cloud: no verdict either way.
    Transient { message: String },
}

/// Seqera Platform's API, as much of it as onboarding needs.
#[async_trait]
pub trait SeqeraApi: Send + Sync {
    /// The platform's base URL, for messages (`https://api.cloud.seqera.io`).
    fn url(&self) -> &str;
    /// `GET /user-info`: whom the token belongs to.
    async fn user(&self) -> Result<PlatformUser, PlatformError>;
    /// `GET /user/{userId}/workspaces`.
    async fn workspaces(&self, user_id: i64) -> Result<Vec<Workspace>, PlatformError>;
    /// `GET /credentials/validate?name=&workspaceId=`: whether a new credential may take
    /// this name (a `Conflict` when one has it, `BadRequest` when the name breaks Seqera's rule).
    async fn check_name(&self, workspace_id: i64, name: &str) -> Result<(), PlatformError>;
    /// `POST /credentials?workspaceId=&useExternalId=`: the new credential's id.
    async fn create_credential(&self, workspace_id: i64, credential: &NewCredential) -> Result<String, PlatformError>;
    /// `GET /credentials/{id}?workspaceId=`.
    async fn credential(&self, workspace_id: i64, id: &str) -> Result<PlatformCredential, PlatformError>;
    /// `POST /credentials/{id}/validate?workspaceId=`: the platform probes its cloud.
    async fn validate_credential(&self, workspace_id: i64, id: &str) -> Result<PlatformValidation, PlatformError>;
    /// `DELETE /credentials/{id}?workspaceId=`.
    async fn delete_credential(&self, workspace_id: i64, id: &str) -> Result<(), PlatformError>;
}

/// Connects to a Seqera Platform at a URL with a token (the seqera crate; tests'
/// stand-ins).
pub trait SeqeraConnect: Send + Sync {
    fn connect(&self, url: &str, token: SecretString) -> Result<std::sync::Arc<dyn SeqeraApi>, PlatformError>;
}

/// Seqera Cloud's API, the default.
pub const SEQERA_CLOUD_URL: &str = "https://api.cloud.seqera.io";

/// A platform API URL as given (`--url`, `ROLEGATE_SEQERA_URL`, the app's field), checked
/// and without a trailing slash: HTTPS, or plain HTTP only to this machine's loopback
/// address (a local stand-in), with no user name, password, query or fragment in it.
/// The error is the rule it broke.
pub fn normalize_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://").ok_or("must start with https://")?;
    let rest = rest.trim_end_matches('/');
    let url = &url[..scheme.len() + 3 + rest.len()];
    let host_port = rest.split('/').next().unwrap_or("");
    if host_port.is_empty() {
        return Err("must name a host".into());
    }
    if host_port.contains('@') {
        return Err("must not hold a user name or password (the token is asked for separately)".into());
    }
    if rest.contains('?') || rest.contains('#') {
        return Err("must not hold a query or fragment".into());
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not hold spaces".into());
    }
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(url.to_string()),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "::1") => Ok(url.to_string()),
        "http" => Err("must use https:// (plain http only to this machine's loopback address)".into()),
        _ => Err("must start with https://".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_loopback_http() {
        assert_eq!(normalize_url("https://api.cloud.seqera.io/").unwrap(), "https://api.cloud.seqera.io");
        assert_eq!(normalize_url("https://seqera.example.com/api").unwrap(), "https://seqera.example.com/api");
        assert_eq!(normalize_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(normalize_url("http://[::1]:9").unwrap(), "http://[::1]:9");
        assert!(normalize_url("http://seqera.example.com").unwrap_err().contains("https"));
        assert!(normalize_url("http://127.0.0.1.evil.example").unwrap_err().contains("https"));
        assert!(normalize_url("https://user:pw@seqera.example.com").unwrap_err().contains("password"));
        assert!(normalize_url("seqera.example.com").unwrap_err().contains("https://"));
        assert!(normalize_url("https://x.example?token=1").unwrap_err().contains("query"));
        assert!(normalize_url("https://").unwrap_err().contains("host"));
    }

    #[test]
    fn only_role_and_asked_for_key_plus_role_credentials_have_the_platform_generate_the_external_id() {
        let role = CredentialKeys::AwsRole { role_arn: "arn:aws:iam::1:role/r".into() };
        assert!(role.platform_generates_external_id());
        let keys = |arn: Option<&str>, gen| CredentialKeys::AwsKeys {
            access_key_id: "AKIA".into(),
            secret_access_key: SecretString::from("top-secret-xyz"),
            assume_role_arn: arn.map(String::from),
            generate_external_id: gen,
        };
        assert!(keys(Some("arn:aws:iam::1:role/r"), true).platform_generates_external_id());
        assert!(!keys(Some("arn:aws:iam::1:role/r"), false).platform_generates_external_id());
        assert!(!keys(None, true).platform_generates_external_id(), "no role, no External ID");
        assert!(!format!("{:?}", keys(None, false)).contains("top-secret-xyz"));
    }
}
