//! `rolegate`: the onboarding engine without a window. Progress goes to stderr, results
//! to stdout (`--json` for scripts, schema in docs/CLI.md), and the exit code says what
//! kind of failure happened.
//!
//! Longer than 500 lines: the clap definitions sit beside their dispatch, so a flag and
//! what it does read together; the next command should move the definitions to a module.

// RunError is large by design (see rolegate-core); it is returned once per command.
#![allow(clippy::result_large_err)]

mod render;

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use serde_json::json;

use rolegate_aws::{AwsConnect, ConnectOptions};
use rolegate_core::engine::SeqeraOptions;
use rolegate_core::home::Home;
use rolegate_core::journal::{JournalStore, RunSummary};
use rolegate_core::plan::RunInputs;
use rolegate_core::policy;
use rolegate_core::ports::SystemClock;
use rolegate_core::propagation::PollSettings;
use rolegate_core::secrets::{IndexedVault, SecretIndex};
use rolegate_core::template::{self, Template};
use rolegate_core::validate::{FieldError, Tag};
use rolegate_core::{ApplyOptions, Engine, RollbackOptions, RunError};
use rolegate_vault::Keychain;

mod export_cmd;
mod fleet_cmd;
mod fleet_run;
mod seqera_cmd;
mod trust_cmd;

/// Exit code of a failed verification.
const EXIT_VERIFY_FAILED: i32 = 3;

#[derive(Parser)]
#[command(name = "rolegate", version, about = "Onboard an AWS account for a SaaS workspace: create, verify, export, roll back.")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// AWS profile for the identity doing the onboarding: its own credentials are used,
    /// whatever AWS_* variables hold (as `aws --profile`). Without it: the usual AWS
    /// resolution, where environment keys come before AWS_PROFILE.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, else us-east-1).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Send IAM and STS calls to this endpoint (an emulator, a VPC endpoint); default:
    /// AWS_ENDPOINT_URL_IAM/_STS, AWS_ENDPOINT_URL, the profile's endpoint_url.
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Where journals are kept (default: ROLEGATE_HOME, else the platform data folder,
    /// e.g. ~/.local/share/rolegate).
    #[arg(long, global = true)]
    home: Option<PathBuf>,
    /// How long to wait for IAM to propagate a new key or role, in seconds.
    #[arg(long, global = true, default_value_t = 120)]
    propagation_timeout: u64,
    /// Keychain service name (tests use their own).
    #[arg(long, global = true, env = "ROLEGATE_KEYCHAIN_SERVICE", default_value = rolegate_vault::SERVICE, hide = true)]
    keychain_service: String,
}

#[derive(Subcommand)]
enum Command {
    /// List the templates.
    Templates,
    /// Show every AWS call a run would make, with its documents. Changes nothing.
    Plan(PlanArgs),
    /// Create everything, wait for AWS to accept it, then verify it.
    Apply(ApplyArgs),
    /// Check an applied run: assume with the External ID, and not without it.
    Verify {
        run_id: String,
        /// Profile whose credentials act as the trusted platform principal (role mode).
        #[arg(long)]
        assume_as_profile: Option<String>,
    },
    /// Check credentials that already exist.
    TestConnection(TestArgs),
    /// Delete what a run made, in reverse order, only what it provably made.
    Rollback {
        run_id: String,
        /// Also delete access keys on the run's user that the journal does not record.
        #[arg(long)]
        delete_unrecorded_keys: bool,
    },
    /// List runs, or show one.
    Runs { run_id: Option<String> },
    /// Hand over what the receiving side reads (profiles, env, platform JSON, IaC).
    Export(ExportArgs),
    /// Print the AWS credential_process JSON for a run's key, its secret read from the keychain.
    CredentialProcess {
        /// The run whose current access key to use (follows key rotations).
        #[arg(long, conflicts_with = "access_key_id", required_unless_present = "access_key_id")]
        run: Option<String>,
        /// An access key id whose secret is in the keychain.
        #[arg(long)]
        access_key_id: Option<String>,
    },
    /// Rotate the access key of a run's user, or of a named IAM user.
    RotateKey {
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        run_id: Option<String>,
        /// An IAM user no run made (its new secret goes to the keychain).
        #[arg(long)]
        user: Option<String>,
        /// With --user: the key to retire, when the user has more than one.
        #[arg(long, requires = "user")]
        old_key: Option<String>,
        /// If the user already has two keys: the other key, to delete to make room.
        #[arg(long)]
        replace_key: Option<String>,
    },
    /// Adopt or change the External ID of an applied run's role (the platform's value).
    SetExternalId {
        run_id: String,
        /// The new External ID; ROLE_KEY=VALUE names the role (needed when the run has several).
        #[arg(value_name = "[ROLE_KEY=]VALUE")]
        value: String,
        /// Do not verify after the change.
        #[arg(long)]
        no_verify: bool,
    },
    /// The secrets Rolegate keeps in the keychain.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Seqera Platform: sign in with an access token, list workspaces, sign out.
    #[command(subcommand)]
    Seqera(seqera_cmd::SeqeraCommand),
    /// Fleet onboarding across an AWS Organization: its OUs and accounts.
    #[command(subcommand)]
    Fleet(fleet_cmd::FleetCommand),
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Access key ids and ages (never the secrets).
    List,
    /// Delete a stored secret.
    Delete {
        access_key_id: String,
        /// Delete it even though a run still uses the key.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct ExportArgs {
    run_id: String,
    /// aws-profile, sh, fish, powershell, dotenv, seqera, registry, nextflow, spacelift, terraform, cloudformation.
    #[arg(long, short = 'f')]
    format: String,
    /// Write to this file (mode 0600, atomically), secrets included; stdout shows only the path.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print secrets on stdout instead of masking them.
    #[arg(long)]
    reveal: bool,
    /// Environment formats: temporary credentials from a fresh AssumeRole instead of the long-lived key.
    #[arg(long)]
    temporary: bool,
    /// aws-profile: the profile name (default: rolegate-TEMPLATE).
    #[arg(long)]
    profile_name: Option<String>,
    /// aws-profile: write the key and secret into the credentials file (0600) instead of credential_process.
    #[arg(long)]
    plain_keys: bool,
    /// aws-profile: replace profiles of the same name.
    #[arg(long)]
    force: bool,
    /// aws-profile: show the change and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// seqera, registry: the credential's name in the platform (default: rolegate-TEMPLATE).
    #[arg(long)]
    name: Option<String>,
    /// spacelift: stack slugs to list External IDs for.
    #[arg(long = "stack")]
    stacks: Vec<String>,
    /// spacelift: the Spacelift integration id of a role, as ROLE_KEY=ID (repeat it: each
    /// integration holds one role); a bare ID for a one-role run. Default: the run's
    /// `KEY_integration` variable.
    #[arg(long = "integration", value_name = "[ROLE_KEY=]ID")]
    integrations: Vec<String>,
}

#[derive(Args, Clone, Default)]
struct PlanArgs {
    /// Template id (see `rolegate templates`); with --template-file, one of the file's
    /// variants.
    #[arg(long, short = 't', required_unless_present = "template_file")]
    template: Option<String>,
    /// Load the template from a file instead (format: docs/TEMPLATES.md).
    #[arg(long)]
    template_file: Option<PathBuf>,
    /// Tick one of the template's optional features (repeatable; see `rolegate templates`).
    #[arg(long = "feature", value_name = "KEY")]
    features: Vec<String>,
    /// IAM path for everything created.
    #[arg(long, default_value = "/")]
    path: String,
    /// Name override: user=NAME, role:KEY=NAME, policy:KEY=NAME.
    #[arg(long = "name", value_name = "WHAT=NAME")]
    names: Vec<String>,
    /// Template variable: NAME=VALUE.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Trusted principal (account id or ARN), replacing the template's platform principal.
    #[arg(long = "trusted-principal")]
    trusted_principals: Vec<String>,
    /// External ID the platform gave you, for a role: KEY=VALUE (default: generated).
    #[arg(long = "external-id", value_name = "ROLE=VALUE")]
    external_ids: Vec<String>,
    /// Permissions policy document from a file: KEY=FILE.
    #[arg(long = "policy-file", value_name = "KEY=FILE")]
    policy_files: Vec<String>,
    /// Tag for every resource: KEY=VALUE.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
}

/// `apply -t ID [inputs]` plans and starts a new run; `apply --resume RUN_ID` continues
/// one, whose inputs are in its journal, so every plan input is refused beside it.
#[derive(Args)]
#[command(mut_arg("template", |a| a.required_unless_present_any(["template_file", "resume"])))]
struct ApplyArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Continue a run that stopped (crash, failure, time-out); its plan is in its journal.
    #[arg(
        long,
        value_name = "RUN_ID",
        conflicts_with_all = ["template", "template_file", "features", "path", "names", "vars", "trusted_principals", "external_ids", "policy_files", "tags"]
    )]
    resume: Option<String>,
    /// If the user already has two access keys: delete this one to make room.
    #[arg(long)]
    replace_key: Option<String>,
    /// Start a plan whose warnings name a way to administrator access (they are printed
    /// first); without it such a plan is refused and nothing is made.
    #[arg(long, conflicts_with = "resume")]
    acknowledge_admin_access: bool,
    /// Do not verify after applying.
    #[arg(long, conflicts_with = "seqera_workspace")]
    no_verify: bool,
    /// Then create the run's credential in this Seqera Platform workspace (signed in
    /// with `rolegate seqera login`), give its role Seqera's External ID, and let Seqera
    /// check it. Checked before anything is made.
    #[arg(long, value_name = "ORG/WORKSPACE")]
    seqera_workspace: Option<String>,
    /// With --seqera-workspace: the credential's name (default: rolegate-TEMPLATE-RUN_ID).
    #[arg(long, requires = "seqera_workspace")]
    seqera_credential_name: Option<String>,
}

#[derive(Args)]
struct TestArgs {
    /// An access key id whose secret is in the keychain, or read from stdin with --secret-stdin.
    #[arg(long)]
    access_key_id: Option<String>,
    /// Read the secret access key from the first line of stdin (never from the command line).
    #[arg(long, requires = "access_key_id")]
    secret_stdin: bool,
    /// Store the secret read from stdin in the keychain for next time, once it signs in.
    /// A different secret already stored for the key is kept (the command is refused).
    #[arg(long, requires = "secret_stdin")]
    save: bool,
    /// With --save: replace a different secret the keychain holds for the key, once the
    /// new one signs in.
    #[arg(long, requires = "save")]
    replace_saved: bool,
    /// A role to assume with the External ID.
    #[arg(long, requires = "external_id")]
    role_arn: Option<String>,
    #[arg(long, requires = "role_arn")]
    external_id: Option<String>,
    /// Session name for the assumed role.
    #[arg(long, default_value = "rolegate-test-connection")]
    session_name: String,
}

fn main() {
    let cli = Cli::parse();
    if let Err(message) = rolegate_aws::logging::init_from_env() {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let json = cli.global.json;
    let code = match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&json!({ "error": e.report() })).expect("json"));
            } else {
                eprintln!("error: {e}");
                if let Some(hint) = e.hint(rolegate_core::error::Frontend::Cli) {
                    eprintln!("hint: {hint}");
                }
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// The home, by the rule the app shares (`rolegate_core::home::Home`).
fn home(g: &Global) -> Home {
    Home::locate(g.home.clone())
}

fn vault(g: &Global) -> Arc<dyn rolegate_core::ports::Vault> {
    Arc::new(IndexedVault {
        inner: Arc::new(Keychain::with_service(&g.keychain_service)),
        index: Arc::new(SecretIndex::new(home(g).secrets_index())),
        clock: Arc::new(SystemClock),
    })
}

async fn engine(g: &Global) -> (Engine, AwsConnect) {
    let connect =
        AwsConnect::load(&ConnectOptions { profile: g.profile.clone(), region: g.region.clone(), endpoint_url: g.endpoint_url.clone() })
            .await;
    let engine = Engine::with_home(
        Arc::new(connect.clone()),
        Arc::new(Keychain::with_service(&g.keychain_service)),
        home(g).path(),
        render::progress_printer(),
        PollSettings { timeout: Duration::from_secs(g.propagation_timeout), ..PollSettings::default() },
    );
    (engine, connect)
}

fn pairs(field: &str, list: &[String]) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut out = BTreeMap::new();
    let mut errs = Vec::new();
    for item in list {
        match item.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            _ => errs.push(FieldError::new(field, "syntax", format!("must be written KEY=VALUE; got {item:?}"))),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

fn load_template(a: &PlanArgs) -> Result<Template, RunError> {
    if let Some(path) = &a.template_file {
        let field = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| RunError::Invalid(vec![FieldError::new(&field, "file", format!("cannot be read: {e}"))]))?;
        let all = Template::from_json_all(&field, &text)?;
        return template::pick("template", all, a.template.as_deref()).map_err(|e| RunError::Invalid(vec![e]));
    }
    let id = a.template.clone().unwrap_or_default();
    template::find_builtin(&id).ok_or_else(|| {
        RunError::Invalid(vec![FieldError::new(
            "template",
            "unknown-template",
            format!(
                "no template {id:?}; choose one of {}",
                template::builtin().iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )])
    })
}

fn inputs(a: &PlanArgs, t: &Template, region: String) -> Result<RunInputs, RunError> {
    let mut errs = Vec::new();
    let mut take = |r: Result<BTreeMap<String, String>, Vec<FieldError>>| {
        r.unwrap_or_else(|e| {
            errs.extend(e);
            BTreeMap::new()
        })
    };
    let names = take(pairs("name", &a.names));
    let variables = take(pairs("var", &a.vars));
    let external_ids = take(pairs("external-id", &a.external_ids));
    let files = take(pairs("policy-file", &a.policy_files));
    let mut policy_documents = BTreeMap::new();
    for (k, path) in files {
        let field = format!("policy_file.{k}");
        match std::fs::read_to_string(&path) {
            Ok(text) => match policy::parse(&field, &text) {
                Ok(v) => {
                    policy_documents.insert(k, v);
                }
                Err(e) => errs.push(e),
            },
            Err(e) => errs.push(FieldError::new(&field, "file", format!("{path} cannot be read: {e}"))),
        }
    }
    let mut tags = Vec::new();
    for (i, t) in a.tags.iter().enumerate() {
        match Tag::parse(&format!("tags[{i}]"), t) {
            Ok(t) => tags.push(t),
            Err(e) => errs.push(e),
        }
    }
    if !errs.is_empty() {
        return Err(RunError::Invalid(errs));
    }
    Ok(RunInputs {
        template_id: t.id.clone(),
        region,
        path: a.path.clone(),
        names,
        variables,
        trusted_principals: a.trusted_principals.clone(),
        external_ids,
        policy_documents,
        tags,
        features: a.features.clone(),
        // Looked up by the engine when it plans.
        clusters: Default::default(),
    })
}

async fn run(cli: Cli) -> Result<i32, RunError> {
    let g = cli.global.clone();
    match cli.command {
        Command::Templates => {
            let all = template::builtin();
            if g.json {
                render::print_json(&json!({ "templates": all }));
            } else {
                render::templates(&all);
            }
            Ok(0)
        }
        Command::Plan(a) => {
            let (engine, connect) = engine(&g).await;
            let t = load_template(&a)?;
            let plan = engine.plan(&t, &inputs(&a, &t, connect.region())?).await?;
            if g.json {
                render::print_json(&json!({ "plan": plan }));
            } else {
                render::plan(&plan);
            }
            Ok(if plan.blocked() { 2 } else { 0 })
        }
        Command::Apply(a) => {
            let (engine, connect) = engine(&g).await;
            let template = if a.resume.is_none() { Some(load_template(&a.plan)?) } else { None };
            let seqera = match &a.seqera_workspace {
                Some(ws) => Some(seqera_cmd::preflight(&g, ws, template.as_ref()).await?),
                None => None,
            };
            let run_id = match &a.resume {
                Some(id) => {
                    eprintln!("resuming run {id}");
                    id.clone()
                }
                None => {
                    let t = template.expect("a template when not resuming");
                    let run_inputs = inputs(&a.plan, &t, connect.region())?;
                    let plan = engine.plan(&t, &run_inputs).await?;
                    if !g.json {
                        render::plan(&plan);
                    }
                    plan.ready_to_start(a.acknowledge_admin_access)?;
                    let journal = engine.start(plan, run_inputs)?;
                    eprintln!("run {} started; journal in {}", journal.run_id, home(&g).runs().display());
                    journal.run_id
                }
            };
            let journal = engine.apply(&run_id, &ApplyOptions { replace_key: a.replace_key.clone() }).await?;
            eprintln!("run {run_id}: every step is done");
            if let (Some(api), Some(workspace)) = (&seqera, &a.seqera_workspace) {
                if !g.json {
                    render::applied(&journal);
                }
                let opts = SeqeraOptions { workspace: workspace.clone(), credential_name: a.seqera_credential_name.clone() };
                let c = engine.connect_seqera(api.as_ref(), &run_id, &opts).await?;
                let j = engine.store.load(&run_id).unwrap_or(journal);
                let doc = json!({ "run_id": run_id, "identity": j.plan.identity, "resources": j.resources, "access_key_id": j.access_key_id, "roles": j.plan.roles });
                return Ok(seqera_cmd::print_connection(&g, &c, doc));
            }
            let report = if a.no_verify { None } else { Some(engine.verify(&run_id, None).await?) };
            let journal = engine.store.load(&run_id).unwrap_or(journal);
            if g.json {
                render::print_json(
                    &json!({ "run_id": run_id, "identity": journal.plan.identity, "status": journal.status, "resources": journal.resources, "access_key_id": journal.access_key_id, "roles": journal.plan.roles, "verification": report }),
                );
            } else {
                render::applied(&journal);
                if let Some(r) = &report {
                    render::run_report(r, &journal);
                }
            }
            Ok(match &report {
                Some(r) if !r.passed() => EXIT_VERIFY_FAILED,
                _ => 0,
            })
        }
        Command::Verify { run_id, assume_as_profile } => {
            let (engine, _) = engine(&g).await;
            let assumer = match assume_as_profile {
                Some(p) => {
                    let c = AwsConnect::load(&ConnectOptions {
                        profile: Some(p),
                        region: g.region.clone(),
                        endpoint_url: g.endpoint_url.clone(),
                    })
                    .await;
                    c.source().check_named("assume_as_profile").map_err(|e| RunError::Invalid(vec![e]))?;
                    eprintln!("assuming the roles as {}", c.source());
                    Some(c.resolve_credentials().await.map_err(|e| RunError::Aws {
                        step: None,
                        error: e,
                        run_id: None,
                        created: vec![],
                    })?)
                }
                None => None,
            };
            let report = engine.verify(&run_id, assumer.as_ref()).await?;
            let journal = engine.journal(&run_id)?;
            if g.json {
                render::print_json(
                    &json!({ "run_id": run_id, "status": journal.status, "passed": report.passed(), "verification": report }),
                );
            } else {
                render::run_report(&report, &journal);
            }
            Ok(if report.passed() { 0 } else { EXIT_VERIFY_FAILED })
        }
        Command::TestConnection(a) => {
            let (engine, _) = engine(&g).await;
            let secret = match &a.access_key_id {
                Some(_) if a.secret_stdin => Some(read_secret_stdin()?),
                _ => None,
            };
            let req = rolegate_core::engine::connection::TestRequest {
                access_key_id: a.access_key_id.clone(),
                secret,
                save: a.save,
                replace_saved: a.replace_saved,
                role_arn: a.role_arn.clone(),
                external_id: a.external_id.clone(),
                session_name: a.session_name.clone(),
            };
            let outcome = engine.test_connection(&req).await?;
            let report = &outcome.connection;
            if let Some(saved) = &outcome.saved {
                eprintln!("{}", saved.message);
            }
            if g.json {
                render::print_json(&json!({ "passed": report.passed(), "connection": report, "saved": outcome.saved }));
            } else {
                render::report(report);
            }
            Ok(if report.passed() { 0 } else { EXIT_VERIFY_FAILED })
        }
        Command::Rollback { run_id, delete_unrecorded_keys } => {
            let (engine, _) = engine(&g).await;
            let platform = seqera_cmd::rollback_platform(&g, &engine.journal(&run_id)?).await?;
            let report = engine.rollback(&run_id, &RollbackOptions { delete_unrecorded_keys, platform }).await?;
            if g.json {
                render::print_json(&json!({ "rollback": report }));
            } else {
                render::rollback(&report);
            }
            Ok(if report.kept.is_empty() { 0 } else { 5 })
        }
        Command::Runs { run_id } => {
            let store = home(&g).journal_store();
            match run_id {
                Some(id) => {
                    let j = store.load(&id)?;
                    if g.json {
                        render::print_json(&json!({ "run": j }));
                    } else {
                        render::run(&j);
                    }
                }
                None => {
                    let runs: Vec<RunSummary> = store.list()?.iter().map(RunSummary::from).collect();
                    if g.json {
                        render::print_json(&json!({ "runs": runs }));
                    } else {
                        render::runs(&runs);
                    }
                }
            }
            Ok(0)
        }
        Command::Export(a) => export_cmd::export(&g, a).await,
        Command::CredentialProcess { run, access_key_id } => export_cmd::credential_process(&g, run, access_key_id).await,
        Command::RotateKey { run_id, user, old_key, replace_key } => export_cmd::rotate(&g, run_id, user, old_key, replace_key).await,
        Command::SetExternalId { run_id, value, no_verify } => trust_cmd::set_external_id(&g, &run_id, &value, no_verify).await,
        Command::Secrets(SecretsCommand::List) => export_cmd::secrets_list(&g).await,
        Command::Secrets(SecretsCommand::Delete { access_key_id, force }) => export_cmd::secrets_delete(&g, &access_key_id, force).await,
        Command::Seqera(c) => seqera_cmd::run(&g, c).await,
        Command::Fleet(c) => fleet_cmd::run(&g, c).await,
    }
}

/// The secret access key: typed at the terminal without echo, or the first line of a
/// pipe or file.
fn read_secret_stdin() -> Result<SecretString, RunError> {
    let stdin = std::io::stdin();
    let read_err = |e: std::io::Error| RunError::Invalid(vec![FieldError::new("secret", "stdin", format!("could not read stdin: {e}"))]);
    let mut line = zeroize::Zeroizing::new(String::new());
    if stdin.is_terminal() {
        *line = rpassword::prompt_password("secret access key (not shown): ").map_err(read_err)?;
    } else {
        stdin.lock().read_line(&mut line).map_err(read_err)?;
    }
    let secret = line.trim();
    if secret.is_empty() {
        return Err(RunError::Invalid(vec![FieldError::new("secret", "required", "stdin held no secret access key")]));
    }
    Ok(SecretString::from(secret.to_string()))
}

#[cfg(test)]
mod tests {
    use clap::{error::ErrorKind, CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn the_arguments_are_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn apply_takes_a_template_or_resume_never_both() {
        let parsed = Cli::try_parse_from(["rolegate", "apply", "--resume", "rg-1", "--replace-key", "AKIA1", "--no-verify"]).unwrap();
        let Command::Apply(a) = parsed.command else { panic!("not apply") };
        assert_eq!((a.resume.as_deref(), a.replace_key.as_deref(), a.no_verify), (Some("rg-1"), Some("AKIA1"), true));
        assert!(Cli::try_parse_from(["rolegate", "apply", "-t", "custom"]).is_ok());
        let err = Cli::try_parse_from(["rolegate", "apply"]).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
        let err = Cli::try_parse_from(["rolegate", "apply", "--resume", "rg-1", "--tag", "a=b"]).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict);
        let err = Cli::try_parse_from(["rolegate", "plan", "--resume", "rg-1"]).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::UnknownArgument, "plan has no --resume");
    }
}
