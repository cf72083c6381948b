//! Roll-back: deletes, in reverse dependency order, only what the journal or the run's
//! tag proves this run made, and reports every deletion and every refusal. What hangs
//! on a user or role (attachments, inline policies, access keys) is touched only while
//! that user or role still carries this run's `rolegate:run-id` tag: one deleted by hand
//! and made again under the same name is someone else's, and keeps everything it has.

use super::{owned_by, owner_of, Engine};
use crate::error::RunError;
use crate::events::{DeletionKind, Event};
use crate::journal::{Journal, Resource, RunStatus};
use crate::plan::StepId;
use crate::ports::{vault_entry, AwsError, AwsErrorKind};

/// Choices for `rollback`.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// Delete access keys on this run's user that the journal does not record.
    pub delete_unrecorded_keys: bool,
    /// The platform the run's platform credentials are on, when signed in there;
    /// without it they are reported as kept.
    pub platform: Option<super::seqera::PlatformApi>,
}

/// What a roll-back did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RollbackReport {
    pub run_id: String,
    /// Each resource deleted (or found already gone), in the order it was handled.
    pub deleted: Vec<String>,
    /// Each resource left in place, with the reason.
    pub kept: Vec<(String, String)>,
}

enum Deletion {
    Deleted(String),
    AlreadyGone,
    /// Gone already, and why (it went with a user or role that was deleted).
    WentWith(String),
    Kept(String),
}

/// The user or role a resource hangs on.
#[derive(Clone, Copy)]
enum Parent<'a> {
    User(&'a str),
    Role(&'a str),
}

impl Parent<'_> {
    fn describe(&self) -> String {
        match self {
            Parent::User(n) => format!("user {n}"),
            Parent::Role(n) => format!("role {n}"),
        }
    }
}

impl Engine {
    /// Whether a user or role is provably this run's: `None` when its tag says so or it
    /// is gone (its children went with it), else why it is not.
    async fn foreign_parent(&self, parent: Parent<'_>, run_id: &str) -> Result<Option<String>, AwsError> {
        let iam = self.connect.iam();
        let tags = match parent {
            Parent::User(name) => iam.get_user(name).await?.map(|i| i.tags),
            Parent::Role(name) => iam.get_role(name).await?.map(|i| i.tags),
        };
        Ok(match tags {
            Some(tags) if !owned_by(&tags, run_id) => Some(format!(
                "{} is no longer provably this run's: {} (deleted and made again by hand, or its tag removed), so nothing of it is touched",
                parent.describe(),
                owner_of(&tags)
            )),
            _ => None,
        })
    }

    /// A child of a parent that is not this run's: kept when the parent has it, else it
    /// went with the parent this run made.
    fn child_of_foreign(present: bool, verb: &str, why: String, parent: Parent<'_>) -> Deletion {
        if present {
            Deletion::Kept(format!("not {verb}: {why}"))
        } else {
            Deletion::WentWith(format!(
                "it went with the {} this run made; the one there now is not this run's and was not touched",
                parent.describe()
            ))
        }
    }

    /// Find resources of this run that exist in AWS but are not in the journal (a
    /// crash between a call and the journal write), proven ours by the run tag. What
    /// hangs on a user or role is looked for only while its tag proves it this run's.
    async fn discover(&self, journal: &mut Journal) -> Result<(), RunError> {
        let iam = self.connect.iam();
        let plan = journal.plan.clone();
        let run_id = plan.run_id.clone();
        let now = self.clock.now();
        for p in &plan.policies {
            let r = Resource::Policy { arn: p.arn.clone() };
            if !journal.has_resource(&r) {
                if let Some(info) = iam.get_policy(&p.arn).await.map_err(Self::aws)? {
                    if owned_by(&info.tags, &run_id) {
                        journal.record(r, &StepId::policy(&p.key), now);
                    }
                }
            }
        }
        if let Some(u) = &plan.user {
            let r = Resource::User { name: u.name.clone() };
            let ours = iam.get_user(&u.name).await.map_err(Self::aws)?.is_some_and(|info| owned_by(&info.tags, &run_id));
            if ours {
                if !journal.has_resource(&r) {
                    journal.record(r.clone(), &StepId::User, now);
                }
                let attached = iam.list_attached_user_policies(&u.name).await.map_err(Self::aws)?;
                for arn in u.attach.iter().filter(|a| attached.contains(a)) {
                    journal.record(
                        Resource::UserPolicyAttachment { user: u.name.clone(), policy_arn: arn.clone() },
                        &StepId::user_attach(arn),
                        now,
                    );
                }
                if let Some((name, _)) = &u.inline_policy {
                    if iam.list_user_policies(&u.name).await.map_err(Self::aws)?.contains(name) {
                        journal.record(Resource::UserInlinePolicy { user: u.name.clone(), name: name.clone() }, &StepId::UserInline, now);
                    }
                }
                let keys = iam.list_access_keys(&u.name).await.map_err(Self::aws)?;
                for k in &keys {
                    let r = Resource::AccessKey { user: u.name.clone(), id: k.id.clone() };
                    if !journal.has_resource(&r) && self.vault.get(&vault_entry(&k.id)).await?.is_some() {
                        journal.record(r, &StepId::AccessKey, now);
                    }
                }
            }
        }
        let roles = plan.roles.iter().map(|r| (&r.key, &r.name, &r.attach));
        let service_account_roles = plan.service_account_roles.iter().map(|r| (&r.key, &r.name, &r.attach));
        for (key, name, attach) in roles.chain(service_account_roles) {
            let r = Resource::Role { name: name.clone() };
            let ours = iam.get_role(name).await.map_err(Self::aws)?.is_some_and(|info| owned_by(&info.tags, &run_id));
            if ours {
                if !journal.has_resource(&r) {
                    journal.record(r.clone(), &StepId::role(key), now);
                }
                let attached = iam.list_attached_role_policies(name).await.map_err(Self::aws)?;
                for arn in attach.iter().filter(|a| attached.contains(a)) {
                    journal.record(
                        Resource::RolePolicyAttachment { role: name.clone(), policy_arn: arn.clone() },
                        &StepId::role_attach(key, arn),
                        now,
                    );
                }
            }
        }
        if let Some(a) = plan.cluster_access.as_ref().filter(|a| a.through_api) {
            let r = Resource::EksAccessEntry {
                region: a.cluster_region.clone(),
                cluster: a.cluster.clone(),
                principal_arn: a.principal_arn.clone(),
            };
            if !journal.has_resource(&r) {
                let entry =
                    self.connect.eks(&a.cluster_region).describe_access_entry(&a.cluster, &a.principal_arn).await.map_err(Self::aws)?;
                if entry.is_some_and(|e| owned_by(&e.tags, &run_id)) {
                    journal.record(r, &StepId::EksAccessEntry, now);
                }
            }
        }
        Ok(())
    }

    /// Delete what this run made, dependents first, reporting each deletion.
    pub async fn rollback(&self, run_id: &str, opts: &RollbackOptions) -> Result<RollbackReport, RunError> {
        let mut journal = self.store.load(run_id)?;
        if journal.status == RunStatus::RolledBack {
            return Err(RunError::WrongStatus {
                run_id: run_id.into(),
                status: journal.status,
                needs: "there is nothing left to roll back".into(),
            });
        }
        self.check_account(&journal).await?;
        let now = self.clock.now();
        journal.status = RunStatus::RollingBack;
        journal.note(now, "rolling back");
        self.store.save(&journal)?;
        self.discover(&mut journal).await?;
        self.store.save(&journal)?;

        let mut report = RollbackReport { run_id: run_id.into(), ..Default::default() };
        // What the platform holds goes first: it points at the key and role below.
        self.rollback_platform(&mut journal, opts.platform.as_ref(), &mut report).await?;
        let order = journal.deletion_order();
        for i in order {
            let resource = journal.resources[i].resource.clone();
            let desc = resource.describe();
            let outcome = match self.delete(&journal, &resource, opts).await {
                Ok(d) => d,
                Err(e) => Deletion::Kept(format!("{}: {}", e.code, e.message)),
            };
            match outcome {
                Deletion::Deleted(detail) => {
                    journal.resources[i].deleted_at = Some(self.clock.now());
                    journal.note(self.clock.now(), format!("deleted {desc}"));
                    self.store.save(&journal)?;
                    self.emit(Event::Deleted { resource: desc.clone(), detail, kind: DeletionKind::RolledBack });
                    report.deleted.push(desc);
                }
                gone @ (Deletion::AlreadyGone | Deletion::WentWith(_)) => {
                    let detail = match gone {
                        Deletion::WentWith(why) => why,
                        _ => "it was already gone".into(),
                    };
                    journal.resources[i].deleted_at = Some(self.clock.now());
                    journal.note(self.clock.now(), format!("{desc} was already gone: {detail}"));
                    self.store.save(&journal)?;
                    self.emit(Event::Deleted { resource: desc.clone(), detail, kind: DeletionKind::RolledBack });
                    report.deleted.push(desc);
                }
                Deletion::Kept(reason) => {
                    self.emit(Event::Kept { resource: desc.clone(), reason: reason.clone() });
                    report.kept.push((desc, reason));
                }
            }
        }
        journal.status = if report.kept.is_empty() { RunStatus::RolledBack } else { RunStatus::RollbackIncomplete };
        journal.note(self.clock.now(), journal.status.as_str());
        self.store.save(&journal)?;
        Ok(report)
    }

    async fn delete(&self, journal: &Journal, resource: &Resource, opts: &RollbackOptions) -> Result<Deletion, AwsError> {
        let iam = self.connect.iam();
        let run_id = &journal.run_id;
        let gone = |r: Result<(), AwsError>| match r {
            Ok(()) => Ok(Deletion::Deleted(String::new())),
            Err(e) if e.kind == AwsErrorKind::NotFound => Ok(Deletion::AlreadyGone),
            Err(e) => Err(e),
        };
        match resource {
            Resource::UserPolicyAttachment { user, policy_arn } => {
                let parent = Parent::User(user);
                if let Some(why) = self.foreign_parent(parent, run_id).await? {
                    let present = iam.list_attached_user_policies(user).await?.contains(policy_arn);
                    return Ok(Self::child_of_foreign(present, "detached", why, parent));
                }
                gone(iam.detach_user_policy(user, policy_arn).await)
            }
            Resource::RolePolicyAttachment { role, policy_arn } => {
                let parent = Parent::Role(role);
                if let Some(why) = self.foreign_parent(parent, run_id).await? {
                    let present = iam.list_attached_role_policies(role).await?.contains(policy_arn);
                    return Ok(Self::child_of_foreign(present, "detached", why, parent));
                }
                gone(iam.detach_role_policy(role, policy_arn).await)
            }
            Resource::UserInlinePolicy { user, name } => {
                let parent = Parent::User(user);
                if let Some(why) = self.foreign_parent(parent, run_id).await? {
                    let present = iam.list_user_policies(user).await?.contains(name);
                    return Ok(Self::child_of_foreign(present, "deleted", why, parent));
                }
                gone(iam.delete_user_policy(user, name).await)
            }
            Resource::AccessKey { user, id } => {
                let parent = Parent::User(user);
                let r = match self.foreign_parent(parent, run_id).await? {
                    Some(why) => {
                        // Key ids are unique: a key not on the user now went with the user
                        // this run made, and its secret opens nothing; one still there is kept.
                        let present = iam.list_access_keys(user).await?.iter().any(|k| &k.id == id);
                        let d = Self::child_of_foreign(present, "deleted (nor its secret)", why, parent);
                        if present {
                            return Ok(d);
                        }
                        d
                    }
                    None => gone(iam.delete_access_key(user, id).await)?,
                };
                match self.vault.delete(&vault_entry(id)).await {
                    Ok(_) => {}
                    Err(e) => {
                        return Ok(Deletion::Kept(format!(
                            "the key is deleted in AWS, but its keychain entry {} could not be removed: {e}",
                            vault_entry(id)
                        )))
                    }
                }
                Ok(match r {
                    Deletion::Deleted(_) => Deletion::Deleted(format!("and its secret removed from {}", self.vault.describe())),
                    other => other,
                })
            }
            Resource::User { name } => {
                let Some(info) = iam.get_user(name).await? else { return Ok(Deletion::AlreadyGone) };
                if !owned_by(&info.tags, run_id) {
                    return Ok(Deletion::Kept(format!(
                        "not deleted: {} (its tag no longer proves this run made it; deleted and made again by hand?); it keeps its keys and policies",
                        owner_of(&info.tags)
                    )));
                }
                let recorded: Vec<&str> = journal
                    .resources
                    .iter()
                    .filter_map(|r| match &r.resource {
                        Resource::AccessKey { id, .. } => Some(id.as_str()),
                        _ => None,
                    })
                    .collect();
                let foreign: Vec<String> =
                    iam.list_access_keys(name).await?.into_iter().map(|k| k.id).filter(|id| !recorded.contains(&id.as_str())).collect();
                if !foreign.is_empty() {
                    if opts.delete_unrecorded_keys {
                        for id in &foreign {
                            gone(iam.delete_access_key(name, id).await)?;
                            self.emit(Event::Deleted {
                                resource: format!("access key {id} of user {name}"),
                                detail: "not recorded by this run; deleted because of --delete-unrecorded-keys".into(),
                                kind: DeletionKind::Unrecorded,
                            });
                        }
                    } else {
                        return Ok(Deletion::Kept(format!(
                            "user {name} still has access key(s) {} that this run did not record (made by hand, or lost in a crash before the keychain write); delete them yourself or rerun rollback with --delete-unrecorded-keys",
                            foreign.join(", ")
                        )));
                    }
                }
                let attached = iam.list_attached_user_policies(name).await?;
                let inline = iam.list_user_policies(name).await?;
                if !attached.is_empty() || !inline.is_empty() {
                    return Ok(Deletion::Kept(format!(
                        "user {name} has policies this run did not attach ({}); detach them first",
                        attached.iter().chain(inline.iter()).cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
                gone(iam.delete_user(name).await)
            }
            Resource::Role { name } => {
                let Some(info) = iam.get_role(name).await? else { return Ok(Deletion::AlreadyGone) };
                if !owned_by(&info.tags, run_id) {
                    return Ok(Deletion::Kept(format!(
                        "not deleted: {} (its tag no longer proves this run made it; deleted and made again by hand?); it keeps its policies",
                        owner_of(&info.tags)
                    )));
                }
                let attached = iam.list_attached_role_policies(name).await?;
                if !attached.is_empty() {
                    return Ok(Deletion::Kept(format!(
                        "role {name} has policies this run did not attach ({}); detach them first",
                        attached.join(", ")
                    )));
                }
                gone(iam.delete_role(name).await)
            }
            Resource::EksAccessEntry { region, cluster, principal_arn } => {
                Ok(match self.delete_access_entry(run_id, region, cluster, principal_arn).await? {
                    super::cluster_access::EntryDeletion::Deleted => Deletion::Deleted(String::new()),
                    super::cluster_access::EntryDeletion::AlreadyGone => Deletion::AlreadyGone,
                    super::cluster_access::EntryDeletion::Kept(why) => Deletion::Kept(why),
                })
            }
            Resource::Policy { arn } => {
                let Some(info) = iam.get_policy(arn).await? else { return Ok(Deletion::AlreadyGone) };
                if !owned_by(&info.tags, run_id) {
                    return Ok(Deletion::Kept(format!(
                        "not deleted: {} (its tag no longer proves this run made it)",
                        owner_of(&info.tags)
                    )));
                }
                if info.attachment_count > 0 {
                    return Ok(Deletion::Kept(format!(
                        "policy is still attached to {} user(s), group(s) or role(s) this run did not attach; detach it first",
                        info.attachment_count
                    )));
                }
                let mut removed = Vec::new();
                for v in iam.list_policy_versions(arn).await?.into_iter().filter(|v| !v.is_default) {
                    iam.delete_policy_version(arn, &v.id).await?;
                    removed.push(v.id);
                }
                let r = gone(iam.delete_policy(arn).await)?;
                Ok(match r {
                    Deletion::Deleted(_) if !removed.is_empty() => {
                        Deletion::Deleted(format!("after deleting its older versions {}", removed.join(", ")))
                    }
                    other => other,
                })
            }
        }
    }
}
