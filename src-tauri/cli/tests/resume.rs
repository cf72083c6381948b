//! `rolegate apply --resume RUN_ID` through the real binary: a key+role apply killed
//! (SIGKILL) at exact points resumes to a passing verification and rolls back to nothing
//! in AWS and in the keychain; the two-key limit met on resume and `--replace-key`; and
//! what a resume refuses (plan inputs beside it, an unknown run, a rolled-back run, an
//! identity of another account).
//!
//! Each point is made exact with the emulator: the call that follows it is held (or, for
//! "the key exists but its secret was never stored", answered late), the test waits
//! until the run's journal and the held call show the point, then kills the process.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rolegate_core::ports::{vault_entry, Connect, Vault};
use rolegate_tests::{emulator, inventory, Account};
use rolegate_vault::Keychain;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

mod common;
use common::{Cli, Out};

/// A key+role template: user, access key, role trusting the user, waits for both.
const TEMPLATE: &str = "seqera-batch-launch";
const USER: &str = "resume-user";
/// Long enough that the held call is still held when the process is killed.
const HOLD_SECONDS: u32 = 60;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn user_arn(cli: &Cli) -> String {
    format!("arn:aws:iam::{}:user/{USER}", cli.account.id)
}

fn runs_dir(cli: &Cli) -> PathBuf {
    cli.home.path().join("data/runs")
}

/// The one run journal in this test's home, if written yet.
fn the_journal(cli: &Cli) -> Option<Value> {
    let entries = std::fs::read_dir(runs_dir(cli)).ok()?;
    let files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("rg-") && n.ends_with(".json")))
        .collect();
    assert!(files.len() <= 1, "one run per test home: {files:?}");
    let text = std::fs::read_to_string(files.first()?).ok()?;
    serde_json::from_str(&text).ok()
}

fn step_state(j: &Value, step: &str) -> String {
    j["steps"][step]["state"].as_str().unwrap_or("").to_string()
}

/// `rolegate apply -t TEMPLATE` as a child process, signed as the administrator.
struct Apply {
    child: Child,
    stderr: PathBuf,
}

impl Apply {
    fn start(cli: &Cli) -> Apply {
        let stderr = cli.home.path().join("apply.stderr");
        let mut c = cli.command();
        c.env("AWS_ACCESS_KEY_ID", &cli.account.creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", cli.account.creds.secret_access_key.expose_secret())
            .arg("--endpoint-url")
            .arg(&emulator().url)
            .arg("--json")
            .args(["apply", "-t", TEMPLATE, "--name", &format!("user={USER}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&stderr).unwrap());
        Apply { child: c.spawn().expect("start rolegate apply"), stderr }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Wait until the call held for `signer` has arrived and `reached` holds for the
    /// journal and the progress printed so far, then SIGKILL the process. Returns the
    /// journal as the killed process left it.
    fn kill_when(mut self, cli: &Cli, point: &str, signer: &str, reached: impl Fn(&Value, &str) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("apply ended ({status}) before the point \"{point}\"; stderr:\n{}", self.stderr());
            }
            let held = emulator().pending_faults(signer) == 0;
            if held {
                if let Some(j) = the_journal(cli) {
                    if reached(&j, &self.stderr()) {
                        break;
                    }
                }
            }
            assert!(Instant::now() < deadline, "the point \"{point}\" was not reached; stderr:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "killed by SIGKILL at \"{point}\"");
        the_journal(cli).unwrap()
    }
}

fn keys_in_aws(account: &Account) -> Vec<String> {
    rt().block_on(inventory(account)).into_iter().filter_map(|r| r.strip_prefix("key:").map(String::from)).collect()
}

fn secrets_listed(cli: &Cli) -> Vec<Value> {
    let out = cli.run(&["secrets", "list"]);
    assert_eq!(out.code, 0, "{}", out.json);
    out.json["secrets"].as_array().unwrap().clone()
}

fn in_keychain(cli: &Cli, key_id: &str) -> bool {
    rt().block_on(Keychain::with_service(&cli.service).get(&vault_entry(key_id))).unwrap().is_some()
}

fn failed_checks(out: &Out) -> Vec<Value> {
    out.json["verification"]["checks"].as_array().expect("checks").iter().filter(|c| c["status"] == "failed").cloned().collect()
}

/// `apply --resume` must finish with a passing verification.
fn resume_to_verified(cli: &Cli, run_id: &str, extra: &[&str]) -> Out {
    let mut args = vec!["apply", "--resume", run_id];
    args.extend_from_slice(extra);
    let out = cli.run(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["run_id"], run_id);
    assert_eq!(out.json["status"], "verified", "{}", out.json);
    assert_eq!(failed_checks(&out), Vec::<Value>::new());
    let checks = out.json["verification"]["checks"].as_array().unwrap();
    for id in ["key-works", "assume-with-external-id", "assume-without-external-id"] {
        assert!(checks.iter().any(|c| c["id"] == id && c["status"] == "passed"), "{id} passed: {checks:?}");
    }
    assert!(out.stderr.contains(&format!("resuming run {run_id}")), "{}", out.stderr);
    out
}

/// `rollback` must leave nothing: no user, role, policy or key, no secret.
fn rollback_to_nothing(cli: &Cli, run_id: &str, extra: &[&str], key_ids: &[String]) {
    let mut args = vec!["rollback", run_id];
    args.extend_from_slice(extra);
    let rb = cli.run(&args);
    assert_eq!(rb.code, 0, "{}\n{}", rb.json, rb.stderr);
    assert_eq!(rb.json["rollback"]["kept"], json!([]));
    assert_eq!(rt().block_on(inventory(&cli.account)), Vec::<String>::new(), "nothing left in the account");
    assert_eq!(secrets_listed(cli), Vec::<Value>::new(), "no secret left");
    for id in key_ids {
        assert!(!in_keychain(cli, id), "the keychain entry of {id} is gone");
    }
}

/// Kill at a point, resume to verified, roll back to nothing. Returns the journal and
/// what existed in the account when the process was killed.
fn killed_resumed_rolled_back(
    point: &str,
    arm: impl Fn(&Cli),
    signer: impl Fn(&Cli) -> String,
    reached: impl Fn(&Value, &str) -> bool,
) -> (Value, Vec<String>) {
    let cli = Cli::new();
    arm(&cli);
    let j = Apply::start(&cli).kill_when(&cli, point, &signer(&cli), reached);
    assert_eq!(j["status"], "applying", "{j}");
    let at_kill = rt().block_on(inventory(&cli.account));
    assert!(at_kill.contains(&format!("user:{USER}")), "the run was half made: {at_kill:?}");
    let run_id = j["run_id"].as_str().unwrap().to_string();
    let out = resume_to_verified(&cli, &run_id, &[]);
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    assert!(in_keychain(&cli, &key), "the run's key secret is in the keychain");
    rollback_to_nothing(&cli, &run_id, &[], &[key]);
    (j, at_kill)
}

#[test]
fn killed_right_after_the_user_is_made() {
    let (j, at_kill) = killed_resumed_rolled_back(
        "user done",
        |cli| emulator().hold_call(&cli.account.creds.access_key_id, "ListAccessKeys", HOLD_SECONDS, false),
        |cli| cli.account.creds.access_key_id.clone(),
        |j, _| step_state(j, "user") == "done",
    );
    assert_eq!((j["key_intent"].clone(), j["access_key_id"].clone()), (Value::Null, Value::Null), "{j}");
    assert!(!at_kill.iter().any(|r| r.starts_with("key:")), "{at_kill:?}");
}

#[test]
fn killed_after_the_key_intent_before_create_access_key_ran() {
    let (j, at_kill) = killed_resumed_rolled_back(
        "key intent recorded",
        |cli| emulator().hold_call(&cli.account.creds.access_key_id, "CreateAccessKey", HOLD_SECONDS, false),
        |cli| cli.account.creds.access_key_id.clone(),
        |j, _| !j["key_intent"].is_null(),
    );
    assert_eq!((j["key_intent"]["user"].clone(), j["key_intent"]["existing"].clone()), (json!(USER), json!([])), "{j}");
    assert_eq!(j["access_key_id"], Value::Null);
    assert!(!at_kill.iter().any(|r| r.starts_with("key:")), "the held CreateAccessKey never ran: {at_kill:?}");
}

#[test]
fn killed_after_the_key_is_recorded() {
    let (j, at_kill) = killed_resumed_rolled_back(
        "key recorded",
        |cli| emulator().hold_call(&user_arn(cli), "GetCallerIdentity", HOLD_SECONDS, false),
        user_arn,
        |j, _| step_state(j, "access-key") == "done" && !j["access_key_id"].is_null(),
    );
    assert_eq!(j["key_intent"], Value::Null);
    assert_ne!(step_state(&j, "wait:access-key"), "done");
    assert!(at_kill.contains(&format!("key:{}", j["access_key_id"].as_str().unwrap())), "{at_kill:?}");
}

#[test]
fn killed_while_waiting_for_the_role_to_propagate() {
    let (j, at_kill) = killed_resumed_rolled_back(
        "waiting for the role",
        |cli| {
            // Two "not yet" answers (the wait is under way, printed on stderr), then the
            // next attempt is held.
            emulator().inject_user_fault(&user_arn(cli), "AssumeRole", "AccessDenied", "not authorized to perform sts:AssumeRole", 2);
            emulator().hold_call(&user_arn(cli), "AssumeRole", HOLD_SECONDS, false);
        },
        user_arn,
        |_, stderr| stderr.lines().any(|l| l.contains("wait:role:") && l.contains("waiting for")),
    );
    assert_eq!(step_state(&j, "wait:access-key"), "done");
    assert!(at_kill.iter().any(|r| r.starts_with("role:")), "{at_kill:?}");
    let role_wait = j["steps"].as_object().unwrap().keys().find(|k| k.starts_with("wait:role:")).cloned();
    assert!(role_wait.is_none_or(|k| step_state(&j, &k) != "done"), "{j}");
}

/// Killed after CreateAccessKey made the key in AWS, before its secret reached the
/// keychain: the secret is lost. The resume names that key, leaves it alone and makes
/// another; roll-back keeps the user until the unexplained key is dealt with.
#[test]
fn killed_between_create_access_key_and_the_secret_write() {
    let cli = Cli::new();
    emulator().hold_call(&cli.account.creds.access_key_id, "CreateAccessKey", HOLD_SECONDS, true);
    let j = Apply::start(&cli).kill_when(&cli, "key made, secret not stored", &cli.account.creds.access_key_id, |j, _| {
        !j["key_intent"].is_null() && !keys_in_aws(&cli.account).is_empty()
    });
    assert_eq!(j["access_key_id"], Value::Null);
    let lost = keys_in_aws(&cli.account);
    assert_eq!(lost.len(), 1, "{lost:?}");
    let lost = lost[0].clone();
    assert!(!in_keychain(&cli, &lost), "its secret never arrived");
    assert_eq!(secrets_listed(&cli), Vec::<Value>::new());
    let run_id = j["run_id"].as_str().unwrap().to_string();

    let out = resume_to_verified(&cli, &run_id, &[]);
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    assert_ne!(key, lost);
    assert!(
        out.stderr.lines().any(|l| l.contains(&lost) && l.contains("leaves it alone")),
        "the resume names the unexplained key: {}",
        out.stderr
    );
    let mut keys = keys_in_aws(&cli.account);
    keys.sort();
    let mut want = vec![key.clone(), lost.clone()];
    want.sort();
    assert_eq!(keys, want, "the resume deleted no key");

    // Roll-back removes the rest and keeps the user, naming the key it cannot explain...
    let rb = cli.run(&["rollback", &run_id]);
    assert_eq!(rb.code, 5, "{}", rb.json);
    let kept = rb.json["rollback"]["kept"].as_array().unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0][0], format!("IAM user {USER}").as_str());
    assert!(kept[0][1].as_str().unwrap().contains(&lost), "{kept:?}");
    assert_eq!(rt().block_on(inventory(&cli.account)), vec![format!("key:{lost}"), format!("user:{USER}")]);
    assert!(!in_keychain(&cli, &key));
    // ...and, told to, deletes it too.
    rollback_to_nothing(&cli, &run_id, &["--delete-unrecorded-keys"], &[key, lost]);
}

/// Stopped after the user was made; by the time the run resumes the user has two keys
/// someone else made. The resume stops at the two-key limit (exit 5) and deletes
/// nothing; `--replace-key K` deletes exactly K and finishes.
#[test]
fn resume_at_the_two_key_limit_needs_replace_key() {
    let cli = Cli::new();
    emulator().hold_call(&cli.account.creds.access_key_id, "ListAccessKeys", HOLD_SECONDS, false);
    let j = Apply::start(&cli).kill_when(&cli, "user done", &cli.account.creds.access_key_id, |j, _| step_state(j, "user") == "done");
    let run_id = j["run_id"].as_str().unwrap().to_string();
    let (k1, k2) = rt().block_on(async {
        let iam = emulator().connect(&cli.account).iam();
        (iam.create_access_key(USER).await.unwrap().id, iam.create_access_key(USER).await.unwrap().id)
    });

    let out = cli.run(&["apply", "--resume", &run_id]);
    assert_eq!((out.code, out.json["error"]["code"].clone()), (5, json!("access-key-limit")), "{}\n{}", out.json, out.stderr);
    let message = out.json["error"]["message"].as_str().unwrap();
    let hint = out.json["error"]["hint"].as_str().unwrap_or_default();
    assert!(message.contains(&k1) && message.contains(&k2) && hint.contains("--replace-key"), "{message}\n{hint}");
    let mut keys = keys_in_aws(&cli.account);
    keys.sort();
    let mut both = vec![k1.clone(), k2.clone()];
    both.sort();
    assert_eq!(keys, both, "nothing deleted without --replace-key");

    let out = cli.run(&["apply", "--resume", &run_id, "--replace-key", "AKIANOTAKEYOFTHEUSER"]);
    assert_eq!((out.code, out.json["error"]["code"].clone()), (2, json!("invalid-input")), "{}", out.json);
    assert_eq!(out.json["error"]["fields"][0]["field"], "replace_key");
    assert_eq!(keys_in_aws(&cli.account).len(), 2);

    let out = resume_to_verified(&cli, &run_id, &["--replace-key", &k1]);
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    let mut keys = keys_in_aws(&cli.account);
    keys.sort();
    let mut want = vec![k2.clone(), key.clone()];
    want.sort();
    assert_eq!(keys, want, "exactly {k1} was deleted");

    // The other key is its maker's to delete; then the run rolls back to nothing.
    rt().block_on(emulator().connect(&cli.account).iam().delete_access_key(USER, &k2)).unwrap();
    rollback_to_nothing(&cli, &run_id, &[], &[key]);
}

/// What `apply --resume` refuses, with the documented code and exit code.
#[test]
fn resume_refuses_plan_inputs_unknown_runs_rolled_back_runs_and_other_accounts() {
    let cli = Cli::new();
    // Plan inputs belong to a new run; the resumed run's are in its journal.
    for (flag, value) in [
        ("-t", TEMPLATE),
        ("--template-file", "t.json"),
        ("--var", "a=b"),
        ("--name", "user=x"),
        ("--tag", "a=b"),
        ("--path", "/p/"),
        ("--trusted-principal", "123456789012"),
        ("--external-id", "main=x"),
        ("--policy-file", "p=f.json"),
    ] {
        let out = cli.text(&["apply", "--resume", "rg-000000000000", flag, value]);
        assert_eq!(out.code, 2, "{flag}: {}", out.stderr);
        let long = if flag == "-t" { "--template" } else { flag };
        assert!(out.stderr.contains("--resume") && out.stderr.contains(long), "{flag}: {}", out.stderr);
        assert!(out.stderr.contains("cannot be used with"), "{flag}: {}", out.stderr);
    }
    let out = cli.text(&["apply"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--template"), "{}", out.stderr);

    let out = cli.run(&["apply", "--resume", "rg-000000000000"]);
    assert_eq!((out.code, out.json["error"]["code"].clone()), (2, json!("run-not-found")), "{}", out.json);

    // A stopped run of this account, resumed by an identity of another account: refused
    // before anything is made there.
    emulator().hold_call(&cli.account.creds.access_key_id, "ListAccessKeys", HOLD_SECONDS, false);
    let j = Apply::start(&cli).kill_when(&cli, "user done", &cli.account.creds.access_key_id, |j, _| step_state(j, "user") == "done");
    let run_id = j["run_id"].as_str().unwrap().to_string();
    let other = emulator().admin_account();
    let mut c = cli.command();
    c.env("AWS_ACCESS_KEY_ID", &other.creds.access_key_id).env("AWS_SECRET_ACCESS_KEY", other.creds.secret_access_key.expose_secret());
    let out = cli.finish(c, &["apply", "--resume", &run_id], None);
    assert_eq!((out.code, out.json["error"]["code"].clone()), (2, json!("wrong-account")), "{}", out.json);
    let message = out.json["error"]["message"].as_str().unwrap();
    assert!(message.contains(&cli.account.id) && message.contains(&other.id), "{message}");
    assert_eq!(rt().block_on(inventory(&other)), Vec::<String>::new(), "nothing made in the other account");
    assert_eq!(the_journal(&cli).unwrap()["steps"], j["steps"], "the journal is unchanged");

    // Finished, rolled back: a rolled-back run is not resumed.
    let out = resume_to_verified(&cli, &run_id, &[]);
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    rollback_to_nothing(&cli, &run_id, &[], &[key]);
    let out = cli.run(&["apply", "--resume", &run_id]);
    assert_eq!((out.code, out.json["error"]["code"].clone()), (2, json!("wrong-status")), "{}", out.json);
    assert!(out.json["error"]["message"].as_str().unwrap().contains("rolled back"), "{}", out.json);
    assert_eq!(rt().block_on(inventory(&cli.account)), Vec::<String>::new());
}

/// `--no-verify` on resume: the run is finished and left applied, not verified.
#[test]
fn resume_with_no_verify_finishes_without_verifying() {
    let cli = Cli::new();
    emulator().hold_call(&user_arn(&cli), "GetCallerIdentity", HOLD_SECONDS, false);
    let j = Apply::start(&cli).kill_when(&cli, "key recorded", &user_arn(&cli), |j, _| !j["access_key_id"].is_null());
    let run_id = j["run_id"].as_str().unwrap().to_string();
    let out = cli.run(&["apply", "--resume", &run_id, "--no-verify"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!((out.json["status"].clone(), out.json["verification"].clone()), (json!("applied"), Value::Null));
    let v = cli.run(&["verify", &run_id]);
    assert_eq!((v.code, v.json["passed"].clone()), (0, json!(true)), "{}", v.json);
    rollback_to_nothing(&cli, &run_id, &[], &[j["access_key_id"].as_str().unwrap().to_string()]);
}
