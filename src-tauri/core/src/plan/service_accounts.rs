//! The service-account roles of a plan (IRSA): each role's cluster, the cluster's OIDC
//! issuer and IAM OIDC provider (looked up in AWS before planning and handed in as
//! `RunInputs::clusters`), and the `Federated` trust policy with its `aud` and `sub`
//! conditions; a lint error when the account has no IAM OIDC provider for the issuer.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::inputs::Resolved;
use super::Findings;
use super::RunInputs;
use crate::arn::{iam_arn, Partition};
use crate::policy::{self, DocKind, Lint, Severity};
use crate::template::{ServiceAccountRole, Template};
use crate::validate::{self, FieldError, NameKind};

/// The audience an EKS service-account token carries for STS.
pub const STS_AUDIENCE: &str = "sts.amazonaws.com";
/// The annotation that gives a Kubernetes service account its IAM role.
pub const ROLE_ARN_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

/// What AWS said about one cluster when the run was planned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClusterFacts {
    /// The cluster's OIDC issuer URL, as eks:DescribeCluster gives it
    /// (`https://oidc.eks.REGION.amazonaws.com/id/HEX`).
    pub issuer: String,
    /// The ARN of the account's IAM OIDC provider for that issuer, if there is one
    /// (iam:ListOpenIDConnectProviders / GetOpenIDConnectProvider).
    #[serde(default)]
    pub oidc_provider: Option<String>,
    /// The audiences that provider accepts tokens for (its client ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oidc_audiences: Vec<String>,
    /// The cluster's authentication mode (`API`, `API_AND_CONFIG_MAP`, `CONFIG_MAP`).
    #[serde(default)]
    pub authentication_mode: Option<String>,
}

/// A cluster to look up before planning: its region and name, and the field a problem
/// with it is reported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLookup {
    pub region: String,
    pub name: String,
    pub field: String,
}

/// The key of a cluster in `RunInputs::clusters`: `REGION/NAME`.
pub fn cluster_key(region: &str, name: &str) -> String {
    format!("{region}/{name}")
}

/// A service-account role as the run makes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlannedServiceAccountRole {
    pub key: String,
    pub name: String,
    pub arn: String,
    pub description: String,
    pub cluster: String,
    pub cluster_region: String,
    /// The issuer without `https://`: the condition keys' prefix and the provider's name.
    pub issuer: String,
    /// The IAM OIDC provider the trust names (`Federated`).
    pub oidc_provider_arn: String,
    pub namespace: String,
    pub service_account: String,
    /// `system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT`.
    pub subject: String,
    pub trust_policy: Value,
    pub attach: Vec<String>,
    pub max_session_seconds: u32,
    pub verify_actions: Vec<String>,
}

/// The clusters a template's service-account roles need looked up before planning, in
/// the role's region, else the run's; a cluster that is not one name after the
/// variables (a bad or missing value, `*`) is left out, and planning reports it.
pub fn clusters_to_look_up(template: &Template, inputs: &RunInputs) -> Vec<ClusterLookup> {
    let vars = template.resolve_variables(&inputs.variables).unwrap_or_default();
    let mut subst: Vec<(&str, &str)> = vec![("region", inputs.region.as_str())];
    subst.extend(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let fill = |s: &str| match policy::substitute(&Value::String(s.to_string()), &subst) {
        Value::String(s) => s,
        _ => String::new(),
    };
    let mut out = Vec::new();
    let roles =
        template.service_account_roles.iter().map(|r| (&r.cluster, &r.cluster_region, format!("service_account_role.{}.cluster", r.key)));
    let access = template.cluster_access.iter().map(|a| (&a.cluster, &a.cluster_region, "cluster_access.cluster".to_string()));
    for (cluster, cluster_region, fallback) in roles.chain(access) {
        let name = fill(cluster);
        let region = region_of(&fill(cluster_region), &inputs.region);
        let seen = out.iter().any(|l: &ClusterLookup| l.region == region && l.name == name);
        if validate_cluster_name("cluster", &name).is_empty() && !seen {
            out.push(ClusterLookup { region, name, field: field_of(cluster, fallback) });
        }
    }
    out
}

fn region_of(given: &str, run_region: &str) -> String {
    if given.is_empty() || given == "*" {
        run_region.to_string()
    } else {
        given.to_string()
    }
}

/// An EKS cluster name: 1-100 of letters, digits, `-` and `_`, beginning with a letter or digit.
pub fn validate_cluster_name(field: &str, name: &str) -> Vec<FieldError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Vec::new()
    } else {
        vec![FieldError::new(
            field,
            "eks-cluster-name",
            format!("must name one EKS cluster: 1-100 of letters, digits, - and _, beginning with a letter or digit; got {name:?}"),
        )]
    }
}

/// A Kubernetes namespace or service-account name as the `sub` claim holds it: 1-63
/// (namespace) or 1-253 (service account) of lowercase letters, digits, `-` (and `.` in
/// a service account), beginning and ending with a letter or digit.
fn validate_k8s_name(field: &str, value: &str, max: usize, dots: bool) -> Vec<FieldError> {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = !value.is_empty()
        && value.len() <= max
        && value.starts_with(edge)
        && value.ends_with(edge)
        && value.chars().all(|c| edge(c) || c == '-' || (dots && c == '.'));
    if ok {
        Vec::new()
    } else {
        vec![FieldError::new(
            field,
            "kubernetes-name",
            format!(
                "must be 1-{max} of lowercase letters, digits{} and -, beginning and ending with a letter or digit; got {value:?}",
                if dots { ", ." } else { "" }
            ),
        )]
    }
}

/// The field a template string is reported under: `var.NAME` when it is one variable.
pub(super) fn field_of(raw: &str, fallback: String) -> String {
    match raw.strip_prefix("{{").and_then(|s| s.strip_suffix("}}")) {
        Some(name) if !name.contains('{') => format!("var.{name}"),
        _ => fallback,
    }
}

/// The `Federated` trust of a service-account role: the provider, the web-identity
/// action, and the token's audience and subject, exactly.
pub fn web_identity_trust(provider_arn: &str, issuer: &str, subject: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{issuer}:aud"): STS_AUDIENCE,
                format!("{issuer}:sub"): subject,
            }}
        }]
    })
}

/// The ARN of the IAM OIDC provider of `issuer` (without `https://`) in an account.
pub fn oidc_provider_arn(partition: Partition, account: &str, issuer: &str) -> String {
    format!("arn:{partition}:iam::{account}:oidc-provider/{issuer}")
}

/// Plan one service-account role. `attach` turns the template's attach list into ARNs.
pub(super) fn plan_service_account_role(
    r: &ServiceAccountRole,
    ctx: &Resolved<'_>,
    attach: &dyn Fn(&[String]) -> Vec<String>,
    found: &mut Findings,
) -> Option<PlannedServiceAccountRole> {
    let key = &r.key;
    let name = ctx.name_of(&format!("role:{key}"), &r.name);
    found.errs.extend(validate::iam_name(&format!("name.role:{key}"), NameKind::Role, &name));
    let cluster = ctx.substitute_str(&r.cluster);
    let cluster_field = field_of(&r.cluster, format!("service_account_role.{key}.cluster"));
    let region = region_of(&ctx.substitute_str(&r.cluster_region), &ctx.inputs.region);
    let namespace = ctx.substitute_str(&r.namespace);
    let service_account = ctx.substitute_str(&r.service_account);
    let mut errs = validate_cluster_name(&cluster_field, &cluster);
    errs.extend(validate::region(&field_of(&r.cluster_region, format!("service_account_role.{key}.cluster_region")), &region));
    errs.extend(validate_k8s_name(&field_of(&r.namespace, format!("service_account_role.{key}.namespace")), &namespace, 63, false));
    errs.extend(validate_k8s_name(
        &field_of(&r.service_account, format!("service_account_role.{key}.service_account")),
        &service_account,
        253,
        true,
    ));
    if !errs.is_empty() {
        found.errs.extend(errs);
        return None;
    }
    let Some(facts) = ctx.inputs.clusters.get(&cluster_key(&region, &cluster)) else {
        found.errs.push(FieldError::new(
            &cluster_field,
            "eks-cluster-not-looked-up",
            format!(
                "the OIDC issuer of EKS cluster {cluster} in {region} comes from eks:DescribeCluster, which is made when the run is planned through the engine (Engine::plan); plan again"
            ),
        ));
        return None;
    };
    let issuer = facts.issuer.strip_prefix("https://").unwrap_or(&facts.issuer).trim_end_matches('/').to_string();
    if issuer.is_empty() || issuer.contains(char::is_whitespace) || !issuer.contains('/') {
        found.errs.push(FieldError::new(
            &cluster_field,
            "eks-oidc-issuer",
            format!("EKS cluster {cluster} in {region} has no usable OIDC issuer ({:?}); IRSA needs one", facts.issuer),
        ));
        return None;
    }
    let provider = oidc_provider_arn(ctx.partition, &ctx.account, &issuer);
    if facts.oidc_provider.as_deref() != Some(provider.as_str()) {
        found.lints.push(Lint {
            severity: Severity::Error,
            field: cluster_field.clone(),
            rule: "eks-no-oidc-provider".into(),
            message: format!(
                "account {} has no IAM OIDC provider for cluster {cluster}'s issuer https://{issuer}, so no pod can assume role {name}. \
                 Create it first: `eksctl utils associate-iam-oidc-provider --cluster {cluster} --region {region} --approve`, or \
                 `aws iam create-open-id-connect-provider --url https://{issuer} --client-id-list {STS_AUDIENCE}`; then plan again",
                ctx.account
            ),
            acknowledge: false,
        });
    }
    if facts.oidc_provider.as_deref() == Some(provider.as_str()) && !facts.oidc_audiences.iter().any(|a| a == STS_AUDIENCE) {
        found.lints.push(Lint {
            severity: Severity::Error,
            field: cluster_field.clone(),
            rule: "eks-oidc-audience".into(),
            message: format!(
                "the IAM OIDC provider {provider} does not accept the audience {STS_AUDIENCE} (it has: {}), so STS refuses the pods' tokens. \
                 Add it: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {provider} --client-id {STS_AUDIENCE}`; then plan again",
                if facts.oidc_audiences.is_empty() { "none".to_string() } else { facts.oidc_audiences.join(", ") }
            ),
            acknowledge: false,
        });
    }
    let subject = format!("system:serviceaccount:{namespace}:{service_account}");
    let trust = web_identity_trust(&provider, &issuer, &subject);
    found.errs.extend(policy::check_shape(&format!("trust.{key}"), &trust, DocKind::Trust));
    Some(PlannedServiceAccountRole {
        key: key.clone(),
        arn: iam_arn(ctx.partition, &ctx.account, "role", &ctx.inputs.path, &name),
        name,
        description: r.description.clone(),
        cluster,
        cluster_region: region,
        issuer,
        oidc_provider_arn: provider,
        namespace,
        service_account,
        subject,
        trust_policy: trust,
        attach: attach(&r.attach),
        max_session_seconds: r.max_session_seconds,
        verify_actions: r.verify_actions.clone(),
    })
}

#[cfg(test)]
#[path = "service_accounts_tests.rs"]
mod tests;
