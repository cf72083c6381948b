//! The core's IAM, STS, Organizations and EKS ports over the AWS SDK for Rust. The bootstrap identity is
//! resolved as the AWS CLI resolves it: a named profile signs with its own credentials
//! (SSO, credential_process, role chains, keys), otherwise the SDK's default chain;
//! region and endpoint come from the options, the environment, then the profile.
//!
//! Longer than 500 lines: one thin SDK call per port method (about 30); errors, the
//! identity source, logging, Organizations and EKS are in their own files.

mod eks;
mod errors;
pub mod logging;
mod organizations;
mod source;
mod stacksets;

use std::sync::Arc;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_iam::types::{StatusType, Tag as IamTag};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use rolegate_core::identity::IdentitySource;
use rolegate_core::ports::{
    AccessKeyMeta, AssumeRoleInput, AssumedRole, AwsError, AwsErrorKind, CallerIdentity, Connect, CreateRole, Credentials, Iam, KeyStatus,
    NewAccessKey, PolicyInfo, PolicyVersion, RoleInfo, SimulationResult, Sts, UserInfo,
};
use rolegate_core::validate::Tag;

pub use errors::classify;
use errors::{map_err, Found};
pub use source::environment_source;

/// Where and as whom to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// Connections built from one resolved SDK configuration.
#[derive(Clone)]
pub struct AwsConnect {
    config: SdkConfig,
    source: IdentitySource,
}

/// The region used when nothing configures one (IAM is global; STS answers anywhere).
pub const DEFAULT_REGION: &str = "us-east-1";

impl AwsConnect {
    /// Resolve the configuration the way the AWS CLI would, then apply the options.
    ///
    /// Credentials: a named profile's own (the environment's keys are not consulted, as
    /// with `aws --profile`); with no profile, the SDK's default chain. Region: the
    /// option, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, us-east-1.
    /// Endpoint: the option, `AWS_ENDPOINT_URL_IAM`/`_STS`, `AWS_ENDPOINT_URL`, the
    /// profile's `endpoint_url` (services section included).
    pub async fn load(opts: &ConnectOptions) -> AwsConnect {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let mut config = loader.load().await;
        if config.region().is_none() {
            config = config.into_builder().region(aws_config::Region::new(DEFAULT_REGION)).build();
        }
        if let Some(p) = &opts.profile {
            // `profile_name` alone keeps the environment provider first in the chain.
            let provider_config = aws_config::provider_config::ProviderConfig::default()
                .with_region(config.region().cloned())
                .with_behavior_version(Some(BehaviorVersion::latest()));
            let provider =
                aws_config::profile::ProfileFileCredentialsProvider::builder().configure(&provider_config).profile_name(p).build();
            config = config.into_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
        }
        AwsConnect { config, source: source::describe(opts.profile.as_deref()).await }
    }

    /// Say where the credentials come from (the app's Sandbox, tests).
    pub fn with_source(mut self, source: IdentitySource) -> AwsConnect {
        self.source = source;
        self
    }

    /// Where the credentials this connection signs with come from.
    pub fn source(&self) -> &IdentitySource {
        &self.source
    }

    /// A connection with fixed credentials, region and endpoint (tests, the sandbox).
    pub fn with_static(endpoint_url: &str, region: &str, creds: &Credentials) -> AwsConnect {
        let base = AwsConnect {
            config: SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(aws_config::Region::new(region.to_string()))
                .endpoint_url(endpoint_url)
                .build(),
            source: IdentitySource::PastedKey { access_key_id: creds.access_key_id.clone() },
        };
        AwsConnect { config: base.with_credentials(creds), source: base.source }
    }

    /// The configuration the options resolve to, signing with the given key instead of
    /// whatever the default chain would find (keys pasted into the app).
    pub async fn load_with_credentials(opts: &ConnectOptions, creds: &Credentials) -> AwsConnect {
        let base = AwsConnect::load(opts).await;
        AwsConnect {
            config: base.with_credentials(creds),
            source: IdentitySource::PastedKey { access_key_id: creds.access_key_id.clone() },
        }
    }

    /// Resolve the configured identity's credentials (to sign as it elsewhere).
    pub async fn resolve_credentials(&self) -> Result<Credentials, AwsError> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self.config.credentials_provider().ok_or_else(|| {
            AwsError::new(AwsErrorKind::NoCredentials, "resolve credentials", "NoCredentials", "no credentials provider is configured")
        })?;
        let c = provider
            .provide_credentials()
            .await
            .map_err(|e| AwsError::new(AwsErrorKind::NoCredentials, "resolve credentials", "NoCredentials", e.to_string()))?;
        Ok(Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: SecretString::from(c.secret_access_key().to_string()),
            session_token: c.session_token().map(|t| SecretString::from(t.to_string())),
            expiration: c
                .expiry()
                .and_then(|e| e.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| OffsetDateTime::from_unix_timestamp(d.as_secs() as i64).ok()),
        })
    }

    /// The region requests go to.
    pub fn region(&self) -> String {
        self.config.region().map(|r| r.to_string()).unwrap_or_else(|| DEFAULT_REGION.to_string())
    }

    fn with_credentials(&self, creds: &Credentials) -> SdkConfig {
        let c = aws_credential_types::Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.expose_secret().to_string(),
            creds.session_token.as_ref().map(|t| t.expose_secret().to_string()),
            creds.expiration.map(|e| std::time::UNIX_EPOCH + std::time::Duration::from_secs(e.unix_timestamp().max(0) as u64)),
            "rolegate",
        );
        self.config.clone().into_builder().credentials_provider(SharedCredentialsProvider::new(c)).build()
    }
}

impl Connect for AwsConnect {
    fn iam(&self) -> Arc<dyn Iam> {
        Arc::new(SdkIam { client: aws_sdk_iam::Client::new(&self.config) })
    }
    fn sts(&self) -> Arc<dyn Sts> {
        Arc::new(SdkSts { client: aws_sdk_sts::Client::new(&self.config) })
    }
    fn iam_as(&self, creds: &Credentials) -> Arc<dyn Iam> {
        Arc::new(SdkIam { client: aws_sdk_iam::Client::new(&self.with_credentials(creds)) })
    }
    fn sts_as(&self, creds: &Credentials) -> Arc<dyn Sts> {
        Arc::new(SdkSts { client: aws_sdk_sts::Client::new(&self.with_credentials(creds)) })
    }
    fn organizations(&self) -> Arc<dyn rolegate_core::fleet::Organizations> {
        Arc::new(organizations::SdkOrganizations { client: aws_sdk_organizations::Client::new(&self.config) })
    }
    fn stacksets(&self) -> Arc<dyn rolegate_core::fleet::StackSets> {
        Arc::new(stacksets::SdkStackSets { client: aws_sdk_cloudformation::Client::new(&self.config) })
    }
    fn eks(&self, region: &str) -> Arc<dyn rolegate_core::eks::Eks> {
        let regional = self.config.clone().into_builder().region(aws_types::region::Region::new(region.to_string())).build();
        Arc::new(eks::SdkEks { eks: aws_sdk_eks::Client::new(&regional), iam: aws_sdk_iam::Client::new(&self.config) })
    }
    fn region(&self) -> String {
        self.config.region().map(|r| r.to_string()).unwrap_or_else(|| DEFAULT_REGION.into())
    }
    fn identity_source(&self) -> IdentitySource {
        self.source.clone()
    }
}

fn to_time(dt: &aws_smithy_types::DateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(dt.secs()).ok()
}

fn iam_tags(tags: &[Tag]) -> Vec<IamTag> {
    tags.iter().filter_map(|t| IamTag::builder().key(&t.key).value(&t.value).build().ok()).collect()
}

fn from_iam_tags(tags: &[IamTag]) -> Vec<Tag> {
    tags.iter().map(|t| Tag::new(t.key(), t.value())).collect()
}

/// IAM returns policy documents URL-encoded.
fn decode_doc(s: &str) -> String {
    urlencoding::decode(s).map(|c| c.into_owned()).unwrap_or_else(|_| s.to_string())
}

struct SdkIam {
    client: aws_sdk_iam::Client,
}

#[async_trait]
impl Iam for SdkIam {
    async fn get_user(&self, name: &str) -> Result<Option<UserInfo>, AwsError> {
        let out = self.client.get_user().user_name(name).send().await.map_err(|e| map_err("iam:GetUser", e)).found()?;
        Ok(out.and_then(|o| {
            o.user().map(|u| UserInfo {
                name: u.user_name().into(),
                arn: u.arn().into(),
                path: u.path().into(),
                tags: from_iam_tags(u.tags()),
            })
        }))
    }

    async fn create_user(&self, name: &str, path: &str, tags: &[Tag]) -> Result<UserInfo, AwsError> {
        let out = self
            .client
            .create_user()
            .user_name(name)
            .path(path)
            .set_tags(Some(iam_tags(tags)))
            .send()
            .await
            .map_err(|e| map_err("iam:CreateUser", e))?;
        let u =
            out.user().ok_or_else(|| AwsError::new(AwsErrorKind::Other, "iam:CreateUser", "EmptyResponse", "no user in the response"))?;
        Ok(UserInfo { name: u.user_name().into(), arn: u.arn().into(), path: u.path().into(), tags: tags.to_vec() })
    }

    async fn delete_user(&self, name: &str) -> Result<(), AwsError> {
        self.client.delete_user().user_name(name).send().await.map_err(|e| map_err("iam:DeleteUser", e))?;
        Ok(())
    }

    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyMeta>, AwsError> {
        let out = self.client.list_access_keys().user_name(user).send().await.map_err(|e| map_err("iam:ListAccessKeys", e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .map(|k| AccessKeyMeta {
                id: k.access_key_id().unwrap_or_default().into(),
                status: if k.status() == Some(&StatusType::Active) { KeyStatus::Active } else { KeyStatus::Inactive },
                created: k.create_date().and_then(to_time),
            })
            .collect())
    }

    async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, AwsError> {
        let out = self.client.create_access_key().user_name(user).send().await.map_err(|e| map_err("iam:CreateAccessKey", e))?;
        let k = out
            .access_key()
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "iam:CreateAccessKey", "EmptyResponse", "no key in the response"))?;
        Ok(NewAccessKey {
            id: k.access_key_id().into(),
            secret: SecretString::from(k.secret_access_key().to_string()),
            created: k.create_date().and_then(to_time),
        })
    }

    async fn update_access_key(&self, user: &str, id: &str, status: KeyStatus) -> Result<(), AwsError> {
        let s = match status {
            KeyStatus::Active => StatusType::Active,
            KeyStatus::Inactive => StatusType::Inactive,
        };
        self.client
            .update_access_key()
            .user_name(user)
            .access_key_id(id)
            .status(s)
            .send()
            .await
            .map_err(|e| map_err("iam:UpdateAccessKey", e))?;
        Ok(())
    }

    async fn delete_access_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        self.client.delete_access_key().user_name(user).access_key_id(id).send().await.map_err(|e| map_err("iam:DeleteAccessKey", e))?;
        Ok(())
    }

    async fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.client
            .attach_user_policy()
            .user_name(user)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| map_err("iam:AttachUserPolicy", e))?;
        Ok(())
    }

    async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.client
            .detach_user_policy()
            .user_name(user)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| map_err("iam:DetachUserPolicy", e))?;
        Ok(())
    }

    async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .client
            .list_attached_user_policies()
            .user_name(user)
            .max_items(1000)
            .send()
            .await
            .map_err(|e| map_err("iam:ListAttachedUserPolicies", e))?;
        Ok(out.attached_policies().iter().filter_map(|p| p.policy_arn().map(String::from)).collect())
    }

    async fn put_user_policy(&self, user: &str, name: &str, document: &str) -> Result<(), AwsError> {
        self.client
            .put_user_policy()
            .user_name(user)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| map_err("iam:PutUserPolicy", e))?;
        Ok(())
    }

    async fn delete_user_policy(&self, user: &str, name: &str) -> Result<(), AwsError> {
        self.client.delete_user_policy().user_name(user).policy_name(name).send().await.map_err(|e| map_err("iam:DeleteUserPolicy", e))?;
        Ok(())
    }

    async fn list_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .client
            .list_user_policies()
            .user_name(user)
            .max_items(1000)
            .send()
            .await
            .map_err(|e| map_err("iam:ListUserPolicies", e))?;
        Ok(out.policy_names().to_vec())
    }

    async fn get_policy(&self, arn: &str) -> Result<Option<PolicyInfo>, AwsError> {
        let out = self.client.get_policy().policy_arn(arn).send().await.map_err(|e| map_err("iam:GetPolicy", e)).found()?;
        Ok(out.and_then(|o| {
            o.policy().map(|p| PolicyInfo {
                arn: p.arn().unwrap_or(arn).into(),
                name: p.policy_name().unwrap_or_default().into(),
                path: p.path().unwrap_or("/").into(),
                default_version: p.default_version_id().unwrap_or_default().into(),
                attachment_count: p.attachment_count().unwrap_or(0).max(0) as u32,
                tags: from_iam_tags(p.tags()),
            })
        }))
    }

    async fn create_policy(&self, name: &str, path: &str, document: &str, description: &str, tags: &[Tag]) -> Result<PolicyInfo, AwsError> {
        let mut req = self.client.create_policy().policy_name(name).path(path).policy_document(document).set_tags(Some(iam_tags(tags)));
        if !description.is_empty() {
            req = req.description(description);
        }
        let out = req.send().await.map_err(|e| map_err("iam:CreatePolicy", e))?;
        let p = out
            .policy()
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "iam:CreatePolicy", "EmptyResponse", "no policy in the response"))?;
        Ok(PolicyInfo {
            arn: p.arn().unwrap_or_default().into(),
            name: name.into(),
            path: path.into(),
            default_version: p.default_version_id().unwrap_or("v1").into(),
            attachment_count: 0,
            tags: tags.to_vec(),
        })
    }

    async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>, AwsError> {
        let out = self.client.list_policy_versions().policy_arn(arn).send().await.map_err(|e| map_err("iam:ListPolicyVersions", e))?;
        Ok(out
            .versions()
            .iter()
            .map(|v| PolicyVersion { id: v.version_id().unwrap_or_default().into(), is_default: v.is_default_version() })
            .collect())
    }

    async fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), AwsError> {
        self.client
            .delete_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| map_err("iam:DeletePolicyVersion", e))?;
        Ok(())
    }

    async fn delete_policy(&self, arn: &str) -> Result<(), AwsError> {
        self.client.delete_policy().policy_arn(arn).send().await.map_err(|e| map_err("iam:DeletePolicy", e))?;
        Ok(())
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        let out = self.client.get_role().role_name(name).send().await.map_err(|e| map_err("iam:GetRole", e)).found()?;
        Ok(out.and_then(|o| {
            o.role().map(|r| RoleInfo {
                name: r.role_name().into(),
                arn: r.arn().into(),
                path: r.path().into(),
                trust_policy: r.assume_role_policy_document().map(decode_doc).unwrap_or_default(),
                tags: from_iam_tags(r.tags()),
            })
        }))
    }

    async fn create_role(&self, input: &CreateRole) -> Result<RoleInfo, AwsError> {
        let mut req = self
            .client
            .create_role()
            .role_name(&input.name)
            .path(&input.path)
            .assume_role_policy_document(&input.trust_policy)
            .max_session_duration(input.max_session_seconds as i32)
            .set_tags(Some(iam_tags(&input.tags)));
        if !input.description.is_empty() {
            req = req.description(&input.description);
        }
        let out = req.send().await.map_err(|e| map_err("iam:CreateRole", e))?;
        let r =
            out.role().ok_or_else(|| AwsError::new(AwsErrorKind::Other, "iam:CreateRole", "EmptyResponse", "no role in the response"))?;
        Ok(RoleInfo {
            name: r.role_name().into(),
            arn: r.arn().into(),
            path: r.path().into(),
            trust_policy: input.trust_policy.clone(),
            tags: input.tags.clone(),
        })
    }

    async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        self.client.delete_role().role_name(name).send().await.map_err(|e| map_err("iam:DeleteRole", e))?;
        Ok(())
    }

    async fn update_assume_role_policy(&self, role_name: &str, document: &str) -> Result<(), AwsError> {
        self.client
            .update_assume_role_policy()
            .role_name(role_name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| map_err("iam:UpdateAssumeRolePolicy", e))?;
        Ok(())
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.client
            .attach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| map_err("iam:AttachRolePolicy", e))?;
        Ok(())
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        self.client
            .detach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| map_err("iam:DetachRolePolicy", e))?;
        Ok(())
    }

    async fn list_attached_role_policies(&self, role: &str) -> Result<Vec<String>, AwsError> {
        let out = self
            .client
            .list_attached_role_policies()
            .role_name(role)
            .max_items(1000)
            .send()
            .await
            .map_err(|e| map_err("iam:ListAttachedRolePolicies", e))?;
        Ok(out.attached_policies().iter().filter_map(|p| p.policy_arn().map(String::from)).collect())
    }

    async fn simulate_principal_policy(
        &self,
        principal_arn: &str,
        actions: &[String],
        resources: &[String],
    ) -> Result<Vec<SimulationResult>, AwsError> {
        // No ResourceArns is the simulator's `*`; name them only when they say more.
        let resources = (resources.iter().any(|r| r != "*")).then(|| resources.to_vec());
        let out = self
            .client
            .simulate_principal_policy()
            .policy_source_arn(principal_arn)
            .set_action_names(Some(actions.to_vec()))
            .set_resource_arns(resources)
            .send()
            .await
            .map_err(|e| map_err("iam:SimulatePrincipalPolicy", e))?;
        Ok(out
            .evaluation_results()
            .iter()
            .map(|r| SimulationResult { action: r.eval_action_name().into(), decision: r.eval_decision().as_str().into() })
            .collect())
    }
}

struct SdkSts {
    client: aws_sdk_sts::Client,
}

#[async_trait]
impl Sts for SdkSts {
    async fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        let out = self.client.get_caller_identity().send().await.map_err(|e| map_err("sts:GetCallerIdentity", e))?;
        Ok(CallerIdentity {
            account: out.account().unwrap_or_default().into(),
            arn: out.arn().unwrap_or_default().into(),
            user_id: out.user_id().unwrap_or_default().into(),
        })
    }

    async fn assume_role(&self, input: &AssumeRoleInput) -> Result<AssumedRole, AwsError> {
        let tags: Vec<aws_sdk_sts::types::Tag> =
            input.tags.iter().filter_map(|t| aws_sdk_sts::types::Tag::builder().key(&t.key).value(&t.value).build().ok()).collect();
        let out = self
            .client
            .assume_role()
            .role_arn(&input.role_arn)
            .role_session_name(&input.session_name)
            .set_external_id(input.external_id.clone())
            .set_duration_seconds(input.duration_seconds.map(|d| d as i32))
            .set_tags(if tags.is_empty() { None } else { Some(tags) })
            .send()
            .await
            .map_err(|e| map_err("sts:AssumeRole", e))?;
        let c = out
            .credentials()
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "sts:AssumeRole", "EmptyResponse", "no credentials in the response"))?;
        Ok(AssumedRole {
            credentials: Credentials {
                access_key_id: c.access_key_id().into(),
                secret_access_key: SecretString::from(c.secret_access_key().to_string()),
                session_token: Some(SecretString::from(c.session_token().to_string())),
                expiration: to_time(c.expiration()),
            },
            arn: out.assumed_role_user().map(|u| u.arn().to_string()).unwrap_or_default(),
        })
    }
}
