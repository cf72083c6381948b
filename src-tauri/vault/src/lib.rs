//! The secret vault over the OS keychain: the Secret Service (GNOME Keyring, KWallet)
//! on Linux, the login Keychain on macOS, Credential Manager on Windows. On Linux the
//! kernel keyutils store is deliberately not used: it does not survive a reboot.
//!
//! Entries: service `rolegate`, account `aws-secret-access-key/<ACCESS_KEY_ID>`.

use async_trait::async_trait;
use rolegate_core::ports::{Vault, VaultError};
use secrecy::{ExposeSecret, SecretString};

/// The keychain service name every Rolegate entry uses.
pub const SERVICE: &str = "rolegate";

/// The OS keychain.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain { service: SERVICE.into() }
    }
}

impl Keychain {
    /// A keychain with another service name (tests use one per run).
    pub fn with_service(service: impl Into<String>) -> Self {
        Keychain { service: service.into() }
    }
}

fn map(e: keyring::Error) -> VaultError {
    match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => VaultError::Unavailable(e.to_string()),
        other => VaultError::Refused(other.to_string()),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, keyring::Error> + Send + 'static) -> Result<T, keyring::Error> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(keyring::Error::PlatformFailure(Box::new(std::io::Error::other(e.to_string())))))
}

#[async_trait]
impl Vault for Keychain {
    async fn put(&self, entry: &str, secret: &SecretString) -> Result<(), VaultError> {
        let (svc, user) = (self.service.clone(), entry.to_string());
        let value = secret.expose_secret().to_string();
        blocking(move || keyring::Entry::new(&svc, &user)?.set_password(&value)).await.map_err(map)?;
        // Read it back: a keychain that silently drops writes must not pass for one that keeps them.
        match self.get(entry).await? {
            Some(s) if s.expose_secret() == secret.expose_secret() => Ok(()),
            _ => Err(VaultError::Refused(format!("the entry {entry} did not read back after writing"))),
        }
    }

    async fn get(&self, entry: &str) -> Result<Option<SecretString>, VaultError> {
        let (svc, user) = (self.service.clone(), entry.to_string());
        match blocking(move || keyring::Entry::new(&svc, &user)?.get_password()).await {
            Ok(s) => Ok(Some(SecretString::from(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map(e)),
        }
    }

    async fn delete(&self, entry: &str) -> Result<bool, VaultError> {
        let (svc, user) = (self.service.clone(), entry.to_string());
        match blocking(move || keyring::Entry::new(&svc, &user)?.delete_credential()).await {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map(e)),
        }
    }

    fn describe(&self) -> String {
        let store = if cfg!(target_os = "macos") {
            "the macOS Keychain"
        } else if cfg!(target_os = "windows") {
            "Windows Credential Manager"
        } else {
            "the Secret Service keyring"
        };
        format!("{store} (service {:?})", self.service)
    }
}
