//! Rotation: the run switches to a key that works before the old one is retired; a
//! rotation that stops leaves a working key and continues; a failed create deletes the
//! key it made; a key is deleted to make room only when the person names it; a
//! plain-key profile is backed up before the rotation rewrites it.

use std::path::Path;
use std::sync::Arc;

use secrecy::ExposeSecret;

use crate::engine::rotate::{RotateOptions, UserRotationStore};
use crate::export::backup;
use crate::export::profile::{ProfileFiles, ProfileOptions, Source};
use crate::journal::FileJournalStore;
use crate::plan::RunInputs;
use crate::propagation::PollSettings;
use crate::template::find_builtin;
use crate::testing::aws::FakeAws;
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::{ApplyOptions, Engine, RollbackOptions, RunError};

use super::{aws_err, deleted_lost_keys, keys_in_aws, lose_the_next_key, notices_of, Rig};
use crate::events::{DeletionKind, Event, NoticeKind};
use crate::ports::{vault_entry, AwsErrorKind};

fn engine(dir: &Path) -> Engine {
    let clock = Arc::new(ManualClock::new());
    Engine {
        connect: Arc::new(FakeAws::new("111122223333", clock.clone())),
        vault: Arc::new(MemoryVault::default()),
        store: Arc::new(FileJournalStore::new(dir.join("runs"))),
        fleets: Arc::new(crate::fleet::FleetStore::new(dir.join("fleets"))),
        clock,
        entropy: Arc::new(FixedEntropy::with_jitter(100)),
        events: Arc::new(|_| {}),
        poll: PollSettings::default(),
    }
}

#[tokio::test]
async fn a_rotation_backs_up_the_credentials_file_before_rewriting_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let t = find_builtin("seqera-batch-forge").unwrap();
    let inputs = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = engine.plan(&t, &inputs).await.unwrap();
    let run = engine.start(plan, inputs).unwrap().run_id;
    let old = engine.apply(&run, &ApplyOptions::default()).await.unwrap().access_key_id.unwrap();
    let files = ProfileFiles { config: dir.path().join("aws/config"), credentials: dir.path().join("aws/credentials") };
    std::fs::create_dir_all(dir.path().join("aws")).unwrap();
    std::fs::write(&files.credentials, "[mine]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n").unwrap();
    let opts = ProfileOptions { name: "forge".into(), source: Source::PlainKeys, force: false };
    engine.write_profile(&run, &opts, &files).await.unwrap();
    let before = std::fs::read_to_string(&files.credentials).unwrap();
    assert!(before.contains(&old), "{before}");
    let backups_before = backup::backups_of(&files.credentials).unwrap();

    let r = engine.rotate_key(&run, &RotateOptions::default()).await.unwrap();
    assert_eq!(r.profiles_updated, ["forge"]);
    let after = std::fs::read_to_string(&files.credentials).unwrap();
    assert!(after.contains(&r.new_key) && !after.contains(&old), "{after}");
    // The text the rotation replaced is in a backup of its own, named in the report.
    assert_eq!(r.backups.len(), 1, "{r:?}");
    let backup = &r.backups[0];
    assert!(!backups_before.contains(backup), "a new backup, not the profile export's");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), before);
    assert!(r.done.iter().any(|d| d.contains(&backup.display().to_string())), "{:?}", r.done);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(backup).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let secret = engine.credentials_for_key(&r.new_key).await.unwrap().secret_access_key;
    assert!(!r.done.join(" ").contains(secret.expose_secret()));
}

#[tokio::test]
async fn rotation_switches_to_a_working_key_then_retires_the_old_one() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-launch").await;
    let old = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap().access_key_id.unwrap();
    rig.aws.fail_new_credentials("sts:AssumeRole", 2, aws_err(AwsErrorKind::AccessDenied, "AccessDenied", "not yet"));
    let r = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap();
    assert_eq!(r.old_key.as_deref(), Some(old.as_str()));
    let j = rig.engine.store.load(&run).unwrap();
    assert_eq!(j.access_key_id.as_deref(), Some(r.new_key.as_str()));
    assert!(j.rotation.is_none());
    let keys: Vec<String> = rig.aws.inventory().into_iter().filter(|l| l.starts_with("key ")).collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].contains(&r.new_key));
    assert_eq!(rig.vault.entries(), [vault_entry(&r.new_key)]);
    let created = notices_of(&rig, NoticeKind::KeyCreated);
    assert!(created.iter().any(|n| n.contains(&r.new_key)), "{created:?}");
    let retired: Vec<String> = rig
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Deleted { resource, kind: DeletionKind::Retired, .. } => Some(resource),
            _ => None,
        })
        .collect();
    assert_eq!(retired, [format!("access key {old} of user {}", j.plan.user.as_ref().unwrap().name)]);
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
    let e = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap_err().to_string();
    assert!(e.contains("waiting for the new key") && e.contains(&format!("The old key {old} still works")), "{e}");
    let j = rig.engine.store.load(&run).unwrap();
    assert_eq!(j.access_key_id.as_deref(), Some(old.as_str()), "the run still uses the old key");
    // IAM catches up; the old key still works, and the rotation continues from where it
    // stopped, without a third key.
    rig.aws.clear_faults();
    assert!(rig.engine.verify(&run, None).await.unwrap().passed());
    let calls_before = rig.count("iam:CreateAccessKey");
    let r = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap();
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
    let e = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap_err().to_string();
    assert!(e.contains("failed after making") && e.contains("deleted") && e.contains("The old key is unchanged"), "{e}");
    assert_eq!(keys_in_aws(&rig), [format!("key {old} of {user}")]);
    assert_eq!(deleted_lost_keys(&rig).len(), 1);
    let r = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap();
    assert_eq!(keys_in_aws(&rig), [format!("key {} of {user}", r.new_key)]);
}

#[tokio::test]
async fn a_named_users_rotation_whose_create_fails_deletes_the_key_it_made() {
    let rig = Rig::new();
    let keys = rig.aws.add_foreign_user("ci-bot", 1);
    let dir = tempfile::tempdir().unwrap();
    let state = UserRotationStore { dir: dir.path().into() };
    lose_the_next_key(&rig);
    let e = rig.engine.rotate_user_key("ci-bot", None, &RotateOptions::default(), &state).await.unwrap_err().to_string();
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
    let e = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::KeyLimit { .. }) && e.to_string().contains(&other), "{e}");
    assert_eq!(rig.count("iam:DeleteAccessKey") + rig.count("iam:CreateAccessKey"), 1, "only the apply's CreateAccessKey");
    let e = rig.engine.rotate_key(&run, &RotateOptions { replace_key: Some(old.clone()) }).await.unwrap_err();
    assert!(matches!(&e, RunError::Invalid(f) if f[0].field == "replace_key"), "the key being rotated is not 'the other one': {e}");
    let r = rig.engine.rotate_key(&run, &RotateOptions { replace_key: Some(other.clone()) }).await.unwrap();
    let inv = rig.aws.inventory();
    assert!(!inv.iter().any(|l| l.contains(&other) || l.contains(&old)) && inv.iter().any(|l| l.contains(&r.new_key)), "{inv:?}");
}

#[tokio::test]
async fn a_named_users_key_is_rotated_only_as_the_person_says() {
    let rig = Rig::new();
    let keys = rig.aws.add_foreign_user("ci-bot", 2);
    let dir = tempfile::tempdir().unwrap();
    let state = UserRotationStore { dir: dir.path().into() };
    let none = RotateOptions::default();
    // Two keys and none named: which to retire is the person's call.
    let e = rig.engine.rotate_user_key("ci-bot", None, &none, &state).await.unwrap_err();
    assert!(matches!(&e, RunError::Invalid(f) if f[0].field == "old_key" && f[0].rule == "required"), "{e}");
    // Named, but no room for a third key and the other one not named for deletion.
    let e = rig.engine.rotate_user_key("ci-bot", Some(keys[0].clone()), &none, &state).await.unwrap_err();
    assert!(matches!(&e, RunError::KeyLimit { .. }), "{e}");
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0);
    let opts = RotateOptions { replace_key: Some(keys[1].clone()) };
    let r = rig.engine.rotate_user_key("ci-bot", Some(keys[0].clone()), &opts, &state).await.unwrap();
    let inv = rig.aws.inventory();
    assert!(inv.iter().all(|l| !l.contains(&keys[0]) && !l.contains(&keys[1])), "{inv:?}");
    assert!(inv.contains(&format!("key {} of ci-bot", r.new_key)));
    assert_eq!(rig.vault.entries(), [vault_entry(&r.new_key)]);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "the rotation state is cleared when done");
}

#[tokio::test]
async fn a_rotation_whose_keychain_refuses_the_new_secret_deletes_the_new_key_and_keeps_the_old() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-forge").await;
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let (old, user) = (j.access_key_id.unwrap(), j.plan.user.unwrap().name);
    rig.vault.refuse_puts(true);
    let e = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(&e, RunError::RotationStopped { source, .. } if matches!(**source, RunError::SecretNotStored { .. })), "{e}");
    assert!(text.contains("was deleted again") && text.contains("The old key is unchanged"), "{text}");
    assert_eq!(keys_in_aws(&rig), [format!("key {old} of {user}")], "the new key is gone, the old one untouched");
    assert_eq!(rig.engine.store.load(&run).unwrap().access_key_id.as_deref(), Some(old.as_str()));
    rig.vault.refuse_puts(false);
    let r = rig.engine.rotate_key(&run, &RotateOptions::default()).await.unwrap();
    assert_eq!(keys_in_aws(&rig), [format!("key {} of {user}", r.new_key)]);
}
