//! Scenarios against the IAM/STS emulator and the real keychain: every built-in template
//! through its full cycle (apply, verify, roll back), each checking what exists in the
//! emulator afterwards. What goes wrong is in scenarios_failures.rs.

use rolegate_core::checks::CheckStatus;
use rolegate_core::journal::RunStatus;
use rolegate_core::plan::RunInputs;
use rolegate_core::ports::{vault_entry, AssumeRoleInput, Connect, CreateRole, Vault};
use rolegate_core::template::{builtin, find_builtin};
use rolegate_core::{ApplyOptions, RollbackOptions};
use rolegate_tests::{emulator, fresh_account_id, Harness};
use rolegate_vault::Keychain;
use serde_json::json;

fn inputs(template: &str) -> RunInputs {
    RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
}

async fn full_cycle(template: &str, mut inp: RunInputs) {
    let h = Harness::new();
    let t = find_builtin(template).unwrap();
    // The EKS clusters its service-account roles name, each with its IAM OIDC provider.
    for c in rolegate_core::plan::service_accounts::clusters_to_look_up(&t, &inp) {
        let issuer = emulator().eks_cluster(&h.account, &c.region, &c.name, Some("API_AND_CONFIG_MAP"));
        emulator().oidc_provider(&h.account, &issuer, &["sts.amazonaws.com"]);
    }
    if template == "custom" {
        inp.policy_documents.insert(
            "main".into(),
            json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}),
        );
    }
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan.clone(), inp).unwrap();
    let journal = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    assert_eq!(journal.status, RunStatus::Applied);
    let made = h.inventory().await;
    for p in &plan.policies {
        assert!(made.contains(&format!("policy:{}", p.name)), "{made:?}");
    }
    for r in &plan.roles {
        assert!(made.contains(&format!("role:{}", r.name)), "{made:?}");
    }
    for r in &plan.service_account_roles {
        assert!(made.contains(&format!("role:{}", r.name)), "{made:?}");
    }
    // Roles that trust a third party are verified as that party: make its account.
    let saas = plan.roles.iter().find(|r| !r.trusts_created_user).map(|r| {
        let principal = &r.principals[0];
        let account = principal.split(':').nth(4).unwrap().to_string();
        (account, principal.clone())
    });
    let assumer = saas.map(|(account, principal)| {
        if principal.ends_with(":root") {
            emulator().bootstrap(&account, &format!("saas-{}", fresh_account_id()), None).creds
        } else {
            // A role principal: make the role in the platform's account and assume it.
            let admin = emulator().bootstrap(&account, &format!("saas-{}", fresh_account_id()), None);
            futures_lite_block(async {
                let c = emulator().connect(&admin);
                let name = principal.rsplit('/').next().unwrap().to_string();
                let _ = c
                    .iam()
                    .create_role(&CreateRole { name: name.clone(), path: "/".into(), trust_policy: json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":format!("arn:aws:iam::{account}:root")},"Action":"sts:AssumeRole"}]}).to_string(), description: String::new(), max_session_seconds: 3600, tags: vec![] })
                    .await;
                // Cross-account, the platform's own policies must allow sts:AssumeRole too.
                let allow = c.iam().create_policy("saas-assume", "/", &json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}).to_string(), "", &[]).await.unwrap();
                c.iam().attach_role_policy(&name, &allow.arn).await.unwrap();
                c.sts().assume_role(&AssumeRoleInput { role_arn: principal.clone(), session_name: "saas".into(), external_id: None, duration_seconds: None, tags: vec![] }).await.unwrap().credentials
            })
        }
    });
    let report = h.engine.verify(&run_id, assumer.as_ref()).await.unwrap();
    assert!(report.passed(), "{template}: {:#?}", report.checks);
    // Every role was assumed (the platform's ones as the platform) and the live trust is
    // exactly the planned one: the run is verified, not awaiting the platform.
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::Verified, "{template}: {:#?}", report.checks);
    // The emulator simulates: the template's actions were proved, not skipped.
    for c in report.checks.iter().filter(|c| c.id.starts_with("simulate")) {
        assert!(
            c.status == CheckStatus::Passed || (c.status == CheckStatus::Skipped && c.reason.contains("lists no actions")),
            "{template}: {c:?}"
        );
    }
    // The cluster admits access entries: the platform's identity was let in through one.
    if plan.cluster_access.is_some() {
        let access = report.checks.iter().find(|c| c.id == "cluster-access").expect("the cluster-access check");
        assert_eq!(access.status, CheckStatus::Passed, "{template}: {access:?}");
    }
    // Each service-account role is proven by its exact trust (its web-identity assume needs a pod's token).
    for r in &plan.service_account_roles {
        let trust = report.checks.iter().find(|c| c.id == format!("service-account-trust:{}", r.key)).expect("the trust check");
        assert_eq!(trust.status, CheckStatus::Passed, "{template}: {trust:?}");
    }
    let assumed: Vec<_> = report.checks.iter().filter(|c| c.id.starts_with("assume-without-external-id")).collect();
    assert_eq!(assumed.len(), plan.roles.len());
    assert!(assumed.iter().all(|c| c.status == CheckStatus::Passed), "{assumed:?}");
    if let Some(id) = &journal.access_key_id {
        let secret = Keychain::with_service(&h.keychain_service).get(&vault_entry(id)).await.unwrap();
        let secret = secret.expect("the secret is in the keychain");
        let secret = secrecy::ExposeSecret::expose_secret(&secret);
        let text = std::fs::read_to_string(h.home.path().join(format!("runs/{run_id}.json"))).unwrap();
        assert!(!text.contains("secret_access_key") && !text.to_lowercase().contains("secret\":"), "the journal holds no secret");
        // The run's real secret, from the keychain, appears in nothing the run wrote or
        // told: no file of the home (journal, secrets index), no event, no report.
        assert!(secret.len() >= 16, "a real secret access key");
        let mut said = vec![serde_json::to_string(&h.events.events()).unwrap(), format!("{:?}", h.events.events()), format!("{report:?}")];
        said.push(format!("{:?}", h.engine.journal(&run_id).unwrap()));
        for entry in rolegate_tests::files_under(h.home.path()) {
            said.push(String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned());
        }
        for (i, text) in said.iter().enumerate() {
            assert!(!text.contains(secret), "output {i} holds the run's secret access key");
        }
    }
    let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
    assert_eq!(h.inventory().await, Vec::<String>::new(), "rollback leaves nothing");
    if let Some(id) = &journal.access_key_id {
        assert!(
            Keychain::with_service(&h.keychain_service).get(&vault_entry(id)).await.unwrap().is_none(),
            "rollback removes the keychain entry"
        );
    }
}

fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread")]
async fn seqera_batch_launch_key_role_cycle() {
    full_cycle("seqera-batch-launch", inputs("seqera-batch-launch")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn seqera_batch_forge_key_cycle() {
    full_cycle("seqera-batch-forge", inputs("seqera-batch-forge")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ecr_wave_readonly_key_cycle() {
    full_cycle("ecr-wave-readonly", inputs("ecr-wave-readonly")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn seqera_cloud_role_cycle() {
    full_cycle("seqera-cloud-role", inputs("seqera-cloud-role")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn spacelift_read_write_cycle() {
    let mut i = inputs("spacelift");
    i.variables.insert("spacelift_account".into(), "acme".into());
    full_cycle("spacelift", i).await;
}

/// The plan role with the state-lock features: its extra policy is made, attached,
/// verified and rolled back with the rest.
#[tokio::test(flavor = "multi_thread")]
async fn spacelift_with_state_lock_cycle() {
    let mut i = inputs("spacelift");
    i.variables.insert("spacelift_account".into(), "acme".into());
    i.variables.insert("state_bucket".into(), "acme-tf-state".into());
    i.features = vec!["state-lock-s3".into(), "state-lock-dynamodb".into()];
    full_cycle("spacelift", i).await;
}

/// The private worker's own role (in an account of its own) assumes both roles, each
/// with its own External ID; Spacelift's account is trusted by neither.
#[tokio::test(flavor = "multi_thread")]
async fn spacelift_worker_cycle() {
    let mut i = inputs("spacelift-worker");
    i.variables.insert("worker_account".into(), fresh_account_id());
    i.variables.insert("worker_role".into(), "spacelift-worker".into());
    full_cycle("spacelift-worker", i).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_cycle() {
    full_cycle("custom", inputs("custom")).await;
}

/// The templates of one family (one compute-environment type, each of its modes), each
/// with every optional feature ticked and its scope variables narrowed, and Seqera's
/// role in an account of its own: each applies, verifies and rolls back to nothing.
async fn walk_family(family: &str) {
    let members: Vec<_> = builtin().into_iter().filter(|t| t.family.as_deref() == Some(family)).collect();
    assert_eq!(members.len(), 3, "{family}: one template per mode");
    for t in members {
        let mut i = inputs(&t.id);
        i.features = t.features.iter().map(|f| f.key.clone()).collect();
        for v in &t.variables {
            let value = match v.name.as_str() {
                "seqera_principal_account" => fresh_account_id(),
                "work_bucket" => "rolegate-work".into(),
                "data_bucket" => "rolegate-data".into(),
                "compute_region" => "eu-west-1".into(),
                "eks_cluster" => "pipelines".into(),
                _ => continue,
            };
            i.variables.insert(v.name.clone(), value);
        }
        full_cycle(&t.id, i).await;
    }
}

const FAMILIES: &[&str] = &["seqera-batch-forge", "seqera-batch-launch", "seqera-aws-cloud", "seqera-intelligent-compute", "seqera-eks"];

#[tokio::test(flavor = "multi_thread")]
async fn every_batch_forge_mode_cycles_with_every_feature() {
    walk_family("seqera-batch-forge").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_batch_manual_mode_cycles_with_every_feature() {
    walk_family("seqera-batch-launch").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_aws_cloud_mode_cycles_with_every_feature() {
    walk_family("seqera-aws-cloud").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_intelligent_compute_mode_cycles_with_every_feature() {
    walk_family("seqera-intelligent-compute").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_eks_mode_cycles_with_every_feature() {
    walk_family("seqera-eks").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ecr_wave_with_ecr_public_cycle() {
    let mut i = inputs("ecr-wave-readonly");
    i.features = vec!["ecr-public".into()];
    full_cycle("ecr-wave-readonly", i).await;
}

/// No built-in template escapes the scenarios: each is in a walked family or has a
/// cycle of its own above.
#[test]
fn every_builtin_template_has_a_cycle() {
    let own = ["ecr-wave-readonly", "spacelift", "spacelift-worker", "custom"];
    for t in builtin() {
        let walked = t.family.as_deref().is_some_and(|f| FAMILIES.contains(&f));
        assert!(walked || own.contains(&t.id.as_str()), "{} has no scenario", t.id);
    }
}
