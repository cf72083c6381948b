//! The core's EKS port over the AWS SDK: eks:DescribeCluster in the cluster's region,
//! and the account's IAM OIDC providers (every one listed, each read for its URL and
//! audiences).

use async_trait::async_trait;

use rolegate_core::eks::{Cluster, Eks, OidcProvider};
use rolegate_core::ports::{AwsError, AwsErrorKind};

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
}
