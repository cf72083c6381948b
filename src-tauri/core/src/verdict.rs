//! The verdict of a verification: the run status a report earns for a plan. A failed
//! check fails the run; otherwise the run is verified only when every role was proven,
//! by assuming it with its External ID or by the platform's own check of it
//! (`platform-validate`); a role that trusts a third party nobody here could act as
//! leaves the run awaiting the platform's check, never verified on skipped checks.

use crate::checks::{CheckStatus, VerifyReport};
use crate::journal::RunStatus;
use crate::plan::{Plan, PlannedRole};

/// The check that proves a role from the customer's side: AssumeRole with the External ID.
pub const ASSUMED: &str = "assume-with-external-id";
/// The check a platform connector appends when the platform itself validated the
/// credential (for a role, the platform assumed it with the External ID).
pub const PLATFORM_VALIDATE: &str = "platform-validate";
/// The check that proves the run's access key signs in.
pub const KEY_WORKS: &str = "key-works";

/// The id of check `base` for role `role_key` of the plan: `base` alone in a run with one
/// role, `base:ROLE_KEY` in a run with several (as verification names them).
pub fn role_check_id(plan: &Plan, role_key: &str, base: &str) -> String {
    if plan.roles.len() == 1 {
        base.to_string()
    } else {
        format!("{base}:{role_key}")
    }
}

fn passed(report: &VerifyReport, id: &str) -> bool {
    report.checks.iter().any(|c| c.id == id && c.status == CheckStatus::Passed)
}

/// Whether the report proves `role`: it was assumed with its External ID, or the
/// platform's check of it passed.
pub fn role_proven(plan: &Plan, report: &VerifyReport, role: &PlannedRole) -> bool {
    [ASSUMED, PLATFORM_VALIDATE].iter().any(|base| passed(report, &role_check_id(plan, &role.key, base)))
}

/// The roles of the plan the report does not prove, in plan order.
pub fn unproven_roles<'a>(plan: &'a Plan, report: &VerifyReport) -> Vec<&'a PlannedRole> {
    plan.roles.iter().filter(|r| !role_proven(plan, report, r)).collect()
}

/// The run status `report` earns for `plan`: `VerifyFailed` when any check failed;
/// `Verified` when every role is proven (and, for a run with a key and no role, the key
/// signed in or the platform validated it); else `AwaitingPlatform`. A connector that
/// appends its `platform-validate` check calls this again for the new status.
pub fn verdict(plan: &Plan, report: &VerifyReport) -> RunStatus {
    if !report.passed() {
        return RunStatus::VerifyFailed;
    }
    let key_proven = plan.user.is_none() || passed(report, KEY_WORKS) || (plan.roles.is_empty() && passed(report, PLATFORM_VALIDATE));
    if key_proven && unproven_roles(plan, report).is_empty() {
        RunStatus::Verified
    } else {
        RunStatus::AwaitingPlatform
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
