//! The plan: from a template, the person's inputs and the caller's identity, every AWS
//! call the run will make, with its exact parameters and documents, in order, with the
//! calls that do not depend on each other marked so they can run together. `build`
//! composes the pieces: the inputs (`inputs`), the policies and the user (here), the
//! roles and their trust (`roles`), and the steps with their ids (`steps`).

pub mod cluster_access;
mod inputs;
mod roles;
pub mod service_accounts;
mod steps;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::arn::{iam_arn, Partition};
use crate::policy::{self, DocKind, Lint, Severity};
use crate::ports::{CallerIdentity, Entropy};
use crate::template::{Mode, Template};
use crate::validate::{self, FieldError, FieldErrors, NameKind, Tag};

pub use cluster_access::PlannedClusterAccess;
pub use inputs::RunInputs;
pub use roles::PlannedRole;
pub use service_accounts::{ClusterFacts, PlannedServiceAccountRole};
pub use steps::{StepId, StepIdError};

use inputs::Resolved;

/// The tag that marks a resource as made by a given Rolegate run.
pub const RUN_TAG: &str = "rolegate:run-id";
/// The tag that names the template a resource was made from.
pub const TEMPLATE_TAG: &str = "rolegate:template";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlannedPolicy {
    pub key: String,
    pub name: String,
    pub arn: String,
    pub description: String,
    pub document: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlannedUser {
    pub name: String,
    pub arn: String,
    /// Managed policies attached to the user.
    pub attach: Vec<String>,
    /// The inline assume-only policy of key+role mode: (name, document).
    pub inline_policy: Option<(String, Value)>,
    pub verify_actions: Vec<String>,
}

/// One AWS call with its exact parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "operation")]
pub enum Call {
    #[serde(rename = "iam:CreatePolicy")]
    CreatePolicy { policy_name: String, path: String, description: String, policy_document: Value, tags: Vec<Tag> },
    #[serde(rename = "iam:CreateUser")]
    CreateUser { user_name: String, path: String, tags: Vec<Tag> },
    #[serde(rename = "iam:AttachUserPolicy")]
    AttachUserPolicy { user_name: String, policy_arn: String },
    #[serde(rename = "iam:PutUserPolicy")]
    PutUserPolicy { user_name: String, policy_name: String, policy_document: Value },
    #[serde(rename = "iam:CreateAccessKey")]
    CreateAccessKey { user_name: String },
    #[serde(rename = "iam:CreateRole")]
    CreateRole {
        role_name: String,
        path: String,
        description: String,
        max_session_duration: u32,
        assume_role_policy_document: Value,
        tags: Vec<Tag>,
    },
    #[serde(rename = "iam:AttachRolePolicy")]
    AttachRolePolicy { role_name: String, policy_arn: String },
    /// Let the platform's identity into an EKS cluster (tagged like the run's IAM resources).
    #[serde(rename = "eks:CreateAccessEntry")]
    CreateAccessEntry {
        cluster: String,
        region: String,
        principal_arn: String,
        username: String,
        kubernetes_groups: Vec<String>,
        tags: Vec<Tag>,
    },
    /// Give that access entry an EKS access policy for the namespaces (cluster-wide when none).
    #[serde(rename = "eks:AssociateAccessPolicy")]
    AssociateAccessPolicy { cluster: String, region: String, principal_arn: String, policy_arn: String, namespaces: Vec<String> },
    /// Poll sts:GetCallerIdentity with the new key until AWS accepts it.
    #[serde(rename = "sts:GetCallerIdentity (wait for the new key)")]
    WaitForAccessKey { user_name: String },
    /// Poll sts:AssumeRole with the new key and the External ID until AWS allows it.
    #[serde(rename = "sts:AssumeRole (wait for the role)")]
    WaitForRole { role_arn: String, external_id: String, session_name: String },
}

impl Call {
    pub fn operation(&self) -> &'static str {
        match self {
            Call::CreatePolicy { .. } => "iam:CreatePolicy",
            Call::CreateUser { .. } => "iam:CreateUser",
            Call::AttachUserPolicy { .. } => "iam:AttachUserPolicy",
            Call::PutUserPolicy { .. } => "iam:PutUserPolicy",
            Call::CreateAccessKey { .. } => "iam:CreateAccessKey",
            Call::CreateRole { .. } => "iam:CreateRole",
            Call::AttachRolePolicy { .. } => "iam:AttachRolePolicy",
            Call::CreateAccessEntry { .. } => "eks:CreateAccessEntry",
            Call::AssociateAccessPolicy { .. } => "eks:AssociateAccessPolicy",
            Call::WaitForAccessKey { .. } => "sts:GetCallerIdentity",
            Call::WaitForRole { .. } => "sts:AssumeRole",
        }
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Step {
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub id: StepId,
    pub summary: String,
    pub call: Call,
    /// Steps that must be done first. Steps whose dependencies are done run together.
    #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
    pub after: Vec<StepId>,
}

/// Everything a run will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Plan {
    pub run_id: String,
    pub template_id: String,
    pub template_name: String,
    pub mode: Mode,
    pub account: String,
    pub partition: Partition,
    pub region: String,
    pub caller_arn: String,
    /// Where the caller's credentials came from (a named profile, the environment...).
    #[serde(default)]
    pub identity: crate::identity::IdentitySource,
    pub path: String,
    pub tags: Vec<Tag>,
    pub policies: Vec<PlannedPolicy>,
    pub user: Option<PlannedUser>,
    pub roles: Vec<PlannedRole>,
    /// Roles for Kubernetes service accounts of an EKS cluster (IRSA), trusted by the
    /// cluster's OIDC provider; no External ID, and no one here can assume them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_account_roles: Vec<PlannedServiceAccountRole>,
    /// The EKS cluster access of the platform's identity: made through the API, or the
    /// person's step (`PlannedClusterAccess::through_api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_access: Option<PlannedClusterAccess>,
    pub steps: Vec<Step>,
    pub lints: Vec<Lint>,
    /// What the template's platform connector creates (`seqera connect`); journals written
    /// before templates said so fall back to the built-in template of the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_credential: Option<crate::template::PlatformConnector>,
    /// The export formats the template offers (`Template.exports`), so a run of a loaded
    /// template offers its own; journals written before plans held them fall back to the
    /// built-in template of the same id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<String>,
}

impl Plan {
    /// The documents of the run's own policies among `attach` (policy ARNs), and an
    /// inline one: what the principal was given by this run, placeholders filled.
    pub fn documents_for<'a>(&'a self, attach: &[String], inline: Option<&'a Value>) -> Vec<&'a Value> {
        let mut docs: Vec<&Value> = self.policies.iter().filter(|p| attach.contains(&p.arn)).map(|p| &p.document).collect();
        docs.extend(inline);
        docs
    }

    /// The warnings that name a way to administrator access (`Lint.acknowledge`): a run
    /// of this plan starts only once the person has said they read them.
    pub fn needs_acknowledgement(&self) -> Vec<Lint> {
        self.lints.iter().filter(|l| l.acknowledge).cloned().collect()
    }

    /// Whether a run of this plan may start: not blocked by a lint error, and its warnings
    /// that need acknowledging acknowledged (`acknowledged`).
    pub fn ready_to_start(&self, acknowledged: bool) -> Result<(), crate::error::RunError> {
        if self.blocked() {
            return Err(crate::error::RunError::Blocked(self.lints.clone()));
        }
        let lints = self.needs_acknowledgement();
        if lints.is_empty() || acknowledged {
            Ok(())
        } else {
            Err(crate::error::RunError::Unacknowledged(lints))
        }
    }

    /// Whether any lint is an error (the run must not start).
    pub fn blocked(&self) -> bool {
        self.lints.iter().any(|l| l.severity == Severity::Error)
    }

    /// The steps grouped in waves: every step of a wave depends only on earlier waves.
    pub fn waves(&self) -> Vec<Vec<&Step>> {
        let mut done: std::collections::HashSet<&StepId> = std::collections::HashSet::new();
        let mut left: Vec<&Step> = self.steps.iter().collect();
        let mut waves = Vec::new();
        while !left.is_empty() {
            let (ready, rest): (Vec<&Step>, Vec<&Step>) = left.into_iter().partition(|s| s.after.iter().all(|d| done.contains(d)));
            assert!(!ready.is_empty(), "plan has a dependency cycle");
            done.extend(ready.iter().map(|s| &s.id));
            waves.push(ready);
            left = rest;
        }
        waves
    }
}

/// The ARN of the planned policy with this name.
pub fn policy_arn(plan: &Plan, name: &str) -> String {
    plan.policies.iter().find(|p| p.name == name).map(|p| p.arn.clone()).unwrap_or_default()
}

/// What planning found so far: input errors (each names its field) and lints.
#[derive(Default)]
struct Findings {
    errs: FieldErrors,
    lints: Vec<Lint>,
}

/// Build the plan for a run, validating every input. Errors name their fields.
pub fn build(
    template: &Template,
    inputs: &RunInputs,
    caller: &CallerIdentity,
    run_id: &str,
    entropy: &dyn Entropy,
) -> Result<Plan, FieldErrors> {
    let mut found = Findings::default();
    let ctx = inputs::resolve(template, inputs, caller, run_id, &mut found.errs)?;
    let policies = plan_policies(template, &ctx, &mut found);
    let attach = |list: &[String]| resolve_attach(list, &policies, &ctx);
    let user_name = template.user.as_ref().map(|u| ctx.name_of("user", &u.name));
    if let Some(n) = &user_name {
        found.errs.extend(validate::iam_name("name.user", NameKind::User, n));
    }
    let user_arn = user_name.as_ref().map(|n| iam_arn(ctx.partition, &ctx.account, "user", &inputs.path, n));
    let roles: Vec<PlannedRole> =
        template.roles.iter().map(|r| roles::plan_role(r, template, &ctx, user_arn.as_deref(), entropy, &attach, &mut found)).collect();
    let service_account_roles: Vec<PlannedServiceAccountRole> = template
        .service_account_roles
        .iter()
        .filter_map(|r| service_accounts::plan_service_account_role(r, &ctx, &attach, &mut found))
        .collect();
    let user = template.user.as_ref().map(|u| PlannedUser {
        arn: user_arn.clone().unwrap_or_default(),
        name: user_name.clone().unwrap_or_default(),
        attach: attach(&u.attach),
        inline_policy: (template.mode == Mode::KeyRole).then(|| assume_only_policy(&roles, &mut found)),
        verify_actions: u.verify_actions.clone(),
    });
    let principal = match (roles.first(), &user) {
        (Some(r), _) => Some((r.arn.as_str(), "role")),
        (None, Some(u)) => Some((u.arn.as_str(), "user")),
        (None, None) => None,
    };
    let cluster_access = template.cluster_access.as_ref().and_then(|a| cluster_access::plan_cluster_access(a, &ctx, principal, &mut found));
    validate::into_result(found.errs)?;

    let mut steps = steps::steps_for(&inputs.path, &ctx.tags, &policies, user.as_ref(), &roles, &service_account_roles, run_id);
    if let Some(a) = cluster_access.as_ref().filter(|a| a.through_api) {
        steps.extend(cluster_access::cluster_access_steps(a, &roles, &ctx.tags));
    }
    Ok(Plan {
        run_id: run_id.to_string(),
        template_id: template.id.clone(),
        template_name: template.name.clone(),
        mode: template.mode,
        account: ctx.account,
        partition: ctx.partition,
        region: inputs.region.clone(),
        caller_arn: caller.arn.clone(),
        identity: Default::default(),
        path: inputs.path.clone(),
        tags: ctx.tags,
        policies,
        user,
        roles,
        service_account_roles,
        cluster_access,
        steps,
        lints: found.lints,
        platform_credential: template.platform_credential,
        exports: template.exports.clone(),
    })
}

/// The template's managed policies with their names and documents filled in, each
/// document checked and linted. A policy with no document given or built in is an error.
fn plan_policies(template: &Template, ctx: &Resolved<'_>, found: &mut Findings) -> Vec<PlannedPolicy> {
    let mut policies = Vec::new();
    for p in &template.policies {
        let name = ctx.name_of(&format!("policy:{}", p.key), &p.name);
        let field = format!("name.policy:{}", p.key);
        found.errs.extend(validate::iam_name(&field, NameKind::Policy, &name));
        let doc_field = format!("policy.{}", p.key);
        let Some(raw) = ctx.inputs.policy_documents.get(&p.key).or(p.document.as_ref()) else {
            found.errs.push(FieldError::new(
                format!("policy_file.{}", p.key),
                "required",
                format!("template {} has no built-in {} policy: supply one with --policy-file {}=FILE", template.id, p.key, p.key),
            ));
            continue;
        };
        let document = ctx.substitute(&template.with_features(&p.key, raw, &ctx.inputs.features));
        if p.is_empty_feature_policy(&document) {
            // No ticked feature adds to it: not made, and not attached (`resolve_attach`).
            continue;
        }
        for ph in policy::placeholders(&document) {
            found.errs.push(FieldError::new(&doc_field, "policy-placeholder", format!("{{{{{ph}}}}} is not a known variable")));
        }
        found.errs.extend(policy::check_shape(&doc_field, &document, DocKind::Managed));
        found.lints.extend(policy::lint(&doc_field, &document, DocKind::Managed, &ctx.lint_context()));
        policies.push(PlannedPolicy {
            key: p.key.clone(),
            arn: iam_arn(ctx.partition, &ctx.account, "policy", &ctx.inputs.path, &name),
            name,
            description: p.description.clone(),
            document,
        });
    }
    policies
}

/// A template's attach list as policy ARNs: `policy:KEY` is this plan's policy, anything
/// else an ARN with its placeholders filled in.
fn resolve_attach(list: &[String], policies: &[PlannedPolicy], ctx: &Resolved<'_>) -> Vec<String> {
    list.iter()
        .map(|a| match a.strip_prefix("policy:") {
            Some(k) => policies.iter().find(|p| p.key == k).map(|p| p.arn.clone()).unwrap_or_default(),
            None => ctx.substitute_str(a),
        })
        .filter(|a| !a.is_empty())
        .collect()
}

/// The inline policy of key+role mode: the user may assume only this run's roles.
fn assume_only_policy(roles: &[PlannedRole], found: &mut Findings) -> (String, Value) {
    let doc = policy::assume_only_policy(&roles.iter().map(|r| r.arn.clone()).collect::<Vec<_>>());
    found.errs.extend(policy::check_shape("user.inline_policy", &doc, DocKind::Inline));
    ("rolegate-assume-roles".to_string(), doc)
}
