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
        clock: Arc::new(ManualClock::new()),
        entropy: Arc::new(FixedEntropy::default()),
        events: Arc::new(|_| {}),
        poll: PollSettings::default(),
    }
}

fn fixture() -> Template {
    Template::from_json("fixture", include_str!("../plan/testdata/eks-irsa-fixture.json")).unwrap()
}

fn inputs() -> RunInputs {
    let mut i = RunInputs { template_id: "eks-irsa-fixture".into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
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
    let plan = e.plan(&fixture(), &given).await.unwrap();
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
    let plan = e.plan(&fixture(), &inputs()).await.unwrap();
    assert!(plan.blocked());
    assert!(plan.lints.iter().any(|l| l.rule == "eks-no-oidc-provider"));
    assert!(matches!(e.start(plan, inputs()), Err(RunError::Blocked(_))));

    let mut other = inputs();
    other.variables.insert("eks_cluster".into(), "nope".into());
    match e.plan(&fixture(), &other).await {
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
