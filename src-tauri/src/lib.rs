//! The desktop app: thin commands over rolegate-core. Each command is a few lines; every
//! decision is the core's. Errors reach the UI as the core's `ErrorReport` (error.rs),
//! the JSON `rolegate --json` prints. Secrets reach the web view only when the person
//! reveals them; copy and save go from Rust straight to the clipboard or the file. This
//! file builds the app: its state, plugins and the commands it registers (commands/).

mod clipboard;
mod commands;
pub mod credential_process;
mod dialogs;
mod error;
mod models;
mod plans;
mod sandbox;
mod sandbox_org;
mod sandbox_seqera;
mod settings;
mod startup;
mod state;

use tauri::{Manager, RunEvent};

use commands::{checks, exports, fleet, identity, platform, runs, seqera_send};
pub use startup::webkit_renderer_env;
use state::{AppState, PlanState};

pub fn run() {
    startup::startup_mark("main");
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            app.manage(AppState::from_env(app.path().resource_dir().ok()));
            app.manage(PlanState::default());
            app.manage(clipboard::Shared::default());
            startup::startup_mark("setup");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            runs::templates,
            runs::load_template,
            runs::new_external_id,
            identity::identity_sources,
            identity::connect,
            runs::plan,
            runs::start_run,
            runs::apply_run,
            runs::cancel_run,
            checks::verify_run,
            runs::rollback_run,
            runs::runs,
            runs::run_detail,
            exports::export_preview,
            exports::export_copy,
            exports::export_save,
            exports::profile_preview,
            exports::profile_write,
            checks::test_connection,
            checks::test_run,
            runs::rotate_key,
            platform::seqera_sign_in,
            platform::seqera_session,
            platform::seqera_workspaces,
            platform::seqera_sign_out,
            platform::set_external_id,
            seqera_send::seqera_connect,
            settings::settings_get,
            settings::settings_set,
            startup::ui_ready,
            fleet::fleet_targets,
            fleet::fleet_apply,
            fleet::fleet_resume,
            fleet::fleet_retry,
            fleet::fleet_status,
            fleet::fleet_rollback,
            fleet::fleet_list
        ])
        .build(tauri::generate_context!())
        .expect("error while starting Rolegate")
        .run(|app, event| {
            if let RunEvent::ExitRequested { .. } | RunEvent::Exit = event {
                clipboard::on_quit(app.state::<clipboard::Shared>().inner().clone(), app.clone());
            }
        });
}

#[cfg(test)]
mod permissions_tests;
