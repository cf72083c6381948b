//! `rolegate fleet apply|status|list|retry|resume|rollback` through the real binary
//! against the emulator, with an organization of the test's own: an OU fleet
//! (service-managed, auto-deploy, concurrency and tolerance as percentages) from apply
//! to roll-back, an account-list fleet (self-managed, its administration and execution
//! roles named), and the refusals that name the field and the rule.

use rolegate_tests::emulator;
use serde_json::{json, Value};

mod common;
use common::Cli;

fn verdicts(fleet: &Value) -> Vec<(String, String)> {
    fleet["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["account"].as_str().unwrap().into(), a["verdict"].as_str().unwrap().into()))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn an_ou_fleet_from_apply_to_rollback() {
    let cli = Cli::new();
    let org = emulator().organization(&cli.account, &[("Apps", 2), ("Apps/Deep", 1), ("Other", 1)]);
    let ou = org.ous["Apps"].as_str();
    let mut members = sorted(org.accounts_in("Apps").into_iter().chain(org.accounts_in("Apps/Deep")).collect());

    // A plan that names a way to administrator access is refused until acknowledged.
    let forge = ["fleet", "apply", "-t", "seqera-aws-cloud-role", "--ou", ou];
    let refused = cli.run(&forge);
    assert_eq!((refused.code, refused.json["error"]["code"].as_str()), (2, Some("acknowledgement-required")), "{}", refused.stderr);
    assert!(cli.run(&["fleet", "list"]).json["fleets"].as_array().unwrap().is_empty(), "nothing journaled");

    let mut args = forge.to_vec();
    args.extend([
        "--acknowledge-admin-access",
        "--stack-region",
        "eu-west-1",
        "--auto-deploy",
        "--max-concurrent",
        "50%",
        "--failure-tolerance",
        "1",
        "--access-role",
        "OrganizationAccountAccessRole",
    ]);
    let out = cli.run(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let fleet = &out.json["fleet"];
    let id = fleet["fleet_id"].as_str().unwrap().to_string();
    assert_eq!((fleet["status"].as_str(), fleet["permission_model"].as_str()), (Some("deployed"), Some("service-managed")));
    assert_eq!(verdicts(fleet), members.iter().map(|a| (a.clone(), "awaiting-platform".to_string())).collect::<Vec<_>>());
    for a in &members {
        assert!(out.stderr.contains(&format!("… {a} eu-west-1: SUCCEEDED")), "progress per account on stderr: {}", out.stderr);
    }
    assert!(out.stderr.contains(&format!("created StackSet rolegate-{id}")), "{}", out.stderr);
    let model = emulator().boto3(
        &cli.account.creds,
        "out = cfn.describe_stack_set(StackSetName=args['name'])['StackSet']['PermissionModel']",
        json!({"name": format!("rolegate-{id}")}),
    );
    assert_eq!(model, "SERVICE_MANAGED");

    // --auto-deploy: an account that joins the OU gets the role without a command.
    let joiner = org.accounts_in("Other")[0].clone();
    emulator().boto3(
        &cli.account.creds,
        "org.move_account(AccountId=args['account'], SourceParentId=args['from'], DestinationParentId=args['to'])\nout = True",
        json!({"account": joiner, "from": org.ous["Other"], "to": ou}),
    );
    members = sorted(members.into_iter().chain([joiner.clone()]).collect());
    let mut seen = Vec::new();
    for _ in 0..100 {
        let now = cli.run(&["fleet", "status", &id]);
        seen = verdicts(&now.json["fleet"]);
        if seen.len() == members.len() && seen.iter().all(|(_, v)| v == "awaiting-platform") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        seen,
        members.iter().map(|a| (a.clone(), "awaiting-platform".to_string())).collect::<Vec<_>>(),
        "{joiner} joined and was deployed"
    );

    let status = cli.text(&["fleet", "status", &id]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let lines: Vec<&str> = status.stdout.lines().collect();
    assert!(lines[0].starts_with(&format!("fleet {id} — deployed — StackSet rolegate-{id} (SERVICE_MANAGED")), "{}", status.stdout);
    assert!(lines[1].starts_with("ACCOUNT") && lines[1].contains("VERDICT"), "{}", status.stdout);
    for a in &members {
        assert!(
            lines.iter().any(|l| l.starts_with(a.as_str()) && l.contains("CURRENT") && l.contains("awaiting-platform")),
            "{}",
            status.stdout
        );
    }
    assert!(status.stdout.contains(&format!("{} account(s): {} awaiting-platform", members.len(), members.len())), "{}", status.stdout);

    let listed = cli.run(&["fleet", "list"]);
    let fleets = listed.json["fleets"].as_array().unwrap();
    assert_eq!(
        (fleets.len(), fleets[0]["fleet_id"].as_str(), fleets[0]["succeeded"].as_u64()),
        (1, Some(id.as_str()), Some(3)),
        "the operation's"
    );
    let text = cli.text(&["fleet", "list"]);
    assert!(text.stdout.starts_with(&format!("{id}  deployed")) && text.stdout.contains("3/3 account(s) succeeded"), "{}", text.stdout);

    let retry = cli.text(&["fleet", "retry", &id]);
    assert_eq!(retry.code, 0, "{}", retry.stderr);
    assert!(retry.stderr.contains("nothing to deploy again"), "{}", retry.stderr);
    let resumed = cli.run(&["fleet", "resume", &id]);
    assert_eq!(resumed.code, 0, "a deployed fleet resumes to its report: {}", resumed.stderr);

    let back = cli.text(&["fleet", "rollback", &id]);
    assert_eq!(back.code, 0, "{}\n{}", back.stdout, back.stderr);
    assert!(back.stdout.contains(&format!("fleet {id} rolled back: nothing it made is left")), "{}", back.stdout);
    for a in &members {
        assert!(back.stdout.lines().any(|l| l.starts_with(a.as_str()) && l.contains("removed")), "{}", back.stdout);
    }
    let again = cli.run(&["fleet", "resume", &id]);
    assert_eq!((again.code, again.json["error"]["code"].as_str()), (2, Some("wrong-status")), "{}", again.stderr);
    let unknown = cli.run(&["fleet", "status", "fl-000000000000"]);
    assert_eq!((unknown.code, unknown.json["error"]["code"].as_str()), (2, Some("fleet-not-found")));
}

#[test]
fn an_account_list_fleet_is_self_managed_with_the_roles_named() {
    let cli = Cli::new();
    let org = emulator().organization(&cli.account, &[("Teams", 2)]);
    let targets = sorted(org.accounts_in("Teams"));
    org.self_managed_stackset_roles(&targets);
    let admin = format!("arn:aws:iam::{}:role/AWSCloudFormationStackSetAdministrationRole", cli.account.id);
    let out = cli.run(&[
        "fleet",
        "apply",
        "-t",
        "seqera-cloud-role",
        "--account",
        &targets[0],
        "--account",
        &targets[1],
        "--administration-role",
        &admin,
        "--execution-role",
        "AWSCloudFormationStackSetExecutionRole",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let fleet = &out.json["fleet"];
    assert_eq!(fleet["permission_model"], "self-managed");
    assert_eq!(verdicts(fleet), targets.iter().map(|a| (a.clone(), "awaiting-platform".to_string())).collect::<Vec<_>>());
    let id = fleet["fleet_id"].as_str().unwrap();
    let back = cli.run(&["fleet", "rollback", id]);
    assert_eq!((back.code, back.json["fleet"]["status"].as_str()), (0, Some("rolled-back")), "{}", back.stderr);
}

#[test]
fn fleet_apply_names_the_field_and_rule_of_bad_input() {
    let cli = Cli::new();
    let org = emulator().organization(&cli.account, &[("Apps", 1)]);
    let account = org.accounts_in("Apps")[0].clone();
    let fields = |args: &[&str]| -> Vec<(String, String)> {
        let out = cli.run(args);
        assert_eq!((out.code, out.json["error"]["code"].as_str()), (2, Some("invalid-input")), "{args:?}: {}", out.stderr);
        out.json["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap().into(), f["rule"].as_str().unwrap().into()))
            .collect()
    };
    let base = ["fleet", "apply", "-t", "seqera-cloud-role"];
    let with = |extra: &[&'static str]| -> Vec<&str> { base.iter().copied().chain(extra.iter().copied()).collect() };
    assert_eq!(fields(&with(&["--ou", "ou-abcd-zzzzzzzz", "--max-concurrent", "lots"])), [("max-concurrent".into(), "number".into())]);
    assert!(fields(&with(&["--ou", "ou-abcd-zzzzzzzz"])).contains(&("ou".into(), "in-organization".into())));
    let args: Vec<&str> = base.iter().copied().chain(["--account", account.as_str(), "--auto-deploy"]).collect();
    assert_eq!(fields(&args), [("auto-deploy".into(), "service-managed-only".into())]);
    assert_eq!(fields(&with(&[])), [("targets".into(), "required".into())]);
    assert!(cli.run(&["fleet", "list"]).json["fleets"].as_array().unwrap().is_empty());
}
