//! The Fleet screen's commands: the organization's tree (`fleet_targets`), a fleet
//! deployed through StackSets (`fleet_apply`: the core's `fleet_start`, whose id reaches
//! the page at once, then `fleet_resume`), and `fleet_resume`, `fleet_retry`,
//! `fleet_status`, `fleet_rollback`, `fleet_list` over the core's fleet engine. Progress
//! (`FleetProgress`, `FleetVerdict`) streams over the channel as a run's does.

use serde::Deserialize;
use tauri::ipc::Channel;
use tauri::State;

use rolegate_core::events::Event;
use rolegate_core::fleet::{FleetReport, FleetRequest, FleetSummary, FleetTargets};
use rolegate_core::plan::RunInputs;

use crate::error::CommandError;
use crate::plans::TemplateRef;
use crate::state::{AppState, PlanState};

/// What the Fleet screen sends to deploy: a template held here, its inputs, and the
/// targets and settings, which the core checks against the organization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetApplyRequest {
    pub template: TemplateRef,
    pub inputs: RunInputs,
    pub fleet: FleetRequest,
}

/// The organization's root, OUs and accounts, the management account marked.
#[tauri::command]
pub async fn fleet_targets(state: State<'_, AppState>) -> Result<FleetTargets, CommandError> {
    Ok(state.engine().await?.fleet_targets().await?)
}

/// Journal a new fleet (nothing is made in AWS before the core has checked it), send
/// its id over `on_started`, then make the StackSet and its instances and verify every
/// account, streaming each account's progress and verdict.
#[tauri::command]
pub async fn fleet_apply(
    request: FleetApplyRequest,
    on_started: Channel<String>,
    on_event: Channel<Event>,
    state: State<'_, AppState>,
    plans: State<'_, PlanState>,
) -> Result<FleetReport, CommandError> {
    let template = plans.lock().expect("plans lock").template(&request.template)?;
    let engine = state.engine_to(on_event).await?;
    let fleet = engine.fleet_start(&template, &request.inputs, &request.fleet).await?;
    let _ = on_started.send(fleet.fleet_id.clone());
    Ok(engine.fleet_resume(&fleet.fleet_id).await?)
}

/// Go on with a fleet that stopped: the same StackSet, the same operation id.
#[tauri::command]
pub async fn fleet_resume(fleet_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<FleetReport, CommandError> {
    Ok(state.engine_to(on_event).await?.fleet_resume(&fleet_id).await?)
}

/// Deploy again to the accounts whose instance is not CURRENT, then verify.
#[tauri::command]
pub async fn fleet_retry(fleet_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<FleetReport, CommandError> {
    Ok(state.engine_to(on_event).await?.fleet_retry(&fleet_id).await?)
}

/// Every account read again: instance, verdict, drift.
#[tauri::command]
pub async fn fleet_status(fleet_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<FleetReport, CommandError> {
    Ok(state.engine_to(on_event).await?.fleet_status(&fleet_id).await?)
}

/// Delete every instance (their roles and policies), then the StackSet the fleet made.
#[tauri::command]
pub async fn fleet_rollback(fleet_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<FleetReport, CommandError> {
    Ok(state.engine_to(on_event).await?.fleet_rollback(&fleet_id).await?)
}

/// The fleets journaled in the identity's home (shared with the CLI), newest first.
#[tauri::command]
pub async fn fleet_list(state: State<'_, AppState>) -> Result<Vec<FleetSummary>, CommandError> {
    Ok(state.engine().await?.fleet_list()?)
}
