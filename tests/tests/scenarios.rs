//! Scenarios against the IAM/STS emulator and the real keychain. Each one checks what
//! exists in the emulator afterwards.

use std::sync::Arc;

use rolegate_core::checks::{self, CheckStatus, RoleProbe};
use rolegate_core::events::{Event, NoticeKind};
use rolegate_core::journal::{FileJournalStore, JournalStore, RunStatus};
use rolegate_core::plan::RunInputs;
use rolegate_core::policy::{self, ExternalIdCondition};
use rolegate_core::ports::{vault_entry, AssumeRoleInput, AwsErrorKind, Connect, CreateRole, Vault};
use rolegate_core::template::{builtin, find_builtin};
use rolegate_core::testing::CrashingStore;
use rolegate_core::{ApplyOptions, RollbackOptions, RunError};
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

#[tokio::test(flavor = "multi_thread")]
async fn an_open_trust_policy_fails_verification_with_the_fix() {
    let h = Harness::new();
    let open =
        json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":h.account.user_arn},"Action":"sts:AssumeRole"}]});
    let role = h.make_role("open-role", open).await;
    let probe = RoleProbe {
        key: String::new(),
        role_arn: role.clone(),
        external_id: "ext-abc".into(),
        session_name: "probe".into(),
        condition: ExternalIdCondition::for_value("ext-abc"),
        verify_actions: vec![],
    };
    let report = checks::test_connection(&h.connect, &h.events.sink(), None, Some(&probe), time::OffsetDateTime::now_utc()).await;
    assert!(!report.passed());
    let c = report.checks.iter().find(|c| c.id == "assume-without-external-id").unwrap();
    assert_eq!(c.status, CheckStatus::Failed);
    assert!(c.reason.contains("confused deputy"), "{}", c.reason);
    let fix = c.fix.as_ref().unwrap();
    assert!(fix.contains("\"sts:ExternalId\": \"ext-abc\"") && fix.contains(&h.account.user_arn), "{fix}");
    // With the right trust the same probe passes.
    let guarded = h
        .make_role(
            "guarded-role",
            policy::trust_policy(std::slice::from_ref(&h.account.user_arn), &ExternalIdCondition::for_value("ext-abc")),
        )
        .await;
    let probe = RoleProbe { role_arn: guarded, ..probe };
    let report = checks::test_connection(&h.connect, &h.events.sink(), None, Some(&probe), time::OffsetDateTime::now_utc()).await;
    assert!(report.passed(), "{:#?}", report.checks);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deny_added_after_apply_fails_the_simulation_naming_the_action() {
    let h = Harness::new();
    let t = find_builtin("ecr-wave-readonly").unwrap();
    let inp = inputs("ecr-wave-readonly");
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan.clone(), inp).unwrap();
    h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    let user = plan.user.as_ref().unwrap().name.clone();
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]});
    let sdk = rolegate_tests::sdk_iam(&h.account);
    sdk.put_user_policy().user_name(&user).policy_name("someone-elses-deny").policy_document(deny.to_string()).send().await.unwrap();
    let report = h.engine.verify(&run_id, None).await.unwrap();
    let sim = report.checks.iter().find(|c| c.id == "simulate").unwrap();
    assert_eq!(sim.status, CheckStatus::Failed, "{sim:?}");
    assert!(sim.reason.contains("ecr:BatchGetImage") && sim.reason.contains("explicitDeny"), "{}", sim.reason);
    assert!(!sim.reason.contains("ecr:GetAuthorizationToken"), "only the denied action is named: {}", sim.reason);
    assert!(!report.passed());
    sdk.delete_user_policy().user_name(&user).policy_name("someone-elses-deny").send().await.unwrap();
    h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert!(h.inventory().await.iter().all(|r| !r.contains(&user)), "rollback leaves nothing of the run");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_external_id_is_reported() {
    let h = Harness::new();
    let role = h
        .make_role("r", policy::trust_policy(std::slice::from_ref(&h.account.user_arn), &ExternalIdCondition::for_value("right-id")))
        .await;
    let probe = RoleProbe {
        key: String::new(),
        role_arn: role,
        external_id: "wrong-id".into(),
        session_name: "probe".into(),
        condition: ExternalIdCondition::for_value("wrong-id"),
        verify_actions: vec![],
    };
    let report = checks::test_connection(&h.connect, &h.events.sink(), None, Some(&probe), time::OffsetDateTime::now_utc()).await;
    let c = report.checks.iter().find(|c| c.id == "assume-with-external-id").unwrap();
    assert_eq!(c.status, CheckStatus::Failed);
    assert!(c.fix.as_ref().unwrap().contains("wrong-id"));
    assert!(
        report.checks.iter().filter(|c| c.id.starts_with("assume-with")).skip(1).all(|c| c.status == CheckStatus::Skipped),
        "negative checks are skipped, never passed, after a failed positive one"
    );
}

/// A run started in a fresh account by an onboarding identity that may do anything but
/// `action`; also returns the account's unrestricted admin (to take inventory).
async fn started_without(action: &str, template: &str) -> (rolegate_tests::Account, Harness, String) {
    let emu = emulator();
    let account = fresh_account_id();
    let admin = emu.bootstrap(&account, "rolegate-admin", None);
    let limited = emu.bootstrap(
        &account,
        "bootstrap-limited",
        Some(json!({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":action,"Resource":"*"}]})),
    );
    let h = Harness::for_account(limited);
    let t = find_builtin(template).unwrap();
    let inp = inputs(template);
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inp).unwrap();
    (admin, h, run_id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bootstrap_user_without_create_role_gets_a_clear_error_and_rollback_leaves_nothing() {
    let (admin, h, run_id) = started_without("iam:CreateRole", "seqera-batch-launch").await;
    let err = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap_err();
    match &err {
        RunError::Aws { error, created, .. } => {
            assert_eq!(error.kind, AwsErrorKind::AccessDenied);
            assert_eq!(error.denied_action(), "iam:CreateRole");
            assert!(!created.is_empty(), "the error lists what was already made");
        }
        other => panic!("expected AccessDenied, got {other}"),
    }
    let msg = err.to_string();
    let hint = err.hint(rolegate_core::error::Frontend::Cli).unwrap_or_default();
    assert!(msg.contains("iam:CreateRole") && hint.contains(&format!("rolegate rollback {run_id}")), "{msg}\n{hint}");
    assert_eq!(err.exit_code(), 4);
    let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
    assert_eq!(rolegate_tests::inventory(&admin).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_create_access_key_is_checked_for_a_key_and_leaves_none() {
    let (admin, h, run_id) = started_without("iam:CreateAccessKey", "ecr-wave-readonly").await;
    let err = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(&err, RunError::Aws { error, .. } if error.denied_action() == "iam:CreateAccessKey"), "{err}");
    // The user's keys were listed again after the refusal: the call made none, so
    // nothing was deleted.
    let told = h.events.events();
    assert!(
        told.iter().any(
            |e| matches!(e, Event::Notice { message, kind: NoticeKind::CreateMadeNoKey } if message.contains("show no key made by it"))
        ),
        "{told:?}"
    );
    assert!(!told.iter().any(|e| matches!(e, Event::Deleted { .. })), "{told:?}");
    let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
    assert_eq!(rolegate_tests::inventory(&admin).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_taken_by_someone_else_is_refused_and_not_touched() {
    let h = Harness::new();
    h.iam().create_user("seqera-launch", "/", &[]).await.unwrap();
    let t = find_builtin("seqera-batch-launch").unwrap();
    let inp = inputs("seqera-batch-launch");
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inp).unwrap();
    let err = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap_err();
    match &err {
        RunError::NameTaken { name, suggestion, .. } => {
            assert_eq!(name, "seqera-launch");
            assert_ne!(suggestion, "seqera-launch");
        }
        other => panic!("expected NameTaken, got {other}"),
    }
    assert_eq!(err.exit_code(), 5);
    h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert_eq!(h.inventory().await, vec!["user:seqera-launch".to_string()], "the other user is left alone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_with_two_keys_gets_a_choice_and_no_key_is_deleted_silently() {
    let h = Harness::new();
    let t = find_builtin("ecr-wave-readonly").unwrap();
    let inp = inputs("ecr-wave-readonly");
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    // The process stops the moment the journal says a CreateAccessKey is under way.
    let store = Arc::new(CrashingStore::at_first(FileJournalStore::new(h.home.path().join("runs")), |j| j.key_intent.is_some()));
    let crashing = rolegate_tests::Harness::engine_with(&h.connect, &h.keychain_service, h.events.sink(), store);
    crashing.start(plan, inp).unwrap();
    let _ = crashing.apply(&run_id, &ApplyOptions::default()).await.unwrap_err();
    let user = "wave-ecr-readonly";
    assert!(h.iam().get_user(user).await.unwrap().is_some());
    // Someone adds two keys right after: nothing can tell them from the key an
    // interrupted call might have made, so neither may be deleted.
    let k1 = h.iam().create_access_key(user).await.unwrap().id;
    let k2 = h.iam().create_access_key(user).await.unwrap().id;
    let err = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(&err, RunError::KeyLimit { keys, .. } if keys.len() == 2), "{err}");
    assert!(err.hint(rolegate_core::error::Frontend::Cli).unwrap_or_default().contains("--replace-key"));
    let told = h.events.events();
    for k in [&k1, &k2] {
        assert!(
            told.iter()
                .any(|e| matches!(e, Event::Notice { message, kind: NoticeKind::UnexplainedKey } if message.contains(k.as_str()) && message.contains("leaves it alone"))),
            "{told:?}"
        );
    }
    let keys: Vec<String> = h.iam().list_access_keys(user).await.unwrap().into_iter().map(|k| k.id).collect();
    assert!(keys.contains(&k1) && keys.contains(&k2), "no key was deleted");
    let j = h.engine.apply(&run_id, &ApplyOptions { replace_key: Some(k1.clone()) }).await.unwrap();
    let keys: Vec<String> = h.iam().list_access_keys(user).await.unwrap().into_iter().map(|k| k.id).collect();
    assert!(!keys.contains(&k1) && keys.contains(&k2) && keys.contains(j.access_key_id.as_ref().unwrap()));
    let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rb.kept.len(), 1, "the user with the foreign key is kept and the reason given: {rb:?}");
    assert!(rb.kept[0].1.contains(&k2));
    let rb = h.engine.rollback(&run_id, &RollbackOptions { delete_unrecorded_keys: true, ..Default::default() }).await.unwrap();
    assert!(rb.kept.is_empty(), "{rb:?}");
    assert_eq!(h.inventory().await, Vec::<String>::new());
}

/// Kill the run after every journal write in turn; resume must finish it and
/// rollback must leave nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_after_any_journal_write_resumes_and_rolls_back() {
    let t = find_builtin("seqera-batch-launch").unwrap();
    let mut n = 1;
    loop {
        let h = Harness::new();
        let inp = inputs("seqera-batch-launch");
        let plan = h.engine.plan(&t, &inp).await.unwrap();
        let run_id = plan.run_id.clone();
        let store = Arc::new(CrashingStore::new(FileJournalStore::new(h.home.path().join("runs")), n));
        let crashing = Harness::engine_with(&h.connect, &h.keychain_service, h.events.sink(), store.clone());
        let crashed = match crashing.start(plan, inp) {
            Err(RunError::Store(_)) => true,
            Err(e) => panic!("{e}"),
            Ok(_) => crashing.apply(&run_id, &ApplyOptions::default()).await.is_err(),
        };
        if !crashed {
            assert!(n > 10, "a full run writes the journal more than 10 times");
            break;
        }
        let j = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap_or_else(|e| panic!("resume after write {n}: {e}"));
        assert_eq!(j.status, RunStatus::Applied, "after write {n}");
        let report = h.engine.verify(&run_id, None).await.unwrap();
        assert!(report.passed(), "after write {n}: {:#?}", report.checks);
        let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
        assert!(rb.kept.is_empty(), "after write {n}: {:?}", rb.kept);
        assert_eq!(h.inventory().await, Vec::<String>::new(), "after write {n}");
        assert_eq!(FileJournalStore::new(h.home.path().join("runs")).load(&run_id).unwrap().status, RunStatus::RolledBack);
        n += 1;
    }
}

/// IAM's "Invalid principal" answer for a user it does not know yet is waited out (the
/// engine's poll), and throttling is retried by the SDK without the person noticing.
#[tokio::test(flavor = "multi_thread")]
async fn propagation_answers_and_throttling_from_the_endpoint_are_retried() {
    let h = Harness::new();
    let key = &h.account.creds.access_key_id;
    emulator().inject_fault(
        key,
        "CreateRole",
        "MalformedPolicyDocument",
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:user/x\"",
        2,
    );
    emulator().inject_fault(key, "CreateUser", "Throttling", "Rate exceeded", 1);
    let t = find_builtin("seqera-batch-launch").unwrap();
    let inp = inputs("seqera-batch-launch");
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inp).unwrap();
    let j = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert_eq!(emulator().pending_faults(key), 0, "every injected fault fired");
    let waits: Vec<String> = h.events.waits();
    // Two refusals 100 ms apart: one wait, reported once.
    assert_eq!(waits, ["role:main MalformedPolicyDocument"], "only the role step waited");
    assert!(h.engine.verify(&run_id, None).await.unwrap().passed());
    h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert_eq!(h.inventory().await, Vec::<String>::new());
}

/// A syntax error is not a "not yet": it stops the run at once, says what was made, and
/// roll-back removes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_policy_document_stops_the_run_and_rollback_cleans_up() {
    let h = Harness::new();
    emulator().inject_fault(&h.account.creds.access_key_id, "CreateRole", "MalformedPolicyDocument", "Syntax errors in policy.", 1);
    let t = find_builtin("seqera-batch-launch").unwrap();
    let inp = inputs("seqera-batch-launch");
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inp).unwrap();
    let e = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap_err();
    assert_eq!(emulator().pending_faults(&h.account.creds.access_key_id), 0);
    let text = e.to_string();
    assert!(text.contains("MalformedPolicyDocument") && text.contains("Already created by this run"), "{text}");
    assert_eq!(e.exit_code(), 4);
    assert!(!h.inventory().await.is_empty());
    h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert_eq!(h.inventory().await, Vec::<String>::new());
}
