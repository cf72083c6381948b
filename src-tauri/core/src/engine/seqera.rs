//! `Engine::connect_seqera`: hand an applied run to Seqera Platform through its API and
//! let Seqera itself confirm it. In the workspace the person names, the credential the
//! template calls for is created (AWS role mode, keys mode with or without the role, or
//! a container-registry login for ECR), its id journaled the moment Seqera answers; the
//! External ID Seqera generated is read back and put in the role's trust policy
//! (`set_external_id`); then Seqera is asked to check the credential against AWS, and
//! its answer joins the run's verification as the check `platform-validate`. Calling it
//! again after a stop continues with what the journal records; roll-back deletes the
//! credentials recorded here (`rollback_platform`).

use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;

use super::trust::{ExternalIdChange, ExternalIdOptions};
use super::{invalid, Engine};
use crate::checks::{Check, CheckStatus, VerifyReport};
use crate::error::RunError;
use crate::events::{Event, NoticeKind};
use crate::journal::{Journal, RunStatus};
use crate::plan::{PlannedRole, StepId};
use crate::platform::{
    CredentialKeys, NewCredential, PlatformCredential, PlatformError, PlatformErrorKind, PlatformValidation, SeqeraApi, Workspace,
};
use crate::platform_journal::{PlatformCredentialKind, PlatformRecord};
use crate::platform_session::refused;
use crate::ports::vault_entry;
use crate::template::PlatformConnector;

/// How `connect_seqera` runs.
#[derive(Debug, Clone, Default)]
pub struct SeqeraOptions {
    /// `ORG/WORKSPACE`, as Seqera shows it.
    pub workspace: String,
    /// The credential's name in Seqera (default `rolegate-TEMPLATE-RUN_ID`).
    pub credential_name: Option<String>,
}

/// What `connect_seqera` did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SeqeraConnection {
    pub run_id: String,
    pub url: String,
    pub workspace: String,
    pub credential_id: String,
    pub credential_name: String,
    pub kind: PlatformCredentialKind,
    /// The credential existed from an earlier call (stopped, or asked again).
    pub reused: bool,
    /// The External ID Seqera generated, when it generates one.
    pub external_id: Option<String>,
    /// The trust policy change that took Seqera's External ID.
    pub external_id_change: Option<ExternalIdChange>,
    pub validation: PlatformValidation,
    pub status: RunStatus,
    pub verification: VerifyReport,
}

/// The `ORG/WORKSPACE` a person named, checked.
pub fn parse_workspace(text: &str) -> Result<(String, String), RunError> {
    let t = text.trim();
    match t.split_once('/') {
        Some((org, ws)) if !org.is_empty() && !ws.is_empty() && !ws.contains('/') => Ok((org.to_string(), ws.to_string())),
        _ => {
            Err(invalid("workspace", "org-workspace", format!("must be ORGANIZATION/WORKSPACE as Seqera Platform shows it, got {text:?}")))
        }
    }
}

/// Refuse a platform connection for a template that has no credential on the platform
/// (before anything is made, when `apply` is asked to connect).
pub fn require_connector(template: &crate::template::Template) -> Result<(), RunError> {
    match template.platform_credential {
        Some(_) => Ok(()),
        None => Err(invalid(
            "template",
            "no-connector",
            format!(
                "template {} has no Seqera Platform credential; the Seqera connection is for the Seqera templates and ecr-wave-readonly",
                template.id
            ),
        )),
    }
}

/// The workspace named `ORG/WORKSPACE` among the token's user's workspaces, or an input
/// error on `workspace` that lists the ones there are.
pub async fn find_workspace(api: &dyn SeqeraApi, named: &str) -> Result<Workspace, RunError> {
    let (org, ws) = parse_workspace(named)?;
    let url = api.url();
    let user = api.user().await.map_err(|e| refused(url, e))?;
    let list = api.workspaces(user.id).await.map_err(|e| refused(url, e))?;
    list.iter().find(|w| w.org_name == org && w.workspace_name == ws).cloned().ok_or_else(|| {
        let names: Vec<String> = list.iter().map(Workspace::path).collect();
        invalid(
            "workspace",
            "unknown-workspace",
            format!(
                "{} has no workspace {org}/{ws} at {url}; {}",
                user.user_name,
                if names.is_empty() {
                    "they belong to no workspace".to_string()
                } else {
                    format!("their workspaces: {}", names.join(", "))
                }
            ),
        )
    })
}

/// What the template asks the platform to hold, for the journal.
fn kind_of(j: &Journal, credential: PlatformConnector) -> PlatformCredentialKind {
    match credential {
        PlatformConnector::SeqeraContainerReg => PlatformCredentialKind::ContainerRegistry,
        PlatformConnector::SeqeraAws => match j.plan.mode {
            crate::template::Mode::Role => PlatformCredentialKind::AwsRole,
            crate::template::Mode::KeyRole => PlatformCredentialKind::AwsKeysRole,
            crate::template::Mode::Key => PlatformCredentialKind::AwsKeys,
        },
    }
}

/// The role a credential of `kind` points at.
fn role_for(j: &Journal, kind: PlatformCredentialKind) -> Result<Option<PlannedRole>, RunError> {
    let role = match kind {
        PlatformCredentialKind::AwsRole => j.plan.roles.first(),
        PlatformCredentialKind::AwsKeysRole => j.plan.roles.iter().find(|r| r.trusts_created_user),
        _ => return Ok(None),
    };
    role.cloned().map(Some).ok_or_else(|| invalid("run", "no-role", format!("run {} has no role for a {}", j.run_id, kind.describe())))
}

/// The check id for the platform's verdict: `platform-validate`, with `:KEY` when the
/// run has several roles (as the other per-role checks).
pub fn check_id(j: &Journal, role_key: Option<&str>) -> String {
    match role_key {
        Some(k) if j.plan.roles.len() > 1 => format!("platform-validate:{k}"),
        _ => "platform-validate".into(),
    }
}

/// The platform's verdict as a verification check, with the fix when it failed.
fn validation_check(j: &Journal, rec: &PlatformRecord, v: &PlatformValidation) -> Check {
    let id = check_id(j, rec.role_key.as_deref());
    let title = "Seqera Platform uses the credential";
    let what = format!("credential {} ({}) in {} at {}", rec.name, rec.credential_id.as_deref().unwrap_or("?"), rec.workspace, rec.url);
    let again = format!("rolegate seqera connect {} --workspace {}", j.run_id, rec.workspace);
    match v {
        PlatformValidation::Available => {
            Check::new(&id, title, CheckStatus::Passed, format!("Seqera Platform checked {what} against AWS and found it AVAILABLE"))
        }
        PlatformValidation::Invalid { message } => {
            let role = rec.role_key.as_deref().and_then(|k| j.plan.roles.iter().find(|r| r.key == k));
            let fix = match (rec.kind, role) {
                (PlatformCredentialKind::AwsRole, Some(r)) => format!(
                    "role {} must trust the principal Seqera Platform acts as ({}) with the External ID {}: `rolegate verify {}` shows what the trust policy holds; `rolegate set-external-id {} VALUE` sets the value Seqera shows; then `{again}`",
                    r.name,
                    r.principals.join(", "),
                    rec.external_id.as_deref().unwrap_or(&r.external_id),
                    j.run_id,
                    j.run_id
                ),
                (PlatformCredentialKind::AwsKeysRole, Some(r)) => format!(
                    "the access key must be active and able to assume role {} with the External ID: `rolegate verify {}` shows which part fails; `rolegate rotate-key {}` replaces the key; then `{again}`",
                    r.name, j.run_id, j.run_id
                ),
                _ => format!(
                    "the access key must be active and allowed what the template grants: `rolegate verify {}` shows which part fails; `rolegate rotate-key {}` replaces the key; then `{again}`",
                    j.run_id, j.run_id
                ),
            };
            Check::new(&id, title, CheckStatus::Failed, format!("Seqera Platform found {what} INVALID: {message}")).with_fix(fix)
        }
        PlatformValidation::Transient { message } => Check::new(
            &id,
            title,
            CheckStatus::Skipped,
            format!("skipped: Seqera Platform could not reach AWS to check {what} ({message}); to ask again: {again}"),
        ),
    }
}

/// How long Seqera's check is asked again while AWS may still be taking in a trust
/// change Rolegate could not watch itself (a role only the platform can assume).
const SETTLE_ATTEMPTS: u32 = 8;

impl Engine {
    /// Create (or find again) the run's credential in `opts.workspace` on the platform
    /// behind `api`, give its role the External ID the platform generated, and let the
    /// platform check it; the run is verified with the platform's verdict as one check.
    pub async fn connect_seqera(&self, api: &dyn SeqeraApi, run_id: &str, opts: &SeqeraOptions) -> Result<SeqeraConnection, RunError> {
        let j = self.store.load(run_id)?;
        if !j.status.is_applied() {
            return Err(RunError::WrongStatus {
                run_id: run_id.into(),
                status: j.status,
                needs: "only an applied run can be sent to Seqera Platform".into(),
            });
        }
        let credential = j
            .plan
            .platform_credential
            .or_else(|| crate::template::find_builtin(&j.plan.template_id).and_then(|t| t.platform_credential))
            .ok_or_else(|| {
                invalid(
                    "template",
                    "no-connector",
                    format!("run {} is of template {}, which Seqera Platform has no credential for", run_id, j.plan.template_id),
                )
            })?;
        let kind = kind_of(&j, credential);
        let role = role_for(&j, kind)?;
        self.check_account(&j).await?;
        let url = api.url().to_string();
        let workspace = find_workspace(api, &opts.workspace).await?;

        let (index, reused) = self.credential_record(api, &j, &workspace, kind, role.as_ref(), opts).await?;
        let j = self.store.load(run_id)?;
        let rec = j.platform[index].clone();
        let credential_id = rec.credential_id.clone().expect("a record with an id");

        // The External ID the platform generated, read back and put in the trust policy.
        let described = api.credential(workspace.workspace_id, &credential_id).await.map_err(|e| refused(&url, e))?;
        check_described(&url, &rec, &described)?;
        let generates = matches!(kind, PlatformCredentialKind::AwsRole | PlatformCredentialKind::AwsKeysRole);
        let external_id = if generates {
            Some(described.external_id.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
                refused(
                    &url,
                    PlatformError::new(
                        PlatformErrorKind::Decode,
                        "GET /credentials/{id}",
                        None,
                        format!("credential {} holds no External ID, though Seqera generates one for it", rec.name),
                    ),
                )
            })?)
        } else {
            None
        };
        let mut change = None;
        let mut settle = false;
        if let (Some(value), Some(role)) = (&external_id, &role) {
            if rec.external_id.as_ref() != Some(value) {
                self.update_record(run_id, index, |r| r.external_id = Some(value.clone()))?;
            }
            if role.external_id != *value || rec.external_id_applied_at.is_none() {
                self.emit(Event::StepStarted {
                    step: StepId::SeqeraExternalId,
                    summary: format!("give role {} the External ID Seqera Platform generated", role.name),
                });
                let c = self.set_external_id(run_id, Some(&role.key), value, &ExternalIdOptions { verify: false }).await?;
                settle = !c.waited && c.outcome != super::trust::TrustOutcome::Unchanged;
                let now = self.clock.now();
                self.update_record(run_id, index, |r| r.external_id_applied_at = Some(now))?;
                self.emit(Event::StepDone {
                    step: StepId::SeqeraExternalId,
                    outcome: serde_json::to_value(&c.outcome).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                    detail: format!("role {} requires External ID {value}", role.name),
                });
                change = Some(c);
            }
        }

        let validation = self.platform_validate(api, &url, &rec, workspace.workspace_id, &credential_id, settle).await?;
        let now = self.clock.now();
        self.update_record(run_id, index, |r| {
            r.validation = Some(validation.clone());
            r.validated_at = Some(now);
        })?;

        // The AWS side verified from here, and the platform's verdict beside it.
        let mut report = self.verify(run_id, None).await?;
        let j = self.store.load(run_id)?;
        let check = validation_check(&j, &j.platform[index], &validation);
        report.checks.retain(|c| c.id != check.id);
        report.push(&self.events, check);
        let status = crate::verdict::verdict(&j.plan, &report);
        let mut j = j;
        j.status = status;
        j.verification = Some(report.clone());
        j.note(self.clock.now(), format!("Seqera Platform's check of credential {}: {}", rec.name, outcome_word(&validation)));
        self.store.save(&j)?;
        Ok(SeqeraConnection {
            run_id: run_id.into(),
            url,
            workspace: workspace.path(),
            credential_id,
            credential_name: rec.name,
            kind,
            reused,
            external_id,
            external_id_change: change,
            validation,
            status,
            verification: report,
        })
    }

    /// The journal's record of the credential in `workspace` with its platform id: the
    /// one an earlier call made (checked to be still there), or a new one made now.
    async fn credential_record(
        &self,
        api: &dyn SeqeraApi,
        j: &Journal,
        workspace: &Workspace,
        kind: PlatformCredentialKind,
        role: Option<&PlannedRole>,
        opts: &SeqeraOptions,
    ) -> Result<(usize, bool), RunError> {
        let url = api.url().to_string();
        let run_id = j.run_id.as_str();
        let here = |r: &PlatformRecord| r.live() && !r.unconfirmed && r.url == url && r.workspace_id == workspace.workspace_id;
        if let Some(other) = j.platform.iter().find(|r| r.live() && !r.unconfirmed && !here(r)) {
            return Err(invalid(
                "workspace",
                "already-connected",
                format!(
                    "run {run_id} already has {}; one run holds one platform credential (its role takes one External ID): roll the run back, or apply a new run for {}",
                    other.describe(),
                    workspace.path()
                ),
            ));
        }
        let default_name = format!("rolegate-{}-{}", j.plan.template_id, run_id);
        let name = opts.credential_name.clone().unwrap_or(default_name);
        if let Some(i) = j.platform.iter().position(here) {
            let rec = &j.platform[i];
            if let Some(id) = &rec.credential_id {
                match api.credential(workspace.workspace_id, id).await {
                    Ok(_) => {
                        self.emit(Event::StepDone {
                            step: StepId::SeqeraCredential,
                            outcome: "adopted".into(),
                            detail: format!("{} was made by this run earlier", rec.describe()),
                        });
                        return Ok((i, true));
                    }
                    Err(e) if e.kind == PlatformErrorKind::NotFound => {
                        let now = self.clock.now();
                        self.update_record(run_id, i, |r| r.deleted_at = Some(now))?;
                        self.emit(Event::Notice {
                            message: format!("{} is gone from Seqera Platform (deleted there); a new one is made", rec.describe()),
                            kind: NoticeKind::Info,
                        });
                    }
                    Err(e) => return Err(refused(&url, e)),
                }
            } else {
                // The create call's answer never arrived: whether it made the credential
                // shows in whether its name is taken now.
                match api.check_name(workspace.workspace_id, &rec.name).await {
                    Ok(()) => {
                        let mut j = self.store.load(run_id)?;
                        j.platform.remove(i);
                        j.note(self.clock.now(), format!("{} was not made (its name is free); trying again", rec.describe()));
                        self.store.save(&j)?;
                    }
                    Err(e) if e.kind == PlatformErrorKind::Conflict => {
                        self.update_record(run_id, i, |r| r.unconfirmed = true)?;
                        if opts.credential_name.as_deref().is_none_or(|n| n == rec.name) {
                            return Err(unconfirmed(&url, rec));
                        }
                    }
                    Err(e) => return Err(refused(&url, e)),
                }
            }
        }
        self.create_credential(api, run_id, workspace, kind, role, &name).await.map(|i| (i, false))
    }

    /// Create the credential, journaled before the call and with its id after.
    async fn create_credential(
        &self,
        api: &dyn SeqeraApi,
        run_id: &str,
        workspace: &Workspace,
        kind: PlatformCredentialKind,
        role: Option<&PlannedRole>,
        name: &str,
    ) -> Result<usize, RunError> {
        let url = api.url().to_string();
        let j = self.store.load(run_id)?;
        let errs = crate::export::credential_name("credential_name", name);
        if !errs.is_empty() {
            return Err(RunError::Invalid(errs));
        }
        let keys = self.credential_keys(&j, kind, role).await?;
        self.emit(Event::StepStarted {
            step: StepId::SeqeraCredential,
            summary: format!("create the {} {name} in {}", kind.describe(), workspace.path()),
        });
        api.check_name(workspace.workspace_id, name).await.map_err(|e| match e.kind {
            PlatformErrorKind::Conflict => invalid(
                "credential_name",
                "name-taken",
                format!(
                    "workspace {} at {url} already has a credential named {name} ({}); choose another with --credential-name",
                    workspace.path(),
                    e.message
                ),
            ),
            PlatformErrorKind::BadRequest => {
                invalid("credential_name", "platform-name-rule", format!("Seqera Platform refuses the name {name}: {}", e.message))
            }
            _ => refused(&url, e),
        })?;
        let record = PlatformRecord {
            platform: "seqera".into(),
            url: url.clone(),
            workspace: workspace.path(),
            workspace_id: workspace.workspace_id,
            name: name.to_string(),
            kind,
            role_key: role.map(|r| r.key.clone()),
            access_key_id: j.access_key_id.clone().filter(|_| kind != PlatformCredentialKind::AwsRole),
            started_at: self.clock.now(),
            credential_id: None,
            external_id: None,
            external_id_applied_at: None,
            validation: None,
            validated_at: None,
            unconfirmed: false,
            deleted_at: None,
        };
        let mut j = j;
        j.platform.push(record.clone());
        let index = j.platform.len() - 1;
        j.note(self.clock.now(), format!("about to create {}", record.describe()));
        self.store.save(&j)?;

        let description = format!("AWS account {} ({}), made by Rolegate run {run_id}", j.plan.account, j.plan.template_id);
        let new = NewCredential { name: name.to_string(), description: Some(description), keys };
        match api.create_credential(workspace.workspace_id, &new).await {
            Ok(id) => {
                let mut j = self.store.load(run_id)?;
                j.platform[index].credential_id = Some(id.clone());
                j.note(self.clock.now(), format!("created {}", j.platform[index].describe()));
                self.store.save(&j)?;
                self.emit(Event::StepDone {
                    step: StepId::SeqeraCredential,
                    outcome: "created".into(),
                    detail: format!("{} {name} ({id}) in {}", kind.describe(), workspace.path()),
                });
                Ok(index)
            }
            Err(e) => {
                // A refusal means nothing was made; no answer leaves the intent, which the
                // next call resolves by the name.
                let made_nothing = e.status.is_some_and(|s| (400..500).contains(&s));
                let mut j = self.store.load(run_id)?;
                if made_nothing {
                    j.platform.remove(index);
                    j.note(self.clock.now(), format!("Seqera Platform refused to create credential {name}: {}", e.message));
                } else {
                    j.note(self.clock.now(), format!("creating credential {name}: no answer from Seqera Platform ({})", e.message));
                }
                self.store.save(&j)?;
                self.emit(Event::StepFailed { step: StepId::SeqeraCredential, message: e.to_string() });
                Err(refused(&url, e))
            }
        }
    }

    /// What the new credential holds: the role, or the run's access key (secret from the
    /// keychain) with the role to assume.
    async fn credential_keys(
        &self,
        j: &Journal,
        kind: PlatformCredentialKind,
        role: Option<&PlannedRole>,
    ) -> Result<CredentialKeys, RunError> {
        if let (PlatformCredentialKind::AwsRole, Some(r)) = (kind, role) {
            return Ok(CredentialKeys::AwsRole { role_arn: r.arn.clone() });
        }
        let id = j
            .access_key_id
            .clone()
            .ok_or_else(|| RunError::NoAccessKey { run_id: j.run_id.clone(), why: "rolled back, or not applied yet".into() })?;
        let secret: SecretString = match self.vault.get(&vault_entry(&id)).await? {
            Some(s) => s,
            None => {
                return Err(RunError::SecretMissing { keychain: self.vault.describe(), access_key_id: id.clone(), entry: vault_entry(&id) })
            }
        };
        Ok(match kind {
            PlatformCredentialKind::ContainerRegistry => CredentialKeys::ContainerRegistry {
                registry: crate::export::Bundle::from_journal(j).ecr_registry(),
                user_name: id,
                password: secret,
            },
            _ => CredentialKeys::AwsKeys {
                access_key_id: id,
                secret_access_key: secret,
                assume_role_arn: role.map(|r| r.arn.clone()),
                generate_external_id: role.is_some(),
            },
        })
    }

    /// Ask the platform to check the credential. After a trust change nobody here could
    /// watch take effect, an INVALID answer is asked again a few times with pauses, as
    /// AWS may still be taking the change in.
    async fn platform_validate(
        &self,
        api: &dyn SeqeraApi,
        url: &str,
        rec: &PlatformRecord,
        workspace_id: i64,
        id: &str,
        settle: bool,
    ) -> Result<PlatformValidation, RunError> {
        self.emit(Event::StepStarted {
            step: StepId::SeqeraValidate,
            summary: format!("ask Seqera Platform to check credential {} against AWS", rec.name),
        });
        let start = self.clock.now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let v = api.validate_credential(workspace_id, id).await.map_err(|e| refused(url, e))?;
            let again = settle && attempt < SETTLE_ATTEMPTS && matches!(v, PlatformValidation::Invalid { .. });
            if !again {
                self.emit(Event::StepDone { step: StepId::SeqeraValidate, outcome: outcome_word(&v).into(), detail: describe(&v) });
                return Ok(v);
            }
            let elapsed: Duration = (self.clock.now() - start).try_into().unwrap_or_default();
            if elapsed >= self.poll.timeout {
                self.emit(Event::StepDone { step: StepId::SeqeraValidate, outcome: outcome_word(&v).into(), detail: describe(&v) });
                return Ok(v);
            }
            self.emit(Event::Waiting {
                step: StepId::SeqeraValidate,
                what: "AWS to take in the new trust policy, as Seqera Platform sees it".into(),
                attempt,
                elapsed_seconds: elapsed.as_secs(),
                limit_seconds: self.poll.timeout.as_secs(),
                last_code: "INVALID".into(),
            });
            // Seqera's check is a real AssumeRole: a few seconds apart, not IAM's fast polls.
            let pause = (self.poll.interval * 2).min(self.poll.timeout - elapsed);
            self.clock.sleep(pause).await;
        }
    }

    /// Change record `index` of run `run_id` and journal it.
    fn update_record(&self, run_id: &str, index: usize, f: impl FnOnce(&mut PlatformRecord)) -> Result<(), RunError> {
        let mut j = self.store.load(run_id)?;
        f(&mut j.platform[index]);
        j.updated_at = self.clock.now();
        self.store.save(&j)?;
        Ok(())
    }
}

/// The credential as Seqera describes it must be the one this run made.
fn check_described(url: &str, rec: &PlatformRecord, got: &PlatformCredential) -> Result<(), RunError> {
    let provider = if rec.kind == PlatformCredentialKind::ContainerRegistry { "container-reg" } else { "aws" };
    if got.name != rec.name || got.provider != provider {
        return Err(refused(
            url,
            PlatformError::new(
                PlatformErrorKind::Decode,
                "GET /credentials/{id}",
                None,
                format!(
                    "credential {} is {} of provider {}, not the {} {} this run made",
                    got.id,
                    got.name,
                    got.provider,
                    rec.kind.describe(),
                    rec.name
                ),
            ),
        ));
    }
    Ok(())
}

fn unconfirmed(url: &str, rec: &PlatformRecord) -> RunError {
    invalid(
        "credential_name",
        "unconfirmed",
        format!(
            "an earlier attempt to create credential {} in {} at {url} stopped before Seqera Platform answered, and a credential of that name exists now: it may be that attempt's or someone else's, so Rolegate neither uses nor deletes it; delete it in Seqera Platform (Credentials) and run this again, or choose another name with --credential-name",
            rec.name, rec.workspace
        ),
    )
}

fn outcome_word(v: &PlatformValidation) -> &'static str {
    match v {
        PlatformValidation::Available => "available",
        PlatformValidation::Invalid { .. } => "invalid",
        PlatformValidation::Transient { .. } => "no-verdict",
    }
}

fn describe(v: &PlatformValidation) -> String {
    match v {
        PlatformValidation::Available => "Seqera Platform reached AWS with the credential (AVAILABLE)".into(),
        PlatformValidation::Invalid { message } => format!("Seqera Platform found the credential INVALID: {message}"),
        PlatformValidation::Transient { message } => format!("Seqera Platform could not reach AWS ({message})"),
    }
}

/// The platform API roll-back deletes a run's platform credentials through.
#[derive(Clone)]
pub struct PlatformApi(pub std::sync::Arc<dyn SeqeraApi>);

impl std::fmt::Debug for PlatformApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PlatformApi").field(&self.0.url()).finish()
    }
}

impl Engine {
    /// Delete the platform credentials the journal records as this run's, each reported;
    /// one that cannot be deleted (not signed in there, refused, or never confirmed as
    /// this run's) is kept with the reason.
    pub(super) async fn rollback_platform(
        &self,
        journal: &mut Journal,
        api: Option<&PlatformApi>,
        report: &mut super::RollbackReport,
    ) -> Result<(), RunError> {
        for i in 0..journal.platform.len() {
            let rec = journal.platform[i].clone();
            if !rec.live() {
                continue;
            }
            let desc = rec.describe();
            let kept = |reason: String, report: &mut super::RollbackReport| {
                self.emit(Event::Kept { resource: desc.clone(), reason: reason.clone() });
                report.kept.push((desc.clone(), reason));
            };
            let Some(id) = rec.credential_id.as_deref() else {
                kept(
                    format!("not deleted: Seqera Platform's answer to creating it never arrived, so it is not known to be this run's; look for {} in {} and delete it there if it is", rec.name, rec.workspace),
                    report,
                );
                continue;
            };
            let api = match api {
                Some(a) if a.0.url() == rec.url => a,
                _ => {
                    kept(
                        format!("not deleted: not signed in to Seqera Platform at {}; sign in there (rolegate seqera login --url {} --token-stdin) and roll back again", rec.url, rec.url),
                        report,
                    );
                    continue;
                }
            };
            let detail = match api.0.delete_credential(rec.workspace_id, id).await {
                Ok(()) => "deleted on Seqera Platform".to_string(),
                Err(e) if e.kind == PlatformErrorKind::NotFound => "it was already gone from Seqera Platform".to_string(),
                Err(e) => {
                    kept(format!("Seqera Platform refused to delete it: {e}"), report);
                    continue;
                }
            };
            let now = self.clock.now();
            journal.platform[i].deleted_at = Some(now);
            journal.note(now, format!("deleted {desc}"));
            self.store.save(journal)?;
            self.emit(Event::Deleted { resource: desc.clone(), detail, kind: crate::events::DeletionKind::RolledBack });
            report.deleted.push(desc);
        }
        Ok(())
    }
}
