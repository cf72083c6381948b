//! The checks: Verify (`verify_run`), Test connection for any credentials
//! (`test_connection`) and for a run's own key and role (`test_run`).

use tauri::ipc::Channel;
use tauri::State;

use rolegate_core::checks::VerifyReport;
use rolegate_core::engine::connection::{TestOutcome, TestRequest};
use rolegate_core::events::Event;

use crate::error::CommandError;
use crate::models::VerifyOutcome;
use crate::state::AppState;

/// The run's checks again (its key signs in, its roles assume only with the External
/// ID) and the status they earned it (verified, or awaiting the platform's check).
#[tauri::command]
pub async fn verify_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<VerifyOutcome, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let report = engine.verify(&run_id, None).await?;
    Ok(VerifyOutcome::new(&engine.journal(&run_id)?, report))
}

/// Test connection for any credentials: the identity in use, an access key (pasted
/// or from the keychain), and optionally a role with its External ID.
#[tauri::command]
pub async fn test_connection(
    request: TestRequest,
    on_event: Channel<Event>,
    state: State<'_, AppState>,
) -> Result<TestOutcome, CommandError> {
    Ok(state.engine_to(on_event).await?.test_connection(&request).await?)
}

/// Test connection for a run: its key from the keychain, its role with its External ID.
#[tauri::command]
pub async fn test_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<VerifyReport, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let req = TestRequest::for_run(&engine.journal(&run_id)?);
    Ok(engine.test_connection(&req).await?.connection)
}
