//! Setting the External ID of an applied run: the new value works and the old one is
//! refused (the fake evaluates the trust policy), the journal keeps the old and the new,
//! and what is refused: a run not applied, another account, a role someone re-tagged, a
//! bad value, a run without a role. A stop between the call and the journal write is
//! finished by calling again with the same value. A run with several roles, a role that
//! trusts the platform, and a pattern role (Spacelift) each take it as they can.

use std::sync::Arc;

use super::Rig;
use crate::engine::trust::{split_role_value, ExternalIdOptions, TrustOutcome};
use crate::journal::{FileJournalStore, Journal, JournalStore, RunStatus, StoreError};
use crate::ports::{AssumeRoleInput, AwsErrorKind, Connect, Credentials};
use crate::testing::aws::FakeAws;
use crate::validate::Tag;
use crate::{ApplyOptions, RollbackOptions, RunError};

const NEW: &str = "seqera-generated-0f3c9a";

async fn applied(rig: &Rig) -> String {
    let run = rig.start("seqera-batch-launch").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    run
}

fn journal(rig: &Rig, run: &str) -> Journal {
    rig.engine.store.load(run).unwrap()
}

async fn key(rig: &Rig, run: &str) -> Credentials {
    rig.engine.credentials_for_key(&journal(rig, run).access_key_id.unwrap()).await.unwrap()
}

/// Whether the run's key may assume its role with `external_id`, as the fake evaluates the live trust.
async fn assumes(rig: &Rig, run: &str, external_id: &str) -> bool {
    let j = journal(rig, run);
    let input = AssumeRoleInput {
        role_arn: j.plan.roles[0].arn.clone(),
        session_name: run.into(),
        external_id: Some(external_id.into()),
        duration_seconds: None,
        tags: vec![],
    };
    match rig.aws.sts_as(&key(rig, run).await).assume_role(&input).await {
        Ok(_) => true,
        Err(e) if e.kind == AwsErrorKind::AccessDenied => false,
        Err(e) => panic!("{e}"),
    }
}

fn field_rules(e: &RunError) -> Vec<(String, String)> {
    match e {
        RunError::Invalid(f) => f.iter().map(|f| (f.field.clone(), f.rule.clone())).collect(),
        other => panic!("not invalid input: {other}"),
    }
}

#[tokio::test]
async fn the_new_external_id_works_the_old_one_is_refused_and_the_journal_keeps_both() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    let old = journal(&rig, &run).plan.roles[0].external_id.clone();
    let role = journal(&rig, &run).plan.roles[0].name.clone();
    let old_trust = rig.aws.trust_of(&role);
    assert!(assumes(&rig, &run, &old).await && !assumes(&rig, &run, NEW).await);

    let change = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap();
    assert_eq!((change.outcome, change.previous_external_id.as_str(), change.waited), (TrustOutcome::Changed, old.as_str(), true));
    assert!(change.verification.as_ref().unwrap().passed(), "{:#?}", change.verification);
    assert_eq!(change.status, RunStatus::Verified);
    assert!(assumes(&rig, &run, NEW).await, "the new value is accepted");
    assert!(!assumes(&rig, &run, &old).await, "the old value is refused");
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 1);

    let j = journal(&rig, &run);
    let r = &j.plan.roles[0];
    assert_eq!((r.external_id.as_str(), r.condition.value.as_str()), (NEW, NEW));
    assert_eq!(j.inputs.external_ids.get(&r.key).map(String::as_str), Some(NEW));
    let trust = rig.aws.trust_of(&role);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&trust).unwrap(), r.trust_policy);
    assert_eq!(r.trust_policy["Statement"][1]["Sid"], "TagSession", "the TagSession statement is kept");
    let before: serde_json::Value = serde_json::from_str(&old_trust).unwrap();
    assert_eq!(r.trust_policy["Statement"][0]["Principal"], before["Statement"][0]["Principal"], "the same principals");
    assert_eq!(r.trust_policy["Statement"][1], before["Statement"][1], "the same TagSession statement");
    let [c] = j.trust_changes.as_slice() else { panic!("one change: {:?}", j.trust_changes) };
    assert_eq!((c.old_external_id.as_str(), c.new_external_id.as_str()), (old.as_str(), NEW));
    assert_eq!((c.old_document.as_str(), c.new_document.as_str()), (old_trust.as_str(), trust.as_str()));
    assert_eq!(c.result.as_deref(), Some("changed"));
    assert!(c.finished_at.is_some());

    // Rollback is unchanged: the role goes with the rest.
    let report = rig.engine.rollback(&run, &RollbackOptions::default()).await.unwrap();
    assert!(report.kept.is_empty(), "{report:?}");
    assert_eq!(rig.aws.inventory(), Vec::<String>::new());
}

#[tokio::test]
async fn the_same_value_again_changes_nothing() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions { verify: false }).await.unwrap();
    let again = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions { verify: false }).await.unwrap();
    assert_eq!(again.outcome, TrustOutcome::Unchanged);
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 1);
    assert_eq!(journal(&rig, &run).trust_changes.len(), 1);
}

/// Refuses every journal write that records a trust change's result: the process
/// stopped after UpdateAssumeRolePolicy and before the journal said so.
struct StopsAfterTheCall(FileJournalStore);

impl JournalStore for StopsAfterTheCall {
    fn save(&self, j: &Journal) -> Result<(), StoreError> {
        if j.trust_changes.last().is_some_and(|c| c.result.is_some()) {
            return Err(StoreError::SimulatedCrash(0));
        }
        self.0.save(j)
    }
    fn load(&self, run_id: &str) -> Result<Journal, StoreError> {
        self.0.load(run_id)
    }
    fn list(&self) -> Result<Vec<Journal>, StoreError> {
        self.0.list()
    }
}

#[tokio::test]
async fn a_stop_between_the_call_and_the_journal_is_finished_by_the_same_call_again() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    let stopping = crate::Engine { store: Arc::new(StopsAfterTheCall(FileJournalStore::new(rig.dir()))), ..rig.engine.clone() };
    let e = stopping.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert!(matches!(e, RunError::Store(StoreError::SimulatedCrash(_))), "{e}");
    let j = journal(&rig, &run);
    let intent = j.trust_changes.last().expect("the intent was journaled before the call");
    assert_eq!((intent.new_external_id.as_str(), intent.result.as_deref()), (NEW, None));
    assert_ne!(j.plan.roles[0].external_id, NEW, "the journal had not recorded the change");
    assert!(assumes(&rig, &run, NEW).await, "but IAM had made it");

    let done = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap();
    assert_eq!(done.outcome, TrustOutcome::Adopted);
    assert!(done.verification.unwrap().passed());
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 1, "the change is not made twice");
    let j = journal(&rig, &run);
    assert_eq!(j.plan.roles[0].external_id, NEW);
    let results: Vec<_> = j.trust_changes.iter().map(|c| c.result.clone().unwrap_or_default()).collect();
    assert_eq!(results, ["resumed", "adopted"]);
}

#[tokio::test]
async fn a_role_someone_re_tagged_is_refused_and_left_as_it_is() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    let role = journal(&rig, &run).plan.roles[0].name.clone();
    rig.aws.set_role_tags(&role, vec![Tag::new("rolegate:run-id", "rg-someoneelse")]);
    let before = rig.aws.trust_of(&role);
    let e = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert!(matches!(&e, RunError::NotOwned { name, owner, .. } if *name == role && owner.contains("rg-someoneelse")), "{e}");
    assert_eq!((e.code(), e.exit_code()), ("not-owned", 5));
    assert_eq!(rig.aws.trust_of(&role), before, "untouched");
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 0);
    assert!(journal(&rig, &run).trust_changes.is_empty());
}

#[tokio::test]
async fn a_bad_value_names_the_field_and_the_rule() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    let e = rig.engine.set_external_id(&run, None, "has space", &ExternalIdOptions::default()).await.unwrap_err();
    assert_eq!(field_rules(&e), [("external_id".to_string(), "external-id-chars".to_string())]);
    let e = rig.engine.set_external_id(&run, None, "x", &ExternalIdOptions::default()).await.unwrap_err();
    assert_eq!(field_rules(&e)[0].0, "external_id");
    let e = rig.engine.set_external_id(&run, Some("nope"), NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert_eq!(field_rules(&e), [("role".to_string(), "unknown-role".to_string())]);
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 0);
}

#[tokio::test]
async fn a_run_not_applied_or_without_a_role_is_refused() {
    let rig = Rig::new();
    let planned = rig.start("seqera-batch-launch").await;
    let e = rig.engine.set_external_id(&planned, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert!(matches!(e, RunError::WrongStatus { status: RunStatus::Planned, .. }), "{e}");
    let key_only = rig.start("seqera-batch-forge").await;
    rig.engine.apply(&key_only, &ApplyOptions::default()).await.unwrap();
    let e = rig.engine.set_external_id(&key_only, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert_eq!(field_rules(&e), [("role".to_string(), "no-role".to_string())]);
}

#[tokio::test]
async fn another_account_is_refused() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    let other = FakeAws::new("999988887777", rig.clock.clone());
    let elsewhere = crate::Engine { connect: Arc::new(other), ..rig.engine.clone() };
    let e = elsewhere.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert!(matches!(e, RunError::WrongAccount { .. }), "{e}");
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 0);
}

#[test]
fn role_value_splits_only_at_a_role_key_of_the_run() {
    let mut role: crate::plan::PlannedRole = serde_json::from_value(serde_json::json!({
        "key": "main", "name": "r", "arn": "a", "description": "", "principals": [], "trusts_created_user": true,
        "external_id": "e", "condition": {"operator": "StringEquals", "value": "e"}, "trust_policy": {},
        "attach": [], "max_session_seconds": 3600, "verify_actions": []
    }))
    .unwrap();
    role.key = "main".into();
    let roles = [role];
    assert_eq!(split_role_value(&roles, "main=abc"), (Some("main".into()), "abc".into()));
    assert_eq!(split_role_value(&roles, "abc=def"), (None, "abc=def".into()));
    assert_eq!(split_role_value(&roles, "abc"), (None, "abc".into()));
}

/// The key+role template with a second role of the same kind, applied.
async fn applied_with_two_roles(rig: &Rig) -> String {
    let mut t: serde_json::Value = serde_json::from_str(include_str!("../../../templates/seqera-batch-launch.json")).unwrap();
    let mut second = t["roles"][0].clone();
    second["key"] = "second".into();
    second["name"] = "seqera-launch-second".into();
    t["roles"].as_array_mut().unwrap().push(second);
    let t = crate::template::Template::from_json("template", &t.to_string()).unwrap();
    let inputs = crate::plan::RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = rig.engine.plan(&t, &inputs).await.unwrap();
    let run = rig.engine.start(plan, inputs).unwrap().run_id;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    run
}

#[tokio::test]
async fn a_run_with_several_roles_needs_the_role_key_and_changes_only_that_role() {
    let rig = Rig::new();
    let run = applied_with_two_roles(&rig).await;
    let e = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    assert_eq!(field_rules(&e), [("role".to_string(), "role-required".to_string())]);
    let before = journal(&rig, &run);
    let first_trust = rig.aws.trust_of(&before.plan.roles[0].name);

    let change = rig.engine.set_external_id(&run, Some("second"), NEW, &ExternalIdOptions::default()).await.unwrap();
    assert_eq!((change.role_key.as_str(), change.outcome), ("second", TrustOutcome::Changed));
    assert!(change.verification.unwrap().passed());
    let after = journal(&rig, &run);
    assert_eq!(after.plan.roles[1].external_id, NEW);
    assert_eq!(after.plan.roles[0].external_id, before.plan.roles[0].external_id, "the other role keeps its value");
    assert_eq!(rig.aws.trust_of(&before.plan.roles[0].name), first_trust, "and its trust policy");
}

#[tokio::test]
async fn a_role_that_trusts_the_platform_takes_the_platforms_value_without_a_wait() {
    let rig = Rig::new();
    let run = rig.start("seqera-cloud-role").await;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let role = journal(&rig, &run).plan.roles[0].clone();
    let change = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap();
    assert_eq!((change.outcome, change.waited), (TrustOutcome::Changed, false), "only Seqera can assume it");
    let live: serde_json::Value = serde_json::from_str(&rig.aws.trust_of(&role.name)).unwrap();
    assert_eq!(live["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], NEW);
    assert_eq!(live["Statement"][0]["Principal"], role.trust_policy["Statement"][0]["Principal"], "the same principal");
}

#[tokio::test]
async fn a_pattern_role_keeps_its_condition_and_takes_only_a_matching_value() {
    let rig = Rig::new();
    let t = crate::template::find_builtin("spacelift").unwrap();
    let inputs = crate::plan::RunInputs {
        template_id: "spacelift".into(),
        region: "eu-west-1".into(),
        path: "/".into(),
        variables: [("spacelift_account".to_string(), "acme".to_string())].into(),
        ..Default::default()
    };
    let plan = rig.engine.plan(&t, &inputs).await.unwrap();
    let run = rig.engine.start(plan, inputs).unwrap().run_id;
    rig.engine.apply(&run, &ApplyOptions::default()).await.unwrap();
    let e = rig.engine.set_external_id(&run, Some("read"), "other@int@stack@read", &ExternalIdOptions::default()).await.unwrap_err();
    assert_eq!(field_rules(&e), [("external_id".to_string(), "external-id-pattern".to_string())]);
    let name = journal(&rig, &run).plan.roles[0].name.clone();
    let before = rig.aws.trust_of(&name);
    let change = rig.engine.set_external_id(&run, Some("read"), "acme@int-9@prod@read", &ExternalIdOptions::default()).await.unwrap();
    assert_eq!(change.outcome, TrustOutcome::Adopted, "the pattern already accepts it");
    assert_eq!(rig.aws.trust_of(&name), before);
    assert_eq!(rig.count("iam:UpdateAssumeRolePolicy"), 0);
    assert_eq!(journal(&rig, &run).plan.roles[0].external_id, "acme@int-9@prod@read");
}

/// When AWS has not accepted the new value within the wait, the trust policy is already
/// changed and journaled: the advice is to set the same value again (which waits, then
/// verifies), not to resume an apply that is finished.
#[tokio::test]
async fn a_new_value_aws_does_not_accept_in_time_says_to_set_it_again() {
    let rig = Rig::new();
    let run = applied(&rig).await;
    rig.aws.fail_new_credentials("sts:AssumeRole", 100_000, super::aws_err(AwsErrorKind::AccessDenied, "AccessDenied", "not yet"));
    let err = rig.engine.set_external_id(&run, None, NEW, &ExternalIdOptions::default()).await.unwrap_err();
    let RunError::Propagation { step, .. } = &err else { panic!("not a propagation timeout: {err}") };
    assert_eq!(step.to_string(), "external-id:wait-role:main");
    assert_eq!(err.code(), "propagation-timeout");
    let cli = err.hint(crate::error::Frontend::Cli).unwrap();
    assert!(cli.contains(&format!("rolegate set-external-id {run} main=")) && !cli.contains("--resume"), "{cli}");
    let app = err.hint(crate::error::Frontend::App).unwrap();
    assert!(app.contains("apply the same External ID again") && !app.contains("Resume"), "{app}");
    let j = journal(&rig, &run);
    assert_eq!(j.plan.roles[0].external_id, NEW, "the change itself is recorded");
    assert_eq!(j.trust_changes.last().and_then(|c| c.result.as_deref()), Some("changed"));
}
