//! IAM propagation against the emulator's time-based model: the emulator answers each
//! kind of "not yet" as AWS does for as long as it is configured to, and the engine
//! waits each one out.

use std::time::{Duration, Instant};

use rolegate_core::journal::RunStatus;
use rolegate_core::plan::RunInputs;
use rolegate_core::policy::{self, ExternalIdCondition};
use rolegate_core::ports::{AssumeRoleInput, AwsErrorKind, Connect, Credentials};
use rolegate_core::propagation::principal_not_yet;
use rolegate_core::template::find_builtin;
use rolegate_core::{ApplyOptions, RollbackOptions};
use rolegate_tests::{create_role, emulator, sdk_iam, Harness};
use serde_json::json;

fn assume(role_arn: &str) -> AssumeRoleInput {
    AssumeRoleInput {
        role_arn: role_arn.into(),
        session_name: "selftest".into(),
        external_id: Some("ext-1".into()),
        duration_seconds: None,
        tags: vec![],
    }
}

/// Sleep until `delay` has passed since `made` (an instant taken once the creating
/// call had answered, so the emulator's own clock started earlier).
async fn until(made: Instant, delay: Duration) {
    tokio::time::sleep_until((made + delay + Duration::from_millis(50)).into()).await;
}

/// Each kind is refused, with AWS's answer, within its delay and accepted after it; other
/// accounts are not affected.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_propagates_new_keys_roles_and_principals_like_aws() {
    const DELAY: Duration = Duration::from_secs(2);
    let h = Harness::new();
    let emu = emulator();
    emu.set_propagation(&h.account.id, DELAY.as_secs_f64(), DELAY.as_secs_f64(), DELAY.as_secs_f64());
    let iam = h.iam();

    // A just-created user is not yet a valid principal in a trust policy.
    let user = iam.create_user("fresh", "/", &[]).await.unwrap();
    let trust = policy::trust_policy(std::slice::from_ref(&user.arn), &ExternalIdCondition::for_value("ext-1"));
    let e = create_role(iam.as_ref(), "trusts-fresh", &trust).await.unwrap_err();
    assert!(principal_not_yet(&e), "CreateRole naming a new user must answer \"Invalid principal\": {e}");
    assert!(e.message.contains(&user.arn), "the answer names the principal: {e}");
    let allow = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]});
    iam.put_user_policy("fresh", "assume", &allow.to_string()).await.unwrap();

    // A just-created access key is unknown to STS.
    let key = iam.create_access_key("fresh").await.unwrap();
    let key_made = Instant::now();
    let sts = h.connect.sts_as(&Credentials::long_lived(key.id, key.secret));
    let e = sts.get_caller_identity().await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::InvalidClientTokenId, "a new key must be refused as unknown: {e}");

    // After their delays both are accepted (the user was made before the key).
    until(key_made, DELAY).await;
    assert_eq!(sts.get_caller_identity().await.expect("the key works after its delay").arn, user.arn);
    let role = create_role(iam.as_ref(), "trusts-fresh", &trust).await.expect("the user is a valid principal after its delay");
    let role_made = Instant::now();

    // A just-created role cannot be assumed yet, even by a principal it trusts.
    let e = sts.assume_role(&assume(&role)).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied, "a new role must deny AssumeRole: {e}");
    until(role_made, DELAY).await;
    sts.assume_role(&assume(&role)).await.expect("the role can be assumed after its delay");

    // A changed trust policy takes its delay again.
    sdk_iam(&h.account).update_assume_role_policy().role_name("trusts-fresh").policy_document(trust.to_string()).send().await.unwrap();
    let trust_changed = Instant::now();
    assert_eq!(sts.assume_role(&assume(&role)).await.unwrap_err().kind, AwsErrorKind::AccessDenied);
    until(trust_changed, DELAY).await;
    sts.assume_role(&assume(&role)).await.expect("the role can be assumed once its new trust has propagated");

    // The delays are the account's own: in another account all is ready at once.
    let other = emu.admin_account();
    let other_iam = emu.connect(&other).iam();
    let other_user = other_iam.create_user("fresh", "/", &[]).await.unwrap();
    let other_trust = policy::trust_policy(std::slice::from_ref(&other_user.arn), &ExternalIdCondition::for_value("ext-1"));
    create_role(other_iam.as_ref(), "trusts-fresh", &other_trust).await.expect("no delay in an account without one");
}

/// Against an account where IAM takes time, apply waits out exactly the three "not yet"
/// answers (the key, the user as principal, the role), then verifies and rolls back.
#[tokio::test(flavor = "multi_thread")]
async fn apply_waits_out_each_kind_of_propagation_then_verifies() {
    let h = Harness::new();
    // The key's delay outlasts the keychain write (the first one in a session can take
    // a second), and the role's outlasts the key's, so each wait is seen.
    emulator().set_propagation(&h.account.id, 3.0, 4.0, 1.0);
    let t = find_builtin("seqera-batch-launch").unwrap();
    let inp = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inp).unwrap();
    let j = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    let mut waits: Vec<String> = h.events.waits();
    waits.sort();
    waits.dedup();
    assert_eq!(waits, ["role:main MalformedPolicyDocument", "wait:access-key InvalidClientTokenId", "wait:role:main AccessDenied"]);
    assert!(h.engine.verify(&run_id, None).await.unwrap().passed());
    h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert_eq!(h.inventory().await, Vec::<String>::new());
}
