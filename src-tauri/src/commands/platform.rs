//! Seqera Platform from the window (Export's "Send to Seqera Platform"): sign in with an
//! access token, who is signed in where, the user's workspaces, sign out; and, for
//! Verify and History, `set_external_id` (the External ID the platform shows). The token
//! crosses IPC once, into `seqera_sign_in`, and goes straight to the core's
//! `PlatformSession`, which keeps it in the keychain only: the app holds no copy, and no
//! answer or error carries it. The session is the identity in use's (its home and
//! keychain service; the Sandbox keeps its own), or the default one before any.

use std::sync::Arc;

use secrecy::SecretString;
use tauri::ipc::Channel;
use tauri::State;

use rolegate_core::engine::trust::{ExternalIdChange, ExternalIdOptions};
use rolegate_core::events::Event;
use rolegate_core::home::Home;
use rolegate_core::platform_session::{PlatformSession, SignedIn, SignedOut};
use rolegate_seqera::SeqeraHttp;
use rolegate_vault::Keychain;

use crate::error::CommandError;
use crate::models::SeqeraWorkspaces;
use crate::state::AppState;

/// The platform session kept in `home` under keychain service `service`.
pub fn session_for(home: Home, service: &str) -> PlatformSession {
    PlatformSession::new(Arc::new(SeqeraHttp), Arc::new(Keychain::with_service(service)), home)
}

/// The session of the identity in use, or the default one (also the one roll-back
/// deletes a run's Seqera credentials through).
pub(crate) async fn session(state: &AppState) -> PlatformSession {
    let guard = state.session.lock().await;
    match guard.as_ref() {
        Some(s) => session_for(s.home.clone(), &s.keychain_service),
        None => session_for(state.home.clone(), &state.keychain_service),
    }
}

/// Check the token at `url` (the platform's API URL) and keep it in the keychain.
#[tauri::command]
pub async fn seqera_sign_in(url: String, token: SecretString, state: State<'_, AppState>) -> Result<SignedIn, CommandError> {
    Ok(session(&state).await.sign_in(&url, token).await?)
}

/// Who is signed in where (no secret); `None` when nobody is.
#[tauri::command]
pub async fn seqera_session(state: State<'_, AppState>) -> Result<Option<SignedIn>, CommandError> {
    Ok(session(&state).await.current()?)
}

/// The signed-in user (asked again) and their workspaces.
#[tauri::command]
pub async fn seqera_workspaces(state: State<'_, AppState>) -> Result<SeqeraWorkspaces, CommandError> {
    let (session, workspaces) = session(&state).await.workspaces().await?;
    Ok(SeqeraWorkspaces { session, workspaces })
}

/// Remove the token from the keychain and forget the platform.
#[tauri::command]
pub async fn seqera_sign_out(state: State<'_, AppState>) -> Result<SignedOut, CommandError> {
    Ok(session(&state).await.sign_out().await?)
}

/// Adopt or change the External ID of role `role_key` (or the run's only role) of an
/// applied run, wait until it works, and verify the run again; the waits and checks are
/// streamed to the window.
#[tauri::command]
pub async fn set_external_id(
    run_id: String,
    role_key: Option<String>,
    value: String,
    on_event: Channel<Event>,
    state: State<'_, AppState>,
) -> Result<ExternalIdChange, CommandError> {
    let engine = state.engine_to(on_event).await?;
    Ok(engine.set_external_id(&run_id, role_key.as_deref(), &value, &ExternalIdOptions::default()).await?)
}
