//! A `credential_process` profile written by `export -f aws-profile` runs Rolegate and
//! nothing else, whatever the data folder's path holds: the AWS CLI (botocore splits the
//! line with shell rules) and the AWS SDK for Rust (Rolegate itself, which hands the line
//! to `sh -c`) both get the run's credentials, and a `$(...)` or backtick in the path
//! never runs.

use std::process::{Command, Stdio};

use rolegate_tests::emulator;
use secrecy::ExposeSecret;
use serde_json::Value;

mod common;
use common::Cli;

fn rolegate(cli: &Cli, data: &std::path::Path, admin: bool, args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rolegate"));
    cli.private_env(&mut c);
    c.env("ROLEGATE_HOME", data)
        .env("AWS_CONFIG_FILE", cli.home.path().join("aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", cli.home.path().join("aws/credentials"));
    // The profile's own AssumeRole (made by the SDK while it loads credentials) goes to
    // the emulator too.
    c.env("AWS_ENDPOINT_URL", &emulator().url);
    if admin {
        c.env("AWS_ACCESS_KEY_ID", &cli.account.creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", cli.account.creds.secret_access_key.expose_secret());
    }
    let out = c.arg("--endpoint-url").arg(&emulator().url).args(args).stdin(Stdio::null()).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn a_hostile_data_folder_path_runs_nothing_and_the_profile_still_works() {
    let cli = Cli::new();
    let canary = cli.home.path().join("canary");
    let data = cli.home.path().join(format!("it's $(touch {c}) `touch {c}` \"here\"", c = canary.display()));
    let (code, out, err) = rolegate(&cli, &data, true, &["--json", "apply", "-t", "seqera-batch-launch", "--propagation-timeout", "30"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let applied: Value = serde_json::from_str(&out).unwrap();
    let run = applied["run_id"].as_str().unwrap().to_string();
    let role = applied["roles"][0]["name"].as_str().unwrap().to_string();

    let (code, out, err) = rolegate(&cli, &data, true, &["export", &run, "-f", "aws-profile", "--profile-name", "acme"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let config = std::fs::read_to_string(cli.home.path().join("aws/config")).unwrap();
    let line = config.lines().find(|l| l.starts_with("credential_process = ")).expect("a credential_process line");
    assert!(line.contains(" --home '") && line.contains("'\\''"), "POSIX single quotes around the home: {line}");

    // The AWS CLI (botocore's split, no shell).
    let r = cli.client("aws", &["sts", "get-caller-identity", "--profile", "acme", "--output", "json"], &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!(":assumed-role/{role}/")), "{}", r.stdout);
    // The AWS SDK for Rust runs the line under `sh -c`: Rolegate itself, signed by the profile.
    let (code, out, err) = rolegate(&cli, &data, false, &["--json", "--profile", "acme", "test-connection"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!(":assumed-role/{role}/")), "{out}");
    assert!(!canary.exists(), "a command in the path ran");

    let (code, out, err) = rolegate(&cli, &data, true, &["rollback", &run]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[cfg(unix)]
#[test]
fn a_program_in_a_world_writable_folder_is_not_put_in_a_profile() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let data = cli.home.path().join("data");
    let (code, out, err) = rolegate(&cli, &data, true, &["--json", "apply", "-t", "seqera-batch-launch", "--propagation-timeout", "30"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let run = serde_json::from_str::<Value>(&out).unwrap()["run_id"].as_str().unwrap().to_string();
    // A copy of the binary in a folder anyone can write to.
    let open = cli.home.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let copy = open.join("rolegate");
    std::fs::copy(env!("CARGO_BIN_EXE_rolegate"), &copy).unwrap();
    let mut c = Command::new(&copy);
    cli.private_env(&mut c);
    c.env("ROLEGATE_HOME", &data)
        .env("AWS_CONFIG_FILE", cli.home.path().join("aws/config"))
        .env("AWS_ACCESS_KEY_ID", &cli.account.creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", cli.account.creds.secret_access_key.expose_secret());
    let r = c.args(["--endpoint-url", &emulator().url, "--json", "export", &run, "-f", "aws-profile"]).output().unwrap();
    assert_eq!(r.status.code(), Some(2), "{}", String::from_utf8_lossy(&r.stdout));
    let json: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(json["error"]["fields"][0]["rule"], "world-writable-folder", "{json}");
    assert!(!cli.home.path().join("aws/config").exists(), "no profile was written");
    let (code, out, err) = rolegate(&cli, &data, true, &["rollback", &run]);
    assert_eq!(code, 0, "{out}\n{err}");
}
