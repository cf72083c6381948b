//! The core's Organizations port over the AWS SDK: the reads fleet onboarding uses,
//! every page of each list.

use async_trait::async_trait;

use rolegate_core::fleet::{OrgAccount, OrgUnit, Organization, Organizations};
use rolegate_core::ports::{AwsError, AwsErrorKind};

use crate::errors::map_err;

pub(crate) struct SdkOrganizations {
    pub(crate) client: aws_sdk_organizations::Client,
}

#[async_trait]
impl Organizations for SdkOrganizations {
    async fn describe_organization(&self) -> Result<Organization, AwsError> {
        let op = "organizations:DescribeOrganization";
        let out = self.client.describe_organization().send().await.map_err(|e| map_err(op, e))?;
        let org =
            out.organization().ok_or_else(|| AwsError::new(AwsErrorKind::Other, op, "EmptyResponse", "no organization in the response"))?;
        Ok(Organization {
            id: org.id().unwrap_or_default().into(),
            management_account_id: org.master_account_id().unwrap_or_default().into(),
        })
    }

    async fn list_roots(&self) -> Result<Vec<OrgUnit>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self.client.list_roots().set_next_token(token).send().await.map_err(|e| map_err("organizations:ListRoots", e))?;
            out.extend(
                page.roots().iter().map(|r| OrgUnit { id: r.id().unwrap_or_default().into(), name: r.name().unwrap_or_default().into() }),
            );
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn list_organizational_units(&self, parent_id: &str) -> Result<Vec<OrgUnit>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_organizational_units_for_parent()
                .parent_id(parent_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| map_err("organizations:ListOrganizationalUnitsForParent", e))?;
            out.extend(
                page.organizational_units()
                    .iter()
                    .map(|u| OrgUnit { id: u.id().unwrap_or_default().into(), name: u.name().unwrap_or_default().into() }),
            );
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn list_accounts_for_parent(&self, parent_id: &str) -> Result<Vec<OrgAccount>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_accounts_for_parent()
                .parent_id(parent_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| map_err("organizations:ListAccountsForParent", e))?;
            out.extend(page.accounts().iter().map(|a| OrgAccount {
                id: a.id().unwrap_or_default().into(),
                name: a.name().unwrap_or_default().into(),
                email: a.email().unwrap_or_default().into(),
                status: a.state().map(|s| s.as_str()).or_else(|| a.status().map(|s| s.as_str())).unwrap_or_default().into(),
            }));
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}
