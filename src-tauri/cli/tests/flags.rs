//! Flags of docs/CLI.md through the real binary: `export --reveal` prints the secret the
//! keychain holds (and nothing else does), and `rotate-key --user --old-key` retires
//! exactly the key named when the user holds more than one.

use rolegate_core::ports::{vault_entry, Connect, Vault};
use rolegate_tests::{emulator, fresh_account_id};
use rolegate_vault::Keychain;
use secrecy::ExposeSecret;

mod common;
use common::Cli;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn export_reveal_prints_the_keychains_secret_and_masked_exports_do_not() {
    let cli = Cli::new();
    let out = cli.run(&["apply", "-t", "seqera-batch-launch", "--propagation-timeout", "30"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let run = out.json["run_id"].as_str().unwrap().to_string();
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    let secret = rt().block_on(Keychain::with_service(&cli.service).get(&vault_entry(&key))).unwrap().expect("stored");
    let masked = cli.run(&["export", &run, "-f", "sh"]);
    assert_eq!(masked.code, 0);
    assert!(!masked.json["export"]["text"].as_str().unwrap().contains(secret.expose_secret()));
    assert_eq!(masked.json["export"]["holds_secret"], false);
    let revealed = cli.run(&["export", &run, "-f", "sh", "--reveal"]);
    assert_eq!(revealed.code, 0, "{}", revealed.stderr);
    let text = revealed.json["export"]["text"].as_str().unwrap();
    assert!(text.contains(&format!("AWS_SECRET_ACCESS_KEY='{}'", secret.expose_secret())), "{text}");
    assert_eq!(revealed.json["export"]["holds_secret"], true);
    assert_eq!(cli.run(&["rollback", &run]).code, 0);
}

#[test]
fn rotate_key_user_old_key_retires_exactly_the_key_named() {
    let cli = Cli::new();
    let bot = emulator().bootstrap(&cli.account.id, &format!("ci-bot-{}", fresh_account_id()), None);
    let name = bot.user_arn.rsplit('/').next().unwrap().to_string();
    let first = bot.creds.access_key_id.clone();
    let iam = emulator().connect(&cli.account).iam();
    let second = rt().block_on(iam.create_access_key(&name)).unwrap().id;

    // Two keys and none named: refused, naming the field.
    let r = cli.run(&["rotate-key", "--user", &name]);
    assert_eq!((r.code, r.json["error"]["fields"][0]["field"].as_str()), (2, Some("old_key")), "{}", r.json);
    let r = cli.run(&["rotate-key", "--user", &name, "--old-key", "AKIANOTAKEYOFTHEUSER"]);
    assert_eq!((r.code, r.json["error"]["fields"][0]["rule"].as_str()), (2, Some("not-a-key-of-user")), "{}", r.json);

    // --old-key FIRST, making room by deleting SECOND: only the new key is left.
    let r = cli.run(&["rotate-key", "--user", &name, "--old-key", &first, "--replace-key", &second]);
    assert_eq!(r.code, 0, "{}\n{}", r.json, r.stderr);
    assert_eq!(r.json["rotation"]["old_key"], first.as_str());
    let new = r.json["rotation"]["new_key"].as_str().unwrap().to_string();
    let left: Vec<String> = rt().block_on(iam.list_access_keys(&name)).unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(left, vec![new.clone()]);
    let _ = rt().block_on(Keychain::with_service(&cli.service).delete(&vault_entry(&new)));
}
