//! `Engine::fleet_start`, `fleet_apply`, `fleet_resume` and `fleet_retry`: a fleet's
//! StackSet, journaled before the call by name and tag and adopted only by its tag, and
//! the instances operations it asks for (`operation`).

use super::error::FleetError;
use super::journal::{FleetJournal, FleetStatus, OperationAction, StackSetRecord, StackSetState};
use super::render::{new_fleet_id, stackset_template, FLEET_TAG};
use super::request::{self, FleetRequest};
use super::stacksets::{DeploymentTargets, NewStackSet, ParameterValue, PermissionModel};
use super::status::Verified;
use crate::error::RunError;
use crate::events::Event;
use crate::plan::RunInputs;
use crate::ports::{AwsError, AwsErrorKind};
use crate::template::Template;
use crate::Engine;

/// The StackSet's name for a fleet.
pub fn stack_set_name(fleet_id: &str) -> String {
    format!("rolegate-{fleet_id}")
}

impl Engine {
    /// Check the request against the organization, plan the template for the bootstrap
    /// identity, render the StackSet and journal the fleet. Nothing is made in AWS yet.
    pub async fn fleet_start(&self, template: &Template, inputs: &RunInputs, req: &FleetRequest) -> Result<FleetJournal, RunError> {
        let caller = self.identity().await?;
        let tree = self.fleet_targets().await?;
        let found = request::check(req, &tree).map_err(RunError::Invalid)?;
        let plan = self.plan(template, inputs).await?;
        plan.ready_to_start(req.acknowledge_admin_access)?;
        let fleet_id = new_fleet_id(self.entropy.as_ref());
        let rendered = stackset_template(&plan, &fleet_id)?;
        let now = self.clock.now();
        let mut j = FleetJournal {
            fleet_id: fleet_id.clone(),
            created_at: now,
            updated_at: now,
            account: caller.account.clone(),
            identity_arn: caller.arn.clone(),
            organization_id: tree.organization_id.clone(),
            management_account_id: tree.management_account_id.clone(),
            home_region: self.connect.region(),
            inputs: inputs.clone(),
            stack_set: StackSetRecord {
                name: stack_set_name(&fleet_id),
                id: None,
                state: StackSetState::Requested,
                permission_model: req.permission_model(),
                auto_deploy: req.auto_deploy,
                administration_role_arn: req.administration_role_arn.clone(),
                execution_role_name: req.execution_role_name.clone(),
            },
            template_body: rendered.body,
            parameters: rendered.parameters.iter().map(|p| ParameterValue { key: p.name.clone(), value: p.default.clone() }).collect(),
            targets: req.targets.clone(),
            regions: req.regions.clone(),
            preferences: req.preferences,
            access_role: req.access_role.clone(),
            status: FleetStatus::Planned,
            operations: Vec::new(),
            notes: Vec::new(),
            plan,
        };
        j.note(now, format!("planned: template {}, {} account(s) in the targets now", j.plan.template_id, found.accounts.len()));
        for n in found.notes {
            self.emit(Event::Notice { message: n.clone(), kind: Default::default() });
            j.note(now, n);
        }
        self.fleets.save(&j)?;
        Ok(j)
    }

    /// Start a fleet and carry it through: StackSet, instances, verification.
    pub async fn fleet_apply(&self, template: &Template, inputs: &RunInputs, req: &FleetRequest) -> Result<super::FleetReport, RunError> {
        let j = self.fleet_start(template, inputs, req).await?;
        self.fleet_resume(&j.fleet_id).await
    }

    /// Go on from where the journal stands: make the StackSet if it is not known to
    /// exist, repeat an operation whose answer was lost (same id), follow the one that
    /// runs, deploy if nothing was deployed yet; then verify every account.
    pub async fn fleet_resume(&self, fleet_id: &str) -> Result<super::FleetReport, RunError> {
        let mut j = self.load_fleet(fleet_id)?;
        self.check_fleet_account(&j).await?;
        if matches!(j.status, FleetStatus::RollingBack | FleetStatus::RolledBack) {
            return Err(FleetError::WrongStatus {
                fleet_id: j.fleet_id.clone(),
                status: j.status.as_str().into(),
                needs: format!("resume deploys; `rolegate fleet rollback {}` finishes a roll-back", j.fleet_id),
            }
            .into());
        }
        self.ensure_stack_set(&mut j).await?;
        let mut verified = Verified::new();
        if let Some(op) = j.open_operation().map(|o| o.id.clone()) {
            verified = self.drive_verifying(&mut j, &op).await?;
        }
        if !j.operations.iter().any(|o| o.action == OperationAction::Deploy && o.accepted) {
            let targets = j.targets.clone();
            verified = self.new_operation(&mut j, OperationAction::Deploy, targets).await?;
        }
        self.fleet_report(&j, &verified).await
    }

    /// Deploy again to the accounts whose instance is not CURRENT (a role name that was
    /// taken and is free now, an execution role that was missing), then verify.
    pub async fn fleet_retry(&self, fleet_id: &str) -> Result<super::FleetReport, RunError> {
        let mut j = self.load_fleet(fleet_id)?;
        self.check_fleet_account(&j).await?;
        if !matches!(j.status, FleetStatus::Deployed | FleetStatus::PartlyDeployed | FleetStatus::Deploying)
            || j.stack_set.state != StackSetState::Created
        {
            return Err(FleetError::WrongStatus {
                fleet_id: j.fleet_id.clone(),
                status: j.status.as_str().into(),
                needs: format!("retry redeploys the failed instances of a deployed fleet; `rolegate fleet resume {}` carries a fleet that has not deployed yet", j.fleet_id),
            }
            .into());
        }
        let mut verified = Verified::new();
        if let Some(op) = j.open_operation().map(|o| o.id.clone()) {
            verified = self.drive_verifying(&mut j, &op).await?;
        }
        let instances = self.connect.stacksets().list_stack_instances(&j.stack_set.name).await.map_err(|e| self.refused(&j, e))?;
        let mut failed: Vec<String> = instances.iter().filter(|i| i.status != "CURRENT").map(|i| i.account.clone()).collect();
        if let DeploymentTargets::Accounts(named) = &j.targets {
            // Accounts an operation never reached (CANCELLED) may have no instance at all.
            failed.extend(named.iter().filter(|a| !instances.iter().any(|i| &i.account == *a)).cloned());
        }
        failed.sort();
        failed.dedup();
        if failed.is_empty() {
            let now = self.clock.now();
            j.note(now, "retry: every instance is CURRENT; nothing to deploy again");
            self.emit(Event::Notice { message: "every instance is CURRENT; nothing to deploy again".into(), kind: Default::default() });
            j.status = FleetStatus::Deployed;
            self.save_fleet(&mut j)?;
        } else {
            // Service-managed instances are addressed by OU: a CURRENT instance is left
            // as it is, a failed one is deployed again.
            let targets = match j.stack_set.permission_model {
                PermissionModel::ServiceManaged => j.targets.clone(),
                PermissionModel::SelfManaged => DeploymentTargets::Accounts(failed.clone()),
            };
            let now = self.clock.now();
            j.note(now, format!("retry: deploying again to {}", failed.join(", ")));
            verified.extend(self.new_operation(&mut j, OperationAction::Retry, targets).await?);
        }
        self.fleet_report(&j, &verified).await
    }

    pub(crate) fn load_fleet(&self, fleet_id: &str) -> Result<FleetJournal, RunError> {
        match self.fleets.load(fleet_id) {
            Ok(j) => Ok(j),
            Err(crate::journal::StoreError::NotFound(id)) => Err(FleetError::NotFound(id).into()),
            Err(crate::journal::StoreError::BadId(id)) => Err(RunError::Invalid(vec![crate::validate::FieldError::new(
                "fleet_id",
                "fleet-id",
                format!("{id:?} is not a fleet id (fl- and 12 hex digits)"),
            )])),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn save_fleet(&self, j: &mut FleetJournal) -> Result<(), RunError> {
        j.updated_at = self.clock.now();
        Ok(self.fleets.save(j)?)
    }

    pub(crate) async fn check_fleet_account(&self, j: &FleetJournal) -> Result<(), RunError> {
        let me = self.identity().await?;
        if me.account != j.account {
            return Err(FleetError::WrongAccount {
                fleet_id: j.fleet_id.clone(),
                fleet_account: j.account.clone(),
                identity_arn: me.arn,
                identity_account: me.account,
            }
            .into());
        }
        Ok(())
    }

    /// What of the fleet exists in AWS, in words, for an error.
    pub(crate) fn fleet_exists(&self, j: &FleetJournal) -> Vec<String> {
        let mut out = Vec::new();
        if j.stack_set.state == StackSetState::Created {
            out.push(format!("StackSet {} ({})", j.stack_set.name, j.stack_set.id.as_deref().unwrap_or("id unknown")));
            let deployed: usize = j
                .operations
                .iter()
                .filter(|o| !o.action.deletes())
                .map(|o| o.results.iter().filter(|r| r.status == "SUCCEEDED").count())
                .sum();
            if deployed > 0 {
                out.push(format!(
                    "stack instances deployed by its operations in {deployed} account(s) (`rolegate fleet status {}`)",
                    j.fleet_id
                ));
            }
        }
        out
    }

    pub(crate) fn refused(&self, j: &FleetJournal, error: AwsError) -> RunError {
        if error.kind == AwsErrorKind::Network {
            return FleetError::NoAnswer { fleet_id: j.fleet_id.clone(), error }.into();
        }
        FleetError::Refused { fleet_id: j.fleet_id.clone(), exists: self.fleet_exists(j), error }.into()
    }

    /// Make the StackSet unless AWS already holds this fleet's (a CreateStackSet whose
    /// answer was lost); a StackSet of that name that is not this fleet's is refused.
    async fn ensure_stack_set(&self, j: &mut FleetJournal) -> Result<(), RunError> {
        let ss = self.connect.stacksets();
        match j.stack_set.state {
            StackSetState::Created => return Ok(()),
            StackSetState::Deleted => {
                return Err(FleetError::WrongStatus {
                    fleet_id: j.fleet_id.clone(),
                    status: j.status.as_str().into(),
                    needs: "its StackSet was deleted; start a new fleet".into(),
                }
                .into())
            }
            StackSetState::Requested => {}
        }
        if let Some(found) = self.patiently(|| ss.describe_stack_set(&j.stack_set.name)).await.map_err(|e| self.refused(j, e))? {
            if found.status == "ACTIVE" {
                self.adopt_stack_set(j, found)?;
                return self.save_fleet(j);
            }
        }
        let new = NewStackSet {
            name: j.stack_set.name.clone(),
            description: format!("Rolegate fleet {}: template {}", j.fleet_id, j.plan.template_id),
            template_body: j.template_body.clone(),
            capabilities: vec![super::render::CAPABILITY.to_string()],
            tags: super::render::fleet_tags(&j.plan, &j.fleet_id),
            permission_model: j.stack_set.permission_model,
            auto_deploy: j.stack_set.auto_deploy,
            administration_role_arn: j.stack_set.administration_role_arn.clone(),
            execution_role_name: j.stack_set.execution_role_name.clone(),
        };
        match self.patiently(|| ss.create_stack_set(&new)).await {
            Ok(id) => {
                j.stack_set.id = Some(id.clone());
                j.stack_set.state = StackSetState::Created;
                let now = self.clock.now();
                j.note(now, format!("created StackSet {} ({id})", j.stack_set.name));
                self.emit(Event::Notice { message: format!("created StackSet {} ({id})", j.stack_set.name), kind: Default::default() });
                self.save_fleet(j)
            }
            Err(e) if e.code == "NameAlreadyExistsException" => {
                let found = ss.describe_stack_set(&j.stack_set.name).await.map_err(|e| self.refused(j, e))?;
                match found {
                    Some(f) => {
                        self.adopt_stack_set(j, f)?;
                        self.save_fleet(j)
                    }
                    None => Err(self.refused(j, e)),
                }
            }
            Err(e) => Err(self.refused(j, e)),
        }
    }

    /// Take a StackSet found by name as this fleet's only when its tag says so.
    fn adopt_stack_set(&self, j: &mut FleetJournal, found: super::stacksets::StackSetInfo) -> Result<(), RunError> {
        let tag = found.tags.iter().find(|t| t.key == FLEET_TAG).map(|t| t.value.clone());
        if tag.as_deref() != Some(j.fleet_id.as_str()) {
            return Err(FleetError::NotOwned {
                fleet_id: j.fleet_id.clone(),
                stack_set: found.name,
                detail: match tag {
                    Some(t) => format!("its {FLEET_TAG} tag is {t}"),
                    None => format!("it carries no {FLEET_TAG} tag"),
                },
            }
            .into());
        }
        let now = self.clock.now();
        j.note(now, format!("found StackSet {} ({}) made for this fleet by an earlier attempt", found.name, found.id));
        j.stack_set.id = Some(found.id);
        j.stack_set.state = StackSetState::Created;
        Ok(())
    }
}
