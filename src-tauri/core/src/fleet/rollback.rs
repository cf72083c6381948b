//! `Engine::fleet_rollback`: delete every instance of the fleet's StackSet (their stacks
//! and the roles and policies in them, in each account), then the StackSet itself, only
//! once its tag and id prove it is this fleet's. An instance that cannot be deleted
//! keeps the StackSet, and the report names the account and the reason.

use super::error::FleetError;
use super::journal::{FleetStatus, OperationAction, StackSetState};
use super::render::FLEET_TAG;
use super::stacksets::DeploymentTargets;
use super::FleetReport;
use crate::error::RunError;
use crate::events::{DeletionKind, Event};
use crate::Engine;

impl Engine {
    pub async fn fleet_rollback(&self, fleet_id: &str) -> Result<FleetReport, RunError> {
        let mut j = self.load_fleet(fleet_id)?;
        self.check_fleet_account(&j).await?;
        if j.status == FleetStatus::RolledBack {
            return self.fleet_report(&j, &Default::default()).await;
        }
        let ss = self.connect.stacksets();
        // An operation that runs blocks any other: see it to its end first.
        if let Some(op) = j.open_operation().map(|o| o.id.clone()) {
            self.drive(&mut j, &op).await?;
        }
        if j.stack_set.state == StackSetState::Requested {
            // CreateStackSet may have been called without an answer: only a StackSet
            // tagged for this fleet is this fleet's.
            match ss.describe_stack_set(&j.stack_set.name).await.map_err(|e| self.refused(&j, e))? {
                Some(found) if found.status == "ACTIVE" && found.tags.iter().any(|t| t.key == FLEET_TAG && t.value == j.fleet_id) => {
                    j.stack_set.id = Some(found.id);
                    j.stack_set.state = StackSetState::Created;
                }
                _ => {
                    j.stack_set.state = StackSetState::Deleted;
                    j.status = FleetStatus::RolledBack;
                    let now = self.clock.now();
                    j.note(now, "rolled back: the StackSet was never made");
                    self.save_fleet(&mut j)?;
                    return self.fleet_report(&j, &Default::default()).await;
                }
            }
        }
        if j.stack_set.state == StackSetState::Created {
            let instances = self.patiently(|| ss.list_stack_instances(&j.stack_set.name)).await.map_err(|e| self.refused(&j, e))?;
            if !instances.is_empty() {
                let targets = match &j.targets {
                    DeploymentTargets::Ous(ous) => DeploymentTargets::Ous(ous.clone()),
                    DeploymentTargets::Accounts(_) => {
                        let mut a: Vec<String> = instances.iter().map(|i| i.account.clone()).collect();
                        a.sort();
                        a.dedup();
                        DeploymentTargets::Accounts(a)
                    }
                };
                self.new_operation(&mut j, OperationAction::Delete, targets).await?;
                for r in j.operations.last().map(|o| o.results.clone()).unwrap_or_default() {
                    if r.status == "SUCCEEDED" {
                        self.emit(Event::Deleted {
                            resource: format!("stack instance of {} in {} {}", j.stack_set.name, r.account, r.region),
                            detail: "its stack, role and policies deleted".into(),
                            kind: DeletionKind::RolledBack,
                        });
                    } else {
                        self.emit(Event::Kept {
                            resource: format!("stack instance of {} in {} {}", j.stack_set.name, r.account, r.region),
                            reason: format!("{} {}", r.status, r.reason),
                        });
                    }
                }
            }
            let left = self.patiently(|| ss.list_stack_instances(&j.stack_set.name)).await.map_err(|e| self.refused(&j, e))?;
            if !left.is_empty() {
                let now = self.clock.now();
                let names: Vec<String> = left.iter().map(|i| format!("{} ({} {})", i.account, i.status, i.reason)).collect();
                j.note(now, format!("roll-back kept the StackSet: instances remain in {}", names.join(", ")));
                j.status = FleetStatus::RollingBack;
                self.save_fleet(&mut j)?;
                return self.fleet_report(&j, &Default::default()).await;
            }
            let found = ss.describe_stack_set(&j.stack_set.name).await.map_err(|e| self.refused(&j, e))?;
            match found {
                Some(f) if f.status == "ACTIVE" => {
                    let ours = f.tags.iter().any(|t| t.key == FLEET_TAG && t.value == j.fleet_id) && Some(&f.id) == j.stack_set.id.as_ref();
                    if !ours {
                        return Err(FleetError::NotOwned {
                            fleet_id: j.fleet_id.clone(),
                            stack_set: f.name,
                            detail: format!("its id is {} and this fleet made {}", f.id, j.stack_set.id.as_deref().unwrap_or("none")),
                        }
                        .into());
                    }
                    ss.delete_stack_set(&j.stack_set.name).await.map_err(|e| self.refused(&j, e))?;
                    self.emit(Event::Deleted {
                        resource: format!("StackSet {} ({})", f.name, f.id),
                        detail: "no instance left".into(),
                        kind: DeletionKind::RolledBack,
                    });
                }
                _ => {}
            }
            j.stack_set.state = StackSetState::Deleted;
        }
        j.status = FleetStatus::RolledBack;
        let now = self.clock.now();
        j.note(now, "rolled back: every instance and the StackSet are deleted");
        self.save_fleet(&mut j)?;
        self.fleet_report(&j, &Default::default()).await
    }
}
