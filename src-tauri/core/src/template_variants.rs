//! The parts of a template beyond one mode's user and roles: its variants (the same
//! permissions in another mode), its optional features (statements the person ticks),
//! and the note of where each policy came from (docs/TEMPLATES.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{self, DocKind};
use crate::template::{Mode, RoleTemplate, Template, UserTemplate, Variable};
use crate::validate::FieldError;
use crate::validate::{self, NameKind};

/// The same template in another mode: it shares the template's variables, policies and
/// features, and brings its own id, user and roles (and variables of its own, such as
/// the platform's principal of a role mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Variant {
    pub id: String,
    pub name: String,
    /// Replaces the template's description when given.
    #[serde(default)]
    pub description: Option<String>,
    pub mode: Mode,
    /// Added to the template's variables.
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub user: Option<UserTemplate>,
    #[serde(default)]
    pub roles: Vec<RoleTemplate>,
    /// Replaces the template's export formats when given.
    #[serde(default)]
    pub exports: Option<Vec<String>>,
}

/// An optional feature: statements added to one of the template's policies when the
/// person ticks it (`--feature KEY`, the app's Details step). Its actions are not
/// among the `verify_actions`, which are the mandatory ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Feature {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// The key of the policy the statements are added to.
    pub policy: String,
    /// IAM statements; strings may hold the same placeholders as a policy document.
    #[cfg_attr(feature = "ts", ts(type = "Array<unknown>"))]
    pub statements: Vec<Value>,
}

/// A role for a Kubernetes service account of an EKS cluster (IRSA): trusted by the
/// cluster's IAM OIDC provider (`Federated`) for `sts:AssumeRoleWithWebIdentity`, with
/// StringEquals on the token's `aud` (`sts.amazonaws.com`) and `sub`
/// (`system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT`). The cluster's OIDC issuer comes
/// from eks:DescribeCluster when the run is planned. Strings may hold variables. Every
/// mode of a template makes it: the pods need it whoever Seqera signs in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ServiceAccountRole {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The EKS cluster's name.
    pub cluster: String,
    /// The region the cluster is in; `*` or empty: the run's region.
    #[serde(default)]
    pub cluster_region: String,
    /// The Kubernetes namespace of the service account.
    pub namespace: String,
    /// The Kubernetes service account whose pods assume the role.
    pub service_account: String,
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

/// Access to an EKS cluster for the identity the platform signs in as (the template's
/// first role, else its user): an EKS access entry with a Kubernetes username and groups,
/// and an EKS access policy for the namespace, where the cluster's authentication mode
/// admits the API; else the aws-auth mapping, shown as the person's step. Strings may
/// hold variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClusterAccess {
    pub cluster: String,
    /// `*` or empty: the run's region.
    #[serde(default)]
    pub cluster_region: String,
    /// The Kubernetes username of an IAM user let in.
    pub user_username: String,
    /// The Kubernetes username of an IAM role let in.
    pub role_username: String,
    /// The Kubernetes groups the identity is in (their RBAC bindings are the cluster's).
    pub groups: Vec<String>,
    /// An EKS access policy (`arn:aws:eks::aws:cluster-access-policy/...`) associated
    /// with the entry for `namespace`.
    #[serde(default)]
    pub access_policy: Option<String>,
    #[serde(default)]
    pub namespace: String,
}

/// Where a built-in policy came from, and how it departs from that document. The
/// reference test (`template_reference_tests`) holds the policy to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PolicyReference {
    /// The platform's policy file the statements follow (a file name under
    /// `../shared/reference/<platform>/` for the built-in ones).
    pub document: String,
    /// Where the document is published.
    #[serde(default)]
    pub source: String,
    /// The date of the document the policy was last refreshed from.
    pub date: String,
    /// Sids of statements the document's text calls optional, beyond those whose Sid
    /// begins with `Optional`.
    #[serde(default)]
    pub optional_statements: Vec<String>,
    /// Actions (or whole statements, by Sid) of the document the template grants
    /// neither in its mandatory statements nor in a feature, each with why.
    #[serde(default)]
    pub omitted: BTreeMap<String, String>,
    /// Actions granted beyond the document, each with why.
    #[serde(default)]
    pub added: BTreeMap<String, String>,
}

impl Template {
    /// This template and each of its variants as templates of their own, in order.
    /// Each carries `family`, the id of the template they were made from.
    pub fn expand(mut self) -> Vec<Template> {
        let variants = std::mem::take(&mut self.variants);
        if variants.is_empty() {
            return vec![self];
        }
        self.family = Some(self.id.clone());
        let mut out = vec![self.clone()];
        for v in variants {
            let mut t = self.clone();
            t.id = v.id;
            t.name = v.name;
            if let Some(d) = v.description {
                t.description = d;
            }
            t.mode = v.mode;
            t.variables.extend(v.variables);
            t.user = v.user;
            t.roles = v.roles;
            if let Some(e) = v.exports {
                t.exports = e;
            }
            out.push(t);
        }
        out
    }

    /// The feature keys of `given` the template does not have, as errors on `feature.KEY`.
    pub fn unknown_features(&self, given: &[String]) -> Vec<FieldError> {
        given
            .iter()
            .filter(|k| !self.features.iter().any(|f| &f.key == *k))
            .map(|k| {
                FieldError::new(
                    format!("feature.{k}"),
                    "unknown-feature",
                    if self.features.is_empty() {
                        format!("template {} has no optional features", self.id)
                    } else {
                        format!(
                            "template {} has no feature {k:?} (it has: {})",
                            self.id,
                            self.features.iter().map(|f| f.key.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    },
                )
            })
            .collect()
    }

    /// `document` of policy `key` with the statements of the ticked `features` added.
    pub fn with_features(&self, key: &str, document: &Value, features: &[String]) -> Value {
        let mut doc = document.clone();
        let extra: Vec<Value> = self
            .features
            .iter()
            .filter(|f| f.policy == key && features.contains(&f.key))
            .flat_map(|f| f.statements.iter().cloned())
            .collect();
        if extra.is_empty() {
            return doc;
        }
        let mut list = policy::as_list(&doc["Statement"]).into_iter().cloned().collect::<Vec<_>>();
        list.extend(extra);
        doc["Statement"] = Value::Array(list);
        doc
    }

    /// The service-account roles checked: keys apart from each other and from the
    /// roles', names, sessions and what they attach (`policy:KEY` of this template).
    pub(crate) fn validate_service_account_roles(&self, field: &str, errs: &mut Vec<FieldError>) {
        let mut keys: std::collections::HashSet<&str> = self.roles.iter().map(|r| r.key.as_str()).collect();
        for (i, r) in self.service_account_roles.iter().enumerate() {
            let rf = format!("{field}.service_account_roles[{i}]");
            if !keys.insert(r.key.as_str()) {
                errs.push(FieldError::new(format!("{rf}.key"), "template-key", format!("role key {:?} is repeated", r.key)));
            }
            errs.extend(validate::iam_name(&format!("{rf}.name"), NameKind::Role, &r.name));
            if !(3600..=43200).contains(&r.max_session_seconds) {
                errs.push(FieldError::new(format!("{rf}.max_session_seconds"), "session-duration", "must be 3600 to 43200 seconds"));
            }
            for (what, v) in [("cluster", &r.cluster), ("namespace", &r.namespace), ("service_account", &r.service_account)] {
                if v.is_empty() {
                    errs.push(FieldError::new(format!("{rf}.{what}"), "required", format!("a service-account role names its {what}")));
                }
            }
            for a in &r.attach {
                let known = match a.strip_prefix("policy:") {
                    Some(k) => self.policies.iter().any(|p| p.key == k),
                    None => a.starts_with("arn:"),
                };
                if !known {
                    errs.push(FieldError::new(
                        format!("{rf}.attach"),
                        "template-reference",
                        format!("{a:?} is neither policy:KEY of this template nor a policy ARN"),
                    ));
                }
            }
        }
    }

    /// The cluster access checked: a cluster, usernames, at least one group, and an EKS
    /// access policy ARN when one is named.
    pub(crate) fn validate_cluster_access(&self, field: &str, errs: &mut Vec<FieldError>) {
        let Some(a) = &self.cluster_access else { return };
        let af = format!("{field}.cluster_access");
        for (what, v) in [("cluster", &a.cluster), ("user_username", &a.user_username), ("role_username", &a.role_username)] {
            if v.is_empty() {
                errs.push(FieldError::new(format!("{af}.{what}"), "required", format!("cluster access names its {what}")));
            }
        }
        if a.groups.is_empty() || a.groups.iter().any(|g| g.is_empty()) {
            errs.push(FieldError::new(format!("{af}.groups"), "required", "cluster access names one or more Kubernetes groups"));
        }
        if let Some(p) = &a.access_policy {
            if !p.starts_with("arn:aws:eks::aws:cluster-access-policy/") {
                errs.push(FieldError::new(
                    format!("{af}.access_policy"),
                    "eks-access-policy",
                    format!("must be an EKS access policy, arn:aws:eks::aws:cluster-access-policy/NAME; got {p:?}"),
                ));
            }
        }
    }

    /// Variants and features checked on load: ids, keys, references, and each policy
    /// with every feature ticked still a valid document of managed size.
    pub(crate) fn validate_parts(&self, field: &str, errs: &mut Vec<FieldError>) {
        let f = |s: &str| format!("{field}.{s}");
        let mut ids = std::collections::HashSet::from([self.id.as_str()]);
        for (i, v) in self.variants.iter().enumerate() {
            if !ids.insert(v.id.as_str()) {
                errs.push(FieldError::new(f(&format!("variants[{i}].id")), "template-id", format!("{:?} is repeated", v.id)));
            }
        }
        let mut keys = std::collections::HashSet::new();
        for (i, feat) in self.features.iter().enumerate() {
            let ff = f(&format!("features[{i}]"));
            let key_ok = !feat.key.is_empty() && feat.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !key_ok || !keys.insert(feat.key.as_str()) {
                errs.push(FieldError::new(
                    format!("{ff}.key"),
                    "template-key",
                    format!("feature key {:?} must be lowercase letters, digits and dashes, and not repeated", feat.key),
                ));
            }
            if !self.policies.iter().any(|p| p.key == feat.policy) {
                errs.push(FieldError::new(format!("{ff}.policy"), "template-reference", format!("no policy with key {:?}", feat.policy)));
            }
            if feat.statements.is_empty() || feat.statements.iter().any(|s| !s.is_object()) {
                errs.push(FieldError::new(format!("{ff}.statements"), "template-feature", "must be one or more IAM statements (objects)"));
            }
        }
        for (i, p) in self.policies.iter().enumerate() {
            if p.only_with_features && !self.features.iter().any(|x| x.policy == p.key) {
                errs.push(FieldError::new(
                    f(&format!("policies[{i}].only_with_features")),
                    "template-feature",
                    format!("policy {:?} is made only with a feature, but no feature adds to it", p.key),
                ));
            }
        }
        let all: Vec<String> = self.features.iter().map(|x| x.key.clone()).collect();
        for (i, p) in self.policies.iter().enumerate() {
            if let (Some(doc), true) = (&p.document, self.features.iter().any(|x| x.policy == p.key)) {
                let full = self.with_features(&p.key, doc, &all);
                for e in policy::check_shape(&f(&format!("policies[{i}].document+features")), &full, DocKind::Managed) {
                    errs.push(e);
                }
            }
        }
    }
}

/// Pick one template of a file's expansion: `id` if given, else the first.
pub fn pick(field: &str, all: Vec<Template>, id: Option<&str>) -> Result<Template, FieldError> {
    let ids: Vec<String> = all.iter().map(|t| t.id.clone()).collect();
    match id {
        None => Ok(all.into_iter().next().expect("a template file holds at least one template")),
        Some(id) => all.into_iter().find(|t| t.id == id).ok_or_else(|| {
            FieldError::new(field, "unknown-template", format!("the file holds no template {id:?}; it holds {}", ids.join(", ")))
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;
    use crate::template::{find_builtin, FORMAT};

    /// A key-mode template with one policy, a variant in role mode, and one feature.
    fn with_parts() -> Value {
        serde_json::json!({
            "format": FORMAT, "id": "parts", "name": "n", "platform": "p", "mode": "key",
            "policies": [{"key": "main", "name": "p", "document":
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}],
            "features": [{"key": "put", "label": "Put", "policy": "main",
                "statements": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}],
            "user": {"name": "u", "attach": ["policy:main"]},
            "variants": [{"id": "parts-role", "name": "n (role)", "mode": "role",
                "variables": [{"name": "acct", "label": "A", "kind": "account-id", "default": "111111111111"}],
                "roles": [{"key": "main", "name": "r", "trusted": ["arn:aws:iam::{{acct}}:root"],
                           "external_id": {"scheme": "uuid"}, "attach": ["policy:main"]}]}]
        })
    }

    #[test]
    fn variants_expand_into_templates_and_features_add_statements() {
        let all = Template::from_json_all("t.json", &with_parts().to_string()).unwrap();
        let ids: Vec<&str> = all.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["parts", "parts-role"]);
        assert_eq!(all[1].mode, Mode::Role);
        assert!(all[1].user.is_none() && all[1].variables.len() == 1 && all[0].variables.is_empty());
        assert_eq!(all[1].family.as_deref(), Some("parts"));
        assert_eq!(Template::from_json("t.json", &with_parts().to_string()).unwrap().id, "parts");
        assert_eq!(pick("t.json", all.clone(), Some("parts-role")).unwrap().id, "parts-role");
        assert_eq!(pick("t.json", all.clone(), Some("nope")).unwrap_err().rule, "unknown-template");
        let t = &all[0];
        let doc = t.policies[0].document.as_ref().unwrap();
        assert_eq!(t.with_features("main", doc, &[])["Statement"].as_array().unwrap().len(), 1);
        let with = t.with_features("main", doc, &["put".into()]);
        assert_eq!(with["Statement"][1]["Action"], "s3:PutObject");
        let e = t.unknown_features(&["put".into(), "nope".into()]);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].field.as_str(), e[0].rule.as_str()), ("feature.nope", "unknown-feature"));
    }

    #[test]
    fn a_feature_only_policy_needs_a_feature_that_adds_to_it() {
        let mut v = with_parts();
        v["policies"][0]["only_with_features"] = true.into();
        v["policies"][0]["document"]["Statement"] = serde_json::json!([]);
        Template::from_json("t.json", &v.to_string()).expect("an empty feature-only policy with a feature is valid");
        v["features"][0]["policy"] = "other".into();
        v["policies"].as_array_mut().unwrap().push(serde_json::json!({"key": "other", "name": "o", "document":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}));
        let errs = Template::from_json("t.json", &v.to_string()).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "t.json.policies[0].only_with_features" && e.rule == "template-feature"), "{errs:?}");
        // A policy that is not feature-only may not be empty.
        v["policies"][0]["only_with_features"] = false.into();
        let errs = Template::from_json("t.json", &v.to_string()).unwrap_err();
        assert!(errs.iter().any(|e| e.rule == "policy-statement"), "{errs:?}");
    }

    #[test]
    fn bad_variants_and_features_are_rejected_with_fields() {
        let mut v = with_parts();
        v["variants"][0]["id"] = "parts".into();
        v["features"][0]["policy"] = "other".into();
        v["features"][0]["key"] = "Bad Key".into();
        let errs = Template::from_json("t.json", &v.to_string()).unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.rule.as_str())).collect();
        assert!(got.contains(&("t.json.variants[0].id", "template-id")), "{got:?}");
        assert!(got.contains(&("t.json.features[0].policy", "template-reference")), "{got:?}");
        assert!(got.contains(&("t.json.features[0].key", "template-key")), "{got:?}");
        // A variant is validated as a template: role mode without a principal's role.
        let mut v = with_parts();
        v["variants"][0]["roles"] = serde_json::json!([]);
        let errs = Template::from_json("t.json", &v.to_string()).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "t.json.variants[0].mode" && e.rule == "template-mode"), "{errs:?}");
        // With every feature ticked the policy must still fit a managed policy.
        let mut v = with_parts();
        let big: Vec<String> = (0..700).map(|i| format!("s3:Get{i:04}")).collect();
        v["features"][0]["statements"][0]["Action"] = serde_json::json!(big);
        let errs = Template::from_json("t.json", &v.to_string()).unwrap_err();
        assert!(errs.iter().any(|e| e.field.starts_with("t.json.policies[0].document+features")), "{errs:?}");
    }

    #[test]
    fn a_scope_variable_takes_a_name_or_a_star() {
        let t = find_builtin("seqera-eks").unwrap();
        let cluster = ("eks_cluster".to_string(), "pipelines".to_string());
        assert_eq!(t.resolve_variables(&BTreeMap::from([cluster.clone()])).unwrap()["work_bucket"], "*");
        let given = BTreeMap::from([("work_bucket".to_string(), "my-work.bucket".to_string()), cluster.clone()]);
        assert_eq!(t.resolve_variables(&given).unwrap()["work_bucket"], "my-work.bucket");
        let given = BTreeMap::from([("work_bucket".to_string(), "a*b".to_string()), cluster]);
        assert_eq!(t.resolve_variables(&given).unwrap_err()[0].rule, "variable-chars");
    }
}
