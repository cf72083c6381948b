//! The emulator's self-test for CloudFormation StackSets: each patch that makes moto run
//! StackSet operations as AWS does (asynchronous operations, per-account results, failure
//! tolerance, concurrency, nested OU targets, deletion, self-managed roles, automatic
//! deployment, stopping) is proved here against the running emulator.

use std::sync::Arc;

use rolegate_core::ports::{AssumeRoleInput, Connect, Credentials, Iam};
use rolegate_tests::{emulator, Harness};
use serde_json::json;

fn assume(role_arn: &str) -> AssumeRoleInput {
    AssumeRoleInput { role_arn: role_arn.into(), session_name: "selftest".into(), external_id: None, duration_seconds: None, tags: vec![] }
}

/// A role made in `account` through its OrganizationAccountAccessRole, assumed by the
/// management account's administrator (as AWS lets it: the role has AdministratorAccess).
async fn member_iam(h: &Harness, management: &Credentials, account: &str) -> Arc<dyn Iam> {
    let role = format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole");
    let session = h.connect.sts_as(management).assume_role(&assume(&role)).await.expect("the management account assumes its access role");
    h.connect.iam_as(&session.credentials)
}

/// A template of a role that trusts the management account, with a managed policy of
/// the stack attached (the policy named after the role).
fn role_template(role_name: &str, trusted: &str) -> String {
    json!({"Resources": {
        "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "ManagedPolicyName": format!("{role_name}-policy"),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "batch:DescribeJobs", "Resource": "*"}]}
        }},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": role_name,
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{trusted}:root")}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [{"Ref": "Policy"}]
        }}
    }})
    .to_string()
}

/// StackSet operations must run as in AWS, or a fleet's per-account report, its retry of
/// the failed accounts and its rollback prove nothing: an operation is RUNNING before it
/// ends; each account has its own result; an account whose role name is taken fails
/// alone, within the failure tolerance; service-managed targets are nested OUs without
/// the management account; deleting the instances removes the roles in every account.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_runs_stackset_operations_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 3), ("Apps/Deep", 1), ("Apps/Deep/Deeper", 1), ("Other", 1)]);
    let apps = org.accounts_in("Apps");
    let (taken, nested, deeper, other) = (
        apps[1].clone(),
        org.accounts_in("Apps/Deep")[0].clone(),
        org.accounts_in("Apps/Deep/Deeper")[0].clone(),
        org.accounts_in("Other")[0].clone(),
    );
    let mgmt = &h.account.creds;
    // Someone else's role already holds the name in one account.
    let taken_iam = member_iam(&h, mgmt, &taken).await;
    rolegate_tests::create_role(taken_iam.as_ref(), "fleet-selftest", &json!({"Version": "2012-10-17", "Statement": []})).await.unwrap();
    emu.set_stackset_running(&h.account.id, 0.5);

    let script = r#"
cfn.create_stack_set(StackSetName="selftest", TemplateBody=args["template"], PermissionModel="SERVICE_MANAGED",
                     AutoDeployment={"Enabled": False}, Capabilities=["CAPABILITY_NAMED_IAM"])
op = cfn.create_stack_instances(StackSetName="selftest", DeploymentTargets={"OrganizationalUnitIds": [args["ou"]]},
                                Regions=["eu-west-1"], OperationPreferences={"FailureToleranceCount": 1})["OperationId"]
first = cfn.describe_stack_set_operation(StackSetName="selftest", OperationId=op)["StackSetOperation"]["Status"]
early = [r["Status"] for r in cfn.list_stack_set_operation_results(StackSetName="selftest", OperationId=op)["Summaries"]]
try:
    cfn.delete_stack_set(StackSetName="selftest"); busy = None
except Exception as e:
    busy = code(e)
seen = wait("selftest", op)
final = cfn.describe_stack_set_operation(StackSetName="selftest", OperationId=op)["StackSetOperation"]
results = {r["Account"]: [r["Status"], r.get("StatusReason", "")] for r in cfn.list_stack_set_operation_results(StackSetName="selftest", OperationId=op)["Summaries"]}
instances = {i["Account"]: [i["Status"], i["StackInstanceStatus"]["DetailedStatus"]] for i in cfn.list_stack_instances(StackSetName="selftest")["Summaries"]}
out = {"first": first, "early": early, "busy": busy, "seen": seen, "failed": final["StatusDetails"]["FailedStackInstancesCount"],
       "results": results, "instances": instances}
"#;
    let args = json!({"template": role_template("fleet-selftest", &h.account.id), "ou": org.ous["Apps"]});
    let v = emu.boto3(mgmt, script, args);
    assert_eq!(v["first"], "RUNNING", "an operation runs asynchronously: {v}");
    let early = v["early"].as_array().unwrap();
    assert!(early.iter().all(|s| s == "PENDING" || s == "RUNNING"), "no account is done while it has not run: {v}");
    assert!(early.iter().filter(|s| *s == "RUNNING").count() <= 1, "one account at a time by default: {v}");
    assert_eq!(v["busy"], "OperationInProgressException", "a StackSet cannot be deleted while an operation runs");
    assert_eq!(v["seen"], json!(["RUNNING", "SUCCEEDED"]), "one failure within a tolerance of 1 leaves the operation SUCCEEDED");
    assert_eq!(v["failed"], 1);
    let results = v["results"].as_object().unwrap();
    let mut reached: Vec<&String> = results.keys().collect();
    reached.sort();
    let mut expected = vec![&apps[0], &apps[1], &apps[2], &nested, &deeper];
    expected.sort();
    assert_eq!(reached, expected, "every account of the OU and of the OUs nested in it, not the other OU nor the management account");
    assert_eq!(results[&taken][0], "FAILED");
    let reason = results[&taken][1].as_str().unwrap();
    assert!(
        reason.starts_with("ResourceLogicalId:Role, ResourceType:AWS::IAM::Role, ResourceStatusReason:")
            && reason.contains("already exists"),
        "CloudFormation's reason names the resource: {reason}"
    );
    for a in [&apps[0], &apps[2], &nested, &deeper] {
        assert_eq!(results[a.as_str()][0], "SUCCEEDED", "{a}");
        assert_eq!(v["instances"][a.as_str()], json!(["CURRENT", "SUCCEEDED"]));
        let iam = member_iam(&h, mgmt, a).await;
        assert!(iam.get_role("fleet-selftest").await.unwrap().is_some(), "the stack made the role in account {a}");
        let attached = iam.list_attached_role_policies("fleet-selftest").await.unwrap();
        assert_eq!(attached, [format!("arn:aws:iam::{a}:policy/fleet-selftest-policy")], "the role's ManagedPolicyArns are attached");
    }
    assert_eq!(v["instances"][&taken], json!(["OUTDATED", "FAILED"]), "the failed account's instance is OUTDATED");
    let kept = taken_iam.get_role("fleet-selftest").await.unwrap().unwrap();
    assert!(!kept.trust_policy.contains("sts:AssumeRole"), "the other role is left as it was: {}", kept.trust_policy);
    let rolled_back = format!("arn:aws:iam::{taken}:policy/fleet-selftest-policy");
    assert!(taken_iam.get_policy(&rolled_back).await.unwrap().is_none(), "the failed stack's policy was rolled back");
    assert!(member_iam(&h, mgmt, &other).await.get_role("fleet-selftest").await.unwrap().is_none(), "an OU not named is not reached");
    assert!(h.iam().get_role("fleet-selftest").await.unwrap().is_none(), "the management account is never reached");

    // Past the tolerance (0 by default) the operation FAILS and the accounts after the
    // failed one are not attempted (self-managed: an explicit account list, in order).
    let strict = r#"
cfn.create_stack_set(StackSetName="strict", TemplateBody=args["template"], PermissionModel="SELF_MANAGED", Capabilities=["CAPABILITY_NAMED_IAM"])
op = cfn.create_stack_instances(StackSetName="strict", Accounts=args["accounts"], Regions=["eu-west-1"])["OperationId"]
seen = wait("strict", op)
results = [[r["Account"], r["Status"]] for r in cfn.list_stack_set_operation_results(StackSetName="strict", OperationId=op)["Summaries"]]
try:
    cfn.create_stack_instances(StackSetName="strict", Accounts=args["accounts"], Regions=["eu-west-1"], OperationId=op); again = None
except Exception as e:
    again = code(e)
out = {"seen": seen, "results": results, "again": again}
"#;
    org.self_managed_stackset_roles(&[taken.clone(), apps[0].clone()]);
    let v = emu.boto3(mgmt, strict, json!({"template": role_template("fleet-selftest", &h.account.id), "accounts": [&taken, &apps[0]]}));
    assert_eq!(v["seen"], json!(["RUNNING", "FAILED"]), "one failure past a tolerance of 0 fails the operation");
    assert_eq!(v["results"], json!([[&taken, "FAILED"], [&apps[0], "CANCELLED"]]), "the account after the failure is not attempted");
    assert_eq!(v["again"], "OperationIdAlreadyExistsException", "an operation id is used once");

    // Deleting the instances by OU removes the stacks' roles in every account, and
    // only those: the role that was someone else's stays.
    let delete = r#"
op = cfn.delete_stack_instances(StackSetName="selftest", DeploymentTargets={"OrganizationalUnitIds": [args["ou"]]}, Regions=["eu-west-1"], RetainStacks=False)["OperationId"]
seen = wait("selftest", op)
left = cfn.list_stack_instances(StackSetName="selftest")["Summaries"]
try:
    cfn.describe_stack_instance(StackSetName="selftest", StackInstanceAccount=args["account"], StackInstanceRegion="eu-west-1"); gone = None
except Exception as e:
    gone = code(e)
cfn.delete_stack_set(StackSetName="selftest")
out = {"seen": seen, "left": left, "gone": gone}
"#;
    let v = emu.boto3(mgmt, delete, json!({"ou": org.ous["Apps"], "account": apps[0]}));
    assert_eq!(v["seen"], json!(["RUNNING", "SUCCEEDED"]));
    assert_eq!(v["left"], json!([]), "no instance is left");
    assert_eq!(v["gone"], "StackInstanceNotFoundException", "a deleted instance is not found");
    for a in [&apps[0], &apps[2], &nested, &deeper] {
        let iam = member_iam(&h, mgmt, a).await;
        assert!(iam.get_role("fleet-selftest").await.unwrap().is_none(), "the role is gone from {a}");
        let policy = format!("arn:aws:iam::{a}:policy/fleet-selftest-policy");
        assert!(iam.get_policy(&policy).await.unwrap().is_none(), "the stack's policy is gone from {a}");
    }
    assert!(taken_iam.get_role("fleet-selftest").await.unwrap().is_some(), "someone else's role is not deleted");
}

/// Operations must run their accounts as AWS batches them, or a fleet's choice of speed
/// against safety is never tested: MaxConcurrentCount / MaxConcurrentPercentage
/// (rounded down, at least 1) accounts at once; strict failure tolerance lowers that to
/// the tolerance + 1 and stops before more fail, soft does not; Regions one after the
/// other or all at once; both a count and a percentage is a ValidationError.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_runs_stackset_accounts_in_batches_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 5)]);
    let apps = org.accounts_in("Apps");
    let mgmt = &h.account.creds;
    for account in &apps[..2] {
        let iam = member_iam(&h, mgmt, account).await;
        for name in ["batch-strict", "batch-soft"] {
            rolegate_tests::create_role(iam.as_ref(), name, &json!({"Version": "2012-10-17", "Statement": []})).await.unwrap();
        }
    }
    // Long enough that a batch's accounts are seen RUNNING together between two polls.
    emu.set_stackset_running(&h.account.id, 0.8);
    let script = r#"
def run(name, template, regions, prefs):
    cfn.create_stack_set(StackSetName=name, TemplateBody=template, PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": False}, Capabilities=["CAPABILITY_NAMED_IAM"])
    op = cfn.create_stack_instances(StackSetName=name, DeploymentTargets={"OrganizationalUnitIds": [args["ou"]]},
                                    Regions=regions, OperationPreferences=prefs)["OperationId"]
    most, end = 0, time.time() + 90
    while time.time() < end:
        results = cfn.list_stack_set_operation_results(StackSetName=name, OperationId=op)["Summaries"]
        most = max(most, sum(r["Status"] == "RUNNING" for r in results))
        if all(r["Status"] not in ("PENDING", "RUNNING") for r in results):
            break
        time.sleep(0.02)
    wait(name, op)
    status = cfn.describe_stack_set_operation(StackSetName=name, OperationId=op)["StackSetOperation"]["Status"]
    return {"most": most, "status": status, "results": {r["Account"]: r["Status"] for r in results}}
topic = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
one, two = ["eu-west-1"], ["eu-west-1", "us-east-1"]
out = {
    "default": run("default", topic, one, {}),
    "strict": run("strict", topic, one, {"MaxConcurrentCount": 3}),
    "soft": run("soft", topic, one, {"MaxConcurrentCount": 3, "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}),
    "half": run("half", topic, one, {"MaxConcurrentPercentage": 50, "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}),
    "tenth": run("tenth", topic, one, {"MaxConcurrentPercentage": 10, "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}),
    "sequential": run("sequential", topic, two, {"MaxConcurrentCount": 5, "FailureToleranceCount": 4}),
    "parallel": run("parallel", topic, two, {"MaxConcurrentCount": 5, "FailureToleranceCount": 4, "RegionConcurrencyType": "PARALLEL"}),
    "strict_failing": run("strict-failing", args["strict"], one, {"MaxConcurrentCount": 5, "FailureToleranceCount": 0}),
    "soft_failing": run("soft-failing", args["soft"], one, {"MaxConcurrentCount": 5, "FailureToleranceCount": 0,
                                                             "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}),
}
for key, prefs in (("both_counts", {"MaxConcurrentCount": 2, "MaxConcurrentPercentage": 50}),
                   ("both_tolerances", {"FailureToleranceCount": 1, "FailureTolerancePercentage": 20})):
    try:
        cfn.create_stack_instances(StackSetName="default", DeploymentTargets={"OrganizationalUnitIds": [args["ou"]]},
                                   Regions=one, OperationPreferences=prefs)
        out[key] = None
    except Exception as e:
        out[key] = [code(e), str(e)]
"#;
    let args = json!({
        "ou": org.ous["Apps"],
        "strict": role_template("batch-strict", &h.account.id),
        "soft": role_template("batch-soft", &h.account.id),
    });
    let v = emu.boto3(mgmt, script, args);
    let most = |key: &str| v[key]["most"].as_u64().unwrap();
    assert_eq!(most("default"), 1, "one account at a time when no concurrency is asked: {v}");
    assert_eq!(most("strict"), 1, "strict mode lowers 3 to the tolerance (0) + 1: {v}");
    assert_eq!(most("soft"), 3, "soft mode runs MaxConcurrentCount accounts at once: {v}");
    assert_eq!(most("half"), 2, "50% of 5 accounts is 2, rounded down: {v}");
    assert_eq!(most("tenth"), 1, "10% of 5 accounts rounds down to 0, and at least 1 runs: {v}");
    assert_eq!(most("sequential"), 5, "one Region after the other: {v}");
    assert_eq!(most("parallel"), 10, "both Regions at the same time: {v}");
    for key in ["default", "strict", "soft", "half", "tenth", "sequential", "parallel"] {
        assert_eq!(v[key]["status"], "SUCCEEDED", "{key}: {v}");
        assert!(v[key]["results"].as_object().unwrap().values().all(|s| s == "SUCCEEDED"), "{key}: {v}");
    }
    // Two accounts hold the stack's role name already. Strict: one account at a time
    // (tolerance 0), the first failure stops the rest. Soft: all five at once, both fail.
    let (strict, soft) = (&v["strict_failing"], &v["soft_failing"]);
    assert_eq!((strict["status"].as_str(), strict["most"].as_u64()), (Some("FAILED"), Some(1)), "{v}");
    assert_eq!(strict["results"][&apps[0]], "FAILED");
    for a in &apps[1..] {
        assert_eq!(strict["results"][a.as_str()], "CANCELLED", "not attempted after the failure: {a}");
    }
    assert_eq!((soft["status"].as_str(), soft["most"].as_u64()), (Some("FAILED"), Some(5)), "{v}");
    for (i, a) in apps.iter().enumerate() {
        assert_eq!(soft["results"][a.as_str()], if i < 2 { "FAILED" } else { "SUCCEEDED" }, "{a}: {v}");
    }
    assert_eq!(v["both_counts"][0], "ValidationError", "{v}");
    assert!(v["both_counts"][1].as_str().unwrap().contains("Exactly one of MaxConcurrentPercentage and MaxConcurrentCount"));
    assert_eq!(v["both_tolerances"][0], "ValidationError", "{v}");
    assert!(v["both_tolerances"][1].as_str().unwrap().contains("Exactly one of FailureTolerancePercentage and FailureToleranceCount"));
}

/// Self-managed StackSets must need their roles as in AWS, or a fleet that deploys
/// without them is never shown AWS's refusal: no administration role trusting
/// CloudFormation is a ValidationError at CreateStackSet; a target account without the
/// execution role trusting the administrator fails alone, with AWS's reason.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_needs_self_managed_stackset_roles_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 3)]);
    let apps = org.accounts_in("Apps");
    let mgmt = &h.account.creds;
    emu.set_stackset_running(&h.account.id, 0.2);
    let create = r#"
try:
    cfn.create_stack_set(StackSetName="roles", TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    out = None
except Exception as e:
    out = [code(e), str(e)]
"#;
    let v = emu.boto3(mgmt, create, json!({}));
    assert_eq!(v[0], "ValidationError", "{v}");
    let expected = format!(
        "Account {} should have 'AWSCloudFormationStackSetAdministrationRole' role with trust relationship to CloudFormation service.",
        h.account.id
    );
    assert!(v[1].as_str().unwrap().ends_with(&expected), "AWS's words: {v}");

    // The roles in the first account only; the third trusts another account.
    org.self_managed_stackset_roles(&apps[..1]);
    let third = member_iam(&h, mgmt, &apps[2]).await;
    let elsewhere = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]});
    rolegate_tests::create_role(third.as_ref(), "AWSCloudFormationStackSetExecutionRole", &elsewhere).await.unwrap();
    let deploy = r#"
cfn.create_stack_set(StackSetName="roles", TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
op = cfn.create_stack_instances(StackSetName="roles", Accounts=args["accounts"], Regions=["eu-west-1"],
                                OperationPreferences={"FailureToleranceCount": 2})["OperationId"]
seen = wait("roles", op)
results = {r["Account"]: [r["Status"], r.get("StatusReason")] for r in cfn.list_stack_set_operation_results(StackSetName="roles", OperationId=op)["Summaries"]}
instances = {i["Account"]: [i["Status"], i.get("StatusReason")] for i in cfn.list_stack_instances(StackSetName="roles")["Summaries"]}
out = {"seen": seen, "results": results, "instances": instances}
"#;
    let v = emu.boto3(mgmt, deploy, json!({"accounts": apps}));
    assert_eq!(v["seen"], json!(["RUNNING", "SUCCEEDED"]), "two failures within a tolerance of 2: {v}");
    assert_eq!(v["results"][&apps[0]], json!(["SUCCEEDED", null]), "{v}");
    assert_eq!(v["instances"][&apps[0]][0], "CURRENT");
    for a in &apps[1..] {
        let reason = format!(
            "Account {a} should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'."
        );
        assert_eq!(v["results"][a.as_str()], json!(["FAILED", reason]), "{v}");
        assert_eq!(v["instances"][a.as_str()], json!(["OUTDATED", reason]), "{v}");
    }
}

/// Automatic deployment must run as in AWS, or a fleet that counts on new accounts
/// being onboarded by themselves is never tested: an account moved into a targeted OU
/// gets its instance and its stack's role without any call; an account moved out loses
/// its instance, and its role unless RetainStacksOnAccountRemoval.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_deploys_automatically_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 1), ("Other", 0)]);
    let leaving = org.accounts_in("Apps")[0].clone();
    let mgmt = &h.account.creds;
    emu.set_stackset_running(&h.account.id, 0.2);
    let script = r#"
for name, retain in (("auto-removed", False), ("auto-kept", True)):
    cfn.create_stack_set(StackSetName=name, TemplateBody=args[name], PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": retain}, Capabilities=["CAPABILITY_NAMED_IAM"])
    wait(name, cfn.create_stack_instances(StackSetName=name, DeploymentTargets={"OrganizationalUnitIds": [args["apps"]]},
                                          Regions=["eu-west-1"])["OperationId"])
def instance(name, account):
    found = [i for i in cfn.list_stack_instances(StackSetName=name)["Summaries"] if i["Account"] == account]
    return [found[0]["Status"], found[0]["StackInstanceStatus"]["DetailedStatus"]] if found else None
def until(check):
    end = time.time() + 20
    while time.time() < end and not check():
        time.sleep(0.1)
    return check()
joined = org.create_account(AccountName="joined", Email=f"joined@{args['tag']}.example.com")["CreateAccountStatus"]["AccountId"]
before = instance("auto-removed", joined)
org.move_account(AccountId=joined, SourceParentId=args["root"], DestinationParentId=args["apps"])
came = until(lambda: instance("auto-removed", joined) == ["CURRENT", "SUCCEEDED"] and instance("auto-kept", joined) == ["CURRENT", "SUCCEEDED"])
org.move_account(AccountId=args["leaving"], SourceParentId=args["apps"], DestinationParentId=args["other"])
went = until(lambda: instance("auto-removed", args["leaving"]) is None and instance("auto-kept", args["leaving"]) is None)
ops = [[o["Action"], o["Status"]] for o in cfn.list_stack_set_operations(StackSetName="auto-removed")["Summaries"]]
out = {"joined": joined, "before": before, "came": came, "went": went, "ops": ops}
"#;
    let args = json!({
        "auto-removed": role_template("auto-removed", &h.account.id),
        "auto-kept": role_template("auto-kept", &h.account.id),
        "apps": org.ous["Apps"], "other": org.ous["Other"], "root": org.root, "leaving": leaving, "tag": h.account.id,
    });
    let v = emu.boto3(mgmt, script, args);
    assert_eq!(v["before"], json!(null), "an account in the root is outside the targeted OU: {v}");
    assert_eq!(v["came"], true, "the account moved in got both instances by itself: {v}");
    assert_eq!(v["went"], true, "the account moved out lost both instances by itself: {v}");
    assert_eq!(
        v["ops"].as_array().unwrap().iter().filter(|o| o[1] == "SUCCEEDED").count(),
        3,
        "the first deployment, then one operation for the account that came and one for the account that went: {v}"
    );
    let joined = member_iam(&h, mgmt, v["joined"].as_str().unwrap()).await;
    for name in ["auto-removed", "auto-kept"] {
        assert!(joined.get_role(name).await.unwrap().is_some(), "the stack made {name} in the account that came");
    }
    let left = member_iam(&h, mgmt, &leaving).await;
    assert!(left.get_role("auto-removed").await.unwrap().is_none(), "the stack and its role are gone from the account that went");
    assert!(left.get_role("auto-kept").await.unwrap().is_some(), "RetainStacksOnAccountRemoval keeps the stack's role");
}

/// StopStackSetOperation must stop as in AWS, or a fleet's cancel is never tested: the
/// operation is STOPPING while its running batch finishes, then STOPPED, the accounts
/// not started CANCELLED; an operation that has ended cannot be stopped.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_stops_stackset_operations_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 5)]);
    emu.set_stackset_running(&h.account.id, 0.8);
    let script = r#"
cfn.create_stack_set(StackSetName="stopped", TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
                     PermissionModel="SERVICE_MANAGED", AutoDeployment={"Enabled": False})
op = cfn.create_stack_instances(StackSetName="stopped", DeploymentTargets={"OrganizationalUnitIds": [args["ou"]]}, Regions=["eu-west-1"],
                                OperationPreferences={"MaxConcurrentCount": 2, "FailureToleranceCount": 1})["OperationId"]
end = time.time() + 10
while time.time() < end and not any(r["Status"] == "RUNNING" for r in
                                    cfn.list_stack_set_operation_results(StackSetName="stopped", OperationId=op)["Summaries"]):
    time.sleep(0.02)
cfn.stop_stack_set_operation(StackSetName="stopped", OperationId=op)
seen = wait("stopped", op)
results = sorted(r["Status"] for r in cfn.list_stack_set_operation_results(StackSetName="stopped", OperationId=op)["Summaries"])
try:
    cfn.stop_stack_set_operation(StackSetName="stopped", OperationId=op); again = None
except Exception as e:
    again = code(e)
out = {"seen": seen, "results": results, "again": again}
"#;
    let v = emu.boto3(&h.account.creds, script, json!({"ou": org.ous["Apps"]}));
    assert_eq!(v["seen"], json!(["STOPPING", "STOPPED"]), "{v}");
    // Stopped while a batch of 2 runs (the first one, unless the poll was slow): that
    // batch finishes, and every account not started is cancelled.
    let results: Vec<&str> = v["results"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let succeeded = results.iter().filter(|s| **s == "SUCCEEDED").count();
    let cancelled = results.iter().filter(|s| **s == "CANCELLED").count();
    assert_eq!(succeeded + cancelled, 5, "every account either ran or was cancelled: {v}");
    assert!(succeeded >= 2 && succeeded % 2 == 0 && cancelled >= 1, "whole batches of 2 ran, the rest were cancelled: {v}");
    assert_eq!(v["again"], "InvalidOperationException", "a stopped operation cannot be stopped again: {v}");
}
