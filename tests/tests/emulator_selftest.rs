//! The emulator's self-test: each patch that makes moto behave like AWS where Rolegate's
//! safety depends on it (trust evaluation, inactive keys, delete conflicts, JSON-protocol
//! refusals, SimulatePrincipalPolicy, Organizations reads) is proved here against the
//! running emulator; StackSet operations in emulator_selftest_stacksets.rs.

use rolegate_core::policy::{self, ExternalIdCondition};
use rolegate_core::ports::{AssumeRoleInput, AwsErrorKind, Connect, KeyStatus};
use rolegate_tests::{emulator, Harness};
use serde_json::json;

fn assume(role_arn: &str, external_id: Option<&str>) -> AssumeRoleInput {
    AssumeRoleInput {
        role_arn: role_arn.into(),
        session_name: "selftest".into(),
        external_id: external_id.map(String::from),
        duration_seconds: None,
        tags: vec![],
    }
}

/// The emulator must deny what AWS denies, or every verification in the scenarios proves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_enforces_trust_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let acct = &h.account.id;
    let user = emu.bootstrap(
        acct,
        "ci",
        Some(json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})),
    );
    let other = emu.bootstrap(
        acct,
        "ci-other",
        Some(json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})),
    );
    let exact = ExternalIdCondition::for_value("ext-123");
    let role = h.make_role("selftest-equals", policy::trust_policy(std::slice::from_ref(&user.user_arn), &exact)).await;
    let sts = h.connect.sts_as(&user.creds);
    assert!(sts.assume_role(&assume(&role, Some("ext-123"))).await.is_ok(), "the right External ID must work");
    let e = sts.assume_role(&assume(&role, None)).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied, "a missing External ID must be denied: {e}");
    let e = sts.assume_role(&assume(&role, Some("ext-999"))).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied, "a wrong External ID must be denied");
    // Exact principal match: "ci-other" contains "ci" but is another user.
    let e = h.connect.sts_as(&other.creds).assume_role(&assume(&role, Some("ext-123"))).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied, "a principal must match exactly, not by substring");
    // UpdateAssumeRolePolicy replaces the trust that is evaluated: the old External ID
    // is denied from then on, the new one allowed (what set-external-id relies on).
    let changed = h.make_role("selftest-updated", policy::trust_policy(std::slice::from_ref(&user.user_arn), &exact)).await;
    let renewed = policy::trust_policy(std::slice::from_ref(&user.user_arn), &ExternalIdCondition::for_value("ext-456"));
    h.iam().update_assume_role_policy("selftest-updated", &policy::render(&renewed)).await.unwrap();
    assert!(sts.assume_role(&assume(&changed, Some("ext-456"))).await.is_ok(), "the new External ID must work");
    let e = sts.assume_role(&assume(&changed, Some("ext-123"))).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied, "the replaced External ID must be denied: {e}");
    // StringLike patterns.
    let like = h
        .make_role(
            "selftest-like",
            policy::trust_policy(std::slice::from_ref(&user.user_arn), &ExternalIdCondition::for_value("acme@*@read")),
        )
        .await;
    assert!(sts.assume_role(&assume(&like, Some("acme@stack1@read"))).await.is_ok());
    assert_eq!(sts.assume_role(&assume(&like, Some("acme@stack1@write"))).await.unwrap_err().kind, AwsErrorKind::AccessDenied);
    // Cross-account trust is evaluated: account B's root is trusted, account C is not.
    let b = emu.admin_account();
    let c = emu.admin_account();
    let cross = h.make_role("selftest-cross", policy::trust_policy(&[format!("arn:aws:iam::{}:root", b.id)], &exact)).await;
    let sts_b = h.connect.sts_as(&b.creds);
    assert!(sts_b.assume_role(&assume(&cross, Some("ext-123"))).await.is_ok(), "the trusted account must get in");
    assert_eq!(sts_b.assume_role(&assume(&cross, None)).await.unwrap_err().kind, AwsErrorKind::AccessDenied);
    assert_eq!(
        h.connect.sts_as(&c.creds).assume_role(&assume(&cross, Some("ext-123"))).await.unwrap_err().kind,
        AwsErrorKind::AccessDenied
    );
    // Inactive keys are refused.
    h.iam().update_access_key("ci", &user.creds.access_key_id, KeyStatus::Inactive).await.unwrap();
    assert_eq!(sts.get_caller_identity().await.unwrap_err().kind, AwsErrorKind::InvalidClientTokenId);
    // A user with keys cannot be deleted (DeleteConflict, as in AWS).
    assert_eq!(h.iam().delete_user("ci").await.unwrap_err().kind, AwsErrorKind::DeleteConflict);
    // A JSON-protocol service (ECR, which the Seqera stand-in calls) refuses as AWS does:
    // HTTP 400 with a code an SDK reads, not the query protocol's XML.
    assert_eq!(emu.ecr_get_authorization_token(&h.account.creds), "OK");
    assert_eq!(emu.ecr_get_authorization_token(&other.creds), "AccessDeniedException 400");
    assert_eq!(emu.ecr_get_authorization_token(&user.creds), "UnrecognizedClientException 400", "an inactive key is unknown");
}

/// iam:SimulatePrincipalPolicy must answer as IAM does for a principal's own policies,
/// or the "simulate" check of every verification proves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_simulates_identity_policies_like_aws() {
    let h = Harness::new();
    let sdk = rolegate_tests::sdk_iam(&h.account);
    let doc = |statements: serde_json::Value| json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    sdk.create_user().user_name("sim").send().await.unwrap();
    let user_arn = format!("arn:aws:iam::{}:user/sim", h.account.id);
    sdk.put_user_policy()
        .user_name("sim")
        .policy_name("inline")
        .policy_document(doc(json!([
            {"Effect": "Allow", "Action": ["s3:Get*", "s3:DeleteBucket"], "Resource": "*"},
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:*:jobs"},
        ])))
        .send()
        .await
        .unwrap();
    let deny = sdk
        .create_policy()
        .policy_name("sim-deny")
        .policy_document(doc(json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}])))
        .send()
        .await
        .unwrap();
    sdk.attach_user_policy().user_name("sim").policy_arn(deny.policy().unwrap().arn().unwrap()).send().await.unwrap();
    // A group's policies count for its members.
    sdk.create_group().group_name("sim-group").send().await.unwrap();
    sdk.put_group_policy()
        .group_name("sim-group")
        .policy_name("g")
        .policy_document(doc(json!([{"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"}])))
        .send()
        .await
        .unwrap();
    sdk.add_user_to_group().group_name("sim-group").user_name("sim").send().await.unwrap();

    let actions: Vec<String> =
        ["s3:GetObject", "s3:DeleteBucket", "ecs:ListClusters", "ec2:RunInstances", "sqs:SendMessage", "logs:GetLogEvents"]
            .map(String::from)
            .to_vec();
    let any = ["*".to_string()];
    let results = h.iam().simulate_principal_policy(&user_arn, &actions, &any).await.expect("the emulator simulates");
    let decision = |a: &str| results.iter().find(|r| r.action == a).map(|r| r.decision.clone()).unwrap_or_default();
    assert_eq!(decision("s3:GetObject"), "allowed", "an inline Allow with a wildcard action");
    assert_eq!(decision("s3:DeleteBucket"), "explicitDeny", "an attached Deny wins over an inline Allow");
    assert_eq!(decision("ecs:ListClusters"), "implicitDeny", "nothing grants it");
    assert_eq!(decision("ec2:RunInstances"), "implicitDeny", "a condition on a context key the request lacks does not grant");
    assert_eq!(decision("sqs:SendMessage"), "implicitDeny", "a statement for one queue does not cover the resource \"*\"");
    assert_eq!(decision("logs:GetLogEvents"), "allowed", "the user's group's policy counts");
    let queue = [format!("arn:aws:sqs:eu-west-1:{}:jobs", h.account.id)];
    let on_queue = h.iam().simulate_principal_policy(&user_arn, &["sqs:SendMessage".into()], &queue).await.unwrap();
    assert_eq!(on_queue[0].decision, "allowed", "named, the queue is covered by the statement for it");
    // A role's policies, and a principal that does not exist.
    let role = h.make_role("sim-role", policy::trust_policy(std::slice::from_ref(&user_arn), &ExternalIdCondition::for_value("x"))).await;
    sdk.put_role_policy()
        .role_name("sim-role")
        .policy_name("r")
        .policy_document(doc(json!([{"Effect": "Allow", "Action": "batch:*", "Resource": "*"}])))
        .send()
        .await
        .unwrap();
    let results = h.iam().simulate_principal_policy(&role, &["batch:SubmitJob".into(), "s3:GetObject".into()], &any).await.unwrap();
    assert_eq!(results.iter().map(|r| r.decision.as_str()).collect::<Vec<_>>(), ["allowed", "implicitDeny"]);
    let missing = format!("arn:aws:iam::{}:user/nobody", h.account.id);
    assert_eq!(h.iam().simulate_principal_policy(&missing, &actions, &any).await.unwrap_err().kind, AwsErrorKind::NotFound);
    // The caller needs iam:SimulatePrincipalPolicy itself.
    let limited = emulator().bootstrap(
        &h.account.id,
        "sim-limited",
        Some(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})),
    );
    let e = h.connect.iam_as(&limited.creds).simulate_principal_policy(&user_arn, &actions, &any).await.unwrap_err();
    assert_eq!(e.kind, AwsErrorKind::AccessDenied, "{e}");
}

/// Organizations must refuse what AWS refuses, or `fleet targets` is never shown its
/// refusals: a member account that is no delegated administrator may not read the
/// structure (but may describe its organization); a StackSets delegated administrator
/// may; an account in no organization is told so.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_guards_organization_reads_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 1)]);
    let member = emu.bootstrap(&org.accounts[0].0, "member-admin", None);
    let reads = r#"
def attempt(f):
    try:
        f(); return "OK"
    except Exception as e:
        return code(e)
out = {"accounts": attempt(lambda: org.list_accounts()), "roots": attempt(lambda: org.list_roots()),
       "ous": attempt(lambda: org.list_organizational_units_for_parent(ParentId=args["root"])),
       "management": org.describe_organization()["Organization"]["MasterAccountId"]}
"#;
    let v = emu.boto3(&member.creds, reads, json!({"root": org.root}));
    assert_eq!(v["accounts"], "AccessDeniedException", "{v}");
    assert_eq!(v["roots"], "AccessDeniedException");
    assert_eq!(v["ous"], "AccessDeniedException");
    assert_eq!(v["management"], h.account.id.as_str(), "a member account may describe its organization");
    org.register_stacksets_delegated_administrator(&member.id);
    let v = emu.boto3(&member.creds, reads, json!({"root": org.root}));
    assert_eq!(
        (v["accounts"].as_str(), v["roots"].as_str(), v["ous"].as_str()),
        (Some("OK"), Some("OK"), Some("OK")),
        "a delegated administrator reads it"
    );
    let lone = emu.admin_account();
    let v = emu.boto3(
        &lone.creds,
        reads
            .replace(
                r#""management": org.describe_organization()["Organization"]["MasterAccountId"]"#,
                r#""management": attempt(lambda: org.describe_organization())"#,
            )
            .as_str(),
        json!({"root": "r-none"}),
    );
    assert_eq!(v["management"], "AWSOrganizationsNotInUseException");
    assert_eq!(v["roots"], "AWSOrganizationsNotInUseException");
}
