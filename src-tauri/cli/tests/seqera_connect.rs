//! `rolegate apply --seqera-workspace`, `rolegate seqera connect` and `rolegate rollback`
//! of a connected run, through the real binary against the emulator and the Seqera
//! stand-in: the credential made in the workspace, Seqera's External ID in the trust
//! policy, Seqera's verdict in the output, both sides empty after roll-back; and what is
//! refused before anything is made.

mod common;

use common::{Cli, Out};
use rolegate_tests::inventory;
use rolegate_tests::seqera::{seqera, SeqeraUser};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// `rolegate seqera login` with the user's token on stdin.
fn login(cli: &Cli, user: &SeqeraUser) -> Out {
    let c = cli.command();
    cli.finish(c, &["seqera", "login", "--url", &seqera().url, "--token-stdin"], Some(&format!("{}\n", user.token)))
}

#[test]
fn apply_with_a_seqera_workspace_does_the_whole_job_and_rollback_empties_both_sides() {
    let cli = Cli::new();
    let user = seqera().user(&[("acme", "cli-role")]);
    let wid = user.workspaces[0].0;
    assert_eq!(login(&cli, &user).code, 0);

    let r = cli.run(&["apply", "-t", "seqera-cloud-role", "--seqera-workspace", "acme/cli-role", "--seqera-credential-name", "cloud-role"]);
    assert_eq!(r.code, 0, "{}\n{}", r.json, r.stderr);
    let run_id = r.json["run_id"].as_str().unwrap().to_string();
    assert_eq!(r.json["status"], "verified", "{}", r.json);
    assert_eq!(r.json["seqera"]["validation"]["outcome"], "available", "{}", r.json);
    assert_eq!(r.json["seqera"]["workspace"], "acme/cli-role");
    let external = r.json["seqera"]["external_id"].as_str().expect("Seqera's External ID").to_string();
    let checks = r.json["verification"]["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["id"] == "platform-validate" && c["status"] == "passed"), "{checks:?}");
    let held = seqera().credentials_in(wid);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["keys"]["externalId"], external.as_str());
    assert_eq!(held[0]["name"], "cloud-role");
    assert!(!common::files_text(cli.home.path()).contains(&user.token), "the token is in no file of the home");
    assert!(!r.stderr.contains(&user.token) && !r.json.to_string().contains(&user.token));

    // A plain verify runs the AWS-side checks only: Seqera's earlier verdict is not
    // taken for a new one, and the text says how to ask Seqera again.
    let v = cli.text(&["verify", &run_id]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("awaiting the platform's check"), "{}", v.stdout);
    assert!(v.stdout.contains(&format!("rolegate seqera connect {run_id} --workspace acme/cli-role")), "{}", v.stdout);

    let rb = cli.run(&["rollback", &run_id]);
    assert_eq!(rb.code, 0, "{}\n{}", rb.json, rb.stderr);
    let deleted = rb.json["rollback"]["deleted"].as_array().unwrap();
    assert!(deleted[0].as_str().unwrap().starts_with("Seqera Platform"), "the platform's credential goes first: {deleted:?}");
    assert!(seqera().credentials_in(wid).is_empty());
    assert_eq!(rt().block_on(inventory(&cli.account)), Vec::<String>::new());
}

#[test]
fn what_cannot_be_connected_is_refused_before_anything_is_made() {
    let cli = Cli::new();
    let user = seqera().user(&[("acme", "cli-refuse")]);

    let r = cli.run(&["apply", "-t", "seqera-batch-forge", "--seqera-workspace", "acme/cli-refuse"]);
    assert_eq!(r.code, 2, "not signed in: {}", r.json);
    assert_eq!(r.json["error"]["code"], "platform-not-signed-in", "{}", r.json);
    assert!(r.json["error"]["hint"].as_str().unwrap().contains("rolegate seqera login"), "{}", r.json);

    assert_eq!(login(&cli, &user).code, 0);
    let r = cli.run(&["apply", "-t", "custom", "--seqera-workspace", "acme/cli-refuse"]);
    assert_eq!(r.code, 2, "{}", r.json);
    assert_eq!(r.json["error"]["fields"][0]["field"], "template", "{}", r.json);
    assert_eq!(r.json["error"]["fields"][0]["rule"], "no-connector");

    let r = cli.run(&["apply", "-t", "seqera-batch-forge", "--seqera-workspace", "acme/nowhere"]);
    assert_eq!(r.code, 2, "{}", r.json);
    assert_eq!(r.json["error"]["fields"][0]["rule"], "unknown-workspace", "{}", r.json);
    assert!(r.json["error"]["fields"][0]["message"].as_str().unwrap().contains("acme/cli-refuse"));

    let runs = cli.run(&["runs"]);
    assert_eq!(runs.json["runs"].as_array().map(Vec::len), Some(0), "no run was started: {}", runs.json);
    assert_eq!(rt().block_on(inventory(&cli.account)), Vec::<String>::new(), "nothing in AWS");
    assert!(seqera().credentials_in(user.workspaces[0].0).is_empty(), "nothing on the platform");
}

#[test]
fn seqera_connect_hands_an_applied_run_over_and_rollback_says_what_it_could_not_delete() {
    let cli = Cli::new();
    let user = seqera().user(&[("acme", "cli-connect")]);
    let wid = user.workspaces[0].0;
    let r = cli.run(&["apply", "-t", "seqera-batch-launch"]);
    assert_eq!(r.code, 0, "{}\n{}", r.json, r.stderr);
    let run_id = r.json["run_id"].as_str().unwrap().to_string();
    assert_eq!(login(&cli, &user).code, 0);

    let t = cli.text(&["seqera", "connect", &run_id, "--workspace", "acme/cli-connect", "--credential-name", "launch-keys"]);
    assert_eq!(t.code, 0, "{}\n{}", t.stdout, t.stderr);
    assert!(t.stdout.contains("launch-keys") && t.stdout.contains("created"), "{}", t.stdout);
    assert!(t.stdout.contains("External ID generated by Seqera Platform"), "{}", t.stdout);
    assert!(t.stdout.contains("AVAILABLE"), "{}", t.stdout);
    assert!(t.stdout.contains(&format!("run {run_id}: verified")), "{}", t.stdout);
    let held = seqera().credentials_in(wid);
    assert_eq!(held[0]["name"], "launch-keys");
    assert_eq!(held[0]["keys"]["accessKey"], r.json["access_key_id"]);

    // Asked again: the same credential.
    let again = cli.run(&["seqera", "connect", &run_id, "--workspace", "acme/cli-connect", "--credential-name", "launch-keys"]);
    assert_eq!(again.code, 0, "{}", again.json);
    assert_eq!(again.json["seqera"]["reused"], true);
    assert_eq!(seqera().credentials_in(wid).len(), 1);

    // Signed out, roll-back deletes the AWS side and names the credential it kept.
    let c = cli.command();
    assert_eq!(cli.finish(c, &["seqera", "logout"], None).code, 0);
    let rb = cli.text(&["rollback", &run_id]);
    assert_eq!(rb.code, 5, "{}\n{}", rb.stdout, rb.stderr);
    assert!(rb.stdout.contains("launch-keys") && rb.stdout.contains("rolegate seqera login"), "{}", rb.stdout);
    assert_eq!(rt().block_on(inventory(&cli.account)), Vec::<String>::new());
    assert_eq!(seqera().credentials_in(wid).len(), 1);

    assert_eq!(login(&cli, &user).code, 0);
    let rb = cli.run(&["rollback", &run_id]);
    assert_eq!(rb.code, 0, "{}", rb.json);
    assert!(seqera().credentials_in(wid).is_empty());
}
