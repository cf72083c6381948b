//! The access-key lifecycle apply and rotate share: a key a failed CreateAccessKey
//! made is deleted at once (or, when that fails, on resume or roll-back), a key that
//! appeared after an interrupted create is named and never deleted, a keychain that
//! refuses the secret leaves no key, and two keys are the person's choice.

use std::time::Duration;

use super::{aws_err, deleted_lost_keys, keys_in_aws, lose_the_next_key, notices, notices_of, Rig};
use crate::events::NoticeKind;
use crate::ports::{vault_entry, AwsErrorKind};
use crate::testing::aws::FaultMode;
use crate::{ApplyOptions, RollbackOptions, RunError};

#[tokio::test]
async fn a_key_made_by_a_failed_create_is_deleted_at_once_and_resume_makes_one() {
    let rig = Rig::new();
    lose_the_next_key(&rig);
    let run = rig.start("seqera-batch-forge").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    assert_eq!(deleted_lost_keys(&rig).len(), 1, "{:?}", rig.events());
    assert_eq!(keys_in_aws(&rig), Vec::<String>::new(), "the key the failed call made is gone");
    let deleted = notices_of(&rig, NoticeKind::LostKeyDeleted);
    assert!(deleted.iter().any(|n| n.contains("failed after making") && n.contains("deleted")), "{:?}", notices(&rig));
    let j = rig.engine.store.load(&run).unwrap();
    assert!(j.resources.iter().any(|r| &r.step == crate::journal::LOST_KEY_STEP && r.deleted_at.is_some()), "{:?}", j.resources);

    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let id = j.access_key_id.unwrap();
    assert_eq!(keys_in_aws(&rig), [format!("key {id} of {}", j.plan.user.unwrap().name)]);
    assert_eq!(rig.vault.entries(), [vault_entry(&id)]);
    assert!(j.key_intent.is_none(), "the intent is cleared once a secret is stored");
    assert!(notices_of(&rig, NoticeKind::UnexplainedKey).is_empty(), "the deleted key is not named as unknown: {:?}", notices(&rig));
    assert!(!notices(&rig).iter().any(|(_, n)| n.contains("leaves it alone")), "the deleted key is not named as unknown");
}

#[tokio::test]
async fn a_lost_key_whose_deletion_failed_is_deleted_on_resume() {
    let rig = Rig::new();
    let run = super::lost_key_left_behind(&rig).await;
    let lost = keys_in_aws(&rig);
    assert_eq!(lost.len(), 1);
    let problem = notices_of(&rig, NoticeKind::LostKeyProblem);
    assert!(problem.iter().any(|n| n.contains("a resume or roll-back deletes it")), "{:?}", notices(&rig));
    let user = rig.engine.store.load(&run).unwrap().plan.user.unwrap().name;
    assert_eq!(rig.engine.store.load(&run).unwrap().lost_keys(&user).len(), 1, "the journal records the lost key");

    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(deleted_lost_keys(&rig).len(), 1);
    assert_eq!(keys_in_aws(&rig), [format!("key {} of {user}", j.access_key_id.unwrap())]);
    assert!(rig.engine.store.load(&run).unwrap().lost_keys(&user).is_empty());
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
    let unknown = notices_of(&rig, NoticeKind::CreateOutcomeUnknown);
    assert!(unknown.iter().any(|n| n.contains("whether it made a key is not known; nothing was deleted")), "{:?}", notices(&rig));
    assert!(rig.engine.store.load(&run).unwrap().key_intent.is_some(), "the intent stays: the call is not accounted for");

    // Resume: the key cannot be told from one someone added, so it is named, not deleted.
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(rig.count("iam:DeleteAccessKey"), 0);
    let named = notices_of(&rig, NoticeKind::UnexplainedKey);
    assert!(
        named.iter().any(|n| n.contains(&lost_id) && n.contains("leaves it alone") && n.contains("aws iam delete-access-key")),
        "{:?}",
        notices(&rig)
    );
    assert!(
        !notices_of(&rig, NoticeKind::ForeignKey).iter().any(|n| n.contains(&lost_id)),
        "a key that may be the run's is not called someone else's: {:?}",
        notices(&rig)
    );
    assert!(
        !notices(&rig).iter().any(|(_, n)| n.contains(&lost_id) && n.contains("this run did not make")),
        "a key that may be the run's is not called someone else's: {:?}",
        notices(&rig)
    );
    assert_eq!(keys_in_aws(&rig).len(), 2);
    let user = j.plan.user.unwrap().name;
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.iter().any(|(what, why)| what.contains(&user) && why.contains(&lost_id)), "{report:?}");
    assert_eq!(keys_in_aws(&rig), [format!("key {lost_id} of {user}")], "only the run's own key was deleted");
    rig.engine.rollback(&run, &RollbackOptions { delete_unrecorded_keys: true, ..Default::default() }).await.unwrap();
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
        let named = notices_of(&rig, NoticeKind::UnexplainedKey);
        assert!(named.iter().any(|n| n.contains(id.as_str()) && n.contains("leaves it alone")), "{:?}", notices(&rig));
    }
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.iter().any(|(_, why)| why.contains(&a) && why.contains(&b)), "{report:?}");
    assert_eq!(keys_in_aws(&rig).len(), 2);
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
