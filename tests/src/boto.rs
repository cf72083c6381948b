//! boto3, a real AWS client, against the emulator for the services the ports do not
//! cover yet (Organizations set-up, CloudFormation StackSets): a short Python script
//! run as an account's key, answering one JSON value. Also an organization of a
//! test's own, with OUs nested as asked and accounts in each.

use std::collections::BTreeMap;
use std::process::Command;

use rolegate_core::ports::Credentials;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::{http_post, Account, Emulator};

/// Set before each script: `args` (the JSON given), clients `org`, `cfn` and `iam`,
/// `code(e)` (an AWS error's code), and `wait(stackset, operation)` (poll an operation
/// until it is no longer RUNNING, at most 30 s; the statuses seen, in order). The script
/// sets `out`.
const PRELUDE: &str = r#"
import boto3, json, sys, time
args = json.loads(sys.argv[2])
def client(name):
    return boto3.client(name, endpoint_url=sys.argv[1], region_name="eu-west-1")
org, cfn, iam = client("organizations"), client("cloudformation"), client("iam")
def code(e):
    return getattr(e, "response", {}).get("Error", {}).get("Code", type(e).__name__)
def wait(stackset, operation):
    seen, end = [], time.time() + 30
    while time.time() < end:
        status = cfn.describe_stack_set_operation(StackSetName=stackset, OperationId=operation)["StackSetOperation"]["Status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status not in ("QUEUED", "RUNNING", "STOPPING"):
            break
        time.sleep(0.1)
    return seen
out = None
"#;

/// An organization made for one test.
pub struct TestOrg {
    pub management: Account,
    pub root: String,
    /// OU path ("Apps", "Apps/Deep") -> OU id.
    pub ous: BTreeMap<String, String>,
    /// (account id, OU path), in the order made.
    pub accounts: Vec<(String, String)>,
}

impl TestOrg {
    /// The accounts made in the OU at `path`.
    pub fn accounts_in(&self, path: &str) -> Vec<String> {
        self.accounts.iter().filter(|(_, p)| p == path).map(|(a, _)| a.clone()).collect()
    }

    /// Register `account` as a delegated administrator for CloudFormation StackSets.
    pub fn register_stacksets_delegated_administrator(&self, account: &str) {
        let script = r#"
org.register_delegated_administrator(AccountId=args["account"], ServicePrincipal="member.org.stacksets.cloudformation.amazonaws.com")
out = True
"#;
        crate::emulator().boto3(&self.management.creds, script, json!({ "account": account }));
    }

    /// The roles a self-managed StackSet of the management account needs, made as AWS's
    /// guide makes them: AWSCloudFormationStackSetAdministrationRole in the management
    /// account, trusting CloudFormation and allowed to assume the execution role; and in
    /// each of `targets` (accounts of this organization, reached through their
    /// OrganizationAccountAccessRole) AWSCloudFormationStackSetExecutionRole, trusting
    /// the management account, with AdministratorAccess.
    pub fn self_managed_stackset_roles(&self, targets: &[String]) {
        let script = r#"
def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})
admin = "AWSCloudFormationStackSetAdministrationRole"
if not any(r["RoleName"] == admin for r in iam.list_roles()["Roles"]):
    iam.create_role(RoleName=admin, AssumeRolePolicyDocument=trust({"Service": "cloudformation.amazonaws.com"}))
    iam.put_role_policy(RoleName=admin, PolicyName="AssumeRole-AWSCloudFormationStackSetExecutionRole", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Resource": "arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole"}]}))
sts = client("sts")
for account in args["targets"]:
    session = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="stackset-roles")["Credentials"]
    member = boto3.client("iam", endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id=session["AccessKeyId"],
                          aws_secret_access_key=session["SecretAccessKey"], aws_session_token=session["SessionToken"])
    member.create_role(RoleName="AWSCloudFormationStackSetExecutionRole", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{args['admin']}:root"}))
    member.attach_role_policy(RoleName="AWSCloudFormationStackSetExecutionRole", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
out = True
"#;
        crate::emulator().boto3(&self.management.creds, script, json!({ "targets": targets, "admin": self.management.id }));
    }
}

impl Emulator {
    /// Run `script` (after [`PRELUDE`]) with boto3 signed by `creds`; the `out` it set.
    pub fn boto3(&self, creds: &Credentials, script: &str, args: Value) -> Value {
        let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let program = format!("{PRELUDE}\n{script}\nprint(json.dumps(out, default=str))\n");
        let mut c = Command::new(&python);
        c.args(["-c", &program, &self.url, &args.to_string()])
            .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose_secret())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        if let Some(t) = &creds.session_token {
            c.env("AWS_SESSION_TOKEN", t.expose_secret());
        }
        let out = c.output().unwrap_or_else(|e| panic!("could not run {python}: {e}"));
        assert!(out.status.success(), "boto3 script failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.trim().lines().last().unwrap_or("null")).unwrap_or_else(|e| panic!("boto3 printed {text:?}: {e}"))
    }

    /// An organization whose management account is `management`: for each (OU path,
    /// count), the OU (its parent path first) and `count` new accounts in it.
    pub fn organization(&self, management: &Account, layout: &[(&str, usize)]) -> TestOrg {
        let script = r#"
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
ous, accounts = {"": root}, []
for path, count in args["layout"]:
    parent, name = path.rpartition("/")[0], path.rpartition("/")[2]
    ous[path] = org.create_organizational_unit(ParentId=ous[parent], Name=name)["OrganizationalUnit"]["Id"]
    for i in range(count):
        label = path.replace("/", "-") + f"-{i}"
        made = org.create_account(AccountName=label, Email=f"{label}@{args['tag']}.example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=made, SourceParentId=root, DestinationParentId=ous[path])
        accounts.append([made, path])
del ous[""]
out = {"root": root, "ous": ous, "accounts": accounts}
"#;
        let v = self.boto3(&management.creds, script, json!({ "layout": layout, "tag": management.id }));
        TestOrg {
            management: management.clone(),
            root: v["root"].as_str().unwrap().into(),
            ous: serde_json::from_value(v["ous"].clone()).unwrap(),
            accounts: serde_json::from_value(v["accounts"].clone()).unwrap(),
        }
    }

    /// Throttle calls signed by `account`'s keys to `service` ("sts", "iam",
    /// "cloudformation") at `rate` a second with a burst of `burst`; rate 0 lifts it.
    /// How many of that account's calls to `service` were throttled so far.
    pub fn throttle(&self, account: &str, service: &str, rate: f64, burst: f64) -> u64 {
        let body = json!({ "account": account, "service": service, "rate": rate, "burst": burst }).to_string();
        let (status, text) = http_post(&self.url, "/_rolegate/throttle", &body);
        assert_eq!(status, 200, "setting the throttle failed: {text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        v["throttled"][format!("{account}/{service}")].as_u64().unwrap_or(0)
    }

    /// The AWS calls each account's keys signed since the last count ("ACCOUNT/SERVICE" ->
    /// calls); counting starts again.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        let (status, text) = http_post(&self.url, "/_rolegate/calls", "{}");
        assert_eq!(status, 200, "counting the calls failed: {text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        serde_json::from_value(v["calls"].clone()).expect("counts")
    }

    /// Hold every AWS call `ms` milliseconds, as the network to AWS does (0: none).
    pub fn set_latency(&self, ms: u64) {
        let (status, text) = http_post(&self.url, "/_rolegate/latency", &json!({ "ms": ms }).to_string());
        assert_eq!(status, 200, "setting the latency failed: {text}");
    }

    /// How long StackSet operations of `account` (their administrator) stay RUNNING.
    pub fn set_stackset_running(&self, account: &str, seconds: f64) {
        let (status, text) = http_post(&self.url, "/_rolegate/stacksets", &json!({ "account": account, "running": seconds }).to_string());
        assert_eq!(status, 200, "setting the StackSet running time failed: {text}");
    }
}
