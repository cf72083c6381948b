//! The cluster access of a plan: which identity the platform signs in as (the first role
//! of the run, else its user) is let into the EKS cluster, as which Kubernetes user and
//! groups; through an EKS access entry (and access policy) when the cluster's
//! authentication mode admits the API, else the aws-auth ConfigMap entry and the command
//! that edits it, which are the person's to do and never reported as done.

use serde::{Deserialize, Serialize};

use super::inputs::Resolved;
use super::service_accounts::{cluster_key, field_of, validate_cluster_name};
use super::Findings;
use super::{Call, PlannedRole, Step, StepId};
use crate::template::ClusterAccess;
use crate::validate::{self, FieldError, Tag};

/// The cluster access as the run makes it, or leaves to the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlannedClusterAccess {
    pub cluster: String,
    pub cluster_region: String,
    /// The IAM user or role let in.
    pub principal_arn: String,
    /// `user` or `role`.
    pub principal_kind: String,
    pub username: String,
    pub groups: Vec<String>,
    pub access_policy: Option<String>,
    /// The namespaces the access policy is for (cluster-wide when empty).
    pub namespaces: Vec<String>,
    /// The cluster's authentication mode when planned.
    pub authentication_mode: String,
    /// Whether the run makes the access entry (mode `API` or `API_AND_CONFIG_MAP`).
    pub through_api: bool,
    /// The aws-auth ConfigMap entry (`mapUsers` or `mapRoles`) that lets the identity in.
    pub aws_auth_entry: String,
    /// The command that opens the ConfigMap to add it.
    pub aws_auth_command: String,
}

impl PlannedClusterAccess {
    /// What the person does when the run cannot (a `CONFIG_MAP` cluster), in words.
    pub fn persons_step(&self) -> String {
        format!(
            "EKS cluster {} ({}) authenticates through the aws-auth ConfigMap only (authentication mode {}), which no AWS API changes: \
             run `{}` and add\n{}",
            self.cluster, self.cluster_region, self.authentication_mode, self.aws_auth_command, self.aws_auth_entry
        )
    }
}

/// Plan the cluster access for `principal` (ARN, kind) of the run.
pub(super) fn plan_cluster_access(
    a: &ClusterAccess,
    ctx: &Resolved<'_>,
    principal: Option<(&str, &str)>,
    found: &mut Findings,
) -> Option<PlannedClusterAccess> {
    let (principal_arn, kind) = principal?;
    let cluster = ctx.substitute_str(&a.cluster);
    let given_region = ctx.substitute_str(&a.cluster_region);
    let region = if given_region.is_empty() || given_region == "*" { ctx.inputs.region.clone() } else { given_region };
    let field = field_of(&a.cluster, "cluster_access.cluster".into());
    let mut errs = validate_cluster_name(&field, &cluster);
    errs.extend(validate::region(&field_of(&a.cluster_region, "cluster_access.cluster_region".into()), &region));
    if !ctx.inputs.clusters.contains_key(&cluster_key(&region, &cluster)) && errs.is_empty() {
        errs.push(FieldError::new(
            &field,
            "eks-cluster-not-looked-up",
            format!("EKS cluster {cluster} in {region} is described when the run is planned through the engine (Engine::plan); plan again"),
        ));
    }
    if !errs.is_empty() {
        // A service-account role naming the same variable reports it once.
        for e in errs {
            if !found.errs.iter().any(|x| x.field == e.field && x.rule == e.rule) {
                found.errs.push(e);
            }
        }
        return None;
    }
    let facts = &ctx.inputs.clusters[&cluster_key(&region, &cluster)];
    let mode = facts.authentication_mode.clone().unwrap_or_else(|| "CONFIG_MAP".into());
    let username = if kind == "user" { a.user_username.clone() } else { a.role_username.clone() };
    let namespace = ctx.substitute_str(&a.namespace);
    let groups: String = a.groups.iter().map(|g| format!("\n      - {g}")).collect();
    let (section, arn_key) = if kind == "user" { ("mapUsers", "userarn") } else { ("mapRoles", "rolearn") };
    Some(PlannedClusterAccess {
        cluster: cluster.clone(),
        cluster_region: region.clone(),
        principal_arn: principal_arn.to_string(),
        principal_kind: kind.to_string(),
        aws_auth_entry: format!("{section}: |\n  - {arn_key}: {principal_arn}\n    username: {username}\n    groups:{groups}"),
        aws_auth_command: format!(
            "aws eks update-kubeconfig --name {cluster} --region {region} && kubectl edit configmap -n kube-system aws-auth"
        ),
        username,
        groups: a.groups.clone(),
        access_policy: a.access_policy.clone(),
        namespaces: if namespace.is_empty() { Vec::new() } else { vec![namespace] },
        through_api: matches!(mode.as_str(), "API" | "API_AND_CONFIG_MAP"),
        authentication_mode: mode,
    })
}

/// The steps of a cluster access made through the API: the access entry once its
/// principal exists, then its access policy.
pub(super) fn cluster_access_steps(a: &PlannedClusterAccess, roles: &[PlannedRole], tags: &[Tag]) -> Vec<Step> {
    let principal = match roles.iter().find(|r| r.arn == a.principal_arn) {
        Some(r) => StepId::role(&r.key),
        None => StepId::User,
    };
    let mut steps = vec![Step {
        id: StepId::EksAccessEntry,
        summary: format!(
            "Let {} into EKS cluster {} as Kubernetes user {} (groups {})",
            a.principal_arn,
            a.cluster,
            a.username,
            a.groups.join(", ")
        ),
        call: Call::CreateAccessEntry {
            cluster: a.cluster.clone(),
            region: a.cluster_region.clone(),
            principal_arn: a.principal_arn.clone(),
            username: a.username.clone(),
            kubernetes_groups: a.groups.clone(),
            tags: tags.to_vec(),
        },
        after: vec![principal],
    }];
    if let Some(policy) = &a.access_policy {
        steps.push(Step {
            id: StepId::EksAccessPolicy,
            summary: format!(
                "Associate {policy} with that access entry{}",
                if a.namespaces.is_empty() {
                    " for the whole cluster".to_string()
                } else {
                    format!(" for namespace {}", a.namespaces.join(", "))
                }
            ),
            call: Call::AssociateAccessPolicy {
                cluster: a.cluster.clone(),
                region: a.cluster_region.clone(),
                principal_arn: a.principal_arn.clone(),
                policy_arn: policy.clone(),
                namespaces: a.namespaces.clone(),
            },
            after: vec![StepId::EksAccessEntry],
        });
    }
    steps
}
