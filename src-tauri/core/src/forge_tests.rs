//! The Seqera Batch Forge template's policy, evaluated as IAM would: it still allows
//! every call Seqera's Forge policy lists on the resources Forge makes, and no longer
//! lets its key attach any managed policy, pass its roles to any service, or assume
//! the roles it creates.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::plan::{build, RunInputs};
use crate::policy::{self, glob_match, Severity};
use crate::ports::CallerIdentity;
use crate::template::find_builtin;
use crate::testing::FixedEntropy;

const ACCOUNT: &str = "123456789012";

/// Every action of Seqera's Batch Forge policy (seqeralabs/nf-tower-aws
/// forge/forge-policy.json, statements TowerForge0 and TowerLaunch0) that Seqera's
/// August 2026 AWS Batch policy still has (it dropped ses:SendRawEmail, the ecs
/// describes, batch:ListJobs and some ec2 describes; `template_reference_tests` holds the
/// template to the 2026 document itself).
const SEQERA_FORGE_ACTIONS: &[&str] = &[
    "ssm:GetParameters",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetRole",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:AddRoleToInstanceProfile",
    "iam:PassRole",
    "iam:DetachRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:ListRolePolicies",
    "iam:TagRole",
    "iam:TagInstanceProfile",
    "batch:CreateComputeEnvironment",
    "batch:DescribeComputeEnvironments",
    "batch:CreateJobQueue",
    "batch:DescribeJobQueues",
    "batch:UpdateComputeEnvironment",
    "batch:DeleteComputeEnvironment",
    "batch:UpdateJobQueue",
    "batch:DeleteJobQueue",
    "fsx:DeleteFileSystem",
    "fsx:DescribeFileSystems",
    "fsx:CreateFileSystem",
    "fsx:TagResource",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeSubnets",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:CreateLaunchTemplate",
    "ec2:DeleteLaunchTemplate",
    "ec2:DescribeKeyPairs",
    "ec2:DescribeVpcs",
    "ec2:DescribeInstanceTypeOfferings",
    "elasticfilesystem:DescribeMountTargets",
    "elasticfilesystem:CreateMountTarget",
    "elasticfilesystem:CreateFileSystem",
    "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DeleteMountTarget",
    "elasticfilesystem:DeleteFileSystem",
    "elasticfilesystem:UpdateFileSystem",
    "elasticfilesystem:PutLifecycleConfiguration",
    "elasticfilesystem:TagResource",
    "s3:GetObject",
    "s3:ListBucket",
    "batch:CancelJob",
    "batch:SubmitJob",
    "batch:TagResource",
    "batch:TerminateJob",
    "batch:DescribeJobs",
    "batch:RegisterJobDefinition",
    "batch:DescribeJobDefinitions",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeImages",
    "logs:DescribeLogGroups",
    "logs:GetLogEvents",
    "logs:ListTagsLogGroup",
    "logs:StartQuery",
    "logs:StopQuery",
    "logs:TestMetricFilter",
    "logs:FilterLogEvents",
];

fn arn(s: &str) -> String {
    format!("arn:aws:{s}")
}

/// The resource Forge calls an action on: its own TowerForge-* roles, instance
/// profiles, compute environments and queues, the work bucket, the ECS AMI
/// parameters; `*` for the rest.
fn resource_for(action: &str) -> String {
    let (svc, name) = action.split_once(':').unwrap();
    match svc {
        "iam" if name.contains("InstanceProfile") => arn(&format!("iam::{ACCOUNT}:instance-profile/TowerForge-4fKq-InstanceRole")),
        "iam" => arn(&format!("iam::{ACCOUNT}:role/TowerForge-4fKq-InstanceRole")),
        "batch" if name.ends_with("ComputeEnvironment") => arn(&format!("batch:eu-west-1:{ACCOUNT}:compute-environment/TowerForge-4fKq")),
        "batch" if name.starts_with("Describe") => "*".into(),
        "batch" => arn(&format!("batch:eu-west-1:{ACCOUNT}:job-queue/TowerForge-4fKq-work")),
        "s3" if name == "GetObject" => arn("s3:::work-bucket/work/.nextflow.log"),
        "s3" => arn("s3:::work-bucket"),
        "ssm" => arn("ssm:eu-west-1::parameter/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"),
        _ => "*".into(),
    }
}

/// What the request carries for the condition keys the policy may test.
fn forge_context(action: &str) -> BTreeMap<&'static str, String> {
    let mut c = BTreeMap::new();
    match action {
        "iam:AttachRolePolicy" => {
            c.insert("iam:PolicyARN", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role".into());
        }
        "iam:PassRole" => {
            c.insert("iam:PassedToService", "batch.amazonaws.com".into());
        }
        _ => {}
    }
    c
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement's Condition holds for the request (String/Arn Equals/Like;
/// a key the request does not carry fails the condition, as in IAM).
fn condition_holds(st: &Value, ctx: &BTreeMap<&str, String>) -> bool {
    let Some(ops) = st.get("Condition").and_then(Value::as_object) else {
        return true;
    };
    ops.iter().all(|(op, keys)| {
        keys.as_object().unwrap().iter().all(|(k, want)| {
            let Some(got) = ctx.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v) else {
                return false;
            };
            list(Some(want)).iter().any(|w| match op.as_str() {
                "StringEquals" | "ArnEquals" => w == got,
                "StringLike" | "ArnLike" => glob_match(w, got),
                other => panic!("the test evaluator does not know {other}"),
            })
        })
    })
}

/// IAM's decision for one request against one identity policy: an explicit Deny wins,
/// then any Allow.
fn allowed(doc: &Value, action: &str, resource: &str, ctx: &BTreeMap<&str, String>) -> bool {
    let applies = |st: &Value| {
        let acts = list(st.get("Action"));
        let res = list(st.get("Resource"));
        acts.iter().any(|a| glob_match(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
            && res.iter().any(|r| r == "*" || glob_match(r, resource))
            && condition_holds(st, ctx)
    };
    let statements = doc["Statement"].as_array().unwrap();
    if statements.iter().any(|st| st["Effect"] == "Deny" && applies(st)) {
        return false;
    }
    statements.iter().any(|st| st["Effect"] == "Allow" && applies(st))
}

/// Every optional feature of the Forge template (IAM roles among them).
fn all_features(t: &crate::template::Template) -> Vec<String> {
    t.features.iter().map(|f| f.key.clone()).collect()
}

/// The Forge policy with every feature ticked and the scope variables at their defaults.
fn forge_document() -> Value {
    let t = find_builtin("seqera-batch-forge").unwrap();
    let doc = t.with_features("main", t.policies[0].document.as_ref().unwrap(), &all_features(&t));
    policy::substitute(
        &doc,
        &[
            ("partition", "aws"),
            ("account", ACCOUNT),
            ("region", "eu-west-1"),
            ("compute_region", "*"),
            ("work_bucket", "*"),
            ("data_bucket", "*"),
        ],
    )
}

#[test]
fn forge_still_allows_every_call_seqera_lists_on_what_it_makes() {
    let doc = forge_document();
    let missing: Vec<String> = SEQERA_FORGE_ACTIONS
        .iter()
        .filter(|a| !allowed(&doc, a, &resource_for(a), &forge_context(a)))
        .map(|a| format!("{a} on {}", resource_for(a)))
        .collect();
    assert!(missing.is_empty(), "no longer allowed: {missing:?}");
    let t = find_builtin("seqera-batch-forge").unwrap();
    for a in &t.user.as_ref().unwrap().verify_actions {
        assert!(allowed(&doc, a, &resource_for(a), &BTreeMap::new()), "{a} is simulated after a run and must be allowed");
    }
    // Every managed policy Seqera's documents name for the roles of a Batch compute
    // environment can be attached, and each role can be handed to Batch and EC2.
    for p in [
        "service-role/AWSBatchServiceRole",
        "service-role/AmazonEC2ContainerServiceforEC2Role",
        "service-role/AmazonEC2SpotFleetTaggingRole",
        "service-role/AmazonECSTaskExecutionRolePolicy",
    ] {
        let ctx = BTreeMap::from([("iam:PolicyARN", format!("arn:aws:iam::aws:policy/{p}"))]);
        assert!(allowed(&doc, "iam:AttachRolePolicy", &resource_for("iam:AttachRolePolicy"), &ctx), "{p}");
    }
    for svc in ["batch.amazonaws.com", "ec2.amazonaws.com"] {
        let ctx = BTreeMap::from([("iam:PassedToService", svc.to_string())]);
        assert!(allowed(&doc, "iam:PassRole", &resource_for("iam:PassRole"), &ctx), "{svc}");
    }
    // ... and only so: without the condition keys the two calls are not allowed.
    for a in ["iam:AttachRolePolicy", "iam:PassRole"] {
        assert!(!allowed(&doc, a, &resource_for(a), &BTreeMap::new()), "{a} is allowed with no condition");
    }
}

#[test]
fn forge_cannot_make_itself_an_administrator_through_managed_policies_or_its_roles() {
    let doc = forge_document();
    let role = resource_for("iam:AttachRolePolicy");
    for p in ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess", "service-role/AWSBatchServiceRole-not-really"] {
        let ctx = BTreeMap::from([("iam:PolicyARN", format!("arn:aws:iam::aws:policy/{p}"))]);
        assert!(!allowed(&doc, "iam:AttachRolePolicy", &role, &ctx), "{p} can be attached");
    }
    let own = BTreeMap::from([("iam:PolicyARN", format!("arn:aws:iam::{ACCOUNT}:policy/anything"))]);
    assert!(!allowed(&doc, "iam:AttachRolePolicy", &role, &own), "a customer managed policy can be attached");
    for svc in ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "cloudformation.amazonaws.com"] {
        let ctx = BTreeMap::from([("iam:PassedToService", svc.to_string())]);
        assert!(!allowed(&doc, "iam:PassRole", &role, &ctx), "a forged role can be passed to {svc}");
    }
    assert!(!allowed(&doc, "sts:AssumeRole", &role, &BTreeMap::new()), "the key may assume a role it created");
    // No statement asks for a permissions boundary: Forge's own CreateRole and
    // PutRolePolicy calls set none, so such a condition would stop Forge.
    let text = policy::render(&doc);
    assert!(!text.contains("iam:PermissionsBoundary"), "{text}");
}

#[test]
fn the_forge_plan_warns_of_the_inline_policy_path_and_asks_for_acknowledgement() {
    let t = find_builtin("seqera-batch-forge").unwrap();
    let caller = CallerIdentity { account: ACCOUNT.into(), arn: format!("arn:aws:iam::{ACCOUNT}:user/admin"), user_id: "AIDA".into() };
    let inputs = RunInputs {
        template_id: t.id.clone(),
        region: "eu-west-1".into(),
        path: "/".into(),
        features: vec!["iam-roles".into()],
        ..Default::default()
    };
    let plan = build(&t, &inputs, &caller, "rg-x", &FixedEntropy::default()).unwrap();
    let rules: Vec<(&str, Severity, bool)> = plan.lints.iter().map(|l| (l.rule.as_str(), l.severity, l.acknowledge)).collect();
    // Attachment is limited now; inline policies cannot be, and the person is told so.
    assert_eq!(rules, [("role-escalation-inline", Severity::Warning, true)]);
    assert!(!plan.blocked());
    assert!(plan.lints[0].message.contains("iam:PutRolePolicy"), "{}", plan.lints[0].message);
    // Without the IAM roles feature the key creates no role, and there is nothing to warn of.
    let plan = build(&t, &RunInputs { features: vec![], ..inputs }, &caller, "rg-x", &FixedEntropy::default()).unwrap();
    assert!(plan.lints.iter().all(|l| !l.rule.starts_with("role-escalation")), "{:?}", plan.lints);
    let doc = policy::render(&plan.policies[0].document);
    assert!(!doc.contains("iam:CreateRole") && doc.contains("batch:CreateComputeEnvironment"), "{doc}");
}
