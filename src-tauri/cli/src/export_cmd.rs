//! `rolegate export`, `credential-process`, `rotate-key` and `secrets`: thin wrappers over
//! the core's export, rotation and secrets modules.

use std::path::PathBuf;

use secrecy::ExposeSecret;
use serde_json::json;

use rolegate_core::export::profile::{self, ProfileFiles, ProfileOptions, Source};
use rolegate_core::export::{self, Bundle, ExportCredentials, Format, Rendered};
use rolegate_core::journal::{write_private_atomic, FileJournalStore, JournalStore, ProfileExport, RunStatus};
use rolegate_core::ports::{vault_entry, Clock, SystemClock};
use rolegate_core::rotate::RotateOptions;
use rolegate_core::secrets::{SecretIndex, SecretListing};
use rolegate_core::validate::FieldError;
use rolegate_core::RunError;

use crate::{engine, home, render, vault, ExportArgs, Global};

fn invalid(field: &str, rule: &str, message: impl Into<String>) -> RunError {
    RunError::Invalid(vec![FieldError::new(field, rule, message)])
}

fn store(g: &Global) -> FileJournalStore {
    FileJournalStore::new(home(g).join("runs"))
}

fn stamp() -> String {
    let now = SystemClock.now();
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", now.year(), now.month() as u8, now.day(), now.hour(), now.minute(), now.second())
}

pub async fn export(g: &Global, a: ExportArgs) -> Result<i32, RunError> {
    let format = Format::parse("format", &a.format).map_err(|e| RunError::Invalid(vec![e]))?;
    let journal = store(g).load(&a.run_id)?;
    if !matches!(journal.status, RunStatus::Applied | RunStatus::Verified | RunStatus::VerifyFailed)
        && format != Format::Terraform
        && format != Format::Cloudformation
    {
        return Err(RunError::State(format!(
            "run {} is {}; finish it (apply --resume) before exporting credentials",
            a.run_id,
            journal.status.as_str()
        )));
    }
    let bundle = Bundle::from_journal(&journal);
    let default_name = bundle.default_name();
    let (engine, _) = engine(g).await;
    // The long-lived key, with its secret from the keychain (never printed unless asked).
    let reveal = a.reveal || a.out.is_some();
    let key_creds = || async {
        let id =
            bundle.access_key_id.clone().ok_or_else(|| invalid("run", "no-access-key", format!("run {} has no access key", a.run_id)))?;
        let c = engine.credentials_for_key(&id).await?;
        Ok::<_, RunError>(ExportCredentials {
            access_key_id: c.access_key_id,
            secret: Some(c.secret_access_key),
            session_token: None,
            expiration: None,
            reveal,
        })
    };
    if format == Format::AwsProfile {
        return aws_profile(g, &a, &bundle, &default_name, &engine).await;
    }
    let rendered: Rendered = match format {
        Format::Sh | Format::Fish | Format::Powershell | Format::Dotenv => {
            let creds = if a.temporary {
                let t = engine.temporary_credentials(&a.run_id).await?;
                ExportCredentials {
                    access_key_id: t.access_key_id,
                    secret: Some(t.secret_access_key),
                    session_token: t.session_token,
                    expiration: t.expiration,
                    reveal,
                }
            } else {
                key_creds().await?
            };
            export::env(format, &bundle, &creds)
        }
        Format::Seqera => {
            let creds = if bundle.access_key_id.is_some() { Some(key_creds().await?) } else { None };
            export::seqera(&bundle, a.name.as_deref().unwrap_or(&default_name), creds.as_ref())?
        }
        Format::Registry => export::registry(&bundle, a.name.as_deref().unwrap_or(&default_name), &key_creds().await?)?,
        Format::Nextflow => export::nextflow(&bundle),
        Format::Spacelift => {
            let integration = a
                .integration
                .clone()
                .or_else(|| journal.inputs.variables.get("integration").cloned())
                .unwrap_or_else(|| "rolegate-verify".into());
            export::spacelift(&bundle, &integration, &a.stacks)
        }
        Format::Terraform => export::iac::terraform(&journal),
        Format::Cloudformation => export::iac::cloudformation(&journal),
        Format::AwsProfile => unreachable!("handled above"),
    };
    match &a.out {
        Some(path) => {
            write_private_atomic(path, rendered.text.as_bytes())
                .map_err(|e| invalid("out", "write", format!("{} could not be written: {e}", path.display())))?;
            if g.json {
                render::print_json(&json!({ "export": { "format": format, "written_to": path, "holds_secret": rendered.holds_secret } }));
            } else {
                eprintln!(
                    "wrote {} to {}{}",
                    format.id(),
                    path.display(),
                    if rendered.holds_secret { " (mode 0600; it holds a secret)" } else { "" }
                );
            }
        }
        None => {
            if g.json {
                render::print_json(&json!({ "export": rendered }));
            } else {
                print!("{}", rendered.text);
            }
            if format.carries_secret() && !rendered.holds_secret {
                eprintln!("note: secrets are masked; --out FILE writes them to a 0600 file, --reveal prints them");
            }
        }
    }
    Ok(0)
}

async fn aws_profile(
    g: &Global,
    a: &ExportArgs,
    bundle: &Bundle,
    default_name: &str,
    engine: &rolegate_core::Engine,
) -> Result<i32, RunError> {
    let name = a.profile_name.clone().unwrap_or_else(|| default_name.to_string());
    let files = ProfileFiles::resolve(
        &dirs::home_dir().unwrap_or_else(|| PathBuf::from(".")),
        std::env::var_os("AWS_CONFIG_FILE").map(PathBuf::from),
        std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from),
    );
    let source = if a.plain_keys {
        Source::PlainKeys
    } else {
        let exe =
            std::env::current_exe().map_err(|e| RunError::State(format!("cannot find this program's path for credential_process: {e}")))?;
        let exe = exe.canonicalize().unwrap_or(exe);
        let service = (g.keychain_service != rolegate_vault::SERVICE).then_some(g.keychain_service.as_str());
        let cmd = profile::credential_process_command(&exe, &home(g), service, &bundle.run_id);
        Source::CredentialProcess { command: cmd }
    };
    let secret = match (&source, &bundle.access_key_id) {
        (Source::PlainKeys, Some(id)) => Some(engine.credentials_for_key(id).await?.secret_access_key),
        _ => None,
    };
    let opts = ProfileOptions { name: name.clone(), source: source.clone(), force: a.force };
    let edit = profile::plan(bundle, &opts, &files, secret.as_ref()).map_err(profile_error)?;
    for f in &edit.files {
        eprintln!("{}:", f.path.display());
        eprint!("{}", f.diff);
    }
    if a.dry_run {
        if g.json {
            render::print_json(&json!({ "profile": edit, "written": null }));
        }
        eprintln!("dry run: nothing was written");
        return Ok(0);
    }
    let report = profile::write(&edit, &stamp()).map_err(profile_error)?;
    let store = store(g);
    let mut j = store.load(&bundle.run_id)?;
    let record = ProfileExport {
        profile: name.clone(),
        source_profile: edit.source_profile.clone().unwrap_or_else(|| name.clone()),
        config_file: files.config.clone(),
        credentials_file: files.credentials.clone(),
        plain_keys: a.plain_keys,
    };
    j.exports.retain(|e| !(e.profile == record.profile && e.config_file == record.config_file));
    j.exports.push(record);
    j.note(SystemClock.now(), format!("wrote AWS profile {name}"));
    store.save(&j)?;
    if g.json {
        render::print_json(&json!({ "profile": edit, "written": report }));
    } else {
        for b in &report.backups {
            eprintln!("backup: {}", b.display());
        }
        eprintln!("wrote profile {name}; try: aws sts get-caller-identity --profile {name}");
    }
    Ok(0)
}

fn profile_error(e: profile::ProfileError) -> RunError {
    match e {
        profile::ProfileError::Invalid(f) => RunError::Invalid(vec![f]),
        profile::ProfileError::Exists { profile, path, source } => RunError::Invalid(vec![FieldError::new(
            "profile",
            "exists",
            format!(
                "profile {profile} already exists in {} ({}); choose another name with --profile-name, or replace it with --force (a backup is written first)",
                path.display(),
                source.existing.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )]),
        profile::ProfileError::Io { action, path, source } => RunError::State(format!("could not {action} {}: {source}", path.display())),
    }
}

/// The AWS CLI and SDKs run this and read its stdout; errors go to stderr.
pub async fn credential_process(g: &Global, run: Option<String>, access_key_id: Option<String>) -> Result<i32, RunError> {
    let id = match (run, access_key_id) {
        (_, Some(id)) => id,
        (Some(run), None) => store(g)
            .load(&run)?
            .access_key_id
            .ok_or_else(|| RunError::State(format!("run {run} has no access key (rolled back, or not applied yet)")))?,
        (None, None) => return Err(invalid("run", "required", "give --run RUN_ID or --access-key-id ID")),
    };
    let v = vault(g);
    let secret = v
        .get(&vault_entry(&id))
        .await?
        .ok_or_else(|| RunError::State(format!("{} holds no secret for access key {id} (entry {})", v.describe(), vault_entry(&id))))?;
    let out = json!({ "Version": 1, "AccessKeyId": id, "SecretAccessKey": secret.expose_secret() });
    println!("{out}");
    Ok(0)
}

pub async fn rotate(
    g: &Global,
    run_id: Option<String>,
    user: Option<String>,
    old_key: Option<String>,
    replace_key: Option<String>,
) -> Result<i32, RunError> {
    let (engine, _) = engine(g).await;
    let opts = RotateOptions { replace_key };
    let r = match (&run_id, &user) {
        (Some(run), _) => engine.rotate_key(run, &opts).await?,
        (None, Some(user)) => {
            let state = rolegate_core::rotate::UserRotationStore { dir: home(g).join("rotations") };
            engine.rotate_user_key(user, old_key, &opts, &state).await?
        }
        (None, None) => return Err(invalid("run_id", "required", "give a run id or --user NAME")),
    };
    if g.json {
        render::print_json(&json!({ "rotation": r }));
    } else {
        for d in &r.done {
            println!("✓ {d}");
        }
        match &run_id {
            Some(run) => println!("run {run} now uses access key {}", r.new_key),
            None => println!("user {} now has access key {}", r.user, r.new_key),
        }
    }
    Ok(0)
}

fn listings(g: &Global, present: &[(String, bool)]) -> Result<Vec<SecretListing>, RunError> {
    let index = SecretIndex::new(home(g).join("secrets.json"));
    let runs = store(g).list()?;
    let now = SystemClock.now();
    Ok(index
        .load()
        .into_iter()
        .map(|r| SecretListing {
            runs: runs
                .iter()
                .filter(|j| j.access_key_id.as_deref() == Some(r.access_key_id.as_str()) && j.status != RunStatus::RolledBack)
                .map(|j| j.run_id.clone())
                .collect(),
            present: present.iter().any(|(e, p)| *e == r.entry && *p),
            age_days: (now - r.stored_at).whole_days(),
            access_key_id: r.access_key_id,
            entry: r.entry,
            stored_at: r.stored_at,
        })
        .collect())
}

pub async fn secrets_list(g: &Global) -> Result<i32, RunError> {
    let v = vault(g);
    let index = SecretIndex::new(home(g).join("secrets.json"));
    let mut present = Vec::new();
    for r in index.load() {
        present.push((r.entry.clone(), v.get(&r.entry).await?.is_some()));
    }
    let list = listings(g, &present)?;
    if g.json {
        render::print_json(&json!({ "secrets": list, "keychain": v.describe() }));
    } else {
        println!("{} (entries named aws-secret-access-key/<access key id>)", v.describe());
        for s in &list {
            println!(
                "{}  stored {} ({} day(s) ago){}{}",
                s.access_key_id,
                s.stored_at.date(),
                s.age_days,
                if s.present { "" } else { "  MISSING from the keychain" },
                if s.runs.is_empty() { String::new() } else { format!("  used by {}", s.runs.join(", ")) }
            );
        }
        if list.is_empty() {
            println!("no secrets stored");
        }
    }
    Ok(0)
}

pub async fn secrets_delete(g: &Global, id: &str, force: bool) -> Result<i32, RunError> {
    let users: Vec<String> = store(g)
        .list()?
        .into_iter()
        .filter(|j| j.access_key_id.as_deref() == Some(id) && j.status != RunStatus::RolledBack)
        .map(|j| j.run_id)
        .collect();
    if !users.is_empty() && !force {
        return Err(RunError::State(format!(
            "access key {id} is the live key of run(s) {}; without its secret their profiles stop working. Roll the run back or rotate its key first, or pass --force",
            users.join(", ")
        )));
    }
    let existed = vault(g).delete(&vault_entry(id)).await?;
    if g.json {
        render::print_json(&json!({ "deleted": existed, "access_key_id": id }));
    } else if existed {
        println!("deleted the secret of {id} from the keychain (the key itself still exists in AWS)");
    } else {
        println!("the keychain held no secret for {id}");
    }
    // Naming a secret that is not there is bad input.
    Ok(if existed { 0 } else { 2 })
}
