//! Errors keep their true class through the real binary: local failures (keychain,
//! journal folder, AWS profile files) exit 6, an AWS error during a rotation keeps its
//! AWS code and exit 4, AWS failing (HTTP 500) is never taken for an endpoint that lacks
//! the operation, and advice comes as a hint in the CLI's own words.

use rolegate_tests::emulator;
use serde_json::Value;

mod common;
use common::Cli;

fn apply(cli: &Cli, template: &str) -> String {
    let out = cli.run(&["apply", "-t", template, "--propagation-timeout", "30"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    out.json["run_id"].as_str().unwrap().to_string()
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}: {report}"))
}

#[test]
fn a_missing_keychain_secret_is_a_local_failure() {
    let cli = Cli::new();
    let out = cli.run(&["credential-process", "--access-key-id", "AKIAIOSFODNN7EXAMPLE"]);
    assert_eq!(out.code, 6, "{}", out.json);
    assert_eq!(out.json["error"]["code"], "secret-missing");
    let hint = out.json["error"]["hint"].as_str().unwrap();
    assert!(hint.contains("--secret-stdin --save"), "the CLI's hint names its own flags: {hint}");
}

#[test]
fn an_unwritable_journal_folder_is_a_local_failure() {
    let cli = Cli::new();
    // The data folder is a file, so no journal can be written there.
    let data = cli.home.path().join("data");
    std::fs::write(&data, "not a folder").unwrap();
    let out = cli.run(&["apply", "-t", "seqera-batch-launch"]);
    assert_eq!(out.code, 6, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["error"]["code"], "journal");
}

#[test]
fn an_unreadable_aws_config_file_is_a_local_failure() {
    let cli = Cli::new();
    let run_id = apply(&cli, "seqera-batch-launch");
    // The AWS config file is a folder: it can be neither read nor replaced.
    std::fs::create_dir_all(cli.home.path().join("aws/config")).unwrap();
    let out = cli.text(&["--json", "export", &run_id, "-f", "aws-profile", "--profile-name", "acme"]);
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["error"]["code"], "local", "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("aws/config"), "{json}");
    std::fs::remove_dir(cli.home.path().join("aws/config")).unwrap();
    assert_eq!(cli.run(&["rollback", &run_id]).code, 0);
}

#[test]
fn an_aws_error_during_a_rotation_keeps_its_code_and_exit_4() {
    let cli = Cli::new();
    let run_id = apply(&cli, "seqera-batch-launch");
    emulator().inject_fault(&cli.account.creds.access_key_id, "CreateAccessKey", "AccessDenied", "not for you", 1);
    let out = cli.run(&["rotate-key", &run_id]);
    assert_eq!(out.code, 4, "{}\n{}", out.json, out.stderr);
    let err = &out.json["error"];
    assert_eq!(err["code"], "aws-access-denied", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("key rotation stopped while creating the new key") && message.contains("iam:CreateAccessKey"), "{message}");
    assert!(err["hint"].as_str().unwrap().contains(&format!("rolegate rotate-key {run_id}")), "{err}");
    assert_eq!(cli.run(&["rollback", &run_id]).code, 0);
}

#[test]
fn aws_failing_is_an_aws_error_not_an_operation_the_endpoint_lacks() {
    let cli = Cli::new();
    let run_id = apply(&cli, "seqera-batch-launch");
    let key = &cli.account.creds.access_key_id;
    // The emulator simulates the template's actions: passed.
    let out = cli.run(&["verify", &run_id]);
    let sim = check(&out.json["verification"], "simulate");
    assert_eq!(sim["status"], "passed", "{sim}");
    // An endpoint without the operation answers 501 NotImplemented: skipped, never passed.
    emulator().inject_fault_with_status(key, "SimulatePrincipalPolicy", "NotImplemented", "not implemented by this endpoint", 501, 1);
    let out = cli.run(&["verify", &run_id]);
    let sim = check(&out.json["verification"], "simulate");
    assert_eq!(sim["status"], "skipped", "{sim}");
    assert!(sim["reason"].as_str().unwrap().contains("does not implement"), "{sim}");
    // AWS failing (HTTP 500 InternalFailure, every attempt the SDK makes) is a failure of
    // the check with AWS's code, never "does not implement".
    emulator().inject_fault_with_status(key, "SimulatePrincipalPolicy", "InternalFailure", "We encountered an internal error", 500, 3);
    let out = cli.run(&["verify", &run_id]);
    assert_eq!(emulator().pending_faults(key), 0, "the SDK retried the 500 until every fault fired");
    let sim = check(&out.json["verification"], "simulate");
    assert_eq!(sim["status"], "failed", "{sim}");
    let reason = sim["reason"].as_str().unwrap();
    assert!(reason.contains("InternalFailure") && !reason.contains("does not implement"), "{reason}");
    assert_eq!(out.code, 3, "a failed check fails the verification");
    assert_eq!(cli.run(&["rollback", &run_id]).code, 0);
}

#[test]
fn advice_is_a_hint_in_the_clis_words_on_stderr() {
    let cli = Cli::new();
    let out = cli.text(&["credential-process", "--access-key-id", "AKIAIOSFODNN7EXAMPLE"]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("error: ") && !l.contains("--")), "the message holds no flag: {lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("hint: ") && l.contains("--secret-stdin")), "{lines:?}");
}
