//! The roles of a plan: whom each role trusts, the External ID it requires and the
//! condition that checks it, and the trust policy built from them (checked and linted).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::inputs::Resolved;
use super::Findings;
use crate::arn::{iam_arn, Principal};
use crate::policy::{self, DocKind, ExternalIdCondition, LintContext};
use crate::ports::Entropy;
use crate::template::{ExternalIdSpec, RoleTemplate, Template, TrustKeyword, Trusted};
use crate::validate::{self, FieldError, NameKind};

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

/// Plan one role of the template. `user_arn` is the user this run creates, if any;
/// `attach` turns the template's attach list into policy ARNs.
pub(super) fn plan_role(
    r: &RoleTemplate,
    template: &Template,
    ctx: &Resolved<'_>,
    user_arn: Option<&str>,
    entropy: &dyn Entropy,
    attach: &dyn Fn(&[String]) -> Vec<String>,
    found: &mut Findings,
) -> PlannedRole {
    let key = &r.key;
    let name = ctx.name_of(&format!("role:{key}"), &r.name);
    found.errs.extend(validate::iam_name(&format!("name.role:{key}"), NameKind::Role, &name));
    let arn = iam_arn(ctx.partition, &ctx.account, "role", &ctx.inputs.path, &name);
    let (principals, trusts_created_user) = trusted(r, ctx, user_arn, found);
    let (external_id, condition) = external_id(r, template, ctx, entropy, found);
    let trust = policy::trust_policy(&principals, &condition);
    let trust_field = format!("trust.{key}");
    found.errs.extend(policy::check_shape(&trust_field, &trust, DocKind::Trust));
    let trust_ctx = LintContext { external_id_anchors: Some(&condition.anchors), ..ctx.lint_context() };
    found.lints.extend(policy::lint(&trust_field, &trust, DocKind::Trust, &trust_ctx));
    PlannedRole {
        key: key.clone(),
        name,
        arn,
        description: r.description.clone(),
        principals,
        trusts_created_user,
        external_id,
        condition,
        trust_policy: trust,
        attach: attach(&r.attach),
        max_session_seconds: r.max_session_seconds,
        verify_actions: r.verify_actions.clone(),
    }
}

/// The principals the role trusts, as written in its trust policy, and whether that is
/// the user this run creates. The person's `trusted_principals` replace a platform's.
fn trusted(r: &RoleTemplate, ctx: &Resolved<'_>, user_arn: Option<&str>, found: &mut Findings) -> (Vec<String>, bool) {
    match &r.trusted {
        Trusted::Keyword(TrustKeyword::CreatedUser) => (user_arn.iter().map(|a| a.to_string()).collect(), true),
        Trusted::Principals(list) => {
            let raw: Vec<String> = if ctx.inputs.trusted_principals.is_empty() {
                list.iter().map(|p| ctx.substitute_str(p)).collect()
            } else {
                ctx.inputs.trusted_principals.clone()
            };
            if raw.is_empty() {
                found.errs.push(FieldError::new(
                    "trusted_principal",
                    "required",
                    format!("role {} needs a trusted principal: the platform's account id or role ARN", r.key),
                ));
            }
            let mut values = Vec::new();
            for (i, p) in raw.iter().enumerate() {
                match Principal::parse(&format!("trusted_principal[{i}]"), p) {
                    Ok(pr) => values.push(pr.policy_value(ctx.partition)),
                    Err(e) => found.errs.extend(e),
                }
            }
            (values, false)
        }
    }
}

/// The External ID the trusted side sends and the condition the trust policy checks it
/// with: a uuid (given, or new) matched exactly, or the template's pattern filled in.
fn external_id(
    r: &RoleTemplate,
    template: &Template,
    ctx: &Resolved<'_>,
    entropy: &dyn Entropy,
    found: &mut Findings,
) -> (String, ExternalIdCondition) {
    let field = format!("external_id.{}", r.key);
    match &r.external_id {
        ExternalIdSpec::Uuid => {
            let v = ctx.inputs.external_ids.get(&r.key).cloned().unwrap_or_else(|| entropy.uuid());
            found.errs.extend(validate::external_id(&field, &v));
            let c = ExternalIdCondition::for_value(&v);
            (v, c)
        }
        ExternalIdSpec::Pattern { value, condition } => {
            let v = ctx.substitute_str(value);
            let c = ctx.substitute_str(condition);
            // The values the run fills in: the variables without a default.
            let anchors: Vec<String> =
                template.variables.iter().filter(|x| x.default.is_none()).filter_map(|x| ctx.vars.get(&x.name).cloned()).collect();
            found.errs.extend(validate::external_id(&field, &v));
            if !policy::glob_match(&c, &v) {
                found.errs.push(FieldError::new(
                    &field,
                    "external-id-pattern",
                    format!("the External ID {v:?} does not match the trust condition {c:?}"),
                ));
            }
            (v, ExternalIdCondition::for_value(&c).with_anchors(anchors))
        }
    }
}
