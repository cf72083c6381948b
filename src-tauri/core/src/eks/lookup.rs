//! `Engine::cluster_facts`: before a plan is built, each EKS cluster the template's
//! service-account roles name is described in its region (eks:DescribeCluster) and the
//! account's IAM OIDC providers are read, so the plan trusts the cluster's real issuer
//! and knows whether IAM has a provider for it. A cluster that does not exist is an
//! input error on the field that names it.

use std::collections::BTreeMap;

use crate::engine::{invalid, Engine};
use crate::error::RunError;
use crate::plan::service_accounts::{cluster_key, clusters_to_look_up};
use crate::plan::{ClusterFacts, RunInputs};
use crate::template::Template;

use super::OidcProvider;

impl Engine {
    /// `inputs` with `clusters` holding what AWS says of each cluster the template's
    /// service-account roles name (any facts given are replaced); unchanged for a
    /// template without such roles.
    pub async fn cluster_facts(&self, template: &Template, inputs: &RunInputs) -> Result<RunInputs, RunError> {
        let mut out = RunInputs { clusters: BTreeMap::new(), ..inputs.clone() };
        let lookups = clusters_to_look_up(template, inputs);
        let mut providers: Option<Vec<OidcProvider>> = None;
        for l in lookups {
            let eks = self.connect.eks(&l.region);
            let Some(cluster) = eks.describe_cluster(&l.name).await.map_err(Self::aws)? else {
                return Err(invalid(
                    &l.field,
                    "eks-cluster-not-found",
                    format!(
                        "there is no EKS cluster {} in {} (eks:DescribeCluster answered ResourceNotFoundException); name a cluster of this account in that region",
                        l.name, l.region
                    ),
                ));
            };
            if providers.is_none() {
                providers = Some(eks.oidc_providers().await.map_err(Self::aws)?);
            }
            let issuer = cluster.oidc_issuer.clone().unwrap_or_default();
            let host = issuer.strip_prefix("https://").unwrap_or(&issuer).trim_end_matches('/');
            let provider = providers
                .iter()
                .flatten()
                .find(|p| !host.is_empty() && p.url.strip_prefix("https://").unwrap_or(&p.url).trim_end_matches('/') == host);
            out.clusters.insert(
                cluster_key(&l.region, &l.name),
                ClusterFacts {
                    issuer,
                    oidc_provider: provider.map(|p| p.arn.clone()),
                    oidc_audiences: provider.map(|p| p.client_ids.clone()).unwrap_or_default(),
                    authentication_mode: cluster.authentication_mode,
                },
            );
        }
        Ok(out)
    }
}
