//! Apply: runs a plan's steps, each as soon as the steps it depends on are done (so
//! independent calls run together), each step idempotent (look up, adopt what this run
//! made, create what is missing, refuse what someone else made), writing the journal
//! after every change in AWS, and waiting out IAM's propagation. The access key step is
//! in `access_key`.

use std::collections::HashSet;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Mutex;

use super::{owned_by, owner_of, Engine};
use crate::error::RunError;
use crate::events::Event;
use crate::journal::{Journal, Resource, RunStatus, StepRecord, StepState};
use crate::plan::{self, Call, Plan, Step, StepId};
use crate::ports::{AssumeRoleInput, AwsError, CreateRole};
use crate::propagation::{self, WaitError};
use crate::validate::Tag;

/// Choices for `apply`.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// When the user already holds two keys: the one the person chose to delete.
    pub replace_key: Option<String>,
}

/// The signal that stops a run at the person's request (`Engine::apply_until`).
pub use tokio_util::sync::CancellationToken;

pub(crate) enum StepError {
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

fn suggestion(name: &str, run_id: &str, max: usize) -> String {
    let short: String = run_id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let base: String = name.chars().take(max.saturating_sub(short.len() + 1)).collect();
    format!("{base}-{short}")
}

impl Engine {
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
                return Err(RunError::WrongStatus {
                    run_id: run_id.into(),
                    status: journal.status,
                    needs: "it was rolled back, so there is nothing to resume: start a new run".into(),
                })
            }
            RunStatus::Applied | RunStatus::Verified | RunStatus::VerifyFailed | RunStatus::AwaitingPlatform => return Ok(journal),
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
            return Err(RunError::PlanInconsistent {
                run_id: run_id.into(),
                detail: format!("step {} depends on steps that are not in the plan: {:?}", stuck.id, stuck.after),
            });
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

    pub(crate) async fn done(
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
            Call::CreateAccessEntry { .. } | Call::AssociateAccessPolicy { .. } => self.exec_cluster_access(journal, step, run_id).await,
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
                    return Err(RunError::AwsDisagrees {
                        operation: "sts:GetCallerIdentity".into(),
                        detail: format!("the new key signs in as {}, not as user {user_name} of account {}", who.arn, plan.account),
                    }
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
