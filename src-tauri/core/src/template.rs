//! Templates: what a platform needs created, as data. The built-in ones ship as JSON
//! files beside this crate; a person can load their own file of the same format
//! (docs/TEMPLATES.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lint;
use crate::policy::{self, DocKind, ExternalIdCondition};
use crate::validate::{self, FieldError, FieldErrors, NameKind};

pub use crate::template_variants::{pick, ClusterAccess, Feature, PolicyReference, ServiceAccountRole, Variant};

/// The format tag every template file carries.
pub const FORMAT: &str = "rolegate-template/v1";

/// How the receiving platform will authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Mode {
    /// An IAM user and its access key; the permissions sit on the user.
    #[serde(rename = "key")]
    Key,
    /// A role only, trusting the platform's own principal, guarded by the External ID.
    #[serde(rename = "role")]
    Role,
    /// A user whose key may only assume the role; the role holds the permissions.
    #[serde(rename = "key+role")]
    KeyRole,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Key => "key",
            Mode::Role => "role",
            Mode::KeyRole => "key+role",
        }
    }
}

/// A value the person supplies (or accepts the default of) when using the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Variable {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// `account-id`, `slug` (letters, digits, `_.-`) or `scope` (a slug, or `*` for
    /// every one: a bucket or region a policy may be narrowed to).
    #[serde(default = "default_var_kind")]
    pub kind: String,
    #[serde(default)]
    pub default: Option<String>,
}

fn default_var_kind() -> String {
    "slug".into()
}

/// A customer managed policy the run creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PolicyTemplate {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The document; strings may hold `{{partition}}`, `{{account}}`, `{{region}}` and
    /// the template's variables. `null` means the person must supply it
    /// (`--policy-file KEY=FILE`).
    pub document: Option<Value>,
    /// The platform document the policy follows, for the reference test and the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<PolicyReference>,
    /// Made only when a ticked feature adds statements to it: its document holds none of
    /// its own (`"Statement": []`), and without such a feature the run makes no policy
    /// and no attachment of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_with_features: bool,
}

impl PolicyTemplate {
    /// Whether a document of this policy is a feature-only policy's empty one.
    pub fn is_empty_feature_policy(&self, doc: &Value) -> bool {
        self.only_with_features && policy::as_list(&doc["Statement"]).is_empty()
    }
}

/// The IAM user of key-based and key+role modes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UserTemplate {
    pub name: String,
    /// Policies attached to the user (key mode): `policy:KEY` or a policy ARN.
    #[serde(default)]
    pub attach: Vec<String>,
    /// Actions `iam:SimulatePrincipalPolicy` checks for the user (key mode).
    #[serde(default)]
    pub verify_actions: Vec<String>,
}

/// Who a role trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(untagged)]
pub enum Trusted {
    /// The keyword `created-user`: the user this run creates.
    Keyword(TrustKeyword),
    /// Principal ARNs or account ids (strings may hold variables).
    Principals(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum TrustKeyword {
    CreatedUser,
}

/// How the External ID is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum ExternalIdSpec {
    /// A random UUID, generated for this run (the receiving platform may supply its own).
    Uuid,
    /// A value built from variables, as a platform would send it, and the (possibly
    /// wildcarded) condition the trust policy matches it with.
    Pattern { value: String, condition: String },
}

/// A role the run creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RoleTemplate {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub trusted: Trusted,
    pub external_id: ExternalIdSpec,
    /// Policies attached to the role: `policy:KEY` or a policy ARN.
    #[serde(default)]
    pub attach: Vec<String>,
    #[serde(default = "default_session")]
    pub max_session_seconds: u32,
    #[serde(default)]
    pub verify_actions: Vec<String>,
}

fn default_session() -> u32 {
    3600
}

/// A whole template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Template {
    pub format: String,
    pub id: String,
    pub name: String,
    pub platform: String,
    #[serde(default)]
    pub description: String,
    pub mode: Mode,
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub policies: Vec<PolicyTemplate>,
    #[serde(default)]
    pub user: Option<UserTemplate>,
    #[serde(default)]
    pub roles: Vec<RoleTemplate>,
    /// Roles for a Kubernetes service account of an EKS cluster (IRSA), made in every
    /// mode of the template (`ServiceAccountRole`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_account_roles: Vec<ServiceAccountRole>,
    /// Access to an EKS cluster for the identity the platform signs in as (`ClusterAccess`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_access: Option<ClusterAccess>,
    /// Export formats the template offers (`aws-profile`, `env`, `seqera`, ...).
    #[serde(default)]
    pub exports: Vec<String>,
    /// Where the policy came from, for the person reviewing it.
    #[serde(default)]
    pub source: String,
    /// The credential Rolegate can create for this template on the receiving platform
    /// through its API (`rolegate seqera connect`); none when there is no connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_credential: Option<PlatformConnector>,
    /// Optional statements the person may tick, each added to one policy.
    #[serde(default)]
    pub features: Vec<Feature>,
    /// The same template in other modes; `builtin()` and `Template::expand` make each
    /// a template of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// After expansion: the id of the template a variant was made from (the base has
    /// its own id). Templates of one family differ only in mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
}

/// What a platform connector creates for a run of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum PlatformConnector {
    /// A Seqera Platform AWS credential: role mode for a role-mode template, keys mode
    /// (with the role to assume in key+role mode) otherwise.
    SeqeraAws,
    /// A Seqera Platform container-registry credential for the account's ECR (key mode).
    SeqeraContainerReg,
}

/// The built-in template files: the file's id (its base template), and its text.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("seqera-batch-forge", include_str!("../templates/seqera-batch-forge.json")),
    ("seqera-batch-launch", include_str!("../templates/seqera-batch-launch.json")),
    ("seqera-aws-cloud", include_str!("../templates/seqera-aws-cloud.json")),
    ("seqera-intelligent-compute", include_str!("../templates/seqera-intelligent-compute.json")),
    ("seqera-eks", include_str!("../templates/seqera-eks.json")),
    ("ecr-wave-readonly", include_str!("../templates/ecr-wave-readonly.json")),
    ("spacelift", include_str!("../templates/spacelift.json")),
    ("spacelift-worker", include_str!("../templates/spacelift-worker.json")),
    ("custom", include_str!("../templates/custom.json")),
];

/// The templates that ship with Rolegate, every variant expanded, in display order.
pub fn builtin() -> Vec<Template> {
    BUILTIN
        .iter()
        .flat_map(|(id, text)| {
            let all = Template::from_json_all(&format!("builtin:{id}"), text)
                .unwrap_or_else(|e| panic!("built-in template {id} is invalid: {e:?}"));
            assert_eq!(&all[0].id, id, "built-in template file name and id differ");
            all
        })
        .collect()
}

/// Find a built-in template by id.
pub fn find_builtin(id: &str) -> Option<Template> {
    builtin().into_iter().find(|t| t.id == id)
}

impl Template {
    /// Parse and validate a template file's text. `field` names the file in errors.
    /// A file with variants gives its base template (`from_json_all` gives them all).
    pub fn from_json(field: &str, text: &str) -> Result<Template, FieldErrors> {
        Ok(Template::from_json_all(field, text)?.remove(0))
    }

    /// Parse and validate a template file's text: the template and each of its
    /// variants, each validated as a template of its own.
    pub fn from_json_all(field: &str, text: &str) -> Result<Vec<Template>, FieldErrors> {
        let value = policy::parse(field, text).map_err(|e| vec![e])?;
        let t: Template = serde_json::from_value(value)
            .map_err(|e| vec![FieldError::new(field, "template-schema", format!("does not match {FORMAT}: {e}"))])?;
        let mut errs = Vec::new();
        t.validate_parts(field, &mut errs);
        validate::into_result(errs)?;
        let variants = t.variants.len();
        let all = t.expand();
        let mut errs = Vec::new();
        for (i, one) in all.iter().enumerate() {
            let f = if i == 0 || variants == 0 { field.to_string() } else { format!("{field}.variants[{}]", i - 1) };
            if let Err(e) = one.validate(&f) {
                errs.extend(e);
            }
        }
        validate::into_result(errs)?;
        Ok(all)
    }

    /// Check the template's own consistency: names, modes, references, documents.
    pub fn validate(&self, field: &str) -> Result<(), FieldErrors> {
        let mut errs = Vec::new();
        let f = |s: &str| format!("{field}.{s}");
        if self.format != FORMAT {
            errs.push(FieldError::new(f("format"), "template-format", format!("must be {FORMAT:?}")));
        }
        if self.id.is_empty() || !self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            errs.push(FieldError::new(f("id"), "template-id", "must be lowercase letters, digits and dashes"));
        }
        let mut var_names = std::collections::HashSet::new();
        for (i, v) in self.variables.iter().enumerate() {
            if !var_names.insert(v.name.as_str()) || matches!(v.name.as_str(), "partition" | "account" | "region") {
                errs.push(FieldError::new(
                    f(&format!("variables[{i}].name")),
                    "template-variable",
                    format!("{:?} is reserved or repeated", v.name),
                ));
            }
            if !matches!(v.kind.as_str(), "slug" | "account-id" | "scope") {
                errs.push(FieldError::new(
                    f(&format!("variables[{i}].kind")),
                    "template-variable",
                    "kind must be slug, account-id or scope",
                ));
            }
        }
        let mut policy_keys = std::collections::HashSet::new();
        for (i, p) in self.policies.iter().enumerate() {
            let pf = f(&format!("policies[{i}]"));
            if !policy_keys.insert(p.key.as_str()) {
                errs.push(FieldError::new(format!("{pf}.key"), "template-key", format!("policy key {:?} is repeated", p.key)));
            }
            errs.extend(validate::iam_name(&format!("{pf}.name"), NameKind::Policy, &p.name));
            if let Some(doc) = &p.document {
                if !p.is_empty_feature_policy(doc) {
                    errs.extend(policy::check_shape(&format!("{pf}.document"), doc, DocKind::Managed));
                }
            }
        }
        let check_attach = |errs: &mut Vec<FieldError>, af: &str, list: &[String]| {
            for a in list {
                match a.strip_prefix("policy:") {
                    Some(k) if policy_keys.contains(k) => {}
                    Some(k) => errs.push(FieldError::new(af, "template-reference", format!("no policy with key {k:?}"))),
                    None if a.starts_with("arn:") => {}
                    None => errs.push(FieldError::new(af, "template-reference", format!("{a:?} is neither policy:KEY nor a policy ARN"))),
                }
            }
        };
        if let Some(u) = &self.user {
            errs.extend(validate::iam_name(&f("user.name"), NameKind::User, &u.name));
            check_attach(&mut errs, &f("user.attach"), &u.attach);
        }
        let mut role_keys = std::collections::HashSet::new();
        for (i, r) in self.roles.iter().enumerate() {
            let rf = f(&format!("roles[{i}]"));
            if !role_keys.insert(r.key.as_str()) {
                errs.push(FieldError::new(format!("{rf}.key"), "template-key", format!("role key {:?} is repeated", r.key)));
            }
            errs.extend(validate::iam_name(&format!("{rf}.name"), NameKind::Role, &r.name));
            check_attach(&mut errs, &format!("{rf}.attach"), &r.attach);
            if !(3600..=43200).contains(&r.max_session_seconds) {
                errs.push(FieldError::new(format!("{rf}.max_session_seconds"), "session-duration", "must be 3600 to 43200 seconds"));
            }
            let trusts_user = r.trusted == Trusted::Keyword(TrustKeyword::CreatedUser);
            match self.mode {
                Mode::KeyRole if !trusts_user => {
                    errs.push(FieldError::new(format!("{rf}.trusted"), "template-mode", "in key+role mode a role trusts created-user"))
                }
                Mode::Role if trusts_user => errs.push(FieldError::new(
                    format!("{rf}.trusted"),
                    "template-mode",
                    "in role mode there is no created user to trust; name the platform's principal",
                )),
                _ => {}
            }
            if let ExternalIdSpec::Pattern { condition, .. } = &r.external_id {
                // Before substitution the run's values are the placeholders of the
                // variables without a default.
                let anchors: Vec<String> =
                    self.variables.iter().filter(|v| v.default.is_none()).map(|v| format!("{{{{{}}}}}", v.name)).collect();
                let operator = ExternalIdCondition::for_value(condition).operator;
                if let Err(why) = lint::check_external_id_anchor(&operator, condition, &anchors) {
                    errs.push(FieldError::new(
                        format!("{rf}.external_id.condition"),
                        "external-id-anchor",
                        format!("must begin with a fixed part holding a variable the run fills in (one without a default): {why}"),
                    ));
                }
            }
            if let Trusted::Principals(p) = &r.trusted {
                if p.is_empty() && self.mode == Mode::Role && self.id != "custom" {
                    errs.push(FieldError::new(format!("{rf}.trusted"), "template-trust", "name at least one trusted principal"));
                }
            }
        }
        self.validate_service_account_roles(field, &mut errs);
        self.validate_cluster_access(field, &mut errs);
        if self.platform_credential == Some(PlatformConnector::SeqeraContainerReg) && self.mode != Mode::Key {
            errs.push(FieldError::new(
                f("platform_credential"),
                "template-mode",
                "a container-registry credential is an access key: it needs mode key",
            ));
        }
        match (self.mode, self.user.is_some(), self.roles.is_empty()) {
            (Mode::Key, true, true) | (Mode::KeyRole, true, false) | (Mode::Role, false, false) => {}
            (m, _, _) => errs.push(FieldError::new(
                f("mode"),
                "template-mode",
                format!(
                    "mode {} needs {}",
                    m.as_str(),
                    match m {
                        Mode::Key => "a user and no roles",
                        Mode::KeyRole => "a user and at least one role",
                        Mode::Role => "at least one role and no user",
                    }
                ),
            )),
        }
        validate::into_result(errs)
    }

    /// The variable values for a run: given ones checked, defaults filled in, missing
    /// ones reported.
    pub fn resolve_variables(&self, given: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, FieldErrors> {
        let mut out = BTreeMap::new();
        let mut errs = Vec::new();
        for k in given.keys() {
            if !self.variables.iter().any(|v| &v.name == k) {
                errs.push(FieldError::new(
                    format!("var.{k}"),
                    "unknown-variable",
                    format!(
                        "template {} has no variable {k:?}{}",
                        self.id,
                        if self.variables.is_empty() {
                            String::new()
                        } else {
                            format!(" (it has: {})", self.variables.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", "))
                        }
                    ),
                ));
            }
        }
        for v in &self.variables {
            let field = format!("var.{}", v.name);
            match given.get(&v.name).or(v.default.as_ref()) {
                Some(val) => {
                    let e = match v.kind.as_str() {
                        "account-id" => validate::account_id(&field, val),
                        "scope" if val == "*" => Vec::new(),
                        _ => validate::pattern_variable(&field, val),
                    };
                    errs.extend(e);
                    out.insert(v.name.clone(), val.clone());
                }
                None => errs.push(FieldError::new(&field, "required", format!("{} is required: {}", v.label, v.description))),
            }
        }
        validate::into_result(errs).map(|_| out)
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
