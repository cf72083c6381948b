//! Scenarios where something is wrong, against the emulator: a trust opened, a deny
//! added, a wrong External ID, a bootstrap identity that lacks a permission, a name
//! taken, a user with two keys, a run killed after any journal write, AWS answering
//! "not yet" and throttling, a refused policy document. Each ends with nothing left.

use std::sync::Arc;

use rolegate_core::checks::{self, CheckStatus, RoleProbe};
use rolegate_core::events::{Event, NoticeKind};
use rolegate_core::journal::{FileJournalStore, JournalStore, RunStatus};
use rolegate_core::plan::RunInputs;
use rolegate_core::policy::{self, ExternalIdCondition};
use rolegate_core::ports::AwsErrorKind;
use rolegate_core::template::find_builtin;
use rolegate_core::testing::CrashingStore;
use rolegate_core::{ApplyOptions, RollbackOptions, RunError};
use rolegate_tests::{emulator, fresh_account_id, Harness};
use serde_json::json;

fn inputs(template: &str) -> RunInputs {
    RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
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
