//! Backups of the AWS profile files before Rolegate rewrites them (a profile export or
//! a rotation's plain-key update). Each backup gets a name no other has: the time to the
//! microsecond and a counter, taken with a no-clobber rename, so two in the same instant
//! never overwrite each other. It is mode 0600 (the credentials file holds secrets) and
//! written atomically; at most `KEEP` are kept per file, the oldest removed first.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::fs::{folder_of, private_temp_in};

/// How many backups of one file are kept.
pub const KEEP: usize = 10;

/// What every backup of `file` is named after: `credentials.rolegate-backup-`.
fn prefix(file: &Path) -> String {
    format!("{}.rolegate-backup-", file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
}

/// `20261122T081500.123456Z`: sorts as the time does.
fn stamp(now: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:06}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

/// Where a backup's name puts it in time: its stamp, then its counter (older backups
/// without a counter count as 0).
fn order_key(name: &str, prefix: &str) -> Option<(String, u64)> {
    let rest = name.strip_prefix(prefix)?;
    Some(match rest.rsplit_once('-') {
        Some((stamp, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => (stamp.to_string(), n.parse().unwrap_or(u64::MAX)),
        _ => (rest.to_string(), 0),
    })
}

/// Write a backup of `file` holding `text` beside it, then prune its backups to `KEEP`.
/// Returns the backup's path.
pub fn back_up(file: &Path, text: &[u8], now: OffsetDateTime) -> std::io::Result<PathBuf> {
    let dir = folder_of(file);
    let base = format!("{}{}", prefix(file), stamp(now));
    // Not `fs::write_private_atomic`: a backup never replaces a file, so the private
    // temporary file is renamed without clobbering, under the next free name.
    let mut tmp = private_temp_in(dir, text)?;
    let mut n = 0u32;
    let path = loop {
        let path = dir.join(format!("{base}-{n:03}"));
        match tmp.persist_noclobber(&path) {
            Ok(_) => break path,
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                tmp = e.file;
                n += 1;
            }
            Err(e) => return Err(e.error),
        }
    };
    prune(file, KEEP)?;
    Ok(path)
}

/// The backups of `file`, oldest first.
pub fn backups_of(file: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = folder_of(file);
    let prefix = prefix(file);
    let mut found: Vec<((String, u64), PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(key) = order_key(&name, &prefix) {
            if entry.file_type()?.is_file() {
                found.push((key, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// Remove the oldest backups of `file` until `keep` are left.
fn prune(file: &Path, keep: usize) -> std::io::Result<()> {
    let all = backups_of(file)?;
    let extra = all.len().saturating_sub(keep);
    for old in &all[..extra] {
        match std::fs::remove_file(old) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_in_the_same_instant_never_overwrite_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        let paths: Vec<PathBuf> = (0..5).map(|i| back_up(&file, format!("version {i}").as_bytes(), now).unwrap()).collect();
        let unique: std::collections::HashSet<&PathBuf> = paths.iter().collect();
        assert_eq!(unique.len(), 5, "{paths:?}");
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(std::fs::read_to_string(p).unwrap(), format!("version {i}"), "{}", p.display());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(std::fs::metadata(p).unwrap().permissions().mode() & 0o777, 0o600);
            }
        }
        assert_eq!(backups_of(&file).unwrap(), paths, "oldest first");
        // Nothing but the backups is left beside the file (no temporary files).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
    }

    #[test]
    fn rapid_real_time_backups_are_all_kept_up_to_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        let paths: Vec<PathBuf> = (0..4).map(|i| back_up(&file, &[i], OffsetDateTime::now_utc()).unwrap()).collect();
        assert_eq!(backups_of(&file).unwrap(), paths);
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(std::fs::read(p).unwrap(), [i as u8]);
        }
    }

    #[test]
    fn only_the_newest_backups_are_kept_oldest_removed_first() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        // A backup from an earlier Rolegate (second-resolution name) and another file's.
        let legacy = dir.path().join("config.rolegate-backup-20200101T000000Z");
        std::fs::write(&legacy, "legacy").unwrap();
        let other = dir.path().join("credentials.rolegate-backup-20200101T000000Z");
        std::fs::write(&other, "other file").unwrap();
        let start = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        let mut made = Vec::new();
        for i in 0..(KEEP as i64 + 3) {
            let now = start + time::Duration::milliseconds(i * 7);
            made.push(back_up(&file, format!("v{i}").as_bytes(), now).unwrap());
        }
        let left = backups_of(&file).unwrap();
        assert_eq!(left.len(), KEEP);
        assert_eq!(left, made[made.len() - KEEP..], "the newest {KEEP} are kept");
        assert!(!legacy.exists(), "the oldest (the earlier Rolegate's) went first");
        assert!(other.exists(), "another file's backups are not this file's to prune");
        assert_eq!(std::fs::read_to_string(left.last().unwrap()).unwrap(), format!("v{}", KEEP + 2));
    }
}
