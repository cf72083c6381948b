//! Which secrets Rolegate keeps in the keychain. Keychains cannot be listed portably, so
//! beside them an index file records each entry's name, access key id and the time it
//! was stored (never the secret). `IndexedVault` keeps the index in step with every
//! write and delete; `rolegate secrets list` reads it and checks each entry is really
//! there. Also what both front ends do with stored secrets: the `credential_process`
//! answer, the list, and a deletion refused while a live run uses the key.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::engine::invalid;
use crate::error::RunError;
use crate::fs::write_private_atomic;
use crate::journal::{JournalStore, RunStatus};
use crate::ports::{vault_entry, Clock, Vault, VaultError, VAULT_ENTRY_PREFIX};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
    /// The keychain entry (`aws-secret-access-key/<id>`).
    pub entry: String,
    pub access_key_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub stored_at: OffsetDateTime,
}

/// The index file (`secrets.json` in the Rolegate home, mode 0600).
pub struct SecretIndex {
    path: PathBuf,
    lock: Mutex<()>,
}

impl SecretIndex {
    pub fn new(path: impl Into<PathBuf>) -> SecretIndex {
        SecretIndex { path: path.into(), lock: Mutex::new(()) }
    }

    pub fn load(&self) -> Vec<SecretRecord> {
        std::fs::read_to_string(&self.path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut Vec<SecretRecord>)) -> std::io::Result<()> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut all = self.load();
        f(&mut all);
        if let Some(home) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::home::ensure_private_dir(home)?;
        }
        write_private_atomic(&self.path, serde_json::to_string_pretty(&all).expect("json").as_bytes())
    }
}

/// A vault that records what it holds in a `SecretIndex`.
pub struct IndexedVault {
    pub inner: Arc<dyn Vault>,
    pub index: Arc<SecretIndex>,
    pub clock: Arc<dyn Clock>,
}

fn key_id(entry: &str) -> String {
    entry.strip_prefix(VAULT_ENTRY_PREFIX).unwrap_or(entry).to_string()
}

#[async_trait]
impl Vault for IndexedVault {
    async fn put(&self, entry: &str, secret: &SecretString) -> Result<(), VaultError> {
        self.inner.put(entry, secret).await?;
        let rec = SecretRecord { entry: entry.into(), access_key_id: key_id(entry), stored_at: self.clock.now() };
        self.index
            .update(|all| {
                all.retain(|r| r.entry != entry);
                all.push(rec);
            })
            .map_err(|e| VaultError::Refused(format!("the secret is stored, but the index of stored secrets could not be written: {e}")))
    }
    async fn get(&self, entry: &str) -> Result<Option<SecretString>, VaultError> {
        self.inner.get(entry).await
    }
    async fn delete(&self, entry: &str) -> Result<bool, VaultError> {
        let existed = self.inner.delete(entry).await?;
        self.index.update(|all| all.retain(|r| r.entry != entry)).map_err(|e| {
            VaultError::Refused(format!("the secret is deleted, but the index of stored secrets could not be written: {e}"))
        })?;
        Ok(existed)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// One line of `rolegate secrets list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SecretListing {
    pub access_key_id: String,
    pub entry: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub stored_at: OffsetDateTime,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub age_days: i64,
    /// Whether the keychain still holds it (an entry can be removed by other tools).
    pub present: bool,
    /// The runs whose live access key this is.
    pub runs: Vec<String>,
}

/// The `credential_process` answer for a run's current key (or a named key): the JSON
/// the AWS CLI and SDKs read, its secret from the keychain. No AWS call is made.
pub async fn credential_process_json(
    store: &dyn JournalStore,
    vault: &dyn Vault,
    run_id: Option<&str>,
    access_key_id: Option<&str>,
) -> Result<String, RunError> {
    let id = match (run_id, access_key_id) {
        (_, Some(id)) => id.to_string(),
        (Some(run), None) => store
            .load(run)?
            .access_key_id
            .ok_or_else(|| RunError::NoAccessKey { run_id: run.into(), why: "rolled back, or not applied yet".into() })?,
        (None, None) => return Err(invalid("run", "required", "give --run RUN_ID or --access-key-id ID")),
    };
    let secret = vault.get(&vault_entry(&id)).await?.ok_or_else(|| RunError::SecretMissing {
        keychain: vault.describe(),
        access_key_id: id.clone(),
        entry: vault_entry(&id),
    })?;
    Ok(serde_json::json!({ "Version": 1, "AccessKeyId": id, "SecretAccessKey": secret.expose_secret() }).to_string())
}

/// The secrets Rolegate keeps (ids, ages, whether the keychain still holds each, the
/// live runs that use it), from the index beside the journals. No AWS call is made.
pub async fn secret_listings(
    store: &dyn JournalStore,
    vault: &dyn Vault,
    index: &SecretIndex,
    now: time::OffsetDateTime,
) -> Result<Vec<SecretListing>, RunError> {
    let runs = store.list()?;
    let mut out = Vec::new();
    for r in index.load() {
        let present = vault.get(&r.entry).await?.is_some();
        out.push(SecretListing {
            runs: runs
                .iter()
                .filter(|j| j.access_key_id.as_deref() == Some(r.access_key_id.as_str()) && j.status != RunStatus::RolledBack)
                .map(|j| j.run_id.clone())
                .collect(),
            present,
            age_days: (now - r.stored_at).whole_days(),
            access_key_id: r.access_key_id,
            entry: r.entry,
            stored_at: r.stored_at,
        });
    }
    Ok(out)
}

/// Delete a stored secret; refused while a live run uses the key unless `force`.
/// Returns whether the keychain held it.
pub async fn delete_secret(store: &dyn JournalStore, vault: &dyn Vault, access_key_id: &str, force: bool) -> Result<bool, RunError> {
    let users: Vec<String> = store
        .list()?
        .into_iter()
        .filter(|j| j.access_key_id.as_deref() == Some(access_key_id) && j.status != RunStatus::RolledBack)
        .map(|j| j.run_id)
        .collect();
    if !users.is_empty() && !force {
        return Err(RunError::SecretInUse { access_key_id: access_key_id.into(), runs: users });
    }
    Ok(vault.delete(&vault_entry(access_key_id)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::vault_entry;
    use crate::testing::{ManualClock, MemoryVault};

    #[tokio::test]
    async fn the_index_follows_puts_and_deletes_and_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let index = Arc::new(SecretIndex::new(dir.path().join("secrets.json")));
        let v = IndexedVault { inner: Arc::new(MemoryVault::default()), index: index.clone(), clock: Arc::new(ManualClock::new()) };
        v.put(&vault_entry("AKIA1"), &SecretString::from("s3cr3t-one".to_string())).await.unwrap();
        v.put(&vault_entry("AKIA2"), &SecretString::from("s3cr3t-two".to_string())).await.unwrap();
        v.put(&vault_entry("AKIA1"), &SecretString::from("s3cr3t-one".to_string())).await.unwrap();
        let ids: Vec<String> = index.load().into_iter().map(|r| r.access_key_id).collect();
        assert_eq!(ids, ["AKIA2", "AKIA1"]);
        assert!(v.delete(&vault_entry("AKIA2")).await.unwrap());
        assert_eq!(index.load().len(), 1);
        let text = std::fs::read_to_string(dir.path().join("secrets.json")).unwrap();
        assert!(!text.contains("s3cr3t"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.path().join("secrets.json")).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
