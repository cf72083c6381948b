//! The person's inputs to a run (`RunInputs`), checked against the template and the
//! caller, and resolved into what every part of the plan reads: the partition and
//! account, the template's variables with their defaults, the names, and the tags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RUN_TAG, TEMPLATE_TAG};
use crate::arn::{Arn, Partition};
use crate::policy::{self, LintContext};
use crate::ports::CallerIdentity;
use crate::template::{ExternalIdSpec, Template, Trusted};
use crate::validate::{self, FieldError, FieldErrors, Tag};

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
    /// The template's optional features ticked for this run, by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// What AWS said of the EKS clusters the template's service-account roles name, by
    /// `REGION/NAME` (`service_accounts::cluster_key`): looked up by `Engine::plan`
    /// (eks:DescribeCluster, the account's IAM OIDC providers), which replaces any given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub clusters: BTreeMap<String, super::ClusterFacts>,
}

fn root_path() -> String {
    "/".into()
}

/// The inputs once checked: what the policies, the user and the roles are planned from.
pub(super) struct Resolved<'a> {
    pub inputs: &'a RunInputs,
    pub partition: Partition,
    pub account: String,
    /// The template's variables: the person's values, else the defaults.
    pub vars: BTreeMap<String, String>,
    /// Rolegate's own two tags, then the person's.
    pub tags: Vec<Tag>,
}

impl Resolved<'_> {
    /// What `{{name}}` placeholders stand for: partition, account, region, variables.
    fn substitutions(&self) -> Vec<(&str, &str)> {
        let mut subst: Vec<(&str, &str)> =
            vec![("partition", self.partition.as_str()), ("account", &self.account), ("region", &self.inputs.region)];
        subst.extend(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        subst
    }

    pub fn substitute(&self, doc: &Value) -> Value {
        policy::substitute(doc, &self.substitutions())
    }

    pub fn substitute_str(&self, s: &str) -> String {
        match self.substitute(&Value::String(s.to_string())) {
            Value::String(s) => s,
            _ => unreachable!(),
        }
    }

    /// The name the person gave for `key` (`user`, `role:KEY`, `policy:KEY`), else `default`.
    pub fn name_of(&self, key: &str, default: &str) -> String {
        self.inputs.names.get(key).cloned().unwrap_or_else(|| default.to_string())
    }

    /// How the plan's documents are linted: principals outside this account are third parties.
    pub fn lint_context(&self) -> LintContext<'_> {
        LintContext { own_account: Some(&self.account), external_id_anchors: None }
    }
}

/// Check the inputs against the template and the caller, pushing every problem onto
/// `errs` (each names its field). Only a caller ARN that does not parse stops here.
pub(super) fn resolve<'a>(
    template: &Template,
    inputs: &'a RunInputs,
    caller: &CallerIdentity,
    run_id: &str,
    errs: &mut FieldErrors,
) -> Result<Resolved<'a>, FieldErrors> {
    let partition = Arn::parse("caller_arn", &caller.arn)?.partition;
    let account = caller.account.clone();
    errs.extend(validate::account_id("account", &account));
    errs.extend(validate::region("region", &inputs.region));
    errs.extend(validate::iam_path("path", &inputs.path));
    errs.extend(validate::tags("tags", &inputs.tags));
    check_references(template, inputs, errs);
    let vars = match template.resolve_variables(&inputs.variables) {
        Ok(v) => v,
        Err(e) => {
            errs.extend(e);
            BTreeMap::new()
        }
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
    Ok(Resolved { inputs, partition, account, vars, tags })
}

/// Every name, policy file, External ID and trusted principal given must be for
/// something the template has.
fn check_references(template: &Template, inputs: &RunInputs, errs: &mut FieldErrors) {
    for k in inputs.names.keys() {
        let known = k == "user" && template.user.is_some()
            || k.strip_prefix("role:").is_some_and(|r| template.roles.iter().any(|x| x.key == r))
            || k.strip_prefix("role:").is_some_and(|r| template.service_account_roles.iter().any(|x| x.key == r))
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
    errs.extend(template.unknown_features(&inputs.features));
    if !inputs.trusted_principals.is_empty() && !template.roles.iter().any(|r| matches!(r.trusted, Trusted::Principals(_))) {
        errs.push(FieldError::new(
            "trusted_principal",
            "trust-not-applicable",
            format!("template {} trusts the user it creates; it has no platform principal to replace", template.id),
        ));
    }
}
