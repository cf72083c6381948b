//! The service-account role of `seqera-eks` as planned: the cluster looked up by the
//! engine, its exact `Federated` trust, its steps, and what planning refuses or blocks.

use super::*;
use crate::plan::{build, Plan, StepId};
use crate::ports::CallerIdentity;
use crate::template::find_builtin;
use crate::testing::FixedEntropy;
use crate::validate::FieldErrors;

const ISSUER: &str = "https://oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";

fn caller() -> CallerIdentity {
    CallerIdentity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/admin".into(), user_id: "AIDA".into() }
}

fn inputs(template: &str, provider: Option<&str>) -> RunInputs {
    let mut i = RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    i.variables.insert("eks_cluster".into(), "pipelines".into());
    i.variables.insert("compute_region".into(), "eu-central-1".into());
    i.variables.insert("work_bucket".into(), "acme-work".into());
    i.clusters.insert(
        cluster_key("eu-central-1", "pipelines"),
        ClusterFacts {
            issuer: ISSUER.into(),
            oidc_provider: provider.map(String::from),
            oidc_audiences: vec!["sts.amazonaws.com".into()],
            authentication_mode: Some("API".into()),
        },
    );
    i
}

fn plan(template: &str, i: &RunInputs) -> Result<Plan, FieldErrors> {
    build(&find_builtin(template).unwrap(), i, &caller(), "rg-eks1", &FixedEntropy::default())
}

#[test]
fn every_mode_makes_the_service_account_role_with_the_exact_federated_trust() {
    for id in ["seqera-eks", "seqera-eks-key-role", "seqera-eks-role"] {
        let p = plan(id, &inputs(id, Some(PROVIDER))).unwrap();
        assert!(!p.blocked(), "{id}: {:?}", p.lints);
        let [r] = &p.service_account_roles[..] else { panic!("{id}: one service-account role") };
        assert_eq!(r.arn, "arn:aws:iam::123456789012:role/seqera-eks-launcher");
        assert_eq!((r.cluster.as_str(), r.cluster_region.as_str()), ("pipelines", "eu-central-1"));
        assert_eq!(r.subject, "system:serviceaccount:tower-nf:tower-launcher-sa");
        let host = "oidc.eks.eu-central-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
        assert_eq!(
            r.trust_policy,
            serde_json::json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {
                    format!("{host}:aud"): "sts.amazonaws.com",
                    format!("{host}:sub"): "system:serviceaccount:tower-nf:tower-launcher-sa"
                }}
            }]})
        );
        // It gets the launcher policy (the work directory, read and write), not Seqera's.
        let launcher = p.policies.iter().find(|x| x.key == "launcher").unwrap();
        assert_eq!(r.attach, std::slice::from_ref(&launcher.arn));
        let text = crate::policy::render(&launcher.document);
        assert!(text.contains("arn:aws:s3:::acme-work/*") && text.contains("s3:PutObject") && !text.contains("eks:"), "{text}");
        // Its steps: CreateRole with that trust, then the attachment after the policy.
        let role = p.steps.iter().find(|s| s.id == StepId::role("launcher")).unwrap();
        assert!(
            matches!(&role.call, crate::plan::Call::CreateRole { assume_role_policy_document, .. } if *assume_role_policy_document == r.trust_policy)
        );
        let attach = p.steps.iter().find(|s| s.id == StepId::role_attach("launcher", &launcher.arn)).unwrap();
        assert_eq!(attach.after, [StepId::role("launcher"), StepId::policy("launcher")]);
        // No wait: no one here can assume it (the pods' token is the cluster's).
        assert!(!p.steps.iter().any(|s| s.id == StepId::wait_role("launcher")));
    }
}

#[test]
fn no_oidc_provider_for_the_issuer_blocks_the_plan_naming_both_fixes() {
    for provider in [None, Some("arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/OTHER")] {
        let p = plan("seqera-eks", &inputs("seqera-eks", provider)).unwrap();
        assert!(p.blocked());
        let lint = p.lints.iter().find(|l| l.rule == "eks-no-oidc-provider").unwrap();
        assert_eq!(lint.field, "var.eks_cluster");
        assert!(lint.message.contains("eksctl utils associate-iam-oidc-provider --cluster pipelines --region eu-central-1 --approve"));
        assert!(lint
            .message
            .contains(&format!("aws iam create-open-id-connect-provider --url {ISSUER} --client-id-list sts.amazonaws.com")));
    }
}

#[test]
fn a_provider_that_does_not_accept_the_sts_audience_blocks_the_plan() {
    let mut i = inputs("seqera-eks", Some(PROVIDER));
    i.clusters.values_mut().for_each(|f| f.oidc_audiences = vec!["other".into()]);
    let p = plan("seqera-eks", &i).unwrap();
    let lint = p.lints.iter().find(|l| l.rule == "eks-oidc-audience").unwrap();
    assert!(p.blocked());
    assert!(lint.message.contains("(it has: other)"), "{}", lint.message);
    assert!(lint.message.contains(&format!("--open-id-connect-provider-arn {PROVIDER} --client-id sts.amazonaws.com")));
}

#[test]
fn the_cluster_must_be_named_and_looked_up_and_the_names_must_be_kubernetes_names() {
    let mut i = inputs("seqera-eks", Some(PROVIDER));
    i.variables.remove("eks_cluster");
    let errs = plan("seqera-eks", &i).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "var.eks_cluster" && e.rule == "required"), "{errs:?}");

    let mut i = inputs("seqera-eks", Some(PROVIDER));
    i.clusters.clear();
    let errs = plan("seqera-eks", &i).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "var.eks_cluster" && e.rule == "eks-cluster-not-looked-up"), "{errs:?}");

    let mut i = inputs("seqera-eks", Some(PROVIDER));
    i.variables.insert("k8s_namespace".into(), "Tower_NF".into());
    i.variables.insert("service_account".into(), "-sa".into());
    let errs = plan("seqera-eks", &i).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "var.k8s_namespace" && e.rule == "kubernetes-name"), "{errs:?}");
    assert!(errs.iter().any(|e| e.field == "var.service_account" && e.rule == "kubernetes-name"), "{errs:?}");

    let mut i = inputs("seqera-eks", Some(PROVIDER));
    i.clusters.values_mut().for_each(|f| f.issuer = String::new());
    let errs = plan("seqera-eks", &i).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "var.eks_cluster" && e.rule == "eks-oidc-issuer"), "{errs:?}");
}

#[test]
fn the_cluster_is_looked_up_in_the_compute_region_else_the_runs() {
    let t = find_builtin("seqera-eks").unwrap();
    let i = inputs("seqera-eks", None);
    let at = |region: &str| ClusterLookup { region: region.into(), name: "pipelines".into(), field: "var.eks_cluster".into() };
    assert_eq!(clusters_to_look_up(&t, &i), [at("eu-central-1")]);
    let mut i = inputs("seqera-eks", None);
    i.variables.remove("compute_region");
    assert_eq!(clusters_to_look_up(&t, &i), [at("eu-west-1")]);
    i.variables.insert("eks_cluster".into(), "*".into());
    assert!(clusters_to_look_up(&t, &i).is_empty());
}

#[test]
fn a_service_account_role_key_may_not_repeat_a_role_key() {
    let text = include_str!("../../templates/seqera-eks.json").replace(
        "\"key\": \"launcher\",\n      \"name\": \"seqera-eks-launcher\",\n      \"description\": \"Assumed by the pods",
        "\"key\": \"main\",\n      \"name\": \"seqera-eks-launcher\",\n      \"description\": \"Assumed by the pods",
    );
    let errs = crate::template::Template::from_json_all("t.json", &text).unwrap_err();
    assert!(errs.iter().any(|e| e.field.ends_with("service_account_roles[0].key") && e.rule == "template-key"), "{errs:?}");
}

#[test]
fn a_cluster_access_must_name_an_eks_access_policy_and_groups() {
    let text = include_str!("../../templates/seqera-eks.json")
        .replace("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", "arn:aws:iam::aws:policy/AdministratorAccess")
        .replace("\"groups\": [\n      \"tower-launcher-role\"\n    ]", "\"groups\": []");
    let errs = crate::template::Template::from_json_all("t.json", &text).unwrap_err();
    assert!(errs.iter().any(|e| e.field == "t.json.cluster_access.access_policy" && e.rule == "eks-access-policy"), "{errs:?}");
    assert!(errs.iter().any(|e| e.field == "t.json.cluster_access.groups" && e.rule == "required"), "{errs:?}");
}
