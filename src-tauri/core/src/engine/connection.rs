//! Test connection, as both front ends offer it: sign in with a key (pasted, or from
//! the keychain) or the connection's own identity, probe a role with its External ID,
//! and store a pasted secret only once it has signed in, never replacing a different
//! stored one unless asked.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{invalid, Engine};
use crate::checks::{self, RoleProbe, VerifyReport};
use crate::error::RunError;
use crate::export::Bundle;
use crate::identity::IdentitySource;
use crate::journal::{Journal, RunStatus};
use crate::ports::{vault_entry, Credentials};
use crate::validate::FieldError;

/// What to check in Test connection: whose credentials, and optionally a role to assume.
#[derive(Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TestRequest {
    /// An access key id; its secret is `secret`, or else the one in the keychain.
    /// Without it the connection's own identity is tested.
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub secret: Option<SecretString>,
    /// Store `secret` in the keychain for later tests and profiles, once it has signed
    /// in. A different secret already stored for the key is not replaced unless
    /// `replace_saved`.
    #[serde(default)]
    pub save: bool,
    /// With `save`: replace a different secret the keychain holds for this key (only
    /// once the new one has signed in).
    #[serde(default)]
    pub replace_saved: bool,
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default = "default_session_name")]
    pub session_name: String,
}

fn default_session_name() -> String {
    "rolegate-test".into()
}

impl std::fmt::Debug for TestRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRequest")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("save", &self.save)
            .field("replace_saved", &self.replace_saved)
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id)
            .field("session_name", &self.session_name)
            .finish()
    }
}

impl TestRequest {
    /// Test the credentials and role of an applied run (History's Test connection).
    pub fn for_run(j: &Journal) -> TestRequest {
        let bundle = Bundle::from_journal(j);
        let role = bundle.own_role();
        TestRequest {
            access_key_id: j.access_key_id.clone(),
            secret: None,
            save: false,
            replace_saved: false,
            role_arn: role.map(|r| r.arn.clone()),
            external_id: role.map(|r| r.external_id.clone()),
            session_name: default_session_name(),
        }
    }

    fn probe(&self) -> Result<Option<RoleProbe>, RunError> {
        let mut errs = Vec::new();
        if let Some(id) = &self.access_key_id {
            errs.extend(crate::validate::access_key_id("access_key_id", id));
        }
        let probe = match (&self.role_arn, &self.external_id) {
            (Some(arn), Some(ext)) => {
                errs.extend(crate::arn::Arn::parse("role_arn", arn).err().unwrap_or_default());
                errs.extend(crate::validate::external_id("external_id", ext));
                errs.extend(crate::validate::session_name("session_name", &self.session_name));
                Some(RoleProbe {
                    key: String::new(),
                    role_arn: arn.clone(),
                    external_id: ext.clone(),
                    session_name: self.session_name.clone(),
                    condition: crate::policy::ExternalIdCondition::for_value(ext),
                    verify_actions: vec![],
                })
            }
            (Some(_), None) => {
                errs.push(FieldError::new("external_id", "required", "give the External ID the role's trust policy demands"));
                None
            }
            (None, Some(_)) => {
                errs.push(FieldError::new("role_arn", "required", "give the ARN of the role the External ID is for"));
                None
            }
            (None, None) => None,
        };
        if errs.is_empty() {
            Ok(probe)
        } else {
            Err(RunError::Invalid(errs))
        }
    }
}

impl Engine {
    /// Test connection: sign in with existing credentials and, given a role and its
    /// External ID, assume it with the ID and prove it cannot be assumed without.
    /// A pasted secret is stored (`save`) only after it has signed in, and a different
    /// secret already in the keychain is replaced only when `replace_saved` asks for it;
    /// without that the request is refused before any call, the stored one untouched.
    pub async fn test_connection(&self, req: &TestRequest) -> Result<TestOutcome, RunError> {
        let probe = req.probe()?;
        let mut save = None;
        let source = match (&req.access_key_id, &req.secret) {
            (Some(id), Some(_)) => IdentitySource::PastedKey { access_key_id: id.clone() },
            (Some(id), None) => IdentitySource::KeychainKey { access_key_id: id.clone() },
            (None, _) => self.connect.identity_source(),
        };
        let creds = match (&req.access_key_id, &req.secret) {
            (None, Some(_)) => return Err(invalid("access_key_id", "required", "give the access key id the secret belongs to")),
            (None, None) => None,
            (Some(id), Some(secret)) => {
                if secret.expose_secret().trim().is_empty() {
                    return Err(invalid("secret", "required", "the secret access key is empty"));
                }
                if req.save {
                    save = Some(self.stored_before_save(id, secret, req.replace_saved).await?);
                }
                Some(Credentials::long_lived(id.clone(), secret.clone()))
            }
            (Some(id), None) => Some(self.credentials_for_key(id).await?),
        };
        let mut connection =
            checks::test_connection(self.connect.as_ref(), &self.events, creds.as_ref(), probe.as_ref(), self.clock.now()).await;
        connection.identity = Some(source);
        let saved = match (save, &req.access_key_id, &req.secret) {
            (Some(existing), Some(id), Some(secret)) => Some(self.save_tested_secret(id, secret, existing, &connection).await?),
            _ => None,
        };
        Ok(TestOutcome { connection, saved })
    }

    /// What the keychain holds for `id` before a save, refusing when it holds a
    /// different secret and the person did not ask to replace it.
    async fn stored_before_save(&self, id: &str, secret: &SecretString, replace: bool) -> Result<Existing, RunError> {
        let entry = vault_entry(id);
        Ok(match self.vault.get(&entry).await? {
            None => Existing::None,
            Some(old) if old.expose_secret() == secret.expose_secret() => Existing::Same,
            Some(_) if replace => Existing::Different,
            Some(_) => {
                let users: Vec<String> = self
                    .store
                    .list()?
                    .into_iter()
                    .filter(|j| j.access_key_id.as_deref() == Some(id) && j.status != RunStatus::RolledBack)
                    .map(|j| j.run_id)
                    .collect();
                let used = if users.is_empty() { String::new() } else { format!(", the key of run(s) {}", users.join(", ")) };
                return Err(invalid(
                    "save",
                    "secret-exists",
                    format!(
                        "{} already holds a different secret for access key {id} (entry {entry}{used}); it was left as it is and nothing was tested. \
                         If the new secret is the right one, ask to replace the stored one (--replace-saved; in the app, \"Replace the stored secret\"): it is replaced only if the new one signs in",
                        self.vault.describe()
                    ),
                ));
            }
        })
    }

    /// Store a tested secret if it signed in; the keychain is unchanged otherwise.
    async fn save_tested_secret(
        &self,
        id: &str,
        secret: &SecretString,
        existing: Existing,
        connection: &VerifyReport,
    ) -> Result<SecretSave, RunError> {
        let entry = vault_entry(id);
        let keychain = self.vault.describe();
        let signed_in = connection.principal.is_some();
        let (outcome, message) = match (signed_in, existing) {
            (false, Existing::None) => {
                (SaveOutcome::NotStored, format!("the secret was not stored in {keychain}: it does not sign in as {id}"))
            }
            (false, _) => (
                SaveOutcome::NotStored,
                format!("the secret was not stored: it does not sign in as {id}; {keychain} keeps the secret it held (entry {entry})"),
            ),
            (true, Existing::Same) => {
                (SaveOutcome::Unchanged, format!("{keychain} already holds this secret for {id} (entry {entry}); nothing changed"))
            }
            (true, Existing::None) => {
                self.store_key_secret(id, secret).await?;
                (SaveOutcome::Stored, format!("the secret signed in and is stored in {keychain} (entry {entry})"))
            }
            (true, Existing::Different) => {
                self.store_key_secret(id, secret).await?;
                (
                    SaveOutcome::Replaced,
                    format!("the secret signed in and replaced the different one {keychain} held for {id} (entry {entry})"),
                )
            }
        };
        Ok(SecretSave { outcome, entry, keychain, message })
    }
}

/// What the keychain held for a key before Test connection stored a secret.
enum Existing {
    None,
    Same,
    Different,
}

/// What Test connection found, and what it did with a secret it was asked to store.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TestOutcome {
    pub connection: VerifyReport,
    /// Only when the request asked to store a pasted secret.
    pub saved: Option<SecretSave>,
}

/// Whether a pasted secret went into the keychain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SaveOutcome {
    /// The keychain held none for the key; it holds this one now.
    Stored,
    /// The keychain held a different one, replaced as the person asked.
    Replaced,
    /// The keychain already held this very secret.
    Unchanged,
    /// The secret did not sign in; the keychain is as it was.
    NotStored,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SecretSave {
    pub outcome: SaveOutcome,
    /// The keychain entry (`aws-secret-access-key/<id>`).
    pub entry: String,
    /// The keychain, as the person knows it.
    pub keychain: String,
    /// One sentence to show.
    pub message: String,
}
