//! The cluster-access steps of apply (an EKS access entry for the platform's identity,
//! then its access policy), each looked up first: an entry tagged with this run is
//! adopted, one someone else made is refused; and the deletion of the entry at
//! roll-back, only while its tag proves it this run's.

use super::apply::StepError;
use super::{invalid, owned_by, owner_of, Engine};
use crate::eks::AccessEntry;
use crate::journal::{Journal, Resource};
use crate::plan::{Call, Step};
use crate::ports::{AwsError, AwsErrorKind};

/// What became of an access entry at roll-back.
pub(crate) enum EntryDeletion {
    Deleted,
    AlreadyGone,
    Kept(String),
}

impl Engine {
    pub(crate) async fn exec_cluster_access(
        &self,
        journal: &tokio::sync::Mutex<Journal>,
        step: &Step,
        run_id: &str,
    ) -> Result<(), StepError> {
        match &step.call {
            Call::CreateAccessEntry { cluster, region, principal_arn, username, kubernetes_groups, tags } => {
                let eks = self.connect.eks(region);
                let outcome = match eks.describe_access_entry(cluster, principal_arn).await? {
                    Some(e) if owned_by(&e.tags, run_id) => "adopted",
                    Some(e) => {
                        return Err(invalid(
                            "cluster_access",
                            "eks-access-entry-exists",
                            format!(
                                "{principal_arn} already has an access entry on EKS cluster {cluster} that this run did not make ({}); \
                                 Rolegate leaves it as it is: roll this run back, or delete that entry first (aws eks delete-access-entry --cluster-name {cluster} --principal-arn {principal_arn} --region {region})",
                                owner_of(&e.tags)
                            ),
                        )
                        .into())
                    }
                    None => {
                        let entry = AccessEntry {
                            principal_arn: principal_arn.clone(),
                            username: username.clone(),
                            kubernetes_groups: kubernetes_groups.clone(),
                            tags: tags.clone(),
                        };
                        eks.create_access_entry(cluster, &entry).await?;
                        "created"
                    }
                };
                let r = Resource::EksAccessEntry { region: region.clone(), cluster: cluster.clone(), principal_arn: principal_arn.clone() };
                self.done(journal, step, outcome, format!("{principal_arn} on {cluster}"), Some(r)).await
            }
            Call::AssociateAccessPolicy { cluster, region, principal_arn, policy_arn, namespaces } => {
                let eks = self.connect.eks(region);
                let held = eks.associated_access_policies(cluster, principal_arn).await?;
                let outcome = if held.iter().any(|(p, ns)| p == policy_arn && ns == namespaces) {
                    "adopted"
                } else {
                    eks.associate_access_policy(cluster, principal_arn, policy_arn, namespaces).await?;
                    "created"
                };
                self.done(journal, step, outcome, policy_arn.clone(), None).await
            }
            _ => unreachable!("exec_cluster_access is called for the cluster-access calls only"),
        }
    }

    /// Delete an access entry this run made, if its tag still says so.
    pub(crate) async fn delete_access_entry(
        &self,
        run_id: &str,
        region: &str,
        cluster: &str,
        principal: &str,
    ) -> Result<EntryDeletion, AwsError> {
        let eks = self.connect.eks(region);
        let Some(entry) = eks.describe_access_entry(cluster, principal).await? else { return Ok(EntryDeletion::AlreadyGone) };
        if !owned_by(&entry.tags, run_id) {
            return Ok(EntryDeletion::Kept(format!("not deleted: {} (its tag no longer proves this run made it)", owner_of(&entry.tags))));
        }
        match eks.delete_access_entry(cluster, principal).await {
            Ok(()) => Ok(EntryDeletion::Deleted),
            Err(e) if e.kind == AwsErrorKind::NotFound => Ok(EntryDeletion::AlreadyGone),
            Err(e) => Err(e),
        }
    }
}
