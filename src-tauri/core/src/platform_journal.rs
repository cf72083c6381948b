//! What a run's journal records of the credentials it made on a receiving platform
//! (Seqera Platform): one record per credential, written as an intent before the create
//! call and given the platform's id the moment it answers, so a run stopped at any point
//! knows exactly what exists there, and roll-back deletes only what this run made.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::platform::PlatformValidation;

/// The kind of credential made on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum PlatformCredentialKind {
    /// AWS, role mode: the platform assumes the run's role as its own principal.
    AwsRole,
    /// AWS, keys mode: the run's access key.
    AwsKeys,
    /// AWS, keys mode with the run's role to assume.
    AwsKeysRole,
    /// A container-registry login (the account's ECR) with the run's access key.
    ContainerRegistry,
}

impl PlatformCredentialKind {
    pub fn describe(self) -> &'static str {
        match self {
            PlatformCredentialKind::AwsRole => "AWS credential (role mode)",
            PlatformCredentialKind::AwsKeys => "AWS credential (keys mode)",
            PlatformCredentialKind::AwsKeysRole => "AWS credential (keys mode, assuming the role)",
            PlatformCredentialKind::ContainerRegistry => "container registry credential",
        }
    }
}

/// One credential on the platform, as far as this run knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlatformRecord {
    /// `seqera`.
    pub platform: String,
    /// The platform's API URL.
    pub url: String,
    /// `ORG/WORKSPACE`.
    pub workspace: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub workspace_id: i64,
    pub name: String,
    pub kind: PlatformCredentialKind,
    /// The role the credential assumes (its key in the plan).
    #[serde(default)]
    pub role_key: Option<String>,
    /// The access key the credential holds (its secret is only in the keychain and on
    /// the platform).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// When the create call was about to be sent.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The platform's id, recorded as soon as the create call answered; `None` while the
    /// answer is not known (a run stopped during the call).
    #[serde(default)]
    pub credential_id: Option<String>,
    /// The External ID the platform generated, once read back.
    #[serde(default)]
    pub external_id: Option<String>,
    /// When the role's trust policy took the platform's External ID.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub external_id_applied_at: Option<OffsetDateTime>,
    /// The platform's last verdict on the credential.
    #[serde(default)]
    pub validation: Option<PlatformValidation>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub validated_at: Option<OffsetDateTime>,
    /// The create call's answer never arrived and a credential of this name was found
    /// afterwards: it may be this run's or someone's, so it is never used or deleted.
    #[serde(default)]
    pub unconfirmed: bool,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
}

impl PlatformRecord {
    /// Still there (or possibly there) on the platform.
    pub fn live(&self) -> bool {
        self.deleted_at.is_none()
    }

    pub fn describe(&self) -> String {
        match &self.credential_id {
            Some(id) => format!("Seqera Platform {} {} ({id}) in {} at {}", self.kind.describe(), self.name, self.workspace, self.url),
            None => format!(
                "Seqera Platform {} {} in {} at {} (its id never arrived)",
                self.kind.describe(),
                self.name,
                self.workspace,
                self.url
            ),
        }
    }
}
