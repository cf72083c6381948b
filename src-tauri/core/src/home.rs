//! The Rolegate home (journals, the index of stored secrets, rotations, the Sandbox):
//! where it is (`Home`, one rule for the CLI and the app), and that it and its folders
//! are the person's alone: created with mode 0700 on Unix, and tightened to 0700 when
//! found wider, with a note saying so.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use crate::journal::FileJournalStore;

/// The variable that names the home when the command line does not (`--home`).
pub const HOME_ENV: &str = "ROLEGATE_HOME";

/// Where a Rolegate home is, and its parts. The CLI and the app find theirs with
/// [`Home::locate`], so a run begun in one shows in the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home(PathBuf);

impl Home {
    /// A home at `path`, as given.
    pub fn at(path: impl Into<PathBuf>) -> Home {
        Home(path.into())
    }

    /// The home by the front ends' rule: `flag` (`--home`) if given; else `env`
    /// (`ROLEGATE_HOME`) unless it is empty; else `rolegate` in the platform's data
    /// folder `data_dir` (`~/.local/share` on Linux); else `rolegate` in the current folder.
    pub fn resolve(flag: Option<PathBuf>, env: Option<OsString>, data_dir: Option<PathBuf>) -> Home {
        if let Some(path) = flag {
            return Home(path);
        }
        match env {
            Some(v) if !v.is_empty() => Home(PathBuf::from(v)),
            _ => Home(data_dir.unwrap_or_else(|| PathBuf::from(".")).join("rolegate")),
        }
    }

    /// [`Home::resolve`] with this process's `ROLEGATE_HOME` and the platform's data folder.
    pub fn locate(flag: Option<PathBuf>) -> Home {
        Home::resolve(flag, std::env::var_os(HOME_ENV), dirs::data_dir())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The journals' folder.
    pub fn runs(&self) -> PathBuf {
        self.0.join("runs")
    }

    /// The fleets' journals.
    pub fn fleets(&self) -> PathBuf {
        self.0.join("fleets")
    }

    /// The journals.
    pub fn journal_store(&self) -> FileJournalStore {
        FileJournalStore::new(self.runs())
    }

    /// The records of key rotations for users no run made.
    pub fn rotations(&self) -> PathBuf {
        self.0.join("rotations")
    }

    /// The index of the secrets stored in the keychain (names and times, no secret).
    pub fn secrets_index(&self) -> PathBuf {
        self.0.join("secrets.json")
    }

    /// Which Seqera Platform URL is signed in, and as whom (no secret: the token is in
    /// the keychain).
    pub fn platform_session(&self) -> PathBuf {
        self.0.join("seqera.json")
    }

    /// The Sandbox's own home (its runs never mix with real ones) and the emulator's log.
    pub fn sandbox(&self) -> Home {
        Home(self.0.join("sandbox"))
    }
}

/// The folders of the home Rolegate keeps private when they exist.
pub const FOLDERS: &[&str] = &["runs", "fleets", "rotations", "sandbox"];

/// A folder that others could read or enter, and that is now 0700.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    /// Its permission bits before.
    pub mode: u32,
}

impl Tightened {
    pub fn describe(&self) -> String {
        format!("{} was open to other users (mode {:04o}); it is now private (0700)", self.path.display(), self.mode)
    }
}

/// Create `dir` and any missing parent with mode 0700 (Unix), or tighten an existing
/// `dir` that others may read, write or enter. Returns what was tightened.
pub fn ensure_private_dir(dir: &Path) -> io::Result<Option<Tightened>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            return Ok(Some(Tightened { path: dir.to_path_buf(), mode }));
        }
        Ok(None)
    }
    #[cfg(not(unix))]
    {
        // Windows: the per-user data folder is already private to its owner.
        std::fs::create_dir_all(dir)?;
        Ok(None)
    }
}

/// Make the home private (creating it if needed) and tighten those of its `FOLDERS`
/// that exist. Returns every folder tightened, so the caller can say so.
pub fn secure_home(home: &Path) -> io::Result<Vec<Tightened>> {
    let mut out: Vec<Tightened> = ensure_private_dir(home)?.into_iter().collect();
    for name in FOLDERS {
        let dir = home.join(name);
        if dir.is_dir() {
            out.extend(ensure_private_dir(&dir)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod locate_tests {
    use super::*;

    fn data() -> Option<PathBuf> {
        Some(PathBuf::from("/data"))
    }

    #[test]
    fn home_flag_wins_over_the_environment() {
        let home = Home::resolve(Some("/flag".into()), Some("/env".into()), data());
        assert_eq!(home.path(), Path::new("/flag"));
    }

    #[test]
    fn home_from_rolegate_home_without_a_flag() {
        assert_eq!(Home::resolve(None, Some("/env".into()), data()).path(), Path::new("/env"));
    }

    #[test]
    fn home_defaults_to_rolegate_in_the_platform_data_folder() {
        assert_eq!(Home::resolve(None, None, data()).path(), Path::new("/data/rolegate"));
    }

    #[test]
    fn home_with_an_empty_rolegate_home_is_the_default() {
        assert_eq!(Home::resolve(None, Some("".into()), data()).path(), Path::new("/data/rolegate"));
    }

    #[test]
    fn home_without_a_platform_data_folder_is_in_the_current_folder() {
        assert_eq!(Home::resolve(None, None, None).path(), Path::new("./rolegate"));
    }

    #[test]
    fn home_parts_are_the_folders_the_engine_and_both_front_ends_use() {
        let h = Home::at("/h");
        assert_eq!(
            [h.runs(), h.fleets(), h.rotations(), h.secrets_index(), h.sandbox().path().to_path_buf()],
            [PathBuf::from("/h/runs"), "/h/fleets".into(), "/h/rotations".into(), "/h/secrets.json".into(), "/h/sandbox".into()]
        );
        for name in FOLDERS {
            assert!([h.runs(), h.fleets(), h.rotations(), h.sandbox().path().to_path_buf()].contains(&h.path().join(name)), "{name}");
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_home_and_its_missing_parents_are_0700() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("a/b/rolegate");
        assert_eq!(ensure_private_dir(&home).unwrap(), None, "a folder made private is not reported as tightened");
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
    }

    #[test]
    fn an_open_home_and_its_folders_are_tightened_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("rolegate");
        for d in ["", "runs", "rotations", "sandbox", "other"] {
            std::fs::create_dir_all(home.join(d)).unwrap();
            std::fs::set_permissions(home.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(home.join("rotations"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let tightened = secure_home(&home).unwrap();
        let paths: Vec<_> = tightened.iter().map(|t| t.path.clone()).collect();
        assert_eq!(paths, [home.clone(), home.join("runs"), home.join("sandbox")]);
        assert!(tightened[0].describe().contains("0755"), "{}", tightened[0].describe());
        for d in ["", "runs", "rotations", "sandbox"] {
            assert_eq!(mode(&home.join(d)), 0o700, "{d}");
        }
        assert_eq!(mode(&home.join("other")), 0o755, "folders Rolegate does not own are left alone");
        assert!(secure_home(&home).unwrap().is_empty(), "a private home is left as it is");
    }
}
