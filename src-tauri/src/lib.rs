//! The desktop app: thin commands over rolegate-core. Each command is a few lines; every
//! decision is the core's. Errors reach the UI as `{code, message}`.

use serde::Serialize;

use rolegate_core::template::{self, Mode};

/// A command's error as the UI sees it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

/// A template as the start screen shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TemplateSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub mode: Mode,
}

#[tauri::command]
fn templates() -> Result<Vec<TemplateSummary>, CommandError> {
    Ok(template::builtin()
        .into_iter()
        .map(|t| TemplateSummary { id: t.id, name: t.name, description: t.description, mode: t.mode })
        .collect())
}

pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![templates])
        .run(tauri::generate_context!())
        .expect("error while running Rolegate");
}
