//! A fleet's instances operations: each journaled with the id Rolegate gives it before it
//! is asked for (so a call whose answer was lost is asked again with the same id), then
//! followed with bounded polling until it ends, each account's result reported as it
//! changes and, for a deployment, each account verified as soon as it succeeds.
//! Throttled calls are asked again with a growing pause.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;

use super::error::FleetError;
use super::journal::{FleetJournal, FleetStatus, OperationAction, OperationRecord};
use super::request::DEFAULT_VERIFY_CONCURRENCY;
use super::stacksets::{DeploymentTargets, InstancesRequest};
use super::status::Verified;
use crate::error::RunError;
use crate::events::Event;
use crate::ports::{AwsError, AwsErrorKind};
use crate::Engine;

/// Where `follow` sends each account whose result turned SUCCEEDED.
type Succeeded = tokio::sync::mpsc::UnboundedSender<String>;

/// How long Rolegate follows one operation before it stops and says how to go on.
pub const FOLLOW_LIMIT: Duration = Duration::from_secs(3600);
/// The longest pause between two looks at a running operation.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(5);
/// Throttled calls are tried this many times in all.
const THROTTLE_TRIES: u32 = 6;

impl Engine {
    /// Journal a new operation with its id, then ask for it and follow it; a deploying
    /// one's accounts are verified as each one's instance succeeds.
    pub(crate) async fn new_operation(
        &self,
        j: &mut FleetJournal,
        action: OperationAction,
        targets: DeploymentTargets,
    ) -> Result<Verified, RunError> {
        let id = self.entropy.uuid();
        j.operations.push(OperationRecord {
            id: id.clone(),
            action,
            targets,
            requested_at: self.clock.now(),
            accepted: false,
            ended: None,
            status_reason: None,
            results: Vec::new(),
        });
        j.status = if action.deletes() { FleetStatus::RollingBack } else { FleetStatus::Deploying };
        self.save_fleet(j)?;
        if action.deletes() {
            self.drive(j, &id).await?;
            return Ok(Verified::new());
        }
        self.drive_verifying(j, &id).await
    }

    /// `drive`, and each account verified as soon as its result is SUCCEEDED, while the
    /// operation goes on with the others (at most 16 at a time).
    pub(crate) async fn drive_verifying(&self, j: &mut FleetJournal, op_id: &str) -> Result<Verified, RunError> {
        let snapshot = j.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let drive = async move {
            let driven = self.drive_with(j, op_id, Some(&tx)).await;
            drop(tx);
            driven
        };
        let verify = async {
            let mut running = futures::stream::FuturesUnordered::new();
            let mut verified = Verified::new();
            let mut open = true;
            loop {
                tokio::select! {
                    next = rx.recv(), if open && running.len() < DEFAULT_VERIFY_CONCURRENCY => match next {
                        Some(account) => running.push(self.verify_one(&snapshot, account)),
                        None => open = false,
                    },
                    Some((account, report)) = running.next(), if !running.is_empty() => {
                        verified.insert(account, report);
                    }
                    else => break,
                }
            }
            verified
        };
        let (driven, verified) = futures::join!(drive, verify);
        driven.map(|_| verified)
    }

    /// Ask for a journaled operation unless AWS accepted it, then follow it to its end.
    pub(crate) async fn drive(&self, j: &mut FleetJournal, op_id: &str) -> Result<(), RunError> {
        self.drive_with(j, op_id, None).await
    }

    async fn drive_with(&self, j: &mut FleetJournal, op_id: &str, succeeded: Option<&Succeeded>) -> Result<(), RunError> {
        let op = j.operations.iter().find(|o| o.id == op_id).cloned().expect("a journaled operation");
        if !op.accepted {
            let ss = self.connect.stacksets();
            let req = InstancesRequest {
                stack_set: &j.stack_set.name,
                targets: &op.targets,
                regions: &j.regions,
                parameters: &j.parameters,
                preferences: &j.preferences,
                operation_id: &op.id,
            };
            // Throttled calls are asked again with the same id: AWS did not take them.
            let answer = if op.action.deletes() {
                self.patiently(|| ss.delete_stack_instances(&req)).await
            } else {
                self.patiently(|| ss.create_stack_instances(&req)).await
            };
            match answer {
                Ok(_) => {}
                // The same id twice: the first call, whose answer was lost, was accepted.
                Err(e) if e.code == "OperationIdAlreadyExistsException" => {
                    let now = self.clock.now();
                    j.note(now, format!("operation {op_id} was accepted by an earlier attempt; following it"));
                }
                Err(e) => {
                    let err = self.refused(j, e.clone());
                    if e.kind != AwsErrorKind::Network {
                        // AWS answered no: the operation does not exist.
                        let o = j.operation_mut(op_id).expect("journaled");
                        o.ended = Some("REFUSED".into());
                        o.status_reason = Some(format!("{}: {}", e.code, e.message));
                        j.status = self.status_after_refusal(j);
                        self.save_fleet(j)?;
                    }
                    return Err(err);
                }
            }
            j.operation_mut(op_id).expect("journaled").accepted = true;
            self.save_fleet(j)?;
            self.emit(Event::FleetProgress {
                fleet_id: j.fleet_id.clone(),
                operation_id: op_id.into(),
                account: String::new(),
                region: String::new(),
                status: "RUNNING".into(),
                reason: format!("{} accepted", if op.action.deletes() { "DeleteStackInstances" } else { "CreateStackInstances" }),
            });
        }
        self.follow(j, op_id, succeeded).await
    }

    fn status_after_refusal(&self, j: &FleetJournal) -> FleetStatus {
        let deployed_before = j.operations.iter().any(|o| !o.action.deletes() && o.accepted);
        let deleting = j.operations.iter().any(|o| o.action.deletes() && o.accepted);
        match (deleting, deployed_before) {
            (true, _) => FleetStatus::RollingBack,
            (false, true) => FleetStatus::PartlyDeployed,
            (false, false) => FleetStatus::Planned,
        }
    }

    /// Poll the operation (its status, and each account's result, reported as it
    /// changes) until it ends or `FOLLOW_LIMIT` passes.
    async fn follow(&self, j: &mut FleetJournal, op_id: &str, succeeded: Option<&Succeeded>) -> Result<(), RunError> {
        let ss = self.connect.stacksets();
        let name = j.stack_set.name.clone();
        let started = self.clock.now();
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        let mut status = String::from("RUNNING");
        loop {
            let info = self.patiently(|| ss.describe_operation(&name, op_id)).await.map_err(|e| self.refused(j, e))?;
            let results = self.patiently(|| ss.list_operation_results(&name, op_id)).await.map_err(|e| self.refused(j, e))?;
            let mut changed = info.status != status;
            for r in &results {
                let key = (r.account.clone(), r.region.clone());
                if seen.get(&key) != Some(&r.status) {
                    seen.insert(key, r.status.clone());
                    changed = true;
                    if let (Some(tx), "SUCCEEDED") = (succeeded, r.status.as_str()) {
                        // The verifier ends with the operation: a closed channel is fine.
                        let _ = tx.send(r.account.clone());
                    }
                    self.emit(Event::FleetProgress {
                        fleet_id: j.fleet_id.clone(),
                        operation_id: op_id.into(),
                        account: r.account.clone(),
                        region: r.region.clone(),
                        status: r.status.clone(),
                        reason: r.reason.clone(),
                    });
                }
            }
            status = info.status.clone();
            if changed || info.ended() {
                let o = j.operation_mut(op_id).expect("journaled");
                o.results = results;
                if info.ended() {
                    o.ended = Some(info.status.clone());
                    o.status_reason = info.status_reason.clone();
                }
                let action = o.action;
                if info.ended() {
                    let failed = o.results.iter().filter(|r| r.status != "SUCCEEDED").count();
                    // A deletion's end is judged by `fleet_rollback`, which reads what is left.
                    j.status = match (action.deletes(), failed, info.status.as_str()) {
                        (true, _, _) => FleetStatus::RollingBack,
                        (false, 0, "SUCCEEDED") => FleetStatus::Deployed,
                        (false, _, _) => FleetStatus::PartlyDeployed,
                    };
                    let now = self.clock.now();
                    j.note(now, format!("operation {op_id} {}: {failed} account(s) not SUCCEEDED", info.status));
                    self.emit(Event::FleetProgress {
                        fleet_id: j.fleet_id.clone(),
                        operation_id: op_id.into(),
                        account: String::new(),
                        region: String::new(),
                        status: info.status.clone(),
                        reason: info.status_reason.clone().unwrap_or_default(),
                    });
                }
                self.save_fleet(j)?;
            }
            if info.ended() {
                return Ok(());
            }
            let waited = (self.clock.now() - started).unsigned_abs();
            if waited >= FOLLOW_LIMIT {
                return Err(FleetError::StillRunning {
                    fleet_id: j.fleet_id.clone(),
                    operation_id: op_id.into(),
                    status: info.status,
                    waited_seconds: waited.as_secs(),
                }
                .into());
            }
            let pause = (waited / 10).max(self.poll.first).min(FOLLOW_INTERVAL);
            self.clock.sleep(pause).await;
        }
    }

    /// A read, tried again when AWS throttles it, with a growing pause.
    pub(crate) async fn patiently<T, F, Fut>(&self, call: F) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        let mut pause = Duration::from_millis(200);
        let mut tries = 1;
        loop {
            match call().await {
                Err(e) if e.kind == AwsErrorKind::Throttled && tries < THROTTLE_TRIES => {
                    let jitter = Duration::from_millis(self.entropy.jitter_ms(pause.as_millis() as u64 / 2 + 1));
                    self.clock.sleep(pause + jitter).await;
                    pause *= 2;
                    tries += 1;
                }
                other => return other,
            }
        }
    }
}
