//! Step ids and the steps of a plan: `StepId` names every kind of step a run records
//! (in the plan, the journal and the events), written as the strings journals have
//! always held, and `steps_for` lays out the calls of a plan with their dependencies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Call, PlannedPolicy, PlannedRole, PlannedServiceAccountRole, PlannedUser, Step};
use crate::validate::Tag;

/// The id of a step. Its text form (`Display`, `FromStr`, serde) is the one journals,
/// events and `--json` output hold: `policy:KEY`, `user`, `user-attach:ARN`,
/// `user-inline`, `access-key`, `role:KEY`, `role-attach:KEY:ARN`, `wait:access-key`,
/// `wait:role:KEY`, `eks:access-entry`, `eks:access-policy`, and the ids of what happens
/// outside a plan's steps:
/// `access-key-lost`, `rotate-key`, `rotate:wait-key`, `rotate:wait-role`,
/// `external-id:wait-role:KEY`, and the
/// platform connector's `seqera:credential`, `seqera:external-id`, `seqera:validate`.
///
/// An id is its text: equality, hashing and order are those of the text, so a journal's
/// map of steps keeps the order it always had, and two ids that print alike (a role key
/// holding a `:` could make a `role-attach` id read two ways) are the same id.
#[derive(Clone)]
pub enum StepId {
    /// CreatePolicy for the template's policy `key`.
    Policy { key: String },
    /// CreateUser.
    User,
    /// AttachUserPolicy of `policy_arn` to the user.
    UserAttach { policy_arn: String },
    /// PutUserPolicy: the user's assume-only inline policy (key+role mode).
    UserInline,
    /// CreateAccessKey, with the secret stored in the keychain.
    AccessKey,
    /// CreateRole for the template's role `key`.
    Role { key: String },
    /// AttachRolePolicy of `policy_arn` to the role `key`.
    RoleAttach { key: String, policy_arn: String },
    /// Waiting until AWS accepts the new access key.
    WaitAccessKey,
    /// Waiting until the new key can assume the role `key`.
    WaitRole { key: String },
    /// CreateAccessEntry: the platform's identity let into the EKS cluster.
    EksAccessEntry,
    /// AssociateAccessPolicy of the cluster access's EKS access policy.
    EksAccessPolicy,
    /// Not a plan step: the journal records under it a key that a failed CreateAccessKey
    /// of the run made (its secret never arrived), to be deleted.
    AccessKeyLost,
    /// Not a plan step: the journal records under it a key a rotation made.
    RotateKey,
    /// Not a plan step: a rotation waiting until AWS accepts the new key.
    RotateWaitKey,
    /// Not a plan step: a rotation waiting until the new key can assume the role.
    RotateWaitRole,
    /// Not a plan step: after `set_external_id`, waiting until the run's key can assume
    /// the role `key` with the new External ID.
    ExternalIdWaitRole { key: String },
    /// Not a plan step: the credential created on Seqera Platform.
    SeqeraCredential,
    /// Not a plan step: the External ID Seqera generated, put in the role's trust policy.
    SeqeraExternalId,
    /// Not a plan step: Seqera Platform checking the credential against AWS.
    SeqeraValidate,
}

impl StepId {
    pub fn policy(key: &str) -> StepId {
        StepId::Policy { key: key.into() }
    }

    pub fn user_attach(policy_arn: &str) -> StepId {
        StepId::UserAttach { policy_arn: policy_arn.into() }
    }

    pub fn role(key: &str) -> StepId {
        StepId::Role { key: key.into() }
    }

    pub fn role_attach(key: &str, policy_arn: &str) -> StepId {
        StepId::RoleAttach { key: key.into(), policy_arn: policy_arn.into() }
    }

    pub fn wait_role(key: &str) -> StepId {
        StepId::WaitRole { key: key.into() }
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepId::Policy { key } => write!(f, "policy:{key}"),
            StepId::User => f.write_str("user"),
            StepId::UserAttach { policy_arn } => write!(f, "user-attach:{policy_arn}"),
            StepId::UserInline => f.write_str("user-inline"),
            StepId::AccessKey => f.write_str("access-key"),
            StepId::Role { key } => write!(f, "role:{key}"),
            StepId::RoleAttach { key, policy_arn } => write!(f, "role-attach:{key}:{policy_arn}"),
            StepId::WaitAccessKey => f.write_str("wait:access-key"),
            StepId::WaitRole { key } => write!(f, "wait:role:{key}"),
            StepId::EksAccessEntry => f.write_str("eks:access-entry"),
            StepId::EksAccessPolicy => f.write_str("eks:access-policy"),
            StepId::AccessKeyLost => f.write_str("access-key-lost"),
            StepId::RotateKey => f.write_str("rotate-key"),
            StepId::RotateWaitKey => f.write_str("rotate:wait-key"),
            StepId::RotateWaitRole => f.write_str("rotate:wait-role"),
            StepId::ExternalIdWaitRole { key } => write!(f, "external-id:wait-role:{key}"),
            StepId::SeqeraCredential => f.write_str("seqera:credential"),
            StepId::SeqeraExternalId => f.write_str("seqera:external-id"),
            StepId::SeqeraValidate => f.write_str("seqera:validate"),
        }
    }
}

/// Debug prints the id's text, as the messages that list ids with `{:?}` always did.
impl fmt::Debug for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// A text that is not a step id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a step id: {why}")]
pub struct StepIdError {
    pub text: String,
    pub why: String,
}

const FORMS: &str = "expected policy:KEY, user, user-attach:ARN, user-inline, access-key, role:KEY, role-attach:KEY:ARN, \
                     wait:access-key, wait:role:KEY, eks:access-entry, eks:access-policy, access-key-lost, rotate-key, rotate:wait-key, rotate:wait-role, \
                     external-id:wait-role:KEY, seqera:credential, seqera:external-id or seqera:validate";

impl FromStr for StepId {
    type Err = StepIdError;

    fn from_str(s: &str) -> Result<StepId, StepIdError> {
        let err = |why: &str| StepIdError { text: s.into(), why: why.into() };
        let part = |rest: &str, what: &str| {
            if rest.is_empty() {
                Err(err(&format!("the {what} after the prefix is empty")))
            } else {
                Ok(rest.to_string())
            }
        };
        let fixed = match s {
            "user" => Some(StepId::User),
            "user-inline" => Some(StepId::UserInline),
            "access-key" => Some(StepId::AccessKey),
            "wait:access-key" => Some(StepId::WaitAccessKey),
            "access-key-lost" => Some(StepId::AccessKeyLost),
            "rotate-key" => Some(StepId::RotateKey),
            "rotate:wait-key" => Some(StepId::RotateWaitKey),
            "rotate:wait-role" => Some(StepId::RotateWaitRole),
            "seqera:credential" => Some(StepId::SeqeraCredential),
            "seqera:external-id" => Some(StepId::SeqeraExternalId),
            "seqera:validate" => Some(StepId::SeqeraValidate),
            "eks:access-entry" => Some(StepId::EksAccessEntry),
            "eks:access-policy" => Some(StepId::EksAccessPolicy),
            _ => None,
        };
        if let Some(id) = fixed {
            return Ok(id);
        }
        if let Some(rest) = s.strip_prefix("policy:") {
            return Ok(StepId::Policy { key: part(rest, "policy key")? });
        }
        if let Some(rest) = s.strip_prefix("user-attach:") {
            return Ok(StepId::UserAttach { policy_arn: part(rest, "policy ARN")? });
        }
        if let Some(rest) = s.strip_prefix("role-attach:") {
            // The policy is an ARN, which begins with `arn:`; a key is taken to end
            // there, or else at its first `:`.
            let at = rest.find(":arn:").or_else(|| rest.find(':')).ok_or_else(|| err("role-attach needs KEY:ARN"))?;
            let (key, arn) = (&rest[..at], &rest[at + 1..]);
            return Ok(StepId::RoleAttach { key: part(key, "role key")?, policy_arn: part(arn, "policy ARN")? });
        }
        if let Some(rest) = s.strip_prefix("wait:role:") {
            return Ok(StepId::WaitRole { key: part(rest, "role key")? });
        }
        if let Some(rest) = s.strip_prefix("external-id:wait-role:") {
            return Ok(StepId::ExternalIdWaitRole { key: part(rest, "role key")? });
        }
        if let Some(rest) = s.strip_prefix("role:") {
            return Ok(StepId::Role { key: part(rest, "role key")? });
        }
        Err(err(FORMS))
    }
}

impl PartialEq for StepId {
    fn eq(&self, other: &StepId) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for StepId {}

impl std::hash::Hash for StepId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.to_string().hash(state)
    }
}

impl PartialOrd for StepId {
    fn partial_cmp(&self, other: &StepId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StepId {
    fn cmp(&self, other: &StepId) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialEq<str> for StepId {
    fn eq(&self, other: &str) -> bool {
        let text = self.to_string();
        text == other
    }
}

impl PartialEq<&str> for StepId {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl From<&StepId> for StepId {
    fn from(id: &StepId) -> StepId {
        id.clone()
    }
}

impl Serialize for StepId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StepId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StepId, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The plan's steps, in the order they are listed, each with the steps it waits for.
pub(super) fn steps_for(
    path: &str,
    tags: &[Tag],
    policies: &[PlannedPolicy],
    user: Option<&PlannedUser>,
    roles: &[PlannedRole],
    service_account_roles: &[PlannedServiceAccountRole],
    run_id: &str,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let policy_step = |arn: &str| policies.iter().find(|p| p.arn == arn).map(|p| StepId::policy(&p.key));
    for p in policies {
        steps.push(Step {
            id: StepId::policy(&p.key),
            summary: format!("Create the managed policy {}", p.name),
            call: Call::CreatePolicy {
                policy_name: p.name.clone(),
                path: path.into(),
                description: p.description.clone(),
                policy_document: p.document.clone(),
                tags: tags.to_vec(),
            },
            after: vec![],
        });
    }
    if let Some(u) = user {
        steps.push(Step {
            id: StepId::User,
            summary: format!("Create the IAM user {}", u.name),
            call: Call::CreateUser { user_name: u.name.clone(), path: path.into(), tags: tags.to_vec() },
            after: vec![],
        });
        for arn in &u.attach {
            steps.push(Step {
                id: StepId::user_attach(arn),
                summary: format!("Attach {arn} to user {}", u.name),
                call: Call::AttachUserPolicy { user_name: u.name.clone(), policy_arn: arn.clone() },
                after: std::iter::once(StepId::User).chain(policy_step(arn)).collect(),
            });
        }
        if let Some((name, doc)) = &u.inline_policy {
            steps.push(Step {
                id: StepId::UserInline,
                summary: format!("Let user {} assume only its roles (inline policy {name})", u.name),
                call: Call::PutUserPolicy { user_name: u.name.clone(), policy_name: name.clone(), policy_document: doc.clone() },
                after: vec![StepId::User],
            });
        }
        steps.push(Step {
            id: StepId::AccessKey,
            summary: format!("Create an access key for {} and store its secret in the keychain", u.name),
            call: Call::CreateAccessKey { user_name: u.name.clone() },
            after: vec![StepId::User],
        });
    }
    for r in roles {
        let mut after = Vec::new();
        if r.trusts_created_user {
            after.push(StepId::User);
        }
        steps.push(Step {
            id: StepId::role(&r.key),
            summary: format!("Create the role {} trusting {} with the External ID", r.name, r.principals.join(", ")),
            call: Call::CreateRole {
                role_name: r.name.clone(),
                path: path.into(),
                description: r.description.clone(),
                max_session_duration: r.max_session_seconds,
                assume_role_policy_document: r.trust_policy.clone(),
                tags: tags.to_vec(),
            },
            after,
        });
        for arn in &r.attach {
            steps.push(Step {
                id: StepId::role_attach(&r.key, arn),
                summary: format!("Attach {arn} to role {}", r.name),
                call: Call::AttachRolePolicy { role_name: r.name.clone(), policy_arn: arn.clone() },
                after: std::iter::once(StepId::role(&r.key)).chain(policy_step(arn)).collect(),
            });
        }
    }
    for r in service_account_roles {
        steps.push(Step {
            id: StepId::role(&r.key),
            summary: format!(
                "Create the role {} for service account {}/{} of EKS cluster {} (trusted by its OIDC provider)",
                r.name, r.namespace, r.service_account, r.cluster
            ),
            call: Call::CreateRole {
                role_name: r.name.clone(),
                path: path.into(),
                description: r.description.clone(),
                max_session_duration: r.max_session_seconds,
                assume_role_policy_document: r.trust_policy.clone(),
                tags: tags.to_vec(),
            },
            after: vec![],
        });
        for arn in &r.attach {
            steps.push(Step {
                id: StepId::role_attach(&r.key, arn),
                summary: format!("Attach {arn} to role {}", r.name),
                call: Call::AttachRolePolicy { role_name: r.name.clone(), policy_arn: arn.clone() },
                after: std::iter::once(StepId::role(&r.key)).chain(policy_step(arn)).collect(),
            });
        }
    }
    if let Some(u) = user {
        steps.push(Step {
            id: StepId::WaitAccessKey,
            summary: "Wait until AWS accepts the new access key".into(),
            call: Call::WaitForAccessKey { user_name: u.name.clone() },
            after: vec![StepId::AccessKey],
        });
        for r in roles.iter().filter(|r| r.trusts_created_user) {
            let mut after = vec![StepId::WaitAccessKey, StepId::role(&r.key)];
            if u.inline_policy.is_some() {
                after.push(StepId::UserInline);
            }
            after.extend(r.attach.iter().map(|a| StepId::role_attach(&r.key, a)));
            steps.push(Step {
                id: StepId::wait_role(&r.key),
                summary: format!("Wait until the new key can assume {} with the External ID", r.name),
                call: Call::WaitForRole { role_arn: r.arn.clone(), external_id: r.external_id.clone(), session_name: run_id.to_string() },
                after,
            });
        }
    }
    steps
}

#[cfg(test)]
#[path = "steps_tests.rs"]
mod tests;
