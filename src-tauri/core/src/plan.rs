//! The plan: from a template, the person's inputs and the caller's identity, every AWS
//! call the run will make, with its exact parameters and documents, in order, with the
//! calls that do not depend on each other marked so they can run together.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::arn::{iam_arn, Arn, Partition, Principal};
use crate::policy::{self, DocKind, ExternalIdCondition, Lint, LintContext, Severity};
use crate::ports::{CallerIdentity, Entropy};
use crate::template::{ExternalIdSpec, Mode, Template, TrustKeyword, Trusted};
use crate::validate::{self, FieldError, FieldErrors, NameKind, Tag};

/// The tag that marks a resource as made by a given Rolegate run.
pub const RUN_TAG: &str = "rolegate:run-id";
/// The tag that names the template a resource was made from.
pub const TEMPLATE_TAG: &str = "rolegate:template";

/// What the person chose for a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RunInputs {
    pub template_id: String,
    pub region: String,
    /// IAM path for everything created (`/` by default).
    #[serde(default = "root_path")]
    pub path: String,
    /// Name overrides: `user`, `role:KEY`, `policy:KEY`.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Replaces the trusted principals of every role that trusts a platform principal.
    #[serde(default)]
    pub trusted_principals: Vec<String>,
    /// External IDs the receiving platform gave, by role key (uuid scheme only).
    #[serde(default)]
    pub external_ids: BTreeMap<String, String>,
    /// Policy documents that replace the template's, by policy key.
    #[serde(default)]
    pub policy_documents: BTreeMap<String, Value>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

fn root_path() -> String {
    "/".into()
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlannedRole {
    pub key: String,
    pub name: String,
    pub arn: String,
    pub description: String,
    /// Principal values as written in the trust policy.
    pub principals: Vec<String>,
    /// Whether the trusted principal is the user this run creates.
    pub trusts_created_user: bool,
    /// The External ID the trusted side sends (and verification uses).
    pub external_id: String,
    pub condition: ExternalIdCondition,
    pub trust_policy: Value,
    pub attach: Vec<String>,
    pub max_session_seconds: u32,
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
            Call::WaitForAccessKey { .. } => "sts:GetCallerIdentity",
            Call::WaitForRole { .. } => "sts:AssumeRole",
        }
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Step {
    pub id: String,
    pub summary: String,
    pub call: Call,
    /// Steps that must be done first. Steps whose dependencies are done run together.
    pub after: Vec<String>,
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
    pub steps: Vec<Step>,
    pub lints: Vec<Lint>,
}

impl Plan {
    /// Whether any lint is an error (the run must not start).
    pub fn blocked(&self) -> bool {
        self.lints.iter().any(|l| l.severity == Severity::Error)
    }

    /// The steps grouped in waves: every step of a wave depends only on earlier waves.
    pub fn waves(&self) -> Vec<Vec<&Step>> {
        let mut done: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut left: Vec<&Step> = self.steps.iter().collect();
        let mut waves = Vec::new();
        while !left.is_empty() {
            let (ready, rest): (Vec<&Step>, Vec<&Step>) = left.into_iter().partition(|s| s.after.iter().all(|d| done.contains(d.as_str())));
            assert!(!ready.is_empty(), "plan has a dependency cycle");
            done.extend(ready.iter().map(|s| s.id.as_str()));
            waves.push(ready);
            left = rest;
        }
        waves
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// The ARN of the planned policy with this name.
pub fn policy_arn(plan: &Plan, name: &str) -> String {
    plan.policies.iter().find(|p| p.name == name).map(|p| p.arn.clone()).unwrap_or_default()
}

/// Parse the partition out of a caller ARN.
pub fn partition_of(caller_arn: &str) -> Result<Partition, FieldErrors> {
    Ok(Arn::parse("caller_arn", caller_arn)?.partition)
}

/// Build the plan for a run, validating every input. Errors name their fields.
pub fn build(
    template: &Template,
    inputs: &RunInputs,
    caller: &CallerIdentity,
    run_id: &str,
    entropy: &dyn Entropy,
) -> Result<Plan, FieldErrors> {
    let mut errs: FieldErrors = Vec::new();
    let partition = partition_of(&caller.arn)?;
    let account = caller.account.clone();
    errs.extend(validate::account_id("account", &account));
    errs.extend(validate::region("region", &inputs.region));
    errs.extend(validate::iam_path("path", &inputs.path));
    errs.extend(validate::tags("tags", &inputs.tags));
    for k in inputs.names.keys() {
        let known = k == "user" && template.user.is_some()
            || k.strip_prefix("role:").is_some_and(|r| template.roles.iter().any(|x| x.key == r))
            || k.strip_prefix("policy:").is_some_and(|p| template.policies.iter().any(|x| x.key == p));
        if !known {
            errs.push(FieldError::new(
                format!("name.{k}"),
                "unknown-name",
                format!("template {} has nothing called {k:?}; use user, role:KEY or policy:KEY", template.id),
            ));
        }
    }
    for k in inputs.policy_documents.keys() {
        if !template.policies.iter().any(|p| &p.key == k) {
            errs.push(FieldError::new(
                format!("policy_file.{k}"),
                "unknown-policy",
                format!("template {} has no policy {k:?}", template.id),
            ));
        }
    }
    for k in inputs.external_ids.keys() {
        match template.roles.iter().find(|r| &r.key == k) {
            None => errs.push(FieldError::new(
                format!("external_id.{k}"),
                "unknown-role",
                format!("template {} has no role {k:?}", template.id),
            )),
            Some(r) if r.external_id != ExternalIdSpec::Uuid => errs.push(FieldError::new(
                format!("external_id.{k}"),
                "external-id-scheme",
                "this role's External ID is built from the template's variables; set those instead",
            )),
            _ => {}
        }
    }
    if !inputs.trusted_principals.is_empty() && !template.roles.iter().any(|r| matches!(r.trusted, Trusted::Principals(_))) {
        errs.push(FieldError::new(
            "trusted_principal",
            "trust-not-applicable",
            format!("template {} trusts the user it creates; it has no platform principal to replace", template.id),
        ));
    }
    let vars = match template.resolve_variables(&inputs.variables) {
        Ok(v) => v,
        Err(e) => {
            errs.extend(e);
            BTreeMap::new()
        }
    };
    let mut subst: Vec<(&str, &str)> = vec![("partition", partition.as_str()), ("account", &account), ("region", &inputs.region)];
    subst.extend(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let subst_str = |s: &str| match policy::substitute(&Value::String(s.to_string()), &subst) {
        Value::String(s) => s,
        _ => unreachable!(),
    };

    let mut tags = vec![Tag::new(RUN_TAG, run_id), Tag::new(TEMPLATE_TAG, &template.id)];
    tags.extend(inputs.tags.iter().cloned());
    if tags.len() > validate::MAX_TAGS {
        errs.push(FieldError::new(
            "tags",
            "tags-count",
            format!("Rolegate adds 2 tags of its own, so at most {} may be given", validate::MAX_TAGS - 2),
        ));
    }
    let path = inputs.path.clone();
    let name_of = |key: &str, default: &str| inputs.names.get(key).cloned().unwrap_or_else(|| default.to_string());
    let ctx = LintContext { own_account: Some(&account), external_id_anchors: None };
    let mut lints = Vec::new();

    // Policies.
    let mut policies = Vec::new();
    for p in &template.policies {
        let name = name_of(&format!("policy:{}", p.key), &p.name);
        let field = format!("name.policy:{}", p.key);
        errs.extend(validate::iam_name(&field, NameKind::Policy, &name));
        let doc_field = format!("policy.{}", p.key);
        let Some(raw) = inputs.policy_documents.get(&p.key).or(p.document.as_ref()) else {
            errs.push(FieldError::new(
                format!("policy_file.{}", p.key),
                "required",
                format!("template {} has no built-in {} policy: supply one with --policy-file {}=FILE", template.id, p.key, p.key),
            ));
            continue;
        };
        let document = policy::substitute(raw, &subst);
        for ph in policy::placeholders(&document) {
            errs.push(FieldError::new(&doc_field, "policy-placeholder", format!("{{{{{ph}}}}} is not a known variable")));
        }
        errs.extend(policy::check_shape(&doc_field, &document, DocKind::Managed));
        lints.extend(policy::lint(&doc_field, &document, DocKind::Managed, &ctx));
        policies.push(PlannedPolicy {
            key: p.key.clone(),
            arn: iam_arn(partition, &account, "policy", &path, &name),
            name,
            description: p.description.clone(),
            document,
        });
    }
    let resolve_attach = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|a| match a.strip_prefix("policy:") {
                Some(k) => policies.iter().find(|p| p.key == k).map(|p| p.arn.clone()).unwrap_or_default(),
                None => subst_str(a),
            })
            .filter(|a| !a.is_empty())
            .collect()
    };

    // The user.
    let user_name = template.user.as_ref().map(|u| name_of("user", &u.name));
    if let Some(n) = &user_name {
        errs.extend(validate::iam_name("name.user", NameKind::User, n));
    }
    let user_arn = user_name.as_ref().map(|n| iam_arn(partition, &account, "user", &path, n));

    // Roles.
    let mut roles = Vec::new();
    for r in &template.roles {
        let key = &r.key;
        let name = name_of(&format!("role:{key}"), &r.name);
        errs.extend(validate::iam_name(&format!("name.role:{key}"), NameKind::Role, &name));
        let arn = iam_arn(partition, &account, "role", &path, &name);
        let (principals, trusts_created_user) = match &r.trusted {
            Trusted::Keyword(TrustKeyword::CreatedUser) => (user_arn.iter().cloned().collect::<Vec<_>>(), true),
            Trusted::Principals(list) => {
                let raw: Vec<String> = if inputs.trusted_principals.is_empty() {
                    list.iter().map(|p| subst_str(p)).collect()
                } else {
                    inputs.trusted_principals.clone()
                };
                if raw.is_empty() {
                    errs.push(FieldError::new(
                        "trusted_principal",
                        "required",
                        format!("role {key} needs a trusted principal: the platform's account id or role ARN"),
                    ));
                }
                let mut values = Vec::new();
                for (i, p) in raw.iter().enumerate() {
                    match Principal::parse(&format!("trusted_principal[{i}]"), p) {
                        Ok(pr) => values.push(pr.policy_value(partition)),
                        Err(e) => errs.extend(e),
                    }
                }
                (values, false)
            }
        };
        let (external_id, condition) = match &r.external_id {
            ExternalIdSpec::Uuid => {
                let v = inputs.external_ids.get(key).cloned().unwrap_or_else(|| entropy.uuid());
                errs.extend(validate::external_id(&format!("external_id.{key}"), &v));
                let c = ExternalIdCondition::for_value(&v);
                (v, c)
            }
            ExternalIdSpec::Pattern { value, condition } => {
                let v = subst_str(value);
                let c = subst_str(condition);
                // The values the run fills in: the variables without a default.
                let anchors: Vec<String> =
                    template.variables.iter().filter(|x| x.default.is_none()).filter_map(|x| vars.get(&x.name).cloned()).collect();
                let field = format!("external_id.{key}");
                errs.extend(validate::external_id(&field, &v));
                if !policy::glob_match(&c, &v) {
                    errs.push(FieldError::new(
                        &field,
                        "external-id-pattern",
                        format!("the External ID {v:?} does not match the trust condition {c:?}"),
                    ));
                }
                (v, ExternalIdCondition::for_value(&c).with_anchors(anchors))
            }
        };
        let trust = policy::trust_policy(&principals, &condition);
        let trust_field = format!("trust.{key}");
        errs.extend(policy::check_shape(&trust_field, &trust, DocKind::Trust));
        let trust_ctx = LintContext { external_id_anchors: Some(&condition.anchors), ..ctx };
        lints.extend(policy::lint(&trust_field, &trust, DocKind::Trust, &trust_ctx));
        roles.push(PlannedRole {
            key: key.clone(),
            name,
            arn,
            description: r.description.clone(),
            principals,
            trusts_created_user,
            external_id,
            condition,
            trust_policy: trust,
            attach: resolve_attach(&r.attach),
            max_session_seconds: r.max_session_seconds,
            verify_actions: r.verify_actions.clone(),
        });
    }

    let user = template.user.as_ref().map(|u| {
        let name = user_name.clone().unwrap_or_default();
        let inline_policy = (template.mode == Mode::KeyRole).then(|| {
            let doc = policy::assume_only_policy(&roles.iter().map(|r| r.arn.clone()).collect::<Vec<_>>());
            errs.extend(policy::check_shape("user.inline_policy", &doc, DocKind::Inline));
            ("rolegate-assume-roles".to_string(), doc)
        });
        PlannedUser {
            arn: user_arn.clone().unwrap_or_default(),
            name,
            attach: resolve_attach(&u.attach),
            inline_policy,
            verify_actions: u.verify_actions.clone(),
        }
    });

    validate::into_result(errs)?;

    let steps = steps_for(&path, &tags, &policies, user.as_ref(), &roles, run_id);
    Ok(Plan {
        run_id: run_id.to_string(),
        template_id: template.id.clone(),
        template_name: template.name.clone(),
        mode: template.mode,
        account,
        partition,
        region: inputs.region.clone(),
        caller_arn: caller.arn.clone(),
        identity: Default::default(),
        path,
        tags,
        policies,
        user,
        roles,
        steps,
        lints,
    })
}

fn steps_for(
    path: &str,
    tags: &[Tag],
    policies: &[PlannedPolicy],
    user: Option<&PlannedUser>,
    roles: &[PlannedRole],
    run_id: &str,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let policy_step = |arn: &str| policies.iter().find(|p| p.arn == arn).map(|p| format!("policy:{}", p.key));
    for p in policies {
        steps.push(Step {
            id: format!("policy:{}", p.key),
            summary: format!("Create the managed policy {}", p.name),
            call: Call::CreatePolicy {
                policy_name: p.name.clone(),
                path: path.into(),
                description: p.description.clone(),
                policy_document: p.document.clone(),
                tags: tags.to_vec(),
            },
            after: vec![],
        });
    }
    if let Some(u) = user {
        steps.push(Step {
            id: "user".into(),
            summary: format!("Create the IAM user {}", u.name),
            call: Call::CreateUser { user_name: u.name.clone(), path: path.into(), tags: tags.to_vec() },
            after: vec![],
        });
        for arn in &u.attach {
            steps.push(Step {
                id: format!("user-attach:{arn}"),
                summary: format!("Attach {arn} to user {}", u.name),
                call: Call::AttachUserPolicy { user_name: u.name.clone(), policy_arn: arn.clone() },
                after: std::iter::once("user".to_string()).chain(policy_step(arn)).collect(),
            });
        }
        if let Some((name, doc)) = &u.inline_policy {
            steps.push(Step {
                id: "user-inline".into(),
                summary: format!("Let user {} assume only its roles (inline policy {name})", u.name),
                call: Call::PutUserPolicy { user_name: u.name.clone(), policy_name: name.clone(), policy_document: doc.clone() },
                after: vec!["user".into()],
            });
        }
        steps.push(Step {
            id: "access-key".into(),
            summary: format!("Create an access key for {} and store its secret in the keychain", u.name),
            call: Call::CreateAccessKey { user_name: u.name.clone() },
            after: vec!["user".into()],
        });
    }
    for r in roles {
        let mut after = Vec::new();
        if r.trusts_created_user {
            after.push("user".to_string());
        }
        steps.push(Step {
            id: format!("role:{}", r.key),
            summary: format!("Create the role {} trusting {} with the External ID", r.name, r.principals.join(", ")),
            call: Call::CreateRole {
                role_name: r.name.clone(),
                path: path.into(),
                description: r.description.clone(),
                max_session_duration: r.max_session_seconds,
                assume_role_policy_document: r.trust_policy.clone(),
                tags: tags.to_vec(),
            },
            after,
        });
        for arn in &r.attach {
            steps.push(Step {
                id: format!("role-attach:{}:{arn}", r.key),
                summary: format!("Attach {arn} to role {}", r.name),
                call: Call::AttachRolePolicy { role_name: r.name.clone(), policy_arn: arn.clone() },
                after: std::iter::once(format!("role:{}", r.key)).chain(policy_step(arn)).collect(),
            });
        }
    }
    if let Some(u) = user {
        steps.push(Step {
            id: "wait:access-key".into(),
            summary: "Wait until AWS accepts the new access key".into(),
            call: Call::WaitForAccessKey { user_name: u.name.clone() },
            after: vec!["access-key".into()],
        });
        for r in roles.iter().filter(|r| r.trusts_created_user) {
            let mut after: Vec<String> = vec!["wait:access-key".into(), format!("role:{}", r.key)];
            if u.inline_policy.is_some() {
                after.push("user-inline".into());
            }
            after.extend(r.attach.iter().map(|a| format!("role-attach:{}:{a}", r.key)));
            steps.push(Step {
                id: format!("wait:role:{}", r.key),
                summary: format!("Wait until the new key can assume {} with the External ID", r.name),
                call: Call::WaitForRole { role_arn: r.arn.clone(), external_id: r.external_id.clone(), session_name: run_id.to_string() },
                after,
            });
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::find_builtin;
    use crate::testing::FixedEntropy;

    fn caller() -> CallerIdentity {
        CallerIdentity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/admin".into(), user_id: "AIDA".into() }
    }

    fn inputs(t: &str) -> RunInputs {
        RunInputs { template_id: t.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
    }

    #[test]
    fn key_role_plan_has_every_call_in_dependency_waves() {
        let t = find_builtin("seqera-batch-launch").unwrap();
        let plan = build(&t, &inputs("seqera-batch-launch"), &caller(), "rg-test1", &FixedEntropy::default()).unwrap();
        let waves: Vec<Vec<&str>> = plan.waves().iter().map(|w| w.iter().map(|s| s.id.as_str()).collect()).collect();
        assert_eq!(
            waves,
            vec![
                vec!["policy:main", "user"],
                vec!["user-inline", "access-key", "role:main"],
                vec!["role-attach:main:arn:aws:iam::123456789012:policy/seqera-batch-launch", "wait:access-key"],
                vec!["wait:role:main"],
            ]
        );
        let role = &plan.roles[0];
        assert_eq!(role.principals, ["arn:aws:iam::123456789012:user/seqera-launch"]);
        assert_eq!(role.external_id, "00000000-0000-4000-8000-000000000001");
        assert_eq!(role.trust_policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], role.external_id.as_str());
        assert_eq!(role.trust_policy["Statement"][1]["Action"], "sts:TagSession");
        let (_, inline) = plan.user.as_ref().unwrap().inline_policy.as_ref().unwrap();
        assert_eq!(inline["Statement"][0]["Resource"][0], "arn:aws:iam::123456789012:role/seqera-launch");
        assert!(plan.tags.contains(&Tag::new(RUN_TAG, "rg-test1")));
        assert!(!plan.blocked());
    }

    #[test]
    fn role_plan_trusts_the_platform_in_the_callers_partition() {
        let t = find_builtin("seqera-cloud-role").unwrap();
        let mut c = caller();
        c.arn = "arn:aws-cn:iam::123456789012:user/admin".into();
        let plan = build(&t, &inputs("seqera-cloud-role"), &c, "rg-x", &FixedEntropy::default()).unwrap();
        assert_eq!(plan.roles[0].principals, ["arn:aws-cn:iam::161471496260:role/SeqeraPlatformCloudAccessRole"]);
        assert_eq!(plan.roles[0].arn, "arn:aws-cn:iam::123456789012:role/seqera-cloud-access");
        assert!(plan.user.is_none());
        assert!(plan.steps.iter().all(|s| !matches!(s.call, Call::WaitForRole { .. })));
    }

    #[test]
    fn spacelift_external_ids_follow_the_pattern() {
        let t = find_builtin("spacelift").unwrap();
        let mut i = inputs("spacelift");
        i.variables.insert("spacelift_account".into(), "acme".into());
        let plan = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap();
        assert_eq!(plan.roles[0].external_id, "acme@rolegate-verify@rolegate-verify@read");
        assert_eq!(
            plan.roles[1].condition,
            ExternalIdCondition { operator: "StringLike".into(), value: "acme@*@*@write".into(), anchors: vec!["acme".into()] }
        );
        assert_eq!(plan.roles[0].principals, ["arn:aws:iam::324880187172:root"]);
        assert_eq!(plan.roles[0].attach, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    }

    #[test]
    fn bad_inputs_name_their_fields() {
        let t = find_builtin("seqera-batch-launch").unwrap();
        let mut i = inputs("seqera-batch-launch");
        i.names.insert("user".into(), "bad name".into());
        i.names.insert("role:nope".into(), "x".into());
        i.region = "mars".into();
        i.path = "nopath".into();
        i.external_ids.insert("main".into(), "x".into());
        i.tags.push(Tag::new("aws:x", "y"));
        let errs = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap_err();
        let got: Vec<(String, String)> = errs.into_iter().map(|e| (e.field, e.rule)).collect();
        for want in [
            ("name.user", "iam-name-chars"),
            ("name.role:nope", "unknown-name"),
            ("region", "region"),
            ("path", "iam-path-slashes"),
            ("external_id.main", "external-id-length"),
            ("tags[0].key", "tag-key-reserved"),
        ] {
            assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} not in {got:?}");
        }
    }

    #[test]
    fn custom_requires_a_policy_and_lints_it() {
        let t = find_builtin("custom").unwrap();
        let errs = build(&t, &inputs("custom"), &caller(), "rg-x", &FixedEntropy::default()).unwrap_err();
        assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("policy_file.main", "required"));
        let mut i = inputs("custom");
        i.policy_documents.insert(
            "main".into(),
            serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}),
        );
        let plan = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap();
        assert_eq!(plan.lints.len(), 1);
        assert_eq!(plan.lints[0].rule, "admin-grant");
        assert!(!plan.blocked(), "a warning does not block");
    }

    #[test]
    fn an_unanchored_external_id_condition_blocks_the_plan() {
        // A template that skipped the loader's check (built in code, or sent whole)
        // still cannot plan an open trust.
        let mut i = inputs("spacelift");
        i.variables.insert("spacelift_account".into(), "acme".into());
        for (value, condition, open) in [
            ("acme@i@s@read", "*", true),
            ("acme@i@s@read", "*@*@*@read", true),
            ("rolegate-verify@x", "{{integration}}@*", true),
            ("acmeevil@i@s@read", "{{spacelift_account}}*", true),
            ("acme@i@s@read", "{{spacelift_account}}@*@*@read", false),
        ] {
            let mut t = find_builtin("spacelift").unwrap();
            t.roles[0].external_id = ExternalIdSpec::Pattern { value: value.into(), condition: condition.into() };
            let plan = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap();
            let hit = plan.lints.iter().find(|l| l.rule == "trust-external-id-unanchored");
            assert_eq!(plan.blocked(), open, "{condition}: {:?}", plan.lints);
            assert_eq!(hit.is_some(), open, "{condition}: {:?}", plan.lints);
            if let Some(l) = hit {
                assert_eq!((l.severity, l.field.as_str()), (Severity::Error, "trust.read.Statement[0].Condition"));
            }
        }
    }

    #[test]
    fn an_open_third_party_trust_is_blocked() {
        // A custom role template trusting another account's role with a uuid External ID
        // is fine; replacing the principal with "*" is rejected as input.
        let t = find_builtin("seqera-cloud-role").unwrap();
        let mut i = inputs("seqera-cloud-role");
        i.trusted_principals = vec!["*".into()];
        let errs = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap_err();
        assert_eq!(errs[0].rule, "principal-wildcard");
    }
}
