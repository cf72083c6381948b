//! `rolegate fleet apply|resume|retry|rollback|status|list`: the CLI's words for the
//! core's fleet engine (`Engine::fleet_apply` and the rest). Progress goes to stderr as
//! it happens (each account's result, each verdict); the report is a table on stdout,
//! one row per account, or `--json`. Exit codes: 0 when every account is as it should
//! be, 3 when some account failed or could not be checked, else the error's code.

use clap::Args;
use serde_json::json;

use rolegate_core::fleet::stacksets::{DeploymentTargets, OperationPreferences};
use rolegate_core::fleet::{AccountVerdict, FleetReport, FleetRequest, FleetStatus, FleetSummary, DEFAULT_ACCESS_ROLE};
use rolegate_core::RunError;

use crate::{render, Global, PlanArgs};

#[derive(Args)]
pub struct FleetApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// An OU (or the root) to deploy to, with the OUs in it (repeatable): a
    /// service-managed StackSet. The management account is never reached this way.
    #[arg(long = "ou", value_name = "OU_ID", conflicts_with = "accounts")]
    pub ous: Vec<String>,
    /// An account to deploy to (repeatable): a self-managed StackSet, which needs the
    /// administration role here and the execution role in each account.
    #[arg(long = "account", value_name = "ACCOUNT_ID")]
    pub accounts: Vec<String>,
    /// The Region of the stack instances (default: the Region calls go to). One only:
    /// IAM is global.
    #[arg(long, value_name = "REGION")]
    pub stack_region: Option<String>,
    /// Deploy to accounts that join the OUs later, and delete from those that leave.
    #[arg(long)]
    pub auto_deploy: bool,
    /// How many accounts at once (add % for a percentage of them).
    #[arg(long, default_value = "10", value_name = "N[%]")]
    pub max_concurrent: String,
    /// How many accounts may fail before the operation stops the rest (add % for a percentage).
    #[arg(long, default_value = "0", value_name = "N[%]")]
    pub failure_tolerance: String,
    /// Self-managed: the administration role's ARN (default AWSCloudFormationStackSetAdministrationRole).
    #[arg(long, value_name = "ARN", requires = "accounts")]
    pub administration_role: Option<String>,
    /// Self-managed: the execution role's name in each account (default AWSCloudFormationStackSetExecutionRole).
    #[arg(long, value_name = "NAME", requires = "accounts")]
    pub execution_role: Option<String>,
    /// The role verification assumes in each account.
    #[arg(long, default_value = DEFAULT_ACCESS_ROLE, value_name = "NAME")]
    pub access_role: String,
    /// Deploy a plan whose warnings name a way to administrator access.
    #[arg(long)]
    pub acknowledge_admin_access: bool,
}

/// `N` or `N%`.
fn amount(field: &str, s: &str) -> Result<(u32, bool), RunError> {
    let (n, percent) = match s.strip_suffix('%') {
        Some(n) => (n, true),
        None => (s, false),
    };
    n.trim().parse::<u32>().map(|v| (v, percent)).map_err(|_| {
        RunError::Invalid(vec![rolegate_core::validate::FieldError::new(
            field,
            "number",
            format!("a whole number, or a percentage such as 25%; got {s:?}"),
        )])
    })
}

pub fn request(a: &FleetApplyArgs, default_region: String) -> Result<FleetRequest, RunError> {
    let (max_concurrent, concurrent_percent) = amount("max-concurrent", &a.max_concurrent)?;
    let (failure_tolerance, tolerance_percent) = amount("failure-tolerance", &a.failure_tolerance)?;
    Ok(FleetRequest {
        targets: if a.accounts.is_empty() {
            DeploymentTargets::Ous(a.ous.clone())
        } else {
            DeploymentTargets::Accounts(a.accounts.clone())
        },
        regions: vec![a.stack_region.clone().unwrap_or(default_region)],
        auto_deploy: a.auto_deploy,
        preferences: OperationPreferences {
            max_concurrent,
            concurrent_percent,
            failure_tolerance,
            tolerance_percent,
            regions_parallel: false,
        },
        administration_role_arn: a.administration_role.clone(),
        execution_role_name: a.execution_role.clone(),
        access_role: a.access_role.clone(),
        acknowledge_admin_access: a.acknowledge_admin_access,
    })
}

/// Print a fleet's report (table or JSON); the exit code it earns.
pub fn report(g: &Global, r: &FleetReport) -> i32 {
    let code = if r.all_good() { 0 } else { 3 };
    if g.json {
        render::print_json(&json!({ "fleet": r }));
        return code;
    }
    println!(
        "fleet {} — {} — StackSet {} ({}, template {})",
        r.fleet_id,
        r.status.as_str(),
        r.stack_set_name,
        r.permission_model.as_aws(),
        r.template_id
    );
    if r.accounts.is_empty() {
        println!("no account has an instance");
    } else {
        println!("{:<14} {:<11} {:<10} {:<18} REASON", "ACCOUNT", "REGION", "INSTANCE", "VERDICT");
        for a in &r.accounts {
            println!("{:<14} {:<11} {:<10} {:<18} {}", a.account, a.region, a.instance_status, a.verdict.as_str(), a.reason);
            if let Some(fix) = &a.fix {
                for line in fix.lines() {
                    println!("{:<14} fix: {line}", "");
                }
            }
        }
    }
    let counts: Vec<String> = [
        AccountVerdict::AwaitingPlatform,
        AccountVerdict::Failed,
        AccountVerdict::Unverified,
        AccountVerdict::Pending,
        AccountVerdict::Removed,
    ]
    .iter()
    .filter(|v| r.count(**v) > 0)
    .map(|v| format!("{} {}", r.count(*v), v.as_str()))
    .collect();
    if !counts.is_empty() {
        println!("{} account(s): {}", r.accounts.len(), counts.join(", "));
    }
    match r.status {
        FleetStatus::RolledBack if code == 0 => println!("fleet {} rolled back: nothing it made is left", r.fleet_id),
        FleetStatus::RollingBack => println!("roll-back incomplete: `rolegate fleet rollback {}` tries again", r.fleet_id),
        _ if r.count(AccountVerdict::AwaitingPlatform) > 0 => println!(
            "awaiting-platform: the role, trust and policies are as deployed; the platform's own check of each account's credential proves the role can be assumed"
        ),
        _ => {}
    }
    code
}

pub fn list(g: &Global, fleets: &[FleetSummary]) {
    if g.json {
        render::print_json(&json!({ "fleets": fleets }));
        return;
    }
    if fleets.is_empty() {
        println!("no fleets yet");
        return;
    }
    for f in fleets {
        println!(
            "{}  {:<16} {:<28} {}  {}/{} account(s) succeeded  {}",
            f.fleet_id,
            f.status.as_str(),
            f.template_id,
            f.stack_set_name,
            f.succeeded,
            f.reached,
            f.created_at
        );
    }
}
