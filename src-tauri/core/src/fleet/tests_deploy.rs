//! Unit tests of fleet deployment against the in-memory organization and StackSets: the
//! request's rules, the journal written before each call, an answer lost after AWS acted
//! (the same StackSet adopted by its tag, the same operation id followed), a StackSet of
//! the fleet's name that is someone else's, retry, and roll-back to nothing.

use std::sync::{Arc, Mutex};

use super::journal::{FleetStatus, OperationAction, StackSetState};
use super::request::{FleetRequest, DEFAULT_ACCESS_ROLE};
use super::stacksets::{DeploymentTargets, OperationPreferences};
use super::{AccountVerdict, FleetError};
use crate::error::RunError;
use crate::events::Event;
use crate::journal::FileJournalStore;
use crate::plan::RunInputs;
use crate::propagation::PollSettings;
use crate::template::find_builtin;
use crate::testing::aws::FakeAws;
use crate::testing::organizations::ROOT;
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::Engine;

const CALLER: &str = "111122223333";

struct Rig {
    aws: FakeAws,
    engine: Engine,
    events: Arc<Mutex<Vec<Event>>>,
    ous: Vec<String>,
    _dir: tempfile::TempDir,
}

/// An organization managed by the caller: OU Apps with 3 accounts and a nested OU Deep
/// with one more, and an OU Other with one account.
fn rig() -> Rig {
    let clock = Arc::new(ManualClock::new());
    let aws = FakeAws::new(CALLER, clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let engine = Engine {
        connect: Arc::new(aws.clone()),
        vault: Arc::new(MemoryVault::default()),
        store: Arc::new(FileJournalStore::new(dir.path().join("runs"))),
        fleets: Arc::new(super::FleetStore::new(dir.path().join("fleets"))),
        clock,
        entropy: Arc::new(FixedEntropy::default()),
        events: Arc::new(move |e: &Event| sink.lock().unwrap().push(e.clone())),
        poll: PollSettings::default(),
    };
    let org = &aws.org;
    org.create(CALLER);
    let apps = org.add_ou(ROOT, "Apps");
    let deep = org.add_ou(&apps, "Deep");
    let other = org.add_ou(ROOT, "Other");
    for (i, parent) in [&apps, &apps, &apps, &deep, &other].into_iter().enumerate() {
        org.add_account(parent, &format!("20000000000{i}"), &format!("acct-{i}"));
    }
    Rig { aws, engine, events, ous: vec![apps, deep, other], _dir: dir }
}

fn request(targets: DeploymentTargets) -> FleetRequest {
    FleetRequest {
        targets,
        regions: vec!["eu-west-1".into()],
        auto_deploy: false,
        preferences: OperationPreferences { max_concurrent: 4, failure_tolerance: 2, ..Default::default() },
        administration_role_arn: None,
        execution_role_name: None,
        access_role: DEFAULT_ACCESS_ROLE.into(),
        acknowledge_admin_access: false,
    }
}

fn inputs() -> RunInputs {
    RunInputs { template_id: "seqera-cloud-role".into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
}

impl Rig {
    async fn start(&self, req: &FleetRequest) -> Result<super::FleetJournal, RunError> {
        self.engine.fleet_start(&find_builtin("seqera-cloud-role").unwrap(), &inputs(), req).await
    }
    fn progress(&self) -> Vec<(String, String)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::FleetProgress { account, status, .. } if !account.is_empty() => Some((account.clone(), status.clone())),
                _ => None,
            })
            .collect()
    }
}

fn fields(e: RunError) -> Vec<(String, String)> {
    match e {
        RunError::Invalid(errs) => errs.into_iter().map(|f| (f.field, f.rule)).collect(),
        other => panic!("not invalid input: {other}"),
    }
}

#[tokio::test]
async fn a_request_names_the_field_and_rule_it_breaks_and_nothing_is_journaled() {
    let r = rig();
    let mut bad = request(DeploymentTargets::Ous(vec!["ou-test-99999999".into(), "not-an-ou".into()]));
    bad.regions = vec!["eu-west-1".into(), "us-east-1".into()];
    bad.preferences.max_concurrent = 0;
    bad.execution_role_name = Some("Exec".into());
    let got = fields(r.start(&bad).await.unwrap_err());
    for want in [
        ("ou", "in-organization"),
        ("ou", "ou-id"),
        ("region", "one-region"),
        ("max-concurrent", "range"),
        ("execution-role", "self-managed-only"),
    ] {
        assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} in {got:?}");
    }
    let mut accounts = request(DeploymentTargets::Accounts(vec!["200000000000".into(), "999999999999".into(), "200000000000".into()]));
    accounts.auto_deploy = true;
    let got = fields(r.start(&accounts).await.unwrap_err());
    for want in [("account", "in-organization"), ("account", "once"), ("auto-deploy", "service-managed-only")] {
        assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} in {got:?}");
    }
    let got = fields(r.start(&request(DeploymentTargets::Ous(vec![]))).await.unwrap_err());
    assert_eq!(got, [("targets".to_string(), "required".to_string())]);
    assert!(r.engine.fleet_list().unwrap().is_empty());
    assert!(r.aws.stacksets.calls().is_empty(), "no StackSets call for a refused request");
}

#[tokio::test]
async fn the_root_as_target_names_the_management_account_it_never_reaches() {
    let r = rig();
    let j = r.start(&request(DeploymentTargets::Ous(vec![ROOT.into()]))).await.unwrap();
    assert!(
        j.notes.iter().any(|n| n.message.contains(&format!("management account {CALLER}")) && n.message.contains("rolegate apply")),
        "{:?}",
        j.notes
    );
    assert!(j.notes.iter().any(|n| n.message.contains("5 account(s)")), "{:?}", j.notes);
}

#[tokio::test]
async fn apply_deploys_to_an_ou_and_the_ous_in_it_and_one_failed_account_fails_alone() {
    let mut r = rig();
    // No wait for a refused access role to propagate: each account is asked once.
    r.engine.poll.timeout = std::time::Duration::ZERO;
    r.aws.stacksets.running_for(2);
    r.aws.stacksets.fail_account("200000000001", "Resource:Role already exists");
    let report = r
        .engine
        .fleet_apply(&find_builtin("seqera-cloud-role").unwrap(), &inputs(), &request(DeploymentTargets::Ous(vec![r.ous[0].clone()])))
        .await
        .unwrap();
    assert_eq!(report.status, FleetStatus::PartlyDeployed);
    let rows: Vec<(&str, &str, AccountVerdict)> =
        report.accounts.iter().map(|a| (a.account.as_str(), a.instance_status.as_str(), a.verdict)).collect();
    assert_eq!(
        rows,
        [
            ("200000000000", "CURRENT", AccountVerdict::Unverified),
            ("200000000001", "OUTDATED", AccountVerdict::Failed),
            ("200000000002", "CURRENT", AccountVerdict::Unverified),
            ("200000000003", "CURRENT", AccountVerdict::Unverified),
        ],
        "the nested OU's account too, the other OU's not"
    );
    let failed = &report.accounts[1];
    assert!(failed.reason.contains("already exists") && failed.fix.as_deref().unwrap().contains("rolegate fleet retry"), "{failed:?}");
    let unverified = &report.accounts[0];
    assert!(
        unverified.reason.contains("OrganizationAccountAccessRole") && unverified.fix.as_deref().unwrap().contains("--access-role"),
        "{unverified:?}"
    );
    let progress = r.progress();
    assert!(
        progress.contains(&("200000000001".into(), "FAILED".into())) && progress.contains(&("200000000003".into(), "SUCCEEDED".into())),
        "{progress:?}"
    );
    let j = r.engine.load_fleet(&report.fleet_id).unwrap();
    assert_eq!(j.stack_set.state, StackSetState::Created);
    assert_eq!(j.operations.len(), 1);
    assert_eq!((j.operations[0].accepted, j.operations[0].ended.as_deref()), (true, Some("SUCCEEDED")));
    let calls = r.aws.stacksets.calls();
    assert_eq!(calls.iter().filter(|c| c.ends_with("DescribeStackSetOperation")).count(), 3, "followed while RUNNING: {calls:?}");
    // A status verifies each account once; the apply did no more than that (its
    // accounts were verified while the operation ran, not again for the report).
    let assumes = |aws: &FakeAws| aws.calls().iter().filter(|c| c.contains("sts:AssumeRole")).count();
    let by_apply = assumes(&r.aws);
    r.engine.fleet_status(&report.fleet_id).await.unwrap();
    assert_eq!(by_apply, 3, "each deployed account verified once by the apply");
    assert_eq!(assumes(&r.aws) - by_apply, 3, "and once by the status");
}

#[tokio::test]
async fn a_lost_answer_is_resumed_on_the_same_stack_set_and_the_same_operation_id() {
    let r = rig();
    r.aws.stacksets.lose_answer("cloudformation:CreateStackSet");
    let req = request(DeploymentTargets::Accounts(vec!["200000000000".into(), "200000000004".into()]));
    let j = r.start(&req).await.unwrap();
    let e = r.engine.fleet_resume(&j.fleet_id).await.unwrap_err();
    assert!(matches!(e, RunError::Fleet(FleetError::NoAnswer { .. })), "{e}");
    assert_eq!(r.engine.load_fleet(&j.fleet_id).unwrap().stack_set.state, StackSetState::Requested, "not known to exist");

    r.aws.stacksets.lose_answer("cloudformation:CreateStackInstances");
    let e = r.engine.fleet_resume(&j.fleet_id).await.unwrap_err();
    assert!(e.hint(crate::error::Frontend::Cli).unwrap().contains(&format!("rolegate fleet resume {}", j.fleet_id)), "{e}");
    let mid = r.engine.load_fleet(&j.fleet_id).unwrap();
    assert_eq!(mid.stack_set.state, StackSetState::Created, "adopted by its tag");
    let op = mid.operations[0].clone();
    assert!(!op.accepted && op.ended.is_none(), "journaled before the call, its answer unknown: {op:?}");

    let report = r.engine.fleet_resume(&j.fleet_id).await.unwrap();
    assert_eq!(report.status, FleetStatus::Deployed);
    let done = r.engine.load_fleet(&j.fleet_id).unwrap();
    assert_eq!(done.operations.len(), 1, "the same operation, followed");
    assert_eq!(done.operations[0].id, op.id);
    assert!(done.notes.iter().any(|n| n.message.contains("accepted by an earlier attempt")), "{:?}", done.notes);
    let calls = r.aws.stacksets.calls();
    assert_eq!(calls.iter().filter(|c| c.ends_with("CreateStackSet")).count(), 1, "{calls:?}");
    assert_eq!(r.aws.stacksets.stack_sets().len(), 1);
}

#[tokio::test]
async fn a_stack_set_of_the_fleets_name_made_by_someone_else_is_left_alone() {
    let r = rig();
    let j = r.start(&request(DeploymentTargets::Accounts(vec!["200000000000".into()]))).await.unwrap();
    let squatter = super::stacksets::NewStackSet {
        name: j.stack_set.name.clone(),
        description: String::new(),
        template_body: String::new(),
        capabilities: vec![],
        tags: vec![],
        permission_model: super::stacksets::PermissionModel::SelfManaged,
        auto_deploy: false,
        administration_role_arn: None,
        execution_role_name: None,
    };
    use super::stacksets::StackSets;
    r.aws.stacksets.create_stack_set(&squatter).await.unwrap();
    let e = r.engine.fleet_resume(&j.fleet_id).await.unwrap_err();
    assert!(matches!(&e, RunError::Fleet(FleetError::NotOwned { .. })), "{e}");
    assert_eq!(e.exit_code(), 5);
    assert!(e.to_string().contains("no rolegate:fleet-id tag"), "{e}");
    let back = r.engine.fleet_rollback(&j.fleet_id).await.unwrap();
    assert_eq!(back.status, FleetStatus::RolledBack);
    assert_eq!(r.aws.stacksets.stack_sets(), vec![j.stack_set.name.clone()], "someone else's StackSet is not deleted");
}

#[tokio::test]
async fn retry_deploys_the_failed_accounts_again_and_rollback_leaves_nothing() {
    let r = rig();
    r.aws.stacksets.fail_account("200000000004", "no execution role");
    let req = request(DeploymentTargets::Accounts(vec!["200000000000".into(), "200000000004".into()]));
    let report = r.engine.fleet_apply(&find_builtin("seqera-cloud-role").unwrap(), &inputs(), &req).await.unwrap();
    assert_eq!(report.status, FleetStatus::PartlyDeployed);
    r.aws.stacksets.heal("200000000004");
    let again = r.engine.fleet_retry(&report.fleet_id).await.unwrap();
    assert_eq!(again.status, FleetStatus::Deployed);
    let j = r.engine.load_fleet(&report.fleet_id).unwrap();
    assert_eq!(j.operations[1].action, OperationAction::Retry);
    assert_eq!(j.operations[1].targets, DeploymentTargets::Accounts(vec!["200000000004".into()]), "only the failed account");
    let name = j.stack_set.name.clone();

    let back = r.engine.fleet_rollback(&report.fleet_id).await.unwrap();
    assert_eq!(back.status, FleetStatus::RolledBack);
    assert!(r.aws.stacksets.instances(&name).is_empty());
    assert!(r.aws.stacksets.stack_sets().is_empty());
    let j = r.engine.load_fleet(&report.fleet_id).unwrap();
    assert_eq!((j.stack_set.state, j.operations.last().unwrap().action), (StackSetState::Deleted, OperationAction::Delete));
    let e = r.engine.fleet_retry(&report.fleet_id).await.unwrap_err();
    assert!(matches!(e, RunError::Fleet(FleetError::WrongStatus { .. })), "{e}");
    let listed = r.engine.fleet_list().unwrap();
    assert_eq!((listed.len(), listed[0].status), (1, FleetStatus::RolledBack));
}

#[tokio::test]
async fn an_unknown_or_malformed_fleet_id_is_named() {
    let r = rig();
    let e = r.engine.fleet_status("fl-000000000000").await.unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("fleet-not-found", 2), "{e}");
    let e = r.engine.fleet_status("../etc").await.unwrap_err();
    assert_eq!(fields(e), [("fleet_id".to_string(), "fleet-id".to_string())]);
}

#[tokio::test]
async fn a_refused_access_role_is_asked_again_while_it_may_be_propagating() {
    let r = rig();
    let req = request(DeploymentTargets::Accounts(vec!["200000000000".into()]));
    let report = r.engine.fleet_apply(&find_builtin("seqera-cloud-role").unwrap(), &inputs(), &req).await.unwrap();
    let row = &report.accounts[0];
    assert_eq!(row.verdict, AccountVerdict::Unverified);
    assert!(row.reason.contains("tried for 30 s"), "{row:?}");
    let assumes = r.aws.calls().iter().filter(|c| c.contains("sts:AssumeRole")).count();
    assert!(assumes > 1, "asked again before the verdict: {assumes}");
}
