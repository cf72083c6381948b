//! File dialogs opened by Rust: loading a template reads, and saving an export writes,
//! only the file the person picked in a native dialog. The page never sends a path.

use std::path::PathBuf;

use tauri_plugin_dialog::DialogExt;

use crate::error::CommandError;

/// A test's answer to every file dialog, instead of opening one (see `test_answer`).
pub const TEST_ANSWER_VAR: &str = "ROLEGATE_TEST_DIALOG_ANSWER";

/// Which dialog to open.
pub enum Dialog {
    OpenTemplate,
    SaveExport { file_name: String },
}

/// The end-to-end tests drive the window through WebDriver, which cannot reach a native
/// GTK file dialog, so with `ROLEGATE_TEST_DIALOG_ANSWER=/path` every dialog answers that
/// path at once. Only debug builds read it (tests/e2e/run.sh runs a debug build); a
/// release build ignores it, so an installed Rolegate always asks the person. The page
/// cannot reach it either way: it is the environment of the app's process, set before
/// start, and no command reads or sets it.
fn test_answer() -> Option<PathBuf> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var_os(TEST_ANSWER_VAR).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Open the dialog and wait for the person's answer; None when they cancel.
pub async fn pick<R: tauri::Runtime>(app: &tauri::AppHandle<R>, dialog: Dialog) -> Result<Option<PathBuf>, CommandError> {
    if let Some(p) = test_answer() {
        return Ok(Some(p));
    }
    let app = app.clone();
    let picked = tokio::task::spawn_blocking(move || {
        let files = app.dialog().file();
        match dialog {
            Dialog::OpenTemplate => files.set_title("Load a template file").add_filter("Rolegate template", &["json"]).blocking_pick_file(),
            Dialog::SaveExport { file_name } => files.set_title("Save the export").set_file_name(file_name).blocking_save_file(),
        }
    })
    .await
    .map_err(|e| CommandError::new("dialog", format!("the file dialog failed: {e}")))?;
    picked
        .map(|f| f.into_path().map_err(|e| CommandError::new("dialog", format!("the dialog answered a path Rolegate cannot use: {e}"))))
        .transpose()
}
