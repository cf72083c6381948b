//! An in-memory Organizations for unit tests: an organization with a management
//! account, OUs and accounts built by the test, read as the management account, as a
//! member (refused as AWS refuses one, unless made a delegated administrator), or as an
//! account in no organization.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::fleet::{OrgAccount, OrgUnit, Organization, Organizations};
use crate::ports::{AwsError, AwsErrorKind};

#[derive(Default)]
struct State {
    /// (organization id, management account); None: the caller's account is in no organization.
    org: Option<(String, String)>,
    /// (id, parent id, name)
    units: Vec<(String, String, String)>,
    /// (account, parent id)
    accounts: Vec<(OrgAccount, String)>,
    /// The caller reads as a member that is no delegated administrator.
    member: bool,
    calls: Vec<String>,
}

/// The fake organization. Clones share state.
#[derive(Clone, Default)]
pub struct FakeOrganizations {
    state: Arc<Mutex<State>>,
}

pub const ROOT: &str = "r-test";

impl FakeOrganizations {
    /// Make the organization of `management` (its account sits in the root).
    pub fn create(&self, management: &str) {
        let mut s = self.state.lock().unwrap();
        s.org = Some(("o-test".into(), management.into()));
        s.accounts.push((account(management, "management"), ROOT.into()));
    }
    /// An OU under `parent`; its id.
    pub fn add_ou(&self, parent: &str, name: &str) -> String {
        let mut s = self.state.lock().unwrap();
        let id = format!("ou-test-{:08}", s.units.len() + 1);
        s.units.push((id.clone(), parent.into(), name.into()));
        id
    }
    pub fn add_account(&self, parent: &str, id: &str, name: &str) {
        self.state.lock().unwrap().accounts.push((account(id, name), parent.into()));
    }
    /// Read as a member account that is no delegated administrator.
    pub fn read_as_member(&self) {
        self.state.lock().unwrap().member = true;
    }
    /// The accounts of an OU and of the OUs in it, at any depth, but the management
    /// account (what service-managed StackSets reach).
    pub fn accounts_under(&self, ou: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        let management = s.org.as_ref().map(|o| o.1.clone()).unwrap_or_default();
        let mut units = vec![ou.to_string()];
        let mut out = Vec::new();
        while let Some(u) = units.pop() {
            out.extend(s.accounts.iter().filter(|a| a.1 == u && a.0.id != management).map(|a| a.0.id.clone()));
            units.extend(s.units.iter().filter(|x| x.1 == u).map(|x| x.0.clone()));
        }
        out
    }
    /// The operations called, in order.
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    fn enter(&self, op: &str, structure: bool) -> Result<std::sync::MutexGuard<'_, State>, AwsError> {
        let mut s = self.state.lock().unwrap();
        s.calls.push(op.into());
        if s.org.is_none() {
            return Err(AwsError::new(
                AwsErrorKind::Other,
                op,
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            ));
        }
        if structure && s.member {
            return Err(AwsError::new(
                AwsErrorKind::AccessDenied,
                op,
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            ));
        }
        Ok(s)
    }
}

fn account(id: &str, name: &str) -> OrgAccount {
    OrgAccount { id: id.into(), name: name.into(), email: format!("{name}@example.com"), status: "ACTIVE".into() }
}

#[async_trait]
impl Organizations for FakeOrganizations {
    async fn describe_organization(&self) -> Result<Organization, AwsError> {
        let s = self.enter("organizations:DescribeOrganization", false)?;
        let (id, management) = s.org.clone().unwrap_or_default();
        Ok(Organization { id, management_account_id: management })
    }
    async fn list_roots(&self) -> Result<Vec<OrgUnit>, AwsError> {
        drop(self.enter("organizations:ListRoots", true)?);
        Ok(vec![OrgUnit { id: ROOT.into(), name: "Root".into() }])
    }
    async fn list_organizational_units(&self, parent_id: &str) -> Result<Vec<OrgUnit>, AwsError> {
        let s = self.enter("organizations:ListOrganizationalUnitsForParent", true)?;
        Ok(s.units.iter().filter(|u| u.1 == parent_id).map(|u| OrgUnit { id: u.0.clone(), name: u.2.clone() }).collect())
    }
    async fn list_accounts_for_parent(&self, parent_id: &str) -> Result<Vec<OrgAccount>, AwsError> {
        let s = self.enter("organizations:ListAccountsForParent", true)?;
        Ok(s.accounts.iter().filter(|a| a.1 == parent_id).map(|a| a.0.clone()).collect())
    }
}
