//! Unit tests of the runner against the in-memory IAM/STS with a paused clock: the
//! propagation waits, retries, lost answers, the keychain refusing, the two-key limit,
//! names taken and open trust. The emulator scenarios cover the same paths against a
//! real IAM implementation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::events::Event;
use crate::journal::{FileJournalStore, RunStatus};
use crate::plan::RunInputs;
use crate::ports::{vault_entry, AwsError, AwsErrorKind};
use crate::propagation::PollSettings;
use crate::template::find_builtin;
use crate::testing::aws::{FakeAws, FaultMode};
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::verify::CheckStatus;
use crate::{ApplyOptions, Engine, RollbackOptions, RunError};

pub(super) struct Rig {
    pub(super) aws: FakeAws,
    pub(super) vault: Arc<MemoryVault>,
    pub(super) clock: Arc<ManualClock>,
    events: Arc<Mutex<Vec<Event>>>,
    pub(super) engine: Engine,
    _dir: tempfile::TempDir,
}

impl Rig {
    pub(super) fn new() -> Rig {
        let clock = Arc::new(ManualClock::new());
        let aws = FakeAws::new("111122223333", clock.clone());
        let vault = Arc::new(MemoryVault::default());
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let engine = Engine {
            connect: Arc::new(aws.clone()),
            vault: vault.clone(),
            store: Arc::new(FileJournalStore::new(dir.path())),
            clock: clock.clone(),
            entropy: Arc::new(FixedEntropy::with_jitter(100)),
            events: Arc::new(move |e: &Event| sink.lock().unwrap().push(e.clone())),
            poll: PollSettings::default(),
        };
        Rig { aws, vault, clock, events, engine, _dir: dir }
    }

    pub(super) async fn start(&self, template: &str) -> String {
        let t = find_builtin(template).unwrap();
        let inputs = RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
        let plan = self.engine.plan(&t, &inputs).await.unwrap();
        self.engine.start(plan, inputs).unwrap().run_id
    }

    pub(super) fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    pub(super) fn waits(&self) -> usize {
        self.events().iter().filter(|e| matches!(e, Event::Waiting { .. })).count()
    }

    pub(super) fn count(&self, op: &str) -> usize {
        self.aws.calls().iter().filter(|c| *c == op).count()
    }

    /// A key-only run whose CreateAccessKey was refused (throttled), an hour ago: the
    /// user exists and holds no key. Returns the run id and the user name.
    async fn stopped_before_the_key(&self) -> (String, String) {
        self.aws.fail("iam:CreateAccessKey", 1, FaultMode::Refuse, aws_err(AwsErrorKind::Throttled, "Throttling", "Rate exceeded"));
        let run = self.start("seqera-batch-forge").await;
        self.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
        self.clock.advance(Duration::from_secs(3600));
        let user = self.engine.store.load(&run).unwrap().plan.user.unwrap().name;
        (run, user)
    }

    pub(super) fn status(&self, run_id: &str) -> RunStatus {
        self.engine.store.load(run_id).unwrap().status
    }
}

pub(super) fn aws_err(kind: AwsErrorKind, code: &str, message: &str) -> AwsError {
    AwsError::new(kind, "", code, message)
}

#[tokio::test]
async fn key_role_run_waits_for_propagation_then_verifies_and_rolls_back_to_nothing() {
    let rig = Rig::new();
    // A new key is unknown for two polls; the new role denies the new key for three.
    rig.aws.fail_new_credentials("sts:GetCallerIdentity", 2, aws_err(AwsErrorKind::InvalidClientTokenId, "InvalidClientTokenId", "no"));
    rig.aws.fail_new_credentials("sts:AssumeRole", 3, aws_err(AwsErrorKind::AccessDenied, "AccessDenied", "not yet"));
    let run = rig.start("seqera-batch-launch").await;
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert_eq!(rig.waits(), 2, "each wait is reported (at once, then about once a second)");
    // Five polls of 200 ms plus 50 ms jitter each (a quarter of the pause), and no real sleeping.
    assert_eq!(rig.clock.elapsed(), Duration::from_millis(1250));
    let key = j.access_key_id.clone().unwrap();
    assert_eq!(rig.vault.entries(), [vault_entry(&key)]);
    assert!(j.key_intent.is_none(), "the intent is cleared once the secret is stored");

    let report = rig.engine.verify(&run, None).await.unwrap();
    assert!(report.passed(), "{report:#?}");
    let status = |id: &str| report.checks.iter().find(|c| c.id == id).map(|c| c.status);
    assert_eq!(status("assume-with-external-id"), Some(CheckStatus::Passed));
    assert_eq!(status("assume-without-external-id"), Some(CheckStatus::Passed));
    assert_eq!(status("assume-with-wrong-external-id"), Some(CheckStatus::Passed));
    assert_eq!(status("simulate"), Some(CheckStatus::Skipped), "an unanswered simulation is skipped, never passed");

    let before = rig.aws.inventory();
    assert!(before.iter().any(|l| l.starts_with("role ")) && before.iter().any(|l| l.starts_with("key ")), "{before:?}");
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.is_empty(), "{report:?}");
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
    assert!(rig.vault.entries().is_empty(), "the secret leaves the keychain with the key");
    assert_eq!(rig.status(&run), RunStatus::RolledBack);
}

#[tokio::test]
async fn invalid_principal_on_create_role_is_waited_out() {
    let rig = Rig::new();
    let invalid = aws_err(AwsErrorKind::MalformedPolicy, "MalformedPolicyDocument", "Invalid principal in policy: \"AWS\"");
    rig.aws.fail("iam:CreateRole", 2, FaultMode::Refuse, invalid);
    let run = rig.start("seqera-batch-launch").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(rig.count("iam:CreateRole"), 3);
    assert_eq!(rig.waits(), 1, "one wait, reported once within its first second");
}

#[tokio::test]
async fn a_syntax_error_in_a_policy_is_not_retried() {
    let rig = Rig::new();
    let syntax = aws_err(AwsErrorKind::MalformedPolicy, "MalformedPolicyDocument", "Syntax errors in policy.");
    rig.aws.fail("iam:CreateRole", 1, FaultMode::Refuse, syntax);
    let run = rig.start("seqera-batch-launch").await;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::Aws { error, .. } if error.code == "MalformedPolicyDocument"), "{e}");
    assert_eq!(rig.count("iam:CreateRole"), 1);
    assert_eq!(rig.waits(), 0);
}

#[tokio::test]
async fn a_throttled_step_names_what_was_made_and_resume_finishes() {
    let rig = Rig::new();
    rig.aws.fail("iam:CreateRole", 1, FaultMode::Refuse, aws_err(AwsErrorKind::Throttled, "Throttling", "Rate exceeded"));
    let run = rig.start("seqera-batch-launch").await;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    match &e {
        RunError::Aws { step, created, run_id, .. } => {
            assert_eq!(step.as_ref().map(|s| s.to_string()).as_deref(), Some("role:main"));
            assert_eq!(run_id.as_deref(), Some(run.as_str()));
            assert!(created.iter().any(|c| c.starts_with("IAM user ")), "{created:?}");
        }
        other => panic!("expected an AWS error, got {other}"),
    }
    assert!(e.hint(crate::error::Frontend::Cli).unwrap_or_default().contains(&format!("rolegate rollback {run}")), "{e}");
    assert_eq!(rig.status(&run), RunStatus::Failed);
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert_eq!(rig.count("iam:CreateUser"), 1, "resume does not redo finished steps");
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

fn deleted_lost_keys(rig: &Rig) -> Vec<String> {
    rig.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Deleted { resource, detail } if detail.contains("CreateAccessKey of this run that failed") => Some(resource),
            _ => None,
        })
        .collect()
}

fn notices(rig: &Rig) -> Vec<String> {
    rig.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Notice { message } => Some(message),
            _ => None,
        })
        .collect()
}

pub(super) fn keys_in_aws(rig: &Rig) -> Vec<String> {
    rig.aws.inventory().into_iter().filter(|l| l.starts_with("key ")).collect()
}

/// CreateAccessKey takes effect, but its answer (with the secret) never arrives.
fn lose_the_next_key(rig: &Rig) {
    rig.aws.fail("iam:CreateAccessKey", 1, FaultMode::AfterEffect, aws_err(AwsErrorKind::Network, "TimeoutError", "read timed out"));
}

#[tokio::test]
async fn a_key_made_by_a_failed_create_is_deleted_at_once_and_resume_makes_one() {
    let rig = Rig::new();
    lose_the_next_key(&rig);
    let run = rig.start("seqera-batch-forge").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    assert_eq!(deleted_lost_keys(&rig).len(), 1, "{:?}", rig.events());
    assert_eq!(keys_in_aws(&rig), Vec::<String>::new(), "the key the failed call made is gone");
    assert!(notices(&rig).iter().any(|n| n.contains("failed after making") && n.contains("deleted")), "{:?}", notices(&rig));
    let j = rig.engine.store.load(&run).unwrap();
    assert!(j.resources.iter().any(|r| &r.step == crate::journal::LOST_KEY_STEP && r.deleted_at.is_some()), "{:?}", j.resources);

    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let id = j.access_key_id.unwrap();
    assert_eq!(keys_in_aws(&rig), [format!("key {id} of {}", j.plan.user.unwrap().name)]);
    assert_eq!(rig.vault.entries(), [vault_entry(&id)]);
    assert!(j.key_intent.is_none(), "the intent is cleared once a secret is stored");
    assert!(!notices(&rig).iter().any(|n| n.contains("leaves it alone")), "the deleted key is not named as unknown");
}

/// A run whose CreateAccessKey made a key but lost its answer, and whose deletion of
/// that key failed too. Returns the run id.
async fn lost_key_left_behind(rig: &Rig) -> String {
    lose_the_next_key(rig);
    rig.aws.fail("iam:DeleteAccessKey", 1, FaultMode::Refuse, aws_err(AwsErrorKind::Network, "TimeoutError", "read timed out"));
    let run = rig.start("seqera-batch-forge").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    run
}

#[tokio::test]
async fn a_lost_key_whose_deletion_failed_is_deleted_on_resume() {
    let rig = Rig::new();
    let run = lost_key_left_behind(&rig).await;
    let lost = keys_in_aws(&rig);
    assert_eq!(lost.len(), 1);
    assert!(notices(&rig).iter().any(|n| n.contains("a resume or roll-back deletes it")), "{:?}", notices(&rig));
    let user = rig.engine.store.load(&run).unwrap().plan.user.unwrap().name;
    assert_eq!(rig.engine.store.load(&run).unwrap().lost_keys(&user).len(), 1, "the journal records the lost key");

    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(deleted_lost_keys(&rig).len(), 1);
    assert_eq!(keys_in_aws(&rig), [format!("key {} of {user}", j.access_key_id.unwrap())]);
    assert!(rig.engine.store.load(&run).unwrap().lost_keys(&user).is_empty());
}

#[tokio::test]
async fn a_lost_key_whose_deletion_failed_is_rolled_back_without_extra_flags() {
    let rig = Rig::new();
    let run = lost_key_left_behind(&rig).await;
    assert_eq!(keys_in_aws(&rig).len(), 1);
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.is_empty(), "{report:?}");
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

#[tokio::test]
async fn when_the_keys_cannot_be_listed_after_a_failed_create_nothing_is_deleted_and_the_key_is_named() {
    let rig = Rig::new();
    lose_the_next_key(&rig);
    // The listing before the call answers; the one after it does not.
    rig.aws.fail_after("iam:ListAccessKeys", 1, 1, FaultMode::Refuse, aws_err(AwsErrorKind::Network, "TimeoutError", "read timed out"));
    let run = rig.start("seqera-batch-forge").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    let lost = keys_in_aws(&rig);
    assert_eq!(lost.len(), 1, "the call's key is there and unknown");
    let lost_id = lost[0].split(' ').nth(1).unwrap().to_string();
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0);
    assert!(notices(&rig).iter().any(|n| n.contains("whether it made a key is not known; nothing was deleted")), "{:?}", notices(&rig));
    assert!(rig.engine.store.load(&run).unwrap().key_intent.is_some(), "the intent stays: the call is not accounted for");

    // Resume: the key cannot be told from one someone added, so it is named, not deleted.
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0);
    assert!(
        notices(&rig).iter().any(|n| n.contains(&lost_id) && n.contains("leaves it alone") && n.contains("aws iam delete-access-key")),
        "{:?}",
        notices(&rig)
    );
    assert!(
        !notices(&rig).iter().any(|n| n.contains(&lost_id) && n.contains("this run did not make")),
        "a key that may be the run's is not called someone else's: {:?}",
        notices(&rig)
    );
    assert_eq!(keys_in_aws(&rig).len(), 2);
    let user = j.plan.user.unwrap().name;
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.iter().any(|(what, why)| what.contains(&user) && why.contains(&lost_id)), "{report:?}");
    assert_eq!(keys_in_aws(&rig), [format!("key {lost_id} of {user}")], "only the run's own key was deleted");
    rig.engine.rollback(&run, &RollbackOptions { delete_unrecorded_keys: true }).await.unwrap();
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

#[tokio::test]
async fn keys_added_after_an_interrupted_create_are_never_taken_for_its_key() {
    let rig = Rig::new();
    let (run, user) = rig.stopped_before_the_key().await;
    // The journal as a process leaves it that stopped during CreateAccessKey.
    let mut j = rig.engine.store.load(&run).unwrap();
    j.key_intent =
        Some(crate::journal::KeyIntent { user: user.clone(), existing: Vec::new(), at: crate::ports::Clock::now(rig.clock.as_ref()) });
    crate::journal::JournalStore::save(rig.engine.store.as_ref(), &j).unwrap();
    // Someone adds two keys a second later.
    rig.clock.advance(Duration::from_secs(1));
    let (a, b) = (rig.aws.add_key(&user), rig.aws.add_key(&user));
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::KeyLimit { keys, .. } if keys.len() == 2), "{e}");
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0);
    for id in [&a, &b] {
        assert!(notices(&rig).iter().any(|n| n.contains(id.as_str()) && n.contains("leaves it alone")), "{:?}", notices(&rig));
    }
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.iter().any(|(_, why)| why.contains(&a) && why.contains(&b)), "{report:?}");
    assert_eq!(keys_in_aws(&rig).len(), 2);
}

#[tokio::test]
async fn a_key_added_by_hand_long_after_the_intent_is_not_taken_for_ours() {
    let rig = Rig::new();
    let (run, user) = rig.stopped_before_the_key().await;
    let by_hand = rig.aws.add_key(&user);
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.iter().any(|(what, why)| what.contains(&user) && why.contains(&by_hand)), "{report:?}");
    assert!(rig.aws.inventory().contains(&format!("key {by_hand} of {user}")), "a key nobody can prove ours stays");
    assert_eq!(rig.status(&run), RunStatus::RollbackIncomplete);
}

#[tokio::test]
async fn a_keychain_that_refuses_the_secret_leaves_no_key_behind() {
    let rig = Rig::new();
    rig.vault.refuse_puts(true);
    let run = rig.start("seqera-batch-forge").await;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err().to_string();
    assert!(e.contains("could not store the secret access key") && e.contains("was deleted again"), "{e}");
    assert!(!rig.aws.inventory().iter().any(|l| l.starts_with("key ")), "{:?}", rig.aws.inventory());
    rig.vault.refuse_puts(false);
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

#[tokio::test]
async fn two_keys_are_a_choice_and_only_the_chosen_one_is_deleted() {
    let rig = Rig::new();
    let (run, user) = rig.stopped_before_the_key().await;
    let (a, b) = (rig.aws.add_key(&user), rig.aws.add_key(&user));
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::KeyLimit { keys, .. } if keys.len() == 2), "{e}");
    let hint = e.hint(crate::error::Frontend::Cli).unwrap_or_default();
    assert!(e.to_string().contains(&a) && hint.contains("--replace-key"), "{e}; {hint}");
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0, "nothing is deleted without a choice");

    let bogus = ApplyOptions { replace_key: Some("AKIANOTAKEY".into()) };
    let e = rig.engine.apply(&run, &bogus).await.unwrap_err();
    assert!(matches!(&e, RunError::Invalid(f) if f[0].field == "replace_key"), "{e}");

    let j = rig.engine.apply(&run, &ApplyOptions { replace_key: Some(a.clone()) }).await.unwrap();
    let inv = rig.aws.inventory();
    assert!(!inv.contains(&format!("key {a} of {user}")) && inv.contains(&format!("key {b} of {user}")), "{inv:?}");
    assert!(inv.contains(&format!("key {} of {user}", j.access_key_id.unwrap())));
}

#[tokio::test]
async fn a_name_someone_else_uses_is_refused_and_left_untouched() {
    let rig = Rig::new();
    let t = find_builtin("seqera-batch-forge").unwrap();
    let inputs = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = rig.engine.plan(&t, &inputs).await.unwrap();
    let user = plan.user.clone().unwrap().name;
    let foreign_keys = rig.aws.add_foreign_user(&user, 1);
    let run = rig.engine.start(plan, inputs).unwrap().run_id;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    match &e {
        RunError::NameTaken { name, suggestion, .. } => {
            assert_eq!(name, &user);
            assert_ne!(suggestion, &user);
        }
        other => panic!("expected NameTaken, got {other}"),
    }
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), vec![format!("key {} of {user}", foreign_keys[0]), format!("user {user}")]);
}

#[tokio::test]
async fn a_role_that_opens_without_the_external_id_fails_verification() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-launch").await;
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let role = &j.plan.roles[0];
    let user_arn = j.plan.user.as_ref().unwrap().arn.clone();
    rig.aws.set_trust(
        &role.name,
        &json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":user_arn},"Action":"sts:AssumeRole"}]}),
    );
    let report = rig.engine.verify(&run, None).await.unwrap();
    assert!(!report.passed());
    let failed: Vec<&str> = report.failed().map(|c| c.id.as_str()).collect();
    assert!(failed.contains(&"assume-without-external-id") && failed.contains(&"trust-policy"), "{failed:?}");
    let open = report.checks.iter().find(|c| c.id == "assume-without-external-id").unwrap();
    assert!(open.fix.as_deref().is_some_and(|f| f.contains("sts:ExternalId")), "{open:?}");
    assert_eq!(rig.status(&run), RunStatus::VerifyFailed);
}

#[tokio::test]
async fn rotation_switches_to_a_working_key_then_retires_the_old_one() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-launch").await;
    let old = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap().access_key_id.unwrap();
    rig.aws.fail_new_credentials("sts:AssumeRole", 2, aws_err(AwsErrorKind::AccessDenied, "AccessDenied", "not yet"));
    let r = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions::default()).await.unwrap();
    assert_eq!(r.old_key.as_deref(), Some(old.as_str()));
    let j = rig.engine.store.load(&run).unwrap();
    assert_eq!(j.access_key_id.as_deref(), Some(r.new_key.as_str()));
    assert!(j.rotation.is_none());
    let keys: Vec<String> = rig.aws.inventory().into_iter().filter(|l| l.starts_with("key ")).collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].contains(&r.new_key));
    assert_eq!(rig.vault.entries(), [vault_entry(&r.new_key)]);
    let order: Vec<String> = rig.aws.calls().into_iter().filter(|c| c.contains("AccessKey")).rev().take(3).collect();
    assert_eq!(
        order,
        ["iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"],
        "deactivated, confirmed inactive, then deleted"
    );
    assert!(rig.count("iam:UpdateAccessKey") == 1);
    assert!(rig.engine.verify(&run, None).await.unwrap().passed(), "the run verifies with the new key");
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

#[tokio::test]
async fn a_rotation_that_stops_leaves_the_old_key_working_and_continues_later() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-forge").await;
    let old = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap().access_key_id.unwrap();
    // The new key never becomes usable within the bound.
    rig.aws.fail_new_credentials("sts:GetCallerIdentity", 1000, aws_err(AwsErrorKind::InvalidClientTokenId, "InvalidClientTokenId", "no"));
    let e = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions::default()).await.unwrap_err().to_string();
    assert!(e.contains("waiting for the new key") && e.contains(&format!("The old key {old} still works")), "{e}");
    let j = rig.engine.store.load(&run).unwrap();
    assert_eq!(j.access_key_id.as_deref(), Some(old.as_str()), "the run still uses the old key");
    // IAM catches up; the old key still works, and the rotation continues from where it
    // stopped, without a third key.
    rig.aws.clear_faults();
    assert!(rig.engine.verify(&run, None).await.unwrap().passed());
    let calls_before = rig.count("iam:CreateAccessKey");
    let r = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions::default()).await.unwrap();
    assert_eq!(rig.count("iam:CreateAccessKey"), calls_before, "no new key is made on resume");
    assert_eq!(r.old_key.as_deref(), Some(old.as_str()));
    assert!(!rig.aws.inventory().iter().any(|l| l.contains(&old)));
}

#[tokio::test]
async fn a_rotation_whose_create_fails_after_making_a_key_deletes_that_key_and_says_so() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-forge").await;
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let (old, user) = (j.access_key_id.unwrap(), j.plan.user.unwrap().name);
    lose_the_next_key(&rig);
    let e = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions::default()).await.unwrap_err().to_string();
    assert!(e.contains("failed after making") && e.contains("deleted") && e.contains("The old key is unchanged"), "{e}");
    assert_eq!(keys_in_aws(&rig), [format!("key {old} of {user}")]);
    assert_eq!(deleted_lost_keys(&rig).len(), 1);
    let r = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions::default()).await.unwrap();
    assert_eq!(keys_in_aws(&rig), [format!("key {} of {user}", r.new_key)]);
}

#[tokio::test]
async fn a_named_users_rotation_whose_create_fails_deletes_the_key_it_made() {
    let rig = Rig::new();
    let keys = rig.aws.add_foreign_user("ci-bot", 1);
    let dir = tempfile::tempdir().unwrap();
    let state = crate::rotate::UserRotationStore { dir: dir.path().into() };
    lose_the_next_key(&rig);
    let e = rig.engine.rotate_user_key("ci-bot", None, &crate::rotate::RotateOptions::default(), &state).await.unwrap_err().to_string();
    assert!(e.contains("failed after making") && e.contains("deleted"), "{e}");
    assert_eq!(keys_in_aws(&rig), [format!("key {} of ci-bot", keys[0])], "the person's key is untouched, the lost one gone");
}

#[tokio::test]
async fn rotation_with_two_keys_says_which_must_go_and_deletes_nothing_unasked() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-forge").await;
    let old = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap().access_key_id.unwrap();
    let user = rig.engine.store.load(&run).unwrap().plan.user.unwrap().name;
    let other = rig.aws.add_key(&user);
    let e = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::KeyLimit { .. }) && e.to_string().contains(&other), "{e}");
    assert_eq!(rig.count("iam:DeleteAccessKey") + rig.count("iam:CreateAccessKey"), 1, "only the apply's CreateAccessKey");
    let e = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions { replace_key: Some(old.clone()) }).await.unwrap_err();
    assert!(matches!(&e, RunError::Invalid(f) if f[0].field == "replace_key"), "the key being rotated is not 'the other one': {e}");
    let r = rig.engine.rotate_key(&run, &crate::rotate::RotateOptions { replace_key: Some(other.clone()) }).await.unwrap();
    let inv = rig.aws.inventory();
    assert!(!inv.iter().any(|l| l.contains(&other) || l.contains(&old)) && inv.iter().any(|l| l.contains(&r.new_key)), "{inv:?}");
}

#[tokio::test]
async fn a_named_users_key_is_rotated_only_as_the_person_says() {
    let rig = Rig::new();
    let keys = rig.aws.add_foreign_user("ci-bot", 2);
    let dir = tempfile::tempdir().unwrap();
    let state = crate::rotate::UserRotationStore { dir: dir.path().into() };
    let none = crate::rotate::RotateOptions::default();
    // Two keys and none named: which to retire is the person's call.
    let e = rig.engine.rotate_user_key("ci-bot", None, &none, &state).await.unwrap_err();
    assert!(matches!(&e, RunError::Invalid(f) if f[0].field == "old_key" && f[0].rule == "required"), "{e}");
    // Named, but no room for a third key and the other one not named for deletion.
    let e = rig.engine.rotate_user_key("ci-bot", Some(keys[0].clone()), &none, &state).await.unwrap_err();
    assert!(matches!(&e, RunError::KeyLimit { .. }), "{e}");
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0);
    let opts = crate::rotate::RotateOptions { replace_key: Some(keys[1].clone()) };
    let r = rig.engine.rotate_user_key("ci-bot", Some(keys[0].clone()), &opts, &state).await.unwrap();
    let inv = rig.aws.inventory();
    assert!(inv.iter().all(|l| !l.contains(&keys[0]) && !l.contains(&keys[1])), "{inv:?}");
    assert!(inv.contains(&format!("key {} of ci-bot", r.new_key)));
    assert_eq!(rig.vault.entries(), [vault_entry(&r.new_key)]);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "the rotation state is cleared when done");
}
