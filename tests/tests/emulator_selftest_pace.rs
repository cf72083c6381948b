//! The emulator's pace (rolegate_pace.py) against what AWS does: a call past its
//! account's rate for a service is answered HTTP 400 `Throttling` ("Rate exceeded"),
//! the bucket refills at the rate, other accounts and services are not affected, and
//! lifting the limit ends it; an added network time holds every call at least that long;
//! the calls each account signs are counted, a role session's in the role's account.

use rolegate_tests::{emulator, fresh_account_id};
use serde_json::json;

/// Six calls in a row without the SDK's retries, then one after a pause: each call's
/// error code, or "ok".
const BURST: &str = r#"
from botocore.config import Config
def sts_for(creds):
    return boto3.client("sts", endpoint_url=sys.argv[1], region_name="eu-west-1", config=Config(retries={"total_max_attempts": 1}),
                        aws_access_key_id=creds[0], aws_secret_access_key=creds[1])
def calls(c, n):
    out = []
    for _ in range(n):
        try:
            c.get_caller_identity()
            out.append("ok")
        except Exception as e:
            out.append(code(e))
    return out
a = sts_for(args["a"])
b = sts_for(args["b"])
first = calls(a, 6)
other = calls(b, 3)
iam_ok = boto3.client("iam", endpoint_url=sys.argv[1], region_name="eu-west-1", config=Config(retries={"total_max_attempts": 1}),
                      aws_access_key_id=args["a"][0], aws_secret_access_key=args["a"][1]).list_roles()["Roles"] is not None
time.sleep(1.1)
later = calls(a, 1)
out = {"first": first, "other": other, "iam_ok": iam_ok, "later": later}
"#;

#[test]
fn a_call_past_its_accounts_rate_is_throttled_as_aws_throttles_it() {
    let emu = emulator();
    let a = emu.bootstrap(&fresh_account_id(), "pace-a", None);
    let b = emu.bootstrap(&fresh_account_id(), "pace-b", None);
    let key = |acct: &rolegate_tests::Account| {
        use secrecy::ExposeSecret;
        json!([acct.creds.access_key_id, acct.creds.secret_access_key.expose_secret()])
    };
    emu.throttle(&a.id, "sts", 1.0, 2.0);
    let v = emu.boto3(&a.creds, BURST, json!({"a": key(&a), "b": key(&b)}));
    let counted = emu.throttle(&a.id, "sts", 0.0, 0.0);
    let first: Vec<String> = serde_json::from_value(v["first"].clone()).unwrap();
    assert_eq!(&first[..2], ["ok", "ok"], "the burst passes: {v}");
    let refused = first[2..].iter().filter(|c| *c == "Throttling").count();
    assert!(refused >= 3, "past the burst, Throttling: {v}");
    assert_eq!(counted, refused as u64, "the emulator counts what it throttled");
    assert_eq!(v["other"], json!(["ok", "ok", "ok"]), "another account is not throttled");
    assert_eq!(v["iam_ok"], json!(true), "another service of the same account is not throttled");
    assert_eq!(v["later"], json!(["ok"]), "the bucket refills at the rate");
    let after = emu.boto3(&a.creds, "out = [client('sts').get_caller_identity()['Account'] for _ in range(5)]", json!({}));
    assert_eq!(after.as_array().map(Vec::len), Some(5), "no limit once lifted: {after}");
}

#[test]
fn an_added_network_time_holds_every_call() {
    let emu = emulator();
    let a = emu.bootstrap(&fresh_account_id(), "pace-latency", None);
    // Measure inside one Python process: three calls with the hold, three without.
    let script = r#"
c = client("sts")
c.get_caller_identity()
t = time.monotonic()
for _ in range(3):
    c.get_caller_identity()
out = time.monotonic() - t
"#;
    emu.set_latency(150);
    let held = emu.boto3(&a.creds, script, json!({})).as_f64().unwrap();
    emu.set_latency(0);
    assert!(held >= 0.45, "three calls held 150 ms each take at least 0.45 s, took {held}");
}

#[test]
fn the_calls_each_account_signs_are_counted_in_that_account() {
    let emu = emulator();
    let a = emu.bootstrap(&fresh_account_id(), "pace-count", None);
    let org = emu.organization(&a, &[("Apps", 1)]);
    let member = org.accounts_in("Apps")[0].clone();
    let script = r#"
c = client("sts")
for _ in range(3):
    c.get_caller_identity()
s = c.assume_role(RoleArn=f"arn:aws:iam::{args['member']}:role/OrganizationAccountAccessRole", RoleSessionName="count")["Credentials"]
m = boto3.client("iam", endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id=s["AccessKeyId"],
                 aws_secret_access_key=s["SecretAccessKey"], aws_session_token=s["SessionToken"])
m.list_roles()
m.list_roles()
out = True
"#;
    emu.calls();
    emu.boto3(&a.creds, script, json!({"member": member}));
    let counted = emu.calls();
    assert_eq!(counted.get(&format!("{}/sts", a.id)), Some(&4), "three identities and one AssumeRole: {counted:?}");
    assert_eq!(counted.get(&format!("{member}/iam")), Some(&2), "the session's calls count in the role's account: {counted:?}");
}
