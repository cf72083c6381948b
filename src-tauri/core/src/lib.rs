//! Rolegate's engine. No AWS SDK, no keychain, no Tauri: it talks to the world through
//! the traits in `ports`, so the CLI and the desktop app make the same decisions and
//! unit tests run against in-memory stand-ins.

// RunError carries the AWS error and what was already made, so the person is told
// everything at the point of failure; its size is not on a hot path.
#![allow(clippy::result_large_err)]

pub mod arn;
pub mod checks;
pub mod checks_cluster_access;
pub mod checks_service_account;
pub mod eks;
pub mod engine;
pub mod error;
pub mod events;
pub mod export;
pub mod fleet;
#[cfg(test)]
mod forge_tests;
pub mod fs;
pub mod home;
pub mod identity;
pub mod journal;
pub mod lint;
pub mod plan;
pub mod platform;
pub mod platform_journal;
pub mod platform_session;
pub mod policy;
pub mod ports;
pub mod propagation;
pub mod secrets;
pub mod simulate;
pub mod template;
#[cfg(test)]
mod template_reference_tests;
pub mod template_variants;
pub mod validate;
pub mod verdict;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use engine::{ApplyOptions, CancellationToken, Engine, RollbackOptions, RollbackReport};
pub use error::RunError;
