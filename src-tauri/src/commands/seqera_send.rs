//! Export's "Send to Seqera Platform": `seqera_connect` hands an applied run to the
//! signed-in Seqera Platform session through the core's `Engine::connect_seqera`
//! (the credential created in the workspace, Seqera's External ID put in the role's
//! trust policy, Seqera's own check as `platform-validate`), its steps, waits and checks
//! streamed to the window. The session is `platform::session`: the identity in use's (its home and keychain
//! service; the Sandbox keeps its own), or the default one before any.

use tauri::ipc::Channel;
use tauri::State;

use rolegate_core::engine::{SeqeraConnection, SeqeraOptions};
use rolegate_core::events::Event;

use crate::error::CommandError;
use crate::state::AppState;

/// Create (or find again) run `run_id`'s credential in `workspace` (`ORG/WORKSPACE`) on
/// the signed-in platform, give its role the External ID Seqera generates, and let
/// Seqera check it against AWS; the run is verified with Seqera's verdict as one check.
/// Called again after a stop, it continues from what the journal records.
#[tauri::command]
pub async fn seqera_connect(
    run_id: String,
    workspace: String,
    credential_name: Option<String>,
    on_event: Channel<Event>,
    state: State<'_, AppState>,
) -> Result<SeqeraConnection, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let (_, api) = super::platform::session(&state).await.signed_in_api().await?;
    // A blank name field means the default name.
    let credential_name = credential_name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let opts = SeqeraOptions { workspace, credential_name };
    // Its own task, as apply: each call is journaled, and a closed window does not cut one short.
    let task = tokio::spawn(async move { engine.connect_seqera(api.as_ref(), &run_id, &opts).await });
    match task.await {
        Ok(result) => Ok(result?),
        Err(e) => Err(CommandError::new("internal", format!("sending the run to Seqera Platform stopped unexpectedly: {e}"))),
    }
}
