//! The run journal: what a run planned, which steps are done, and every resource it
//! made in AWS. It is written atomically (mode 0600) after every change in AWS, so a
//! run killed at any point can be resumed or rolled back. It never holds a secret:
//! only access key ids, whose secrets live in the keychain.
//!
//! Longer than 500 lines: every record the journal holds (steps, resources, the key
//! intent, rotations, trust changes) is one file format, read together with its store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::checks::VerifyReport;
use crate::fs::write_private_atomic;
use crate::plan::{Plan, RunInputs, StepId};

pub const FORMAT: &str = "rolegate-journal/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Planned, nothing made yet.
    Planned,
    /// Steps are being made (or the run stopped while they were).
    Applying,
    /// Every step is done.
    Applied,
    /// Applied, nothing failed, and every role was proven: assumed with its External ID,
    /// or confirmed by the platform (`verdict::verdict`).
    Verified,
    /// Applied, but a verification check failed.
    VerifyFailed,
    /// Applied and no AWS-side check failed, but a role that trusts a third party has not
    /// been confirmed by that party yet (its validation, or `verify --assume-as-profile`).
    AwaitingPlatform,
    /// A step failed; what was made is in `resources`.
    Failed,
    /// Stopped at the person's request after the running steps finished; what was made
    /// is in `resources`, to resume or roll back.
    Cancelled,
    RollingBack,
    /// Everything this run made is deleted.
    RolledBack,
    /// Roll-back stopped with resources left (each says why).
    RollbackIncomplete,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Planned => "planned",
            RunStatus::Applying => "applying",
            RunStatus::Applied => "applied",
            RunStatus::Verified => "verified",
            RunStatus::VerifyFailed => "verify-failed",
            RunStatus::AwaitingPlatform => "awaiting-platform",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::RollingBack => "rolling-back",
            RunStatus::RolledBack => "rolled-back",
            RunStatus::RollbackIncomplete => "rollback-incomplete",
        }
    }

    /// How the status reads for a person: the name, except where words say more.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::AwaitingPlatform => "awaiting the platform's check",
            other => other.as_str(),
        }
    }

    /// Every step is done (whatever verification said): the run's resources exist, so it
    /// can be verified, exported, rotated or have its External ID set.
    pub fn is_applied(self) -> bool {
        matches!(self, RunStatus::Applied | RunStatus::Verified | RunStatus::VerifyFailed | RunStatus::AwaitingPlatform)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Pending,
    Done,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub state: StepState,
    /// `created`, `adopted` (found, made by this run), `waited`.
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A resource this run made in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resource {
    Policy {
        arn: String,
    },
    User {
        name: String,
    },
    UserPolicyAttachment {
        user: String,
        policy_arn: String,
    },
    UserInlinePolicy {
        user: String,
        name: String,
    },
    AccessKey {
        user: String,
        id: String,
    },
    Role {
        name: String,
    },
    RolePolicyAttachment {
        role: String,
        policy_arn: String,
    },
    /// An EKS access entry (its access policies go with it).
    EksAccessEntry {
        region: String,
        cluster: String,
        principal_arn: String,
    },
}

impl Resource {
    /// Deletion order: what depends on others goes first.
    pub fn delete_rank(&self) -> u8 {
        match self {
            Resource::UserPolicyAttachment { .. }
            | Resource::RolePolicyAttachment { .. }
            | Resource::UserInlinePolicy { .. }
            | Resource::EksAccessEntry { .. } => 0,
            Resource::AccessKey { .. } => 1,
            Resource::User { .. } | Resource::Role { .. } => 2,
            Resource::Policy { .. } => 3,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Resource::Policy { arn } => format!("managed policy {arn}"),
            Resource::User { name } => format!("IAM user {name}"),
            Resource::UserPolicyAttachment { user, policy_arn } => format!("attachment of {policy_arn} to user {user}"),
            Resource::UserInlinePolicy { user, name } => format!("inline policy {name} of user {user}"),
            Resource::AccessKey { user, id } => format!("access key {id} of user {user}"),
            Resource::Role { name } => format!("IAM role {name}"),
            Resource::RolePolicyAttachment { role, policy_arn } => format!("attachment of {policy_arn} to role {role}"),
            Resource::EksAccessEntry { region, cluster, principal_arn } => {
                format!("EKS access entry of {principal_arn} on cluster {cluster} ({region})")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRecord {
    #[serde(flatten)]
    pub resource: Resource,
    /// The plan step that made it (or [`LOST_KEY_STEP`], or `rotate-key`).
    pub step: StepId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub message: String,
}

/// The whole record of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub format: String,
    pub run_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub status: RunStatus,
    pub inputs: RunInputs,
    pub plan: Plan,
    pub steps: BTreeMap<StepId, StepRecord>,
    pub resources: Vec<ResourceRecord>,
    /// The id of the access key this run made (its secret is in the keychain).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Written just before CreateAccessKey, cleared once a key's secret is stored. Keys
    /// that appeared since and that the journal does not record are named to the person,
    /// never deleted: they cannot be told from keys someone added.
    #[serde(default)]
    pub key_intent: Option<KeyIntent>,
    /// A key rotation under way (`rolegate rotate-key` resumes it).
    #[serde(default)]
    pub rotation: Option<Rotation>,
    /// AWS profiles written for this run, so a rotation can update plain-key ones.
    #[serde(default)]
    pub exports: Vec<ProfileExport>,
    #[serde(default)]
    pub verification: Option<VerifyReport>,
    /// Every change of a role's External ID after apply (`set-external-id`), oldest
    /// first; the last one is an intent while its `result` is `None`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_changes: Vec<TrustChange>,
    /// Credentials made on the receiving platform (`seqera connect`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform: Vec<crate::platform_journal::PlatformRecord>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

impl Journal {
    /// Indexes into `resources` of what still exists, in the order a roll-back deletes
    /// them: dependents first, and within a rank the newest first.
    pub fn deletion_order(&self) -> Vec<usize> {
        let mut order: Vec<(usize, u8)> =
            self.resources.iter().enumerate().filter(|(_, r)| r.deleted_at.is_none()).map(|(i, r)| (i, r.resource.delete_rank())).collect();
        order.sort_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        order.into_iter().map(|(i, _)| i).collect()
    }

    pub fn new(plan: Plan, inputs: RunInputs, now: OffsetDateTime) -> Journal {
        let steps = plan
            .steps
            .iter()
            .map(|s| (s.id.clone(), StepRecord { state: StepState::Pending, outcome: None, detail: None, at: now }))
            .collect();
        Journal {
            format: FORMAT.into(),
            run_id: plan.run_id.clone(),
            created_at: now,
            updated_at: now,
            status: RunStatus::Planned,
            inputs,
            plan,
            steps,
            resources: Vec::new(),
            access_key_id: None,
            key_intent: None,
            rotation: None,
            exports: Vec::new(),
            verification: None,
            trust_changes: Vec::new(),
            platform: Vec::new(),
            last_error: None,
            history: vec![HistoryEntry { at: now, message: "planned".into() }],
        }
    }

    pub fn step_done(&self, id: &StepId) -> bool {
        self.steps.get(id).is_some_and(|s| s.state == StepState::Done)
    }

    /// Resources made and not yet deleted.
    pub fn live_resources(&self) -> impl Iterator<Item = &ResourceRecord> {
        self.resources.iter().filter(|r| r.deleted_at.is_none())
    }

    pub fn has_resource(&self, r: &Resource) -> bool {
        self.live_resources().any(|x| &x.resource == r)
    }

    /// Mark a recorded resource as deleted.
    pub fn mark_deleted(&mut self, resource: &Resource, now: OffsetDateTime) {
        for r in self.resources.iter_mut().filter(|r| &r.resource == resource && r.deleted_at.is_none()) {
            r.deleted_at = Some(now);
        }
    }

    /// Keys of `user` that a failed CreateAccessKey of this run made, not yet deleted.
    pub fn lost_keys(&self, user: &str) -> Vec<String> {
        self.live_resources()
            .filter(|r| &r.step == LOST_KEY_STEP)
            .filter_map(|r| match &r.resource {
                Resource::AccessKey { user: u, id } if u == user => Some(id.clone()),
                _ => None,
            })
            .collect()
    }

    /// Record a resource once (adopting after a crash records it again harmlessly).
    pub fn record(&mut self, resource: Resource, step: &StepId, now: OffsetDateTime) {
        if !self.has_resource(&resource) {
            self.resources.push(ResourceRecord { resource, step: step.clone(), created_at: now, deleted_at: None });
        }
    }

    pub fn note(&mut self, now: OffsetDateTime, message: impl Into<String>) {
        self.updated_at = now;
        self.history.push(HistoryEntry { at: now, message: message.into() });
    }
}

/// The step name under which a journal records keys that a failed CreateAccessKey of
/// this run made (their secret never arrived); they are deleted as soon as they are found.
pub const LOST_KEY_STEP: &StepId = &StepId::AccessKeyLost;

/// "About to replace the trust policy of role `role_key`": written before
/// UpdateAssumeRolePolicy, its `result` filled in after (`changed`, `adopted` when the live
/// trust already was the new one, `superseded` by a later change, or `failed: ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustChange {
    pub role_key: String,
    pub role_name: String,
    pub old_external_id: String,
    pub new_external_id: String,
    /// The trust policy IAM held before the change, as its JSON text.
    pub old_document: String,
    pub new_document: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// How far a key rotation got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RotationStage {
    /// The new key exists and its secret is in the keychain; the old one is in use.
    Created,
    /// The new key works and is the run's key; the old one is still active.
    Switched,
    /// The old key is inactive; it is deleted next.
    OldInactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub old_key: Option<String>,
    pub new_key: String,
    pub stage: RotationStage,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
}

/// A profile written for the run (`plain_keys`: the secret is in `credentials_file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileExport {
    pub profile: String,
    pub source_profile: String,
    pub config_file: PathBuf,
    pub credentials_file: PathBuf,
    pub plain_keys: bool,
}

/// "About to create an access key for `user`, which then had the keys `existing`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyIntent {
    pub user: String,
    pub existing: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl KeyIntent {
    /// The keys of `user` that were not there when the interrupted call began: that
    /// call's key, or keys someone else added since. Nothing here tells them apart.
    pub fn appeared_since<'a>(&self, user: &str, keys: &'a [crate::ports::AccessKeyMeta]) -> Vec<&'a crate::ports::AccessKeyMeta> {
        if user != self.user {
            return Vec::new();
        }
        keys.iter().filter(|k| !self.existing.contains(&k.id)).collect()
    }
}

/// A one-line view of a run for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RunSummary {
    pub run_id: String,
    pub template_id: String,
    pub status: RunStatus,
    pub account: String,
    pub region: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub live_resources: usize,
}

impl From<&Journal> for RunSummary {
    fn from(j: &Journal) -> Self {
        RunSummary {
            run_id: j.run_id.clone(),
            template_id: j.plan.template_id.clone(),
            status: j.status,
            account: j.plan.account.clone(),
            region: j.plan.region.clone(),
            created_at: j.created_at,
            updated_at: j.updated_at,
            live_resources: j.live_resources().count(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no run {0} in the journal folder")]
    NotFound(String),
    #[error("run id {0:?} is not a Rolegate run id")]
    BadId(String),
    #[error("could not {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{path} is not a readable journal: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// Raised by test stores that simulate a crash after a write.
    #[error("simulated crash after journal write {0}")]
    SimulatedCrash(usize),
}

/// Where journals are kept.
pub trait JournalStore: Send + Sync {
    fn save(&self, journal: &Journal) -> Result<(), StoreError>;
    fn load(&self, run_id: &str) -> Result<Journal, StoreError>;
    fn list(&self) -> Result<Vec<Journal>, StoreError>;
}

/// Journals as JSON files in a folder shared by the CLI and the app.
pub struct FileJournalStore {
    dir: PathBuf,
}

fn check_id(run_id: &str) -> Result<(), StoreError> {
    let ok = !run_id.is_empty() && run_id.len() <= 64 && run_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadId(run_id.into()))
    }
}

impl FileJournalStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileJournalStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl JournalStore for FileJournalStore {
    fn save(&self, journal: &Journal) -> Result<(), StoreError> {
        check_id(&journal.run_id)?;
        write_json(&self.dir, &journal.run_id, journal)
    }

    fn load(&self, run_id: &str) -> Result<Journal, StoreError> {
        check_id(run_id)?;
        read_json(&self.dir, run_id)
    }

    fn list(&self) -> Result<Vec<Journal>, StoreError> {
        let mut out = ids_in(&self.dir, |id| check_id(id).is_ok())?.iter().map(|id| self.load(id)).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|j| std::cmp::Reverse(j.created_at));
        Ok(out)
    }
}

/// Write `value` as `dir/ID.json`, pretty, atomically, mode 0600 (the folder made private).
pub(crate) fn write_json<T: serde::Serialize>(dir: &Path, id: &str, value: &T) -> Result<(), StoreError> {
    let path = dir.join(format!("{id}.json"));
    let bytes = serde_json::to_vec_pretty(value).expect("a journal serialises");
    crate::home::ensure_private_dir(dir).map_err(|source| StoreError::Io { action: "create", path: dir.to_path_buf(), source })?;
    write_private_atomic(&path, &bytes).map_err(|source| StoreError::Io { action: "write", path, source })
}

/// Read `dir/ID.json`; `NotFound(ID)` when there is none.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, id: &str) -> Result<T, StoreError> {
    let path = dir.join(format!("{id}.json"));
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::NotFound(id.into())),
        Err(source) => return Err(StoreError::Io { action: "read", path, source }),
    };
    serde_json::from_slice(&text).map_err(|e| StoreError::Corrupt { path, message: e.to_string() })
}

/// The ids of the `ID.json` files in `dir` that `valid` accepts (none when `dir` is missing).
pub(crate) fn ids_in(dir: &Path, valid: impl Fn(&str) -> bool) -> Result<Vec<String>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(StoreError::Io { action: "list", path: dir.to_path_buf(), source }),
    };
    Ok(entries
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".json").map(String::from))
        .filter(|id| valid(id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{build, RunInputs};
    use crate::ports::CallerIdentity;
    use crate::template::find_builtin;
    use crate::testing::FixedEntropy;

    fn journal() -> Journal {
        let t = find_builtin("seqera-batch-launch").unwrap();
        let inputs = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
        let caller =
            CallerIdentity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/admin".into(), user_id: "AIDA".into() };
        let plan = build(&t, &inputs, &caller, "rg-abc", &FixedEntropy::default()).unwrap();
        Journal::new(plan, inputs, OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn saves_atomically_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileJournalStore::new(dir.path().join("runs"));
        let mut j = journal();
        j.record(Resource::User { name: "u".into() }, &StepId::User, OffsetDateTime::UNIX_EPOCH);
        j.record(Resource::User { name: "u".into() }, &StepId::User, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(j.resources.len(), 1, "recording twice keeps one record");
        store.save(&j).unwrap();
        let back = store.load("rg-abc").unwrap();
        assert_eq!(back, j);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("runs/rg-abc.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path().join("runs")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind: {names:?}");
        assert_eq!(store.list().unwrap().len(), 1);
    }

    #[test]
    fn bad_ids_and_missing_runs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileJournalStore::new(dir.path());
        assert!(matches!(store.load("../etc/passwd"), Err(StoreError::BadId(_))));
        assert!(matches!(store.load("rg-nothere"), Err(StoreError::NotFound(_))));
        std::fs::write(dir.path().join("rg-bad.json"), "{").unwrap();
        assert!(matches!(store.load("rg-bad"), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn deletion_order_puts_dependents_first() {
        let mut rs = [
            Resource::Policy { arn: "p".into() },
            Resource::User { name: "u".into() },
            Resource::AccessKey { user: "u".into(), id: "k".into() },
            Resource::UserPolicyAttachment { user: "u".into(), policy_arn: "p".into() },
        ];
        rs.sort_by_key(|r| r.delete_rank());
        assert!(matches!(rs[0], Resource::UserPolicyAttachment { .. }));
        assert!(matches!(rs[3], Resource::Policy { .. }));
    }
}
