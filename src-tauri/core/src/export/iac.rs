//! IaC replay: Terraform (aws provider) and CloudFormation (YAML) that recreate exactly
//! the resources of a run: the same names, paths, documents and tags. The access key is
//! left out of both on purpose: Terraform would keep its secret in the state file, and
//! CloudFormation would hand it to whoever reads the stack's outputs. The output says so.

use hcl::expr::{FuncCall, Traversal, Variable};
use hcl::{Attribute, Block, Body, Expression};
use serde_json::Value;

use super::{Bundle, Format, Rendered};
use crate::journal::Journal;
use crate::plan::{Plan, PlannedPolicy, PlannedRole, PlannedServiceAccountRole};
use crate::validate::Tag;

fn ident(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'r');
    }
    out
}

fn tags_expr(tags: &[Tag]) -> Expression {
    let obj: serde_json::Map<String, Value> = tags.iter().map(|t| (t.key.clone(), Value::String(t.value.clone()))).collect();
    hcl::to_expression(Value::Object(obj)).expect("tags")
}

fn jsonencode(doc: &Value) -> Expression {
    Expression::from(FuncCall::builder("jsonencode").arg(hcl::to_expression(doc).expect("document")).build())
}

/// `a.b.c` as a traversal expression.
fn reference(s: String) -> Expression {
    let mut parts = s.split('.');
    let root = Variable::new(parts.next().unwrap_or_default()).expect("identifier");
    let mut t = Traversal::builder(root);
    for p in parts {
        t = t.attr(p);
    }
    Expression::from(t.build())
}

/// How an ARN in the plan is referred to: a policy the run makes by its resource,
/// an AWS managed policy by its ARN.
fn policy_ref(plan: &Plan, arn: &str, terraform: bool) -> Option<String> {
    plan.policies.iter().find(|p| p.arn == arn).map(|p| {
        if terraform {
            format!("aws_iam_policy.{}.arn", ident(&format!("policy_{}", p.key)))
        } else {
            cfn_id("Policy", &p.key)
        }
    })
}

/// `aws_iam_<owner>_policy_attachment`: a policy of the run by reference, an AWS
/// managed one by its ARN.
fn attachment(plan: &Plan, owner: &str, label: &str, owner_ref: &str, arn: &str) -> Block {
    let arn_expr = policy_ref(plan, arn, true).map(reference).unwrap_or_else(|| Expression::String(arn.to_string()));
    Block::builder("resource")
        .add_label(format!("aws_iam_{owner}_policy_attachment"))
        .add_label(label)
        .add_attribute(Attribute::new(owner, reference(owner_ref.to_string())))
        .add_attribute(Attribute::new("policy_arn", arn_expr))
        .build()
}

fn header(bundle: &Bundle) -> String {
    format!(
        "Recreates the resources of Rolegate run {} (template {}, account {}): same names, documents and tags.\nThe access key is not included: its secret would end up in the state or the stack. Make it with\n`rolegate rotate-key` or `aws iam create-access-key` and keep the secret in a keychain.\nThe resources carry the tag rolegate:run-id={}, so `rolegate rollback {}` would delete them too.",
        bundle.run_id, bundle.template_id, bundle.account, bundle.run_id, bundle.run_id
    )
}

/// Terraform for the aws provider; for a Spacelift run (`spacelift` holds the stacks to
/// attach, possibly none), the Spacelift provider's integrations, attachments and
/// External ID data sources beside the roles.
pub fn terraform(journal: &Journal, spacelift: Option<&[String]>) -> Rendered {
    let plan = &journal.plan;
    let bundle = Bundle::from_journal(journal);
    let mut body = Body::builder();
    let mut providers = Block::builder("required_providers").add_attribute(Attribute::new(
        "aws",
        hcl::to_expression(serde_json::json!({"source": "hashicorp/aws", "version": ">= 5.0"})).expect("provider"),
    ));
    if spacelift.is_some() {
        providers = providers.add_attribute(Attribute::new(
            "spacelift",
            hcl::to_expression(serde_json::json!({"source": "spacelift-io/spacelift", "version": ">= 1.0"})).expect("provider"),
        ));
    }
    body = body.add_block(Block::builder("terraform").add_block(providers.build()).build());
    body = body.add_block(Block::builder("provider").add_label("aws").add_attribute(("region", plan.region.clone())).build());
    for p in &plan.policies {
        body = body.add_block(
            Block::builder("resource")
                .add_label("aws_iam_policy")
                .add_label(ident(&format!("policy_{}", p.key)))
                .add_attribute(("name", p.name.clone()))
                .add_attribute(("path", plan.path.clone()))
                .add_attribute(("description", p.description.clone()))
                .add_attribute(Attribute::new("policy", jsonencode(&p.document)))
                .add_attribute(Attribute::new("tags", tags_expr(&plan.tags)))
                .build(),
        );
    }
    if let Some(u) = &plan.user {
        body = body.add_block(
            Block::builder("resource")
                .add_label("aws_iam_user")
                .add_label("user")
                .add_attribute(("name", u.name.clone()))
                .add_attribute(("path", plan.path.clone()))
                .add_attribute(Attribute::new("tags", tags_expr(&plan.tags)))
                .build(),
        );
        if let Some((name, doc)) = &u.inline_policy {
            body = body.add_block(
                Block::builder("resource")
                    .add_label("aws_iam_user_policy")
                    .add_label("user_inline")
                    .add_attribute(("name", name.clone()))
                    .add_attribute(Attribute::new("user", reference("aws_iam_user.user.name".into())))
                    .add_attribute(Attribute::new("policy", jsonencode(doc)))
                    .build(),
            );
        }
        for (i, arn) in u.attach.iter().enumerate() {
            body = body.add_block(attachment(plan, "user", &format!("user_attach_{i}"), "aws_iam_user.user.name", arn));
        }
    }
    for r in &plan.roles {
        let id = ident(&format!("role_{}", r.key));
        let mut role = Block::builder("resource")
            .add_label("aws_iam_role")
            .add_label(id.clone())
            .add_attribute(("name", r.name.clone()))
            .add_attribute(("path", plan.path.clone()))
            .add_attribute(("description", r.description.clone()))
            .add_attribute(("max_session_duration", r.max_session_seconds as u64))
            .add_attribute(Attribute::new("assume_role_policy", jsonencode(&r.trust_policy)))
            .add_attribute(Attribute::new("tags", tags_expr(&plan.tags)));
        if r.trusts_created_user {
            // IAM refuses a trust policy naming a user that does not exist yet.
            role = role.add_attribute(Attribute::new("depends_on", Expression::Array(vec![reference("aws_iam_user.user".into())])));
        }
        body = body.add_block(role.build());
        for (i, arn) in r.attach.iter().enumerate() {
            body = body.add_block(attachment(plan, "role", &format!("{id}_attach_{i}"), &format!("aws_iam_role.{id}.name"), arn));
        }
    }
    for r in &plan.service_account_roles {
        let id = ident(&format!("service_account_role_{}", r.key));
        let role = Block::builder("resource")
            .add_label("aws_iam_role")
            .add_label(id.clone())
            .add_attribute(("name", r.name.clone()))
            .add_attribute(("path", plan.path.clone()))
            .add_attribute(("description", r.description.clone()))
            .add_attribute(("max_session_duration", r.max_session_seconds as u64))
            .add_attribute(Attribute::new("assume_role_policy", jsonencode(&r.trust_policy)))
            .add_attribute(Attribute::new("tags", tags_expr(&plan.tags)));
        body = body.add_block(role.build());
        for (i, arn) in r.attach.iter().enumerate() {
            body = body.add_block(attachment(plan, "role", &format!("{id}_attach_{i}"), &format!("aws_iam_role.{id}.name"), arn));
        }
    }
    if let Some(stacks) = spacelift {
        for b in spacelift_blocks(plan, stacks).into_blocks() {
            body = body.add_block(b);
        }
    }
    let mut text: String = header(&bundle).lines().map(|l| format!("# {l}\n")).collect();
    text.push('\n');
    text.push_str(&hcl::format::to_string(&body.build()).expect("hcl"));
    Rendered { format: Format::Terraform, text: text.into(), holds_secret: false, file_name: Format::Terraform.file_name(&journal.run_id) }
}

/// Spacelift's side, as its Terraform provider programs it: one `spacelift_aws_integration`
/// per role (an integration holds one role ARN), attached to each stack of
/// `var.spacelift_stacks` for the role's phase only (the read role for `read`, the write
/// role for `write`), and the External ID Spacelift will send per stack from the
/// `spacelift_aws_integration_attachment_external_id` data source, checked against the
/// role's trust condition. A role a private worker assumes (`generate_credentials_in_worker`)
/// carries its fixed External ID on the integration instead.
fn spacelift_blocks(plan: &Plan, stacks: &[String]) -> Body {
    let mut text = String::new();
    let stacks_json = serde_json::to_string(stacks).expect("stacks");
    text.push_str(&format!(
        "variable \"spacelift_stacks\" {{\n  description = \"Slugs of the Spacelift stacks the integrations are attached to\"\n  type        = list(string)\n  default     = {stacks_json}\n}}\n"
    ));
    let mut outputs = Vec::new();
    for r in &plan.roles {
        let id = ident(&r.key);
        let role = ident(&format!("role_{}", r.key));
        let phase = super::spacelift_phase(&r.key);
        let (read, write) = (phase == "read", phase == "write");
        let worker = !super::spacelift_assumes(r);
        let name = serde_json::to_string(&r.name).expect("name");
        text.push_str(&format!(
            "resource \"spacelift_aws_integration\" \"{id}\" {{\n  name                           = {name}\n  role_arn                       = aws_iam_role.{role}.arn\n  generate_credentials_in_worker = {worker}\n"
        ));
        if worker {
            text.push_str(&format!("  external_id                    = {}\n", serde_json::to_string(&r.external_id).expect("id")));
        }
        text.push_str("}\n");
        text.push_str(&format!(
            "resource \"spacelift_aws_integration_attachment\" \"{id}\" {{\n  for_each       = toset(var.spacelift_stacks)\n  integration_id = spacelift_aws_integration.{id}.id\n  stack_id       = each.value\n  read           = {read}\n  write          = {write}\n  depends_on     = [aws_iam_role.{role}]\n}}\n"
        ));
        if worker {
            // A private worker sends the integration's own External ID for every stack.
            outputs
                .push(format!("    {id} = {{ for stack in var.spacelift_stacks : stack => spacelift_aws_integration.{id}.external_id }}"));
            continue;
        }
        text.push_str(&format!(
            "data \"spacelift_aws_integration_attachment_external_id\" \"{id}\" {{\n  for_each       = toset(var.spacelift_stacks)\n  integration_id = spacelift_aws_integration.{id}.id\n  stack_id       = each.value\n  read           = {read}\n  write          = {write}\n}}\n"
        ));
        // The trust condition is a glob; Terraform checks the prefix before `*`.
        let prefix = r.condition.value.split('*').next().unwrap_or_default();
        let suffix = format!("@{phase}");
        text.push_str(&format!(
                "check \"spacelift_{id}_external_ids\" {{\n  assert {{\n    condition     = alltrue([for d in data.spacelift_aws_integration_attachment_external_id.{id} : startswith(d.external_id, {}) && endswith(d.external_id, {})])\n    error_message = {}\n  }}\n}}\n",
                serde_json::to_string(prefix).expect("prefix"),
                serde_json::to_string(&suffix).expect("suffix"),
                serde_json::to_string(&format!("an External ID Spacelift sends for role {} does not match its trust condition {}", r.name, r.condition.value)).expect("message"),
            ));
        outputs.push(format!(
            "    {id} = {{ for stack, d in data.spacelift_aws_integration_attachment_external_id.{id} : stack => d.external_id }}"
        ));
    }
    text.push_str(&format!(
        "output \"spacelift_external_ids\" {{\n  description = \"The External ID Spacelift sends for each role and stack\"\n  value = {{\n{}\n  }}\n}}\n",
        outputs.join("\n")
    ));
    hcl::parse(&text).unwrap_or_else(|e| panic!("the Spacelift blocks are not HCL ({e}):\n{text}"))
}

/// A CloudFormation logical id: `prefix` and the key in CamelCase (`Role` + `read` = `RoleRead`).
pub(crate) fn cfn_id(prefix: &str, key: &str) -> String {
    let mut s = prefix.to_string();
    let mut up = true;
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(if up { c.to_ascii_uppercase() } else { c });
            up = false;
        } else {
            up = true;
        }
    }
    s
}

/// A YAML scalar: JSON's double-quoted strings are valid YAML.
pub(crate) fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

fn cfn_tags(out: &mut String, tags: &[Tag], indent: &str) {
    out.push_str(&format!("{indent}Tags:\n"));
    for t in tags {
        out.push_str(&format!("{indent}  - Key: {}\n{indent}    Value: {}\n", q(&t.key), q(&t.value)));
    }
}

fn cfn_arns(out: &mut String, plan: &Plan, arns: &[String], indent: &str, docs: &dyn CfnDocs) {
    if arns.is_empty() {
        return;
    }
    out.push_str(&format!("{indent}ManagedPolicyArns:\n"));
    for a in arns {
        match policy_ref(plan, a, false) {
            Some(id) => out.push_str(&format!("{indent}  - !Ref {id}\n")),
            None => out.push_str(&format!("{indent}  - {}\n", serde_json::to_string(&docs.arn(a)).expect("json"))),
        }
    }
}

/// What the CloudFormation resources say for a plan's documents and ARNs: the export
/// replays them as planned (`AsPlanned`); a StackSet (`fleet::render`) writes them so
/// that each account gets its own.
pub(crate) trait CfnDocs {
    fn policy(&self, p: &PlannedPolicy) -> Value {
        p.document.clone()
    }
    fn trust(&self, r: &PlannedRole) -> Value {
        r.trust_policy.clone()
    }
    fn arn(&self, arn: &str) -> Value {
        Value::String(arn.to_string())
    }
}

/// The documents and ARNs exactly as the run used them.
pub(crate) struct AsPlanned;
impl CfnDocs for AsPlanned {}

/// CloudFormation, YAML. Documents are written as JSON flow mappings (valid YAML), so
/// they are byte for byte the documents the run used.
pub fn cloudformation(journal: &Journal) -> Rendered {
    let plan = &journal.plan;
    let bundle = Bundle::from_journal(journal);
    let mut out: String = header(&bundle).lines().map(|l| format!("# {l}\n")).collect();
    out.push_str("AWSTemplateFormatVersion: \"2010-09-09\"\n");
    out.push_str(&format!("Description: {}\n", q(&format!("Rolegate run {} ({}), replayed", bundle.run_id, bundle.template_id))));
    out.push_str(&resources_and_outputs(plan, &plan.tags, &AsPlanned, &plan.service_account_roles));
    Rendered {
        format: Format::Cloudformation,
        text: out.into(),
        holds_secret: false,
        file_name: Format::Cloudformation.file_name(&journal.run_id),
    }
}

/// The `Resources` and `Outputs` sections of a plan: its policies, its user, its roles,
/// each carrying `tags`, their documents and ARNs as `docs` writes them.
pub(crate) fn cloudformation_resources(plan: &Plan, tags: &[Tag], docs: &dyn CfnDocs) -> String {
    resources_and_outputs(plan, tags, docs, &[])
}

/// `cloudformation_resources` with the service-account roles (IRSA) of a run in its own
/// account too: their trust names that account's OIDC provider, so only the run's own
/// replay holds them.
fn resources_and_outputs(plan: &Plan, tags: &[Tag], docs: &dyn CfnDocs, service_account_roles: &[PlannedServiceAccountRole]) -> String {
    let json = |v: &Value| serde_json::to_string(v).expect("json");
    let mut out = String::from("Resources:\n");
    for p in &plan.policies {
        out.push_str(&format!("  {}:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n", cfn_id("Policy", &p.key)));
        out.push_str(&format!("      ManagedPolicyName: {}\n      Path: {}\n", q(&p.name), q(&plan.path)));
        out.push_str(&format!("      Description: {}\n", q(&p.description)));
        out.push_str(&format!("      PolicyDocument: {}\n", json(&docs.policy(p))));
    }
    if let Some(u) = &plan.user {
        out.push_str("  User:\n    Type: AWS::IAM::User\n    Properties:\n");
        out.push_str(&format!("      UserName: {}\n      Path: {}\n", q(&u.name), q(&plan.path)));
        cfn_arns(&mut out, plan, &u.attach, "      ", docs);
        if let Some((name, doc)) = &u.inline_policy {
            out.push_str(&format!("      Policies:\n        - PolicyName: {}\n          PolicyDocument: {}\n", q(name), json(doc)));
        }
        cfn_tags(&mut out, tags, "      ");
    }
    for r in &plan.roles {
        out.push_str(&format!("  {}:\n    Type: AWS::IAM::Role\n", cfn_id("Role", &r.key)));
        if r.trusts_created_user {
            out.push_str("    DependsOn: User\n");
        }
        out.push_str("    Properties:\n");
        out.push_str(&format!("      RoleName: {}\n      Path: {}\n", q(&r.name), q(&plan.path)));
        out.push_str(&format!("      Description: {}\n      MaxSessionDuration: {}\n", q(&r.description), r.max_session_seconds));
        out.push_str(&format!("      AssumeRolePolicyDocument: {}\n", json(&docs.trust(r))));
        cfn_arns(&mut out, plan, &r.attach, "      ", docs);
        cfn_tags(&mut out, tags, "      ");
    }
    for r in service_account_roles {
        out.push_str(&format!("  {}:\n    Type: AWS::IAM::Role\n    Properties:\n", cfn_id("ServiceAccountRole", &r.key)));
        out.push_str(&format!("      RoleName: {}\n      Path: {}\n", q(&r.name), q(&plan.path)));
        out.push_str(&format!("      Description: {}\n      MaxSessionDuration: {}\n", q(&r.description), r.max_session_seconds));
        out.push_str(&format!("      AssumeRolePolicyDocument: {}\n", json(&r.trust_policy)));
        cfn_arns(&mut out, plan, &r.attach, "      ", docs);
        cfn_tags(&mut out, tags, "      ");
    }
    out.push_str("Outputs:\n");
    for r in &plan.roles {
        out.push_str(&format!("  {}Arn:\n    Value: !GetAtt {}.Arn\n", cfn_id("Role", &r.key), cfn_id("Role", &r.key)));
    }
    for r in service_account_roles {
        let id = cfn_id("ServiceAccountRole", &r.key);
        out.push_str(&format!("  {id}Arn:\n    Value: !GetAtt {id}.Arn\n"));
    }
    if plan.user.is_some() {
        out.push_str("  UserArn:\n    Value: !GetAtt User.Arn\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(template: &str, vars: &[(&str, &str)]) -> Journal {
        let (plan, inputs) = crate::testing::builtin_plan(template, vars, "123456789012", "rg-0123456789ab");
        Journal::new(plan, inputs, time::OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn spacelift_runs_get_an_integration_per_role_attached_for_its_phase_and_checked_against_the_trust() {
        let j = journal("spacelift", &[("spacelift_account", "acme")]);
        let tf = terraform(&j, Some(&["prod-vpc".to_string()])).text.as_str().to_string();
        let body = hcl::parse(&tf).unwrap_or_else(|e| panic!("{e}\n{tf}"));
        let labels = |b: &Block| b.labels().iter().map(|l| l.as_str().to_string()).collect::<Vec<_>>().join(".");
        let found: Vec<String> = body.blocks().map(|b| format!("{} {}", b.identifier(), labels(b))).collect();
        for want in [
            "resource spacelift_aws_integration.read",
            "resource spacelift_aws_integration.write",
            "resource spacelift_aws_integration_attachment.read",
            "resource spacelift_aws_integration_attachment.write",
            "data spacelift_aws_integration_attachment_external_id.read",
            "data spacelift_aws_integration_attachment_external_id.write",
            "check spacelift_read_external_ids",
            "check spacelift_write_external_ids",
            "variable spacelift_stacks",
            "output spacelift_external_ids",
        ] {
            assert!(found.iter().any(|f| f == want), "no {want} in:\n{tf}");
        }
        assert!(tf.contains("startswith(d.external_id, \"acme@\")") && tf.contains("endswith(d.external_id, \"@write\")"), "{tf}");
        // Not a Spacelift run: no Spacelift provider at all.
        let plain = terraform(&journal("seqera-batch-launch", &[]), None).text.as_str().to_string();
        assert!(!plain.contains("spacelift"), "{plain}");
    }

    #[test]
    fn a_worker_run_has_the_worker_generate_credentials_with_the_runs_external_id() {
        let j = journal("spacelift-worker", &[("worker_account", "210987654321"), ("worker_role", "spacelift-worker")]);
        let tf = terraform(&j, Some(&[])).text.as_str().to_string();
        hcl::parse(&tf).unwrap_or_else(|e| panic!("{e}\n{tf}"));
        assert!(tf.contains("generate_credentials_in_worker = true"), "{tf}");
        for r in &j.plan.roles {
            assert!(tf.contains(&format!("external_id = \"{}\"", r.external_id)) || tf.contains(&r.external_id), "{tf}");
            assert_eq!(r.principals, ["arn:aws:iam::210987654321:role/spacelift-worker"]);
        }
        assert!(!tf.contains("check \"spacelift_"), "a fixed External ID needs no pattern check:\n{tf}");
        assert!(!tf.contains("data \"spacelift_aws_integration_attachment_external_id\""), "{tf}");
        assert!(tf.contains("spacelift_aws_integration.read.external_id"), "{tf}");
    }
}
