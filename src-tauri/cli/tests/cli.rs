//! The `rolegate` binary against the IAM/STS emulator and the real keychain: the
//! `--json` documents of docs/CLI.md, the exit codes, progress on stderr, and each way
//! of naming existing credentials for test-connection.

use std::path::Path;

use rolegate_core::policy::{self, ExternalIdCondition};
use rolegate_core::ports::CreateRole;
use rolegate_tests::emulator;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

mod common;
use common::Cli;

fn check_statuses(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn templates_lists_every_builtin() {
    let cli = Cli::new();
    let out = cli.run(&["templates"]);
    assert_eq!(out.code, 0);
    let ids: Vec<&str> = out.json["templates"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    for id in ["seqera-batch-forge", "seqera-batch-launch", "seqera-cloud-role", "ecr-wave-readonly", "spacelift", "custom"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
}

#[test]
fn bad_input_exits_2_and_names_the_field_and_rule() {
    let cli = Cli::new();
    let out = cli.run(&["plan", "-t", "seqera-batch-launch", "--name", "user=not a valid name!", "--tag", "=empty-key"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let err = &out.json["error"];
    assert_eq!(err["code"], "invalid-input");
    let fields = err["fields"].as_array().unwrap();
    assert!(fields.len() >= 2, "every bad field is reported at once: {fields:?}");
    for f in fields {
        assert!(!f["field"].as_str().unwrap().is_empty() && !f["rule"].as_str().unwrap().is_empty(), "{f}");
    }
    assert!(fields.iter().any(|f| f["field"].as_str().unwrap().contains("user")), "{fields:?}");

    let out = cli.run(&["plan", "-t", "no-such-template"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.json["error"]["code"], "invalid-input");
}

#[test]
fn plan_json_lists_every_call_with_its_documents_and_dependencies() {
    let cli = Cli::new();
    let out = cli.run(&["plan", "-t", "seqera-batch-launch"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = &out.json["plan"];
    assert_eq!(plan["account"], cli.account.id.as_str());
    let steps = plan["steps"].as_array().unwrap();
    let ops: Vec<&str> = steps.iter().map(|s| s["call"]["operation"].as_str().unwrap()).collect();
    for op in ["iam:CreatePolicy", "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateRole", "iam:AttachRolePolicy"] {
        assert!(ops.contains(&op), "{ops:?}");
    }
    let role = steps.iter().find(|s| s["call"]["operation"] == "iam:CreateRole").unwrap();
    let trust = &role["call"]["assume_role_policy_document"];
    assert!(trust.to_string().contains("sts:ExternalId"), "{trust}");
    assert!(role["after"].as_array().unwrap().iter().any(|a| a == "user"), "the role waits for its principal");
}

#[test]
fn apply_verify_runs_rollback_round_trip_with_progress_on_stderr() {
    let cli = Cli::new();
    let out = cli.run(&["apply", "-t", "seqera-batch-launch", "--propagation-timeout", "30"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let run_id = out.json["run_id"].as_str().unwrap().to_string();
    assert_eq!(out.json["status"], "verified");
    assert!(out.json["access_key_id"].as_str().unwrap().starts_with("AKIA"));
    let checks = check_statuses(&out.json["verification"]);
    assert!(checks.contains(&("assume-without-external-id".into(), "passed".into())), "{checks:?}");
    assert!(!checks.iter().any(|(_, s)| s == "failed"), "{checks:?}");
    assert!(out.stderr.contains("iam:CreateRole") || out.stderr.contains("role:main"), "progress goes to stderr: {}", out.stderr);

    let runs = cli.run(&["runs"]);
    assert!(runs.json["runs"].as_array().unwrap().iter().any(|r| r["run_id"] == run_id.as_str() && r["status"] == "verified"));
    let one = cli.run(&["runs", &run_id]);
    assert_eq!(one.json["run"]["run_id"], run_id.as_str());
    assert!(!one.json.to_string().contains(cli.account.creds.secret_access_key.expose_secret()));

    let v = cli.run(&["verify", &run_id]);
    assert_eq!((v.code, v.json["passed"].clone()), (0, json!(true)), "{}", v.json);

    let rb = cli.run(&["rollback", &run_id]);
    assert_eq!(rb.code, 0, "{}", rb.json);
    assert!(rb.json["rollback"]["deleted"].as_array().unwrap().len() >= 5, "{}", rb.json);
    assert_eq!(rb.json["rollback"]["kept"], json!([]));
    let again = cli.run(&["rollback", &run_id]);
    assert_eq!((again.code, again.json["error"]["code"].clone()), (2, json!("wrong-status")));
    let unknown = cli.run(&["verify", "rg-000000000000"]);
    assert_eq!((unknown.code, unknown.json["error"]["code"].clone()), (2, json!("run-not-found")));
}

#[test]
fn a_name_taken_by_someone_else_exits_5() {
    let cli = Cli::new();
    let name = format!("taken-{}", rolegate_tests::fresh_account_id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use rolegate_core::ports::Connect;
        emulator().connect(&cli.account).iam().create_user(&name, "/", &[]).await.unwrap();
    });
    let out = cli.run(&["apply", "-t", "seqera-batch-forge", "--name", &format!("user={name}")]);
    assert_eq!(out.code, 5, "{}", out.json);
    assert_eq!(out.json["error"]["code"], "name-taken");
    let message = out.json["error"]["message"].as_str().unwrap();
    assert!(message.contains(&name) && message.contains("Choose another name"), "{message}");
}

#[test]
fn test_connection_fails_with_exit_3_on_a_role_open_without_external_id() {
    let cli = Cli::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let role = format!("open-{}", rolegate_tests::fresh_account_id());
    let arn = rt.block_on(async {
        use rolegate_core::ports::Connect;
        let trust = policy::trust_policy(std::slice::from_ref(&cli.account.user_arn), &ExternalIdCondition::for_value("unused"));
        let mut open = trust.clone();
        open["Statement"][0].as_object_mut().unwrap().remove("Condition");
        let c = emulator().connect(&cli.account);
        let input = CreateRole {
            name: role.clone(),
            path: "/".into(),
            trust_policy: open.to_string(),
            description: String::new(),
            max_session_seconds: 3600,
            tags: vec![],
        };
        c.iam().create_role(&input).await.unwrap().arn
    });
    let out = cli.run(&["test-connection", "--role-arn", &arn, "--external-id", "some-external-id"]);
    assert_eq!(out.code, 3, "{}", out.json);
    assert_eq!(out.json["passed"], false);
    let checks = check_statuses(&out.json["connection"]);
    assert!(checks.contains(&("assume-without-external-id".into(), "failed".into())), "{checks:?}");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn test_connection_by_profile_by_stdin_secret_and_by_keychain() {
    let cli = Cli::new();
    let creds = &cli.account.creds;
    // A named profile in a shared credentials file.
    let cred_file = cli.home.path().join("aws/credentials");
    write(
        &cred_file,
        &format!(
            "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = nope\n\n[onboarder]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            creds.access_key_id,
            creds.secret_access_key.expose_secret()
        ),
    );
    let mut c = cli.command();
    c.env("AWS_SHARED_CREDENTIALS_FILE", &cred_file).env("AWS_CONFIG_FILE", cli.home.path().join("aws/config"));
    let out = cli.finish(c, &["--profile", "onboarder", "test-connection"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["principal"], cli.account.user_arn.as_str());
    assert_eq!(out.json["connection"]["account"], cli.account.id.as_str());

    // A key id with its secret on stdin, saved to the keychain...
    let secret_line = format!("{}\n", creds.secret_access_key.expose_secret());
    let out = cli.finish(
        cli.command(),
        &["test-connection", "--access-key-id", &creds.access_key_id, "--secret-stdin", "--save"],
        Some(&secret_line),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert!(out.json["connection"]["key_age_days"].is_number(), "key age is shown where visible: {}", out.json);
    // ...then found there with no secret given at all.
    let out = cli.finish(cli.command(), &["test-connection", "--access-key-id", &creds.access_key_id], None);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert!(!out.stderr.contains(creds.secret_access_key.expose_secret()));

    // A wrong secret is an AWS error, not a pass.
    let out = cli.finish(cli.command(), &["test-connection", "--access-key-id", &creds.access_key_id, "--secret-stdin"], Some("wrong\n"));
    assert_ne!(out.code, 0);
}

#[test]
fn no_identity_at_all_exits_4_with_how_to_sign_in() {
    let cli = Cli::new();
    let out = cli.finish(cli.command(), &["plan", "-t", "seqera-batch-forge"], None);
    assert_eq!(out.code, 4, "{}", out.json);
    assert_eq!(out.json["error"]["code"], "no-credentials");
    assert!(out.json["error"]["hint"].as_str().unwrap().contains("--profile"), "{}", out.json);
}
