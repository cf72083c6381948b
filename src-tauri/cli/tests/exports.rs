//! Exports proven by real clients against the emulator: the AWS CLI and boto3 read the
//! exported profiles (credential_process and plain keys) and the environment files;
//! cfn-lint passes the CloudFormation; the Terraform parses and names the run's
//! resources; the JSON bundles validate against the schemas in schemas/; rotation
//! keeps the profiles working; and nothing the program wrote or printed holds a secret.

use std::path::Path;

use rolegate_core::ports::{vault_entry, Vault};
use rolegate_vault::Keychain;
use secrecy::ExposeSecret;
use serde_json::Value;

mod common;
use common::{Cli, Raw};

fn apply(cli: &Cli, template: &str, extra: &[&str]) -> (String, Value) {
    let mut args = vec!["apply", "-t", template];
    args.extend_from_slice(extra);
    let out = cli.run(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    (out.json["run_id"].as_str().unwrap().to_string(), out.json)
}

fn ok(r: &Raw, what: &str) {
    assert_eq!(r.code, 0, "{what} failed:\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
}

fn caller(r: &Raw) -> String {
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    v["Arn"].as_str().unwrap().to_string()
}

const BOTO3_CALLER: &str =
    "import boto3, json, sys\nprint(json.dumps(boto3.Session(profile_name=sys.argv[1]).client('sts').get_caller_identity(), default=str))";

fn repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn profiles_work_for_the_aws_cli_and_boto3_and_survive_a_rotation() {
    let cli = Cli::new();
    let (run, applied) = apply(&cli, "seqera-batch-launch", &[]);
    let role = applied["roles"][0]["name"].as_str().unwrap().to_string();
    let assumed = format!(":assumed-role/{role}/{run}");

    // Default: credential_process, no secret on disk.
    ok(&cli.text(&["export", &run, "-f", "aws-profile", "--profile-name", "acme"]), "export aws-profile");
    let config = cli.home.path().join("aws/config");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("credential_process = ") && text.contains("external_id = "), "{text}");
    assert!(!cli.home.path().join("aws/credentials").exists(), "no credentials file without --plain-keys");
    let r = cli.client("aws", &["sts", "get-caller-identity", "--profile", "acme", "--output", "json"], &[]);
    ok(&r, "aws with the credential_process profile");
    assert!(caller(&r).ends_with(&assumed), "{}", r.stdout);
    let r = cli.client("python3", &["-c", BOTO3_CALLER, "acme"], &[]);
    ok(&r, "boto3 with the credential_process profile");
    assert!(caller(&r).ends_with(&assumed), "{}", r.stdout);

    // The External ID in the profile is what lets it in: without it the emulator denies.
    let stripped = cli.home.path().join("aws/config-without-external-id");
    std::fs::write(&stripped, text.lines().filter(|l| !l.starts_with("external_id")).collect::<Vec<_>>().join("\n")).unwrap();
    let r = cli.client("aws", &["sts", "get-caller-identity", "--profile", "acme"], &[("AWS_CONFIG_FILE", stripped.display().to_string())]);
    assert_ne!(r.code, 0, "a profile without the External ID must be denied: {}", r.stdout);
    assert!(r.stderr.contains("AccessDenied"), "{}", r.stderr);

    // The same export again changes nothing; a different one under the same name is
    // refused and the file is left as it was; --dry-run writes nothing.
    let same = cli.text(&["--json", "export", &run, "-f", "aws-profile", "--profile-name", "acme"]);
    ok(&same, "the same export again");
    assert!(same.stdout.contains("\"unchanged\""), "{}", same.stdout);
    let again = cli.text(&["--json", "export", &run, "-f", "aws-profile", "--profile-name", "acme", "--plain-keys"]);
    assert_eq!(again.code, 2, "{}", again.stdout);
    assert!(again.stdout.contains("\"rule\": \"exists\""), "{}", again.stdout);
    let dry = cli.text(&["export", &run, "-f", "aws-profile", "--profile-name", "acme-dry", "--dry-run"]);
    ok(&dry, "dry run");
    assert!(dry.stderr.contains("+[profile acme-dry]"), "the change is shown: {}", dry.stderr);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);

    // Plain keys: an explicit choice, 0600.
    ok(&cli.text(&["export", &run, "-f", "aws-profile", "--profile-name", "acme-plain", "--plain-keys"]), "plain keys");
    let creds_file = cli.home.path().join("aws/credentials");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&creds_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let r = cli.client("aws", &["sts", "get-caller-identity", "--profile", "acme-plain", "--output", "json"], &[]);
    ok(&r, "aws with the plain-key profile");
    assert!(caller(&r).ends_with(&assumed));
    let r = cli.client("python3", &["-c", BOTO3_CALLER, "acme-plain"], &[]);
    ok(&r, "boto3 with the plain-key profile");

    // Rotation: the plain-key profile gets the new key; the credential_process one follows the run.
    let old_key = applied["access_key_id"].as_str().unwrap().to_string();
    let rot = cli.run(&["rotate-key", &run]);
    assert_eq!(rot.code, 0, "{}\n{}", rot.json, rot.stderr);
    let new_key = rot.json["rotation"]["new_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, old_key);
    assert_eq!(rot.json["rotation"]["profiles_updated"], serde_json::json!(["acme-plain-source"]));
    let creds_text = std::fs::read_to_string(&creds_file).unwrap();
    assert!(creds_text.contains(&new_key) && !creds_text.contains(&old_key), "{creds_text}");
    for profile in ["acme", "acme-plain"] {
        let r = cli.client("aws", &["sts", "get-caller-identity", "--profile", profile, "--output", "json"], &[]);
        ok(&r, &format!("aws --profile {profile} after the rotation"));
        assert!(caller(&r).ends_with(&assumed));
    }
    let rb = cli.run(&["rollback", &run]);
    assert_eq!(rb.code, 0, "{}", rb.json);
}

#[test]
fn environment_exports_work_when_sourced_or_loaded() {
    let cli = Cli::new();
    let (run, applied) = apply(&cli, "seqera-batch-launch", &[]);
    let user = applied["resources"].as_array().unwrap().iter().find(|r| r["kind"] == "user").unwrap()["name"].as_str().unwrap().to_string();
    let dir = cli.home.path().join("exports");
    let sh = dir.join("key.sh");
    ok(&cli.text(&["export", &run, "-f", "sh", "--out", sh.to_str().unwrap()]), "export sh");
    let r = cli.client("bash", &["-c", &format!("set -e; . {}; aws sts get-caller-identity --output json", sh.display())], &[]);
    ok(&r, "sourced sh export");
    assert!(caller(&r).ends_with(&format!(":user/{user}")), "{}", r.stdout);

    let temp = dir.join("temp.sh");
    ok(&cli.text(&["export", &run, "-f", "sh", "--temporary", "--out", temp.to_str().unwrap()]), "export sh --temporary");
    let t = std::fs::read_to_string(&temp).unwrap();
    assert!(t.contains("AWS_SESSION_TOKEN=") && t.contains("AWS_SECURITY_TOKEN=") && t.contains("expire at"), "{t}");
    let r = cli.client("bash", &["-c", &format!("set -e; . {}; aws sts get-caller-identity --output json", temp.display())], &[]);
    ok(&r, "sourced temporary sh export");
    assert!(caller(&r).contains(":assumed-role/"), "{}", r.stdout);

    let dotenv = dir.join("key.env");
    ok(&cli.text(&["export", &run, "-f", "dotenv", "--out", dotenv.to_str().unwrap()]), "export dotenv");
    let script = "import boto3, json, sys\nfrom dotenv import load_dotenv\nassert load_dotenv(sys.argv[1], override=True)\nprint(json.dumps(boto3.client('sts').get_caller_identity(), default=str))";
    let r = cli.client("python3", &["-c", script, dotenv.to_str().unwrap()], &[]);
    ok(&r, "dotenv with boto3");
    assert!(caller(&r).ends_with(&format!(":user/{user}")));

    // fish and PowerShell: the same variables in their syntax, secrets masked on screen.
    let fish = cli.text(&["export", &run, "-f", "fish"]);
    assert!(
        fish.stdout.contains("set -gx AWS_ACCESS_KEY_ID ") && fish.stdout.contains("set -gx AWS_SECRET_ACCESS_KEY '****************'"),
        "{}",
        fish.stdout
    );
    let ps = cli.text(&["export", &run, "-f", "powershell"]);
    assert!(ps.stdout.contains("$Env:AWS_SECRET_ACCESS_KEY = '****************'"), "{}", ps.stdout);
    cli.run(&["rollback", &run]);
}

fn validate(schema: &str, file: &Path, cli: &Cli) {
    let script = "import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\njsonschema.Draft202012Validator.check_schema(schema)\njsonschema.validate(json.load(open(sys.argv[2])), schema, cls=jsonschema.Draft202012Validator)\nprint('valid')";
    let schema_path = repo().join("schemas").join(schema);
    let r = cli.client("python3", &["-c", script, schema_path.to_str().unwrap(), file.to_str().unwrap()], &[]);
    ok(&r, &format!("{} against {schema}", file.display()));
}

#[test]
fn json_bundles_validate_against_the_schemas_and_iac_replays_the_run() {
    let cli = Cli::new();
    let (run, applied) = apply(&cli, "seqera-batch-launch", &[]);
    let dir = cli.home.path().join("exports");
    for (format, schema) in [("seqera", "seqera-credentials.schema.json"), ("registry", "registry-credentials.schema.json")] {
        let f = dir.join(format!("{format}.json"));
        ok(&cli.text(&["export", &run, "-f", format, "--out", f.to_str().unwrap()]), format);
        validate(schema, &f, &cli);
    }
    let bad = cli.text(&["--json", "export", &run, "-f", "seqera", "--name", "no spaces allowed"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stdout.contains("\"field\": \"name\"") && bad.stdout.contains("\"rule\": \"charset\""), "{}", bad.stdout);

    // CloudFormation passes cfn-lint.
    let cfn = dir.join("stack.yaml");
    ok(&cli.text(&["export", &run, "-f", "cloudformation", "--out", cfn.to_str().unwrap()]), "cloudformation");
    let r = cli.client("cfn-lint", &[cfn.to_str().unwrap()], &[]);
    ok(&r, "cfn-lint");

    // Terraform parses and names exactly the run's resources.
    let tf = cli.text(&["export", &run, "-f", "terraform"]);
    ok(&tf, "terraform");
    let body = hcl::parse(&tf.stdout).unwrap_or_else(|e| panic!("{e}\n{}", tf.stdout));
    let mut names: Vec<String> = body
        .blocks()
        .filter(|b| b.identifier() == "resource")
        .filter_map(|b| {
            let kind = b.labels().first()?.as_str().to_string();
            let name = b.body().attributes().find(|a| a.key() == "name").map(|a| a.expr().to_string().trim_matches('"').to_string())?;
            Some(format!("{kind}:{name}"))
        })
        .collect();
    names.sort();
    let mut expected = Vec::new();
    for r in applied["resources"].as_array().unwrap() {
        match r["kind"].as_str().unwrap() {
            "policy" => expected.push(format!("aws_iam_policy:{}", r["arn"].as_str().unwrap().rsplit('/').next().unwrap())),
            "user" => expected.push(format!("aws_iam_user:{}", r["name"].as_str().unwrap())),
            "role" => expected.push(format!("aws_iam_role:{}", r["name"].as_str().unwrap())),
            "user-inline-policy" => expected.push(format!("aws_iam_user_policy:{}", r["name"].as_str().unwrap())),
            _ => {}
        }
    }
    expected.sort();
    assert_eq!(names, expected, "{}", tf.stdout);
    assert!(!tf.stdout.contains("aws_iam_access_key"), "no access key (its secret would land in the state)");
    cli.run(&["rollback", &run]);

    // Role mode (Seqera Cloud) and Spacelift.
    let (cloud, _) = apply(&cli, "seqera-cloud-role", &["--no-verify"]);
    let f = dir.join("cloud.json");
    ok(&cli.text(&["export", &cloud, "-f", "seqera", "--out", f.to_str().unwrap()]), "seqera role mode");
    validate("seqera-credentials.schema.json", &f, &cli);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(v["credentials"]["keys"]["mode"], "role");
    assert!(v["credentials"]["keys"].get("externalId").is_none(), "Seqera generates it; none made up here: {v}");
    // Once the run holds the platform's value, the export carries it.
    assert_eq!(cli.run(&["set-external-id", &cloud, "seqera-generated-0d6b", "--no-verify"]).code, 0);
    let f = dir.join("cloud-platform-value.json");
    ok(&cli.text(&["export", &cloud, "-f", "seqera", "--out", f.to_str().unwrap()]), "seqera role mode, platform value");
    validate("seqera-credentials.schema.json", &f, &cli);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(v["credentials"]["keys"]["externalId"], "seqera-generated-0d6b");
    let profile = cli.text(&["--json", "export", &cloud, "-f", "aws-profile"]);
    assert_eq!(profile.code, 2, "a role only the platform can assume has no local profile: {}", profile.stdout);
    cli.run(&["rollback", &cloud]);
    let (sl, _) = apply(&cli, "spacelift", &["--no-verify", "--var", "spacelift_account=acme"]);
    let f = dir.join("spacelift.json");
    // One integration per role: a bare id for a two-role run is refused, naming the rule.
    let bare = cli.text(&["--json", "export", &sl, "-f", "spacelift", "--stack", "prod-vpc", "--integration", "01HX"]);
    assert_eq!(bare.code, 2, "{}", bare.stdout);
    assert!(bare.stdout.contains("integration-per-role"), "{}", bare.stdout);
    ok(
        &cli.text(&[
            "export",
            &sl,
            "-f",
            "spacelift",
            "--stack",
            "prod-vpc",
            "--integration",
            "read=01HXREAD",
            "--integration",
            "write=01HXWRITE",
            "--out",
            f.to_str().unwrap(),
        ]),
        "spacelift",
    );
    validate("spacelift.schema.json", &f, &cli);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    let roles = v["roles"].as_array().unwrap();
    let read = roles.iter().find(|r| r["key"] == "read").unwrap();
    let write = roles.iter().find(|r| r["key"] == "write").unwrap();
    assert_eq!(read["external_ids"][0]["external_id"], "acme@01HXREAD@prod-vpc@read");
    assert_eq!(write["external_ids"][0]["external_id"], "acme@01HXWRITE@prod-vpc@write");
    assert_eq!(read["integration"]["attach"], serde_json::json!({"read": true, "write": false}));
    assert_eq!(write["integration"]["attach"], serde_json::json!({"read": false, "write": true}));

    // Terraform: Spacelift's provider beside AWS's, each role its own integration,
    // attached for its phase only, with the External ID data source.
    let tf = cli.text(&["export", &sl, "-f", "terraform", "--stack", "prod-vpc", "--stack", "edge"]);
    ok(&tf, "terraform spacelift");
    let body = hcl::parse(&tf.stdout).unwrap_or_else(|e| panic!("{e}\n{}", tf.stdout));
    let block = |kind: &str, label: &str, name: &str| {
        body.blocks()
            .find(|b| {
                b.identifier() == kind
                    && b.labels().first().map(|l| l.as_str()) == Some(label)
                    && b.labels().get(1).map(|l| l.as_str()) == Some(name)
            })
            .unwrap_or_else(|| panic!("no {kind} {label}.{name} in:\n{}", tf.stdout))
            .clone()
    };
    let attr = |b: &hcl::Block, key: &str| b.body().attributes().find(|a| a.key() == key).map(|a| a.expr().to_string()).unwrap_or_default();
    for (key, read_flag, write_flag) in [("read", "true", "false"), ("write", "false", "true")] {
        let integration = block("resource", "spacelift_aws_integration", key);
        assert_eq!(attr(&integration, "role_arn"), format!("aws_iam_role.role_{key}.arn"));
        assert_eq!(attr(&integration, "generate_credentials_in_worker"), "false");
        let attachment = block("resource", "spacelift_aws_integration_attachment", key);
        assert_eq!((attr(&attachment, "read").as_str(), attr(&attachment, "write").as_str()), (read_flag, write_flag), "{key}");
        assert_eq!(attr(&attachment, "stack_id"), "each.value");
        block("data", "spacelift_aws_integration_attachment_external_id", key);
    }
    assert!(tf.stdout.contains("\"prod-vpc\"") && tf.stdout.contains("\"edge\""), "the stacks are the variable's default:\n{}", tf.stdout);
    assert!(tf.stdout.contains("spacelift-io/spacelift"), "{}", tf.stdout);
    cli.run(&["rollback", &sl]);
}

/// The values assigned to these variables in sh, fish, PowerShell or dotenv text.
fn assigned(text: &str, vars: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        for var in vars {
            let rest = line
                .strip_prefix(&format!("export {var}="))
                .or_else(|| line.strip_prefix(&format!("{var}=")))
                .or_else(|| line.strip_prefix(&format!("set -gx {var} ")))
                .or_else(|| line.strip_prefix(&format!("$Env:{var} = ")));
            if let Some(v) = rest {
                out.push(v.trim().trim_matches('\'').to_string());
            }
        }
    }
    out
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_written_or_printed_holds_a_secret_unless_asked() {
    let cli = Cli::new();
    let (run, applied) = apply(&cli, "seqera-batch-launch", &[]);
    let key = applied["access_key_id"].as_str().unwrap().to_string();
    let secret = Keychain::with_service(&cli.service).get(&vault_entry(&key)).await.unwrap().expect("secret in the keychain");
    let secret = secret.expose_secret().to_string();
    let mut printed = Vec::new();
    for args in [
        vec!["export", &run, "-f", "aws-profile", "--profile-name", "leak"],
        vec!["export", &run, "-f", "sh"],
        vec!["export", &run, "-f", "sh", "--temporary"],
        vec!["export", &run, "-f", "fish"],
        vec!["export", &run, "-f", "powershell"],
        vec!["export", &run, "-f", "dotenv"],
        vec!["export", &run, "-f", "seqera"],
        vec!["export", &run, "-f", "registry"],
        vec!["export", &run, "-f", "nextflow"],
        vec!["export", &run, "-f", "terraform"],
        vec!["export", &run, "-f", "cloudformation"],
        vec!["--json", "export", &run, "-f", "seqera"],
        vec!["--json", "export", &run, "-f", "dotenv", "--temporary"],
        vec!["verify", &run],
        vec!["runs", &run],
        vec!["--json", "runs", &run],
        vec!["secrets", "list"],
        vec!["--json", "secrets", "list"],
    ] {
        let r = cli.text(&args);
        ok(&r, &args.join(" "));
        printed.push((args.join(" "), r.stdout, r.stderr));
    }
    let mut tokens_seen = 0;
    for (what, stdout, stderr) in &printed {
        for (stream, text) in [("stdout", stdout), ("stderr", stderr)] {
            assert!(!text.contains(&secret), "`rolegate {what}` printed the secret access key on {stream}");
            // JSON output carries the export's text in a string: look inside it too.
            let inner = serde_json::from_str::<Value>(text).ok().and_then(|v| v["export"]["text"].as_str().map(String::from));
            for t in [Some(text.clone()), inner].into_iter().flatten() {
                for value in assigned(&t, &["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_SECRET_ACCESS_KEY"]) {
                    tokens_seen += 1;
                    assert_eq!(value, "****************", "`rolegate {what}` printed a secret or session token on {stream}");
                }
            }
        }
    }
    assert!(tokens_seen >= 10, "the check looked at the secret and token lines ({tokens_seen})");
    let secrets: Value = serde_json::from_str(&printed.iter().find(|p| p.0 == "--json secrets list").unwrap().1).unwrap();
    assert_eq!(secrets["secrets"][0]["access_key_id"], key.as_str());
    assert_eq!(secrets["secrets"][0]["present"], true);
    let mut files = Vec::new();
    files_under(cli.home.path(), &mut files);
    assert!(files.len() >= 3, "journal, secrets index and AWS config at least: {files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&secret), "{} holds the secret access key", f.display());
    }
    // secrets delete refuses a key a live run still uses; with --force it deletes the
    // entry, the list no longer shows it, and credential_process says it is gone.
    let del = cli.text(&["secrets", "delete", &key]);
    assert_eq!(del.code, 2, "{}", del.stderr);
    assert!(del.stderr.contains(&run));
    ok(&cli.text(&["secrets", "delete", &key, "--force"]), "secrets delete --force");
    assert!(Keychain::with_service(&cli.service).get(&vault_entry(&key)).await.unwrap().is_none());
    let list: Value = serde_json::from_str(&cli.text(&["--json", "secrets", "list"]).stdout).unwrap();
    assert_eq!(list["secrets"], serde_json::json!([]));
    let cp = cli.text(&["credential-process", "--run", &run]);
    assert_ne!(cp.code, 0);
    assert!(cp.stderr.contains("holds no secret"), "{}", cp.stderr);
    let rb = cli.run(&["rollback", &run]);
    assert_eq!(rb.code, 0, "rollback still removes the key itself: {}", rb.json);
}

#[test]
fn a_named_users_key_is_rotated_against_the_emulator() {
    let cli = Cli::new();
    let bot = rolegate_tests::emulator().bootstrap(&cli.account.id, &format!("ci-bot-{}", rolegate_tests::fresh_account_id()), None);
    let name = bot.user_arn.rsplit('/').next().unwrap().to_string();
    let old = bot.creds.access_key_id.clone();
    let r = cli.run(&["rotate-key", "--user", &name]);
    assert_eq!(r.code, 0, "{}\n{}", r.json, r.stderr);
    assert_eq!(r.json["rotation"]["old_key"], old.as_str());
    let new = r.json["rotation"]["new_key"].as_str().unwrap().to_string();
    // The new key works through credential_process; the old one is gone.
    let config = cli.home.path().join("aws/config");
    let exe = env!("CARGO_BIN_EXE_rolegate");
    let data = cli.home.path().join("data");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!("[profile bot]\ncredential_process = {exe} --home {} credential-process --access-key-id {new}\n", data.display()),
    )
    .unwrap();
    let who = cli.client("aws", &["sts", "get-caller-identity", "--profile", "bot", "--output", "json"], &[]);
    ok(&who, "the rotated key");
    assert_eq!(caller(&who), bot.user_arn);
    let old_env = [("AWS_ACCESS_KEY_ID", old.clone()), ("AWS_SECRET_ACCESS_KEY", bot.creds.secret_access_key.expose_secret().to_string())];
    let gone = cli.client("aws", &["sts", "get-caller-identity"], &old_env);
    assert_ne!(gone.code, 0, "the old key must no longer work: {}", gone.stdout);
}
