//! `rolegate export`, `credential-process`, `rotate-key` and `secrets`: thin wrappers over
//! the core's service, export, rotation and secrets modules.

use std::path::PathBuf;

use serde_json::json;

use rolegate_core::engine::exports::{aws_files, ExportRequest};
use rolegate_core::engine::rotate::RotateOptions;
use rolegate_core::export::profile::{self, ProfileOptions, Source};
use rolegate_core::export::{Bundle, Format, Rendered};
use rolegate_core::fs::write_private_atomic;
use rolegate_core::journal::FileJournalStore;
use rolegate_core::ports::{Clock, SystemClock};
use rolegate_core::secrets::{self, SecretIndex};
use rolegate_core::validate::FieldError;
use rolegate_core::RunError;

use crate::{engine, home, render, vault, ExportArgs, Global};

fn invalid(field: &str, rule: &str, message: impl Into<String>) -> RunError {
    RunError::Invalid(vec![FieldError::new(field, rule, message)])
}

fn store(g: &Global) -> FileJournalStore {
    home(g).journal_store()
}

pub async fn export(g: &Global, a: ExportArgs) -> Result<i32, RunError> {
    let format = Format::parse("format", &a.format).map_err(|e| RunError::Invalid(vec![e]))?;
    let (engine, _) = engine(g).await;
    if format == Format::AwsProfile {
        return aws_profile(g, &a, &engine).await;
    }
    let req = ExportRequest {
        format,
        name: a.name.clone(),
        temporary: a.temporary,
        reveal: a.reveal || a.out.is_some(),
        integrations: a
            .integrations
            .iter()
            .map(|i| match i.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (String::new(), i.clone()),
            })
            .collect(),
        stacks: a.stacks.clone(),
    };
    let rendered: Rendered = engine.render_export(&a.run_id, &req).await?;
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
                print!("{}", rendered.text.as_str());
            }
            if format.carries_secret() && !rendered.holds_secret {
                eprintln!("note: secrets are masked; --out FILE writes them to a 0600 file, --reveal prints them");
            }
        }
    }
    Ok(0)
}

async fn aws_profile(g: &Global, a: &ExportArgs, engine: &rolegate_core::Engine) -> Result<i32, RunError> {
    let name = match &a.profile_name {
        Some(n) => n.clone(),
        None => Bundle::from_journal(&engine.journal(&a.run_id)?).default_name(),
    };
    let files = aws_files(&dirs::home_dir().unwrap_or_else(|| PathBuf::from(".")));
    let source = if a.plain_keys {
        Source::PlainKeys
    } else {
        let service = (g.keychain_service != rolegate_vault::SERVICE).then_some(g.keychain_service.as_str());
        profile::this_program(home(g).path(), service, &a.run_id)?
    };
    let opts = ProfileOptions { name: name.clone(), source, force: a.force };
    let edit = engine.profile_edit(&a.run_id, &opts, &files).await?;
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
    let (edit, report) = engine.write_profile(&a.run_id, &opts, &files).await?;
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

/// The AWS CLI and SDKs run this and read its stdout; errors go to stderr.
pub async fn credential_process(g: &Global, run: Option<String>, access_key_id: Option<String>) -> Result<i32, RunError> {
    println!("{}", secrets::credential_process_json(&store(g), vault(g).as_ref(), run.as_deref(), access_key_id.as_deref()).await?);
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
            let state = rolegate_core::engine::rotate::UserRotationStore { dir: home(g).rotations() };
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

pub async fn secrets_list(g: &Global) -> Result<i32, RunError> {
    let v = vault(g);
    let index = SecretIndex::new(home(g).secrets_index());
    let list = secrets::secret_listings(&store(g), v.as_ref(), &index, SystemClock.now()).await?;
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
    let existed = secrets::delete_secret(&store(g), vault(g).as_ref(), id, force).await?;
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
