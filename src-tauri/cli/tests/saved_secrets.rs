//! `test-connection --secret-stdin --save` through the real binary against the emulator
//! and the keychain: a secret is stored only once it signs in, a different stored one
//! is never replaced without `--replace-saved`, and `credential-process` keeps serving
//! the run's real secret.

use secrecy::ExposeSecret;
use serde_json::Value;

mod common;
use common::Cli;

/// Apply a key run and return its id, access key id and the secret the keychain holds.
fn applied_key_run(cli: &Cli) -> (String, String, String) {
    let out = cli.run(&["apply", "-t", "seqera-batch-forge", "--propagation-timeout", "30"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let run = out.json["run_id"].as_str().unwrap().to_string();
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    let secret = served_secret(cli, &run);
    (run, key, secret)
}

/// The secret `credential-process --run RUN` hands the AWS CLI.
fn served_secret(cli: &Cli, run: &str) -> String {
    let out = cli.text(&["credential-process", "--run", run]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    doc["SecretAccessKey"].as_str().unwrap().to_string()
}

fn test_with_stdin(cli: &Cli, key: &str, secret: &str, extra: &[&str]) -> common::Out {
    let mut args = vec!["test-connection", "--access-key-id", key, "--secret-stdin", "--save"];
    args.extend_from_slice(extra);
    cli.finish(cli.command(), &args, Some(&format!("{secret}\n")))
}

#[test]
fn a_wrong_secret_never_replaces_a_runs_stored_one() {
    let cli = Cli::new();
    let (run, key, real) = applied_key_run(&cli);

    // Without --replace-saved: refused before any call, naming what exists and how to replace it.
    let out = test_with_stdin(&cli, &key, "wrong-secret-0000000000000000000000000000", &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["error"]["code"], "invalid-input", "{}", out.json);
    let field = &out.json["error"]["fields"][0];
    assert_eq!((field["field"].as_str(), field["rule"].as_str()), (Some("save"), Some("secret-exists")), "{}", out.json);
    let message = field["message"].as_str().unwrap();
    assert!(message.contains(&key) && message.contains(&format!("aws-secret-access-key/{key}")) && message.contains(&run), "{message}");
    assert!(message.contains("--replace-saved"), "{message}");
    assert_eq!(served_secret(&cli, &run), real, "the run's secret is untouched");

    // With --replace-saved, a secret that does not sign in is still not stored.
    let out = test_with_stdin(&cli, &key, "wrong-secret-0000000000000000000000000000", &["--replace-saved"]);
    assert_eq!(out.code, 3, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["passed"], false);
    assert_eq!(out.json["saved"]["outcome"], "not-stored", "{}", out.json);
    assert!(out.stderr.contains("not stored"), "{}", out.stderr);
    assert_eq!(served_secret(&cli, &run), real, "credential-process still serves the run's real secret");
    assert!(!out.stderr.contains(&real) && !out.json.to_string().contains(&real));
}

#[test]
fn a_right_secret_replaces_a_different_stored_one_only_when_asked() {
    let cli = Cli::new();
    // The administrator's own key: its right secret, and a stale one stored for it.
    let key = cli.account.creds.access_key_id.clone();
    let right = cli.account.creds.secret_access_key.expose_secret().to_string();
    let stale = "stale-secret-000000000000000000000000000";
    // A key with no entry yet: a secret that does not sign in is not stored at all.
    let out = test_with_stdin(&cli, &key, stale, &[]);
    assert_eq!((out.code, out.json["saved"]["outcome"].as_str()), (3, Some("not-stored")), "{}\n{}", out.json, out.stderr);
    let get = cli.text(&["credential-process", "--access-key-id", &key]);
    assert_ne!(get.code, 0, "nothing was stored: {}", get.stdout);

    // Store the right one, then put a stale one in its place through the keychain.
    let out = test_with_stdin(&cli, &key, &right, &[]);
    assert_eq!((out.code, out.json["saved"]["outcome"].as_str()), (0, Some("stored")), "{}\n{}", out.json, out.stderr);
    let again = test_with_stdin(&cli, &key, &right, &[]);
    assert_eq!((again.code, again.json["saved"]["outcome"].as_str()), (0, Some("unchanged")), "the same value is a no-op: {}", again.json);
    keychain_put(&cli, &key, stale);

    // The right secret, but the keychain holds a different one and no replace was asked.
    let out = test_with_stdin(&cli, &key, &right, &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["error"]["fields"][0]["rule"], "secret-exists", "{}", out.json);
    assert_eq!(credential_process_secret(&cli, &key), stale, "refused: the stored one is kept");

    // Asked to replace, and it signs in: replaced.
    let out = test_with_stdin(&cli, &key, &right, &["--replace-saved"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["saved"]["outcome"], "replaced", "{}", out.json);
    assert!(out.stderr.contains("replaced"), "{}", out.stderr);
    assert_eq!(credential_process_secret(&cli, &key), right);

    // --replace-saved means nothing without --save.
    let out = cli.text(&["test-connection", "--access-key-id", &key, "--secret-stdin", "--replace-saved"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--save"), "{}", out.stderr);
}

fn credential_process_secret(cli: &Cli, key: &str) -> String {
    let out = cli.text(&["credential-process", "--access-key-id", key]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str::<Value>(&out.stdout).unwrap()["SecretAccessKey"].as_str().unwrap().to_string()
}

/// Put a secret straight into this test's keychain service, as another tool might.
fn keychain_put(cli: &Cli, key: &str, secret: &str) {
    use rolegate_core::ports::{vault_entry, Vault};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        rolegate_vault::Keychain::with_service(&cli.service)
            .put(&vault_entry(key), &secrecy::SecretString::from(secret.to_string()))
            .await
            .unwrap()
    });
}
