//! `Engine::connect_seqera`: hand an applied run to Seqera Platform through its API and
//! let Seqera itself confirm it. In the workspace the person names, the credential the
//! template calls for is created (AWS role mode, keys mode with or without the role, or
//! a container-registry login for ECR), its id journaled the moment Seqera answers; the
//! External ID Seqera generated is read back and put in the role's trust policy
//! (`set_external_id`); then Seqera is asked to check the credential against AWS, and
//! its answer joins the run's verification as the check `platform-validate`. Calling it
//! again after a stop continues with what the journal records; roll-back deletes the
//! credentials recorded here (`rollback_platform`).

mod credential;
mod rollback;

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

use credential::{check_described, kind_of, role_for};
pub use credential::{connector_of, default_credential_name, find_workspace, parse_workspace, require_connector};
pub use rollback::PlatformApi;

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

/// The platform's verdict as a verification check, with the fix when it failed.
fn validation_check(j: &Journal, rec: &PlatformRecord, v: &PlatformValidation) -> Check {
    let id = match rec.role_key.as_deref() {
        Some(k) => crate::verdict::role_check_id(&j.plan, k, crate::verdict::PLATFORM_VALIDATE),
        None => crate::verdict::PLATFORM_VALIDATE.to_string(),
    };
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
        let credential = connector_of(&j).ok_or_else(|| {
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
        check_described(&url, &rec, &described, role.as_ref())?;
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
    pub(super) fn update_record(&self, run_id: &str, index: usize, f: impl FnOnce(&mut PlatformRecord)) -> Result<(), RunError> {
        let mut j = self.store.load(run_id)?;
        f(&mut j.platform[index]);
        j.updated_at = self.clock.now();
        self.store.save(&j)?;
        Ok(())
    }
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
