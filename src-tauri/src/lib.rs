//! The desktop app: thin commands over rolegate-core. Each command is a few lines; every
//! decision is the core's. Errors reach the UI as `{code, message, fields}`.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::Mutex;

use rolegate_aws::{AwsConnect, ConnectOptions};
use rolegate_core::events::Event;
use rolegate_core::export::profile::{list_profiles, ProfileFiles};
use rolegate_core::journal::RunSummary;
use rolegate_core::plan::{Plan, RunInputs};
use rolegate_core::ports::CallerIdentity;
use rolegate_core::propagation::PollSettings;
use rolegate_core::template::{self, Mode};
use rolegate_core::validate::FieldError;
use rolegate_core::verify::VerifyReport;
use rolegate_core::{ApplyOptions, Engine, RollbackOptions, RollbackReport, RunError};
use rolegate_vault::Keychain;

/// A command's error as the UI sees it: a stable code, a sentence, and for bad input
/// the fields and rules (shown next to the field they concern).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        let fields = match &e {
            RunError::Invalid(f) => f.clone(),
            _ => Vec::new(),
        };
        CommandError { code: e.code().into(), message: e.to_string(), fields }
    }
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

/// Which AWS identity does the onboarding.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IdentityChoice {
    /// A profile from the AWS config, or none for the environment's default chain.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// An IAM/STS endpoint other than AWS's (the sandbox emulator).
    pub endpoint_url: Option<String>,
}

/// The app's state: where journals and the secrets index live, the keychain service,
/// and the engine for the identity chosen on the first screen.
pub struct AppState {
    home: PathBuf,
    keychain_service: String,
    engine: Mutex<Option<Engine>>,
}

impl AppState {
    pub fn from_env() -> AppState {
        let home = std::env::var_os("ROLEGATE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("rolegate"));
        let keychain_service = std::env::var("ROLEGATE_KEYCHAIN_SERVICE").unwrap_or_else(|_| rolegate_vault::SERVICE.to_string());
        AppState { home, keychain_service, engine: Mutex::new(None) }
    }

    async fn engine(&self) -> Result<Engine, CommandError> {
        self.engine.lock().await.clone().ok_or_else(|| CommandError {
            code: "no-identity".into(),
            message: "choose the AWS identity that does the onboarding first".into(),
            fields: Vec::new(),
        })
    }
}

#[tauri::command]
fn templates() -> Vec<TemplateSummary> {
    template::builtin().into_iter().map(|t| TemplateSummary { id: t.id, name: t.name, description: t.description, mode: t.mode }).collect()
}

/// The profiles in the person's AWS config and credentials files.
#[tauri::command]
fn aws_profiles() -> Vec<String> {
    let files = ProfileFiles::resolve(
        &dirs::home_dir().unwrap_or_default(),
        std::env::var_os("AWS_CONFIG_FILE").map(PathBuf::from),
        std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from),
    );
    list_profiles(&files)
}

/// Resolve the chosen identity and say who it is (account and caller ARN).
#[tauri::command]
async fn connect(choice: IdentityChoice, state: State<'_, AppState>) -> Result<CallerIdentity, CommandError> {
    let connect =
        AwsConnect::load(&ConnectOptions { profile: choice.profile, region: choice.region, endpoint_url: choice.endpoint_url }).await;
    let engine = Engine::with_home(
        Arc::new(connect),
        Arc::new(Keychain::with_service(&state.keychain_service)),
        &state.home,
        rolegate_core::events::discard(),
        PollSettings::default(),
    );
    let who = engine.identity().await?;
    *state.engine.lock().await = Some(engine);
    Ok(who)
}

/// Every call a run would make; nothing is created.
#[tauri::command]
async fn plan(inputs: RunInputs, state: State<'_, AppState>) -> Result<Plan, CommandError> {
    let engine = state.engine().await?;
    let t = template::find_builtin(&inputs.template_id).ok_or_else(|| {
        CommandError::from(RunError::Invalid(vec![FieldError::new(
            "template",
            "unknown-template",
            format!("no template {:?}", inputs.template_id),
        )]))
    })?;
    Ok(engine.plan(&t, &inputs).await?)
}

/// Record a confirmed plan as a run (nothing is made in AWS yet); returns its id.
#[tauri::command]
async fn start_run(plan: Plan, inputs: RunInputs, state: State<'_, AppState>) -> Result<String, CommandError> {
    Ok(state.engine().await?.start(plan, inputs)?.run_id)
}

/// Make (or finish making) a run, streaming every step and wait to the window.
#[tauri::command]
async fn apply_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RunSummary, CommandError> {
    let mut engine = state.engine().await?;
    engine.events = Arc::new(move |e: &Event| {
        let _ = on_event.send(e.clone());
    });
    let j = engine.apply(&run_id, &ApplyOptions::default()).await?;
    Ok(RunSummary::from(&j))
}

#[tauri::command]
async fn verify_run(run_id: String, state: State<'_, AppState>) -> Result<VerifyReport, CommandError> {
    Ok(state.engine().await?.verify(&run_id, None).await?)
}

#[tauri::command]
async fn rollback_run(run_id: String, state: State<'_, AppState>) -> Result<RollbackReport, CommandError> {
    Ok(state.engine().await?.rollback(&run_id, &RollbackOptions::default()).await?)
}

/// Every run in the journal folder the CLI shares.
#[tauri::command]
fn runs(state: State<'_, AppState>) -> Result<Vec<RunSummary>, CommandError> {
    use rolegate_core::journal::{FileJournalStore, JournalStore};
    let store = FileJournalStore::new(state.home.join("runs"));
    Ok(store.list().map_err(RunError::from)?.iter().map(RunSummary::from).collect())
}

pub fn run() {
    tauri::Builder::default()
        .manage(AppState::from_env())
        .invoke_handler(tauri::generate_handler![
            templates,
            aws_profiles,
            connect,
            plan,
            start_run,
            apply_run,
            verify_run,
            rollback_run,
            runs
        ])
        .run(tauri::generate_context!())
        .expect("error while running Rolegate");
}
