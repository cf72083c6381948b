//! Fleet onboarding: one template across the accounts of an AWS Organization. So far,
//! the targets (the organization's root, OUs (nested) and accounts, read through the
//! Organizations port, with the management account, which service-managed StackSets
//! never reach, and the caller's account marked) and the StackSet template rendered from
//! a plan (`render`). docs/FLEET.md says what exists.

pub mod ports;
pub mod render;
pub mod targets;

#[cfg(test)]
mod tests;

pub use ports::{OrgAccount, OrgUnit, Organization, Organizations};
pub use render::{fleet_tags, new_fleet_id, stackset_template, ExternalIdParameter, FleetTemplate, StackSetTemplate, FLEET_TAG};
pub use targets::{FleetTargets, TargetAccount, TargetNode, STACKSETS_SERVICE_PRINCIPAL};
