//! The access-key lifecycle, shared by apply and rotate: the intent written before
//! CreateAccessKey, a key a failed create made (found, recorded and deleted), a key that
//! appeared after an interrupted create (named, never deleted), the two-key choice, and
//! the new key's secret stored in the keychain or the key deleted again.

use tokio::sync::Mutex;

use super::apply::{ApplyOptions, StepError};
use super::Engine;
use crate::error::RunError;
use crate::events::{DeletionKind, Event, NoticeKind};
use crate::journal::{Journal, KeyIntent, Resource, LOST_KEY_STEP};
use crate::plan::Step;
use crate::ports::{vault_entry, AccessKeyMeta, AwsError, AwsErrorKind};
use crate::validate::FieldError;

/// The journal a new key's creation records into, if any: a run being applied (shared
/// by the steps running beside it, locked only while a failed create is handled), a run
/// whose journal the caller holds (a rotation), or none (a named user's rotation).
pub(crate) enum KeyJournal<'a> {
    Run(&'a Mutex<Journal>),
    Held(&'a mut Journal),
    None,
}

/// What became of a key a failed CreateAccessKey may have made.
pub(crate) struct FailedCreate {
    pub kind: NoticeKind,
    pub message: String,
}

impl FailedCreate {
    fn new(kind: NoticeKind, message: String) -> FailedCreate {
        FailedCreate { kind, message }
    }
}

/// Why `create_and_store` made no usable key.
pub(crate) enum NewKeyError {
    /// CreateAccessKey failed; `outcome` says what became of a key it made anyway.
    Create { error: AwsError, outcome: FailedCreate },
    /// The keychain refused the secret (`RunError::SecretNotStored`, whose cleanup says
    /// whether the new key was deleted again: `deleted`).
    NotStored { error: RunError, deleted: bool },
}

impl Engine {
    /// The CreateAccessKey step of a run: adopt a key whose secret the keychain already
    /// holds, finish deleting keys a failed create made, name keys that appeared after an
    /// interrupted create, make room (the two-key choice), write the intent, then create
    /// the key and store its secret.
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
                kind: NoticeKind::UnexplainedKey,
            });
        }
        let mut others: Vec<_> = keys.clone();
        if let Some(id) = Self::room_for_new_key(user, &keys, None, opts.replace_key.as_deref())? {
            self.delete_chosen_key(user, &id).await?;
            others.retain(|k| k.id != id);
        }
        for k in others.iter().filter(|k| !unexplained.contains(&k.id)) {
            self.emit(Event::Notice {
                message: format!("user {user} already has access key {} that this run did not make; it was left alone", k.id),
                kind: NoticeKind::ForeignKey,
            });
        }
        let intent = KeyIntent { user: user.into(), existing: others.iter().map(|k| k.id.clone()).collect(), at: self.clock.now() };
        self.commit(journal, |j| j.key_intent = Some(intent.clone())).await?;
        let id = match self.create_and_store(user, &intent.existing, KeyJournal::Run(journal)).await {
            Ok(id) => id,
            Err(NewKeyError::Create { error, outcome }) => {
                self.emit(Event::Notice { message: outcome.message, kind: outcome.kind });
                return Err(error.into());
            }
            Err(NewKeyError::NotStored { error, deleted }) => {
                if deleted {
                    self.commit(journal, |j| j.key_intent = None).await?;
                }
                return Err(error.into());
            }
        };
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

    /// The two-key choice, before a new key is made for `user`, whose keys are `keys`:
    /// with fewer than two there is room; with two, the one key to delete is the one the
    /// person named (`replace_key`), and it must not be `keep` (the key a rotation
    /// retires only once the new one works). Returns the key to delete, if any.
    pub(crate) fn room_for_new_key(
        user: &str,
        keys: &[AccessKeyMeta],
        keep: Option<&str>,
        replace_key: Option<&str>,
    ) -> Result<Option<String>, RunError> {
        if keys.len() < 2 {
            return Ok(None);
        }
        let others: Vec<&str> = keys.iter().map(|k| k.id.as_str()).filter(|id| Some(*id) != keep).collect();
        match replace_key {
            Some(id) if others.contains(&id) => Ok(Some(id.to_string())),
            Some(id) if keep.is_some() => Err(RunError::Invalid(vec![FieldError::new(
                "replace_key",
                "not-another-key-of-user",
                format!("{id} is not a key of user {user} other than the one being rotated; the other key(s): {}", others.join(", ")),
            )])),
            Some(id) => Err(RunError::Invalid(vec![FieldError::new(
                "replace_key",
                "not-a-key-of-user",
                format!("{id} is not an access key of user {user}; its keys are {}", others.join(", ")),
            )])),
            None => Err(RunError::KeyLimit { user: user.into(), keys: keys.to_vec() }),
        }
    }

    /// Delete the key the person chose to make room (`room_for_new_key`), and say so.
    pub(crate) async fn delete_chosen_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        self.connect.iam().delete_access_key(user, id).await?;
        self.emit(Event::Deleted {
            resource: format!("access key {id} of user {user}"),
            detail: "deleted because you chose it with --replace-key".into(),
            kind: DeletionKind::Chosen,
        });
        Ok(())
    }

    /// Create a new access key for `user` and put its secret in the keychain; the key is
    /// not made until the secret is stored. `before` is the user's keys just ahead of
    /// the call: if the call fails, a key that was not there before is the call's and is
    /// handled by `delete_keys_of_failed_create` (recorded in `journal` when there is
    /// one). If the keychain refuses the secret, the new key is deleted again.
    pub(crate) async fn create_and_store(&self, user: &str, before: &[String], journal: KeyJournal<'_>) -> Result<String, NewKeyError> {
        let iam = self.connect.iam();
        let new = match iam.create_access_key(user).await {
            Ok(new) => new,
            Err(error) => {
                let outcome = match journal {
                    KeyJournal::Run(j) => {
                        let mut j = j.lock().await;
                        self.delete_keys_of_failed_create(user, before, Some(&mut j)).await
                    }
                    KeyJournal::Held(j) => self.delete_keys_of_failed_create(user, before, Some(j)).await,
                    KeyJournal::None => self.delete_keys_of_failed_create(user, before, None).await,
                };
                return Err(NewKeyError::Create { error, outcome });
            }
        };
        if let Err(e) = self.vault.put(&vault_entry(&new.id), &new.secret).await {
            // Without the secret the key is useless; delete the key this call just made.
            let (deleted, cleanup) = match iam.delete_access_key(user, &new.id).await {
                Ok(()) => (true, format!("the new key {} was deleted again, so no key without a stored secret is left", new.id)),
                Err(d) => (false, format!("deleting the new key {} failed too ({d}); delete it yourself: aws iam delete-access-key --user-name {user} --access-key-id {}", new.id, new.id)),
            };
            let error = RunError::SecretNotStored { keychain: self.vault.describe(), source: e, cleanup };
            return Err(NewKeyError::NotStored { error, deleted });
        }
        Ok(new.id.clone())
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
            kind: DeletionKind::LostKey,
        });
        Ok(())
    }

    /// After a CreateAccessKey for `user` failed: a key on the user now that was not in
    /// `before`, the listing taken just ahead of the call, was made by that call (or the
    /// SDK's retries of it) and its secret never arrived. With a run's journal, each is
    /// recorded there first (so a resume or roll-back deletes it if this deletion fails);
    /// then each is deleted. If the listing fails, nothing is deleted. The intent stays
    /// until a key's secret is stored. Returns what happened, in a sentence and by kind.
    pub(crate) async fn delete_keys_of_failed_create(
        &self,
        user: &str,
        before: &[String],
        mut journal: Option<&mut Journal>,
    ) -> FailedCreate {
        let after = match self.connect.iam().list_access_keys(user).await {
            Ok(keys) => keys,
            Err(e) => {
                return FailedCreate::new(NoticeKind::CreateOutcomeUnknown, format!(
                    "CreateAccessKey for {user} failed, and listing the user's keys afterwards failed too ({e}), so whether it made a key is not known; nothing was deleted. Keys before the call: {}; compare with `aws iam list-access-keys --user-name {user}`",
                    if before.is_empty() { "none".to_string() } else { before.join(", ") }
                ))
            }
        };
        let lost: Vec<String> = after.into_iter().map(|k| k.id).filter(|id| !before.contains(id)).collect();
        if lost.is_empty() {
            // IAM is eventually consistent, so the intent stays: a key that shows up later
            // is named as possibly this call's, never deleted.
            return FailedCreate::new(
                NoticeKind::CreateMadeNoKey,
                format!("CreateAccessKey for {user} failed; the user's keys listed right after show no key made by it"),
            );
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
            FailedCreate::new(NoticeKind::LostKeyDeleted, format!(
                "CreateAccessKey for {user} failed after making {} anyway (its secret never arrived), which Rolegate deleted as soon as it was found",
                lost.join(", ")
            ))
        } else {
            FailedCreate::new(
                NoticeKind::LostKeyProblem,
                format!(
                    "CreateAccessKey for {user} failed after making {} anyway (its secret never arrived); {}",
                    lost.join(", "),
                    problems.join("; ")
                ),
            )
        }
    }
}
