//! The StackSet template of a fleet: the CloudFormation a single run of the same plan
//! would export (export/iac.rs writes both), made to land in every account of the fleet.
//! Each ARN of the planned account becomes `${AWS::AccountId}` of the account the stack
//! runs in, each exact External ID a parameter a StackSet can override per account, and
//! the run tag the fleet's tag. Key-based plans are refused: a StackSet would hand each
//! account's secret key to CloudFormation, so key modes stay single-account runs.

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::RunError;
use crate::export::iac::{self, CfnDocs};
use crate::lint::Lint;
use crate::plan::{Plan, PlannedPolicy, PlannedRole, RunInputs, RUN_TAG};
use crate::template::Template;
use crate::validate::{FieldError, Tag};
use crate::Engine;

/// The tag every resource of a fleet carries: `rolegate:fleet-id=<fleet id>`, in place of
/// a single run's `rolegate:run-id`.
pub const FLEET_TAG: &str = "rolegate:fleet-id";

/// The capability CloudFormation must be given for the named IAM resources.
pub const CAPABILITY: &str = "CAPABILITY_NAMED_IAM";

/// A StackSet parameter that carries one role's External ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalIdParameter {
    /// The parameter's name in the template (`ExternalId`, or `ExternalId<Role>` when
    /// several roles have one).
    pub name: String,
    pub role_key: String,
    /// The plan's value: what every account gets unless its instance overrides it.
    pub default: String,
}

/// What a StackSet is created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackSetTemplate {
    /// CloudFormation YAML.
    pub body: String,
    pub parameters: Vec<ExternalIdParameter>,
    pub capabilities: Vec<String>,
    pub tags: Vec<Tag>,
}

/// A fleet's StackSet template as `rolegate fleet template` and the app hand it over.
#[derive(Debug, Clone, Serialize)]
pub struct FleetTemplate {
    pub fleet_id: String,
    pub template_id: String,
    /// The account the plan was made in: its ARNs are each account's in the template.
    pub planned_account: String,
    pub stackset: StackSetTemplate,
    /// The plan's warnings (its errors refuse the template).
    pub warnings: Vec<Lint>,
}

/// A new fleet's id: `fl-` and twelve hex digits.
pub fn new_fleet_id(entropy: &dyn crate::ports::Entropy) -> String {
    let run = entropy.run_id();
    format!("fl-{}", run.strip_prefix("rg-").unwrap_or(&run))
}

impl Engine {
    /// Plan `template` for the bootstrap identity, as a single run would, and render it as
    /// a new fleet's StackSet template.
    pub async fn fleet_template(&self, template: &Template, inputs: &RunInputs) -> Result<FleetTemplate, RunError> {
        let plan = self.plan(template, inputs).await?;
        let fleet_id = new_fleet_id(self.entropy.as_ref());
        let stackset = stackset_template(&plan, &fleet_id)?;
        Ok(FleetTemplate {
            fleet_id,
            template_id: plan.template_id.clone(),
            planned_account: plan.account.clone(),
            stackset,
            warnings: plan.lints.clone(),
        })
    }
}

/// The tags of a fleet's resources: the plan's, with the fleet's tag for the run's.
pub fn fleet_tags(plan: &Plan, fleet_id: &str) -> Vec<Tag> {
    let mut tags: Vec<Tag> = plan.tags.iter().filter(|t| t.key != RUN_TAG).cloned().collect();
    tags.insert(0, Tag::new(FLEET_TAG, fleet_id));
    tags
}

/// The StackSet template of `plan` for the fleet `fleet_id`.
pub fn stackset_template(plan: &Plan, fleet_id: &str) -> Result<StackSetTemplate, RunError> {
    if plan.user.is_some() {
        return Err(RunError::Invalid(vec![FieldError::new(
            "template",
            "fleet-role-mode-only",
            format!(
                "{} makes an IAM user with an access key; fleet onboarding deploys role-mode templates only \
                 (a StackSet would hand every account's secret key to CloudFormation). Pick the template's role mode, \
                 or onboard this account alone with a single run.",
                plan.template_id
            ),
        )]));
    }
    if let Some(sa) = plan.service_account_roles.first() {
        return Err(RunError::Invalid(vec![FieldError::new(
            "template",
            "fleet-no-service-account-roles",
            format!(
                "{} makes role {} for service account {}, trusted by the OIDC provider of cluster {} in account {}:                  it belongs to that one cluster, so a StackSet cannot make it in other accounts.                  Onboard each EKS cluster with a single run.",
                plan.template_id, sa.name, sa.subject, sa.cluster, plan.account
            ),
        )]));
    }
    plan.ready_to_start(true)?;
    let exact: Vec<&PlannedRole> = plan.roles.iter().filter(|r| r.condition.operator == "StringEquals").collect();
    let parameters: Vec<ExternalIdParameter> = exact
        .iter()
        .map(|r| ExternalIdParameter {
            name: if exact.len() == 1 { "ExternalId".into() } else { iac::cfn_id("ExternalId", &r.key) },
            role_key: r.key.clone(),
            default: r.external_id.clone(),
        })
        .collect();
    let tags = fleet_tags(plan, fleet_id);
    let docs = PerAccount { account: &plan.account, parameters: &parameters };
    let mut body = String::new();
    body.push_str(&format!(
        "# The StackSet of Rolegate fleet {fleet_id} (template {}): in each account, the resources a single\n\
         # run of the same plan makes, with that account's ARNs, tagged {FLEET_TAG}={fleet_id}.\n",
        plan.template_id
    ));
    body.push_str("AWSTemplateFormatVersion: \"2010-09-09\"\n");
    body.push_str(&format!("Description: {}\n", iac::q(&format!("Rolegate fleet {fleet_id} ({})", plan.template_id))));
    if !parameters.is_empty() {
        body.push_str("Parameters:\n");
        for p in &parameters {
            body.push_str(&format!(
                "  {}:\n    Type: String\n    Description: {}\n    Default: {}\n    MinLength: 2\n    MaxLength: 1224\n    AllowedPattern: {}\n",
                p.name,
                iac::q(&format!("The External ID the trusted side sends to role {}; a stack instance may override it", p.role_key)),
                iac::q(&p.default),
                iac::q(r"[\w+=,.@:/-]*"),
            ));
        }
    }
    body.push_str(&iac::cloudformation_resources(plan, &tags, &docs));
    Ok(StackSetTemplate { body, parameters, capabilities: vec![CAPABILITY.into()], tags })
}

/// Documents written so that each account gets its own: its ARNs, its External ID.
struct PerAccount<'a> {
    account: &'a str,
    parameters: &'a [ExternalIdParameter],
}

impl PerAccount<'_> {
    /// An ARN of the planned account as `Fn::Sub` of the stack's account; any other text
    /// as it is. `${` already in the text (an IAM policy variable) is kept literal.
    fn sub(&self, s: &str) -> Value {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() == 6 && parts[0] == "arn" && parts[4] == self.account {
            let escaped: Vec<String> = parts.iter().map(|p| p.replace("${", "${!")).collect();
            let mut text = escaped[..4].join(":");
            text.push_str(":${AWS::AccountId}:");
            text.push_str(&escaped[5]);
            json!({ "Fn::Sub": text })
        } else {
            Value::String(s.to_string())
        }
    }

    fn walk(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => self.sub(s),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.walk(x)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.walk(x))).collect()),
            other => other.clone(),
        }
    }
}

impl CfnDocs for PerAccount<'_> {
    fn policy(&self, p: &PlannedPolicy) -> Value {
        self.walk(&p.document)
    }

    /// The trust as planned (its principals are the trusted side's, not the account's),
    /// with the exact External ID condition given by the role's parameter.
    fn trust(&self, r: &PlannedRole) -> Value {
        let mut doc = r.trust_policy.clone();
        let Some(param) = self.parameters.iter().find(|p| p.role_key == r.key) else {
            return doc;
        };
        for st in doc.get_mut("Statement").and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(v) = st.pointer_mut("/Condition/StringEquals/sts:ExternalId") {
                if v.as_str() == Some(r.external_id.as_str()) {
                    *v = json!({ "Ref": param.name });
                }
            }
        }
        doc
    }

    fn arn(&self, arn: &str) -> Value {
        self.sub(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(template: &str, vars: &[(&str, &str)]) -> Plan {
        crate::testing::builtin_plan(template, vars, "111122223333", "run-1").0
    }

    /// The JSON value written after `key: ` on the line of the resource `id` (documents are
    /// JSON flow mappings, scalars JSON strings).
    fn field(body: &str, id: &str, key: &str) -> Value {
        let from = body.find(&format!("\n  {id}:\n")).unwrap_or_else(|| panic!("no {id} in:\n{body}"));
        let line = body[from..].lines().find_map(|l| l.trim_start().strip_prefix(&format!("{key}: "))).unwrap();
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{key} of {id} is not JSON ({e}): {line}"))
    }

    #[test]
    fn each_account_gets_its_own_arns_and_external_id_and_the_trusted_side_stays() {
        let p = plan("seqera-batch-forge-role", &[("work_bucket", "work")]);
        let t = stackset_template(&p, "fl-1").unwrap();
        assert!(!t.body.contains("111122223333"), "no ARN of the planning account is left:\n{}", t.body);
        let role = &p.roles[0];
        assert_eq!(
            t.parameters,
            vec![ExternalIdParameter { name: "ExternalId".into(), role_key: role.key.clone(), default: role.external_id.clone() }]
        );
        assert!(t.body.contains("  ExternalId:\n    Type: String\n"), "{}", t.body);
        assert_eq!(field(&t.body, "ExternalId", "Default"), json!(role.external_id));
        let id = iac::cfn_id("Role", &role.key);
        let trust = field(&t.body, &id, "AssumeRolePolicyDocument");
        assert_eq!(trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], json!({"Ref": "ExternalId"}));
        assert_eq!(
            trust["Statement"][0]["Principal"], role.trust_policy["Statement"][0]["Principal"],
            "the trusted side is the same for every account"
        );
        assert!(t.body.contains(r#""Resource":{"Fn::Sub":"arn:aws:iam::${AWS::AccountId}:role/*"}"#), "{}", t.body);
        let tags = &t.body[t.body.find(&format!("\n  {id}:\n")).unwrap()..];
        assert!(tags.contains(&format!("      Tags:\n        - Key: \"{FLEET_TAG}\"\n          Value: \"fl-1\"\n")), "{tags}");
        assert!(!t.body.contains(RUN_TAG), "{}", t.body);
    }

    /// Several roles with exact External IDs: a parameter each, named after its role, and
    /// each role's trust takes its own.
    #[test]
    fn several_roles_get_a_parameter_each() {
        let mut p = plan("seqera-batch-forge-role", &[("work_bucket", "work")]);
        let mut second = p.roles[0].clone();
        second.key = "second".into();
        second.name = "seqera-second".into();
        second.external_id = "second-external-id".into();
        second.condition = crate::policy::ExternalIdCondition::for_value("second-external-id");
        second.trust_policy = crate::policy::trust_policy(&second.principals, &second.condition);
        p.roles.push(second);
        let t = stackset_template(&p, "fl-1").unwrap();
        let names: Vec<(&str, &str)> = t.parameters.iter().map(|x| (x.name.as_str(), x.default.as_str())).collect();
        assert_eq!(names, vec![("ExternalIdMain", p.roles[0].external_id.as_str()), ("ExternalIdSecond", "second-external-id")]);
        for (key, param) in [("main", "ExternalIdMain"), ("second", "ExternalIdSecond")] {
            let trust = field(&t.body, &iac::cfn_id("Role", key), "AssumeRolePolicyDocument");
            assert_eq!(trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], json!({"Ref": param}), "{key}");
        }
    }

    #[test]
    fn a_policy_variable_is_kept_literal_beside_the_account() {
        let d = PerAccount { account: "111122223333", parameters: &[] };
        assert_eq!(d.sub("arn:aws:s3:::bucket/${aws:username}/*"), json!("arn:aws:s3:::bucket/${aws:username}/*"));
        assert_eq!(
            d.sub("arn:aws:iam::111122223333:user/${aws:username}"),
            json!({"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:user/${!aws:username}"})
        );
        assert_eq!(d.sub("arn:aws:iam::aws:policy/ReadOnlyAccess"), json!("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert_eq!(d.sub("arn:aws:iam::444455556666:root"), json!("arn:aws:iam::444455556666:root"));
    }

    #[test]
    fn a_service_account_role_stays_with_its_cluster() {
        let mut p = plan("seqera-cloud-role", &[]);
        let role = p.roles[0].clone();
        p.service_account_roles.push(crate::plan::PlannedServiceAccountRole {
            key: "launcher".into(),
            name: "tower-launcher".into(),
            arn: role.arn.replace(&role.name, "tower-launcher"),
            description: String::new(),
            cluster: "genomics".into(),
            cluster_region: "eu-west-1".into(),
            issuer: "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF".into(),
            oidc_provider_arn: format!(
                "arn:aws:iam::{}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
                p.account
            ),
            namespace: "tower-nf".into(),
            service_account: "tower-launcher-sa".into(),
            subject: "system:serviceaccount:tower-nf:tower-launcher-sa".into(),
            trust_policy: serde_json::json!({}),
            attach: vec![],
            max_session_seconds: 3600,
            verify_actions: vec![],
        });
        match stackset_template(&p, "fl-1") {
            Err(RunError::Invalid(errs)) => {
                assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("template", "fleet-no-service-account-roles"));
                assert!(errs[0].message.contains("cluster genomics"), "{}", errs[0].message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn key_modes_stay_single_account() {
        let p = plan("seqera-batch-forge", &[("work_bucket", "work")]);
        match stackset_template(&p, "fl-1") {
            Err(RunError::Invalid(errs)) => {
                assert_eq!(errs[0].field, "template");
                assert_eq!(errs[0].rule, "fleet-role-mode-only");
            }
            other => panic!("{other:?}"),
        }
    }
}
