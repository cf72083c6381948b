//! What a person asks of a new fleet (`FleetRequest`) and its rules: targets that are
//! the organization's, one Region (the template holds IAM resources only, which are
//! global), settings StackSets accepts, and the management account named when the
//! targets would hold it but service-managed StackSets never reach it.

use serde::{Deserialize, Serialize};

use super::stacksets::{DeploymentTargets, OperationPreferences, PermissionModel};
use super::targets::FleetTargets;
use crate::validate::{self, FieldError, NameKind};

/// The role verification assumes in each account unless the person names another.
pub const DEFAULT_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

/// How verification reaches each account unless told otherwise.
pub const DEFAULT_VERIFY_CONCURRENCY: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetRequest {
    /// OUs (service-managed) or accounts (self-managed).
    pub targets: DeploymentTargets,
    /// The Regions of the instances; exactly one (IAM is global).
    pub regions: Vec<String>,
    /// Service-managed: deploy to accounts that join a targeted OU later.
    pub auto_deploy: bool,
    pub preferences: OperationPreferences,
    /// Self-managed: the administration role (AWS's default when None).
    pub administration_role_arn: Option<String>,
    /// Self-managed: the execution role's name in each account (AWS's default when None).
    pub execution_role_name: Option<String>,
    /// The role verification assumes in each account.
    pub access_role: String,
    pub acknowledge_admin_access: bool,
}

impl FleetRequest {
    pub fn permission_model(&self) -> PermissionModel {
        match self.targets {
            DeploymentTargets::Ous(_) => PermissionModel::ServiceManaged,
            DeploymentTargets::Accounts(_) => PermissionModel::SelfManaged,
        }
    }
}

/// What the checks found worth saying that is not an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestNotes {
    pub notes: Vec<String>,
    /// The accounts the targets reach, as the organization reads now.
    pub accounts: Vec<String>,
}

fn is_ou_id(s: &str) -> bool {
    let part = |p: &str, min: usize| p.len() >= min && p.len() <= 32 && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if let Some(rest) = s.strip_prefix("r-") {
        return part(rest, 4);
    }
    match s.strip_prefix("ou-").and_then(|r| r.split_once('-')) {
        Some((root, unit)) => part(root, 4) && part(unit, 8),
        None => false,
    }
}

/// Check a request against the rules and the organization's tree.
pub fn check(req: &FleetRequest, tree: &FleetTargets) -> Result<RequestNotes, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut out = RequestNotes::default();
    match &req.targets {
        DeploymentTargets::Ous(ous) if ous.is_empty() => {}
        DeploymentTargets::Accounts(a) if a.is_empty() => {}
        DeploymentTargets::Ous(ous) => {
            let units = tree.units();
            for ou in ous {
                if !is_ou_id(ou) {
                    errs.push(FieldError::new("ou", "ou-id", format!("{ou:?} is not an OU or root id (ou-xxxx-xxxxxxxx, or r-xxxx)")));
                    continue;
                }
                let node = if ou == &tree.root.id { Some(&tree.root) } else { units.iter().copied().find(|u| &u.id == ou) };
                match node {
                    None => errs.push(FieldError::new(
                        "ou",
                        "in-organization",
                        format!("{ou} is not an OU of organization {} (`rolegate fleet targets` lists them)", tree.organization_id),
                    )),
                    Some(n) => {
                        let mut stack = vec![n];
                        while let Some(n) = stack.pop() {
                            for a in &n.accounts {
                                if a.management {
                                    out.notes.push(format!(
                                        "the management account {} is in {}, but service-managed StackSets never deploy to it: onboard it with a single run (rolegate apply -t TEMPLATE)",
                                        a.id, n.name
                                    ));
                                } else if !out.accounts.contains(&a.id) {
                                    out.accounts.push(a.id.clone());
                                }
                            }
                            stack.extend(n.children.iter());
                        }
                    }
                }
            }
            if req.execution_role_name.is_some() || req.administration_role_arn.is_some() {
                errs.push(FieldError::new(
                    "execution-role",
                    "self-managed-only",
                    "administration and execution roles are for account targets (--account), which StackSets deploys self-managed",
                ));
            }
        }
        DeploymentTargets::Accounts(accounts) => {
            let known = tree.accounts();
            for a in accounts {
                let e = validate::account_id("account", a);
                if !e.is_empty() {
                    errs.extend(e);
                    continue;
                }
                match known.iter().find(|k| &k.id == a) {
                    None => errs.push(FieldError::new(
                        "account",
                        "in-organization",
                        format!("{a} is not an account of organization {} (`rolegate fleet targets` lists them)", tree.organization_id),
                    )),
                    Some(k) if k.status != "ACTIVE" => {
                        errs.push(FieldError::new("account", "active", format!("account {a} is {}, not ACTIVE", k.status)))
                    }
                    Some(_) if !out.accounts.contains(a) => out.accounts.push(a.clone()),
                    Some(_) => errs.push(FieldError::new("account", "once", format!("account {a} is named twice"))),
                }
            }
            if req.auto_deploy {
                errs.push(FieldError::new(
                    "auto-deploy",
                    "service-managed-only",
                    "automatic deployment follows OUs: name OUs (--ou) rather than accounts to have accounts that join them onboarded",
                ));
            }
        }
    }
    let empty = match &req.targets {
        DeploymentTargets::Ous(x) | DeploymentTargets::Accounts(x) => x.is_empty(),
    };
    if empty {
        errs.push(FieldError::new("targets", "required", "name the OUs (--ou OU_ID) or the accounts (--account ID) to deploy to"));
    }
    match req.regions.as_slice() {
        [r] => errs.extend(validate::region("region", r)),
        [] => errs.push(FieldError::new("region", "required", "name the Region the stack instances go to (--stack-region)")),
        _ => errs.push(FieldError::new(
            "region",
            "one-region",
            "the template holds only IAM resources, which are global: an instance in a second Region would fail on the names the first one made; name one Region",
        )),
    }
    let p = &req.preferences;
    if p.max_concurrent == 0 || (p.concurrent_percent && p.max_concurrent > 100) {
        errs.push(FieldError::new("max-concurrent", "range", "at least 1 account at a time (a percentage: 1 to 100)"));
    }
    if p.tolerance_percent && p.failure_tolerance > 100 {
        errs.push(FieldError::new("failure-tolerance", "range", "a percentage is 0 to 100"));
    }
    errs.extend(validate::iam_name("access-role", NameKind::Role, &req.access_role));
    if let Some(n) = &req.execution_role_name {
        errs.extend(validate::iam_name("execution-role", NameKind::Role, n));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}
