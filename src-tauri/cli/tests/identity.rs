//! The identity a person names is the one used: with keys for one emulator account in
//! the environment and a profile for another in private AWS config files, every command
//! given `--profile` acts in the profile's account (as `aws --profile` does), while
//! `AWS_PROFILE` alone still loses to environment keys (as in the AWS CLI and boto3).
//! Region and endpoint follow the AWS CLI's order; every output says where the identity
//! came from. A role that trusts the platform awaits its check until `verify
//! --assume-as-profile` assumes it as the platform.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use rolegate_tests::{emulator, inventory, Account};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

mod common;
use common::{Cli, Out};

/// Nothing listens here: an endpoint that must not be the one used.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

struct Setup {
    cli: Cli,
    /// The profile `other`'s account.
    other: Account,
    config: PathBuf,
    credentials: PathBuf,
}

/// Account A (`cli.account`) in the environment; profile `other` for account B with
/// `extra_config` in its config section.
fn setup(extra_config: &str) -> Setup {
    let cli = Cli::new();
    let other = emulator().admin_account();
    let dir = cli.home.path().join("aws");
    std::fs::create_dir_all(&dir).unwrap();
    let (config, credentials) = (dir.join("config"), dir.join("credentials"));
    std::fs::write(&config, format!("[profile other]\n{extra_config}")).unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[other]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            other.creds.access_key_id,
            other.creds.secret_access_key.expose_secret()
        ),
    )
    .unwrap();
    Setup { cli, other, config, credentials }
}

impl Setup {
    /// `rolegate` with account A's keys in the environment and the private AWS files.
    fn command(&self) -> Command {
        let mut c = self.cli.command();
        c.env("AWS_ACCESS_KEY_ID", &self.cli.account.creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", self.cli.account.creds.secret_access_key.expose_secret())
            .env("AWS_CONFIG_FILE", &self.config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.credentials);
        c
    }

    /// With `--endpoint-url` (the emulator) and `--json`.
    fn run(&self, args: &[&str]) -> Out {
        self.cli.finish(self.command(), args, None)
    }

    /// Without `--endpoint-url`: the endpoint comes from the environment or the profile.
    fn run_bare(&self, mut c: Command, args: &[&str]) -> Out {
        let out = c.arg("--json").args(args).stdin(Stdio::null()).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout of {args:?} is not JSON ({e}): {stdout}"));
        Out { code: out.status.code().unwrap_or(-1), json, stderr: String::from_utf8_lossy(&out.stderr).into() }
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn named_other() -> Value {
    json!({ "kind": "profile", "profile": "other", "chosen": "named", "credentials": { "kind": "credentials-file-keys" } })
}

#[test]
fn a_named_profile_wins_over_environment_keys_in_plan_test_connection_apply_and_rollback() {
    let s = setup("region = eu-west-1\n");
    let (a, b) = (&s.cli.account, &s.other);

    let plan = s.run(&["--profile", "other", "plan", "-t", "seqera-batch-launch"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.json, plan.stderr);
    assert_eq!(plan.json["plan"]["account"], b.id.as_str(), "the plan is for the profile's account, not the environment's");
    assert_eq!(plan.json["plan"]["caller_arn"], b.user_arn.as_str());
    assert_eq!(plan.json["plan"]["identity"], named_other());

    // The text plan says where the identity came from before anything is made.
    let mut c = s.command();
    c.args(["--endpoint-url", &emulator().url, "--profile", "other", "plan", "-t", "seqera-batch-launch"]);
    let text = String::from_utf8(c.stdin(Stdio::null()).output().unwrap().stdout).unwrap();
    assert!(text.contains(&format!("account {}", b.id)), "{text}");
    assert!(text.contains("identity from profile other, keys from the credentials file"), "{text}");

    let conn = s.run(&["--profile", "other", "test-connection"]);
    assert_eq!(conn.code, 0, "{}\n{}", conn.json, conn.stderr);
    assert_eq!(conn.json["connection"]["account"], b.id.as_str());
    assert_eq!(conn.json["connection"]["principal"], b.user_arn.as_str());
    assert_eq!(conn.json["connection"]["identity"], named_other());

    let applied = s.run(&["--profile", "other", "apply", "-t", "seqera-batch-launch", "--propagation-timeout", "30"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.json, applied.stderr);
    assert_eq!(applied.json["identity"], named_other());
    let run_id = applied.json["run_id"].as_str().unwrap().to_string();
    let role_arn = applied.json["roles"][0]["arn"].as_str().unwrap();
    assert!(role_arn.contains(&format!(":{}:", b.id)), "the role is in the profile's account: {role_arn}");
    let (in_a, in_b) = rt().block_on(async { (inventory(a).await, inventory(b).await) });
    assert!(in_a.is_empty(), "nothing is made in the environment's account: {in_a:?}");
    assert!(in_b.iter().any(|r| r.starts_with("role:")) && in_b.iter().any(|r| r.starts_with("user:")), "{in_b:?}");

    let rolled = s.run(&["--profile", "other", "rollback", &run_id]);
    assert_eq!(rolled.code, 0, "{}\n{}", rolled.json, rolled.stderr);
    let in_b = rt().block_on(inventory(b));
    assert!(in_b.is_empty(), "the roll-back cleaned the profile's account: {in_b:?}");
}

#[test]
fn a_role_for_the_platform_awaits_its_check_until_verify_assume_as_profile_proves_it_as_that_profile() {
    let s = setup("region = eu-west-1\n");
    // A third account plays the platform: the role trusts only its administrator.
    let platform = emulator().admin_account();
    let mut creds = std::fs::read_to_string(&s.credentials).unwrap();
    creds.push_str(&format!(
        "\n[platform]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        platform.creds.access_key_id,
        platform.creds.secret_access_key.expose_secret()
    ));
    std::fs::write(&s.credentials, creds).unwrap();

    let applied = s.run(&[
        "--profile",
        "other",
        "apply",
        "-t",
        "seqera-cloud-role",
        "--trusted-principal",
        &platform.user_arn,
        "--propagation-timeout",
        "30",
    ]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.json, applied.stderr);
    let run_id = applied.json["run_id"].as_str().unwrap().to_string();
    // Nobody assumed the role yet: the AWS side passed, the run is not verified.
    assert_eq!(applied.json["status"], "awaiting-platform", "{}", applied.json);
    let status = |s: &Setup| {
        let one = s.run(&["runs", &run_id]);
        let all = s.run(&["runs"]);
        let listed = all.json["runs"].as_array().unwrap().iter().find(|r| r["run_id"] == run_id.as_str()).unwrap()["status"].clone();
        assert_eq!(one.json["run"]["status"], listed);
        listed
    };
    assert_eq!(status(&s), "awaiting-platform");

    let unconfirmed = s.run(&["--profile", "other", "verify", &run_id]);
    assert_eq!(unconfirmed.code, 0, "nothing failed: {}\n{}", unconfirmed.json, unconfirmed.stderr);
    assert_eq!((&unconfirmed.json["status"], &unconfirmed.json["passed"]), (&json!("awaiting-platform"), &json!(true)));
    let mut c = s.command();
    c.args(["--endpoint-url", &emulator().url, "--profile", "other", "verify", &run_id]);
    let text = String::from_utf8(c.stdin(Stdio::null()).output().unwrap().stdout).unwrap();
    assert!(text.contains(&format!("run {run_id} is awaiting the platform's check")), "{text}");
    assert!(text.contains(&format!("trusts {}", platform.user_arn)) && text.contains("--assume-as-profile PROFILE"), "{text}");
    assert!(!text.contains("verification passed"), "{text}");
    assert_eq!(status(&s), "awaiting-platform");

    let verified = s.run(&["--profile", "other", "verify", &run_id, "--assume-as-profile", "platform"]);
    assert_eq!(verified.code, 0, "{}\n{}", verified.json, verified.stderr);
    assert_eq!(verified.json["status"], "verified", "the platform's principal assumed the role: {}", verified.json);
    assert_eq!(status(&s), "verified");
    let checks: Vec<(String, String)> = verified.json["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        checks.iter().any(|(id, st)| id.starts_with("assume-with-external-id") && st == "passed"),
        "the platform profile assumed the role, not the environment's account: {checks:?}"
    );
    assert!(verified.stderr.contains("assuming the roles as profile platform, keys from the credentials file"), "{}", verified.stderr);
    assert_eq!(s.run(&["--profile", "other", "rollback", &run_id]).code, 0);
}

#[test]
fn aws_profile_in_the_environment_loses_to_environment_keys_as_in_the_aws_cli() {
    let s = setup("region = eu-west-1\n");
    let mut c = s.command();
    c.env("AWS_PROFILE", "other");
    let out = s.cli.finish(c, &["test-connection"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["account"], s.cli.account.id.as_str(), "environment keys come before AWS_PROFILE");
    assert_eq!(
        out.json["connection"]["identity"],
        json!({ "kind": "environment-keys", "access_key_id": s.cli.account.creds.access_key_id, "session_token": false, "unused_aws_profile": "other" })
    );

    // Without keys in the environment, AWS_PROFILE selects the profile.
    let mut c = s.command();
    c.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY").env("AWS_PROFILE", "other");
    let out = s.cli.finish(c, &["test-connection"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["account"], s.other.id.as_str());
    assert_eq!(out.json["connection"]["identity"]["chosen"], "aws-profile-variable");
}

/// The region a plan with the named profile (and environment keys present) is made for.
fn plan_region(s: &Setup, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut c = s.command();
    c.env_remove("AWS_REGION");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut all = vec!["--profile", "other"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["plan", "-t", "seqera-batch-forge"]);
    let out = s.cli.finish(c, &all, None);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["plan"]["account"], s.other.id.as_str());
    out.json["plan"]["region"].as_str().unwrap().to_string()
}

#[test]
fn region_follows_option_then_aws_region_then_aws_default_region_then_the_profile() {
    let s = setup("region = ap-south-1\n");
    assert_eq!(plan_region(&s, &[], &[]), "ap-south-1");
    assert_eq!(plan_region(&s, &[("AWS_DEFAULT_REGION", "us-west-2")], &[]), "us-west-2");
    assert_eq!(plan_region(&s, &[("AWS_DEFAULT_REGION", "us-west-2"), ("AWS_REGION", "eu-central-1")], &[]), "eu-central-1");
    assert_eq!(
        plan_region(&s, &[("AWS_DEFAULT_REGION", "us-west-2"), ("AWS_REGION", "eu-central-1")], &["--region", "ca-central-1"]),
        "ca-central-1"
    );
    let bare = setup("");
    assert_eq!(plan_region(&bare, &[], &[]), "us-east-1", "nothing configures a region");
}

#[test]
fn endpoint_follows_option_then_aws_endpoint_url_then_the_profile() {
    let emu = &emulator().url;
    // The profile's endpoint_url is used when nothing else names one.
    let s = setup(&format!("region = eu-west-1\nendpoint_url = {emu}\n"));
    let out = s.run_bare(s.command(), &["--profile", "other", "test-connection"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["account"], s.other.id.as_str());

    // AWS_ENDPOINT_URL beats the profile's; --endpoint-url beats both and the
    // service-specific variables.
    let s = setup(&format!("region = eu-west-1\nendpoint_url = {DEAD_ENDPOINT}\n"));
    let mut c = s.command();
    c.env("AWS_ENDPOINT_URL", emu);
    let out = s.run_bare(c, &["--profile", "other", "test-connection"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["account"], s.other.id.as_str());

    let mut c = s.command();
    c.env("AWS_ENDPOINT_URL", DEAD_ENDPOINT).env("AWS_ENDPOINT_URL_STS", DEAD_ENDPOINT).env("AWS_ENDPOINT_URL_IAM", DEAD_ENDPOINT);
    let out = s.run_bare(c, &["--profile", "other", "--endpoint-url", emu, "test-connection"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["account"], s.other.id.as_str());

    // The service-specific variables beat AWS_ENDPOINT_URL, as the SDK documents.
    let mut c = s.command();
    c.env("AWS_ENDPOINT_URL", DEAD_ENDPOINT).env("AWS_ENDPOINT_URL_STS", emu).env("AWS_ENDPOINT_URL_IAM", emu);
    let out = s.run_bare(c, &["--profile", "other", "test-connection"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["connection"]["account"], s.other.id.as_str());
}

#[test]
fn a_named_profile_that_does_not_exist_is_bad_input_not_the_environment() {
    let s = setup("region = eu-west-1\n");
    let out = s.run(&["--profile", "nosuch", "plan", "-t", "seqera-batch-forge"]);
    assert_eq!(out.code, 2, "never falls back to the environment's keys: {}", out.json);
    assert_eq!(out.json["error"]["code"], "invalid-input");
    assert_eq!(out.json["error"]["fields"][0]["field"], "profile");
    assert_eq!(out.json["error"]["fields"][0]["rule"], "unknown-profile");
    assert!(out.json["error"]["fields"][0]["message"].as_str().unwrap().contains("nosuch"), "{}", out.json);

    let out = s.run(&["verify", "rg-000000000000", "--assume-as-profile", "nosuch"]);
    assert_eq!(out.code, 2, "{}", out.json);
    assert_eq!(out.json["error"]["fields"][0]["field"], "assume_as_profile");
    assert_eq!(out.json["error"]["fields"][0]["rule"], "unknown-profile");
}
