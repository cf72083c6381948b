//! The exact trust check against the emulator: a run verified by its own key fails
//! verification once someone adds a second statement to its role's trust policy (with
//! UpdateAssumeRolePolicy) trusting another account, even with the run's External ID,
//! and the check names that account and gives the trust policy to restore; restoring it
//! verifies the run again.

use rolegate_core::checks::CheckStatus;
use rolegate_core::journal::RunStatus;
use rolegate_core::plan::RunInputs;
use rolegate_core::template::find_builtin;
use rolegate_core::{ApplyOptions, RollbackOptions};
use rolegate_tests::{emulator, sdk_iam, Harness};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn a_second_statement_trusting_another_account_fails_verification_naming_it() {
    let h = Harness::new();
    let t = find_builtin("seqera-batch-launch").unwrap();
    let inputs = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = h.engine.plan(&t, &inputs).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inputs).unwrap();
    h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    h.engine.verify(&run_id, None).await.unwrap();
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::Verified);

    let role = h.engine.journal(&run_id).unwrap().plan.roles[0].clone();
    let other = emulator().admin_account();
    let partner = format!("arn:aws:iam::{}:root", other.id);
    let mut doc = role.trust_policy.clone();
    doc["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": partner},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": role.external_id}}
    }));
    let iam = sdk_iam(&h.account);
    iam.update_assume_role_policy().role_name(&role.name).policy_document(doc.to_string()).send().await.unwrap();

    let report = h.engine.verify(&run_id, None).await.unwrap();
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::VerifyFailed);
    let trust = report.checks.iter().find(|c| c.id == "trust-policy").unwrap();
    assert_eq!(trust.status, CheckStatus::Failed, "{trust:?}");
    assert!(trust.reason.contains("\"Partner\"") && trust.reason.contains(&partner), "{}", trust.reason);
    let fix = trust.fix.as_deref().unwrap();
    let restore: Value = serde_json::from_str(&fix[fix.find('{').unwrap()..=fix.rfind('}').unwrap()]).unwrap();
    assert_eq!(restore, role.trust_policy, "the fix is the trust policy the run made");

    iam.update_assume_role_policy().role_name(&role.name).policy_document(restore.to_string()).send().await.unwrap();
    let again = h.engine.verify(&run_id, None).await.unwrap();
    assert!(again.passed(), "{:#?}", again.checks);
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::Verified);
    h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
}
