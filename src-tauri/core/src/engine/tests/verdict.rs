//! The verdict a verification gives a run: a role that trusts a third party nobody here
//! acts as leaves the run awaiting the platform's check (and such a run is still one
//! that verify, exports and set-external-id take), while a live trust policy that grants
//! more than the run made (a second statement for another account, with the same
//! External ID) fails, naming that account.

use serde_json::{json, Value};

use super::Rig;
use crate::checks::CheckStatus;
use crate::engine::exports::ExportRequest;
use crate::engine::trust::ExternalIdOptions;
use crate::export::Format;
use crate::journal::RunStatus;
use crate::ports::Connect;
use crate::ApplyOptions;

#[tokio::test]
async fn a_role_only_the_platform_can_assume_awaits_the_platform_not_verified() {
    let rig = Rig::new();
    let run = rig.start("seqera-cloud-role").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let report = rig.engine.verify(&run, None).await.unwrap();
    assert!(report.passed(), "no AWS-side check failed: {report:#?}");
    let assume = report.checks.iter().find(|c| c.id == "assume-with-external-id").unwrap();
    assert_eq!(assume.status, CheckStatus::Skipped, "nobody here can act as the platform");
    assert_eq!(rig.status(&run), RunStatus::AwaitingPlatform);
    let j = rig.engine.store.load(&run).unwrap();
    let note = &j.history.last().unwrap().message;
    assert!(note.contains("awaiting the platform's check") && note.contains(&j.plan.roles[0].name), "{note}");

    // Verified again, exported, its External ID set: an awaiting run is an applied one.
    rig.engine.verify(&run, None).await.unwrap();
    assert_eq!(rig.status(&run), RunStatus::AwaitingPlatform);
    rig.engine.render_export(&run, &ExportRequest::new(Format::Seqera)).await.unwrap();
    let change = rig.engine.set_external_id(&run, None, "seqera-made-5e2a", &ExternalIdOptions::default()).await.unwrap();
    assert_eq!(change.status, RunStatus::AwaitingPlatform);
}

#[tokio::test]
async fn a_second_statement_trusting_another_account_fails_verification_naming_it() {
    let rig = Rig::new();
    let run = rig.start("seqera-batch-launch").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    assert!(rig.engine.verify(&run, None).await.unwrap().passed());
    assert_eq!(rig.status(&run), RunStatus::Verified, "the run's own key assumes its role");

    let role = rig.engine.store.load(&run).unwrap().plan.roles[0].clone();
    let mut live: Value = serde_json::from_str(&rig.aws.trust_of(&role.name)).unwrap();
    live["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": role.external_id}}
    }));
    rig.aws.iam().update_assume_role_policy(&role.name, &live.to_string()).await.unwrap();

    let report = rig.engine.verify(&run, None).await.unwrap();
    assert_eq!(rig.status(&run), RunStatus::VerifyFailed);
    let trust = report.checks.iter().find(|c| c.id == "trust-policy").unwrap();
    assert_eq!(trust.status, CheckStatus::Failed, "{trust:?}");
    assert!(trust.reason.contains("arn:aws:iam::999988887777:root"), "{}", trust.reason);
    assert!(trust.fix.as_deref().unwrap().contains(&format!("--role-name {}", role.name)), "{trust:?}");
    // The AssumeRole probes still pass: only the static check sees the wider grant.
    assert!(report.checks.iter().filter(|c| c.id != "trust-policy").all(|c| c.status != CheckStatus::Failed), "{report:#?}");
}
