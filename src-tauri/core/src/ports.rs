//! The small traits through which the core talks to the world: IAM, STS, EKS (`Connect::eks`), the secret
//! vault, the clock and the source of randomness. The aws and vault crates implement
//! them for real; `testing` implements them in memory for unit tests.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::validate::Tag;

/// What went wrong in a call to AWS, classified by the service's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwsErrorKind {
    NotFound,
    AlreadyExists,
    AccessDenied,
    /// The access key is unknown (or not yet known: new keys take seconds to work).
    InvalidClientTokenId,
    /// The signature does not match: the secret is wrong.
    SignatureDoesNotMatch,
    /// A policy document was refused; `message` says why ("Invalid principal" for a
    /// principal IAM does not know yet).
    MalformedPolicy,
    LimitExceeded,
    DeleteConflict,
    Throttled,
    /// The endpoint does not implement the operation (emulators, some partitions).
    NotImplemented,
    Validation,
    /// No identity could be resolved (no profile, no environment credentials).
    NoCredentials,
    Network,
    Other,
}

/// An error from an AWS call. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{operation}: {code}: {message}")]
pub struct AwsError {
    pub kind: AwsErrorKind,
    /// The API operation (`iam:CreateRole`).
    pub operation: String,
    /// The service's error code (`AccessDenied`, `EntityAlreadyExists`, ...).
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(kind: AwsErrorKind, operation: &str, code: &str, message: impl Into<String>) -> Self {
        AwsError { kind, operation: operation.into(), code: code.into(), message: message.into() }
    }

    /// The IAM action named in an AccessDenied message ("... is not authorized to
    /// perform: iam:CreateRole on resource: ..."), or the operation itself.
    pub fn denied_action(&self) -> String {
        self.message
            .split("perform: ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .map(|s| s.trim_end_matches([',', '.']).to_string())
            .unwrap_or_else(|| self.operation.clone())
    }

    /// The resource named in an AccessDenied message, when there is one.
    pub fn denied_resource(&self) -> Option<String> {
        self.message
            .split("on resource: ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .map(|s| s.trim_end_matches([',', '.']).to_string())
    }
}

/// AWS credentials. Debug never prints the secret or the token.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
    pub expiration: Option<OffsetDateTime>,
}

impl Credentials {
    pub fn long_lived(access_key_id: impl Into<String>, secret: SecretString) -> Self {
        Credentials { access_key_id: access_key_id.into(), secret_access_key: secret, session_token: None, expiration: None }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Who answered GetCallerIdentity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyMeta {
    pub id: String,
    pub status: KeyStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
}

/// A freshly created access key: the only moment its secret is visible.
pub struct NewAccessKey {
    pub id: String,
    pub secret: SecretString,
    pub created: Option<OffsetDateTime>,
}

impl fmt::Debug for NewAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccessKey").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub default_version: String,
    pub attachment_count: u32,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    pub path: String,
    /// The trust policy as JSON text.
    pub trust_policy: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRole {
    pub name: String,
    pub path: String,
    pub trust_policy: String,
    pub description: String,
    pub max_session_seconds: u32,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationResult {
    pub action: String,
    /// `allowed`, `implicitDeny` or `explicitDeny`.
    pub decision: String,
}

/// The IAM operations Rolegate uses.
#[async_trait]
pub trait Iam: Send + Sync {
    async fn get_user(&self, name: &str) -> Result<Option<UserInfo>, AwsError>;
    async fn create_user(&self, name: &str, path: &str, tags: &[Tag]) -> Result<UserInfo, AwsError>;
    async fn delete_user(&self, name: &str) -> Result<(), AwsError>;
    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyMeta>, AwsError>;
    async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, AwsError>;
    async fn update_access_key(&self, user: &str, id: &str, status: KeyStatus) -> Result<(), AwsError>;
    async fn delete_access_key(&self, user: &str, id: &str) -> Result<(), AwsError>;
    async fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), AwsError>;
    async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), AwsError>;
    async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError>;
    async fn put_user_policy(&self, user: &str, name: &str, document: &str) -> Result<(), AwsError>;
    async fn delete_user_policy(&self, user: &str, name: &str) -> Result<(), AwsError>;
    async fn list_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError>;
    async fn get_policy(&self, arn: &str) -> Result<Option<PolicyInfo>, AwsError>;
    async fn create_policy(&self, name: &str, path: &str, document: &str, description: &str, tags: &[Tag]) -> Result<PolicyInfo, AwsError>;
    async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>, AwsError>;
    async fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), AwsError>;
    async fn delete_policy(&self, arn: &str) -> Result<(), AwsError>;
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError>;
    async fn create_role(&self, input: &CreateRole) -> Result<RoleInfo, AwsError>;
    async fn delete_role(&self, name: &str) -> Result<(), AwsError>;
    /// Replace the role's trust policy (`document` is its JSON text).
    async fn update_assume_role_policy(&self, role_name: &str, document: &str) -> Result<(), AwsError>;
    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError>;
    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError>;
    async fn list_attached_role_policies(&self, role: &str) -> Result<Vec<String>, AwsError>;
    /// Each action on each resource (`*` alone: no resource named).
    async fn simulate_principal_policy(
        &self,
        principal_arn: &str,
        actions: &[String],
        resources: &[String],
    ) -> Result<Vec<SimulationResult>, AwsError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub credentials: Credentials,
    pub arn: String,
}

/// The STS operations Rolegate uses.
#[async_trait]
pub trait Sts: Send + Sync {
    async fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError>;
    async fn assume_role(&self, input: &AssumeRoleInput) -> Result<AssumedRole, AwsError>;
}

/// Makes IAM, STS and Organizations clients for the bootstrap identity or for given credentials.
pub trait Connect: Send + Sync {
    /// The identity doing the onboarding (profile, environment, SSO...).
    fn iam(&self) -> Arc<dyn Iam>;
    fn sts(&self) -> Arc<dyn Sts>;
    /// Clients that sign with other credentials (the new key, temporary credentials).
    fn iam_as(&self, creds: &Credentials) -> Arc<dyn Iam>;
    fn sts_as(&self, creds: &Credentials) -> Arc<dyn Sts>;
    /// Organizations as the bootstrap identity (fleet onboarding).
    fn organizations(&self) -> Arc<dyn crate::fleet::Organizations>;
    /// CloudFormation StackSets as the bootstrap identity (fleet onboarding).
    fn stacksets(&self) -> Arc<dyn crate::fleet::StackSets>;
    /// EKS in `region` (and the account's IAM OIDC providers) as the bootstrap identity.
    /// A connection without EKS answers every call NotImplemented, as an endpoint
    /// without the service would.
    fn eks(&self, region: &str) -> Arc<dyn crate::eks::Eks> {
        Arc::new(crate::eks::ports::NoEks { region: region.to_string() })
    }
    /// The region calls go to.
    fn region(&self) -> String;
    /// Where the onboarding identity's credentials come from, in words for the person.
    fn identity_source(&self) -> crate::identity::IdentitySource {
        crate::identity::IdentitySource::Unknown
    }
}

/// Errors of the secret vault (the OS keychain).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the keychain is not available: {0}")]
    Unavailable(String),
    #[error("the keychain refused the operation: {0}")]
    Refused(String),
}

/// Where secrets live. Entries are addressed by an opaque name (see `vault_entry`).
#[async_trait]
pub trait Vault: Send + Sync {
    async fn put(&self, entry: &str, secret: &SecretString) -> Result<(), VaultError>;
    /// `None` when there is no such entry.
    async fn get(&self, entry: &str) -> Result<Option<SecretString>, VaultError>;
    /// `false` when there was no such entry.
    async fn delete(&self, entry: &str) -> Result<bool, VaultError>;
    /// A human-readable name of the backing store, for messages.
    fn describe(&self) -> String;
}

/// The prefix of every entry that holds a secret access key.
pub const VAULT_ENTRY_PREFIX: &str = "aws-secret-access-key/";

/// The vault entry that holds an access key's secret: the key id is the entry name.
pub fn vault_entry(access_key_id: &str) -> String {
    format!("{VAULT_ENTRY_PREFIX}{access_key_id}")
}

/// Time, injectable so tests never really sleep.
#[async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
    async fn sleep(&self, d: Duration);
}

/// The real clock.
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await
    }
}

/// Randomness, injectable so tests know the names and ids a run will use.
pub trait Entropy: Send + Sync {
    fn run_id(&self) -> String;
    fn uuid(&self) -> String;
    /// A jitter in `0..max_ms` milliseconds.
    fn jitter_ms(&self, max_ms: u64) -> u64;
}

/// Real randomness.
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn run_id(&self) -> String {
        let u = uuid::Uuid::new_v4().simple().to_string();
        format!("rg-{}", &u[..12])
    }
    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
    fn jitter_ms(&self, max_ms: u64) -> u64 {
        use rand::Rng;
        if max_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..max_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: SecretString::from("s3cr3t-value"),
            session_token: Some(SecretString::from("tok3n-value")),
            expiration: None,
        };
        let d = format!("{c:?}");
        assert!(d.contains("AKIAEXAMPLE"));
        assert!(!d.contains("s3cr3t") && !d.contains("tok3n"), "{d}");
        let k = NewAccessKey { id: "AKIA2".into(), secret: SecretString::from("s3cr3t-value"), created: None };
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }

    #[test]
    fn denied_action_is_read_from_the_message() {
        let e = AwsError::new(
            AwsErrorKind::AccessDenied,
            "iam:CreateRole",
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/boot is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/x",
        );
        assert_eq!(e.denied_action(), "iam:CreateRole");
        assert_eq!(e.denied_resource().as_deref(), Some("arn:aws:iam::123456789012:role/x"));
        let e = AwsError::new(AwsErrorKind::AccessDenied, "iam:CreateUser", "AccessDenied", "nope");
        assert_eq!(e.denied_action(), "iam:CreateUser");
        assert_eq!(e.denied_resource(), None);
    }

    #[test]
    fn run_ids_are_valid_session_names() {
        let id = OsEntropy.run_id();
        assert!(crate::validate::session_name("id", &id).is_empty(), "{id}");
        assert_ne!(id, OsEntropy.run_id());
    }
}
