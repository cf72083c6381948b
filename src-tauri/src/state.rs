//! What the app holds between commands: the default home and keychain service, the
//! identity in use (its engine), the Sandbox once started, the runs being applied (to
//! cancel them), and the templates and plans Rust keeps for the page (plans.rs).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tauri::ipc::Channel;
use tokio::sync::Mutex;

use rolegate_core::events::{Event, EventSink};
use rolegate_core::home::Home;
use rolegate_core::{CancellationToken, Engine};

use crate::error::CommandError;
use crate::models::SessionInfo;
use crate::plans::Plans;
use crate::sandbox;

/// The identity in use: its engine, what the page shows of it, and where its runs and
/// secrets live (the Sandbox keeps its own).
pub struct Session {
    pub engine: Engine,
    pub info: SessionInfo,
    pub home: Home,
    pub keychain_service: String,
}

/// The app's state: the default home and keychain service, the identity in use, the
/// sandbox emulator when started, and the runs being applied (to cancel them).
pub struct AppState {
    pub home: Home,
    pub keychain_service: String,
    pub session: Mutex<Option<Session>>,
    pub sandbox: Mutex<Option<sandbox::Sandbox>>,
    pub running: std::sync::Mutex<HashMap<String, CancellationToken>>,
    pub resource_dir: Option<PathBuf>,
}

/// The templates loaded from files and the plans Review may start (plans.rs).
pub type PlanState = std::sync::Mutex<Plans>;

impl AppState {
    pub fn from_env(resource_dir: Option<PathBuf>) -> AppState {
        // The CLI's rule, without a command line: ROLEGATE_HOME, else the platform's.
        let home = Home::locate(None);
        let keychain_service = std::env::var("ROLEGATE_KEYCHAIN_SERVICE").unwrap_or_else(|_| rolegate_vault::SERVICE.to_string());
        AppState { home, keychain_service, session: Mutex::new(None), sandbox: Mutex::new(None), running: Default::default(), resource_dir }
    }

    pub async fn engine(&self) -> Result<Engine, CommandError> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| s.engine.clone())
            .ok_or_else(|| CommandError::new("no-identity", "choose the AWS identity that does the work first (Identity screen)"))
    }

    /// The engine, its events sent to the window over `channel`.
    pub async fn engine_to(&self, channel: Channel<Event>) -> Result<Engine, CommandError> {
        let mut engine = self.engine().await?;
        engine.events = channel_sink(channel);
        Ok(engine)
    }

    /// Where the app's bundled resources are (the Sandbox's emulator).
    pub fn resource_dir(&self, app: &tauri::AppHandle) -> Option<PathBuf> {
        use tauri::Manager;
        app.path().resource_dir().ok().or(self.resource_dir.clone())
    }

    /// Where runs are journaled now: the session's home, or the default one.
    pub async fn current_home(&self) -> Home {
        self.session.lock().await.as_ref().map(|s| s.home.clone()).unwrap_or_else(|| self.home.clone())
    }
}

fn channel_sink(channel: Channel<Event>) -> EventSink {
    Arc::new(move |e: &Event| {
        let _ = channel.send(e.clone());
    })
}

/// The person's home folder, where the AWS config files are.
pub fn home_dir() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("."))
}
