//! The Export screen: a run's exports previewed (masked unless revealed), copied or
//! saved from Rust (the secret never enters the page), and its AWS profile written.

use tauri::State;
use tauri_plugin_clipboard_manager::ClipboardExt;

use rolegate_core::engine::exports::{aws_files, ExportRequest};
use rolegate_core::export::profile::{self, ProfileEdit, ProfileOptions, Source, WriteReport};
use rolegate_core::export::Rendered;
use rolegate_core::fs::write_private_atomic;

use crate::clipboard::{self, Copied};
use crate::dialogs::{self, Dialog};
use crate::error::CommandError;
use crate::models::ProfileRequest;
use crate::state::{home_dir, AppState};

/// An export of a run: secrets masked unless `reveal` (an explicit click).
#[tauri::command]
pub async fn export_preview(run_id: String, request: ExportRequest, state: State<'_, AppState>) -> Result<Rendered, CommandError> {
    Ok(state.engine().await?.render_export(&run_id, &request).await?)
}

/// Copy an export, secrets included, to the clipboard without passing through the page.
/// A secret is marked for clipboard managers to leave out of their history, and cleared
/// from the clipboard after `clipboard::CLEAR_AFTER` and when the app quits.
#[tauri::command]
pub async fn export_copy(
    app: tauri::AppHandle,
    run_id: String,
    mut request: ExportRequest,
    state: State<'_, AppState>,
    guard: State<'_, clipboard::Shared>,
) -> Result<Copied, CommandError> {
    request.reveal = true;
    let r = state.engine().await?.render_export(&run_id, &request).await?;
    let refused = |e| CommandError::new("clipboard", format!("the clipboard refused the text: {e}"));
    if !r.holds_secret {
        app.clipboard().write_text(r.text.as_str()).map_err(refused)?;
        return Ok(Copied { holds_secret: false, cleared_in_seconds: None });
    }
    app.clipboard().write_secret(r.text.as_str()).map_err(refused)?;
    let due = guard.lock().expect("clipboard guard").copied(r.text.as_str(), std::time::Instant::now());
    clipboard::schedule(guard.inner().clone(), clipboard::System(app.clone()), due);
    Ok(Copied { holds_secret: true, cleared_in_seconds: Some(clipboard::CLEAR_AFTER.as_secs() as u32) })
}

/// Save an export, secrets included, to the file the person picks in the dialog this
/// opens (0600, atomically). None: they cancelled.
#[tauri::command]
pub async fn export_save(
    app: tauri::AppHandle,
    run_id: String,
    mut request: ExportRequest,
    state: State<'_, AppState>,
) -> Result<Option<String>, CommandError> {
    request.reveal = true;
    let r = state.engine().await?.render_export(&run_id, &request).await?;
    let Some(path) = dialogs::pick(&app, Dialog::SaveExport { file_name: r.file_name.clone() }).await? else { return Ok(None) };
    write_private_atomic(&path, r.text.as_bytes())
        .map_err(|e| CommandError::field("path", "write", format!("{} could not be written: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}

async fn profile_options(run_id: &str, req: &ProfileRequest, state: &AppState) -> Result<ProfileOptions, CommandError> {
    let session = state.session.lock().await;
    let s = session.as_ref().ok_or_else(|| CommandError::new("no-identity", "choose the AWS identity first"))?;
    let source = if req.plain_keys {
        Source::PlainKeys
    } else {
        // The app answers credential_process itself (credential_process.rs), reading the keychain.
        let service = (s.keychain_service != rolegate_vault::SERVICE).then_some(s.keychain_service.as_str());
        profile::this_program(s.home.path(), service, run_id)?
    };
    Ok(ProfileOptions { name: req.name.clone(), source, force: req.force })
}

/// The change writing a run's AWS profile would make (diff, secrets masked).
#[tauri::command]
pub async fn profile_preview(run_id: String, request: ProfileRequest, state: State<'_, AppState>) -> Result<ProfileEdit, CommandError> {
    let opts = profile_options(&run_id, &request, &state).await?;
    Ok(state.engine().await?.profile_edit(&run_id, &opts, &aws_files(&home_dir())).await?)
}

/// Write a run's AWS profile: backups first, then each file atomically.
#[tauri::command]
pub async fn profile_write(run_id: String, request: ProfileRequest, state: State<'_, AppState>) -> Result<WriteReport, CommandError> {
    let opts = profile_options(&run_id, &request, &state).await?;
    Ok(state.engine().await?.write_profile(&run_id, &opts, &aws_files(&home_dir())).await?.1)
}
