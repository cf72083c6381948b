//! The types the commands exchange with the page (IPC requests and answers); their
//! TypeScript twins are generated into ui/src/bindings (the `ts` feature).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use rolegate_core::checks::VerifyReport;
use rolegate_core::export::profile::ProfileInfo;
use rolegate_core::export::{Bundle, Format};
use rolegate_core::journal::{Journal, RunStatus, RunSummary};
use rolegate_core::plan::Plan;
use rolegate_core::platform::Workspace;
use rolegate_core::platform_session::SignedIn;
use rolegate_core::ports::CallerIdentity;
/// Which AWS identity does the onboarding.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum IdentityChoice {
    /// A profile from the AWS config (SSO, credential_process, keys, assume-role).
    Profile { profile: String, region: Option<String> },
    /// The environment's default chain (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, ...).
    Environment { region: Option<String> },
    /// Keys pasted into the app; with `save`, the secret goes to the keychain.
    Keys {
        access_key_id: String,
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        secret: SecretString,
        region: Option<String>,
        save: bool,
    },
    /// The local emulator: a made-up account, nothing reaches AWS.
    Sandbox,
}

/// What the identity screen offers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IdentitySources {
    pub profiles: Vec<ProfileInfo>,
    /// What the environment holds (`AWS_PROFILE=x`, or the access key id), no secret.
    pub environment: Option<String>,
    pub sandbox_available: bool,
    pub sandbox_detail: String,
    pub current: Option<SessionInfo>,
}

/// The identity in use.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionInfo {
    pub who: CallerIdentity,
    /// How it was chosen, in words: `profile ops`, `environment`, `pasted key AKIA…`, `Sandbox`.
    pub label: String,
    /// Where its credentials came from, as the core words it ("profile ops, keys from the
    /// credentials file"; "environment variables AWS_ACCESS_KEY_ID (AKIA…) and …").
    pub source: String,
    pub sandbox: bool,
    pub region: String,
    /// Where this identity's runs are journaled (the Sandbox keeps its own).
    pub home: String,
    /// A note for the person (a stored secret, a sandbox start).
    pub notice: Option<String>,
}

/// Verify's answer: the checks, and the status they earned the run.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VerifyOutcome {
    pub status: RunStatus,
    pub verification: VerifyReport,
    /// While the run awaits the platform's check: each role not yet proven, with the
    /// principals it trusts.
    pub awaiting: Vec<AwaitingRole>,
}

/// A role no check has proven yet (only the platform it trusts can assume it).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AwaitingRole {
    pub arn: String,
    pub principals: Vec<String>,
}

impl VerifyOutcome {
    pub fn new(j: &Journal, verification: VerifyReport) -> VerifyOutcome {
        let awaiting = if j.status == RunStatus::AwaitingPlatform {
            rolegate_core::verdict::unproven_roles(&j.plan, &verification)
                .into_iter()
                .map(|r| AwaitingRole { arn: r.arn.clone(), principals: r.principals.clone() })
                .collect()
        } else {
            Vec::new()
        };
        VerifyOutcome { status: j.status, verification, awaiting }
    }
}

/// A run as History and the result screens show it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RunDetail {
    pub summary: RunSummary,
    pub template_name: String,
    /// The name exports use unless the person picks another.
    pub default_name: String,
    /// The name the run's Seqera Platform credential takes unless the person picks
    /// another; `None` when Seqera has no credential for the run's template.
    pub seqera_credential_name: Option<String>,
    pub caller_arn: String,
    /// What the run made that still exists (what a roll-back deletes), in deletion order.
    pub live: Vec<String>,
    pub access_key_id: Option<String>,
    pub user: Option<String>,
    /// Each role: ARN and External ID.
    pub roles: Vec<(String, String)>,
    pub profiles: Vec<String>,
    pub formats: Vec<Format>,
    pub verification: Option<VerifyReport>,
    pub last_error: Option<String>,
    /// What happened, oldest first.
    pub history: Vec<String>,
    /// A rotation that stopped part-way, with the stage it reached.
    pub rotation: Option<String>,
    /// The plan the run follows (its steps, for a resumed run's progress).
    pub plan: Plan,
}

/// The Seqera Platform user signed in (asked again) and their workspaces.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SeqeraWorkspaces {
    pub session: SignedIn,
    pub workspaces: Vec<Workspace>,
}

/// Writing a run's AWS profile.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProfileRequest {
    pub name: String,
    /// Plain keys in the credentials file (0600) instead of credential_process.
    pub plain_keys: bool,
    /// Replace a profile of the same name (a backup is written first).
    pub force: bool,
}

impl RunDetail {
    pub fn from_journal(j: &Journal) -> RunDetail {
        RunDetail {
            summary: RunSummary::from(j),
            template_name: j.plan.template_name.clone(),
            default_name: Bundle::from_journal(j).default_name(),
            seqera_credential_name: rolegate_core::engine::seqera::connector_of(j)
                .map(|_| rolegate_core::engine::seqera::default_credential_name(j)),
            caller_arn: j.plan.caller_arn.clone(),
            live: j.deletion_order().into_iter().map(|i| j.resources[i].resource.describe()).collect(),
            access_key_id: j.access_key_id.clone(),
            user: j.plan.user.as_ref().map(|u| u.name.clone()),
            roles: j.plan.roles.iter().map(|r| (r.arn.clone(), r.external_id.clone())).collect(),
            profiles: j.exports.iter().map(|e| e.profile.clone()).collect(),
            formats: Format::offered_for(j),
            verification: j.verification.clone(),
            last_error: j.last_error.clone(),
            history: j.history.iter().map(|h| format!("{} {}", h.at.date(), h.message)).collect(),
            plan: j.plan.clone(),
            rotation: j.rotation.as_ref().map(|r| {
                format!("stopped at stage {:?}: old key {}, new key {}", r.stage, r.old_key.as_deref().unwrap_or("none"), r.new_key)
            }),
        }
    }
}
