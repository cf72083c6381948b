//! The core's EKS port over the AWS SDK: eks:DescribeCluster and the access entries in
//! the cluster's region, and the account's IAM OIDC providers (every one listed, each
//! read for its URL and audiences).

use async_trait::async_trait;

use aws_sdk_eks::types::{AccessScope, AccessScopeType};
use rolegate_core::eks::{AccessEntry, Cluster, Eks, OidcProvider};
use rolegate_core::ports::{AwsError, AwsErrorKind};
use rolegate_core::validate::Tag;

use crate::errors::map_err;

pub(crate) struct SdkEks {
    pub(crate) eks: aws_sdk_eks::Client,
    pub(crate) iam: aws_sdk_iam::Client,
}

#[async_trait]
impl Eks for SdkEks {
    async fn describe_cluster(&self, name: &str) -> Result<Option<Cluster>, AwsError> {
        let op = "eks:DescribeCluster";
        let out = match self.eks.describe_cluster().name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = map_err(op, e);
                return if e.kind == AwsErrorKind::NotFound { Ok(None) } else { Err(e) };
            }
        };
        let c = out.cluster().ok_or_else(|| AwsError::new(AwsErrorKind::Other, op, "EmptyResponse", "no cluster in the response"))?;
        Ok(Some(Cluster {
            name: c.name().unwrap_or_default().into(),
            arn: c.arn().unwrap_or_default().into(),
            oidc_issuer: c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer()).map(String::from),
            authentication_mode: c.access_config().and_then(|a| a.authentication_mode()).map(|m| m.as_str().to_string()),
        }))
    }

    async fn oidc_providers(&self) -> Result<Vec<OidcProvider>, AwsError> {
        let list = self.iam.list_open_id_connect_providers().send().await.map_err(|e| map_err("iam:ListOpenIDConnectProviders", e))?;
        let mut out = Vec::new();
        for entry in list.open_id_connect_provider_list() {
            let Some(arn) = entry.arn() else { continue };
            let p = match self.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await {
                Ok(p) => p,
                Err(e) => {
                    let e = map_err("iam:GetOpenIDConnectProvider", e);
                    // Deleted between the two calls: it is not there.
                    if e.kind == AwsErrorKind::NotFound {
                        continue;
                    }
                    return Err(e);
                }
            };
            out.push(OidcProvider {
                arn: arn.to_string(),
                url: p.url().unwrap_or_default().to_string(),
                client_ids: p.client_id_list().to_vec(),
            });
        }
        Ok(out)
    }

    async fn describe_access_entry(&self, cluster: &str, principal_arn: &str) -> Result<Option<AccessEntry>, AwsError> {
        let op = "eks:DescribeAccessEntry";
        let out = match self.eks.describe_access_entry().cluster_name(cluster).principal_arn(principal_arn).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = map_err(op, e);
                return if e.kind == AwsErrorKind::NotFound { Ok(None) } else { Err(e) };
            }
        };
        Ok(out.access_entry().map(|a| {
            let mut tags: Vec<Tag> = a.tags().into_iter().flatten().map(|(k, v)| Tag::new(k, v)).collect();
            tags.sort_by(|x, y| x.key.cmp(&y.key));
            AccessEntry {
                principal_arn: a.principal_arn().unwrap_or_default().into(),
                username: a.username().unwrap_or_default().into(),
                kubernetes_groups: a.kubernetes_groups().to_vec(),
                tags,
            }
        }))
    }

    async fn create_access_entry(&self, cluster: &str, entry: &AccessEntry) -> Result<(), AwsError> {
        let tags = entry.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
        self.eks
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(&entry.principal_arn)
            .username(&entry.username)
            .set_kubernetes_groups(Some(entry.kubernetes_groups.clone()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| map_err("eks:CreateAccessEntry", e))?;
        Ok(())
    }

    async fn delete_access_entry(&self, cluster: &str, principal_arn: &str) -> Result<(), AwsError> {
        self.eks
            .delete_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal_arn)
            .send()
            .await
            .map_err(|e| map_err("eks:DeleteAccessEntry", e))?;
        Ok(())
    }

    async fn associate_access_policy(
        &self,
        cluster: &str,
        principal_arn: &str,
        policy_arn: &str,
        namespaces: &[String],
    ) -> Result<(), AwsError> {
        let scope = if namespaces.is_empty() {
            AccessScope::builder().r#type(AccessScopeType::Cluster).build()
        } else {
            AccessScope::builder().r#type(AccessScopeType::Namespace).set_namespaces(Some(namespaces.to_vec())).build()
        };
        self.eks
            .associate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal_arn)
            .policy_arn(policy_arn)
            .access_scope(scope)
            .send()
            .await
            .map_err(|e| map_err("eks:AssociateAccessPolicy", e))?;
        Ok(())
    }

    async fn associated_access_policies(&self, cluster: &str, principal_arn: &str) -> Result<Vec<(String, Vec<String>)>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .eks
                .list_associated_access_policies()
                .cluster_name(cluster)
                .principal_arn(principal_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| map_err("eks:ListAssociatedAccessPolicies", e))?;
            out.extend(page.associated_access_policies().iter().map(|p| {
                (p.policy_arn().unwrap_or_default().to_string(), p.access_scope().map(|s| s.namespaces().to_vec()).unwrap_or_default())
            }));
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}
