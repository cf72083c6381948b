//! Progress events: what the engine tells the CLI (stderr) and the app (a channel)
//! while it works. They carry ids, names and codes, never secrets.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::checks::Check;
use crate::plan::StepId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    StepStarted {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        step: StepId,
        summary: String,
    },
    /// `outcome` is `created`, `adopted` (found, made by this run) or `waited`.
    StepDone {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        step: StepId,
        outcome: String,
        detail: String,
    },
    StepFailed {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        step: StepId,
        message: String,
    },
    /// A step that was only waiting for IAM stopped because the run is stopping (a
    /// cancel, or another step failed); it waits again on resume.
    StepStopped {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        step: StepId,
        message: String,
    },
    /// Waiting for IAM to propagate a change; `last_code` is AWS's "not yet" answer.
    Waiting {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        step: StepId,
        what: String,
        attempt: u32,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        elapsed_seconds: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        limit_seconds: u64,
        last_code: String,
    },
    Deleted {
        resource: String,
        detail: String,
        /// Why it was deleted; `detail` says it in words.
        #[serde(default)]
        kind: DeletionKind,
    },
    /// A resource roll-back did not delete, with the reason.
    Kept {
        resource: String,
        reason: String,
    },
    CheckDone {
        check: Check,
    },
    Notice {
        message: String,
        /// What the notice is about, for a program; `message` is for the person.
        #[serde(default)]
        kind: NoticeKind,
    },
    /// A fleet operation's result for one account and Region changed (PENDING, RUNNING,
    /// SUCCEEDED, FAILED, CANCELLED), or the operation itself did (`account` empty).
    FleetProgress {
        fleet_id: String,
        operation_id: String,
        account: String,
        region: String,
        status: String,
        reason: String,
    },
    /// One account of a fleet has its verdict.
    FleetVerdict {
        fleet_id: String,
        account: String,
        verdict: String,
        reason: String,
    },
}

/// Why a resource was deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum DeletionKind {
    /// A roll-back deleted what the run made.
    #[default]
    RolledBack,
    /// A key a failed CreateAccessKey of this run made, whose secret never arrived.
    LostKey,
    /// The key the person chose to delete to make room (`--replace-key`).
    Chosen,
    /// A key on the run's user the run did not record, deleted as the person asked
    /// (`--delete-unrecorded-keys`).
    Unrecorded,
    /// The old key a rotation retired.
    Retired,
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// Anything else worth saying.
    #[default]
    Info,
    /// A folder of the home was open to others and is now private.
    FolderTightened,
    /// The run's user holds a key this run did not make; it is left alone.
    ForeignKey,
    /// A key appeared after an earlier attempt of this run to create one did not finish:
    /// it may be that attempt's (its secret lost) or someone's, so it is left alone and
    /// named with the command to delete it.
    UnexplainedKey,
    /// A CreateAccessKey failed and the user's keys listed right after show no key made
    /// by it.
    CreateMadeNoKey,
    /// A CreateAccessKey failed and the keys could not be listed afterwards, so whether
    /// it made a key is not known; nothing was deleted.
    CreateOutcomeUnknown,
    /// A CreateAccessKey failed after making a key anyway, which was deleted.
    LostKeyDeleted,
    /// A CreateAccessKey failed after making a key anyway, and deleting or recording it
    /// failed too; the message says what is left and who deletes it.
    LostKeyProblem,
    /// A rotation made a new key and stored its secret.
    KeyCreated,
}

/// Where events go.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// A sink that drops events.
pub fn discard() -> EventSink {
    Arc::new(|_| {})
}
