//! The runner: executes a plan's steps wave by wave (independent calls together), each
//! step idempotent (look up, adopt what this run made, create what is missing, refuse
//! what someone else made), writing the journal after every change in AWS. Roll-back
//! is in `rollback`.

use std::sync::Arc;

use std::collections::HashSet;

use futures::stream::{FuturesUnordered, StreamExt};
use secrecy::SecretString;
use tokio::sync::Mutex;

use crate::error::RunError;
use crate::events::{Event, EventSink};
use crate::journal::{Journal, JournalStore, KeyIntent, Resource, RunStatus, StepRecord, StepState, LOST_KEY_STEP};
use crate::plan::{self, Call, Plan, RunInputs, Step, StepId, RUN_TAG};
use crate::ports::{
    vault_entry, AssumeRoleInput, AwsError, AwsErrorKind, CallerIdentity, Clock, Connect, CreateRole, Credentials, Entropy, Vault,
};
use crate::propagation::{self, PollSettings, WaitError};
use crate::template::Template;
use crate::validate::{FieldError, Tag};
use crate::verify::{check_trust_document, probe_role, simulate, Check, CheckStatus, RoleProbe, VerifyReport};

/// Everything the engine needs from the outside world.
#[derive(Clone)]
pub struct Engine {
    pub connect: Arc<dyn Connect>,
    pub vault: Arc<dyn Vault>,
    pub store: Arc<dyn JournalStore>,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub events: EventSink,
    pub poll: PollSettings,
}

/// Choices for `apply`.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// When the user already holds two keys: the one the person chose to delete.
    pub replace_key: Option<String>,
}

/// The signal that stops a run at the person's request (`Engine::apply_until`).
pub use tokio_util::sync::CancellationToken;

/// Choices for `rollback`.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// Delete access keys on this run's user that the journal does not record.
    pub delete_unrecorded_keys: bool,
}

/// What a roll-back did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RollbackReport {
    pub run_id: String,
    /// Each resource deleted (or found already gone), in the order it was handled.
    pub deleted: Vec<String>,
    /// Each resource left in place, with the reason.
    pub kept: Vec<(String, String)>,
}

enum StepError {
    Aws(AwsError),
    Run(RunError),
    /// A propagation wait stopped because the run was cancelled; nothing is unrecorded.
    Stopped,
}

/// How a step ended without being done.
enum StepEnd {
    Failed(RunError),
    /// It was only waiting for IAM and stopped on cancel; it runs again on resume.
    Stopped,
}

impl From<AwsError> for StepError {
    fn from(e: AwsError) -> Self {
        StepError::Aws(e)
    }
}

impl From<RunError> for StepError {
    fn from(e: RunError) -> Self {
        StepError::Run(e)
    }
}

pub(crate) fn owned_by(tags: &[Tag], run_id: &str) -> bool {
    tags.iter().any(|t| t.key == RUN_TAG && t.value == run_id)
}

pub(crate) fn owner_of(tags: &[Tag]) -> String {
    match tags.iter().find(|t| t.key == RUN_TAG) {
        Some(t) => format!("it was made by Rolegate run {}", t.value),
        None => "it carries no rolegate:run-id tag".into(),
    }
}

fn suggestion(name: &str, run_id: &str, max: usize) -> String {
    let short: String = run_id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let base: String = name.chars().take(max.saturating_sub(short.len() + 1)).collect();
    format!("{base}-{short}")
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
            events(&Event::Notice { message: t.describe() });
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
        self.connect.sts().get_caller_identity().await.map_err(Self::aws)
    }

    /// Plan a run for the current identity.
    pub async fn plan(&self, template: &Template, inputs: &RunInputs) -> Result<Plan, RunError> {
        let caller = self.identity().await?;
        let run_id = self.entropy.run_id();
        let mut plan = plan::build(template, inputs, &caller, &run_id, self.entropy.as_ref())?;
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
            return Err(RunError::State(format!(
                "run {} was made in account {}, but the current identity ({}) is in account {}; use the identity of that account",
                journal.run_id, journal.plan.account, me.arn, me.account
            )));
        }
        Ok(())
    }

    async fn commit(&self, journal: &Mutex<Journal>, f: impl FnOnce(&mut Journal)) -> Result<(), RunError> {
        let mut j = journal.lock().await;
        f(&mut j);
        j.updated_at = self.clock.now();
        self.store.save(&j)?;
        Ok(())
    }

    /// Make (or finish making) everything a run planned. Safe to call again after any
    /// failure or crash: done steps are skipped, and each step adopts what this run made.
    pub async fn apply(&self, run_id: &str, opts: &ApplyOptions) -> Result<Journal, RunError> {
        self.apply_until(run_id, opts, &CancellationToken::new()).await
    }

    /// `apply`, stopping cleanly when `cancel` fires: no new step starts, a step that is
    /// only waiting for IAM to propagate stops at once (nothing it did is unrecorded),
    /// every other running step finishes and is journaled (a key is never left between
    /// CreateAccessKey and the keychain), and then `RunError::Cancelled` lists what exists.
    /// A failed step stops the run the same way, and its error names what exists then.
    pub async fn apply_until(&self, run_id: &str, opts: &ApplyOptions, cancel: &CancellationToken) -> Result<Journal, RunError> {
        let journal = self.store.load(run_id)?;
        match journal.status {
            RunStatus::RollingBack | RunStatus::RolledBack | RunStatus::RollbackIncomplete => {
                return Err(RunError::State(format!("run {run_id} was rolled back ({}); start a new run", journal.status.as_str())))
            }
            RunStatus::Applied | RunStatus::Verified | RunStatus::VerifyFailed => return Ok(journal),
            _ => {}
        }
        self.check_account(&journal).await?;
        let plan = journal.plan.clone();
        let journal = Mutex::new(journal);
        let now = self.clock.now();
        self.commit(&journal, |j| {
            j.status = RunStatus::Applying;
            j.last_error = None;
            j.note(now, "applying");
        })
        .await?;
        // Each step starts as soon as the steps it depends on are done (not when a whole
        // wave is: storing a key in the keychain must not hold back attaching a policy).
        // After a failure or a cancel no new step starts, but every running step finishes
        // and records what it made: dropping one between CreateAccessKey and the keychain
        // write would leave a key nobody holds the secret of.
        let mut done: HashSet<StepId> = {
            let j = journal.lock().await;
            plan.steps.iter().filter(|s| j.step_done(&s.id)).map(|s| s.id.clone()).collect()
        };
        let mut waiting: Vec<&Step> = plan.steps.iter().filter(|s| !done.contains(&s.id)).collect();
        // Fired by the person's cancel or by the first failure: waits stop at once.
        let stop = cancel.child_token();
        let mut running = FuturesUnordered::new();
        let mut first_error = None;
        let mut stopped = false;
        loop {
            if !stop.is_cancelled() {
                let (ready, rest): (Vec<&Step>, Vec<&Step>) = waiting.into_iter().partition(|s| s.after.iter().all(|d| done.contains(d)));
                waiting = rest;
                for step in ready {
                    let journal = &journal;
                    let plan = &plan;
                    let stop = &stop;
                    running.push(async move { (step.id.clone(), self.run_step(plan, journal, step, opts, stop).await) });
                }
            }
            match running.next().await {
                None => break,
                Some((id, Ok(()))) => {
                    done.insert(id);
                }
                Some((_, Err(StepEnd::Stopped))) => stopped = true,
                Some((_, Err(StepEnd::Failed(e)))) => {
                    first_error.get_or_insert(e);
                    stop.cancel();
                }
            }
        }
        drop(running);
        // Every step has ended and is journaled: only now is what exists known.
        if let Some(err) = first_error {
            return Err(self.stopped_with(&journal, err).await);
        }
        if cancel.is_cancelled() && (stopped || !waiting.is_empty()) {
            let now = self.clock.now();
            let created = Self::created(&journal).await;
            self.commit(&journal, |j| {
                j.status = RunStatus::Cancelled;
                j.note(now, format!("stopped at the person's request with {} resource(s) made", created.len()));
            })
            .await?;
            return Err(RunError::Cancelled { run_id: run_id.into(), created });
        }
        if let Some(stuck) = waiting.first() {
            return Err(RunError::State(format!("step {} depends on steps that are not in the plan: {:?}", stuck.id, stuck.after)));
        }
        let now = self.clock.now();
        self.commit(&journal, |j| {
            j.status = RunStatus::Applied;
            j.note(now, "applied");
        })
        .await?;
        Ok(journal.into_inner())
    }

    /// What the journal says this run made and has not deleted.
    async fn created(journal: &Mutex<Journal>) -> Vec<String> {
        journal.lock().await.live_resources().map(|r| r.resource.describe()).collect()
    }

    /// The error a failed apply returns, completed once every running step has ended:
    /// an AWS error names what exists then, and the journal keeps that report.
    async fn stopped_with(&self, journal: &Mutex<Journal>, err: RunError) -> RunError {
        let err = match err {
            RunError::Aws { step, error, run_id: Some(run_id), .. } => {
                RunError::Aws { step, error, run_id: Some(run_id), created: Self::created(journal).await }
            }
            other => other,
        };
        // A simulated crash must not be followed by another write. If this write fails,
        // the step's failure and every resource are journaled already; the error the
        // person must act on is still the step's.
        if !matches!(err, RunError::Store(_)) {
            let mut j = journal.lock().await;
            j.last_error = Some(err.to_string());
            j.updated_at = self.clock.now();
            let _ = self.store.save(&j);
        }
        err
    }

    async fn run_step(
        &self,
        plan: &Plan,
        journal: &Mutex<Journal>,
        step: &Step,
        opts: &ApplyOptions,
        cancel: &CancellationToken,
    ) -> Result<(), StepEnd> {
        self.emit(Event::StepStarted { step: step.id.clone(), summary: step.summary.clone() });
        match self.exec(plan, journal, step, opts, cancel).await {
            Ok(()) => Ok(()),
            Err(StepError::Stopped) => {
                let now = self.clock.now();
                let message = "stopped while waiting for AWS, as the run is stopping; it waits again when the run resumes".to_string();
                self.emit(Event::StepStopped { step: step.id.clone(), message: message.clone() });
                self.commit(journal, |j| j.note(now, format!("step {} {message}", step.id))).await.map_err(StepEnd::Failed)?;
                Err(StepEnd::Stopped)
            }
            Err(err) => {
                let now = self.clock.now();
                let err = match err {
                    StepError::Run(e) => e,
                    // What exists is filled in by `apply` once every running step has ended.
                    StepError::Aws(error) => {
                        RunError::Aws { step: Some(step.id.clone()), error, run_id: Some(plan.run_id.clone()), created: Vec::new() }
                    }
                    StepError::Stopped => unreachable!("handled above"),
                };
                // This step's own failure, without the list of what exists (not known yet).
                let message = match &err {
                    RunError::Aws { step, error, .. } => {
                        RunError::Aws { step: step.clone(), error: error.clone(), run_id: None, created: Vec::new() }.to_string()
                    }
                    other => other.to_string(),
                };
                self.emit(Event::StepFailed { step: step.id.clone(), message: message.clone() });
                // A simulated crash must not be followed by another write.
                if !matches!(err, RunError::Store(_)) {
                    self.commit(journal, |j| {
                        j.steps.insert(
                            step.id.clone(),
                            StepRecord { state: StepState::Failed, outcome: None, detail: Some(message.clone()), at: now },
                        );
                        j.status = RunStatus::Failed;
                        j.last_error = Some(message.clone());
                        j.note(now, format!("step {} failed", step.id));
                    })
                    .await
                    .map_err(StepEnd::Failed)?;
                }
                Err(StepEnd::Failed(err))
            }
        }
    }

    async fn done(
        &self,
        journal: &Mutex<Journal>,
        step: &Step,
        outcome: &str,
        detail: String,
        resource: Option<Resource>,
    ) -> Result<(), StepError> {
        let now = self.clock.now();
        self.commit(journal, |j| {
            if let Some(r) = resource {
                j.record(r, &step.id, now);
            }
            j.steps.insert(
                step.id.clone(),
                StepRecord { state: StepState::Done, outcome: Some(outcome.into()), detail: Some(detail.clone()), at: now },
            );
        })
        .await?;
        self.emit(Event::StepDone { step: step.id.clone(), outcome: outcome.into(), detail });
        Ok(())
    }

    async fn key_credentials(&self, journal: &Mutex<Journal>) -> Result<Credentials, RunError> {
        let id = journal.lock().await.access_key_id.clone().ok_or_else(|| RunError::State("the run has no access key yet".into()))?;
        self.credentials_for_key(&id).await
    }

    /// The long-lived credentials of an access key whose secret is in the vault.
    pub async fn credentials_for_key(&self, id: &str) -> Result<Credentials, RunError> {
        match self.vault.get(&vault_entry(id)).await? {
            Some(secret) => Ok(Credentials::long_lived(id, secret)),
            None => Err(RunError::SecretMissing { keychain: self.vault.describe(), access_key_id: id.into(), entry: vault_entry(id) }),
        }
    }

    async fn exec(
        &self,
        plan: &Plan,
        journal: &Mutex<Journal>,
        step: &Step,
        opts: &ApplyOptions,
        cancel: &CancellationToken,
    ) -> Result<(), StepError> {
        let iam = self.connect.iam();
        let run_id = &plan.run_id;
        match &step.call {
            Call::CreatePolicy { policy_name, path, description, policy_document, tags } => {
                let arn = plan::policy_arn(plan, policy_name);
                let outcome = match iam.get_policy(&arn).await? {
                    Some(p) if owned_by(&p.tags, run_id) => "adopted",
                    Some(p) => return Err(self.name_taken("managed policy", policy_name, &p.tags, run_id, 128).into()),
                    None => {
                        iam.create_policy(policy_name, path, &crate::policy::render(policy_document), description, tags).await?;
                        "created"
                    }
                };
                self.done(journal, step, outcome, arn.clone(), Some(Resource::Policy { arn })).await
            }
            Call::CreateUser { user_name, path, tags } => {
                let outcome = match iam.get_user(user_name).await? {
                    Some(u) if owned_by(&u.tags, run_id) => "adopted",
                    Some(u) => return Err(self.name_taken("IAM user", user_name, &u.tags, run_id, 64).into()),
                    None => {
                        iam.create_user(user_name, path, tags).await?;
                        "created"
                    }
                };
                self.done(journal, step, outcome, user_name.clone(), Some(Resource::User { name: user_name.clone() })).await
            }
            Call::AttachUserPolicy { user_name, policy_arn } => {
                let attached = iam.list_attached_user_policies(user_name).await?;
                let outcome = if attached.contains(policy_arn) {
                    "adopted"
                } else {
                    iam.attach_user_policy(user_name, policy_arn).await?;
                    "created"
                };
                let r = Resource::UserPolicyAttachment { user: user_name.clone(), policy_arn: policy_arn.clone() };
                self.done(journal, step, outcome, policy_arn.clone(), Some(r)).await
            }
            Call::PutUserPolicy { user_name, policy_name, policy_document } => {
                iam.put_user_policy(user_name, policy_name, &crate::policy::render(policy_document)).await?;
                let r = Resource::UserInlinePolicy { user: user_name.clone(), name: policy_name.clone() };
                self.done(journal, step, "created", policy_name.clone(), Some(r)).await
            }
            Call::CreateAccessKey { user_name } => self.create_access_key(journal, step, user_name, opts).await,
            Call::CreateRole { role_name, path, description, max_session_duration, assume_role_policy_document, tags } => {
                let outcome = match iam.get_role(role_name).await? {
                    Some(r) if owned_by(&r.tags, run_id) => "adopted",
                    Some(r) => return Err(self.name_taken("IAM role", role_name, &r.tags, run_id, 64).into()),
                    None => {
                        let input = CreateRole {
                            name: role_name.clone(),
                            path: path.clone(),
                            trust_policy: crate::policy::render(assume_role_policy_document),
                            description: description.clone(),
                            max_session_seconds: *max_session_duration,
                            tags: tags.clone(),
                        };
                        let what = format!("IAM to accept the trust policy of {role_name} (its principal was just created)");
                        self.wait(&step.id, &what, propagation::principal_not_yet, || iam.create_role(&input), run_id, cancel).await?;
                        "created"
                    }
                };
                self.done(journal, step, outcome, role_name.clone(), Some(Resource::Role { name: role_name.clone() })).await
            }
            Call::AttachRolePolicy { role_name, policy_arn } => {
                let attached = iam.list_attached_role_policies(role_name).await?;
                let outcome = if attached.contains(policy_arn) {
                    "adopted"
                } else {
                    iam.attach_role_policy(role_name, policy_arn).await?;
                    "created"
                };
                let r = Resource::RolePolicyAttachment { role: role_name.clone(), policy_arn: policy_arn.clone() };
                self.done(journal, step, outcome, policy_arn.clone(), Some(r)).await
            }
            Call::WaitForAccessKey { user_name } => {
                let creds = self.key_credentials(journal).await?;
                let sts = self.connect.sts_as(&creds);
                let who = self
                    .wait(
                        &step.id,
                        "AWS to accept the new access key",
                        propagation::key_not_yet,
                        || sts.get_caller_identity(),
                        run_id,
                        cancel,
                    )
                    .await?;
                if who.account != plan.account || !who.arn.ends_with(&format!("/{user_name}")) {
                    return Err(RunError::State(format!(
                        "the new key signs in as {}, not as user {user_name} of account {}",
                        who.arn, plan.account
                    ))
                    .into());
                }
                self.done(journal, step, "waited", format!("the key signs in as {}", who.arn), None).await
            }
            Call::WaitForRole { role_arn, external_id, session_name } => {
                let creds = self.key_credentials(journal).await?;
                let sts = self.connect.sts_as(&creds);
                let input = AssumeRoleInput {
                    role_arn: role_arn.clone(),
                    session_name: session_name.clone(),
                    external_id: Some(external_id.clone()),
                    duration_seconds: None,
                    tags: Vec::new(),
                };
                let assumed = self
                    .wait(
                        &step.id,
                        "AWS to let the new key assume the role",
                        propagation::role_not_yet,
                        || sts.assume_role(&input),
                        run_id,
                        cancel,
                    )
                    .await?;
                self.done(journal, step, "waited", format!("assumed as {}", assumed.arn), None).await
            }
        }
    }

    /// Poll until IAM has propagated a change. On cancel the wait stops as soon as no
    /// attempt is in flight: between attempts nothing is unrecorded, while an attempt
    /// (CreateRole may make the role) is let finish and its answer is kept.
    #[allow(clippy::too_many_arguments)] // the poll's labels, plus the run id and the cancel signal
    async fn wait<T, F, Fut>(
        &self,
        step: &StepId,
        what: &str,
        not_yet: fn(&AwsError) -> bool,
        mut f: F,
        run_id: &str,
        cancel: &CancellationToken,
    ) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        let in_flight = Mutex::new(());
        let attempt = || {
            let call = f();
            let in_flight = &in_flight;
            async move {
                let _busy = in_flight.lock().await;
                call.await
            }
        };
        let polling = propagation::poll(self.clock.as_ref(), self.entropy.as_ref(), &self.events, self.poll, step, what, not_yet, attempt);
        let idle_after_cancel = async {
            cancel.cancelled().await;
            in_flight.lock().await
        };
        let outcome = tokio::select! {
            // The poll first: an attempt that just answered is never thrown away.
            biased;
            r = polling => r,
            _idle = idle_after_cancel => return Err(StepError::Stopped),
        };
        match outcome {
            Ok(v) => Ok(v),
            Err(WaitError::Failed(e)) => Err(StepError::Aws(e)),
            Err(WaitError::TimedOut { waited, last }) => Err(StepError::Run(RunError::Propagation {
                step: step.into(),
                waited_seconds: waited.as_secs(),
                last,
                run_id: run_id.into(),
            })),
        }
    }

    fn name_taken(&self, kind: &str, name: &str, tags: &[Tag], run_id: &str, max: usize) -> RunError {
        RunError::NameTaken { kind: kind.into(), name: name.into(), owner: owner_of(tags), suggestion: suggestion(name, run_id, max) }
    }

    async fn create_access_key(&self, journal: &Mutex<Journal>, step: &Step, user: &str, opts: &ApplyOptions) -> Result<(), StepError> {
        let iam = self.connect.iam();
        let keys = iam.list_access_keys(user).await?;
        // A crash after the secret reached the keychain but before the journal write:
        // the keychain entry proves Rolegate made the key.
        for k in &keys {
            if self.vault.get(&vault_entry(&k.id)).await.map_err(RunError::from)?.is_some() {
                let id = k.id.clone();
                self.commit(journal, |j| {
                    j.access_key_id = Some(id.clone());
                    j.key_intent = None;
                })
                .await?;
                return self
                    .done(
                        journal,
                        step,
                        "adopted",
                        format!("{id} (secret already in the keychain)"),
                        Some(Resource::AccessKey { user: user.into(), id }),
                    )
                    .await;
            }
        }
        // Keys an earlier failed CreateAccessKey of this run made and the journal
        // recorded, whose deletion did not go through then.
        let lost = journal.lock().await.lost_keys(user);
        for id in &lost {
            self.delete_lost_key(user, id).await?;
            self.commit(journal, |j| j.mark_deleted(&Resource::AccessKey { user: user.into(), id: id.clone() }, self.clock.now())).await?;
        }
        let keys: Vec<_> = keys.into_iter().filter(|k| !lost.contains(&k.id)).collect();
        // An intent still set means an earlier call did not end with a stored secret
        // (the process stopped during it, or it failed): a key that appeared since and
        // is not recorded may be that call's (its secret lost) or someone else's.
        let intent = journal.lock().await.key_intent.clone();
        let unexplained: Vec<String> = intent.iter().flat_map(|i| i.appeared_since(user, &keys)).map(|k| k.id.clone()).collect();
        for k in keys.iter().filter(|k| unexplained.contains(&k.id)) {
            self.emit(Event::Notice {
                message: format!(
                    "access key {} of user {user} appeared after an earlier attempt of this run to create a key did not finish{}; it may be that attempt's key, whose secret was lost, or one someone added, so Rolegate leaves it alone. If nobody made it, delete it: aws iam delete-access-key --user-name {user} --access-key-id {}",
                    k.id,
                    k.created.map(|c| format!(" (created {c})")).unwrap_or_default(),
                    k.id
                ),
            });
        }
        let mut others: Vec<_> = keys.clone();
        if keys.len() >= 2 {
            match &opts.replace_key {
                Some(id) if keys.iter().any(|k| &k.id == id) => {
                    iam.delete_access_key(user, id).await?;
                    self.emit(Event::Deleted {
                        resource: format!("access key {id} of user {user}"),
                        detail: "deleted because you chose it with --replace-key".into(),
                    });
                    others.retain(|k| &k.id != id);
                }
                Some(id) => {
                    return Err(RunError::Invalid(vec![FieldError::new(
                        "replace_key",
                        "not-a-key-of-user",
                        format!(
                            "{id} is not an access key of user {user}; its keys are {}",
                            keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )])
                    .into())
                }
                None => return Err(RunError::KeyLimit { user: user.into(), keys }.into()),
            }
        }
        for k in others.iter().filter(|k| !unexplained.contains(&k.id)) {
            self.emit(Event::Notice {
                message: format!("user {user} already has access key {} that this run did not make; it was left alone", k.id),
            });
        }
        let intent = KeyIntent { user: user.into(), existing: others.iter().map(|k| k.id.clone()).collect(), at: self.clock.now() };
        self.commit(journal, |j| j.key_intent = Some(intent.clone())).await?;
        let new = match iam.create_access_key(user).await {
            Ok(new) => new,
            Err(e) => {
                let mut j = journal.lock().await;
                let outcome = self.delete_keys_of_failed_create(user, &intent.existing, Some(&mut j)).await;
                self.emit(Event::Notice { message: outcome });
                return Err(e.into());
            }
        };
        if let Err(e) = self.vault.put(&vault_entry(&new.id), &new.secret).await {
            // Without the secret the key is useless; delete the key this call just made.
            let cleanup = match iam.delete_access_key(user, &new.id).await {
                Ok(()) => {
                    self.commit(journal, |j| j.key_intent = None).await?;
                    format!("the new key {} was deleted again, so no key without a stored secret is left", new.id)
                }
                Err(d) => format!("deleting the new key {} failed too ({d}); delete it yourself: aws iam delete-access-key --user-name {user} --access-key-id {}", new.id, new.id),
            };
            return Err(RunError::SecretNotStored { keychain: self.vault.describe(), source: e, cleanup }.into());
        }
        let id = new.id.clone();
        drop(new);
        self.commit(journal, |j| {
            j.access_key_id = Some(id.clone());
            j.key_intent = None;
        })
        .await?;
        self.done(
            journal,
            step,
            "created",
            format!("{id} (secret stored in {}, entry {})", self.vault.describe(), vault_entry(&id)),
            Some(Resource::AccessKey { user: user.into(), id }),
        )
        .await
    }

    /// Delete a key that a failed CreateAccessKey of this run made (already gone is fine).
    pub(crate) async fn delete_lost_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        match self.connect.iam().delete_access_key(user, id).await {
            Ok(()) => {}
            Err(e) if e.kind == AwsErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.emit(Event::Deleted {
            resource: format!("access key {id} of user {user}"),
            detail: "made by a CreateAccessKey of this run that failed; its secret never arrived".into(),
        });
        Ok(())
    }

    /// After a CreateAccessKey for `user` failed: a key on the user now that was not in
    /// `before`, the listing taken just ahead of the call, was made by that call (or the
    /// SDK's retries of it) and its secret never arrived. With a run's journal, each is
    /// recorded there first (so a resume or roll-back deletes it if this deletion fails);
    /// then each is deleted. If the listing fails, nothing is deleted. The intent stays
    /// until a key's secret is stored. Returns a sentence saying what happened.
    pub(crate) async fn delete_keys_of_failed_create(&self, user: &str, before: &[String], mut journal: Option<&mut Journal>) -> String {
        let after = match self.connect.iam().list_access_keys(user).await {
            Ok(keys) => keys,
            Err(e) => {
                return format!(
                    "CreateAccessKey for {user} failed, and listing the user's keys afterwards failed too ({e}), so whether it made a key is not known; nothing was deleted. Keys before the call: {}; compare with `aws iam list-access-keys --user-name {user}`",
                    if before.is_empty() { "none".to_string() } else { before.join(", ") }
                )
            }
        };
        let lost: Vec<String> = after.into_iter().map(|k| k.id).filter(|id| !before.contains(id)).collect();
        if lost.is_empty() {
            // IAM is eventually consistent, so the intent stays: a key that shows up later
            // is named as possibly this call's, never deleted.
            return format!("CreateAccessKey for {user} failed; the user's keys listed right after show no key made by it");
        }
        let mut problems = Vec::new();
        if let Some(j) = journal.as_deref_mut() {
            let now = self.clock.now();
            for id in &lost {
                j.record(Resource::AccessKey { user: user.into(), id: id.clone() }, LOST_KEY_STEP, now);
            }
            j.note(now, format!("the failed CreateAccessKey made {}; deleting it", lost.join(", ")));
            if let Err(e) = self.store.save(j) {
                problems.push(format!("the journal could not record them ({e})"));
            }
        }
        for id in &lost {
            match self.delete_lost_key(user, id).await {
                Ok(()) => {
                    if let Some(j) = journal.as_deref_mut() {
                        j.mark_deleted(&Resource::AccessKey { user: user.into(), id: id.clone() }, self.clock.now());
                    }
                }
                Err(e) => problems.push(format!(
                    "deleting {id} failed ({e}); {}",
                    if journal.is_some() {
                        "the run records it, and a resume or roll-back deletes it".to_string()
                    } else {
                        format!("delete it yourself: aws iam delete-access-key --user-name {user} --access-key-id {id}")
                    }
                )),
            }
        }
        if let Some(j) = journal {
            j.note(self.clock.now(), "the keys the failed CreateAccessKey made are handled");
            if let Err(e) = self.store.save(j) {
                problems.push(format!("journal: {e}"));
            }
        }
        if problems.is_empty() {
            format!(
                "CreateAccessKey for {user} failed after making {} anyway (its secret never arrived), which Rolegate deleted as soon as it was found",
                lost.join(", ")
            )
        } else {
            format!(
                "CreateAccessKey for {user} failed after making {} anyway (its secret never arrived); {}",
                lost.join(", "),
                problems.join("; ")
            )
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
        let id = j.access_key_id.clone().ok_or_else(|| RunError::State(format!("run {run_id} has no access key")))?;
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
}

impl Engine {
    /// Verify an applied run: the key works, every role can be assumed with the
    /// External ID and not without it or with a wrong one, the session signs in, and
    /// the needed actions simulate as allowed. `assumer` signs as the platform's
    /// principal for roles that trust a third party.
    pub async fn verify(&self, run_id: &str, assumer: Option<&Credentials>) -> Result<VerifyReport, RunError> {
        let mut journal = self.store.load(run_id)?;
        if !matches!(journal.status, RunStatus::Applied | RunStatus::Verified | RunStatus::VerifyFailed) {
            return Err(RunError::State(format!(
                "run {run_id} is {}; only an applied run can be verified (rolegate apply --resume {run_id})",
                journal.status.as_str()
            )));
        }
        self.check_account(&journal).await?;
        let plan = journal.plan.clone();
        let events = &self.events;
        let iam = self.connect.iam();
        let mut report = VerifyReport::new(self.clock.now());
        report.account = Some(plan.account.clone());
        let key_creds = match (&plan.user, &journal.access_key_id) {
            (Some(_), Some(id)) => Some(self.credentials_for_key(id).await?),
            _ => None,
        };
        if let (Some(user), Some(creds)) = (&plan.user, &key_creds) {
            let title = "Sign in with the new access key";
            match self.connect.sts_as(creds).get_caller_identity().await {
                Ok(who) if who.account == plan.account && who.arn.ends_with(&format!("/{}", user.name)) => {
                    report.principal = Some(who.arn.clone());
                    report.push(
                        events,
                        Check::new(
                            "key-works",
                            title,
                            CheckStatus::Passed,
                            format!("access key {} signs in as {}", creds.access_key_id, who.arn),
                        ),
                    );
                }
                Ok(who) => report.push(
                    events,
                    Check::new(
                        "key-works",
                        title,
                        CheckStatus::Failed,
                        format!("access key {} signs in as {}, not as user {}", creds.access_key_id, who.arn, user.name),
                    ),
                ),
                Err(e) => report.push(
                    events,
                    Check::new("key-works", title, CheckStatus::Failed, format!("{}: {}", e.code, e.message))
                        .with_fix(format!("rolegate rotate-key {run_id} makes a new key; rolegate rollback {run_id} removes the run")),
                ),
            }
            if let Ok(keys) = iam.list_access_keys(&user.name).await {
                if let Some(created) = keys.iter().find(|k| k.id == creds.access_key_id).and_then(|k| k.created) {
                    report.key_age_days = Some((self.clock.now() - created).whole_days());
                }
            }
            if plan.roles.is_empty() {
                simulate(&mut report, events, iam.as_ref(), "simulate", &user.arn, &user.verify_actions).await;
            }
        }
        for role in &plan.roles {
            let k = if plan.roles.len() == 1 { String::new() } else { role.key.clone() };
            let id = |base: &str| if k.is_empty() { base.to_string() } else { format!("{base}:{k}") };
            match iam.get_role(&role.name).await {
                Ok(Some(info)) => {
                    check_trust_document(&mut report, events, &id("trust-policy"), &role.arn, &info.trust_policy, &role.condition)
                }
                Ok(None) => report.push(
                    events,
                    Check::new(
                        &id("trust-policy"),
                        "The trust policy requires the External ID",
                        CheckStatus::Failed,
                        format!("role {} does not exist", role.name),
                    )
                    .with_fix(format!("rolegate apply --resume {run_id}")),
                ),
                Err(e) => report.push(
                    events,
                    Check::new(
                        &id("trust-policy"),
                        "The trust policy requires the External ID",
                        CheckStatus::Failed,
                        format!("could not read the role: {}: {}", e.code, e.message),
                    ),
                ),
            }
            let probe = RoleProbe {
                key: k.clone(),
                role_arn: role.arn.clone(),
                external_id: role.external_id.clone(),
                session_name: run_id.to_string(),
                condition: role.condition.clone(),
                verify_actions: role.verify_actions.clone(),
            };
            let signer = if role.trusts_created_user { key_creds.as_ref() } else { assumer };
            match signer {
                Some(c) => {
                    let sts = self.connect.sts_as(c);
                    match sts.get_caller_identity().await {
                        Ok(who) => probe_role(&mut report, events, self.connect.as_ref(), &sts, &who.arn, &probe).await,
                        Err(e) => report.push(
                            events,
                            Check::new(
                                &id("assume-with-external-id"),
                                "Assume the role with the External ID",
                                CheckStatus::Failed,
                                format!("the assuming credentials do not sign in: {}: {}", e.code, e.message),
                            ),
                        ),
                    }
                }
                None => {
                    let why = format!(
                        "skipped: only {} can assume this role; to run these checks, give credentials of that principal (rolegate verify {run_id} --assume-as-profile PROFILE)",
                        role.principals.join(", ")
                    );
                    for (base, title) in [
                        ("assume-with-external-id", "Assume the role with the External ID"),
                        ("assume-without-external-id", "The role can NOT be assumed without an External ID"),
                        ("assume-with-wrong-external-id", "The role can NOT be assumed with a wrong External ID"),
                    ] {
                        report.push(events, Check::new(&id(base), title, CheckStatus::Skipped, why.clone()));
                    }
                }
            }
            simulate(&mut report, events, iam.as_ref(), &id("simulate"), &role.arn, &role.verify_actions).await;
        }
        let now = self.clock.now();
        journal.status = if report.passed() { RunStatus::Verified } else { RunStatus::VerifyFailed };
        journal.verification = Some(report.clone());
        journal.note(now, format!("verification {}", if report.passed() { "passed" } else { "FAILED" }));
        self.store.save(&journal)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::suggestion;

    #[test]
    fn suggestions_fit_the_length_limit() {
        assert_eq!(suggestion("seqera-launch", "rg-0123456789ab", 64), "seqera-launch-89ab");
        let long = "x".repeat(64);
        let s = suggestion(&long, "rg-0123456789ab", 64);
        assert_eq!(s.len(), 64);
        assert!(s.ends_with("-89ab"));
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod engine_tests;

#[cfg(test)]
#[path = "runner_stop_tests.rs"]
mod stop_tests;
