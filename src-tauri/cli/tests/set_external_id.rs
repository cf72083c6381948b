//! `rolegate set-external-id RUN_ID [ROLE_KEY=]VALUE` through the real binary against the
//! emulator: a key+role run takes a new External ID (the platform's), `verify` passes,
//! the run's key (from the keychain) is denied with the old value and allowed with the
//! new one, the seqera export carries the new value, and roll-back leaves nothing. A bad
//! value is refused naming the field, and changes nothing.

use rolegate_core::ports::{vault_entry, AssumeRoleInput, AwsErrorKind, Connect, Credentials, Vault};
use rolegate_tests::{emulator, inventory};
use rolegate_vault::Keychain;
use serde_json::json;

mod common;
use common::Cli;

const TEMPLATE: &str = "seqera-batch-launch";
const NEW: &str = "seqera-0b8e7c1d-platform-made";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// AssumeRole of `role_arn` signed with the run's key, whose secret is read from the keychain.
fn assume_with(cli: &Cli, key_id: &str, role_arn: &str, external_id: &str) -> Result<(), AwsErrorKind> {
    rt().block_on(async {
        let secret = Keychain::with_service(&cli.service).get(&vault_entry(key_id)).await.unwrap().expect("the run's secret");
        let sts = emulator().connect(&cli.account).sts_as(&Credentials::long_lived(key_id, secret));
        let input = AssumeRoleInput {
            role_arn: role_arn.into(),
            session_name: "set-external-id-test".into(),
            external_id: Some(external_id.into()),
            duration_seconds: None,
            tags: vec![],
        };
        sts.assume_role(&input).await.map(|_| ()).map_err(|e| e.kind)
    })
}

#[test]
fn a_new_external_id_is_set_verified_exported_and_rolled_back() {
    let cli = Cli::new();
    let applied = cli.run(&["apply", "-t", TEMPLATE, "--name", "user=extid-user"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.json, applied.stderr);
    let run_id = applied.json["run_id"].as_str().unwrap().to_string();
    let key = applied.json["access_key_id"].as_str().unwrap().to_string();
    let role = &applied.json["roles"][0];
    let (role_key, role_arn, old) = (
        role["key"].as_str().unwrap().to_string(),
        role["arn"].as_str().unwrap().to_string(),
        role["external_id"].as_str().unwrap().to_string(),
    );
    assert_eq!(assume_with(&cli, &key, &role_arn, &old), Ok(()));

    // A bad value names the field and its rule, and changes nothing.
    let bad = cli.run(&["set-external-id", &run_id, "has a space"]);
    assert_eq!(bad.code, 2, "{}", bad.json);
    assert_eq!(bad.json["error"]["fields"][0]["field"], "external_id", "{}", bad.json);
    assert_eq!(bad.json["error"]["fields"][0]["rule"], "external-id-chars");
    assert_eq!(assume_with(&cli, &key, &role_arn, &old), Ok(()), "the trust is untouched");

    let set = cli.run(&["set-external-id", &run_id, &format!("{role_key}={NEW}")]);
    assert_eq!(set.code, 0, "{}\n{}", set.json, set.stderr);
    let change = &set.json["external_id_change"];
    assert_eq!(change["outcome"], "changed", "{change}");
    assert_eq!((change["previous_external_id"].as_str(), change["external_id"].as_str()), (Some(old.as_str()), Some(NEW)));
    assert_eq!(change["status"], "verified", "{change}");
    assert!(set.stderr.contains("now requires the new External ID"), "progress on stderr: {}", set.stderr);

    let verify = cli.run(&["verify", &run_id]);
    assert_eq!(verify.code, 0, "{}", verify.json);
    assert_eq!(verify.json["passed"], true);

    assert_eq!(assume_with(&cli, &key, &role_arn, &old), Err(AwsErrorKind::AccessDenied), "the old External ID is refused");
    assert_eq!(assume_with(&cli, &key, &role_arn, NEW), Ok(()), "the new one is accepted");

    let export = cli.run(&["export", &run_id, "-f", "seqera"]);
    assert_eq!(export.code, 0, "{}", export.json);
    let text = export.json.to_string();
    assert!(text.contains(NEW) && !text.contains(&old), "the export carries the new External ID: {text}");

    // The bare value works for a single-role run, and the same value again changes nothing.
    let again = cli.run(&["set-external-id", &run_id, NEW, "--no-verify"]);
    assert_eq!(again.code, 0, "{}", again.json);
    assert_eq!(again.json["external_id_change"]["outcome"], "unchanged");

    let rb = cli.run(&["rollback", &run_id]);
    assert_eq!(rb.code, 0, "{}\n{}", rb.json, rb.stderr);
    assert_eq!(rb.json["rollback"]["kept"], json!([]));
    assert_eq!(rt().block_on(inventory(&cli.account)), Vec::<String>::new(), "nothing left in the account");
}
