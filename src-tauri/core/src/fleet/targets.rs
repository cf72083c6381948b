//! `Engine::fleet_targets`: the organization's tree as the caller may deploy to it, read
//! from the management account or a StackSets delegated administrator, with the
//! management account (never reached by service-managed StackSets) and the caller's
//! account marked, and a refusal that names what is needed when the caller cannot read it.

use serde::Serialize;

use crate::error::RunError;
use crate::ports::{AwsError, AwsErrorKind};
use crate::Engine;

use super::ports::{OrgAccount, OrgUnit, Organizations};

/// The service principal a StackSets delegated administrator is registered for.
pub const STACKSETS_SERVICE_PRINCIPAL: &str = "member.org.stacksets.cloudformation.amazonaws.com";

/// The organization's targets, from its root down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetTargets {
    pub organization_id: String,
    pub management_account_id: String,
    /// The account of the identity that read the tree.
    pub caller_account_id: String,
    /// Whether that account is the management account (else a delegated administrator).
    pub caller_is_management: bool,
    pub root: TargetNode,
}

/// A root or an OU, with its accounts and the OUs in it, each list sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TargetNode {
    pub id: String,
    pub name: String,
    /// "root" or "ou".
    #[cfg_attr(feature = "ts", ts(type = "\"root\" | \"ou\""))]
    pub kind: &'static str,
    pub accounts: Vec<TargetAccount>,
    pub children: Vec<TargetNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TargetAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    /// The organization's management account: service-managed StackSets never deploy
    /// to it, so it needs a separate single-account run.
    pub management: bool,
    /// The account of the identity in use.
    pub caller: bool,
}

impl FleetTargets {
    /// Every account, depth first (root's accounts, then each OU's).
    pub fn accounts(&self) -> Vec<&TargetAccount> {
        fn walk<'a>(n: &'a TargetNode, out: &mut Vec<&'a TargetAccount>) {
            out.extend(n.accounts.iter());
            for c in &n.children {
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Every OU below the root, depth first.
    pub fn units(&self) -> Vec<&TargetNode> {
        fn walk<'a>(n: &'a TargetNode, out: &mut Vec<&'a TargetNode>) {
            for c in &n.children {
                out.push(c);
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// The management account, when the tree holds it (it always does in AWS).
    pub fn management_account(&self) -> Option<&TargetAccount> {
        self.accounts().into_iter().find(|a| a.management)
    }
}

impl Engine {
    /// The organization's root, OUs (nested, any depth) and accounts, as the bootstrap
    /// identity reads them. Refused with [`RunError::NotOrganizationAdmin`] when its
    /// account is in no organization, or is a member that is neither the management
    /// account nor a delegated administrator.
    pub async fn fleet_targets(&self) -> Result<FleetTargets, RunError> {
        let caller = self.identity().await?;
        let orgs = self.connect.organizations();
        let org = orgs.describe_organization().await.map_err(|e| refusal(&caller.account, None, e))?;
        let roots = orgs.list_roots().await.map_err(|e| refusal(&caller.account, Some(&org.management_account_id), e))?;
        let root = roots.into_iter().next().ok_or_else(|| RunError::AwsDisagrees {
            operation: "organizations:ListRoots".into(),
            detail: "the organization has no root".into(),
        })?;
        let marks = Marks { management: &org.management_account_id, caller: &caller.account };
        let tree = read_node(orgs.as_ref(), root, "root", &marks).await.map_err(|e| refusal(&caller.account, Some(marks.management), e))?;
        Ok(FleetTargets {
            organization_id: org.id,
            caller_is_management: caller.account == org.management_account_id,
            management_account_id: org.management_account_id,
            caller_account_id: caller.account,
            root: tree,
        })
    }
}

struct Marks<'a> {
    management: &'a str,
    caller: &'a str,
}

/// One node and everything below it: its OUs and its accounts, read together.
async fn read_node(orgs: &dyn Organizations, unit: OrgUnit, kind: &'static str, marks: &Marks<'_>) -> Result<TargetNode, AwsError> {
    let (units, accounts) = futures::try_join!(orgs.list_organizational_units(&unit.id), orgs.list_accounts_for_parent(&unit.id))?;
    // The OUs below are read side by side, each with its own subtree.
    let mut children = futures::future::try_join_all(units.into_iter().map(|u| Box::pin(read_node(orgs, u, "ou", marks)))).await?;
    children.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    let mut accounts: Vec<TargetAccount> = accounts.into_iter().map(|a| mark(a, marks)).collect();
    accounts.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(TargetNode { id: unit.id, name: unit.name, kind, accounts, children })
}

fn mark(a: OrgAccount, marks: &Marks<'_>) -> TargetAccount {
    TargetAccount {
        management: a.id == marks.management,
        caller: a.id == marks.caller,
        id: a.id,
        name: a.name,
        email: a.email,
        status: a.status,
    }
}

/// An Organizations refusal in the words of what the caller needs: no organization at
/// all, or a member account that may not read it. The management account refused by
/// its own IAM policy gets the AWS error itself (which names the permission).
fn refusal(account: &str, management: Option<&str>, e: AwsError) -> RunError {
    let not_in_use = e.code == "AWSOrganizationsNotInUseException";
    // IAM's own refusal names the action ("... is not authorized to perform: ..."); the
    // organization's refusal of a member account does not.
    let by_iam = e.message.contains("not authorized to perform");
    let member_denied = e.kind == AwsErrorKind::AccessDenied && !by_iam && management.is_some_and(|m| m != account);
    if not_in_use || member_denied {
        return RunError::NotOrganizationAdmin {
            account: account.into(),
            management_account: if not_in_use { None } else { management.map(String::from) },
            error: e,
        };
    }
    Engine::aws(e)
}
