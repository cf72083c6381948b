//! The engine's unit tests, one file per room, against the in-memory stand-ins of
//! `testing` (a manual clock that advances only when slept on, fixed entropy, an
//! in-memory IAM/STS and keychain) with journals in a temporary folder. The emulator
//! scenarios (tests/tests) cover the same paths against a real IAM implementation.
//! This file holds the rig they share.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::events::{DeletionKind, Event, NoticeKind};
use crate::journal::{FileJournalStore, RunStatus};
use crate::plan::RunInputs;
use crate::ports::{AwsError, AwsErrorKind};
use crate::propagation::PollSettings;
use crate::template::find_builtin;
use crate::testing::aws::{FakeAws, FaultMode};
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::{ApplyOptions, Engine};

mod access_key;
mod apply;
mod rollback;
mod rotate;
mod stop;
mod trust;
mod verdict;

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
            fleets: Arc::new(crate::fleet::FleetStore::new(dir.path().join("fleets"))),
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

    /// The folder the run journals are in.
    pub(super) fn dir(&self) -> &std::path::Path {
        self._dir.path()
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
    pub(super) async fn stopped_before_the_key(&self) -> (String, String) {
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

/// The keys in AWS, as the inventory lists them (`key ID of USER`).
pub(super) fn keys_in_aws(rig: &Rig) -> Vec<String> {
    rig.aws.inventory().into_iter().filter(|l| l.starts_with("key ")).collect()
}

/// The resources deleted as keys a failed CreateAccessKey of this run made.
pub(super) fn deleted_lost_keys(rig: &Rig) -> Vec<String> {
    rig.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Deleted { resource, detail, kind: DeletionKind::LostKey } => {
                assert!(detail.contains("CreateAccessKey of this run that failed"), "{detail}");
                Some(resource)
            }
            _ => None,
        })
        .collect()
}

/// Every notice so far, with its kind.
pub(super) fn notices(rig: &Rig) -> Vec<(NoticeKind, String)> {
    rig.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Notice { message, kind } => Some((kind, message)),
            _ => None,
        })
        .collect()
}

/// The messages of the notices of one kind.
pub(super) fn notices_of(rig: &Rig, kind: NoticeKind) -> Vec<String> {
    notices(rig).into_iter().filter(|(k, _)| *k == kind).map(|(_, m)| m).collect()
}

/// CreateAccessKey takes effect, but its answer (with the secret) never arrives.
pub(super) fn lose_the_next_key(rig: &Rig) {
    rig.aws.fail("iam:CreateAccessKey", 1, FaultMode::AfterEffect, aws_err(AwsErrorKind::Network, "TimeoutError", "read timed out"));
}

/// A run whose CreateAccessKey made a key but lost its answer, and whose deletion of
/// that key failed too. Returns the run id.
pub(super) async fn lost_key_left_behind(rig: &Rig) -> String {
    lose_the_next_key(rig);
    rig.aws.fail("iam:DeleteAccessKey", 1, FaultMode::Refuse, aws_err(AwsErrorKind::Network, "TimeoutError", "read timed out"));
    let run = rig.start("seqera-batch-forge").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    run
}
