//! What stops a fleet command, each with what exists and what to do next.

use crate::error::Frontend;
use crate::ports::AwsError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("no fleet {0} in this Rolegate home (`rolegate fleet list` names the fleets)")]
    NotFound(String),
    /// The fleet's StackSet lives in another account than the identity's.
    #[error(
        "fleet {fleet_id} deploys from account {fleet_account}, but the current identity ({identity_arn}) is in account {identity_account}"
    )]
    WrongAccount { fleet_id: String, fleet_account: String, identity_arn: String, identity_account: String },
    /// The StackSet of that name is not this fleet's (its tag says otherwise, or its id changed).
    #[error("StackSet {stack_set} is not fleet {fleet_id}'s ({detail}); nothing was changed")]
    NotOwned { fleet_id: String, stack_set: String, detail: String },
    /// The fleet's status does not allow what was asked.
    #[error("fleet {fleet_id} is {status}; {needs}")]
    WrongStatus { fleet_id: String, status: String, needs: String },
    /// An operation was still running when Rolegate stopped following it.
    #[error("operation {operation_id} of fleet {fleet_id} was still {status} after {waited_seconds} s; it goes on in AWS, and its id is journaled")]
    StillRunning { fleet_id: String, operation_id: String, status: String, waited_seconds: u64 },
    /// A call that changes AWS got no answer: whether AWS acted is not known, and the
    /// call is journaled with the id that makes repeating it safe.
    #[error("{} got no answer ({}): whether AWS acted on it is not known; fleet {fleet_id} journaled it", .error.operation, .error.message)]
    NoAnswer { fleet_id: String, error: AwsError },
    /// AWS refused a StackSets call.
    #[error("{}", refused_message(.fleet_id, .error, .exists))]
    Refused { fleet_id: String, error: AwsError, exists: Vec<String> },
}

fn refused_message(fleet_id: &str, e: &AwsError, exists: &[String]) -> String {
    let mut s = format!("AWS refused {} for fleet {fleet_id}: {}: {}", e.operation, e.code, e.message);
    if exists.is_empty() {
        s.push_str("\nNothing of this fleet exists in AWS.");
    } else {
        s.push_str("\nWhat this fleet made exists:");
        for x in exists {
            s.push_str(&format!("\n  - {x}"));
        }
    }
    s
}

impl FleetError {
    pub fn code(&self) -> &'static str {
        match self {
            FleetError::NotFound(_) => "fleet-not-found",
            FleetError::WrongAccount { .. } => "wrong-account",
            FleetError::NotOwned { .. } => "not-owned",
            FleetError::WrongStatus { .. } => "wrong-status",
            FleetError::StillRunning { .. } => "operation-running",
            FleetError::NoAnswer { .. } => "no-answer",
            FleetError::Refused { error, .. } if error.kind == crate::ports::AwsErrorKind::AccessDenied => "aws-access-denied",
            FleetError::Refused { .. } => "aws-error",
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            FleetError::NotFound(_) | FleetError::WrongAccount { .. } | FleetError::WrongStatus { .. } => 2,
            FleetError::StillRunning { .. } | FleetError::NoAnswer { .. } | FleetError::Refused { .. } => 4,
            FleetError::NotOwned { .. } => 5,
        }
    }

    pub fn hint(&self, front: Frontend) -> Option<String> {
        let cli = front == Frontend::Cli;
        match self {
            FleetError::WrongAccount { fleet_account, .. } => Some(if cli {
                format!("use an identity of account {fleet_account} (--profile NAME)")
            } else {
                format!("choose an identity of account {fleet_account} on the Identity screen")
            }),
            FleetError::StillRunning { fleet_id, .. } | FleetError::NoAnswer { fleet_id, .. } => Some(if cli {
                format!("`rolegate fleet resume {fleet_id}` follows it (or repeats the call with the same id), then verifies; `rolegate fleet rollback {fleet_id}` deletes what the fleet made")
            } else {
                "press Resume on the Fleet screen to follow it, or Roll back".into()
            }),
            FleetError::Refused { fleet_id, exists, .. } if !exists.is_empty() => {
                Some(if cli {
                    format!("fix the cause, then `rolegate fleet resume {fleet_id}`; or `rolegate fleet rollback {fleet_id}` deletes what it made")
                } else {
                    "fix the cause, then press Resume on the Fleet screen, or Roll back".into()
                })
            }
            _ => None,
        }
    }
}
