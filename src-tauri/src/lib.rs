//! The desktop app: thin commands over rolegate-core. Each command is a few lines; every
//! decision is the core's. Errors reach the UI as `{code, message, fields}`. Secrets
//! reach the web view only when the person reveals them; copy and save go from Rust
//! straight to the clipboard or the file.

mod sandbox;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{Manager, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokio::sync::Mutex;

use rolegate_aws::{AwsConnect, ConnectOptions};
use rolegate_core::events::{Event, EventSink};
use rolegate_core::export::profile::{self, describe_profiles, ProfileEdit, ProfileInfo, ProfileOptions, Source, WriteReport};
use rolegate_core::export::{Format, Rendered};
use rolegate_core::journal::{write_private_atomic, FileJournalStore, JournalStore, RunSummary};
use rolegate_core::plan::{Plan, RunInputs};
use rolegate_core::ports::{CallerIdentity, Credentials};
use rolegate_core::propagation::PollSettings;
use rolegate_core::rotate::{RotateOptions, RotationReport};
use rolegate_core::service::{self, aws_files, ExportRequest, TestRequest};
use rolegate_core::template::{self, Template};
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

impl CommandError {
    fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError { code: code.into(), message: message.into(), fields: Vec::new() }
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
    running: std::sync::Mutex<HashMap<String, tokio::task::AbortHandle>>,
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

/// A template from a file the person picked; validated before it is offered.
#[tauri::command]
fn load_template(path: PathBuf) -> Result<Template, CommandError> {
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CommandError::field("template_file", "read", format!("{} could not be read: {e}", path.display())))?;
    Template::from_json("template_file", &text).map_err(|f| RunError::Invalid(f).into())
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
    let environment = match (std::env::var("AWS_PROFILE"), std::env::var("AWS_ACCESS_KEY_ID")) {
        (Ok(p), _) if !p.is_empty() => Some(format!("AWS_PROFILE={p}")),
        (_, Ok(k)) if !k.is_empty() => Some(format!("AWS_ACCESS_KEY_ID={k}")),
        _ => None,
    };
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
            (AwsConnect::with_static(&s.url, "eu-west-1", &s.creds), "Sandbox".to_string(), true)
        }
    };
    let region = connect.region();
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
    let info = SessionInfo { who, label, sandbox: is_sandbox, region, home: home.display().to_string(), notice };
    *state.session.lock().await = Some(Session { engine, info: info.clone(), home, keychain_service: service });
    Ok(info)
}

/// Every call a run would make, built and validated by the core for the identity in
/// use. It makes no AWS call, so the Details screen calls it as the person types.
#[tauri::command]
async fn plan(template: Template, inputs: RunInputs, state: State<'_, AppState>) -> Result<Plan, CommandError> {
    template.validate("template").map_err(RunError::Invalid)?;
    let session = state.session.lock().await;
    let s = session.as_ref().ok_or_else(|| CommandError::new("no-identity", "choose the AWS identity that does the work first"))?;
    let e = &s.engine;
    Ok(rolegate_core::plan::build(&template, &inputs, &s.info.who, &e.entropy.run_id(), e.entropy.as_ref()).map_err(RunError::Invalid)?)
}

/// Record a confirmed plan as a run (nothing is made in AWS yet); returns its id.
#[tauri::command]
async fn start_run(plan: Plan, inputs: RunInputs, state: State<'_, AppState>) -> Result<String, CommandError> {
    Ok(state.engine().await?.start(plan, inputs)?.run_id)
}

/// Make (or finish making) a run, streaming every step and wait to the window.
/// `cancel_run` stops it; what was made stays journaled, to resume or roll back.
#[tauri::command]
async fn apply_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RunSummary, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let id = run_id.clone();
    let task = tokio::spawn(async move { engine.apply(&id, &ApplyOptions::default()).await });
    state.running.lock().expect("running lock").insert(run_id.clone(), task.abort_handle());
    let outcome = task.await;
    state.running.lock().expect("running lock").remove(&run_id);
    match outcome {
        Ok(result) => Ok(RunSummary::from(&result?)),
        Err(e) if e.is_cancelled() => Err(CommandError::new(
            "cancelled",
            format!("run {run_id} was stopped at your request. What it made so far is journaled: resume it, or roll it back."),
        )),
        Err(e) => Err(CommandError::new("internal", format!("the run stopped unexpectedly: {e}"))),
    }
}

/// Stop a run being applied. Returns whether one was running.
#[tauri::command]
fn cancel_run(run_id: String, state: State<'_, AppState>) -> bool {
    match state.running.lock().expect("running lock").remove(&run_id) {
        Some(handle) => {
            handle.abort();
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
#[tauri::command]
async fn export_copy(
    app: tauri::AppHandle,
    run_id: String,
    mut request: ExportRequest,
    state: State<'_, AppState>,
) -> Result<bool, CommandError> {
    request.reveal = true;
    let r = state.engine().await?.render_export(&run_id, &request).await?;
    app.clipboard()
        .write_text(r.text.as_str())
        .map_err(|e| CommandError::new("clipboard", format!("the clipboard refused the text: {e}")))?;
    Ok(r.holds_secret)
}

/// Save an export, secrets included, to the file the person chose (0600, atomically).
#[tauri::command]
async fn export_save(
    run_id: String,
    mut request: ExportRequest,
    path: PathBuf,
    state: State<'_, AppState>,
) -> Result<String, CommandError> {
    request.reveal = true;
    let r = state.engine().await?.render_export(&run_id, &request).await?;
    write_private_atomic(&path, r.text.as_bytes())
        .map_err(|e| CommandError::field("path", "write", format!("{} could not be written: {e}", path.display())))?;
    Ok(path.display().to_string())
}

async fn profile_options(run_id: &str, req: &ProfileRequest, state: &AppState) -> Result<ProfileOptions, CommandError> {
    let session = state.session.lock().await;
    let s = session.as_ref().ok_or_else(|| CommandError::new("no-identity", "choose the AWS identity first"))?;
    let source = if req.plain_keys {
        Source::PlainKeys
    } else {
        // The app answers credential_process itself (see main.rs), reading the keychain.
        let exe = std::env::current_exe().map_err(|e| CommandError::new("state", format!("cannot find this program's path: {e}")))?;
        let exe = exe.canonicalize().unwrap_or(exe);
        let service = (s.keychain_service != rolegate_vault::SERVICE).then_some(s.keychain_service.as_str());
        Source::CredentialProcess { command: profile::credential_process_command(&exe, &s.home, service, run_id) }
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
async fn test_connection(request: TestRequest, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<VerifyReport, CommandError> {
    Ok(state.engine_to(on_event).await?.test_connection(&request).await?)
}

/// Test connection for a run: its key from the keychain, its role with its External ID.
#[tauri::command]
async fn test_run(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<VerifyReport, CommandError> {
    let engine = state.engine_to(on_event).await?;
    let req = TestRequest::for_run(&engine.journal(&run_id)?);
    Ok(engine.test_connection(&req).await?)
}

/// Rotate a run's access key (create, store, wait, switch profiles, retire the old one).
#[tauri::command]
async fn rotate_key(run_id: String, on_event: Channel<Event>, state: State<'_, AppState>) -> Result<RotationReport, CommandError> {
    Ok(state.engine_to(on_event).await?.rotate_key(&run_id, &RotateOptions::default()).await?)
}

pub fn run() {
    startup_mark("main");
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            app.manage(AppState::from_env(app.path().resource_dir().ok()));
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
            ui_ready
        ])
        .run(tauri::generate_context!())
        .expect("error while running Rolegate");
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
    match rt.block_on(service::credential_process_json(&store_at(&home), &vault, run.as_deref(), access_key_id.as_deref())) {
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
        let mut commands: Vec<String> = src[start..end].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
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
        want.extend(
            ["store:allow-load", "store:allow-entries", "store:allow-set", "store:allow-save", "dialog:allow-open", "dialog:allow-save"]
                .map(String::from),
        );
        want.sort();
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
