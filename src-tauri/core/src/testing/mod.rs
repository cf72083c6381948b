//! In-memory stand-ins for unit tests (IAM/STS in `aws`, Organizations in `organizations`, EKS in `eks`): a clock that advances only when slept on,
//! fixed randomness, a vault in memory, and a journal store that wraps a real one and
//! simulates the process dying right after its Nth write; a built-in template's plan for
//! an account, for tests of what is rendered from a plan.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::journal::{Journal, JournalStore, StoreError};
use crate::ports::{Clock, Entropy, Vault, VaultError};

pub mod aws;
pub mod eks;
pub mod organizations;
pub mod stacksets;

/// A clock whose time moves only when something sleeps on it, at once.
pub struct ManualClock {
    start: OffsetDateTime,
    elapsed_ms: AtomicU64,
}

impl ManualClock {
    pub fn new() -> Self {
        ManualClock { start: OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000), elapsed_ms: AtomicU64::new(0) }
    }
    pub fn elapsed(&self) -> Duration {
        Duration::from_millis(self.elapsed_ms.load(Ordering::SeqCst))
    }
    pub fn advance(&self, d: Duration) {
        self.elapsed_ms.fetch_add(d.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.start + self.elapsed()
    }
    async fn sleep(&self, d: Duration) {
        self.advance(d);
        tokio::task::yield_now().await;
    }
}

/// Predictable ids: run ids `rg-test000001`..., UUIDs `00000000-0000-4000-8000-00000000000N`,
/// and a fixed jitter.
#[derive(Default)]
pub struct FixedEntropy {
    counter: AtomicU64,
    jitter: u64,
}

impl FixedEntropy {
    pub fn with_jitter(ms: u64) -> Self {
        FixedEntropy { counter: AtomicU64::new(0), jitter: ms }
    }
}

impl Entropy for FixedEntropy {
    fn run_id(&self) -> String {
        format!("rg-test{:06}", self.counter.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn uuid(&self) -> String {
        format!("00000000-0000-4000-8000-{:012}", self.counter.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn jitter_ms(&self, max_ms: u64) -> u64 {
        self.jitter.min(max_ms)
    }
}

/// A vault in memory (for unit tests of core only; the real one is the OS keychain).
#[derive(Default)]
pub struct MemoryVault {
    entries: Mutex<HashMap<String, String>>,
    refuse_puts: std::sync::atomic::AtomicBool,
}

impl MemoryVault {
    /// Make every later `put` fail, as a locked or missing keychain would.
    pub fn refuse_puts(&self, on: bool) {
        self.refuse_puts.store(on, Ordering::SeqCst);
    }
    /// The names of the entries held.
    pub fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = self.entries.lock().unwrap().keys().cloned().collect();
        v.sort();
        v
    }
}

#[async_trait]
impl Vault for MemoryVault {
    async fn put(&self, entry: &str, secret: &SecretString) -> Result<(), VaultError> {
        if self.refuse_puts.load(Ordering::SeqCst) {
            return Err(VaultError::Refused("the test vault refuses writes".into()));
        }
        self.entries.lock().unwrap().insert(entry.into(), secret.expose_secret().to_string());
        Ok(())
    }
    async fn get(&self, entry: &str) -> Result<Option<SecretString>, VaultError> {
        Ok(self.entries.lock().unwrap().get(entry).map(|s| SecretString::from(s.clone())))
    }
    async fn delete(&self, entry: &str) -> Result<bool, VaultError> {
        Ok(self.entries.lock().unwrap().remove(entry).is_some())
    }
    fn describe(&self) -> String {
        "the in-memory test vault".into()
    }
}

/// Wraps a store and fails, as a killed process would stop, right after write number
/// `crash_after` (counting from 1) has reached the inner store, or (`at_first`) right
/// after the first write of a journal that matches a test; every later write fails too.
pub struct CrashingStore<S: JournalStore> {
    pub inner: S,
    crash_after: AtomicUsize,
    trigger: Option<fn(&Journal) -> bool>,
    writes: AtomicUsize,
}

impl<S: JournalStore> CrashingStore<S> {
    pub fn new(inner: S, crash_after: usize) -> Self {
        CrashingStore { inner, crash_after: AtomicUsize::new(crash_after), trigger: None, writes: AtomicUsize::new(0) }
    }
    pub fn at_first(inner: S, trigger: fn(&Journal) -> bool) -> Self {
        CrashingStore { inner, crash_after: AtomicUsize::new(usize::MAX), trigger: Some(trigger), writes: AtomicUsize::new(0) }
    }
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}

impl<S: JournalStore> JournalStore for CrashingStore<S> {
    fn save(&self, journal: &Journal) -> Result<(), StoreError> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        let crash_after = self.crash_after.load(Ordering::SeqCst);
        if n > crash_after {
            return Err(StoreError::SimulatedCrash(crash_after));
        }
        self.inner.save(journal)?;
        if n == crash_after || self.trigger.is_some_and(|t| t(journal)) {
            self.crash_after.store(n, Ordering::SeqCst);
            return Err(StoreError::SimulatedCrash(n));
        }
        Ok(())
    }
    fn load(&self, run_id: &str) -> Result<Journal, StoreError> {
        self.inner.load(run_id)
    }
    fn list(&self) -> Result<Vec<Journal>, StoreError> {
        self.inner.list()
    }
}

/// The plan of the built-in template `template` with `vars`, for the account `account`
/// (caller `user/admin`), as run `run_id`, its External IDs from [`FixedEntropy`].
pub fn builtin_plan(template: &str, vars: &[(&str, &str)], account: &str, run_id: &str) -> (crate::plan::Plan, crate::plan::RunInputs) {
    let t = crate::template::find_builtin(template).unwrap_or_else(|| panic!("no built-in template {template}"));
    let inputs = crate::plan::RunInputs {
        template_id: t.id.clone(),
        region: "eu-west-1".into(),
        path: "/".into(),
        variables: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    };
    let caller =
        crate::ports::CallerIdentity { account: account.into(), arn: format!("arn:aws:iam::{account}:user/admin"), user_id: "AIDA".into() };
    let plan = crate::plan::build(&t, &inputs, &caller, run_id, &FixedEntropy::default()).expect("the plan builds");
    (plan, inputs)
}
