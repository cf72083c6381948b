//! The EKS operations Rolegate uses (the cluster, its access entries and their access
//! policies), and the IAM reads of the account's OIDC providers that go with them (a
//! service-account role is trusted by the provider of the cluster's issuer). The aws crate implements them over the SDK; `testing::eks` in memory.

use async_trait::async_trait;
use serde::Serialize;

use crate::ports::{AwsError, AwsErrorKind};
use crate::validate::Tag;

/// What eks:DescribeCluster says of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// `identity.oidc.issuer`: `https://oidc.eks.REGION.amazonaws.com/id/HEX`.
    pub oidc_issuer: Option<String>,
    /// `accessConfig.authenticationMode`: `API`, `API_AND_CONFIG_MAP` or `CONFIG_MAP`.
    pub authentication_mode: Option<String>,
}

/// An IAM OIDC identity provider of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcProvider {
    pub arn: String,
    /// The issuer URL as IAM holds it (without `https://`).
    pub url: String,
    /// The audiences (client ids) it accepts tokens for.
    pub client_ids: Vec<String>,
}

/// An EKS access entry: an IAM principal let into a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    pub principal_arn: String,
    pub username: String,
    pub kubernetes_groups: Vec<String>,
    pub tags: Vec<Tag>,
}

/// EKS in one region, and the account's IAM OIDC providers.
#[async_trait]
pub trait Eks: Send + Sync {
    /// eks:DescribeCluster; `None` when there is no such cluster (ResourceNotFoundException).
    async fn describe_cluster(&self, name: &str) -> Result<Option<Cluster>, AwsError>;
    /// iam:ListOpenIDConnectProviders, then iam:GetOpenIDConnectProvider of each: all of them.
    async fn oidc_providers(&self) -> Result<Vec<OidcProvider>, AwsError>;
    /// eks:DescribeAccessEntry; `None` when the principal has none on the cluster.
    async fn describe_access_entry(&self, cluster: &str, principal_arn: &str) -> Result<Option<AccessEntry>, AwsError>;
    /// eks:CreateAccessEntry (type STANDARD) with the entry's username, groups and tags.
    async fn create_access_entry(&self, cluster: &str, entry: &AccessEntry) -> Result<(), AwsError>;
    /// eks:DeleteAccessEntry (its associated access policies go with it).
    async fn delete_access_entry(&self, cluster: &str, principal_arn: &str) -> Result<(), AwsError>;
    /// eks:AssociateAccessPolicy, for `namespaces` (cluster-wide when empty).
    async fn associate_access_policy(
        &self,
        cluster: &str,
        principal_arn: &str,
        policy_arn: &str,
        namespaces: &[String],
    ) -> Result<(), AwsError>;
    /// eks:ListAssociatedAccessPolicies: (policy ARN, namespaces; empty for cluster-wide).
    async fn associated_access_policies(&self, cluster: &str, principal_arn: &str) -> Result<Vec<(String, Vec<String>)>, AwsError>;
}

/// The EKS of a connection that has none (`Connect::eks` unless implemented): every call
/// is refused as by an endpoint without the service.
pub struct NoEks {
    pub region: String,
}

impl NoEks {
    fn refuse(&self, op: &str) -> AwsError {
        AwsError::new(
            AwsErrorKind::NotImplemented,
            op,
            "NotImplemented",
            format!("this connection has no EKS client (region {})", self.region),
        )
    }
}

#[async_trait]
impl Eks for NoEks {
    async fn describe_cluster(&self, _name: &str) -> Result<Option<Cluster>, AwsError> {
        Err(self.refuse("eks:DescribeCluster"))
    }
    async fn oidc_providers(&self) -> Result<Vec<OidcProvider>, AwsError> {
        Err(self.refuse("iam:ListOpenIDConnectProviders"))
    }
    async fn describe_access_entry(&self, _cluster: &str, _principal_arn: &str) -> Result<Option<AccessEntry>, AwsError> {
        Err(self.refuse("eks:DescribeAccessEntry"))
    }
    async fn create_access_entry(&self, _cluster: &str, _entry: &AccessEntry) -> Result<(), AwsError> {
        Err(self.refuse("eks:CreateAccessEntry"))
    }
    async fn delete_access_entry(&self, _cluster: &str, _principal_arn: &str) -> Result<(), AwsError> {
        Err(self.refuse("eks:DeleteAccessEntry"))
    }
    async fn associate_access_policy(&self, _c: &str, _p: &str, _policy: &str, _ns: &[String]) -> Result<(), AwsError> {
        Err(self.refuse("eks:AssociateAccessPolicy"))
    }
    async fn associated_access_policies(&self, _cluster: &str, _principal_arn: &str) -> Result<Vec<(String, Vec<String>)>, AwsError> {
        Err(self.refuse("eks:ListAssociatedAccessPolicies"))
    }
}
