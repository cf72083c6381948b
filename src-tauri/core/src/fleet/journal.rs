//! A fleet's journal: what one fleet run asked StackSets to do and what it saw, written
//! before each call that changes AWS (the StackSet, each operation id), so that a run
//! stopped anywhere resumes on the same StackSet and follows the same operation. Kept
//! as JSON in `home/fleets/<fleet id>.json`, mode 0600, written atomically. No secret is
//! in it (External IDs are not secrets).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::stacksets::{DeploymentTargets, OperationPreferences, OperationResult, ParameterValue, PermissionModel};
use crate::journal::{ids_in, read_json, write_json, StoreError};
use crate::plan::{Plan, RunInputs};

/// Where a fleet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum FleetStatus {
    /// Journaled; the StackSet is not known to exist yet.
    Planned,
    /// An operation that deploys instances was asked for or is running.
    Deploying,
    /// The last deploying operation ended and every instance is CURRENT.
    Deployed,
    /// The last deploying operation ended with instances that failed (`fleet retry`).
    PartlyDeployed,
    /// The instances are being deleted.
    RollingBack,
    /// The instances and the StackSet are deleted.
    RolledBack,
}

impl FleetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FleetStatus::Planned => "planned",
            FleetStatus::Deploying => "deploying",
            FleetStatus::Deployed => "deployed",
            FleetStatus::PartlyDeployed => "partly-deployed",
            FleetStatus::RollingBack => "rolling-back",
            FleetStatus::RolledBack => "rolled-back",
        }
    }
}

/// What the journal knows of the StackSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StackSetState {
    /// CreateStackSet is about to be called, or was called without an answer.
    Requested,
    Created,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackSetRecord {
    pub name: String,
    pub id: Option<String>,
    pub state: StackSetState,
    pub permission_model: PermissionModel,
    pub auto_deploy: bool,
    pub administration_role_arn: Option<String>,
    pub execution_role_name: Option<String>,
}

/// What an operation was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationAction {
    Deploy,
    Retry,
    Delete,
}

impl OperationAction {
    pub fn deletes(self) -> bool {
        self == OperationAction::Delete
    }
}

/// One StackSets operation, journaled with its id before it is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationRecord {
    pub id: String,
    pub action: OperationAction,
    pub targets: DeploymentTargets,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// AWS answered the call (or said the id already exists).
    pub accepted: bool,
    /// SUCCEEDED, FAILED or STOPPED once it ended.
    pub ended: Option<String>,
    pub status_reason: Option<String>,
    /// Each account and Region's result, as last read.
    pub results: Vec<OperationResult>,
}

/// Something that happened, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetNote {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetJournal {
    pub fleet_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The administrator account (management or delegated administrator) and who in it.
    pub account: String,
    pub identity_arn: String,
    pub organization_id: String,
    pub management_account_id: String,
    /// The Region the StackSet lives in (the calls' Region).
    pub home_region: String,
    pub plan: Plan,
    pub inputs: RunInputs,
    pub stack_set: StackSetRecord,
    pub template_body: String,
    pub parameters: Vec<ParameterValue>,
    pub targets: DeploymentTargets,
    pub regions: Vec<String>,
    pub preferences: OperationPreferences,
    /// The role in each account that verification assumes.
    pub access_role: String,
    pub status: FleetStatus,
    pub operations: Vec<OperationRecord>,
    pub notes: Vec<FleetNote>,
}

impl FleetJournal {
    pub fn note(&mut self, at: OffsetDateTime, message: impl Into<String>) {
        self.notes.push(FleetNote { at, message: message.into() });
    }

    /// The operation that has not ended, if any (at most one runs at a time).
    pub fn open_operation(&self) -> Option<&OperationRecord> {
        self.operations.iter().rev().find(|o| o.ended.is_none())
    }

    pub fn operation_mut(&mut self, id: &str) -> Option<&mut OperationRecord> {
        self.operations.iter_mut().find(|o| o.id == id)
    }

    /// The External ID an account's instance was given for `role_key`: its override,
    /// else the plan's.
    pub fn external_id_for(&self, parameter: &str, default: &str) -> String {
        self.parameters.iter().find(|p| p.key == parameter).map(|p| p.value.clone()).unwrap_or_else(|| default.to_string())
    }
}

/// Fleet journals as JSON files in `home/fleets`.
pub struct FleetStore {
    dir: PathBuf,
}

/// A fleet id is `fl-` and lowercase letters and digits (`new_fleet_id` makes 12 hex
/// digits), so it is a safe file name.
pub fn check_fleet_id(id: &str) -> Result<(), StoreError> {
    let ok = id.len() <= 64
        && id.strip_prefix("fl-").is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadId(id.into()))
    }
}

impl FleetStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FleetStore { dir: dir.into() }
    }

    pub fn save(&self, j: &FleetJournal) -> Result<(), StoreError> {
        check_fleet_id(&j.fleet_id)?;
        write_json(&self.dir, &j.fleet_id, j)
    }

    pub fn load(&self, id: &str) -> Result<FleetJournal, StoreError> {
        check_fleet_id(id)?;
        read_json(&self.dir, id)
    }

    /// Every fleet, newest first.
    pub fn list(&self) -> Result<Vec<FleetJournal>, StoreError> {
        let mut out = ids_in(&self.dir, |id| check_fleet_id(id).is_ok())?.iter().map(|id| self.load(id)).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|j| std::cmp::Reverse(j.created_at));
        Ok(out)
    }
}
