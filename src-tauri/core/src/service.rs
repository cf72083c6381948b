//! The operations the CLI and the desktop app both offer on a run that exists: exports,
//! AWS profiles, Test connection, the secrets list and credential_process. Both front
//! ends call these and only format the result, so they cannot drift apart.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::checks::{self, RoleProbe, VerifyReport};
use crate::error::RunError;
use crate::export::profile::{self, ProfileEdit, ProfileError, ProfileFiles, ProfileOptions, WriteReport};
use crate::export::{self, Bundle, ExportCredentials, Format, Rendered};
use crate::identity::IdentitySource;
use crate::journal::{Journal, JournalStore, ProfileExport, RunStatus};
use crate::ports::{vault_entry, Credentials, Vault};
use crate::runner::Engine;
use crate::secrets::{SecretIndex, SecretListing};
use crate::validate::FieldError;

fn invalid(field: &str, rule: &str, message: impl Into<String>) -> RunError {
    RunError::Invalid(vec![FieldError::new(field, rule, message)])
}

/// One export of a run, as the person asked for it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExportRequest {
    pub format: Format,
    /// The credential name (Seqera, registry); the run's default name when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Temporary credentials from the role instead of the long-lived key (env formats).
    #[serde(default)]
    pub temporary: bool,
    /// Put the real secret in the text; otherwise it is masked.
    #[serde(default)]
    pub reveal: bool,
    /// Spacelift: the integration name.
    #[serde(default)]
    pub integration: Option<String>,
    /// Spacelift: the stacks to write statements for.
    #[serde(default)]
    pub stacks: Vec<String>,
}

impl ExportRequest {
    pub fn new(format: Format) -> ExportRequest {
        ExportRequest { format, name: None, temporary: false, reveal: false, integration: None, stacks: Vec::new() }
    }
}

/// Whether a run in this state can hand out credentials.
fn exportable(j: &Journal, format: Format) -> Result<(), RunError> {
    let made = matches!(j.status, RunStatus::Applied | RunStatus::Verified | RunStatus::VerifyFailed);
    if made || matches!(format, Format::Terraform | Format::Cloudformation) {
        return Ok(());
    }
    Err(RunError::State(format!("run {} is {}; finish it (resume the run) before exporting credentials", j.run_id, j.status.as_str())))
}

impl From<ProfileError> for RunError {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::Invalid(f) => RunError::Invalid(vec![f]),
            ProfileError::Exists { profile, path, source } => RunError::Invalid(vec![FieldError::new(
                "profile",
                "exists",
                format!(
                    "profile {profile} already exists in {} ({}); choose another name, or replace it (--force; a backup is written first)",
                    path.display(),
                    source.existing.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )]),
            ProfileError::Io { action, path, source } => RunError::Local { action: action.to_string(), path, message: source.to_string() },
        }
    }
}

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
    /// The journal of one run.
    pub fn journal(&self, run_id: &str) -> Result<Journal, RunError> {
        Ok(self.store.load(run_id)?)
    }

    async fn export_key_credentials(&self, bundle: &Bundle, reveal: bool) -> Result<ExportCredentials, RunError> {
        let id = bundle
            .access_key_id
            .clone()
            .ok_or_else(|| invalid("run", "no-access-key", format!("run {} has no access key", bundle.run_id)))?;
        let c = self.credentials_for_key(&id).await?;
        Ok(ExportCredentials {
            access_key_id: c.access_key_id,
            secret: Some(c.secret_access_key),
            session_token: None,
            expiration: None,
            reveal,
        })
    }

    /// Render one export of a run. Secrets are masked unless `reveal`. The AWS profile
    /// format renders the profile sections as a preview; `profile_edit` writes them.
    pub async fn render_export(&self, run_id: &str, req: &ExportRequest) -> Result<Rendered, RunError> {
        let journal = self.journal(run_id)?;
        exportable(&journal, req.format)?;
        let bundle = Bundle::from_journal(&journal);
        let default_name = bundle.default_name();
        Ok(match req.format {
            Format::Sh | Format::Fish | Format::Powershell | Format::Dotenv => {
                let creds = if req.temporary {
                    let t = self.temporary_credentials(run_id).await?;
                    ExportCredentials {
                        access_key_id: t.access_key_id,
                        secret: Some(t.secret_access_key),
                        session_token: t.session_token,
                        expiration: t.expiration,
                        reveal: req.reveal,
                    }
                } else {
                    self.export_key_credentials(&bundle, req.reveal).await?
                };
                export::env(req.format, &bundle, &creds)
            }
            Format::Seqera => {
                let creds =
                    if bundle.access_key_id.is_some() { Some(self.export_key_credentials(&bundle, req.reveal).await?) } else { None };
                export::seqera(&bundle, req.name.as_deref().unwrap_or(&default_name), creds.as_ref())?
            }
            Format::Registry => export::registry(
                &bundle,
                req.name.as_deref().unwrap_or(&default_name),
                &self.export_key_credentials(&bundle, req.reveal).await?,
            )?,
            Format::Nextflow => export::nextflow(&bundle),
            Format::Spacelift => {
                let integration = req
                    .integration
                    .clone()
                    .or_else(|| journal.inputs.variables.get("integration").cloned())
                    .unwrap_or_else(|| "rolegate-verify".into());
                export::spacelift(&bundle, &integration, &req.stacks)
            }
            Format::Terraform => export::iac::terraform(&journal),
            Format::Cloudformation => export::iac::cloudformation(&journal),
            Format::AwsProfile => {
                return Err(invalid(
                    "format",
                    "profile-is-written",
                    "an AWS profile is previewed and written with the profile edit, not rendered",
                ))
            }
        })
    }

    /// The edits that writing a run's AWS profile makes (masked diff), without writing.
    pub async fn profile_edit(&self, run_id: &str, opts: &ProfileOptions, files: &ProfileFiles) -> Result<ProfileEdit, RunError> {
        let journal = self.journal(run_id)?;
        exportable(&journal, Format::AwsProfile)?;
        let bundle = Bundle::from_journal(&journal);
        let secret = match (&opts.source, &bundle.access_key_id) {
            (profile::Source::PlainKeys, Some(id)) => Some(self.credentials_for_key(id).await?.secret_access_key),
            _ => None,
        };
        Ok(profile::plan(&bundle, opts, files, secret.as_ref())?)
    }

    /// Write a run's AWS profile (backups first, then atomically) and record it in the
    /// journal, so rotations keep plain-key profiles current and roll-back can name them.
    pub async fn write_profile(
        &self,
        run_id: &str,
        opts: &ProfileOptions,
        files: &ProfileFiles,
    ) -> Result<(ProfileEdit, WriteReport), RunError> {
        let edit = self.profile_edit(run_id, opts, files).await?;
        let report = profile::write(&edit, self.clock.now())?;
        let mut j = self.journal(run_id)?;
        let record = ProfileExport {
            profile: opts.name.clone(),
            source_profile: edit.source_profile.clone().unwrap_or_else(|| opts.name.clone()),
            config_file: files.config.clone(),
            credentials_file: files.credentials.clone(),
            plain_keys: matches!(opts.source, profile::Source::PlainKeys),
        };
        j.exports.retain(|e| !(e.profile == record.profile && e.config_file == record.config_file));
        j.exports.push(record);
        j.note(self.clock.now(), format!("wrote AWS profile {}", opts.name));
        self.store.save(&j)?;
        Ok((edit, report))
    }

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

/// The `credential_process` answer for a run's current key (or a named key): the JSON
/// the AWS CLI and SDKs read, its secret from the keychain. No AWS call is made.
pub async fn credential_process_json(
    store: &dyn JournalStore,
    vault: &dyn Vault,
    run_id: Option<&str>,
    access_key_id: Option<&str>,
) -> Result<String, RunError> {
    let id = match (run_id, access_key_id) {
        (_, Some(id)) => id.to_string(),
        (Some(run), None) => store
            .load(run)?
            .access_key_id
            .ok_or_else(|| RunError::State(format!("run {run} has no access key (rolled back, or not applied yet)")))?,
        (None, None) => return Err(invalid("run", "required", "give --run RUN_ID or --access-key-id ID")),
    };
    let secret = vault.get(&vault_entry(&id)).await?.ok_or_else(|| RunError::SecretMissing {
        keychain: vault.describe(),
        access_key_id: id.clone(),
        entry: vault_entry(&id),
    })?;
    Ok(serde_json::json!({ "Version": 1, "AccessKeyId": id, "SecretAccessKey": secret.expose_secret() }).to_string())
}

/// The secrets Rolegate keeps (ids, ages, whether the keychain still holds each, the
/// live runs that use it), from the index beside the journals. No AWS call is made.
pub async fn secret_listings(
    store: &dyn JournalStore,
    vault: &dyn Vault,
    index: &SecretIndex,
    now: time::OffsetDateTime,
) -> Result<Vec<SecretListing>, RunError> {
    let runs = store.list()?;
    let mut out = Vec::new();
    for r in index.load() {
        let present = vault.get(&r.entry).await?.is_some();
        out.push(SecretListing {
            runs: runs
                .iter()
                .filter(|j| j.access_key_id.as_deref() == Some(r.access_key_id.as_str()) && j.status != RunStatus::RolledBack)
                .map(|j| j.run_id.clone())
                .collect(),
            present,
            age_days: (now - r.stored_at).whole_days(),
            access_key_id: r.access_key_id,
            entry: r.entry,
            stored_at: r.stored_at,
        });
    }
    Ok(out)
}

/// Delete a stored secret; refused while a live run uses the key unless `force`.
/// Returns whether the keychain held it.
pub async fn delete_secret(store: &dyn JournalStore, vault: &dyn Vault, access_key_id: &str, force: bool) -> Result<bool, RunError> {
    let users: Vec<String> = store
        .list()?
        .into_iter()
        .filter(|j| j.access_key_id.as_deref() == Some(access_key_id) && j.status != RunStatus::RolledBack)
        .map(|j| j.run_id)
        .collect();
    if !users.is_empty() && !force {
        return Err(RunError::State(format!(
            "access key {access_key_id} is the live key of run(s) {}; without its secret their profiles stop working. Roll the run back or rotate its key first, or force the deletion",
            users.join(", ")
        )));
    }
    Ok(vault.delete(&vault_entry(access_key_id)).await?)
}

/// Where the AWS config files are for a home folder, honouring the AWS variables.
pub fn aws_files(home: &Path) -> ProfileFiles {
    ProfileFiles::resolve(
        home,
        std::env::var_os("AWS_CONFIG_FILE").map(Into::into),
        std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(Into::into),
    )
}
