//! The engine: one `Engine` the CLI and the app both drive, with a room per capability.
//! This file holds the engine itself (its ports, `with_home`, the identity, plan, start,
//! the journal and the credentials of a run's key); `apply` runs a plan, `access_key`
//! is the access-key lifecycle apply and rotate share, `rollback` deletes what a run
//! made, `verify` proves a run works, `rotate` replaces a key, `trust` changes a role's
//! External ID after apply, `seqera` hands a run to Seqera Platform through its API, `exports` and `connection` are what the front ends offer on
//! a run that exists.

use std::sync::Arc;

use secrecy::SecretString;
use tokio::sync::Mutex;

use crate::error::RunError;
use crate::events::{Event, EventSink, NoticeKind};
use crate::journal::{Journal, JournalStore};
use crate::plan::{self, Plan, RunInputs, RUN_TAG};
use crate::ports::{vault_entry, AssumeRoleInput, AwsError, CallerIdentity, Clock, Connect, Credentials, Entropy, Vault};
use crate::propagation::PollSettings;
use crate::template::Template;
use crate::validate::{FieldError, Tag};

mod access_key;
pub mod apply;
mod cluster_access;
pub mod connection;
pub mod exports;
pub mod rollback;
pub mod rotate;
pub mod seqera;
pub mod trust;
mod verify;

#[cfg(test)]
mod tests;

pub use apply::{ApplyOptions, CancellationToken};
pub use rollback::{RollbackOptions, RollbackReport};
pub use seqera::{PlatformApi, SeqeraConnection, SeqeraOptions};

/// Everything the engine needs from the outside world.
#[derive(Clone)]
pub struct Engine {
    pub connect: Arc<dyn Connect>,
    pub vault: Arc<dyn Vault>,
    pub store: Arc<dyn JournalStore>,
    /// The fleets' journals (`home/fleets`).
    pub fleets: Arc<crate::fleet::FleetStore>,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub events: EventSink,
    pub poll: PollSettings,
}

/// Bad input in one field, with the rule it breaks.
pub(crate) fn invalid(field: &str, rule: &str, message: impl Into<String>) -> RunError {
    RunError::Invalid(vec![FieldError::new(field, rule, message)])
}

/// Whether a resource's tags say this run made it.
pub(crate) fn owned_by(tags: &[Tag], run_id: &str) -> bool {
    tags.iter().any(|t| t.key == RUN_TAG && t.value == run_id)
}

/// Who a resource's tags say made it, as a clause for a message.
pub(crate) fn owner_of(tags: &[Tag]) -> String {
    match tags.iter().find(|t| t.key == RUN_TAG) {
        Some(t) => format!("it was made by Rolegate run {}", t.value),
        None => "it carries no rolegate:run-id tag".into(),
    }
}

impl Engine {
    /// The engine as the CLI and the app run it: journals in `home/runs`, secrets in
    /// `keychain` indexed by `home/secrets.json`, the real clock and randomness.
    pub fn with_home(
        connect: Arc<dyn Connect>,
        keychain: Arc<dyn Vault>,
        home: &std::path::Path,
        events: EventSink,
        poll: PollSettings,
    ) -> Engine {
        // The home is the person's alone; a folder found open to others is tightened and
        // the person told. One that cannot be made is reported by the first write to it.
        for t in crate::home::secure_home(home).unwrap_or_default() {
            tracing::warn!("{}", t.describe());
            events(&Event::Notice { message: t.describe(), kind: NoticeKind::FolderTightened });
        }
        let clock: Arc<dyn Clock> = Arc::new(crate::ports::SystemClock);
        Engine {
            connect,
            vault: Arc::new(crate::secrets::IndexedVault {
                inner: keychain,
                index: Arc::new(crate::secrets::SecretIndex::new(home.join("secrets.json"))),
                clock: clock.clone(),
            }),
            store: Arc::new(crate::journal::FileJournalStore::new(home.join("runs"))),
            fleets: Arc::new(crate::fleet::FleetStore::new(home.join("fleets"))),
            clock,
            entropy: Arc::new(crate::ports::OsEntropy),
            events,
            poll,
        }
    }

    pub(crate) fn emit(&self, e: Event) {
        (self.events)(&e)
    }

    pub(crate) fn aws(e: AwsError) -> RunError {
        RunError::Aws { step: None, error: e, run_id: None, created: Vec::new() }
    }

    /// Who the bootstrap identity is (step 0).
    pub async fn identity(&self) -> Result<CallerIdentity, RunError> {
        self.connect.identity_source().check_named("profile").map_err(|e| RunError::Invalid(vec![e]))?;
        // A throttled answer is asked again with a growing pause, never shown as an error.
        let sts = self.connect.sts();
        self.patiently(|| sts.get_caller_identity()).await.map_err(Self::aws)
    }

    /// Plan a run for the current identity, with the EKS clusters its service-account
    /// roles name looked up first (`cluster_facts`).
    pub async fn plan(&self, template: &Template, inputs: &RunInputs) -> Result<Plan, RunError> {
        let caller = self.identity().await?;
        let inputs = self.cluster_facts(template, inputs).await?;
        let run_id = self.entropy.run_id();
        let mut plan = plan::build(template, &inputs, &caller, &run_id, self.entropy.as_ref())?;
        plan.identity = self.connect.identity_source();
        Ok(plan)
    }

    /// Record a planned run in the journal; nothing is made in AWS yet.
    pub fn start(&self, plan: Plan, inputs: RunInputs) -> Result<Journal, RunError> {
        if plan.blocked() {
            return Err(RunError::Blocked(plan.lints));
        }
        let journal = Journal::new(plan, inputs, self.clock.now());
        self.store.save(&journal)?;
        Ok(journal)
    }

    pub(crate) async fn check_account(&self, journal: &Journal) -> Result<(), RunError> {
        let me = self.identity().await?;
        if me.account != journal.plan.account {
            return Err(RunError::WrongAccount {
                run_id: journal.run_id.clone(),
                run_account: journal.plan.account.clone(),
                identity_arn: me.arn,
                identity_account: me.account,
            });
        }
        Ok(())
    }

    pub(crate) async fn commit(&self, journal: &Mutex<Journal>, f: impl FnOnce(&mut Journal)) -> Result<(), RunError> {
        let mut j = journal.lock().await;
        f(&mut j);
        j.updated_at = self.clock.now();
        self.store.save(&j)?;
        Ok(())
    }

    pub(crate) async fn key_credentials(&self, journal: &Mutex<Journal>) -> Result<Credentials, RunError> {
        let j = journal.lock().await;
        let id = j.access_key_id.clone().ok_or_else(|| RunError::NoAccessKey { run_id: j.run_id.clone(), why: "not made yet".into() })?;
        drop(j);
        self.credentials_for_key(&id).await
    }

    /// The long-lived credentials of an access key whose secret is in the vault.
    pub async fn credentials_for_key(&self, id: &str) -> Result<Credentials, RunError> {
        match self.vault.get(&vault_entry(id)).await? {
            Some(secret) => Ok(Credentials::long_lived(id, secret)),
            None => Err(RunError::SecretMissing { keychain: self.vault.describe(), access_key_id: id.into(), entry: vault_entry(id) }),
        }
    }

    /// Temporary credentials for a key+role run: its key assumes its role with the
    /// External ID (session name = the run id).
    pub async fn temporary_credentials(&self, run_id: &str) -> Result<Credentials, RunError> {
        let j = self.store.load(run_id)?;
        let role = j.plan.roles.iter().find(|r| r.trusts_created_user).ok_or_else(|| {
            RunError::Invalid(vec![FieldError::new(
                "temporary",
                "no-role",
                "this run has no role its key can assume; temporary credentials come from a role",
            )])
        })?;
        let id = j
            .access_key_id
            .clone()
            .ok_or_else(|| RunError::NoAccessKey { run_id: run_id.into(), why: "rolled back, or not applied yet".into() })?;
        let key = self.credentials_for_key(&id).await?;
        let input = AssumeRoleInput {
            role_arn: role.arn.clone(),
            session_name: run_id.into(),
            external_id: Some(role.external_id.clone()),
            duration_seconds: None,
            tags: Vec::new(),
        };
        let assumed = self.connect.sts_as(&key).assume_role(&input).await.map_err(Self::aws)?;
        Ok(assumed.credentials)
    }

    /// Store a secret pasted or read from stdin for an access key, under the standard entry.
    pub async fn store_key_secret(&self, access_key_id: &str, secret: &SecretString) -> Result<(), RunError> {
        Ok(self.vault.put(&vault_entry(access_key_id), secret).await?)
    }

    /// The journal of one run.
    pub fn journal(&self, run_id: &str) -> Result<Journal, RunError> {
        Ok(self.store.load(run_id)?)
    }
}
