//! Fleet onboarding: one template across the accounts of an AWS Organization through
//! CloudFormation StackSets. The targets (the organization's root, OUs (nested) and
//! accounts, read through the Organizations port, with the management account, which
//! service-managed StackSets never reach, and the caller's account marked); the StackSet
//! template rendered from a plan (`render`); the request's rules (`request`); the
//! fleet's journal (`journal`); deploying, resuming and retrying (`deploy`), following
//! each operation (`operation`); the per-account report and verification (`status`); and roll-back
//! (`rollback`). docs/FLEET.md says what exists.

pub mod deploy;
pub mod error;
pub mod journal;
pub mod operation;
pub mod ports;
pub mod render;
pub mod request;
pub mod rollback;
pub mod stacksets;
pub mod status;
pub mod targets;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_deploy;

pub use deploy::stack_set_name;
pub use error::FleetError;
pub use journal::{FleetJournal, FleetStatus, FleetStore};
pub use ports::{OrgAccount, OrgUnit, Organization, Organizations};
pub use render::{fleet_tags, new_fleet_id, stackset_template, ExternalIdParameter, FleetTemplate, StackSetTemplate, FLEET_TAG};
pub use request::{FleetRequest, DEFAULT_ACCESS_ROLE};
pub use stacksets::StackSets;
pub use status::{AccountRow, AccountVerdict, FleetReport, FleetSummary};
pub use targets::{FleetTargets, TargetAccount, TargetNode, STACKSETS_SERVICE_PRINCIPAL};
