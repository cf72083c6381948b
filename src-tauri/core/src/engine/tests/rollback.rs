//! Roll-back of what an interrupted key step left: a key added by hand is kept with the
//! reason, and a key a failed create made, whose deletion failed, is deleted without
//! extra flags.

use super::{keys_in_aws, Rig};
use crate::journal::RunStatus;
use crate::RollbackOptions;

#[tokio::test]
async fn a_lost_key_whose_deletion_failed_is_rolled_back_without_extra_flags() {
    let rig = Rig::new();
    let run = super::lost_key_left_behind(&rig).await;
    assert_eq!(keys_in_aws(&rig).len(), 1);
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.is_empty(), "{report:?}");
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
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
