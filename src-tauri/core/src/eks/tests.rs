//! `Engine::plan` of a template with a service-account role, against the in-memory EKS:
//! the cluster is described in its own region and the plan trusts its real issuer; a
//! missing cluster is an input error naming the variable; facts a person supplies are
//! replaced by what AWS says.

use std::sync::Arc;

use crate::error::RunError;
use crate::journal::FileJournalStore;
use crate::plan::{service_accounts::cluster_key, ClusterFacts, RunInputs};
use crate::propagation::PollSettings;
use crate::template::Template;
use crate::testing::aws::FakeAws;
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::Engine;

const ACCOUNT: &str = "111122223333";

fn engine(aws: &FakeAws, dir: &std::path::Path) -> Engine {
    Engine {
        connect: Arc::new(aws.clone()),
        vault: Arc::new(MemoryVault::default()),
        store: Arc::new(FileJournalStore::new(dir)),
        fleets: Arc::new(crate::fleet::FleetStore::new(dir.join("fleets"))),
        clock: Arc::new(ManualClock::new()),
        entropy: Arc::new(FixedEntropy::default()),
        events: Arc::new(|_| {}),
        poll: PollSettings::default(),
    }
}

fn seqera_eks() -> Template {
    crate::template::find_builtin("seqera-eks").unwrap()
}

fn inputs() -> RunInputs {
    let mut i = RunInputs { template_id: "seqera-eks".into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    i.variables.insert("eks_cluster".into(), "pipelines".into());
    i.variables.insert("compute_region".into(), "eu-central-1".into());
    i
}

#[tokio::test]
async fn the_plan_trusts_the_issuer_eks_gives_for_the_named_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(ACCOUNT, Arc::new(ManualClock::new()));
    // Another cluster of the same name in the run's region must not be the one used.
    aws.eks.add_cluster(ACCOUNT, "eu-west-1", "pipelines", "1111111111111111AAAAAAAAAAAAAAAA");
    let issuer = aws.eks.add_cluster(ACCOUNT, "eu-central-1", "pipelines", "0123456789ABCDEF0123456789ABCDEF");
    let provider = aws.eks.add_provider(ACCOUNT, &issuer);
    let e = engine(&aws, dir.path());
    // What a person wrote into the inputs is not believed.
    let mut given = inputs();
    given.clusters.insert(
        cluster_key("eu-central-1", "pipelines"),
        ClusterFacts { issuer: "https://evil.example/id/1".into(), ..Default::default() },
    );
    let plan = e.plan(&seqera_eks(), &given).await.unwrap();
    assert!(!plan.blocked(), "{:?}", plan.lints);
    let r = &plan.service_account_roles[0];
    assert_eq!(r.oidc_provider_arn, provider);
    assert_eq!(r.issuer, issuer.trim_start_matches("https://"));
    assert_eq!(r.trust_policy["Statement"][0]["Principal"]["Federated"], provider.as_str());
    assert_eq!(aws.eks.calls(), ["eu-central-1 eks:DescribeCluster", "iam:ListOpenIDConnectProviders"]);
}

#[tokio::test]
async fn without_a_provider_the_plan_is_blocked_and_without_the_cluster_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(ACCOUNT, Arc::new(ManualClock::new()));
    aws.eks.add_cluster(ACCOUNT, "eu-central-1", "pipelines", "0123456789ABCDEF0123456789ABCDEF");
    let e = engine(&aws, dir.path());
    let plan = e.plan(&seqera_eks(), &inputs()).await.unwrap();
    assert!(plan.blocked());
    assert!(plan.lints.iter().any(|l| l.rule == "eks-no-oidc-provider"));
    assert!(matches!(e.start(plan, inputs()), Err(RunError::Blocked(_))));

    let mut other = inputs();
    other.variables.insert("eks_cluster".into(), "nope".into());
    match e.plan(&seqera_eks(), &other).await {
        Err(RunError::Invalid(errs)) => {
            assert!(
                errs.iter().any(|f| f.field == "var.eks_cluster"
                    && f.rule == "eks-cluster-not-found"
                    && f.message.contains("nope in eu-central-1")),
                "{errs:?}"
            )
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_template_without_service_account_roles_makes_no_eks_call() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(ACCOUNT, Arc::new(ManualClock::new()));
    let e = engine(&aws, dir.path());
    let t = crate::template::find_builtin("seqera-batch-launch").unwrap();
    let i = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = e.plan(&t, &i).await.unwrap();
    assert!(plan.service_account_roles.is_empty());
    assert!(aws.eks.calls().is_empty());
}

/// Apply, verify and roll back `seqera-eks` (key mode) in memory: the service-account
/// role is made with the planned trust, its exact trust check is the proof and the
/// web-identity assume is skipped naming what would run it; a trust widened by hand fails
/// with the fix; the roll-back removes the role like any role.
#[tokio::test]
async fn the_service_account_role_is_made_proven_by_its_exact_trust_and_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(ACCOUNT, Arc::new(ManualClock::new()));
    let issuer = aws.eks.add_cluster(ACCOUNT, "eu-central-1", "pipelines", "0123456789ABCDEF0123456789ABCDEF");
    aws.eks.add_provider(ACCOUNT, &issuer);
    let e = engine(&aws, dir.path());
    let plan = e.plan(&seqera_eks(), &inputs()).await.unwrap();
    let run = e.start(plan, inputs()).unwrap().run_id;
    e.apply(&run, &crate::ApplyOptions::default()).await.unwrap();
    let role = e.journal(&run).unwrap().plan.service_account_roles[0].clone();
    assert!(aws.inventory().contains(&format!("role {}", role.name)), "{:?}", aws.inventory());
    assert_eq!(serde_json::from_str::<serde_json::Value>(&aws.trust_of(&role.name)).unwrap(), role.trust_policy);

    // Seqera's user (key mode) is let into the cluster through an access entry.
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/seqera-eks");
    assert_eq!(
        aws.eks.access_entries(),
        [format!("eu-central-1/pipelines {user_arn} [\"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy\"]")]
    );
    let report = e.verify(&run, None).await.unwrap();
    let check =
        |id: &str| report.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id}: {:?}", report.checks)).clone();
    assert_eq!(check("service-account-trust:launcher").status, crate::checks::CheckStatus::Passed);
    let assume = check("service-account-assume:launcher");
    assert_eq!(assume.status, crate::checks::CheckStatus::Skipped);
    assert!(
        assume.reason.contains("kubectl annotate serviceaccount tower-launcher-sa -n tower-nf eks.amazonaws.com/role-arn="),
        "{}",
        assume.reason
    );
    assert!(assume.reason.contains("aws sts get-caller-identity"), "{}", assume.reason);
    let access = check("cluster-access");
    assert_eq!(access.status, crate::checks::CheckStatus::Passed, "{access:?}");
    assert!(access.reason.contains("as tower-launcher-user (groups tower-launcher-role)"), "{}", access.reason);

    // The export hands over the role's ARN as the service account's annotation.
    let k8s = e.render_export(&run, &crate::engine::exports::ExportRequest::new(crate::export::Format::Kubernetes)).await.unwrap();
    let text: String = k8s.text.into();
    assert!(text.contains("kind: ServiceAccount\nmetadata:\n  name: tower-launcher-sa\n  namespace: tower-nf\n"), "{text}");
    assert!(text.contains(&format!("    eks.amazonaws.com/role-arn: {}\n", role.arn)), "{text}");
    assert!(text.contains(&format!(
        "kubectl annotate serviceaccount tower-launcher-sa -n tower-nf eks.amazonaws.com/role-arn={} --overwrite",
        role.arn
    )));
    assert!(crate::export::Format::offered_for(&e.journal(&run).unwrap()).contains(&crate::export::Format::Kubernetes));

    // The IaC replays make the service-account role too, with its exact trust.
    let journal = e.journal(&run).unwrap();
    let tf: String = crate::export::iac::terraform(&journal, None).text.into();
    let body = hcl::parse(&tf).unwrap_or_else(|err| panic!("{err}\n{tf}"));
    assert!(body.blocks().any(|b| b.labels().iter().any(|l| l.as_str() == "service_account_role_launcher")), "{tf}");
    assert!(tf.contains("sts:AssumeRoleWithWebIdentity") && tf.contains(&role.oidc_provider_arn), "{tf}");
    let cfn: String = crate::export::iac::cloudformation(&journal).text.into();
    assert!(cfn.contains("  ServiceAccountRoleLauncher:\n    Type: AWS::IAM::Role\n"), "{cfn}");
    assert!(cfn.contains("ServiceAccountRoleLauncherArn:") && cfn.contains(&role.oidc_provider_arn), "{cfn}");
    assert_eq!(cfn.matches("\nResources:\n").count() + usize::from(cfn.starts_with("Resources:\n")), 1, "{cfn}");

    // Someone widens the trust to every service account of the cluster.
    let mut wide = role.trust_policy.clone();
    let host = role.issuer.clone();
    wide["Statement"][0]["Condition"] = serde_json::json!({"StringLike": {format!("{host}:sub"): "system:serviceaccount:*"}});
    aws.set_trust(&role.name, &wide);
    let report = e.verify(&run, None).await.unwrap();
    let trust = report.checks.iter().find(|c| c.id == "service-account-trust:launcher").unwrap();
    assert_eq!(trust.status, crate::checks::CheckStatus::Failed);
    assert!(trust.fix.as_deref().unwrap().contains(&format!("aws iam update-assume-role-policy --role-name {}", role.name)));
    assert_eq!(e.journal(&run).unwrap().status, crate::journal::RunStatus::VerifyFailed);

    let rb = e.rollback(&run, &crate::RollbackOptions::default()).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
    assert!(rb.deleted.iter().any(|d| d == &format!("IAM role {}", role.name)), "{:?}", rb.deleted);
    assert!(aws.inventory().is_empty(), "{:?}", aws.inventory());
    assert!(aws.eks.access_entries().is_empty(), "{:?}", aws.eks.access_entries());
}

/// On a cluster only the aws-auth ConfigMap admits, the cluster access is the person's:
/// no step makes it, and verification skips it naming the mapRoles entry and the command.
#[tokio::test]
async fn on_an_aws_auth_cluster_the_access_is_the_persons_step() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(ACCOUNT, Arc::new(ManualClock::new()));
    let issuer = aws.eks.add_cluster(ACCOUNT, "eu-central-1", "pipelines", "0123456789ABCDEF0123456789ABCDEF");
    aws.eks.add_provider(ACCOUNT, &issuer);
    aws.eks.set_authentication_mode("eu-central-1", "pipelines", "CONFIG_MAP");
    let e = engine(&aws, dir.path());
    let t = crate::template::find_builtin("seqera-eks-key-role").unwrap();
    let i = RunInputs { template_id: t.id.clone(), ..inputs() };
    let plan = e.plan(&t, &i).await.unwrap();
    let a = plan.cluster_access.clone().unwrap();
    assert!(!a.through_api);
    assert_eq!(a.principal_arn, format!("arn:aws:iam::{ACCOUNT}:role/seqera-eks"), "key+role: Seqera assumes the role");
    assert!(!plan.steps.iter().any(|s| s.call.operation().starts_with("eks:")));
    let run = e.start(plan, i).unwrap().run_id;
    e.apply(&run, &crate::ApplyOptions::default()).await.unwrap();
    assert!(aws.eks.access_entries().is_empty());
    let report = e.verify(&run, None).await.unwrap();
    let c = report.checks.iter().find(|c| c.id == "cluster-access").unwrap();
    assert_eq!(c.status, crate::checks::CheckStatus::Skipped);
    let entry = format!("mapRoles: |\n  - rolearn: arn:aws:iam::{ACCOUNT}:role/seqera-eks\n    username: tower-launcher-role\n    groups:\n      - tower-launcher-role");
    assert!(c.reason.contains("the person's step, not done by Rolegate") && c.reason.contains(&entry), "{}", c.reason);
    assert!(c.reason.contains("kubectl edit configmap -n kube-system aws-auth"), "{}", c.reason);
    e.rollback(&run, &crate::RollbackOptions::default()).await.unwrap();
    assert!(aws.inventory().is_empty(), "{:?}", aws.inventory());
}

#[tokio::test]
async fn a_run_without_service_account_roles_has_no_kubernetes_export() {
    let dir = tempfile::tempdir().unwrap();
    let aws = FakeAws::new(ACCOUNT, Arc::new(ManualClock::new()));
    let e = engine(&aws, dir.path());
    let t = crate::template::find_builtin("seqera-batch-launch").unwrap();
    let i = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let run = e.start(e.plan(&t, &i).await.unwrap(), i).unwrap().run_id;
    e.apply(&run, &crate::ApplyOptions::default()).await.unwrap();
    assert!(!crate::export::Format::offered_for(&e.journal(&run).unwrap()).contains(&crate::export::Format::Kubernetes));
    match e.render_export(&run, &crate::engine::exports::ExportRequest::new(crate::export::Format::Kubernetes)).await {
        Err(RunError::Invalid(errs)) => assert_eq!(errs[0].rule, "no-service-account-role"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
