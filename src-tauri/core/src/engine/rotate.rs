//! Access-key rotation for a run's user: make room (only a key the person names is
//! deleted), create the new key and put its secret in the keychain, wait until it works
//! (and can assume the run's role), switch the run and its plain-key profiles to it,
//! deactivate the old key, confirm it is inactive, then delete it and its secret.
//! Each stage is journaled, so a failure leaves a working key, says where it stopped,
//! and `rotate-key` run again continues from there.

use std::path::PathBuf;

use serde::Serialize;

use super::access_key::{KeyJournal, NewKeyError};
use super::Engine;
use crate::error::RunError;
use crate::events::{DeletionKind, Event, NoticeKind};
use crate::export::backup;
use crate::export::ini::{self, FileKind};
use crate::journal::{Journal, KeyIntent, Resource, Rotation, RotationStage};
use crate::plan::StepId;
use crate::ports::{vault_entry, AssumeRoleInput, Credentials, KeyStatus};
use crate::propagation;
use crate::validate::FieldError;

#[derive(Debug, Clone, Default)]
pub struct RotateOptions {
    /// When the user already has two keys: the other key, which the person chose to delete.
    pub replace_key: Option<String>,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RotationReport {
    pub run_id: String,
    pub user: String,
    pub old_key: Option<String>,
    pub new_key: String,
    /// What happened, in order.
    pub done: Vec<String>,
    /// Profiles rewritten with the new key (plain-key ones; credential_process profiles
    /// name the run and follow it without a change).
    pub profiles_updated: Vec<String>,
    /// The backup of each credentials file taken before it was rewritten.
    pub backups: Vec<std::path::PathBuf>,
}

fn stopped(stage: &str, e: impl Into<RunError>, still_working: &str, again: &str) -> RunError {
    RunError::RotationStopped { stage: stage.into(), source: Box::new(e.into()), still_working: still_working.into(), again: again.into() }
}

/// The shared stages of both rotations. `again` is what to pass to `rotate-key` to
/// continue (a run id, or `--user NAME`).
impl Engine {
    fn save_journal(&self, j: &mut Journal, note: String) -> Result<(), RunError> {
        let now = self.clock.now();
        j.note(now, note);
        self.store.save(j)?;
        Ok(())
    }

    /// Make room for a new key (`room_for_new_key`: with two keys, only `replace_key`,
    /// which must be a key other than `old`, is deleted). Returns the ids of the keys left.
    async fn make_room(
        &self,
        user: &str,
        old: Option<&str>,
        replace_key: Option<&str>,
        again: &str,
        done: &mut Vec<String>,
    ) -> Result<Vec<String>, RunError> {
        let keys =
            self.connect.iam().list_access_keys(user).await.map_err(|e| stopped("listing the keys", e, "Nothing was changed.", again))?;
        let Some(id) = Self::room_for_new_key(user, &keys, old, replace_key)? else {
            return Ok(keys.into_iter().map(|k| k.id).collect());
        };
        self.delete_chosen_key(user, &id)
            .await
            .map_err(|e| stopped("deleting the key you named", e, "Nothing else was changed.", again))?;
        done.push(format!("deleted {id}, which you named with --replace-key"));
        Ok(keys.into_iter().map(|k| k.id).filter(|k| *k != id).collect())
    }

    /// Create the new key and put its secret in the vault (`create_and_store`: if the
    /// vault refuses, the key is deleted again). `before` is the user's keys just ahead
    /// of the call.
    async fn create_stored_key(&self, user: &str, before: &[String], journal: KeyJournal<'_>, again: &str) -> Result<String, RunError> {
        let id = self.create_and_store(user, before, journal).await.map_err(|e| match e {
            NewKeyError::Create { error, outcome } => {
                stopped("creating the new key", error, &format!("{}. The old key is unchanged.", outcome.message), again)
            }
            NewKeyError::NotStored { error, .. } => stopped("storing the new secret", error, "The old key is unchanged.", again),
        })?;
        self.emit(Event::Notice { message: format!("created access key {id} and stored its secret"), kind: NoticeKind::KeyCreated });
        Ok(id)
    }

    /// Wait until the new key signs in and, when given, can assume `role` with its
    /// External ID.
    async fn wait_until_usable(
        &self,
        new_id: &str,
        role: Option<&crate::plan::PlannedRole>,
        session: &str,
        working: &str,
        again: &str,
        done: &mut Vec<String>,
    ) -> Result<(), RunError> {
        let creds = self.credentials_for_key(new_id).await?;
        let sts = self.connect.sts_as(&creds);
        let who = propagation::poll(
            self.clock.as_ref(),
            self.entropy.as_ref(),
            &self.events,
            self.poll,
            &StepId::RotateWaitKey,
            "AWS to accept the new access key",
            propagation::key_not_yet,
            || sts.get_caller_identity(),
        )
        .await
        .map_err(|e| stopped("waiting for the new key to work", describe_wait(e, &StepId::RotateWaitKey, again), working, again))?;
        done.push(format!("the new key signs in as {}", who.arn));
        if let Some(role) = role {
            let input = AssumeRoleInput {
                role_arn: role.arn.clone(),
                session_name: session.into(),
                external_id: Some(role.external_id.clone()),
                duration_seconds: None,
                tags: Vec::new(),
            };
            propagation::poll(
                self.clock.as_ref(),
                self.entropy.as_ref(),
                &self.events,
                self.poll,
                &StepId::RotateWaitRole,
                "the new key to assume the role",
                propagation::role_not_yet,
                || sts.assume_role(&input),
            )
            .await
            .map_err(|e| {
                stopped("waiting for the new key to assume the role", describe_wait(e, &StepId::RotateWaitRole, again), working, again)
            })?;
            done.push(format!("the new key assumes {} with the External ID", role.arn));
        }
        Ok(())
    }

    /// Deactivate the old key and confirm IAM lists it as Inactive.
    async fn deactivate_confirmed(
        &self,
        user: &str,
        old: &str,
        working: &str,
        again: &str,
        done: &mut Vec<String>,
    ) -> Result<(), RunError> {
        let iam = self.connect.iam();
        iam.update_access_key(user, old, KeyStatus::Inactive).await.map_err(|e| stopped("deactivating the old key", e, working, again))?;
        let status = iam.list_access_keys(user).await.map_err(|e| stopped("confirming the old key is inactive", e, working, again))?;
        if status.iter().any(|k| k.id == old && k.status == KeyStatus::Active) {
            return Err(stopped(
                "confirming the old key is inactive",
                RunError::AwsDisagrees {
                    operation: "iam:UpdateAccessKey".into(),
                    detail: format!("ListAccessKeys still shows {old} as Active"),
                },
                working,
                again,
            ));
        }
        done.push(format!("deactivated {old} and confirmed it is Inactive"));
        Ok(())
    }

    /// Delete the retired key and its keychain entry (if Rolegate held one).
    async fn delete_retired(&self, user: &str, old: &str, working: &str, again: &str, done: &mut Vec<String>) -> Result<(), RunError> {
        match self.connect.iam().delete_access_key(user, old).await {
            Ok(()) => {}
            Err(e) if e.kind == crate::ports::AwsErrorKind::NotFound => {}
            Err(e) => return Err(stopped("deleting the old key", e, working, again)),
        }
        let had = self
            .vault
            .delete(&vault_entry(old))
            .await
            .map_err(|e| stopped("removing the old secret from the keychain", e, working, again))?;
        self.emit(Event::Deleted {
            resource: format!("access key {old} of user {user}"),
            detail: "replaced by the rotation".into(),
            kind: DeletionKind::Retired,
        });
        done.push(if had { format!("deleted {old} and its keychain entry") } else { format!("deleted {old}") });
        Ok(())
    }

    /// Rotate the access key of a run's user.
    pub async fn rotate_key(&self, run_id: &str, opts: &RotateOptions) -> Result<RotationReport, RunError> {
        let mut j = self.store.load(run_id)?;
        if !j.status.is_applied() {
            return Err(RunError::WrongStatus {
                run_id: run_id.into(),
                status: j.status,
                needs: "only an applied run's key can be rotated".into(),
            });
        }
        let user = j
            .plan
            .user
            .clone()
            .ok_or_else(|| RunError::NoAccessKey {
                run_id: run_id.into(),
                why: "it made no IAM user, so there is no key to rotate".into(),
            })?
            .name;
        let mut done = Vec::new();
        let mut rotation = match j.rotation.clone() {
            Some(r) => {
                done.push(format!("continuing the rotation begun at {} (stage {:?})", r.started_at, r.stage));
                r
            }
            None => {
                let old = j.access_key_id.clone();
                for id in j.lost_keys(&user) {
                    self.delete_lost_key(&user, &id)
                        .await
                        .map_err(|e| stopped("deleting a key a failed attempt made", e, "Nothing else was changed.", run_id))?;
                    j.mark_deleted(&Resource::AccessKey { user: user.clone(), id: id.clone() }, self.clock.now());
                    self.save_journal(&mut j, format!("deleted {id}, made by a failed CreateAccessKey"))?;
                }
                let existing = self.make_room(&user, old.as_deref(), opts.replace_key.as_deref(), run_id, &mut done).await?;
                j.key_intent = Some(KeyIntent { user: user.clone(), existing: existing.clone(), at: self.clock.now() });
                self.save_journal(&mut j, "rotation: creating a new access key".into())?;
                let new_id = self.create_stored_key(&user, &existing, KeyJournal::Held(&mut j), run_id).await?;
                let now = self.clock.now();
                j.record(Resource::AccessKey { user: user.clone(), id: new_id.clone() }, &StepId::RotateKey, now);
                j.key_intent = None;
                let r = Rotation { old_key: old, new_key: new_id.clone(), stage: RotationStage::Created, started_at: now };
                j.rotation = Some(r.clone());
                self.save_journal(&mut j, format!("rotation: created {new_id} (secret in the keychain)"))?;
                done.push(format!("created {new_id} and stored its secret in {}", self.vault.describe()));
                r
            }
        };
        let new_id = rotation.new_key.clone();
        if rotation.stage == RotationStage::Created {
            let working = match &rotation.old_key {
                Some(old) => format!("The old key {old} still works and is in use; the new key {new_id} is recorded in the run."),
                None => format!("The new key {new_id} is recorded in the run."),
            };
            let role = j.plan.roles.iter().find(|r| r.trusts_created_user).cloned();
            self.wait_until_usable(&new_id, role.as_ref(), run_id, &working, run_id, &mut done).await?;
            j.access_key_id = Some(new_id.clone());
            rotation.stage = RotationStage::Switched;
            j.rotation = Some(rotation.clone());
            self.save_journal(&mut j, format!("rotation: the run now uses {new_id}"))?;
        }
        let creds = self.credentials_for_key(&new_id).await?;
        let (profiles_updated, backups) = self.update_plain_key_profiles(&j, &creds).map_err(|e| {
            let e = RunError::Local { action: "rewrite a plain-key profile".into(), path: Default::default(), message: e };
            stopped("updating the plain-key profiles", e, &format!("The new key {new_id} works and is the run's key."), run_id)
        })?;
        for b in &backups {
            done.push(format!("backed up {} before rewriting it", b.display()));
        }
        for p in &profiles_updated {
            done.push(format!("profile {p} now holds the new key"));
        }
        if let (RotationStage::Switched, Some(old)) = (rotation.stage, rotation.old_key.clone()) {
            let working = format!("The new key {new_id} works and is the run's key; the old key {old} is still active.");
            self.deactivate_confirmed(&user, &old, &working, run_id, &mut done).await?;
            rotation.stage = RotationStage::OldInactive;
            j.rotation = Some(rotation.clone());
            self.save_journal(&mut j, format!("rotation: {old} is inactive"))?;
        }
        if let (RotationStage::OldInactive, Some(old)) = (rotation.stage, rotation.old_key.clone()) {
            let working = format!("The new key {new_id} works; the old key {old} is inactive but not deleted.");
            self.delete_retired(&user, &old, &working, run_id, &mut done).await?;
            j.mark_deleted(&Resource::AccessKey { user: user.clone(), id: old }, self.clock.now());
        }
        j.rotation = None;
        self.save_journal(&mut j, format!("rotated the access key to {new_id}"))?;
        Ok(RotationReport { run_id: run_id.into(), user, old_key: rotation.old_key, new_key: new_id, done, profiles_updated, backups })
    }

    /// Rotate the key of an IAM user no run made. The person names the key to retire
    /// (`old_key`) when the user has more than one; a key is only ever deleted because
    /// the person named it. The new secret goes to the keychain.
    pub async fn rotate_user_key(
        &self,
        user: &str,
        old_key: Option<String>,
        opts: &RotateOptions,
        state: &UserRotationStore,
    ) -> Result<RotationReport, RunError> {
        let errs = crate::validate::iam_name("user", crate::validate::NameKind::User, user);
        if !errs.is_empty() {
            return Err(RunError::Invalid(errs));
        }
        let again = format!("--user {user}");
        let mut done = Vec::new();
        let mut rotation = match state.load(user) {
            Some(r) => {
                done.push(format!("continuing the rotation begun at {} (stage {:?})", r.started_at, r.stage));
                r
            }
            None => {
                let keys = self
                    .connect
                    .iam()
                    .list_access_keys(user)
                    .await
                    .map_err(|e| stopped("listing the keys", e, "Nothing was changed.", &again))?;
                let ids = || keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ");
                let old = match (&old_key, keys.len()) {
                    (Some(id), _) if keys.iter().any(|k| &k.id == id) => Some(id.clone()),
                    (Some(id), _) => {
                        return Err(RunError::Invalid(vec![FieldError::new(
                            "old_key",
                            "not-a-key-of-user",
                            format!("{id} is not an access key of user {user}; its keys: {}", ids()),
                        )]))
                    }
                    (None, 0) => None,
                    (None, 1) => Some(keys[0].id.clone()),
                    (None, n) => {
                        return Err(RunError::Invalid(vec![FieldError::new(
                            "old_key",
                            "required",
                            format!("user {user} has {n} keys; name the one to retire with --old-key ({})", ids()),
                        )]))
                    }
                };
                let existing = self.make_room(user, old.as_deref(), opts.replace_key.as_deref(), &again, &mut done).await?;
                let new_id = self.create_stored_key(user, &existing, KeyJournal::None, &again).await?;
                let r = Rotation { old_key: old, new_key: new_id.clone(), stage: RotationStage::Created, started_at: self.clock.now() };
                state.save(user, &r)?;
                done.push(format!("created {new_id} and stored its secret in {}", self.vault.describe()));
                r
            }
        };
        let new_id = rotation.new_key.clone();
        if rotation.stage == RotationStage::Created {
            self.wait_until_usable(&new_id, None, "", "The old key still works.", &again, &mut done).await?;
            rotation.stage = RotationStage::Switched;
            state.save(user, &rotation)?;
        }
        if let (RotationStage::Switched, Some(old)) = (rotation.stage, rotation.old_key.clone()) {
            let working = format!("The new key {new_id} works; the old key {old} is still active.");
            self.deactivate_confirmed(user, &old, &working, &again, &mut done).await?;
            rotation.stage = RotationStage::OldInactive;
            state.save(user, &rotation)?;
        }
        if let (RotationStage::OldInactive, Some(old)) = (rotation.stage, rotation.old_key.clone()) {
            let working = format!("The new key {new_id} works; the old key {old} is inactive but not deleted.");
            self.delete_retired(user, &old, &working, &again, &mut done).await?;
        }
        state.clear(user);
        done.push(format!("the new secret is in {} (rolegate credential-process --access-key-id {new_id})", self.vault.describe()));
        Ok(RotationReport {
            run_id: String::new(),
            user: user.into(),
            old_key: rotation.old_key,
            new_key: new_id,
            done,
            profiles_updated: Vec::new(),
            backups: Vec::new(),
        })
    }

    /// Rewrite the plain-key profiles written for this run with the current key, each
    /// credentials file backed up first. Returns the profiles and the backups.
    fn update_plain_key_profiles(&self, j: &Journal, creds: &Credentials) -> Result<(Vec<String>, Vec<PathBuf>), String> {
        let mut updated = Vec::new();
        let mut backups = Vec::new();
        for e in j.exports.iter().filter(|e| e.plain_keys) {
            let text = match std::fs::read_to_string(&e.credentials_file) {
                Ok(t) => t,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(format!("could not read {}: {err}", e.credentials_file.display())),
            };
            let header = ini::header_for(FileKind::Credentials, &e.source_profile);
            let Some(current) = ini::read_section(&text, &header) else { continue };
            // Only a section that still holds one of this run's keys is ours to rewrite.
            let holds_ours = current.iter().any(|(k, v)| {
                k == "aws_access_key_id" && j.resources.iter().any(|r| matches!(&r.resource, Resource::AccessKey { id, .. } if id == v))
            });
            if !holds_ours {
                continue;
            }
            let entries = vec![
                ("aws_access_key_id".to_string(), creds.access_key_id.clone()),
                ("aws_secret_access_key".to_string(), secrecy::ExposeSecret::expose_secret(&creds.secret_access_key).to_string()),
            ];
            let (after, _) = ini::upsert(&text, &header, &entries, None, true).expect("forced upsert");
            if after != text {
                let backup = backup::back_up(&e.credentials_file, text.as_bytes(), self.clock.now())
                    .map_err(|err| format!("could not back up {}: {err}", e.credentials_file.display()))?;
                backups.push(backup);
                crate::fs::write_private_atomic(&e.credentials_file, after.as_bytes())
                    .map_err(|err| format!("could not write {}: {err}", e.credentials_file.display()))?;
            }
            updated.push(e.source_profile.clone());
        }
        Ok((updated, backups))
    }
}

/// A failed wait as the error it is: AWS's answer, or a time-out (both exit 4).
fn describe_wait(e: propagation::WaitError, step: &StepId, again: &str) -> RunError {
    match e {
        propagation::WaitError::Failed(e) => e.into(),
        propagation::WaitError::TimedOut { waited, last } => {
            RunError::Propagation { step: step.into(), waited_seconds: waited.as_secs(), last, run_id: again.into() }
        }
    }
}

/// Where a named user's rotation keeps its state between calls (0600 JSON files).
pub struct UserRotationStore {
    pub dir: std::path::PathBuf,
}

impl UserRotationStore {
    fn path(&self, user: &str) -> std::path::PathBuf {
        self.dir.join(format!("{user}.json"))
    }
    fn load(&self, user: &str) -> Option<Rotation> {
        std::fs::read_to_string(self.path(user)).ok().and_then(|t| serde_json::from_str(&t).ok())
    }
    fn save(&self, user: &str, r: &Rotation) -> Result<(), RunError> {
        crate::home::ensure_private_dir(&self.dir).map_err(|e| RunError::Local {
            action: "create".into(),
            path: self.dir.clone(),
            message: e.to_string(),
        })?;
        crate::fs::write_private_atomic(&self.path(user), serde_json::to_string_pretty(r).expect("json").as_bytes()).map_err(|e| {
            RunError::Local { action: format!("record the rotation of {user} in"), path: self.path(user), message: e.to_string() }
        })
    }
    fn clear(&self, user: &str) {
        let _ = std::fs::remove_file(self.path(user));
    }
}
