//! Private files written atomically: every file Rolegate writes that may hold a secret
//! or a run's record (journals, the secrets index, rotation state, AWS profile files,
//! exports, settings) goes through here: a temporary file in the target's folder, mode
//! 0600 from its creation, flushed and synced, then renamed over the target, so a reader
//! never sees half a file and nobody else can read it at any moment.

use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

/// The folder `path` is in; a bare file name is in the current folder.
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A temporary file in `dir` holding `bytes`, mode 0600 (tempfile creates it so on
/// Unix), flushed and synced; the caller renames it into place.
pub fn private_temp_in(dir: &Path, bytes: &[u8]) -> std::io::Result<NamedTempFile> {
    let mut tmp = NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Write `bytes` to `path` atomically with mode 0600. A missing folder is created as
/// usual; Rolegate's own folders are made private by their stores
/// (`home::ensure_private_dir`), not here, since `path` may be anywhere.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with_mode(path, bytes, None)
}

/// `write_private_atomic`, but the file gets `mode` (Unix permission bits) instead of
/// 0600, set on the temporary file before the rename: for a file that holds no secret
/// and keeps the mode the person gave it (the AWS config file). Ignored off Unix.
pub fn write_atomic_with_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(dir)?;
    let tmp = private_temp_in(dir, bytes)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The permission bits of an existing file (Unix); `None` when it does not exist or
/// off Unix.
pub fn existing_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_private_write_replaces_the_file_with_a_0600_one_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.json");
        write_private_atomic(&p, b"one").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(mode(&p), 0o600, "a wider file is replaced by a private one");
        assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 1, "no temporary file is left");
    }

    #[test]
    fn a_kept_mode_is_the_files_from_the_first_moment() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        write_atomic_with_mode(&p, b"[default]\n", Some(0o644)).unwrap();
        assert_eq!(mode(&p), 0o644);
        assert_eq!(existing_mode(&p), Some(0o644));
        assert_eq!(existing_mode(&dir.path().join("none")), None);
    }
}
