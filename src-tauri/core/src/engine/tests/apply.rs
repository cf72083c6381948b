//! Apply, then verify: the propagation waits, "Invalid principal" retries, an error that
//! is not retried, throttling then resume, a name someone else uses, and a role whose
//! trust opens without the External ID.

use std::time::Duration;

use serde_json::json;

use super::{aws_err, Rig};
use crate::checks::CheckStatus;
use crate::journal::RunStatus;
use crate::plan::RunInputs;
use crate::ports::{vault_entry, AwsErrorKind};
use crate::template::find_builtin;
use crate::testing::aws::FaultMode;
use crate::{ApplyOptions, RollbackOptions, RunError};

#[tokio::test]
async fn key_role_run_waits_for_propagation_then_verifies_and_rolls_back_to_nothing() {
    let rig = Rig::new();
    // A new key is unknown for two polls; the new role denies the new key for three.
    rig.aws.fail_new_credentials("sts:GetCallerIdentity", 2, aws_err(AwsErrorKind::InvalidClientTokenId, "InvalidClientTokenId", "no"));
    rig.aws.fail_new_credentials("sts:AssumeRole", 3, aws_err(AwsErrorKind::AccessDenied, "AccessDenied", "not yet"));
    let run = rig.start("seqera-batch-launch").await;
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert_eq!(rig.waits(), 2, "each wait is reported (at once, then about once a second)");
    // Five polls of 200 ms plus 50 ms jitter each (a quarter of the pause), and no real sleeping.
    assert_eq!(rig.clock.elapsed(), Duration::from_millis(1250));
    let key = j.access_key_id.clone().unwrap();
    assert_eq!(rig.vault.entries(), [vault_entry(&key)]);
    assert!(j.key_intent.is_none(), "the intent is cleared once the secret is stored");

    let report = rig.engine.verify(&run, None).await.unwrap();
    assert!(report.passed(), "{report:#?}");
    let status = |id: &str| report.checks.iter().find(|c| c.id == id).map(|c| c.status);
    assert_eq!(status("assume-with-external-id"), Some(CheckStatus::Passed));
    assert_eq!(status("assume-without-external-id"), Some(CheckStatus::Passed));
    assert_eq!(status("assume-with-wrong-external-id"), Some(CheckStatus::Passed));
    assert_eq!(status("simulate"), Some(CheckStatus::Skipped), "an unanswered simulation is skipped, never passed");

    let before = rig.aws.inventory();
    assert!(before.iter().any(|l| l.starts_with("role ")) && before.iter().any(|l| l.starts_with("key ")), "{before:?}");
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.is_empty(), "{report:?}");
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
    assert!(rig.vault.entries().is_empty(), "the secret leaves the keychain with the key");
    assert_eq!(rig.status(&run), RunStatus::RolledBack);
}

#[tokio::test]
async fn invalid_principal_on_create_role_is_waited_out() {
    let rig = Rig::new();
    let invalid = aws_err(AwsErrorKind::MalformedPolicy, "MalformedPolicyDocument", "Invalid principal in policy: \"AWS\"");
    rig.aws.fail("iam:CreateRole", 2, FaultMode::Refuse, invalid);
    let run = rig.start("seqera-batch-launch").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(rig.count("iam:CreateRole"), 3);
    assert_eq!(rig.waits(), 1, "one wait, reported once within its first second");
}

#[tokio::test]
async fn a_syntax_error_in_a_policy_is_not_retried() {
    let rig = Rig::new();
    let syntax = aws_err(AwsErrorKind::MalformedPolicy, "MalformedPolicyDocument", "Syntax errors in policy.");
    rig.aws.fail("iam:CreateRole", 1, FaultMode::Refuse, syntax);
    let run = rig.start("seqera-batch-launch").await;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::Aws { error, .. } if error.code == "MalformedPolicyDocument"), "{e}");
    assert_eq!(rig.count("iam:CreateRole"), 1);
    assert_eq!(rig.waits(), 0);
}

#[tokio::test]
async fn a_throttled_step_names_what_was_made_and_resume_finishes() {
    let rig = Rig::new();
    rig.aws.fail("iam:CreateRole", 1, FaultMode::Refuse, aws_err(AwsErrorKind::Throttled, "Throttling", "Rate exceeded"));
    let run = rig.start("seqera-batch-launch").await;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    match &e {
        RunError::Aws { step, created, run_id, .. } => {
            assert_eq!(step.as_ref().map(|s| s.to_string()).as_deref(), Some("role:main"));
            assert_eq!(run_id.as_deref(), Some(run.as_str()));
            assert!(created.iter().any(|c| c.starts_with("IAM user ")), "{created:?}");
        }
        other => panic!("expected an AWS error, got {other}"),
    }
    assert!(e.hint(crate::error::Frontend::Cli).unwrap_or_default().contains(&format!("rolegate rollback {run}")), "{e}");
    assert_eq!(rig.status(&run), RunStatus::Failed);
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    assert_eq!(rig.count("iam:CreateUser"), 1, "resume does not redo finished steps");
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

#[tokio::test]
async fn a_name_someone_else_uses_is_refused_and_left_untouched() {
    let rig = Rig::new();
    let t = find_builtin("seqera-batch-forge").unwrap();
    let inputs = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = rig.engine.plan(&t, &inputs).await.unwrap();
    let user = plan.user.clone().unwrap().name;
    let foreign_keys = rig.aws.add_foreign_user(&user, 1);
    let run = rig.engine.start(plan, inputs).unwrap().run_id;
    let e = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap_err();
    match &e {
        RunError::NameTaken { name, suggestion, .. } => {
            assert_eq!(name, &user);
            assert_ne!(suggestion, &user);
        }
        other => panic!("expected NameTaken, got {other}"),
    }
    rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rig.aws.inventory(), vec![format!("key {} of {user}", foreign_keys[0]), format!("user {user}")]);
}

#[tokio::test]
async fn a_role_that_opens_without_the_external_id_fails_verification() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-launch").await;
    let j = rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let role = &j.plan.roles[0];
    let user_arn = j.plan.user.as_ref().unwrap().arn.clone();
    rig.aws.set_trust(
        &role.name,
        &json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":user_arn},"Action":"sts:AssumeRole"}]}),
    );
    let report = rig.engine.verify(&run, None).await.unwrap();
    assert!(!report.passed());
    let failed: Vec<&str> = report.failed().map(|c| c.id.as_str()).collect();
    assert!(failed.contains(&"assume-without-external-id") && failed.contains(&"trust-policy"), "{failed:?}");
    let open = report.checks.iter().find(|c| c.id == "assume-without-external-id").unwrap();
    assert!(open.fix.as_deref().is_some_and(|f| f.contains("sts:ExternalId")), "{open:?}");
    assert_eq!(rig.status(&run), RunStatus::VerifyFailed);
}
