//! The screens that make and keep runs: Template (`templates`, `load_template`), Details
//! (`new_external_id`, `plan`), Review and Run (`start_run`, `apply_run`, `cancel_run`)
//! and History (`runs`, `run_detail`, `rollback_run`, `rotate_key`).

use tauri::ipc::Channel;
use tauri::{Manager, State};

use rolegate_core::engine::rotate::{RotateOptions, RotationReport};
use rolegate_core::events::Event;
use rolegate_core::journal::{JournalStore, RunSummary};
use rolegate_core::plan::{Plan, RunInputs};
use rolegate_core::ports::{Entropy, OsEntropy};
use rolegate_core::template::{self, Template};
use rolegate_core::{ApplyOptions, CancellationToken, RollbackOptions, RollbackReport, RunError};

use crate::dialogs::{self, Dialog};
use crate::error::CommandError;
use crate::models::RunDetail;
use crate::plans::{self, LoadedTemplate, StartRequest, TemplateRef};
use crate::settings;
use crate::state::{AppState, PlanState};

#[tauri::command]
pub fn templates() -> Vec<Template> {
    template::builtin()
}

/// A template from a file the person picks in the dialog this opens; validated before
/// it is offered, and kept here (the page names it by its key). None: they cancelled.
#[tauri::command]
pub async fn load_template(app: tauri::AppHandle, plans: State<'_, PlanState>) -> Result<Option<LoadedTemplate>, CommandError> {
    let Some(path) = dialogs::pick(&app, Dialog::OpenTemplate).await? else { return Ok(None) };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CommandError::field("template_file", "read", format!("{} could not be read: {e}", path.display())))?;
    let template = Template::from_json("template_file", &text).map_err(RunError::Invalid)?;
    Ok(Some(plans.lock().expect("plans lock").add_file(template)))
}

/// A fresh External ID for a role whose template generates one (a random UUID).
#[tauri::command]
pub async fn new_external_id(state: State<'_, AppState>) -> Result<String, CommandError> {
    Ok(state.engine().await.map(|e| e.entropy.uuid()).unwrap_or_else(|_| Entropy::uuid(&OsEntropy)))
}

/// Every call a run would make, built and validated by the core for the identity in
/// use, from a template held here. It makes no AWS call but for a template with
/// service-account roles (the EKS cluster it names is described), so the Details screen
/// calls it as the person types; Review shows the plan and starts it by its id.
#[tauri::command]
pub async fn plan(
    template: TemplateRef,
    inputs: RunInputs,
    state: State<'_, AppState>,
    plans: State<'_, PlanState>,
) -> Result<Plan, CommandError> {
    let (engine, who, _) = plans::caller(&state).await?;
    let held = plans.lock().expect("plans lock").template(&template)?;
    let inputs = engine.cluster_facts(&held, &inputs).await?;
    plans.lock().expect("plans lock").plan(&template, &inputs, &who, &engine.entropy.run_id(), engine.entropy.as_ref())
}

/// Record the reviewed plan as a run (nothing is made in AWS yet); returns its id. The
/// core plans it again from the template, the inputs and the identity in use, and a
/// plan that is not the one reviewed is refused.
#[tauri::command]
pub async fn start_run(
    app: tauri::AppHandle,
    request: StartRequest,
    state: State<'_, AppState>,
    plans: State<'_, PlanState>,
) -> Result<String, CommandError> {
    let (engine, who, label) = plans::caller(&state).await?;
    let held = plans.lock().expect("plans lock").template(&request.template)?;
    let request = StartRequest { inputs: engine.cluster_facts(&held, &request.inputs).await?, ..request };
    let run = plans::start(&engine, &plans, &request, &who)?;
    if let Ok(dir) = app.path().app_data_dir() {
        let entry = settings::IndexedRun {
            run_id: run.run_id.clone(),
            template: run.plan.template_id.clone(),
            identity: label,
            started_at: run.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        };
        // The journal is the truth about runs; a run the index misses is still in History.
        let _ = settings::index_run(&settings::path_in(&dir), entry);
    }
    Ok(run.run_id)
}

/// Make (or finish making) a run, streaming every step and wait to the window.
/// `cancel_run` stops it cleanly: no new step starts, running ones finish and are
/// journaled, and the error lists what exists, to resume or roll back.
#[tauri::command]
pub async fn apply_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RunSummary, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let cancel = CancellationToken::new();
    state.running.lock().expect("running lock").insert(run_id.clone(), cancel.clone());
    let id = run_id.clone();
    // Its own task, so nothing but the token stops it part-way.
    let task = tokio::spawn(async move { engine.apply_until(&id, &ApplyOptions::default(), &cancel).await });
    let outcome = task.await;
    state.running.lock().expect("running lock").remove(&run_id);
    match outcome {
        Ok(result) => Ok(RunSummary::from(&result?)),
        Err(e) => Err(CommandError::new("internal", format!("the run stopped unexpectedly: {e}"))),
    }
}

/// Ask a run being applied to stop (see `apply_run`). Returns whether one was running.
#[tauri::command]
pub fn cancel_run(run_id: String, state: State<'_, AppState>) -> bool {
    match state.running.lock().expect("running lock").get(&run_id) {
        Some(cancel) => {
            cancel.cancel();
            true
        }
        None => false,
    }
}

/// Delete what a run made, newest first, each deletion streamed. Its Seqera Platform
/// credentials are deleted when signed in there; otherwise they are reported kept, with
/// how to sign in.
#[tauri::command]
pub async fn rollback_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RollbackReport, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let platform = super::platform::session(&state).await.api_for_run(&engine.journal(&run_id)?).await?;
    Ok(engine.rollback(&run_id, &RollbackOptions { platform, ..RollbackOptions::default() }).await?)
}

/// Every run journaled where the identity in use keeps them (shared with the CLI).
#[tauri::command]
pub async fn runs(state: State<'_, AppState>) -> Result<Vec<RunSummary>, CommandError> {
    let store = state.current_home().await.journal_store();
    Ok(store.list().map_err(RunError::from)?.iter().map(RunSummary::from).collect())
}

/// One run in full: what it made, what a roll-back would delete, what it can export.
#[tauri::command]
pub async fn run_detail(run_id: String, state: State<'_, AppState>) -> Result<RunDetail, CommandError> {
    let j = state.current_home().await.journal_store().load(&run_id).map_err(RunError::from)?;
    Ok(RunDetail::from_journal(&j))
}

/// Rotate a run's access key (create, store, wait, switch profiles, retire the old one).
#[tauri::command]
pub async fn rotate_key(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RotationReport, CommandError> {
    Ok(state.engine_to(on_event).await?.rotate_key(&run_id, &RotateOptions::default()).await?)
}
