//! EKS onboarding against the emulator: the service-account role of `seqera-eks` is
//! planned from the cluster the person names (described in its region; the issuer of
//! that cluster, not another's), blocked while the account has no IAM OIDC provider for
//! it, proven by its exact trust, failed when that trust is widened (and passing again
//! once the fix is applied), and rolled back to nothing; Seqera's identity is let into a
//! cluster that admits access entries through one, removed at roll-back. Every mode's full cycle is in
//! `scenarios.rs` (`every_eks_mode_cycles_with_every_feature`).

use rolegate_core::checks::CheckStatus;
use rolegate_core::journal::RunStatus;
use rolegate_core::plan::RunInputs;
use rolegate_core::ports::Connect;
use rolegate_core::template::find_builtin;
use rolegate_core::{ApplyOptions, RollbackOptions, RunError};
use rolegate_tests::{emulator, Harness};
use serde_json::json;

fn inputs(template: &str, cluster: &str) -> RunInputs {
    let mut i = RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    i.variables.insert("eks_cluster".into(), cluster.into());
    i.variables.insert("compute_region".into(), "eu-central-1".into());
    i.variables.insert("work_bucket".into(), "rolegate-work".into());
    i
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_oidc_provider_the_plan_is_blocked_and_an_unknown_cluster_is_refused() {
    let h = Harness::new();
    let issuer = emulator().eks_cluster(&h.account, "eu-central-1", "pipelines", None);
    let t = find_builtin("seqera-eks").unwrap();
    let plan = h.engine.plan(&t, &inputs("seqera-eks", "pipelines")).await.unwrap();
    assert!(plan.blocked());
    let lint = plan.lints.iter().find(|l| l.rule == "eks-no-oidc-provider").expect("the lint");
    assert_eq!(lint.field, "var.eks_cluster");
    assert!(
        lint.message.contains("eksctl utils associate-iam-oidc-provider --cluster pipelines --region eu-central-1 --approve"),
        "{}",
        lint.message
    );
    assert!(lint.message.contains(&format!("aws iam create-open-id-connect-provider --url {issuer}")), "{}", lint.message);
    assert!(matches!(h.engine.start(plan, inputs("seqera-eks", "pipelines")), Err(RunError::Blocked(_))));
    // A provider that does not accept STS's audience blocks it too.
    emulator().oidc_provider(&h.account, &issuer, &["other-audience"]);
    let plan = h.engine.plan(&t, &inputs("seqera-eks", "pipelines")).await.unwrap();
    assert!(plan.lints.iter().any(|l| l.rule == "eks-oidc-audience"), "{:?}", plan.lints);

    match h.engine.plan(&t, &inputs("seqera-eks", "elsewhere")).await {
        Err(RunError::Invalid(errs)) => assert!(
            errs.iter().any(|e| e.field == "var.eks_cluster"
                && e.rule == "eks-cluster-not-found"
                && e.message.contains("elsewhere in eu-central-1")),
            "{errs:?}"
        ),
        other => panic!("expected the cluster refused, got {other:?}"),
    }
    assert_eq!(h.inventory().await, Vec::<String>::new(), "nothing was made");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widened_service_account_trust_fails_verification_until_restored_and_rolls_back() {
    let h = Harness::new();
    // Two clusters: the plan must trust the named one's issuer only.
    let other = emulator().eks_cluster(&h.account, "eu-central-1", "other", None);
    let issuer = emulator().eks_cluster(&h.account, "eu-central-1", "pipelines", Some("API"));
    emulator().oidc_provider(&h.account, &other, &["sts.amazonaws.com"]);
    let provider = emulator().oidc_provider(&h.account, &issuer, &["sts.amazonaws.com"]);
    let t = find_builtin("seqera-eks-key-role").unwrap();
    let plan = h.engine.plan(&t, &inputs("seqera-eks-key-role", "pipelines")).await.unwrap();
    assert!(!plan.blocked(), "{:?}", plan.lints);
    let role = plan.service_account_roles[0].clone();
    assert_eq!(role.oidc_provider_arn, provider);
    let run = plan.run_id.clone();
    h.engine.start(plan, inputs("seqera-eks-key-role", "pipelines")).unwrap();
    h.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let live: serde_json::Value = serde_json::from_str(&h.iam().get_role(&role.name).await.unwrap().unwrap().trust_policy).unwrap();
    assert_eq!(live, role.trust_policy);
    // The cluster admits access entries: Seqera's role (key+role) is let in through one.
    let eks = h.connect.eks("eu-central-1");
    let seqera_role = format!("arn:aws:iam::{}:role/seqera-eks", h.account.id);
    let entry = eks.describe_access_entry("pipelines", &seqera_role).await.unwrap().expect("the access entry");
    assert_eq!(
        (entry.username.as_str(), entry.kubernetes_groups.as_slice()),
        ("tower-launcher-role", &["tower-launcher-role".to_string()][..])
    );
    assert_eq!(
        eks.associated_access_policies("pipelines", &seqera_role).await.unwrap(),
        [("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy".to_string(), vec!["tower-nf".to_string()])]
    );
    let report = h.engine.verify(&run, None).await.unwrap();
    assert!(report.passed(), "{:#?}", report.checks);
    assert_eq!(report.checks.iter().find(|c| c.id == "cluster-access").unwrap().status, CheckStatus::Passed);
    assert_eq!(h.engine.journal(&run).unwrap().status, RunStatus::Verified);

    // Any service account of the cluster may now assume it.
    let wide = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {format!("{}:sub", role.issuer): "system:serviceaccount:*"}}}]});
    h.iam().update_assume_role_policy(&role.name, &wide.to_string()).await.unwrap();
    let report = h.engine.verify(&run, None).await.unwrap();
    let trust = report.checks.iter().find(|c| c.id == "service-account-trust:launcher").unwrap();
    assert_eq!(trust.status, CheckStatus::Failed, "{trust:?}");
    assert!(trust.reason.contains("system:serviceaccount:*"), "{}", trust.reason);
    assert_eq!(h.engine.journal(&run).unwrap().status, RunStatus::VerifyFailed);
    // The fix restores exactly the planned trust.
    let fix = trust.fix.clone().unwrap();
    let document = fix.split("--policy-document '").nth(1).unwrap().trim_end_matches('\'');
    h.iam().update_assume_role_policy(&role.name, document).await.unwrap();
    let report = h.engine.verify(&run, None).await.unwrap();
    assert!(report.passed(), "{:#?}", report.checks);

    let rb = h.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
    assert!(rb.deleted.contains(&format!("IAM role {}", role.name)), "{:?}", rb.deleted);
    assert!(rb.deleted.contains(&format!("EKS access entry of {seqera_role} on cluster pipelines (eu-central-1)")), "{:?}", rb.deleted);
    assert_eq!(eks.describe_access_entry("pipelines", &seqera_role).await.unwrap(), None);
    assert_eq!(h.inventory().await, Vec::<String>::new(), "rollback leaves nothing");
}
