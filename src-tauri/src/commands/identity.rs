//! The Identity screen: what identities are on offer, and `connect`, which resolves the
//! chosen one, says who it is, and makes it the session's.

use std::sync::Arc;

use tauri::State;

use rolegate_aws::{environment_source, AwsConnect, ConnectOptions};
use rolegate_core::engine::exports::aws_files;
use rolegate_core::export::profile::describe_profiles;
use rolegate_core::ports::{Credentials, Vault};
use rolegate_core::propagation::PollSettings;
use rolegate_core::{Engine, RunError};
use rolegate_vault::Keychain;

use crate::error::CommandError;
use crate::models::{IdentityChoice, IdentitySources, SessionInfo};
use crate::sandbox;
use crate::state::{home_dir, AppState, Session};

#[tauri::command]
pub async fn identity_sources(app: tauri::AppHandle, state: State<'_, AppState>) -> Result<IdentitySources, CommandError> {
    let environment = environment_source().await.map(|s| s.to_string());
    let script = sandbox::locate(state.resource_dir(&app));
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
pub async fn connect(app: tauri::AppHandle, choice: IdentityChoice, state: State<'_, AppState>) -> Result<SessionInfo, CommandError> {
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
            let sb = sandbox::identity(&state, state.resource_dir(&app)).await?;
            home = sb.home;
            service = sb.keychain_service;
            notice = sb.notice;
            (sb.connect, "Sandbox".to_string(), true)
        }
    };
    let region = connect.region();
    let source = connect.source().to_string();
    let engine = Engine::with_home(
        Arc::new(connect),
        Arc::new(Keychain::with_service(&service)),
        home.path(),
        rolegate_core::events::discard(),
        PollSettings::default(),
    );
    let who = engine.identity().await?;
    // A pasted secret is kept only once its key has signed in.
    if let Some(creds) = to_store {
        engine.store_key_secret(&creds.access_key_id, &creds.secret_access_key).await?;
        notice = Some(format!("the secret of {} is stored in {}", creds.access_key_id, Vault::describe(engine.vault.as_ref())));
    }
    let info = SessionInfo { who, label, source, sandbox: is_sandbox, region, home: home.path().display().to_string(), notice };
    *state.session.lock().await = Some(Session { engine, info: info.clone(), home, keychain_service: service });
    Ok(info)
}
