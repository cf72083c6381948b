//! Fleets deployed by the engine through the emulator's StackSets into an organization
//! of the test's own: an OU with a nested OU (service-managed), one account whose role
//! name someone else already took (it fails alone, then a retry deploys it), drift of
//! one account's External ID named by status, roll-back to nothing in every account; an
//! explicit account list (self-managed); and a process stopped while the operation runs,
//! whose resume follows the same operation id.

use std::time::Duration;

use rolegate_core::fleet::stacksets::{DeploymentTargets, OperationPreferences};
use rolegate_core::fleet::{AccountVerdict, FleetReport, FleetRequest, FleetStatus, DEFAULT_ACCESS_ROLE};
use rolegate_core::plan::RunInputs;
use rolegate_core::template::find_builtin;
use rolegate_tests::boto::TestOrg;
use rolegate_tests::{emulator, Harness};
use serde_json::{json, Value};

const TEMPLATE: &str = "seqera-cloud-role";

/// Python helpers: `member(account)`, an IAM client in `account` through its
/// OrganizationAccountAccessRole.
const MEMBER: &str = r#"
def member(account):
    c = client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="check")["Credentials"]
    return boto3.client("iam", endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id=c["AccessKeyId"],
                        aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
"#;

fn inputs() -> RunInputs {
    RunInputs { template_id: TEMPLATE.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
}

fn request(targets: DeploymentTargets) -> FleetRequest {
    FleetRequest {
        targets,
        regions: vec!["eu-west-1".into()],
        auto_deploy: false,
        preferences: OperationPreferences { max_concurrent: 8, failure_tolerance: 2, ..Default::default() },
        administration_role_arn: None,
        execution_role_name: None,
        access_role: DEFAULT_ACCESS_ROLE.into(),
        acknowledge_admin_access: false,
    }
}

fn run(org: &TestOrg, script: &str, args: Value) -> Value {
    emulator().boto3(&org.management.creds, &format!("{MEMBER}\n{script}"), args)
}

/// The roles named `role` in each account: account -> trust document, or null.
fn roles(org: &TestOrg, accounts: &[String], role: &str) -> Value {
    let script = r#"
out = {}
for a in args["accounts"]:
    try:
        out[a] = member(a).get_role(RoleName=args["role"])["Role"]["AssumeRolePolicyDocument"]
    except Exception as e:
        out[a] = None
"#;
    run(org, script, json!({"accounts": accounts, "role": role}))
}

fn verdicts(r: &FleetReport) -> Vec<(String, AccountVerdict)> {
    r.accounts.iter().map(|a| (a.account.clone(), a.verdict)).collect()
}

/// The role name the template's plan gives (the same in every account).
async fn role_name(h: &Harness) -> String {
    let plan = h.engine.plan(&find_builtin(TEMPLATE).unwrap(), &inputs()).await.unwrap();
    plan.roles[0].name.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ou_fleet_fails_one_taken_account_alone_retries_it_names_drift_and_rolls_back_to_nothing() {
    let h = Harness::new();
    let org = emulator().organization(&h.account, &[("Apps", 2), ("Apps/Deep", 1), ("Other", 1)]);
    let mut apps: Vec<String> = org.accounts_in("Apps").into_iter().chain(org.accounts_in("Apps/Deep")).collect();
    apps.sort();
    let taken = org.accounts_in("Apps")[0].clone();
    let role = role_name(&h).await;
    let squat = r#"
member(args["account"]).create_role(RoleName=args["role"], AssumeRolePolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]}))
out = True
"#;
    run(&org, squat, json!({"account": taken, "role": role}));

    let t = find_builtin(TEMPLATE).unwrap();
    let report = h.engine.fleet_apply(&t, &inputs(), &request(DeploymentTargets::Ous(vec![org.ous["Apps"].clone()]))).await.unwrap();
    assert_eq!(report.status, FleetStatus::PartlyDeployed, "{report:#?}");
    let got: Vec<String> = report.accounts.iter().map(|a| a.account.clone()).collect();
    assert_eq!(got, apps, "the OU's accounts and the nested OU's, not Other's");
    for a in &report.accounts {
        if a.account == taken {
            assert_eq!(a.verdict, AccountVerdict::Failed, "{a:?}");
            assert!(a.reason.contains("already exists"), "CloudFormation's reason: {a:?}");
            assert!(a.fix.as_deref().unwrap().contains(&format!("rolegate fleet retry {}", report.fleet_id)), "{a:?}");
        } else {
            assert_eq!(a.verdict, AccountVerdict::AwaitingPlatform, "{a:#?}");
            let trust = a.checks.iter().find(|c| c.id == "trust").unwrap();
            assert_eq!(trust.status, rolegate_core::checks::CheckStatus::Passed, "{trust:?}");
        }
    }
    let squatter = roles(&org, std::slice::from_ref(&taken), &role);
    assert_eq!(squatter[&taken]["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::999999999999:root", "someone else's role is untouched");

    // The person frees the name; retry deploys that account and leaves the others.
    run(&org, "member(args['account']).delete_role(RoleName=args['role'])\nout = True", json!({"account": taken, "role": role}));
    let again = h.engine.fleet_retry(&report.fleet_id).await.unwrap();
    assert_eq!(again.status, FleetStatus::Deployed);
    assert!(again.accounts.iter().all(|a| a.verdict == AccountVerdict::AwaitingPlatform), "{:?}", verdicts(&again));

    // Someone changes one account's External ID: status names that account and what changed.
    let drifted = apps[1].clone();
    let drift = r#"
iam_m = member(args["account"])
doc = iam_m.get_role(RoleName=args["role"])["Role"]["AssumeRolePolicyDocument"]
doc["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "changed-by-hand"
iam_m.update_assume_role_policy(RoleName=args["role"], PolicyDocument=json.dumps(doc))
out = True
"#;
    run(&org, drift, json!({"account": drifted, "role": role}));
    let status = h.engine.fleet_status(&report.fleet_id).await.unwrap();
    for a in &status.accounts {
        if a.account == drifted {
            assert_eq!(a.verdict, AccountVerdict::Failed);
            assert!(a.reason.contains("changed-by-hand"), "{a:?}");
            let fix = a.fix.as_deref().unwrap();
            assert!(
                fix.contains(&format!("in account {drifted}"))
                    && fix.contains("update-stack-instances")
                    && !fix.contains("set-external-id"),
                "{fix}"
            );
        } else {
            assert_eq!(a.verdict, AccountVerdict::AwaitingPlatform, "{a:?}");
        }
    }

    let back = h.engine.fleet_rollback(&report.fleet_id).await.unwrap();
    assert_eq!(back.status, FleetStatus::RolledBack);
    assert_eq!(back.accounts.len(), apps.len(), "{:?}", verdicts(&back));
    assert!(back.accounts.iter().all(|a| a.verdict == AccountVerdict::Removed), "{:?}", verdicts(&back));
    let left = roles(&org, &apps, &role);
    assert!(apps.iter().all(|a| left[a].is_null()), "no role left in any account: {left}");
    let sets = run(&org, "out = [[s['StackSetName'], s['Status']] for s in cfn.list_stack_sets()['Summaries']]", json!({}));
    assert_eq!(sets, json!([[back.stack_set_name, "DELETED"]]), "the StackSet is deleted");
    let listed = h.engine.fleet_list().unwrap();
    assert_eq!((listed.len(), listed[0].status), (1, FleetStatus::RolledBack));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_list_fleet_is_self_managed_and_rolls_back() {
    let h = Harness::new();
    let org = emulator().organization(&h.account, &[("Teams", 3)]);
    let mut targets = org.accounts_in("Teams");
    targets.sort();
    let chosen = targets[..2].to_vec();
    org.self_managed_stackset_roles(&chosen);
    let t = find_builtin(TEMPLATE).unwrap();
    let report = h.engine.fleet_apply(&t, &inputs(), &request(DeploymentTargets::Accounts(chosen.clone()))).await.unwrap();
    assert_eq!(report.permission_model, rolegate_core::fleet::stacksets::PermissionModel::SelfManaged);
    assert_eq!(report.status, FleetStatus::Deployed, "{report:#?}");
    assert_eq!(verdicts(&report), chosen.iter().map(|a| (a.clone(), AccountVerdict::AwaitingPlatform)).collect::<Vec<_>>());
    let role = role_name(&h).await;
    let live = roles(&org, &targets, &role);
    assert!(live[&targets[2]].is_null(), "the account not named gets nothing");
    let back = h.engine.fleet_rollback(&report.fleet_id).await.unwrap();
    assert!(back.accounts.iter().all(|a| a.verdict == AccountVerdict::Removed), "{:?}", verdicts(&back));
    let left = roles(&org, &chosen, &role);
    assert!(chosen.iter().all(|a| left[a].is_null()), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_stopped_while_its_operation_runs_resumes_on_the_same_operation_id() {
    let h = Harness::new();
    let org = emulator().organization(&h.account, &[("Apps", 2)]);
    emulator().set_stackset_running(&h.account.id, 5.0);
    let t = find_builtin(TEMPLATE).unwrap();
    let j = h.engine.fleet_start(&t, &inputs(), &request(DeploymentTargets::Ous(vec![org.ous["Apps"].clone()]))).await.unwrap();
    let engine = h.engine.clone();
    let id = j.fleet_id.clone();
    let task = tokio::spawn(async move { engine.fleet_resume(&id).await });
    // Stop it once the operation is accepted and running.
    let mut op = None;
    for _ in 0..600 {
        let now = h.engine.fleets.load(&j.fleet_id).unwrap();
        if let Some(o) = now.operations.first().filter(|o| o.accepted) {
            op = Some(o.id.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    let op = op.expect("the operation was accepted");
    let mid = h.engine.fleets.load(&j.fleet_id).unwrap();
    assert_eq!(mid.status, FleetStatus::Deploying);
    assert!(mid.operations[0].ended.is_none(), "stopped while it runs");

    let report = h.engine.fleet_resume(&j.fleet_id).await.unwrap();
    assert_eq!(report.status, FleetStatus::Deployed, "{report:#?}");
    let done = h.engine.fleets.load(&j.fleet_id).unwrap();
    assert_eq!(done.operations.len(), 1);
    assert_eq!(done.operations[0].id, op, "the same operation followed");
    let ops = run(
        &org,
        "out = [o['OperationId'] for o in cfn.list_stack_set_operations(StackSetName=args['name'])['Summaries']]",
        json!({"name": j.stack_set.name}),
    );
    assert_eq!(ops, json!([op]), "AWS ran one operation");
    h.engine.fleet_rollback(&j.fleet_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_administrator_account_still_gets_every_verdict() {
    let h = Harness::new();
    let org = emulator().organization(&h.account, &[("Apps", 6)]);
    // AssumeRole into each account and the StackSets reads all come from this account.
    emulator().throttle(&h.account.id, "sts", 2.0, 2.0);
    emulator().throttle(&h.account.id, "cloudformation", 4.0, 4.0);
    let t = find_builtin(TEMPLATE).unwrap();
    let outcome = h.engine.fleet_apply(&t, &inputs(), &request(DeploymentTargets::Ous(vec![org.ous["Apps"].clone()]))).await;
    let throttled = emulator().throttle(&h.account.id, "sts", 0.0, 0.0) + emulator().throttle(&h.account.id, "cloudformation", 0.0, 0.0);
    let report = outcome.unwrap();
    assert!(throttled > 0, "AWS throttled some calls");
    assert_eq!(report.accounts.len(), 6);
    assert!(
        report.accounts.iter().all(|a| a.verdict == AccountVerdict::AwaitingPlatform),
        "no throttling error reaches a verdict: {:#?}",
        report.accounts
    );
    h.engine.fleet_rollback(&report.fleet_id).await.unwrap();
}
