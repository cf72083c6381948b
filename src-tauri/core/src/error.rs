//! The errors a run can end with, each with a stable code (for `--json` and the app's
//! `{code, message}`), a process exit code (docs/CLI.md), and advice per front end: the
//! message says what happened, the hint says what to do next in the words of the CLI
//! (`rolegate apply --resume ...`) or of the window (Resume in History), never both.

use std::path::PathBuf;

use serde::Serialize;

use crate::journal::{RunStatus, StoreError};
use crate::plan::StepId;
use crate::platform::PlatformError;
use crate::policy::Lint;
use crate::ports::{AccessKeyMeta, AwsError, VaultError};
use crate::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid input:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<FieldError>),
    #[error("the plan has lint errors:\n{}", .0.iter().filter(|l| l.severity == crate::policy::Severity::Error).map(|l| format!("  - {}: {}", l.field, l.message)).collect::<Vec<_>>().join("\n"))]
    Blocked(Vec<Lint>),
    /// The plan names a way to administrator access that the person has not said they
    /// read (`Lint.acknowledge`); nothing was made.
    #[error("the plan grants a way to administrator access, which you must acknowledge before anything is made:\n{}", .0.iter().map(|l| format!("  - {}: {}", l.field, l.message)).collect::<Vec<_>>().join("\n"))]
    Unacknowledged(Vec<Lint>),
    #[error("{kind} {name} already exists and was not made by this run ({owner}); nothing was changed. Choose another name, for example {suggestion}")]
    NameTaken { kind: String, name: String, owner: String, suggestion: String },
    #[error("user {user} already has {} access keys, the most IAM allows; Rolegate deletes none on its own. Keys: {}", .keys.len(), .keys.iter().map(|k| format!("{} ({:?})", k.id, k.status)).collect::<Vec<_>>().join(", "))]
    KeyLimit { user: String, keys: Vec<AccessKeyMeta> },
    /// A resource the run's journal records is no longer provably this run's (re-tagged,
    /// deleted, or made again by someone else), so it is left as it is.
    #[error("{kind} {name} is not run {run_id}'s any more ({owner}); nothing was changed")]
    NotOwned { kind: String, name: String, run_id: String, owner: String },
    #[error("{}", aws_message(.step, .error, .run_id, .created))]
    Aws { step: Option<StepId>, error: AwsError, run_id: Option<String>, created: Vec<String> },
    #[error("AWS did not accept the change within {waited_seconds} s (step {step}); last answer: {last}. Nothing was deleted.")]
    Propagation { step: StepId, waited_seconds: u64, last: AwsError, run_id: String },
    #[error("keychain: {0}")]
    Vault(#[from] VaultError),
    #[error("journal: {0}")]
    Store(#[from] StoreError),
    /// A local file or folder (an AWS config file, a rotation record, this program's
    /// path) could not be read or written.
    #[error("could not {action}{}: {message}", if .path.as_os_str().is_empty() { String::new() } else { format!(" {}", .path.display()) })]
    Local { action: String, path: PathBuf, message: String },
    /// The keychain holds no secret for a key that should have one.
    #[error("{keychain} holds no secret for access key {access_key_id} (entry {entry}); it was deleted or stored elsewhere")]
    SecretMissing { keychain: String, access_key_id: String, entry: String },
    /// The keychain refused the secret of a key just made.
    #[error("could not store the secret access key in {keychain}: {source}; {cleanup}")]
    SecretNotStored { keychain: String, source: VaultError, cleanup: String },
    /// A key rotation stopped at a stage; the error that stopped it keeps its own class.
    #[error("key rotation stopped while {stage}: {source}. {still_working}")]
    RotationStopped { stage: String, source: Box<RunError>, still_working: String, again: String },
    /// The run's status does not allow what was asked (`needs` says what would).
    #[error("run {run_id} is {}; {needs}", .status.as_str())]
    WrongStatus { run_id: String, status: RunStatus, needs: String },
    /// The identity in use is in another account than the run's.
    #[error("run {run_id} was made in account {run_account}, but the current identity ({identity_arn}) is in account {identity_account}")]
    WrongAccount { run_id: String, run_account: String, identity_arn: String, identity_account: String },
    /// The run has no access key to use (it made no user, is not applied yet, or was rolled back).
    #[error("run {run_id} has no access key ({why})")]
    NoAccessKey { run_id: String, why: String },
    /// The journal's plan cannot be run as written (edited by hand, or damaged).
    #[error("the journal's plan of run {run_id} cannot be run: {detail}")]
    PlanInconsistent { run_id: String, detail: String },
    /// AWS accepted a call, then showed something other than what it promises.
    #[error("{operation}: AWS answered, but {detail}")]
    AwsDisagrees { operation: String, detail: String },
    /// The keychain entry is the live key of runs: deleting it needs force.
    #[error("access key {access_key_id} is the live key of run(s) {}; without its secret their profiles stop working", .runs.join(", "))]
    SecretInUse { access_key_id: String, runs: Vec<String> },
    /// The run stopped at the person's request, once every running step had finished
    /// and been journaled; `created` is what this run made that exists then.
    #[error("{}", cancelled_message(.run_id, .created))]
    Cancelled { run_id: String, created: Vec<String> },
    /// The receiving platform refused the access token (401): expired, revoked or mistyped.
    #[error("Seqera Platform at {url} refused the access token ({operation} answered 401): it is expired, revoked or mistyped")]
    PlatformTokenRefused { url: String, operation: String },
    /// Any other failure talking to the receiving platform (`platform_session` says
    /// what each kind means).
    #[error("{}", crate::platform_session::message(.url, .error))]
    Platform { url: String, error: PlatformError },
    /// The identity's account cannot read the organization for fleet onboarding: it is in
    /// no organization (`management_account` None), or it is a member account that is
    /// neither the management account nor a delegated administrator.
    #[error("{}", not_org_admin_message(.account, .management_account, .error))]
    NotOrganizationAdmin { account: String, management_account: Option<String>, error: AwsError },
    /// No platform token is kept (never signed in, signed out, or the keychain lost it).
    #[error("not signed in to Seqera Platform{}", .url.as_ref().map(|u| format!(" (the keychain holds no token for {u})")).unwrap_or_default())]
    PlatformNotSignedIn { url: Option<String> },
    /// A fleet command stopped (`fleet::FleetError` says what exists and what next).
    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),
}

/// Which front end shows an error: advice names its own controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frontend {
    Cli,
    App,
}

fn aws_message(step: &Option<StepId>, e: &AwsError, run_id: &Option<String>, created: &[String]) -> String {
    let mut s = match e.kind {
        crate::ports::AwsErrorKind::NoCredentials => format!("no AWS identity was found for {}. Details: {}", e.operation, e.message),
        crate::ports::AwsErrorKind::AccessDenied => {
            let mut m = format!("AWS denied {}: the identity doing the onboarding lacks the permission {}", e.operation, e.denied_action());
            if let Some(r) = e.denied_resource() {
                m.push_str(&format!(" on {r}"));
            }
            m.push_str(&format!(" ({})", e.message));
            m
        }
        _ => format!("AWS error in {}: {}: {}", e.operation, e.code, e.message),
    };
    if let Some(step) = step {
        s.push_str(&format!("\nstep: {step}"));
    }
    if run_id.is_some() {
        push_created(&mut s, created);
    }
    s
}

fn not_org_admin_message(account: &str, management: &Option<String>, e: &AwsError) -> String {
    match management {
        None => format!(
            "account {account} is not in an AWS Organization ({}: {}); fleet onboarding reads the organization from its management account or from a delegated administrator for CloudFormation StackSets",
            e.operation, e.code
        ),
        Some(m) => format!(
            "account {account} may not read the organization's accounts and OUs ({} answered {}: {}); only the management account {m} or a delegated administrator for CloudFormation StackSets ({}) can",
            e.operation,
            e.code,
            e.message,
            crate::fleet::STACKSETS_SERVICE_PRINCIPAL
        ),
    }
}

/// What to do after a run stopped with resources in AWS, in each front end's words.
fn resume_or_roll_back(run_id: &str, front: Frontend, cause: &str) -> String {
    match front {
        Frontend::Cli => format!("{cause}run `rolegate apply --resume {run_id}`, or undo with `rolegate rollback {run_id}`"),
        Frontend::App => format!("{cause}press Resume, or Roll back to undo (History lists run {run_id} too)"),
    }
}

fn cancelled_message(run_id: &str, created: &[String]) -> String {
    let mut s = format!(
        "run {run_id} stopped at your request: no new step was started, and the steps that were running finished and were recorded."
    );
    push_created(&mut s, created);
    s
}

/// The lines that say what a stopped run made that exists.
fn push_created(s: &mut String, created: &[String]) {
    if created.is_empty() {
        s.push_str("\nNothing had been created in AWS by this run.");
    } else {
        s.push_str("\nAlready created by this run:");
        for c in created {
            s.push_str(&format!("\n  - {c}"));
        }
    }
}

/// The JSON shape of an error for scripts (`--json`) and the app's commands: one type,
/// so the two cannot drift apart. Empty parts are left out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorReport {
    pub code: &'static str,
    pub message: String,
    /// What to do next, in the words of the front end that shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<FieldError>>", optional))]
    pub fields: Vec<FieldError>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<Lint>>", optional))]
    pub lints: Vec<Lint>,
    /// For a run that stopped (failed or cancelled): what it made that exists, known
    /// once every running step had ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub created: Option<Vec<String>>,
}

impl RunError {
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Invalid(_) => "invalid-input",
            RunError::Blocked(_) => "plan-blocked",
            RunError::Unacknowledged(_) => "acknowledgement-required",
            RunError::NameTaken { .. } => "name-taken",
            RunError::KeyLimit { .. } => "access-key-limit",
            RunError::NotOwned { .. } => "not-owned",
            RunError::Aws { error, .. } if error.kind == crate::ports::AwsErrorKind::AccessDenied => "aws-access-denied",
            RunError::Aws { error, .. } if error.kind == crate::ports::AwsErrorKind::NoCredentials => "no-credentials",
            RunError::Aws { .. } => "aws-error",
            RunError::Propagation { .. } => "propagation-timeout",
            RunError::Vault(_) => "keychain",
            RunError::Store(StoreError::NotFound(_)) => "run-not-found",
            RunError::Store(_) => "journal",
            RunError::Local { .. } => "local",
            RunError::SecretMissing { .. } => "secret-missing",
            RunError::SecretNotStored { .. } => "keychain",
            RunError::RotationStopped { source, .. } => source.code(),
            RunError::WrongStatus { .. } => "wrong-status",
            RunError::WrongAccount { .. } => "wrong-account",
            RunError::NoAccessKey { .. } => "no-access-key",
            RunError::PlanInconsistent { .. } => "plan-inconsistent",
            RunError::AwsDisagrees { .. } => "aws-disagrees",
            RunError::SecretInUse { .. } => "secret-in-use",
            RunError::Cancelled { .. } => "cancelled",
            RunError::PlatformTokenRefused { .. } => "platform-token-refused",
            RunError::Platform { error, .. } => crate::platform_session::code(error),
            RunError::PlatformNotSignedIn { .. } => "platform-not-signed-in",
            RunError::NotOrganizationAdmin { management_account: None, .. } => "not-in-organization",
            RunError::NotOrganizationAdmin { .. } => "not-organization-admin",
            RunError::Fleet(e) => e.code(),
        }
    }

    /// Exit codes: 2 bad input, 4 AWS or platform error, 5 conflict in AWS, 6 local storage,
    /// 130 cancelled. (3 is a failed verification, decided by the caller.)
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Invalid(_)
            | RunError::Blocked(_)
            | RunError::Unacknowledged(_)
            | RunError::Store(StoreError::NotFound(_) | StoreError::BadId(_))
            | RunError::WrongStatus { .. }
            | RunError::WrongAccount { .. }
            | RunError::NoAccessKey { .. }
            | RunError::SecretInUse { .. }
            | RunError::PlatformNotSignedIn { .. }
            | RunError::NotOrganizationAdmin { .. } => 2,
            RunError::Aws { .. } | RunError::Propagation { .. } | RunError::AwsDisagrees { .. } | RunError::PlatformTokenRefused { .. } => {
                4
            }
            RunError::Platform { error, .. } => crate::platform_session::exit_code(error),
            RunError::NameTaken { .. } | RunError::KeyLimit { .. } | RunError::NotOwned { .. } => 5,
            RunError::Vault(_)
            | RunError::Store(_)
            | RunError::Local { .. }
            | RunError::SecretMissing { .. }
            | RunError::SecretNotStored { .. }
            | RunError::PlanInconsistent { .. } => 6,
            RunError::RotationStopped { source, .. } => source.exit_code(),
            RunError::Cancelled { .. } => 130,
            RunError::Fleet(e) => e.exit_code(),
        }
    }

    /// What to do next, in the words of `front` (flags for the CLI, buttons for the app).
    pub fn hint(&self, front: Frontend) -> Option<String> {
        let cli = front == Frontend::Cli;
        match self {
            RunError::Unacknowledged(_) => Some(if cli {
                "read the warnings; if the platform needs this, run again with --acknowledge-admin-access".into()
            } else {
                "read the warnings on Review and tick that you have read them".into()
            }),
            RunError::KeyLimit { .. } => Some(if cli {
                "delete one key yourself, or rerun with --replace-key KEY_ID naming the key to delete".into()
            } else {
                "delete one of these keys yourself (in the AWS console), then press Resume".into()
            }),
            RunError::Propagation { run_id, step: StepId::ExternalIdWaitRole { key }, .. } => Some(if cli {
                format!("the new trust policy is in place; to keep waiting for AWS to accept it, run the same `rolegate set-external-id {run_id} {key}=…` again: it waits, then verifies")
            } else {
                "the new trust policy is in place; apply the same External ID again to keep waiting for AWS to accept it, then the run is verified".into()
            }),
            RunError::Propagation { run_id, .. } => Some(resume_or_roll_back(run_id, front, "to keep waiting, ")),
            RunError::NotOwned { run_id, .. } => {
                Some(if cli {
                    format!("see what run {run_id} still holds with `rolegate runs {run_id}`; apply a new run for a role Rolegate should manage")
                } else {
                    "History shows what the run still holds; start a new run for a role Rolegate should manage".into()
                })
            }
            RunError::Cancelled { run_id, .. } => Some(resume_or_roll_back(run_id, front, "to continue, ")),
            RunError::Aws { error, run_id, created, .. } => {
                if error.kind == crate::ports::AwsErrorKind::NoCredentials {
                    return Some(if cli {
                        "sign in first (`aws configure`, `aws sso login --profile NAME`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), pass --profile NAME, or try the local Sandbox with scripts/run.sh".into()
                    } else {
                        "sign in first in a terminal (`aws configure`, or `aws sso login` for an SSO profile), choose another identity, or try the Sandbox".into()
                    });
                }
                match run_id {
                    Some(id) if !created.is_empty() => Some(resume_or_roll_back(id, front, "fix the cause, then ")),
                    _ => None,
                }
            }
            RunError::RotationStopped { again, .. } => Some(if cli {
                format!("run `rolegate rotate-key {again}` again to continue from here")
            } else {
                "press Rotate key again to continue from here".into()
            }),
            RunError::WrongStatus { run_id, status, .. } => match status {
                RunStatus::RollingBack | RunStatus::RolledBack | RunStatus::RollbackIncomplete => None,
                RunStatus::Planned | RunStatus::Applying | RunStatus::Failed | RunStatus::Cancelled => Some(if cli {
                    format!("finish it first with `rolegate apply --resume {run_id}`")
                } else {
                    "finish it first: press Resume (History lists it)".into()
                }),
                _ => None,
            },
            RunError::WrongAccount { run_account, .. } => Some(if cli {
                format!("use an identity of account {run_account}, e.g. --profile NAME of a profile in that account")
            } else {
                format!("choose an identity of account {run_account} on the Identity screen")
            }),
            RunError::SecretInUse { runs, .. } => {
                Some(if cli {
                    let run = runs.first().map(String::as_str).unwrap_or("RUN_ID");
                    format!("roll the run back (`rolegate rollback {run}`) or rotate its key (`rolegate rotate-key {run}`) first, or pass --force")
                } else {
                    "roll the run back or rotate its key first".into()
                })
            }
            RunError::PlatformTokenRefused { .. } | RunError::Platform { .. } | RunError::PlatformNotSignedIn { .. } => {
                crate::platform_session::hint(self, front)
            }
            RunError::NotOrganizationAdmin { account, management_account, .. } => Some(match (management_account, cli) {
                (None, true) => "use an identity of an organization's management account (--profile NAME); `aws organizations describe-organization` says whether an account is in one".into(),
                (None, false) => "choose an identity of an organization's management account on the Identity screen".into(),
                (Some(m), true) => format!(
                    "use an identity of the management account {m} (--profile NAME), or have it register {account} as a delegated administrator: `aws organizations register-delegated-administrator --account-id {account} --service-principal {}`",
                    crate::fleet::STACKSETS_SERVICE_PRINCIPAL
                ),
                (Some(m), false) => format!(
                    "choose an identity of the management account {m} on the Identity screen, or have it register account {account} as a delegated administrator for CloudFormation StackSets"
                ),
            }),
            RunError::SecretMissing { access_key_id, .. } => Some(if cli {
                format!("store it again with `rolegate test-connection --access-key-id {access_key_id} --secret-stdin --save`, or rotate the key")
            } else {
                "store it again from Test connection, or rotate the key".into()
            }),
            RunError::Fleet(e) => e.hint(front),
            _ => None,
        }
    }

    /// The JSON shape for the CLI; the app uses [`RunError::report_for`] with its own hints.
    pub fn report(&self) -> ErrorReport {
        self.report_for(Frontend::Cli)
    }

    pub fn report_for(&self, front: Frontend) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
            hint: self.hint(front),
            fields: match self {
                RunError::Invalid(f) => f.clone(),
                _ => Vec::new(),
            },
            lints: match self {
                RunError::Blocked(l) | RunError::Unacknowledged(l) => l.clone(),
                _ => Vec::new(),
            },
            created: match self {
                RunError::Aws { run_id: Some(_), created, .. } | RunError::Cancelled { created, .. } => Some(created.clone()),
                _ => None,
            },
        }
    }
}

impl From<AwsError> for RunError {
    fn from(error: AwsError) -> Self {
        RunError::Aws { step: None, error, run_id: None, created: Vec::new() }
    }
}

impl From<Vec<FieldError>> for RunError {
    fn from(v: Vec<FieldError>) -> Self {
        RunError::Invalid(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{AwsErrorKind, KeyStatus};

    fn every_kind() -> Vec<RunError> {
        let aws = |kind| AwsError::new(kind, "iam:CreateRole", "AccessDenied", "no");
        vec![
            RunError::Unacknowledged(vec![Lint {
                severity: crate::policy::Severity::Warning,
                field: "policy.main".into(),
                rule: "escalation".into(),
                message: "iam:AttachRolePolicy on any role".into(),
                acknowledge: true,
            }]),
            RunError::KeyLimit {
                user: "u".into(),
                keys: vec![AccessKeyMeta { id: "AKIA1".into(), status: KeyStatus::Active, created: None }],
            },
            RunError::Aws {
                step: Some(StepId::role("main")),
                error: aws(AwsErrorKind::Other),
                run_id: Some("rg-1".into()),
                created: vec!["user u".into()],
            },
            RunError::Aws { step: None, error: aws(AwsErrorKind::NoCredentials), run_id: None, created: vec![] },
            RunError::Propagation {
                step: StepId::wait_role("main"),
                waited_seconds: 120,
                last: aws(AwsErrorKind::AccessDenied),
                run_id: "rg-1".into(),
            },
            RunError::Cancelled { run_id: "rg-1".into(), created: vec!["IAM user u".into()] },
            RunError::SecretMissing { keychain: "the keychain".into(), access_key_id: "AKIA1".into(), entry: "e".into() },
            RunError::WrongStatus { run_id: "rg-1".into(), status: RunStatus::Failed, needs: "only an applied run can be verified".into() },
            RunError::WrongAccount {
                run_id: "rg-1".into(),
                run_account: "111111111111".into(),
                identity_arn: "arn:aws:iam::222222222222:user/a".into(),
                identity_account: "222222222222".into(),
            },
            RunError::SecretInUse { access_key_id: "AKIA1".into(), runs: vec!["rg-1".into()] },
            RunError::NotOwned {
                kind: "IAM role".into(),
                name: "r".into(),
                run_id: "rg-1".into(),
                owner: "it was made by Rolegate run rg-2".into(),
            },
            RunError::PlatformTokenRefused { url: "https://api.cloud.seqera.io".into(), operation: "GET /user-info".into() },
            RunError::PlatformNotSignedIn { url: Some("https://api.cloud.seqera.io".into()) },
            RunError::NotOrganizationAdmin {
                account: "222222222222".into(),
                management_account: Some("111111111111".into()),
                error: AwsError::new(
                    AwsErrorKind::AccessDenied,
                    "organizations:ListRoots",
                    "AccessDeniedException",
                    "You don't have permissions to access this resource.",
                ),
            },
            RunError::NotOrganizationAdmin {
                account: "222222222222".into(),
                management_account: None,
                error: AwsError::new(
                    AwsErrorKind::Other,
                    "organizations:DescribeOrganization",
                    "AWSOrganizationsNotInUseException",
                    "Your account is not a member of an organization.",
                ),
            },
            RunError::RotationStopped {
                stage: "creating the new key".into(),
                source: Box::new(aws(AwsErrorKind::AccessDenied).into()),
                still_working: "The old key is unchanged.".into(),
                again: "rg-1".into(),
            },
        ]
    }

    /// The window never tells a person to type a flag; the terminal gets the command.
    #[test]
    fn advice_is_in_the_words_of_the_front_end_that_shows_it() {
        for e in every_kind() {
            let message = e.to_string();
            assert!(!message.contains("--") && !message.contains("`rolegate"), "the message itself holds no CLI advice: {message}");
            let app = e.hint(Frontend::App).unwrap_or_else(|| panic!("{} has advice for the app", e.code()));
            assert!(!app.contains("--") && !app.contains("rolegate "), "app hint with a CLI flag: {app}");
            let cli = e.hint(Frontend::Cli).unwrap();
            assert_ne!(app, cli);
            assert_eq!(e.report_for(Frontend::App).hint.as_deref(), Some(app.as_str()));
        }
    }

    #[test]
    fn each_kind_of_refusal_has_its_own_code_and_exit_class() {
        let cases = [
            (RunError::WrongStatus { run_id: "r".into(), status: RunStatus::RolledBack, needs: "n".into() }, "wrong-status", 2),
            (
                RunError::WrongAccount {
                    run_id: "r".into(),
                    run_account: "1".into(),
                    identity_arn: "a".into(),
                    identity_account: "2".into(),
                },
                "wrong-account",
                2,
            ),
            (RunError::NoAccessKey { run_id: "r".into(), why: "w".into() }, "no-access-key", 2),
            (RunError::SecretInUse { access_key_id: "k".into(), runs: vec!["r".into()] }, "secret-in-use", 2),
            (RunError::AwsDisagrees { operation: "iam:UpdateAccessKey".into(), detail: "d".into() }, "aws-disagrees", 4),
            (RunError::PlanInconsistent { run_id: "r".into(), detail: "d".into() }, "plan-inconsistent", 6),
        ];
        for (e, code, exit) in cases {
            assert_eq!((e.code(), e.exit_code()), (code, exit), "{e}");
        }
        // A rolled-back run has nothing to resume: no advice to press Resume.
        let gone = RunError::WrongStatus { run_id: "r".into(), status: RunStatus::RolledBack, needs: "n".into() };
        assert_eq!(gone.hint(Frontend::Cli), None);
    }

    #[test]
    fn a_rotation_stopped_by_aws_keeps_the_aws_class() {
        let e = every_kind().pop().unwrap();
        assert_eq!((e.code(), e.exit_code()), ("aws-access-denied", 4));
        let local = RunError::Local { action: "read".into(), path: "/x/config".into(), message: "denied".into() };
        assert_eq!((local.code(), local.exit_code()), ("local", 6));
        assert_eq!(local.to_string(), "could not read /x/config: denied");
    }
}
