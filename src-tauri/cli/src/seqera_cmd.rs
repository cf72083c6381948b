//! `rolegate seqera login|workspaces|logout`: thin wrappers over the core's
//! `platform_session` (sign-in, the signed-in user's workspaces, sign-out). The token is
//! read from standard input only, never from the command line.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use clap::Subcommand;
use secrecy::SecretString;
use serde_json::json;

use rolegate_core::platform_session::{resolve_url, PlatformSession, SEQERA_URL_ENV};
use rolegate_core::validate::FieldError;
use rolegate_core::RunError;
use rolegate_seqera::SeqeraHttp;
use rolegate_vault::Keychain;

use crate::{home, render, Global};

#[derive(Subcommand)]
pub enum SeqeraCommand {
    /// Sign in with an access token read from standard input; it is kept in the keychain.
    Login {
        /// The platform's API URL (default: ROLEGATE_SEQERA_URL, else https://api.cloud.seqera.io).
        #[arg(long)]
        url: Option<String>,
        /// Read the access token from the first line of stdin (at a terminal: a prompt
        /// that does not echo). Required: a token is never taken from the command line.
        #[arg(long, required = true)]
        token_stdin: bool,
    },
    /// List the signed-in user's workspaces as ORG/WORKSPACE with their ids.
    Workspaces,
    /// Remove the token from the keychain and forget the platform.
    Logout,
}

fn session(g: &Global) -> PlatformSession {
    PlatformSession::new(Arc::new(SeqeraHttp), Arc::new(Keychain::with_service(&g.keychain_service)), home(g))
}

pub async fn run(g: &Global, cmd: SeqeraCommand) -> Result<i32, RunError> {
    let s = session(g);
    match cmd {
        SeqeraCommand::Login { url, token_stdin: _ } => {
            let env = std::env::var(SEQERA_URL_ENV).ok();
            let url = resolve_url(url.as_deref(), env.as_deref())?;
            let token = read_token_stdin()?;
            let signed = s.sign_in(&url, token).await?;
            if g.json {
                render::print_json(
                    &json!({ "signed_in": { "url": signed.url, "user": signed.user, "keychain": s.keychain(), "entry": signed.entry } }),
                );
            } else {
                let email = signed.user.email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default();
                println!("signed in to {} as {}{email} (user id {})", signed.url, signed.user.user_name, signed.user.id);
                eprintln!("the token is kept in {} (entry {})", s.keychain(), signed.entry);
            }
            Ok(0)
        }
        SeqeraCommand::Workspaces => {
            let (signed, list) = s.workspaces().await?;
            if g.json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|w| {
                        json!({ "path": w.path(), "org_id": w.org_id, "org_name": w.org_name, "workspace_id": w.workspace_id, "workspace_name": w.workspace_name, "full_name": w.full_name })
                    })
                    .collect();
                render::print_json(&json!({ "url": signed.url, "user": signed.user, "workspaces": rows }));
            } else {
                eprintln!("{} at {}", signed.user.user_name, signed.url);
                if list.is_empty() {
                    println!("no workspaces: the user belongs to none");
                }
                for w in &list {
                    println!("{}\tworkspace {}\torganization {}", w.path(), w.workspace_id, w.org_id);
                }
            }
            Ok(0)
        }
        SeqeraCommand::Logout => {
            let out = s.sign_out().await?;
            if g.json {
                render::print_json(&json!({ "signed_out": out }));
            } else {
                match (&out.url, out.removed) {
                    (Some(url), true) => println!("signed out of {url}; the token is removed from {}", s.keychain()),
                    (Some(url), false) => println!("signed out of {url} (the keychain held no token for it)"),
                    (None, _) => println!("not signed in to Seqera Platform; nothing to do"),
                }
            }
            Ok(0)
        }
    }
}

/// The access token: typed at the terminal without echo, or the first line of a pipe or
/// file. Emptiness and shape are the core's to judge.
fn read_token_stdin() -> Result<SecretString, RunError> {
    let stdin = std::io::stdin();
    let read_err = |e: std::io::Error| RunError::Invalid(vec![FieldError::new("token", "stdin", format!("could not read stdin: {e}"))]);
    let mut line = zeroize::Zeroizing::new(String::new());
    if stdin.is_terminal() {
        *line = rpassword::prompt_password("Seqera Platform access token (not shown): ").map_err(read_err)?;
    } else {
        stdin.lock().read_line(&mut line).map_err(read_err)?;
    }
    Ok(SecretString::from(line.as_str()))
}
