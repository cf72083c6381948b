//! An in-memory EKS for unit tests: clusters by region with their OIDC issuers, and the
//! account's IAM OIDC providers, as the test makes them; every call recorded.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::eks::{AccessEntry, Cluster, Eks, OidcProvider};
use crate::ports::{AwsError, AwsErrorKind};

/// An entry with its (policy, namespaces).
type HeldEntry = (AccessEntry, Vec<(String, Vec<String>)>);

#[derive(Default)]
struct State {
    /// (region, name) -> cluster
    clusters: BTreeMap<(String, String), Cluster>,
    providers: Vec<OidcProvider>,
    /// (region, cluster, principal) -> the entry and its (policy, namespaces)
    entries: BTreeMap<(String, String, String), HeldEntry>,
    calls: Vec<String>,
}

/// The fake EKS of one account. Clones share state.
#[derive(Clone, Default)]
pub struct FakeEks {
    state: Arc<Mutex<State>>,
}

impl FakeEks {
    /// A cluster in `region` whose issuer is `https://oidc.eks.REGION.amazonaws.com/id/ID`; the issuer.
    pub fn add_cluster(&self, account: &str, region: &str, name: &str, id: &str) -> String {
        let issuer = format!("https://oidc.eks.{region}.amazonaws.com/id/{id}");
        let cluster = Cluster {
            name: name.into(),
            arn: format!("arn:aws:eks:{region}:{account}:cluster/{name}"),
            oidc_issuer: Some(issuer.clone()),
            authentication_mode: Some("API_AND_CONFIG_MAP".into()),
        };
        self.state.lock().unwrap().clusters.insert((region.into(), name.into()), cluster);
        issuer
    }
    /// An IAM OIDC provider of the account for `issuer` accepting sts.amazonaws.com; its ARN.
    pub fn add_provider(&self, account: &str, issuer: &str) -> String {
        let url = issuer.trim_start_matches("https://").to_string();
        let arn = format!("arn:aws:iam::{account}:oidc-provider/{url}");
        self.state.lock().unwrap().providers.push(OidcProvider { arn: arn.clone(), url, client_ids: vec!["sts.amazonaws.com".into()] });
        arn
    }
    /// Set a cluster's authentication mode (`API`, `API_AND_CONFIG_MAP`, `CONFIG_MAP`).
    pub fn set_authentication_mode(&self, region: &str, name: &str, mode: &str) {
        if let Some(c) = self.state.lock().unwrap().clusters.get_mut(&(region.to_string(), name.to_string())) {
            c.authentication_mode = Some(mode.into());
        }
    }
    /// The access entries held, as `REGION/CLUSTER PRINCIPAL [policies]`.
    pub fn access_entries(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.entries
            .iter()
            .map(|((r, c, p), (_, pol))| format!("{r}/{c} {p} {:?}", pol.iter().map(|x| x.0.as_str()).collect::<Vec<_>>()))
            .collect()
    }
    /// The operations called, each `REGION eks:Op` or `iam:Op`.
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }
    /// The client for one region.
    pub fn in_region(&self, region: &str) -> RegionalEks {
        RegionalEks { eks: self.clone(), region: region.into() }
    }
}

/// The fake as one region's client.
pub struct RegionalEks {
    eks: FakeEks,
    region: String,
}

#[async_trait]
impl Eks for RegionalEks {
    async fn describe_cluster(&self, name: &str) -> Result<Option<Cluster>, AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push(format!("{} eks:DescribeCluster", self.region));
        Ok(s.clusters.get(&(self.region.clone(), name.to_string())).cloned())
    }
    async fn oidc_providers(&self) -> Result<Vec<OidcProvider>, AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push("iam:ListOpenIDConnectProviders".into());
        Ok(s.providers.clone())
    }
    async fn describe_access_entry(&self, cluster: &str, principal_arn: &str) -> Result<Option<AccessEntry>, AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push(format!("{} eks:DescribeAccessEntry", self.region));
        Ok(s.entries.get(&(self.region.clone(), cluster.into(), principal_arn.into())).map(|e| e.0.clone()))
    }
    async fn create_access_entry(&self, cluster: &str, entry: &AccessEntry) -> Result<(), AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push(format!("{} eks:CreateAccessEntry", self.region));
        let key = (self.region.clone(), cluster.to_string(), entry.principal_arn.clone());
        if s.entries.contains_key(&key) {
            return Err(AwsError::new(AwsErrorKind::AlreadyExists, "eks:CreateAccessEntry", "ResourceInUseException", "in use"));
        }
        s.entries.insert(key, (entry.clone(), Vec::new()));
        Ok(())
    }
    async fn delete_access_entry(&self, cluster: &str, principal_arn: &str) -> Result<(), AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push(format!("{} eks:DeleteAccessEntry", self.region));
        match s.entries.remove(&(self.region.clone(), cluster.into(), principal_arn.into())) {
            Some(_) => Ok(()),
            None => Err(AwsError::new(AwsErrorKind::NotFound, "eks:DeleteAccessEntry", "ResourceNotFoundException", "no entry")),
        }
    }
    async fn associate_access_policy(
        &self,
        cluster: &str,
        principal_arn: &str,
        policy_arn: &str,
        namespaces: &[String],
    ) -> Result<(), AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push(format!("{} eks:AssociateAccessPolicy", self.region));
        let Some(e) = s.entries.get_mut(&(self.region.clone(), cluster.into(), principal_arn.into())) else {
            return Err(AwsError::new(AwsErrorKind::NotFound, "eks:AssociateAccessPolicy", "ResourceNotFoundException", "no entry"));
        };
        e.1.retain(|p| p.0 != policy_arn);
        e.1.push((policy_arn.into(), namespaces.to_vec()));
        Ok(())
    }
    async fn associated_access_policies(&self, cluster: &str, principal_arn: &str) -> Result<Vec<(String, Vec<String>)>, AwsError> {
        let mut s = self.eks.state.lock().unwrap();
        s.calls.push(format!("{} eks:ListAssociatedAccessPolicies", self.region));
        match s.entries.get(&(self.region.clone(), cluster.into(), principal_arn.into())) {
            Some(e) => Ok(e.1.clone()),
            None => Err(AwsError::new(AwsErrorKind::NotFound, "eks:ListAssociatedAccessPolicies", "ResourceNotFoundException", "no entry")),
        }
    }
}
