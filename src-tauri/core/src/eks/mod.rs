//! Amazon EKS for the templates that onboard a cluster: the port (`ports`: the cluster
//! and the account's IAM OIDC provider for its issuer) and the look-up the engine makes
//! before planning (`lookup`: `Engine::cluster_facts`, which fills `RunInputs::clusters`
//! for the service-account roles of `plan::service_accounts`).

pub mod lookup;
pub mod ports;

pub use ports::{AccessEntry, Cluster, Eks, OidcProvider};

#[cfg(test)]
mod tests;
