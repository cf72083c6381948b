//! The app's settings and its index of runs: one JSON file at a fixed place in the app's
//! data folder, read and written only here. The page asks for the whole settings object
//! and sends typed, validated changes; it never names a file. No secret is kept: the
//! last identity is remembered by kind and profile name only, and the run index (which
//! runs the app started, under which identity) is written by `start_run`, not the page.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use rolegate_core::fs::write_private_atomic;
use rolegate_core::validate::FieldError;
use rolegate_core::RunError;

use crate::error::CommandError;

/// The settings file's name inside the app's data folder (the name tauri-plugin-store
/// used before, so settings written by earlier versions are read).
pub const FILE_NAME: &str = "settings.json";
/// How many runs the index remembers (newest first).
pub const MAX_INDEXED_RUNS: usize = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// The identity chosen last, without anything secret (pasted keys are not remembered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RememberedIdentity {
    Profile { profile: String },
    Environment,
    Sandbox,
}

/// A run the app started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IndexedRun {
    pub run_id: String,
    pub template: String,
    /// The identity's label (`profile ops`, `Sandbox`).
    pub identity: String,
    /// RFC 3339.
    pub started_at: String,
}

/// Everything the app keeps between sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Settings {
    pub theme: Theme,
    pub last_identity: Option<RememberedIdentity>,
    pub runs: Vec<IndexedRun>,
}

/// What the page may change: each field given replaces the stored one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SettingsUpdate {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub theme: Option<Theme>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub last_identity: Option<RememberedIdentity>,
}

fn file<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Result<PathBuf, CommandError> {
    use tauri::Manager;
    let dir = app.path().app_data_dir().map_err(|e| CommandError::new("settings", format!("the app's data folder is unknown: {e}")))?;
    Ok(path_in(&dir))
}

/// All the settings in one answer (start-up waits for it).
#[tauri::command]
pub fn settings_get(app: tauri::AppHandle) -> Result<Settings, CommandError> {
    Ok(read(&file(&app)?))
}

/// Change the theme or the remembered identity; returns the settings now in force.
#[tauri::command]
pub fn settings_set(app: tauri::AppHandle, change: SettingsUpdate) -> Result<Settings, CommandError> {
    update(&file(&app)?, change)
}

/// The settings file at `dir`, the app's data folder.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// The settings in the file; a missing file, or a value that does not read, is the default.
pub fn read(path: &Path) -> Settings {
    let Ok(text) = std::fs::read_to_string(path) else { return Settings::default() };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else { return Settings::default() };
    let get = |k: &str| map.get(k).cloned();
    Settings {
        theme: get("theme").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
        last_identity: get("lastIdentity").and_then(|v| serde_json::from_value(v).ok()).filter(|i| validate_identity(i).is_ok()),
        runs: get("runs").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
    }
}

fn write(path: &Path, s: &Settings) -> Result<(), CommandError> {
    let text = serde_json::to_string_pretty(s).map_err(|e| CommandError::new("internal", e.to_string()))?;
    // Atomic and 0600: a rename replaces a symlink at the path instead of writing through it.
    write_private_atomic(path, text.as_bytes())
        .map_err(|e| CommandError::new("settings", format!("{} could not be written: {e}", path.display())))
}

fn validate_identity(i: &RememberedIdentity) -> Result<(), FieldError> {
    if let RememberedIdentity::Profile { profile } = i {
        let field = "lastIdentity.profile";
        if profile.is_empty() || profile.chars().count() > 128 {
            return Err(FieldError::new(field, "length", "a profile name is 1 to 128 characters"));
        }
        if profile.chars().any(|c| c.is_control() || c == '[' || c == ']') {
            return Err(FieldError::new(field, "charset", "a profile name holds no control characters and no '[' or ']'"));
        }
    }
    Ok(())
}

/// Apply the page's change and write the file; returns the settings now in force.
pub fn update(path: &Path, change: SettingsUpdate) -> Result<Settings, CommandError> {
    let mut s = read(path);
    if let Some(i) = &change.last_identity {
        validate_identity(i).map_err(|f| CommandError::from(RunError::Invalid(vec![f])))?;
    }
    if let Some(t) = change.theme {
        s.theme = t;
    }
    if let Some(i) = change.last_identity {
        s.last_identity = Some(i);
    }
    write(path, &s)?;
    Ok(s)
}

/// Put a run at the top of the index (once), keeping the newest `MAX_INDEXED_RUNS`.
pub fn index_run(path: &Path, run: IndexedRun) -> Result<(), CommandError> {
    let mut s = read(path);
    s.runs.retain(|r| r.run_id != run.run_id);
    s.runs.insert(0, run);
    s.runs.truncate(MAX_INDEXED_RUNS);
    write(path, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str) -> IndexedRun {
        IndexedRun { run_id: id.into(), template: "t".into(), identity: "Sandbox".into(), started_at: "2024-01-01T00:00:00Z".into() }
    }

    #[test]
    fn settings_round_trip_and_earlier_files_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_in(dir.path());
        assert_eq!(read(&p), Settings::default());
        // What tauri-plugin-store wrote before: the same keys, plus one we no longer know.
        std::fs::write(&p, r#"{"theme":"dark","lastIdentity":{"kind":"profile","profile":"ops"},"runs":[],"other":1}"#).unwrap();
        let s = read(&p);
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(s.last_identity, Some(RememberedIdentity::Profile { profile: "ops".into() }));
        let s = update(&p, SettingsUpdate { theme: Some(Theme::Light), last_identity: None }).unwrap();
        assert_eq!((s.theme, s.last_identity.clone()), (Theme::Light, Some(RememberedIdentity::Profile { profile: "ops".into() })));
        assert_eq!(read(&p), s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn the_page_cannot_store_a_secret_or_an_unknown_field() {
        // A pasted key is not an identity the settings remember.
        let keys = serde_json::json!({"lastIdentity": {"kind": "keys", "access_key_id": "AKIA", "secret": "s"}});
        assert!(serde_json::from_value::<SettingsUpdate>(keys).is_err());
        let smuggled = serde_json::json!({"lastIdentity": {"kind": "profile", "profile": "ops", "secret": "s"}});
        assert!(serde_json::from_value::<SettingsUpdate>(smuggled).is_err());
        let path = serde_json::json!({"theme": "dark", "path": "/etc/passwd"});
        assert!(serde_json::from_value::<SettingsUpdate>(path).is_err());
        let bad = serde_json::json!({"theme": "blue"});
        assert!(serde_json::from_value::<SettingsUpdate>(bad).is_err());

        let dir = tempfile::tempdir().unwrap();
        let e = update(
            &path_in(dir.path()),
            SettingsUpdate { theme: None, last_identity: Some(RememberedIdentity::Profile { profile: "a\nb".into() }) },
        )
        .unwrap_err();
        assert_eq!(e.fields[0].field, "lastIdentity.profile");
        assert!(!path_in(dir.path()).exists(), "nothing is written for a refused change");
    }

    #[test]
    fn the_run_index_keeps_each_run_once_newest_first_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_in(dir.path());
        update(&p, SettingsUpdate { theme: Some(Theme::Dark), last_identity: None }).unwrap();
        for i in 0..MAX_INDEXED_RUNS + 5 {
            index_run(&p, run(&format!("rg-{i}"))).unwrap();
        }
        index_run(&p, run("rg-3")).unwrap();
        let s = read(&p);
        assert_eq!(s.runs.len(), MAX_INDEXED_RUNS);
        assert_eq!(s.runs[0].run_id, "rg-3");
        assert_eq!(s.runs.iter().filter(|r| r.run_id == "rg-3").count(), 1);
        assert_eq!(s.theme, Theme::Dark, "indexing keeps the other settings");
    }
}
