//! The errors a run can end with, each with a stable code (for `--json` and the app's
//! `{code, message}`) and a process exit code (docs/CLI.md).

use serde::Serialize;

use crate::journal::StoreError;
use crate::policy::Lint;
use crate::ports::{AccessKeyMeta, AwsError, VaultError};
use crate::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid input:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<FieldError>),
    #[error("the plan has lint errors:\n{}", .0.iter().filter(|l| l.severity == crate::policy::Severity::Error).map(|l| format!("  - {}: {}", l.field, l.message)).collect::<Vec<_>>().join("\n"))]
    Blocked(Vec<Lint>),
    #[error("{kind} {name} already exists and was not made by this run ({owner}); nothing was changed. Choose another name, for example {suggestion}")]
    NameTaken { kind: String, name: String, owner: String, suggestion: String },
    #[error("user {user} already has {} access keys, the most IAM allows; Rolegate deletes none on its own. Delete one yourself, or rerun with --replace-key KEY_ID naming the key to delete. Keys: {}", .keys.len(), .keys.iter().map(|k| format!("{} ({:?})", k.id, k.status)).collect::<Vec<_>>().join(", "))]
    KeyLimit { user: String, keys: Vec<AccessKeyMeta> },
    #[error("{}", aws_message(.step, .error, .run_id, .created))]
    Aws { step: Option<String>, error: AwsError, run_id: Option<String>, created: Vec<String> },
    #[error("AWS did not accept the change within {waited_seconds} s (step {step}); last answer: {last}. Nothing was deleted: run `rolegate apply --resume {run_id}` to keep waiting, or `rolegate rollback {run_id}`")]
    Propagation { step: String, waited_seconds: u64, last: AwsError, run_id: String },
    #[error("keychain: {0}")]
    Vault(#[from] VaultError),
    #[error("journal: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    State(String),
    /// The run stopped at the person's request, once every running step had finished
    /// and been journaled; `created` is what this run made that exists then.
    #[error("{}", cancelled_message(.run_id, .created))]
    Cancelled { run_id: String, created: Vec<String> },
}

fn aws_message(step: &Option<String>, e: &AwsError, run_id: &Option<String>, created: &[String]) -> String {
    let mut s = match e.kind {
        crate::ports::AwsErrorKind::NoCredentials => format!(
            "no AWS identity was found for {}. Sign in first (`aws configure`, `aws sso login --profile NAME`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), pass --profile NAME, or try the local sandbox with scripts/run.sh. Details: {}",
            e.operation, e.message
        ),
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
    if let Some(id) = run_id {
        if created.is_empty() {
            s.push_str("\nNothing had been created in AWS by this run.");
        } else {
            s.push_str("\nAlready created by this run:");
            for c in created {
                s.push_str(&format!("\n  - {c}"));
            }
            s.push_str(&format!("\nFix the cause and run `rolegate apply --resume {id}`, or undo with `rolegate rollback {id}`."));
        }
    }
    s
}

fn cancelled_message(run_id: &str, created: &[String]) -> String {
    let mut s = format!(
        "run {run_id} stopped at your request: no new step was started, and the steps that were running finished and were recorded."
    );
    if created.is_empty() {
        s.push_str("\nNothing had been created in AWS by this run.");
    } else {
        s.push_str("\nAlready created by this run:");
        for c in created {
            s.push_str(&format!("\n  - {c}"));
        }
    }
    s.push_str(&format!("\nResume run {run_id} to finish it, or roll it back to delete what it made."));
    s
}

/// The JSON shape of an error for scripts and the app.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lints: Vec<Lint>,
    /// For a run that stopped (failed or cancelled): what it made that exists, known
    /// once every running step had ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Vec<String>>,
}

impl RunError {
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Invalid(_) => "invalid-input",
            RunError::Blocked(_) => "plan-blocked",
            RunError::NameTaken { .. } => "name-taken",
            RunError::KeyLimit { .. } => "access-key-limit",
            RunError::Aws { error, .. } if error.kind == crate::ports::AwsErrorKind::AccessDenied => "aws-access-denied",
            RunError::Aws { error, .. } if error.kind == crate::ports::AwsErrorKind::NoCredentials => "no-credentials",
            RunError::Aws { .. } => "aws-error",
            RunError::Propagation { .. } => "propagation-timeout",
            RunError::Vault(_) => "keychain",
            RunError::Store(StoreError::NotFound(_)) => "run-not-found",
            RunError::Store(_) => "journal",
            RunError::State(_) => "invalid-state",
            RunError::Cancelled { .. } => "cancelled",
        }
    }

    /// Exit codes: 2 bad input, 4 AWS error, 5 conflict in AWS, 6 local storage,
    /// 130 cancelled. (3 is a failed verification, decided by the caller.)
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Invalid(_)
            | RunError::Blocked(_)
            | RunError::Store(StoreError::NotFound(_) | StoreError::BadId(_))
            | RunError::State(_) => 2,
            RunError::Aws { .. } | RunError::Propagation { .. } => 4,
            RunError::NameTaken { .. } | RunError::KeyLimit { .. } => 5,
            RunError::Vault(_) | RunError::Store(_) => 6,
            RunError::Cancelled { .. } => 130,
        }
    }

    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
            fields: match self {
                RunError::Invalid(f) => f.clone(),
                _ => Vec::new(),
            },
            lints: match self {
                RunError::Blocked(l) => l.clone(),
                _ => Vec::new(),
            },
            created: match self {
                RunError::Aws { run_id: Some(_), created, .. } | RunError::Cancelled { created, .. } => Some(created.clone()),
                _ => None,
            },
        }
    }
}

impl From<Vec<FieldError>> for RunError {
    fn from(v: Vec<FieldError>) -> Self {
        RunError::Invalid(v)
    }
}
