//! Exports of a run that exists, as both front ends offer them: the rendered formats
//! (env, Seqera, registry, Nextflow, Spacelift, Terraform, CloudFormation), the AWS
//! profile edit (previewed masked, then written with backups) and where the AWS config
//! files are. The front ends only format the result, so they cannot drift apart.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{invalid, Engine};
use crate::error::RunError;
use crate::export::profile::{self, ProfileEdit, ProfileError, ProfileFiles, ProfileOptions, WriteReport};
use crate::export::{self, Bundle, ExportCredentials, Format, Rendered};
use crate::journal::{Journal, ProfileExport};
use crate::validate::FieldError;

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
    /// Spacelift: the integration id of each role (by role key; the key `""` stands for
    /// the only role of a one-role run).
    #[serde(default)]
    pub integrations: std::collections::BTreeMap<String, String>,
    /// Spacelift: the stacks to write statements for.
    #[serde(default)]
    pub stacks: Vec<String>,
}

impl ExportRequest {
    pub fn new(format: Format) -> ExportRequest {
        ExportRequest { format, name: None, temporary: false, reveal: false, integrations: Default::default(), stacks: Vec::new() }
    }
}

/// Whether a run in this state can hand out credentials.
fn exportable(j: &Journal, format: Format) -> Result<(), RunError> {
    let made = j.status.is_applied();
    if made || matches!(format, Format::Terraform | Format::Cloudformation) {
        return Ok(());
    }
    Err(RunError::WrongStatus {
        run_id: j.run_id.clone(),
        status: j.status,
        needs: "a run hands out credentials once it is applied".into(),
    })
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

impl Engine {
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
                let integrations = spacelift_integrations(&journal, &req.integrations)?;
                export::spacelift(&bundle, &integrations, &req.stacks)?
            }
            Format::Terraform => {
                let spacelift = Format::offered_for(&journal).contains(&Format::Spacelift).then_some(req.stacks.as_slice());
                export::iac::terraform(&journal, spacelift)
            }
            Format::Cloudformation => export::iac::cloudformation(&journal),
            Format::Kubernetes => export::kubernetes(&bundle)?,
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
}

/// Where the AWS config files are for a home folder, honouring the AWS variables.
pub fn aws_files(home: &Path) -> ProfileFiles {
    ProfileFiles::resolve(
        home,
        std::env::var_os("AWS_CONFIG_FILE").map(Into::into),
        std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(Into::into),
    )
}

/// The Spacelift integration id of each role: the one the person gave (`ROLE_KEY=ID`; a
/// bare id only for a one-role run, as an integration holds one role), else the run's
/// variable `KEY_integration` (or the older single `integration`) unless it is the
/// verification default.
fn spacelift_integrations(j: &Journal, given: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, RunError> {
    let keys: Vec<&str> = j.plan.roles.iter().map(|r| r.key.as_str()).collect();
    let mut out = BTreeMap::new();
    for (k, v) in given {
        let key = match (k.as_str(), keys.as_slice()) {
            ("", [only]) => only.to_string(),
            ("", _) => {
                return Err(invalid(
                    "integration",
                    "integration-per-role",
                    format!(
                        "run {} has {} roles, and each Spacelift AWS integration holds one: give --integration ROLE_KEY=ID for each of {}",
                        j.run_id,
                        keys.len(),
                        keys.join(", ")
                    ),
                ))
            }
            (k, _) if keys.contains(&k) => k.to_string(),
            (k, _) => {
                return Err(invalid(
                    "integration",
                    "unknown-role",
                    format!("run {} has no role {k:?}; its roles: {}", j.run_id, keys.join(", ")),
                ))
            }
        };
        let errs = crate::validate::pattern_variable(&format!("integration.{key}"), v);
        if !errs.is_empty() {
            return Err(RunError::Invalid(errs));
        }
        out.insert(key, v.clone());
    }
    for key in keys {
        if out.contains_key(key) {
            continue;
        }
        let var = j.inputs.variables.get(&format!("{key}_integration")).or_else(|| j.inputs.variables.get("integration"));
        if let Some(v) = var.filter(|v| !v.starts_with("rolegate-verify")) {
            out.insert(key.to_string(), v.clone());
        }
    }
    Ok(out)
}
