//! The credential on Seqera Platform for `connect_seqera`: the workspace named
//! `ORG/WORKSPACE`, what the template asks the platform to hold, and the journal's
//! record of it (found again, or created with the intent journaled before the call and
//! the platform's id after).

use super::*;

/// The `ORG/WORKSPACE` a person named, checked.
pub fn parse_workspace(text: &str) -> Result<(String, String), RunError> {
    let t = text.trim();
    match t.split_once('/') {
        Some((org, ws)) if !org.is_empty() && !ws.is_empty() && !ws.contains('/') => Ok((org.to_string(), ws.to_string())),
        _ => {
            Err(invalid("workspace", "org-workspace", format!("must be ORGANIZATION/WORKSPACE as Seqera Platform shows it, got {text:?}")))
        }
    }
}

/// Refuse a platform connection for a template that has no credential on the platform
/// (before anything is made, when `apply` is asked to connect).
pub fn require_connector(template: &crate::template::Template) -> Result<(), RunError> {
    match template.platform_credential {
        Some(_) => Ok(()),
        None => Err(invalid(
            "template",
            "no-connector",
            format!(
                "template {} has no Seqera Platform credential; the Seqera connection is for the Seqera templates and ecr-wave-readonly",
                template.id
            ),
        )),
    }
}

/// The workspace named `ORG/WORKSPACE` among the token's user's workspaces, or an input
/// error on `workspace` that lists the ones there are.
pub async fn find_workspace(api: &dyn SeqeraApi, named: &str) -> Result<Workspace, RunError> {
    let (org, ws) = parse_workspace(named)?;
    let url = api.url();
    let user = api.user().await.map_err(|e| refused(url, e))?;
    let list = api.workspaces(user.id).await.map_err(|e| refused(url, e))?;
    list.iter().find(|w| w.org_name == org && w.workspace_name == ws).cloned().ok_or_else(|| {
        let names: Vec<String> = list.iter().map(Workspace::path).collect();
        invalid(
            "workspace",
            "unknown-workspace",
            format!(
                "{} has no workspace {org}/{ws} at {url}; {}",
                user.user_name,
                if names.is_empty() {
                    "they belong to no workspace".to_string()
                } else {
                    format!("their workspaces: {}", names.join(", "))
                }
            ),
        )
    })
}

/// What Seqera Platform can hold for the run: its plan's connector, or for journals
/// written before plans recorded it, the built-in template's of the same id.
pub fn connector_of(j: &Journal) -> Option<PlatformConnector> {
    j.plan.platform_credential.or_else(|| crate::template::find_builtin(&j.plan.template_id).and_then(|t| t.platform_credential))
}

/// The name the run's Seqera credential takes unless the person names one.
pub fn default_credential_name(j: &Journal) -> String {
    format!("rolegate-{}-{}", j.plan.template_id, j.run_id)
}

/// What the template asks the platform to hold, for the journal.
pub(super) fn kind_of(j: &Journal, credential: PlatformConnector) -> PlatformCredentialKind {
    match credential {
        PlatformConnector::SeqeraContainerReg => PlatformCredentialKind::ContainerRegistry,
        PlatformConnector::SeqeraAws => match j.plan.mode {
            crate::template::Mode::Role => PlatformCredentialKind::AwsRole,
            crate::template::Mode::KeyRole => PlatformCredentialKind::AwsKeysRole,
            crate::template::Mode::Key => PlatformCredentialKind::AwsKeys,
        },
    }
}

/// The role a credential of `kind` points at.
pub(super) fn role_for(j: &Journal, kind: PlatformCredentialKind) -> Result<Option<PlannedRole>, RunError> {
    let role = match kind {
        PlatformCredentialKind::AwsRole => j.plan.roles.first(),
        PlatformCredentialKind::AwsKeysRole => j.plan.roles.iter().find(|r| r.trusts_created_user),
        _ => return Ok(None),
    };
    role.cloned().map(Some).ok_or_else(|| invalid("run", "no-role", format!("run {} has no role for a {}", j.run_id, kind.describe())))
}

impl Engine {
    /// The journal's record of the credential in `workspace` with its platform id: the
    /// one an earlier call made (checked to be still there), or a new one made now.
    pub(super) async fn credential_record(
        &self,
        api: &dyn SeqeraApi,
        j: &Journal,
        workspace: &Workspace,
        kind: PlatformCredentialKind,
        role: Option<&PlannedRole>,
        opts: &SeqeraOptions,
    ) -> Result<(usize, bool), RunError> {
        let url = api.url().to_string();
        let run_id = j.run_id.as_str();
        let here = |r: &PlatformRecord| r.live() && !r.unconfirmed && r.url == url && r.workspace_id == workspace.workspace_id;
        if let Some(other) = j.platform.iter().find(|r| r.live() && !r.unconfirmed && !here(r)) {
            return Err(invalid(
                "workspace",
                "already-connected",
                format!(
                    "run {run_id} already has {}; one run holds one platform credential (its role takes one External ID): roll the run back, or apply a new run for {}",
                    other.describe(),
                    workspace.path()
                ),
            ));
        }
        let name = opts.credential_name.clone().unwrap_or_else(|| default_credential_name(j));
        if let Some(i) = j.platform.iter().position(here) {
            let rec = &j.platform[i];
            if let Some(id) = &rec.credential_id {
                match api.credential(workspace.workspace_id, id).await {
                    Ok(_) => {
                        self.emit(Event::StepDone {
                            step: StepId::SeqeraCredential,
                            outcome: "adopted".into(),
                            detail: format!("{} was made by this run earlier", rec.describe()),
                        });
                        return Ok((i, true));
                    }
                    Err(e) if e.kind == PlatformErrorKind::NotFound => {
                        let now = self.clock.now();
                        self.update_record(run_id, i, |r| r.deleted_at = Some(now))?;
                        self.emit(Event::Notice {
                            message: format!("{} is gone from Seqera Platform (deleted there); a new one is made", rec.describe()),
                            kind: NoticeKind::Info,
                        });
                    }
                    Err(e) => return Err(refused(&url, e)),
                }
            } else {
                // The create call's answer never arrived: whether it made the credential
                // shows in whether its name is taken now.
                match api.check_name(workspace.workspace_id, &rec.name).await {
                    Ok(()) => {
                        let mut j = self.store.load(run_id)?;
                        j.platform.remove(i);
                        j.note(self.clock.now(), format!("{} was not made (its name is free); trying again", rec.describe()));
                        self.store.save(&j)?;
                    }
                    Err(e) if e.kind == PlatformErrorKind::Conflict => {
                        self.update_record(run_id, i, |r| r.unconfirmed = true)?;
                        if opts.credential_name.as_deref().is_none_or(|n| n == rec.name) {
                            return Err(unconfirmed(&url, rec));
                        }
                    }
                    Err(e) => return Err(refused(&url, e)),
                }
            }
        }
        self.create_credential(api, run_id, workspace, kind, role, &name).await.map(|i| (i, false))
    }

    /// Create the credential, journaled before the call and with its id after.
    pub(super) async fn create_credential(
        &self,
        api: &dyn SeqeraApi,
        run_id: &str,
        workspace: &Workspace,
        kind: PlatformCredentialKind,
        role: Option<&PlannedRole>,
        name: &str,
    ) -> Result<usize, RunError> {
        let url = api.url().to_string();
        let j = self.store.load(run_id)?;
        let errs = crate::export::credential_name("credential_name", name);
        if !errs.is_empty() {
            return Err(RunError::Invalid(errs));
        }
        let keys = self.credential_keys(&j, kind, role).await?;
        self.emit(Event::StepStarted {
            step: StepId::SeqeraCredential,
            summary: format!("create the {} {name} in {}", kind.describe(), workspace.path()),
        });
        api.check_name(workspace.workspace_id, name).await.map_err(|e| match e.kind {
            PlatformErrorKind::Conflict => invalid(
                "credential_name",
                "name-taken",
                format!(
                    "workspace {} at {url} already has a credential named {name} ({}); choose another credential name",
                    workspace.path(),
                    e.message
                ),
            ),
            PlatformErrorKind::BadRequest => {
                invalid("credential_name", "platform-name-rule", format!("Seqera Platform refuses the name {name}: {}", e.message))
            }
            _ => refused(&url, e),
        })?;
        let record = PlatformRecord {
            platform: "seqera".into(),
            url: url.clone(),
            workspace: workspace.path(),
            workspace_id: workspace.workspace_id,
            name: name.to_string(),
            kind,
            role_key: role.map(|r| r.key.clone()),
            access_key_id: j.access_key_id.clone().filter(|_| kind != PlatformCredentialKind::AwsRole),
            started_at: self.clock.now(),
            credential_id: None,
            external_id: None,
            external_id_applied_at: None,
            validation: None,
            validated_at: None,
            unconfirmed: false,
            deleted_at: None,
        };
        let mut j = j;
        j.platform.push(record.clone());
        let index = j.platform.len() - 1;
        j.note(self.clock.now(), format!("about to create {}", record.describe()));
        self.store.save(&j)?;

        let description = format!("AWS account {} ({}), made by Rolegate run {run_id}", j.plan.account, j.plan.template_id);
        let new = NewCredential { name: name.to_string(), description: Some(description), keys };
        match api.create_credential(workspace.workspace_id, &new).await {
            Ok(id) => {
                let mut j = self.store.load(run_id)?;
                j.platform[index].credential_id = Some(id.clone());
                j.note(self.clock.now(), format!("created {}", j.platform[index].describe()));
                self.store.save(&j)?;
                self.emit(Event::StepDone {
                    step: StepId::SeqeraCredential,
                    outcome: "created".into(),
                    detail: format!("{} {name} ({id}) in {}", kind.describe(), workspace.path()),
                });
                Ok(index)
            }
            Err(e) => {
                // A refusal means nothing was made; no answer leaves the intent, which the
                // next call resolves by the name.
                let made_nothing = e.status.is_some_and(|s| (400..500).contains(&s));
                let mut j = self.store.load(run_id)?;
                if made_nothing {
                    j.platform.remove(index);
                    j.note(self.clock.now(), format!("Seqera Platform refused to create credential {name}: {}", e.message));
                } else {
                    j.note(self.clock.now(), format!("creating credential {name}: no answer from Seqera Platform ({})", e.message));
                }
                self.store.save(&j)?;
                self.emit(Event::StepFailed { step: StepId::SeqeraCredential, message: e.to_string() });
                Err(refused(&url, e))
            }
        }
    }

    /// What the new credential holds: the role, or the run's access key (secret from the
    /// keychain) with the role to assume.
    pub(super) async fn credential_keys(
        &self,
        j: &Journal,
        kind: PlatformCredentialKind,
        role: Option<&PlannedRole>,
    ) -> Result<CredentialKeys, RunError> {
        if let (PlatformCredentialKind::AwsRole, Some(r)) = (kind, role) {
            return Ok(CredentialKeys::AwsRole { role_arn: r.arn.clone() });
        }
        let id = j
            .access_key_id
            .clone()
            .ok_or_else(|| RunError::NoAccessKey { run_id: j.run_id.clone(), why: "rolled back, or not applied yet".into() })?;
        let secret: SecretString = match self.vault.get(&vault_entry(&id)).await? {
            Some(s) => s,
            None => {
                return Err(RunError::SecretMissing { keychain: self.vault.describe(), access_key_id: id.clone(), entry: vault_entry(&id) })
            }
        };
        Ok(match kind {
            PlatformCredentialKind::ContainerRegistry => CredentialKeys::ContainerRegistry {
                registry: crate::export::Bundle::from_journal(j).ecr_registry(),
                user_name: id,
                password: secret,
            },
            _ => CredentialKeys::AwsKeys {
                access_key_id: id,
                secret_access_key: secret,
                assume_role_arn: role.map(|r| r.arn.clone()),
                generate_external_id: role.is_some(),
            },
        })
    }
}

/// The credential as Seqera describes it must be the one this run made.
pub(super) fn check_described(
    url: &str,
    rec: &PlatformRecord,
    got: &PlatformCredential,
    role: Option<&PlannedRole>,
) -> Result<(), RunError> {
    let provider = if rec.kind == PlatformCredentialKind::ContainerRegistry { "container-reg" } else { "aws" };
    let mut differs = Vec::new();
    if got.name != rec.name || got.provider != provider {
        differs.push(format!("it is {} of provider {}", got.name, got.provider));
    }
    if let (Some(r), true) = (role, provider == "aws") {
        if got.assume_role_arn.as_deref() != Some(r.arn.as_str()) {
            differs.push(format!("it assumes {}, not {}", got.assume_role_arn.as_deref().unwrap_or("no role"), r.arn));
        }
    }
    if let (Some(k), true) = (&rec.access_key_id, provider == "aws") {
        if got.access_key_id.as_deref() != Some(k.as_str()) {
            differs.push(format!("it holds access key {}, not {k}", got.access_key_id.as_deref().unwrap_or("none")));
        }
    }
    if !differs.is_empty() {
        return Err(refused(
            url,
            PlatformError::new(
                PlatformErrorKind::Decode,
                "GET /credentials/{id}",
                None,
                format!("credential {} is not the {} {} this run made: {}", got.id, rec.kind.describe(), rec.name, differs.join("; ")),
            ),
        ));
    }
    Ok(())
}

pub(super) fn unconfirmed(url: &str, rec: &PlatformRecord) -> RunError {
    invalid(
        "credential_name",
        "unconfirmed",
        format!(
            "an earlier attempt to create credential {} in {} at {url} stopped before Seqera Platform answered, and a credential of that name exists now: it may be that attempt's or someone else's, so Rolegate neither uses nor deletes it; delete it in Seqera Platform (Credentials) and run this again, or choose another credential name",
            rec.name, rec.workspace
        ),
    )
}
