//! The desktop app: thin commands over rolegate-core. Each command is a few lines; every
//! decision is the core's. Errors reach the UI as `{code, message, fields}`. Secrets
//! reach the web view only when the person reveals them; copy and save go from Rust
//! straight to the clipboard or the file.

mod clipboard;
mod dialogs;
mod plans;
mod sandbox;
mod settings;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{Manager, RunEvent, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokio::sync::Mutex;

use rolegate_aws::{AwsConnect, ConnectOptions};
use rolegate_core::checks::VerifyReport;
use rolegate_core::engine::connection::{TestOutcome, TestRequest};
use rolegate_core::engine::exports::{aws_files, ExportRequest};
use rolegate_core::engine::rotate::{RotateOptions, RotationReport};
use rolegate_core::error::Frontend;
use rolegate_core::events::{Event, EventSink};
use rolegate_core::export::profile::{self, describe_profiles, ProfileEdit, ProfileInfo, ProfileOptions, Source, WriteReport};
use rolegate_core::export::{Format, Rendered};
use rolegate_core::fs::write_private_atomic;
use rolegate_core::identity::IdentitySource;
use rolegate_core::journal::{FileJournalStore, JournalStore, RunSummary};
use rolegate_core::plan::{Plan, RunInputs};
use rolegate_core::ports::{CallerIdentity, Credentials};
use rolegate_core::propagation::PollSettings;
use rolegate_core::secrets::credential_process_json;
use rolegate_core::template::{self, Template};
use rolegate_core::validate::FieldError;
use rolegate_core::{ApplyOptions, CancellationToken, Engine, RollbackOptions, RollbackReport, RunError};
use rolegate_vault::Keychain;

use clipboard::Copied;
use dialogs::Dialog;
use plans::{LoadedTemplate, Plans, StartRequest, TemplateRef};

/// A command's error as the UI sees it: a stable code, a sentence, what to do next in
/// the window's words (never a CLI flag), and for bad input the fields and rules (shown
/// next to the field they concern).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    pub fields: Vec<FieldError>,
}

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        let fields = match &e {
            RunError::Invalid(f) => f.clone(),
            _ => Vec::new(),
        };
        CommandError { code: e.code().into(), message: e.to_string(), hint: e.hint(Frontend::App), fields }
    }
}

impl CommandError {
    fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError { code: code.into(), message: message.into(), hint: None, fields: Vec::new() }
    }
    fn field(field: &str, rule: &str, message: impl Into<String>) -> CommandError {
        RunError::Invalid(vec![FieldError::new(field, rule, message)]).into()
    }
}

/// Which AWS identity does the onboarding.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum IdentityChoice {
    /// A profile from the AWS config (SSO, credential_process, keys, assume-role).
    Profile { profile: String, region: Option<String> },
    /// The environment's default chain (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, ...).
    Environment { region: Option<String> },
    /// Keys pasted into the app; with `save`, the secret goes to the keychain.
    Keys {
        access_key_id: String,
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        secret: SecretString,
        region: Option<String>,
        save: bool,
    },
    /// The local emulator: a made-up account, nothing reaches AWS.
    Sandbox,
}

/// What the identity screen offers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IdentitySources {
    pub profiles: Vec<ProfileInfo>,
    /// What the environment holds (`AWS_PROFILE=x`, or the access key id), no secret.
    pub environment: Option<String>,
    pub sandbox_available: bool,
    pub sandbox_detail: String,
    pub current: Option<SessionInfo>,
}

/// The identity in use.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionInfo {
    pub who: CallerIdentity,
    /// How it was chosen, in words: `profile ops`, `environment`, `pasted key AKIA…`, `Sandbox`.
    pub label: String,
    /// Where its credentials came from, as the core words it ("profile ops, keys from the
    /// credentials file"; "environment variables AWS_ACCESS_KEY_ID (AKIA…) and …").
    pub source: String,
    pub sandbox: bool,
    pub region: String,
    /// Where this identity's runs are journaled (the Sandbox keeps its own).
    pub home: String,
    /// A note for the person (a stored secret, a sandbox start).
    pub notice: Option<String>,
}

/// A run as History and the result screens show it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RunDetail {
    pub summary: RunSummary,
    pub template_name: String,
    /// The name exports use unless the person picks another.
    pub default_name: String,
    pub caller_arn: String,
    /// What the run made that still exists (what a roll-back deletes), in deletion order.
    pub live: Vec<String>,
    pub access_key_id: Option<String>,
    pub user: Option<String>,
    /// Each role: ARN and External ID.
    pub roles: Vec<(String, String)>,
    pub profiles: Vec<String>,
    pub formats: Vec<Format>,
    pub verification: Option<VerifyReport>,
    pub last_error: Option<String>,
    /// What happened, oldest first.
    pub history: Vec<String>,
    /// A rotation that stopped part-way, with the stage it reached.
    pub rotation: Option<String>,
    /// The plan the run follows (its steps, for a resumed run's progress).
    pub plan: Plan,
}

/// Writing a run's AWS profile.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProfileRequest {
    pub name: String,
    /// Plain keys in the credentials file (0600) instead of credential_process.
    pub plain_keys: bool,
    /// Replace a profile of the same name (a backup is written first).
    pub force: bool,
}

struct Session {
    engine: Engine,
    info: SessionInfo,
    home: PathBuf,
    keychain_service: String,
}

/// The app's state: the default home and keychain service, the identity in use, the
/// sandbox emulator when started, and the runs being applied (to cancel them).
pub struct AppState {
    home: PathBuf,
    keychain_service: String,
    session: Mutex<Option<Session>>,
    sandbox: Mutex<Option<sandbox::Sandbox>>,
    running: std::sync::Mutex<HashMap<String, CancellationToken>>,
    resource_dir: Option<PathBuf>,
}

const SANDBOX_SERVICE_SUFFIX: &str = "-sandbox";

impl AppState {
    pub fn from_env(resource_dir: Option<PathBuf>) -> AppState {
        let home = std::env::var_os("ROLEGATE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("rolegate"));
        let keychain_service = std::env::var("ROLEGATE_KEYCHAIN_SERVICE").unwrap_or_else(|_| rolegate_vault::SERVICE.to_string());
        AppState { home, keychain_service, session: Mutex::new(None), sandbox: Mutex::new(None), running: Default::default(), resource_dir }
    }

    async fn engine(&self) -> Result<Engine, CommandError> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| s.engine.clone())
            .ok_or_else(|| CommandError::new("no-identity", "choose the AWS identity that does the work first (Identity screen)"))
    }

    /// The engine, its events sent to the window over `channel`.
    async fn engine_to(&self, channel: Channel<Event>) -> Result<Engine, CommandError> {
        let mut engine = self.engine().await?;
        engine.events = channel_sink(channel);
        Ok(engine)
    }

    /// Where runs are journaled now: the session's home, or the default one.
    async fn current_home(&self) -> PathBuf {
        self.session.lock().await.as_ref().map(|s| s.home.clone()).unwrap_or_else(|| self.home.clone())
    }
}

fn channel_sink(channel: Channel<Event>) -> EventSink {
    Arc::new(move |e: &Event| {
        let _ = channel.send(e.clone());
    })
}

fn home_dir() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("."))
}

#[tauri::command]
fn templates() -> Vec<Template> {
    template::builtin()
}

/// The templates loaded from files and the plans Review may start (plans.rs).
type PlanState = std::sync::Mutex<Plans>;

/// A template from a file the person picks in the dialog this opens; validated before
/// it is offered, and kept here (the page names it by its key). None: they cancelled.
#[tauri::command]
async fn load_template(app: tauri::AppHandle, plans: State<'_, PlanState>) -> Result<Option<LoadedTemplate>, CommandError> {
    let Some(path) = dialogs::pick(&app, Dialog::OpenTemplate).await? else { return Ok(None) };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CommandError::field("template_file", "read", format!("{} could not be read: {e}", path.display())))?;
    let template = Template::from_json("template_file", &text).map_err(RunError::Invalid)?;
    Ok(Some(plans.lock().expect("plans lock").add_file(template)))
}

/// A fresh External ID for a role whose template generates one (a random UUID).
#[tauri::command]
async fn new_external_id(state: State<'_, AppState>) -> Result<String, CommandError> {
    Ok(state
        .engine()
        .await
        .map(|e| e.entropy.uuid())
        .unwrap_or_else(|_| rolegate_core::ports::Entropy::uuid(&rolegate_core::ports::OsEntropy)))
}

#[tauri::command]
async fn identity_sources(app: tauri::AppHandle, state: State<'_, AppState>) -> Result<IdentitySources, CommandError> {
    let environment = rolegate_aws::environment_source().await.map(|s| s.to_string());
    let script = sandbox::locate(app.path().resource_dir().ok().or(state.resource_dir.clone()));
    Ok(IdentitySources {
        profiles: describe_profiles(&aws_files(&home_dir())),
        environment,
        sandbox_available: script.is_some(),
        sandbox_detail: match &script {
            Some(_) => format!("a local IAM/STS emulator with a made-up account {}; nothing reaches AWS", sandbox::ACCOUNT),
            None => "the sandbox emulator is not installed with this build (set ROLEGATE_EMULATOR to rolegate_emulator.py)".into(),
        },
        current: state.session.lock().await.as_ref().map(|s| s.info.clone()),
    })
}

/// Resolve the chosen identity and say who it is (account and caller ARN).
#[tauri::command]
async fn connect(app: tauri::AppHandle, choice: IdentityChoice, state: State<'_, AppState>) -> Result<SessionInfo, CommandError> {
    let mut home = state.home.clone();
    let mut service = state.keychain_service.clone();
    let mut notice = None;
    let mut to_store: Option<Credentials> = None;
    let (connect, label, is_sandbox) = match choice {
        IdentityChoice::Profile { profile, region } => {
            let c = AwsConnect::load(&ConnectOptions { profile: Some(profile.clone()), region, endpoint_url: None }).await;
            (c, format!("profile {profile}"), false)
        }
        IdentityChoice::Environment { region } => {
            (AwsConnect::load(&ConnectOptions { profile: None, region, endpoint_url: None }).await, "environment".to_string(), false)
        }
        IdentityChoice::Keys { access_key_id, secret, region, save } => {
            let errs = rolegate_core::validate::access_key_id("access_key_id", &access_key_id);
            if !errs.is_empty() {
                return Err(RunError::Invalid(errs).into());
            }
            if secrecy::ExposeSecret::expose_secret(&secret).trim().is_empty() {
                return Err(CommandError::field("secret", "required", "paste the secret access key"));
            }
            let creds = Credentials::long_lived(access_key_id.clone(), secret);
            let c = AwsConnect::load_with_credentials(&ConnectOptions { profile: None, region, endpoint_url: None }, &creds).await;
            if save {
                to_store = Some(creds);
            }
            (c, format!("pasted key {access_key_id}"), false)
        }
        IdentityChoice::Sandbox => {
            let mut sb = state.sandbox.lock().await;
            let sandbox_home = state.home.join("sandbox");
            if sb.is_none() {
                let script = sandbox::locate(app.path().resource_dir().ok().or(state.resource_dir.clone()))
                    .ok_or_else(|| CommandError::new("no-sandbox", "the sandbox emulator is not installed with this build"))?;
                rolegate_core::home::ensure_private_dir(&sandbox_home)
                    .map_err(|e| CommandError::new("no-sandbox", format!("{}: {e}", sandbox_home.display())))?;
                let log = sandbox_home.join("emulator.log");
                let started = tokio::task::spawn_blocking(move || sandbox::start(&script, Some(&log)))
                    .await
                    .map_err(|e| CommandError::new("no-sandbox", e.to_string()))?
                    .map_err(|e| CommandError::new("no-sandbox", e))?;
                notice = Some(format!(
                    "Sandbox started at {}: a fresh emulated account {} (signed in as {}). Nothing reaches AWS; it is gone when the app closes.",
                    started.url,
                    sandbox::ACCOUNT,
                    started.user_arn
                ));
                *sb = Some(started);
            }
            let s = sb.as_ref().expect("started above");
            home = sandbox_home;
            service = format!("{}{SANDBOX_SERVICE_SUFFIX}", state.keychain_service);
            (AwsConnect::with_static(&s.url, "eu-west-1", &s.creds).with_source(IdentitySource::Sandbox), "Sandbox".to_string(), true)
        }
    };
    let region = connect.region();
    let source = connect.source().to_string();
    let engine = Engine::with_home(
        Arc::new(connect),
        Arc::new(Keychain::with_service(&service)),
        &home,
        rolegate_core::events::discard(),
        PollSettings::default(),
    );
    let who = engine.identity().await?;
    // A pasted secret is kept only once its key has signed in.
    if let Some(creds) = to_store {
        engine.store_key_secret(&creds.access_key_id, &creds.secret_access_key).await?;
        notice = Some(format!(
            "the secret of {} is stored in {}",
            creds.access_key_id,
            rolegate_core::ports::Vault::describe(engine.vault.as_ref())
        ));
    }
    let info = SessionInfo { who, label, source, sandbox: is_sandbox, region, home: home.display().to_string(), notice };
    *state.session.lock().await = Some(Session { engine, info: info.clone(), home, keychain_service: service });
    Ok(info)
}

/// Every call a run would make, built and validated by the core for the identity in
/// use, from a template held here. It makes no AWS call, so the Details screen calls
/// it as the person types; Review shows the plan and starts it by its id.
#[tauri::command]
async fn plan(
    template: TemplateRef,
    inputs: RunInputs,
    state: State<'_, AppState>,
    plans: State<'_, PlanState>,
) -> Result<Plan, CommandError> {
    let (engine, who, _) = plans::caller(&state).await?;
    plans.lock().expect("plans lock").plan(&template, &inputs, &who, &engine.entropy.run_id(), engine.entropy.as_ref())
}

/// Record the reviewed plan as a run (nothing is made in AWS yet); returns its id. The
/// core plans it again from the template, the inputs and the identity in use, and a
/// plan that is not the one reviewed is refused.
#[tauri::command]
async fn start_run(
    app: tauri::AppHandle,
    request: StartRequest,
    state: State<'_, AppState>,
    plans: State<'_, PlanState>,
) -> Result<String, CommandError> {
    let (engine, who, label) = plans::caller(&state).await?;
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
async fn apply_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RunSummary, CommandError> {
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
fn cancel_run(run_id: String, state: State<'_, AppState>) -> bool {
    match state.running.lock().expect("running lock").get(&run_id) {
        Some(cancel) => {
            cancel.cancel();
            true
        }
        None => false,
    }
}

#[tauri::command]
async fn verify_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<VerifyReport, CommandError> {
    Ok(state.engine_to(on_event).await?.verify(&run_id, None).await?)
}

#[tauri::command]
async fn rollback_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RollbackReport, CommandError> {
    Ok(state.engine_to(on_event).await?.rollback(&run_id, &RollbackOptions::default()).await?)
}

fn store_at(home: &Path) -> FileJournalStore {
    FileJournalStore::new(home.join("runs"))
}

/// Every run journaled where the identity in use keeps them (shared with the CLI).
#[tauri::command]
async fn runs(state: State<'_, AppState>) -> Result<Vec<RunSummary>, CommandError> {
    let store = store_at(&state.current_home().await);
    Ok(store.list().map_err(RunError::from)?.iter().map(RunSummary::from).collect())
}

/// One run in full: what it made, what a roll-back would delete, what it can export.
#[tauri::command]
async fn run_detail(run_id: String, state: State<'_, AppState>) -> Result<RunDetail, CommandError> {
    let j = store_at(&state.current_home().await).load(&run_id).map_err(RunError::from)?;
    Ok(RunDetail {
        summary: RunSummary::from(&j),
        template_name: j.plan.template_name.clone(),
        default_name: rolegate_core::export::Bundle::from_journal(&j).default_name(),
        caller_arn: j.plan.caller_arn.clone(),
        live: j.deletion_order().into_iter().map(|i| j.resources[i].resource.describe()).collect(),
        access_key_id: j.access_key_id.clone(),
        user: j.plan.user.as_ref().map(|u| u.name.clone()),
        roles: j.plan.roles.iter().map(|r| (r.arn.clone(), r.external_id.clone())).collect(),
        profiles: j.exports.iter().map(|e| e.profile.clone()).collect(),
        formats: Format::offered_for(&j),
        verification: j.verification.clone(),
        last_error: j.last_error.clone(),
        history: j.history.iter().map(|h| format!("{} {}", h.at.date(), h.message)).collect(),
        plan: j.plan.clone(),
        rotation: j
            .rotation
            .as_ref()
            .map(|r| format!("stopped at stage {:?}: old key {}, new key {}", r.stage, r.old_key.as_deref().unwrap_or("none"), r.new_key)),
    })
}

/// An export of a run: secrets masked unless `reveal` (an explicit click).
#[tauri::command]
async fn export_preview(run_id: String, request: ExportRequest, state: State<'_, AppState>) -> Result<Rendered, CommandError> {
    Ok(state.engine().await?.render_export(&run_id, &request).await?)
}

/// Copy an export, secrets included, to the clipboard without passing through the page.
/// A secret is marked for clipboard managers to leave out of their history, and cleared
/// from the clipboard after `clipboard::CLEAR_AFTER` and when the app quits.
#[tauri::command]
async fn export_copy(
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
async fn export_save(
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
        // The app answers credential_process itself (see main.rs), reading the keychain.
        let service = (s.keychain_service != rolegate_vault::SERVICE).then_some(s.keychain_service.as_str());
        profile::this_program(&s.home, service, run_id)?
    };
    Ok(ProfileOptions { name: req.name.clone(), source, force: req.force })
}

/// The change writing a run's AWS profile would make (diff, secrets masked).
#[tauri::command]
async fn profile_preview(run_id: String, request: ProfileRequest, state: State<'_, AppState>) -> Result<ProfileEdit, CommandError> {
    let opts = profile_options(&run_id, &request, &state).await?;
    Ok(state.engine().await?.profile_edit(&run_id, &opts, &aws_files(&home_dir())).await?)
}

/// Write a run's AWS profile: backups first, then each file atomically.
#[tauri::command]
async fn profile_write(run_id: String, request: ProfileRequest, state: State<'_, AppState>) -> Result<WriteReport, CommandError> {
    let opts = profile_options(&run_id, &request, &state).await?;
    Ok(state.engine().await?.write_profile(&run_id, &opts, &aws_files(&home_dir())).await?.1)
}

/// Test connection for any credentials: the identity in use, an access key (pasted
/// or from the keychain), and optionally a role with its External ID.
#[tauri::command]
async fn test_connection(request: TestRequest, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<TestOutcome, CommandError> {
    Ok(state.engine_to(on_event).await?.test_connection(&request).await?)
}

/// Test connection for a run: its key from the keychain, its role with its External ID.
#[tauri::command]
async fn test_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<VerifyReport, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let req = TestRequest::for_run(&engine.journal(&run_id)?);
    Ok(engine.test_connection(&req).await?.connection)
}

/// Rotate a run's access key (create, store, wait, switch profiles, retire the old one).
#[tauri::command]
async fn rotate_key(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RotationReport, CommandError> {
    Ok(state.engine_to(on_event).await?.rotate_key(&run_id, &RotateOptions::default()).await?)
}

pub fn run() {
    startup_mark("main");
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            app.manage(AppState::from_env(app.path().resource_dir().ok()));
            app.manage(PlanState::default());
            app.manage(clipboard::Shared::default());
            startup_mark("setup");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            templates,
            load_template,
            new_external_id,
            identity_sources,
            connect,
            plan,
            start_run,
            apply_run,
            cancel_run,
            verify_run,
            rollback_run,
            runs,
            run_detail,
            export_preview,
            export_copy,
            export_save,
            profile_preview,
            profile_write,
            test_connection,
            test_run,
            rotate_key,
            settings::settings_get,
            settings::settings_set,
            ui_ready
        ])
        .build(tauri::generate_context!())
        .expect("error while starting Rolegate")
        .run(|app, event| {
            if let RunEvent::ExitRequested { .. } | RunEvent::Exit = event {
                clipboard::on_quit(app.state::<clipboard::Shared>().inner().clone(), app.clone());
            }
        });
}

/// What Rolegate sets for WebKitGTK before it starts, unless the person has set it:
/// WebKit's non-composited rendering. Its default composites through OpenGL, and where
/// that GL is software (llvmpipe: virtual machines, remote desktops, Xvfb) painting this
/// app's forms costs about 50 MB more memory in the web process and a GL set-up at
/// start, for nothing a form wizard shows (docs/PERFORMANCE.md has the figures). To get
/// WebKit's default back, start the app with `WEBKIT_DISABLE_COMPOSITING_MODE=0`.
/// `is_set` says whether a variable is already in the environment.
pub fn webkit_renderer_env(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    [("WEBKIT_DISABLE_COMPOSITING_MODE", "1")].into_iter().filter(|(name, _)| !is_set(name)).collect()
}

/// With `ROLEGATE_READY_MARK` set (only the start-up benchmark sets it), a line
/// `ROLEGATE_MARKS name=<ms since the Unix epoch>` on stderr for one step of start-up.
fn startup_mark(name: &str) {
    if std::env::var_os("ROLEGATE_READY_MARK").is_some() {
        let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        eprintln!("ROLEGATE_MARKS {name}={ms:.1}");
    }
}

/// The UI's first screen is interactive. With `ROLEGATE_READY_MARK` set, a line
/// `ROLEGATE_READY` goes to stdout (the start-up benchmark waits for it), after the
/// page's own marks on stderr: `origin`, its navigation start in ms since the Unix
/// epoch, and the others (sent as ms after it) put on the same line.
#[tauri::command]
fn ui_ready(marks: Vec<(String, f64)>) {
    if std::env::var_os("ROLEGATE_READY_MARK").is_some() {
        use std::io::Write;
        let origin = marks.iter().find(|(k, _)| k == "origin").map_or(0.0, |(_, v)| *v);
        let marks: Vec<String> =
            marks.iter().map(|(k, v)| if k == "origin" { format!("{k}={v:.1}") } else { format!("{k}={:.1}", origin + v) }).collect();
        eprintln!("ROLEGATE_MARKS {}", marks.join(" "));
        startup_mark("answered");
        let mut out = std::io::stdout();
        let _ = writeln!(out, "ROLEGATE_READY");
        let _ = out.flush();
    }
}

#[derive(clap::Parser)]
#[command(name = "rolegate-app", about = "Rolegate's desktop app; with credential-process it answers the AWS CLI and SDKs")]
struct CredentialProcessArgs {
    #[arg(long)]
    home: Option<PathBuf>,
    #[arg(long, default_value = rolegate_vault::SERVICE)]
    keychain_service: String,
    #[command(subcommand)]
    command: CredentialProcessCommand,
}

#[derive(clap::Subcommand)]
enum CredentialProcessCommand {
    /// Print the credential_process JSON for a run's key, its secret from the keychain.
    CredentialProcess {
        #[arg(long, conflicts_with = "access_key_id", required_unless_present = "access_key_id")]
        run: Option<String>,
        #[arg(long)]
        access_key_id: Option<String>,
    },
}

/// Whether the command line asks for `credential-process` instead of the window.
pub fn is_credential_process(args: &[String]) -> bool {
    args.iter().any(|a| a == "credential-process")
}

/// `credential_process` for profiles the app wrote: `rolegate-app --home H
/// [--keychain-service S] credential-process --run RUN_ID`, the same command line as
/// the CLI's. Prints the JSON the AWS CLI and SDKs read; no window opens. Returns the
/// exit code.
pub fn credential_process(args: &[String]) -> i32 {
    use clap::Parser;
    let a = match CredentialProcessArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return 2;
        }
    };
    let CredentialProcessCommand::CredentialProcess { run, access_key_id } = a.command;
    let home = a.home.unwrap_or_else(|| AppState::from_env(None).home);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rolegate credential-process: {e}");
            return 1;
        }
    };
    let vault = Keychain::with_service(&a.keychain_service);
    match rt.block_on(credential_process_json(&store_at(&home), &vault, run.as_deref(), access_key_id.as_deref())) {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(e) => {
            eprintln!("rolegate credential-process: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod acl_tests {
    /// Every registered command has its own permission, and the window's capability
    /// grants exactly those plus the plugin permissions the UI uses, nothing more.
    #[test]
    fn the_capability_grants_exactly_the_commands_the_app_registers() {
        let src = include_str!("lib.rs");
        let start = src.find("generate_handler![").expect("handler list") + "generate_handler![".len();
        let end = start + src[start..].find(']').expect("end of handler list");
        // A command in a module (`settings::settings_get`) is named without its path.
        let mut commands: Vec<String> = src[start..end]
            .split(',')
            .map(|s| s.trim().rsplit("::").next().unwrap_or_default().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        commands.sort();

        let perms: toml::Value = toml::from_str(include_str!("../permissions/commands.toml")).expect("permissions toml");
        let mut granted_by: Vec<(String, String)> = perms["permission"]
            .as_array()
            .expect("permissions")
            .iter()
            .map(|p| {
                let allow = p["commands"]["allow"].as_array().expect("allow list");
                assert_eq!(allow.len(), 1, "one command per permission: {p:?}");
                (allow[0].as_str().unwrap().to_string(), p["identifier"].as_str().unwrap().to_string())
            })
            .collect();
        granted_by.sort();
        assert_eq!(granted_by.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(), commands, "a permission for every command");

        let cap: serde_json::Value = serde_json::from_str(include_str!("../capabilities/default.json")).expect("capability json");
        let mut listed: Vec<String> = cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
        listed.sort();
        let mut want: Vec<String> = granted_by.into_iter().map(|(_, id)| id).collect();
        want.sort();
        // No plugin command at all: settings, dialogs and the clipboard go through Rust.
        assert!(listed.iter().all(|p| !p.contains(':')), "a plugin permission in the capability: {listed:?}");
        assert_eq!(listed, want);
    }
}

#[cfg(test)]
mod renderer_tests {
    use super::webkit_renderer_env;

    #[test]
    fn webkit_rendering_is_set_only_where_the_person_has_not_chosen() {
        assert_eq!(webkit_renderer_env(|_| false), vec![("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]);
        assert!(webkit_renderer_env(|name| name == "WEBKIT_DISABLE_COMPOSITING_MODE").is_empty());
    }
}
