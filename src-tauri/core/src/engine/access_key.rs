//! The access-key lifecycle, shared by apply and rotate: the intent written before
//! CreateAccessKey, a key a failed create made (found, recorded and deleted), a key that
//! appeared after an interrupted create (named, never deleted), the two-key choice, and
//! the new key's secret stored in the keychain or the key deleted again.

use tokio::sync::Mutex;

use super::apply::{ApplyOptions, StepError};
use super::Engine;
use crate::error::RunError;
use crate::events::Event;
use crate::journal::{Journal, KeyIntent, Resource, LOST_KEY_STEP};
use crate::plan::Step;
use crate::ports::{vault_entry, AwsError, AwsErrorKind};
use crate::validate::FieldError;

impl Engine {
    pub(crate) async fn create_access_key(
        &self,
        journal: &Mutex<Journal>,
        step: &Step,
        user: &str,
        opts: &ApplyOptions,
    ) -> Result<(), StepError> {
        let iam = self.connect.iam();
        let keys = iam.list_access_keys(user).await?;
        // A crash after the secret reached the keychain but before the journal write:
        // the keychain entry proves Rolegate made the key.
        for k in &keys {
            if self.vault.get(&vault_entry(&k.id)).await.map_err(RunError::from)?.is_some() {
                let id = k.id.clone();
                self.commit(journal, |j| {
                    j.access_key_id = Some(id.clone());
                    j.key_intent = None;
                })
                .await?;
                return self
                    .done(
                        journal,
                        step,
                        "adopted",
                        format!("{id} (secret already in the keychain)"),
                        Some(Resource::AccessKey { user: user.into(), id }),
                    )
                    .await;
            }
        }
        // Keys an earlier failed CreateAccessKey of this run made and the journal
        // recorded, whose deletion did not go through then.
        let lost = journal.lock().await.lost_keys(user);
        for id in &lost {
            self.delete_lost_key(user, id).await?;
            self.commit(journal, |j| j.mark_deleted(&Resource::AccessKey { user: user.into(), id: id.clone() }, self.clock.now())).await?;
        }
        let keys: Vec<_> = keys.into_iter().filter(|k| !lost.contains(&k.id)).collect();
        // An intent still set means an earlier call did not end with a stored secret
        // (the process stopped during it, or it failed): a key that appeared since and
        // is not recorded may be that call's (its secret lost) or someone else's.
        let intent = journal.lock().await.key_intent.clone();
        let unexplained: Vec<String> = intent.iter().flat_map(|i| i.appeared_since(user, &keys)).map(|k| k.id.clone()).collect();
        for k in keys.iter().filter(|k| unexplained.contains(&k.id)) {
            self.emit(Event::Notice {
                message: format!(
                    "access key {} of user {user} appeared after an earlier attempt of this run to create a key did not finish{}; it may be that attempt's key, whose secret was lost, or one someone added, so Rolegate leaves it alone. If nobody made it, delete it: aws iam delete-access-key --user-name {user} --access-key-id {}",
                    k.id,
                    k.created.map(|c| format!(" (created {c})")).unwrap_or_default(),
                    k.id
                ),
            });
        }
        let mut others: Vec<_> = keys.clone();
        if keys.len() >= 2 {
            match &opts.replace_key {
                Some(id) if keys.iter().any(|k| &k.id == id) => {
                    iam.delete_access_key(user, id).await?;
                    self.emit(Event::Deleted {
                        resource: format!("access key {id} of user {user}"),
                        detail: "deleted because you chose it with --replace-key".into(),
                    });
                    others.retain(|k| &k.id != id);
                }
                Some(id) => {
                    return Err(RunError::Invalid(vec![FieldError::new(
                        "replace_key",
                        "not-a-key-of-user",
                        format!(
                            "{id} is not an access key of user {user}; its keys are {}",
                            keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )])
                    .into())
                }
                None => return Err(RunError::KeyLimit { user: user.into(), keys }.into()),
            }
        }
        for k in others.iter().filter(|k| !unexplained.contains(&k.id)) {
            self.emit(Event::Notice {
                message: format!("user {user} already has access key {} that this run did not make; it was left alone", k.id),
            });
        }
        let intent = KeyIntent { user: user.into(), existing: others.iter().map(|k| k.id.clone()).collect(), at: self.clock.now() };
        self.commit(journal, |j| j.key_intent = Some(intent.clone())).await?;
        let new = match iam.create_access_key(user).await {
            Ok(new) => new,
            Err(e) => {
                let mut j = journal.lock().await;
                let outcome = self.delete_keys_of_failed_create(user, &intent.existing, Some(&mut j)).await;
                self.emit(Event::Notice { message: outcome });
                return Err(e.into());
            }
        };
        if let Err(e) = self.vault.put(&vault_entry(&new.id), &new.secret).await {
            // Without the secret the key is useless; delete the key this call just made.
            let cleanup = match iam.delete_access_key(user, &new.id).await {
                Ok(()) => {
                    self.commit(journal, |j| j.key_intent = None).await?;
                    format!("the new key {} was deleted again, so no key without a stored secret is left", new.id)
                }
                Err(d) => format!("deleting the new key {} failed too ({d}); delete it yourself: aws iam delete-access-key --user-name {user} --access-key-id {}", new.id, new.id),
            };
            return Err(RunError::SecretNotStored { keychain: self.vault.describe(), source: e, cleanup }.into());
        }
        let id = new.id.clone();
        drop(new);
        self.commit(journal, |j| {
            j.access_key_id = Some(id.clone());
            j.key_intent = None;
        })
        .await?;
        self.done(
            journal,
            step,
            "created",
            format!("{id} (secret stored in {}, entry {})", self.vault.describe(), vault_entry(&id)),
            Some(Resource::AccessKey { user: user.into(), id }),
        )
        .await
    }

    /// Delete a key that a failed CreateAccessKey of this run made (already gone is fine).
    pub(crate) async fn delete_lost_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        match self.connect.iam().delete_access_key(user, id).await {
            Ok(()) => {}
            Err(e) if e.kind == AwsErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.emit(Event::Deleted {
            resource: format!("access key {id} of user {user}"),
            detail: "made by a CreateAccessKey of this run that failed; its secret never arrived".into(),
        });
        Ok(())
    }

    /// After a CreateAccessKey for `user` failed: a key on the user now that was not in
    /// `before`, the listing taken just ahead of the call, was made by that call (or the
    /// SDK's retries of it) and its secret never arrived. With a run's journal, each is
    /// recorded there first (so a resume or roll-back deletes it if this deletion fails);
    /// then each is deleted. If the listing fails, nothing is deleted. The intent stays
    /// until a key's secret is stored. Returns a sentence saying what happened.
    pub(crate) async fn delete_keys_of_failed_create(&self, user: &str, before: &[String], mut journal: Option<&mut Journal>) -> String {
        let after = match self.connect.iam().list_access_keys(user).await {
            Ok(keys) => keys,
            Err(e) => {
                return format!(
                    "CreateAccessKey for {user} failed, and listing the user's keys afterwards failed too ({e}), so whether it made a key is not known; nothing was deleted. Keys before the call: {}; compare with `aws iam list-access-keys --user-name {user}`",
                    if before.is_empty() { "none".to_string() } else { before.join(", ") }
                )
            }
        };
        let lost: Vec<String> = after.into_iter().map(|k| k.id).filter(|id| !before.contains(id)).collect();
        if lost.is_empty() {
            // IAM is eventually consistent, so the intent stays: a key that shows up later
            // is named as possibly this call's, never deleted.
            return format!("CreateAccessKey for {user} failed; the user's keys listed right after show no key made by it");
        }
        let mut problems = Vec::new();
        if let Some(j) = journal.as_deref_mut() {
            let now = self.clock.now();
            for id in &lost {
                j.record(Resource::AccessKey { user: user.into(), id: id.clone() }, LOST_KEY_STEP, now);
            }
            j.note(now, format!("the failed CreateAccessKey made {}; deleting it", lost.join(", ")));
            if let Err(e) = self.store.save(j) {
                problems.push(format!("the journal could not record them ({e})"));
            }
        }
        for id in &lost {
            match self.delete_lost_key(user, id).await {
                Ok(()) => {
                    if let Some(j) = journal.as_deref_mut() {
                        j.mark_deleted(&Resource::AccessKey { user: user.into(), id: id.clone() }, self.clock.now());
                    }
                }
                Err(e) => problems.push(format!(
                    "deleting {id} failed ({e}); {}",
                    if journal.is_some() {
                        "the run records it, and a resume or roll-back deletes it".to_string()
                    } else {
                        format!("delete it yourself: aws iam delete-access-key --user-name {user} --access-key-id {id}")
                    }
                )),
            }
        }
        if let Some(j) = journal {
            j.note(self.clock.now(), "the keys the failed CreateAccessKey made are handled");
            if let Err(e) = self.store.save(j) {
                problems.push(format!("journal: {e}"));
            }
        }
        if problems.is_empty() {
            format!(
                "CreateAccessKey for {user} failed after making {} anyway (its secret never arrived), which Rolegate deleted as soon as it was found",
                lost.join(", ")
            )
        } else {
            format!(
                "CreateAccessKey for {user} failed after making {} anyway (its secret never arrived); {}",
                lost.join(", "),
                problems.join("; ")
            )
        }
    }
}
