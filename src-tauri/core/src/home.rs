//! The Rolegate home (journals, the index of stored secrets, rotations, the Sandbox) and
//! its folders are the person's alone: created with mode 0700 on Unix, and tightened to
//! 0700 when found wider, with a note saying so.

use std::io;
use std::path::{Path, PathBuf};

/// The folders of the home Rolegate keeps private when they exist.
pub const FOLDERS: &[&str] = &["runs", "rotations", "sandbox"];

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
