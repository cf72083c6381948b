//! Unit tests of how an apply stops, against the in-memory IAM/STS with a paused clock:
//! a cancel lets a running step finish and be journaled (never a key without its secret
//! stored), a propagation wait stops at once, and a failure's report names what exists
//! once every step that was running alongside it has ended.

use std::time::Duration;

use super::{aws_err, keys_in_aws, Rig};
use crate::events::Event;
use crate::journal::{Resource, RunStatus};
use crate::plan::StepId;
use crate::ports::{vault_entry, AwsErrorKind};
use crate::testing::aws::FaultMode;
use crate::{ApplyOptions, CancellationToken, RollbackOptions, RunError};

/// Apply `run` on its own task, stopping when `cancel` fires.
fn apply_in_background(
    rig: &Rig,
    run: &str,
    cancel: &CancellationToken,
) -> tokio::task::JoinHandle<Result<crate::journal::Journal, RunError>> {
    let (engine, run, cancel) = (rig.engine.clone(), run.to_string(), cancel.clone());
    tokio::spawn(async move { engine.apply_until(&run, &ApplyOptions::default(), &cancel).await })
}

fn started(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { step, .. } => Some(step.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_cancel_while_the_key_is_created_stores_its_secret_records_it_and_starts_nothing_new() {
    let rig = Rig::new();
    // CreateAccessKey has made the key in IAM; its answer (with the secret) is on its way.
    let held = rig.aws.hold("iam:CreateAccessKey");
    let run = rig.start("seqera-batch-launch").await;
    let cancel = CancellationToken::new();
    let task = apply_in_background(&rig, &run, &cancel);
    held.reached().await;
    cancel.cancel();
    let seen = rig.events().len();
    held.release();
    let e = task.await.unwrap().unwrap_err();

    let j = rig.engine.store.load(&run).unwrap();
    let user = j.plan.user.clone().unwrap().name;
    let key = j.access_key_id.clone().expect("the key the running step made is recorded");
    assert_eq!(keys_in_aws(&rig), [format!("key {key} of {user}")], "no key exists that the journal does not record");
    assert_eq!(rig.vault.entries(), [vault_entry(&key)], "its secret is stored");
    assert!(j.has_resource(&Resource::AccessKey { user: user.clone(), id: key.clone() }));
    assert!(j.key_intent.is_none(), "the create-and-store sequence completed");
    assert!(j.step_done(&StepId::AccessKey));
    assert_eq!(started(&rig.events()[seen..]), Vec::<String>::new(), "no step started after the cancel");
    assert!(!j.step_done(&StepId::WaitAccessKey));
    assert_eq!(j.status, RunStatus::Cancelled, "the journal says the run stopped on request");

    let live: Vec<String> = j.live_resources().map(|r| r.resource.describe()).collect();
    match &e {
        RunError::Cancelled { run_id, created } => {
            assert_eq!(run_id, &run);
            assert_eq!(created, &live, "the report lists exactly what the journal holds");
            assert!(created.contains(&format!("access key {key} of user {user}")), "{created:?}");
        }
        other => panic!("expected Cancelled, got {other}"),
    }
    let text = e.to_string();
    assert!(text.contains(&key) && text.contains(&format!("IAM user {user}")) && text.contains("stopped at your request"), "{text}");
    assert_eq!(e.report().created.as_ref(), Some(&live), "--json carries the same list");

    // Resume finishes the run with the same key; roll-back leaves nothing.
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert_eq!(j.access_key_id.as_deref(), Some(key.as_str()));
    assert_eq!(rig.count("iam:CreateAccessKey"), 1, "resume makes no second key");
    assert!(rig.engine.verify(&run, None).await.unwrap().passed());
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
    assert!(rig.vault.entries().is_empty());
}

#[tokio::test]
async fn a_cancel_during_a_propagation_wait_stops_it_at_once_and_resume_waits_again() {
    let rig = Rig::new();
    // The new key is never accepted within the wait's bound (120 s).
    rig.aws.fail_new_credentials("sts:GetCallerIdentity", 1000, aws_err(AwsErrorKind::InvalidClientTokenId, "InvalidClientTokenId", "no"));
    let run = rig.start("seqera-batch-forge").await;
    let cancel = CancellationToken::new();
    let task = apply_in_background(&rig, &run, &cancel);
    while rig.waits() == 0 {
        tokio::task::yield_now().await;
    }
    cancel.cancel();
    let e = task.await.unwrap().unwrap_err();
    assert!(matches!(&e, RunError::Cancelled { .. }), "{e}");
    assert!(rig.clock.elapsed() < Duration::from_secs(5), "the wait stopped at once, not at its bound: {:?}", rig.clock.elapsed());
    assert!(
        rig.events().iter().any(|e| matches!(e, Event::StepStopped { step, .. } if step == "wait:access-key")),
        "the stopped wait is reported"
    );
    let j = rig.engine.store.load(&run).unwrap();
    assert_eq!(j.status, RunStatus::Cancelled);
    assert!(!j.step_done(&StepId::WaitAccessKey));

    rig.aws.clear_faults();
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert!(j.step_done(&StepId::WaitAccessKey));
}

#[tokio::test]
async fn a_failure_report_names_what_a_step_running_alongside_made_after_the_failure() {
    let rig = Rig::new();
    // CreateUser has made the user; its answer arrives only after CreatePolicy failed.
    let held = rig.aws.hold("iam:CreateUser");
    rig.aws.fail("iam:CreatePolicy", 1, FaultMode::Refuse, aws_err(AwsErrorKind::Throttled, "Throttling", "Rate exceeded"));
    let run = rig.start("seqera-batch-forge").await;
    let task = apply_in_background(&rig, &run, &CancellationToken::new());
    held.reached().await;
    while !rig.events().iter().any(|e| matches!(e, Event::StepFailed { .. })) {
        tokio::task::yield_now().await;
    }
    held.release();
    let e = task.await.unwrap().unwrap_err();

    let user = rig.engine.store.load(&run).unwrap().plan.user.unwrap().name;
    assert_eq!(rig.aws.inventory(), [format!("user {user}")], "the user is all that exists");
    let made = vec![format!("IAM user {user}")];
    match &e {
        RunError::Aws { error, created, .. } => {
            assert_eq!(error.code, "Throttling");
            assert_eq!(created, &made);
        }
        other => panic!("expected an AWS error, got {other}"),
    }
    let text = e.to_string();
    assert!(text.contains(&format!("IAM user {user}")) && !text.contains("Nothing had been created"), "{text}");
    assert_eq!(e.report().created, Some(made), "--json carries the same list");
    let j = rig.engine.store.load(&run).unwrap();
    assert_eq!(j.last_error.as_deref(), Some(text.as_str()), "the journal keeps the final report");
    assert_eq!(j.status, RunStatus::Failed);
}
