//! An in-memory EKS for unit tests: clusters by region with their OIDC issuers, and the
//! account's IAM OIDC providers, as the test makes them; every call recorded.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::eks::{Cluster, Eks, OidcProvider};
use crate::ports::AwsError;

#[derive(Default)]
struct State {
    /// (region, name) -> cluster
    clusters: BTreeMap<(String, String), Cluster>,
    providers: Vec<OidcProvider>,
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
}
