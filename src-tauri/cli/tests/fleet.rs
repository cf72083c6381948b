//! `rolegate fleet targets` through the real binary against the emulator, with an
//! organization of the test's own (an OU of 3 accounts and an OU nested in it): the
//! tree as `--json` and as text, the management account named with the separate run it
//! needs, a delegated administrator's view, and the refusals of a member account and of
//! an account in no organization.

use rolegate_tests::emulator;
use serde_json::{json, Value};

mod common;
use common::Cli;

fn ids(accounts: &Value) -> Vec<String> {
    let mut v: Vec<String> = accounts.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn targets_are_the_ou_tree_with_the_management_account_set_apart() {
    let cli = Cli::new();
    let org = emulator().organization(&cli.account, &[("Apps", 3), ("Apps/Deep", 1)]);
    let out = cli.run(&["fleet", "targets"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let t = &out.json["fleet_targets"];
    assert_eq!(t["management_account_id"], cli.account.id.as_str());
    assert_eq!((t["caller_account_id"].as_str(), t["caller_is_management"].as_bool()), (Some(cli.account.id.as_str()), Some(true)));
    let root = &t["root"];
    assert_eq!((root["id"].as_str(), root["kind"].as_str()), (Some(org.root.as_str()), Some("root")));
    assert_eq!(root["accounts"].as_array().unwrap().len(), 1, "only the management account sits in the root: {root}");
    let management = &root["accounts"][0];
    assert_eq!(management["id"], cli.account.id.as_str());
    assert_eq!((management["management"].as_bool(), management["caller"].as_bool()), (Some(true), Some(true)));
    let apps = &root["children"][0];
    assert_eq!(
        (apps["id"].as_str(), apps["name"].as_str(), apps["kind"].as_str()),
        (Some(org.ous["Apps"].as_str()), Some("Apps"), Some("ou"))
    );
    assert_eq!(ids(&apps["accounts"]), sorted(org.accounts_in("Apps")));
    assert!(apps["accounts"].as_array().unwrap().iter().all(|a| a["management"] == json!(false) && a["status"] == "ACTIVE"));
    let deep = &apps["children"][0];
    assert_eq!((deep["name"].as_str(), deep["children"].as_array().map(Vec::len)), (Some("Deep"), Some(0)));
    assert_eq!(ids(&deep["accounts"]), org.accounts_in("Apps/Deep"));

    let text = cli.text(&["fleet", "targets"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(
        lines[0].starts_with("organization o-") && lines[0].contains(&format!("management account {}", cli.account.id)),
        "{}",
        text.stdout
    );
    assert!(lines.contains(&format!("root {} Root", org.root).as_str()), "{}", text.stdout);
    assert!(lines.contains(&format!("  OU {} Apps", org.ous["Apps"]).as_str()), "an OU is indented under the root: {}", text.stdout);
    assert!(lines.contains(&format!("    OU {} Deep", org.ous["Apps/Deep"]).as_str()), "a nested OU under its parent: {}", text.stdout);
    let deep_account = &org.accounts_in("Apps/Deep")[0];
    assert!(lines.iter().any(|l| l.starts_with(&format!("      account {deep_account} "))), "{}", text.stdout);
    assert!(lines.contains(&"2 OU(s), 5 account(s)"), "{}", text.stdout);
    let last = lines.last().unwrap();
    assert!(
        last.starts_with(&format!("management account {} ", cli.account.id))
            && last.contains("service-managed StackSets never deploy to it")
            && last.contains("separate single-account run"),
        "{last}"
    );
}

#[test]
fn a_member_account_is_refused_until_it_is_a_stacksets_delegated_administrator() {
    let admin = Cli::new();
    let org = emulator().organization(&admin.account, &[("Apps", 3), ("Apps/Deep", 1)]);
    let member_id = org.accounts_in("Apps")[0].clone();
    let mut cli = Cli::new();
    cli.account = emulator().bootstrap(&member_id, "member-admin", None);
    let out = cli.run(&["fleet", "targets"]);
    assert_eq!(out.code, 2, "{}", out.json);
    assert_eq!(out.json["error"]["code"], "not-organization-admin");
    let message = out.json["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("only the management account {}", admin.account.id)), "{message}");
    let hint = out.json["error"]["hint"].as_str().unwrap();
    assert!(
        hint.contains(&format!("register-delegated-administrator --account-id {member_id} --service-principal member.org.stacksets.cloudformation.amazonaws.com")),
        "{hint}"
    );

    org.register_stacksets_delegated_administrator(&member_id);
    let out = cli.run(&["fleet", "targets"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let t = &out.json["fleet_targets"];
    assert_eq!((t["caller_account_id"].as_str(), t["caller_is_management"].as_bool()), (Some(member_id.as_str()), Some(false)));
    let me = &t["root"]["children"][0]["accounts"].as_array().unwrap().iter().find(|a| a["id"] == member_id.as_str()).cloned().unwrap();
    assert_eq!((me["caller"].as_bool(), me["management"].as_bool()), (Some(true), Some(false)));
    assert_eq!(t["root"]["accounts"][0]["management"], true, "the management account is still the one marked");
}

#[test]
fn an_account_in_no_organization_is_told_so() {
    let cli = Cli::new();
    let out = cli.run(&["fleet", "targets"]);
    assert_eq!(out.code, 2, "{}", out.json);
    assert_eq!(out.json["error"]["code"], "not-in-organization");
    let message = out.json["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("account {} is not in an AWS Organization", cli.account.id)), "{message}");
    assert!(message.contains("AWSOrganizationsNotInUseException"), "{message}");
}

/// `fleet template` prints the StackSet template of a role-mode plan: YAML on stdout with
/// the External ID parameter and each account's ARNs, what to deploy it with on stderr;
/// `--json` the same with the new fleet's id; a key mode is refused naming the rule.
#[test]
fn fleet_template_renders_a_role_mode_plan_and_refuses_a_key_mode() {
    let cli = Cli::new();
    let args = ["fleet", "template", "-t", "seqera-batch-forge-role", "--var", "work_bucket=fleet-work"];
    let text = cli.text(&args);
    assert_eq!(text.code, 0, "{}\n{}", text.stdout, text.stderr);
    assert!(text.stdout.starts_with("# The StackSet of Rolegate fleet fl-"), "{}", text.stdout);
    assert!(text.stdout.contains("Parameters:\n  ExternalId:\n    Type: String\n"), "{}", text.stdout);
    assert!(text.stdout.contains(r#"{"Fn::Sub":"arn:aws:iam::${AWS::AccountId}:role/*"}"#), "{}", text.stdout);
    assert!(!text.stdout.contains(&cli.account.id), "no ARN of the planning account: {}", text.stdout);
    assert!(text.stderr.contains("parameter ExternalId: External ID of role main: "), "{}", text.stderr);
    assert!(text.stderr.contains("--parameter-overrides ParameterKey=ExternalId,ParameterValue=VALUE"), "{}", text.stderr);
    assert!(text.stderr.contains("--capabilities CAPABILITY_NAMED_IAM"), "{}", text.stderr);

    let out = cli.run(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    let t = &out.json["fleet_template"];
    let id = t["fleet_id"].as_str().unwrap();
    assert!(id.starts_with("fl-") && id.len() == 15, "{id}");
    assert_eq!(t["planned_account"], cli.account.id.as_str());
    assert_eq!(t["stackset"]["parameters"][0]["name"], "ExternalId");
    assert_eq!(t["stackset"]["capabilities"], json!(["CAPABILITY_NAMED_IAM"]));
    assert!(t["stackset"]["body"].as_str().unwrap().contains(&format!("Value: \"{id}\"")), "the fleet's tag carries its id: {t}");

    let refused = cli.run(&["fleet", "template", "-t", "seqera-batch-forge", "--var", "work_bucket=fleet-work"]);
    assert_eq!(refused.code, 2, "{}\n{}", refused.json, refused.stderr);
    let text = format!("{}{}", refused.json, refused.stderr);
    assert!(text.contains("fleet-role-mode-only") && text.contains("template"), "{text}");
}
