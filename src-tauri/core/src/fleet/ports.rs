//! The Organizations operations fleet onboarding reads the organization with. The aws
//! crate implements them over the SDK; `testing::organizations` in memory.

use async_trait::async_trait;
use serde::Serialize;

use crate::ports::AwsError;

/// The organization the caller's account belongs to (DescribeOrganization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub management_account_id: String,
}

/// A root or an organizational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgUnit {
    pub id: String,
    pub name: String,
}

/// An account of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    /// ACTIVE, SUSPENDED or PENDING_CLOSURE.
    pub status: String,
}

/// The Organizations reads Rolegate uses; each list is complete (every page read).
#[async_trait]
pub trait Organizations: Send + Sync {
    async fn describe_organization(&self) -> Result<Organization, AwsError>;
    async fn list_roots(&self) -> Result<Vec<OrgUnit>, AwsError>;
    async fn list_organizational_units(&self, parent_id: &str) -> Result<Vec<OrgUnit>, AwsError>;
    async fn list_accounts_for_parent(&self, parent_id: &str) -> Result<Vec<OrgAccount>, AwsError>;
}
