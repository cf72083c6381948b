//! `rolegate-app --home H [--keychain-service S] credential-process --run RUN_ID`: the
//! app answers the `credential_process` line of the profiles it writes, with the same
//! command line as the CLI's, so an installed app works without the CLI. No window opens.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use rolegate_core::home::Home;
use rolegate_core::secrets;
use rolegate_vault::Keychain;

/// The app's command line: nothing (the window), or `credential-process`.
#[derive(Parser, Debug)]
#[command(name = "rolegate-app", about = "Rolegate's desktop app; with credential-process it answers the AWS CLI and SDKs")]
struct AppArgs {
    #[arg(long)]
    home: Option<PathBuf>,
    #[arg(long, default_value = rolegate_vault::SERVICE)]
    keychain_service: String,
    #[command(subcommand)]
    command: Option<AppCommand>,
}

#[derive(Subcommand, Debug)]
enum AppCommand {
    /// Print the credential_process JSON for a run's key, its secret from the keychain.
    CredentialProcess {
        #[arg(long, conflicts_with = "access_key_id", required_unless_present = "access_key_id")]
        run: Option<String>,
        #[arg(long)]
        access_key_id: Option<String>,
    },
}

/// A `credential-process` request, parsed.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub home: Option<PathBuf>,
    pub keychain_service: String,
    pub run: Option<String>,
    pub access_key_id: Option<String>,
}

const SUBCOMMAND: &str = "credential-process";

/// What the command line asks for: `None` opens the window (as any command line that
/// does not name `credential-process` does, whatever else it holds: a desktop may add
/// its own arguments); otherwise the request, or clap's error for a malformed one.
pub fn requested(args: &[String]) -> Option<Result<Request, clap::Error>> {
    match AppArgs::try_parse_from(args) {
        Ok(AppArgs { home, keychain_service, command: Some(AppCommand::CredentialProcess { run, access_key_id }) }) => {
            Some(Ok(Request { home, keychain_service, run, access_key_id }))
        }
        Ok(AppArgs { command: None, .. }) => None,
        Err(e) => args.iter().any(|a| a == SUBCOMMAND).then_some(Err(e)),
    }
}

/// Answer a `credential-process` command line: prints the JSON the AWS CLI and SDKs read
/// and returns the exit code (clap's for a malformed line, the error's class otherwise).
pub fn run(request: Result<Request, clap::Error>) -> i32 {
    let r = match request {
        Ok(r) => r,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let home = Home::locate(r.home);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rolegate credential-process: {e}");
            return 1;
        }
    };
    let vault = Keychain::with_service(&r.keychain_service);
    match rt.block_on(secrets::credential_process_json(&home.journal_store(), &vault, r.run.as_deref(), r.access_key_id.as_deref())) {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(e) => {
            eprintln!("rolegate credential-process: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_arguments_are_well_formed() {
        use clap::CommandFactory;
        AppArgs::command().debug_assert();
    }

    #[test]
    fn the_profile_line_the_app_writes_parses_as_a_credential_process_request() {
        let r = requested(&args(&["rolegate-app", "--home", "/h/it's here", "credential-process", "--run", "rg-1"]));
        let want = Request {
            home: Some("/h/it's here".into()),
            keychain_service: rolegate_vault::SERVICE.into(),
            run: Some("rg-1".into()),
            access_key_id: None,
        };
        assert_eq!(r.unwrap().unwrap(), want);
        let r = requested(&args(&["rolegate-app", "--keychain-service", "s", "credential-process", "--access-key-id", "AKIA1"]));
        let want = Request { home: None, keychain_service: "s".into(), run: None, access_key_id: Some("AKIA1".into()) };
        assert_eq!(r.unwrap().unwrap(), want);
    }

    #[test]
    fn a_command_line_without_credential_process_opens_the_window() {
        assert!(requested(&args(&["rolegate-app"])).is_none());
        assert!(requested(&args(&["rolegate-app", "-psn_0_12345"])).is_none(), "arguments a desktop adds are not refused");
        assert!(requested(&args(&["rolegate-app", "--home", "/h"])).is_none());
    }

    #[test]
    fn a_malformed_credential_process_line_is_refused_with_exit_2() {
        use clap::error::ErrorKind;
        let missing = requested(&args(&["rolegate-app", "credential-process"])).unwrap().unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::MissingRequiredArgument);
        let both = requested(&args(&["rolegate-app", "credential-process", "--run", "rg-1", "--access-key-id", "AKIA1"]));
        let both = both.unwrap().unwrap_err();
        assert_eq!(both.kind(), ErrorKind::ArgumentConflict);
        assert_eq!(run(Err(both)), 2);
    }

    #[test]
    fn a_run_the_home_does_not_hold_is_a_bad_input_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let line = args(&["rolegate-app", "--home", dir.path().to_str().unwrap(), "credential-process", "--run", "rg-nowhere"]);
        assert_eq!(run(requested(&line).unwrap()), 2);
    }
}
