//! Progress events: what the engine tells the CLI (stderr) and the app (a channel)
//! while it works. They carry ids, names and codes, never secrets.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::plan::StepId;
use crate::verify::Check;

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
    },
}

/// Where events go.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// A sink that drops events.
pub fn discard() -> EventSink {
    Arc::new(|_| {})
}
