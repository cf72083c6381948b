//! Tests of plans.rs: whatever the page sends to `start_run`, the run recorded is the
//! core's plan for the held template, the inputs and the caller, and the one reviewed.

use std::sync::{Arc, Mutex};

use serde_json::json;

use rolegate_core::journal::FileJournalStore;
use rolegate_core::plan::{self, RunInputs};
use rolegate_core::ports::CallerIdentity;
use rolegate_core::propagation::PollSettings;
use rolegate_core::template::{self, Template};
use rolegate_core::testing::aws::FakeAws;
use rolegate_core::testing::{FixedEntropy, ManualClock, MemoryVault};
use rolegate_core::Engine;

use super::{start, Plans, StartRequest, TemplateRef};

const ACCOUNT: &str = "111122223333";

fn caller() -> CallerIdentity {
    CallerIdentity { account: ACCOUNT.into(), arn: format!("arn:aws:iam::{ACCOUNT}:user/admin"), user_id: "AIDAEXAMPLE".into() }
}

fn engine(dir: &std::path::Path) -> Engine {
    let clock = Arc::new(ManualClock::new());
    Engine {
        connect: Arc::new(FakeAws::new(ACCOUNT, clock.clone())),
        vault: Arc::new(MemoryVault::default()),
        store: Arc::new(FileJournalStore::new(dir)),
        fleets: Arc::new(rolegate_core::fleet::FleetStore::new(dir.join("fleets"))),
        clock,
        entropy: Arc::new(FixedEntropy::with_jitter(0)),
        events: rolegate_core::events::discard(),
        poll: PollSettings::default(),
    }
}

fn inputs(template_id: &str) -> RunInputs {
    RunInputs { template_id: template_id.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
}

fn builtin(id: &str) -> TemplateRef {
    TemplateRef::Builtin { id: id.into() }
}

/// Review `template` with `inputs`; returns the plans, the reviewed plan and the request.
fn reviewed(e: &Engine, t: &TemplateRef, i: &RunInputs) -> (Mutex<Plans>, plan::Plan, StartRequest) {
    let mut plans = Plans::default();
    let p = plans.plan(t, i, &caller(), &e.entropy.run_id(), e.entropy.as_ref()).expect("the core plans it");
    let req = StartRequest { plan_id: p.run_id.clone(), template: t.clone(), inputs: i.clone(), acknowledged: false };
    (Mutex::new(plans), p, req)
}

#[test]
fn a_request_that_differs_from_the_reviewed_plan_is_refused_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let t = builtin("seqera-cloud-role");
    let honest = inputs("seqera-cloud-role");
    let (plans, reviewed_plan, req) = reviewed(&e, &t, &honest);

    let mut open_trust = req.clone();
    open_trust.inputs.trusted_principals = vec!["*".into()];
    let mut admin_doc = req.clone();
    admin_doc
        .inputs
        .policy_documents
        .insert("main".into(), json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}));
    let mut other_role = req.clone();
    other_role.inputs.names.insert("role:main".into(), "SomeoneElsesRole".into());
    let mut other_template = req.clone();
    other_template.template = builtin("seqera-batch-forge");
    other_template.inputs.template_id = "seqera-batch-forge".into();
    for (what, bad) in
        [("open trust", open_trust), ("admin document", admin_doc), ("renamed role", other_role), ("other template", other_template)]
    {
        let err = start(&e, &plans, &bad, &caller()).expect_err(what);
        assert!(matches!(err.code, "plan-changed" | "invalid-input"), "{what}: {} {}", err.code, err.message);
    }
    // A different identity than the one the plan was reviewed for.
    let other = CallerIdentity { account: "444455556666".into(), arn: "arn:aws:iam::444455556666:user/x".into(), user_id: "AIDAX".into() };
    let err = start(&e, &plans, &req, &other).unwrap_err();
    assert_eq!(err.code, "plan-changed", "{}", err.message);
    assert!(err.message.contains("444455556666"), "{}", err.message);
    assert!(e.store.list().unwrap().is_empty(), "no run was recorded");

    // The honest request starts exactly the reviewed plan, which is the core's plan.
    let run = start(&e, &plans, &req, &caller()).expect("the reviewed plan starts");
    assert_eq!(run.plan, reviewed_plan);
    let core = plan::build(
        &template::find_builtin("seqera-cloud-role").unwrap(),
        &run.inputs,
        &caller(),
        &run.run_id,
        &FixedEntropy::with_jitter(0),
    )
    .unwrap();
    assert_eq!(e.store.load(&run.run_id).unwrap().plan, core, "the journal holds the core's plan");
    // Once started, the same review cannot start a second run.
    assert_eq!(start(&e, &plans, &req, &caller()).unwrap_err().code, "plan-not-reviewed");
}

#[test]
fn a_step_of_the_page_s_own_is_refused_the_request_has_no_plan_to_tamper_with() {
    // What the page sent before: a whole plan, here with one call of its own added.
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let (_, mut p, req) = reviewed(&e, &builtin("ecr-wave-readonly"), &inputs("ecr-wave-readonly"));
    let mut extra = p.steps[0].clone();
    extra.id = plan::StepId::policy("extra");
    p.steps.push(extra);
    let mut sent = serde_json::to_value(&req).unwrap();
    sent["plan"] = serde_json::to_value(&p).unwrap();
    let err = serde_json::from_value::<StartRequest>(sent).unwrap_err();
    assert!(err.to_string().contains("unknown field `plan`"), "{err}");
    // And a plan id the core never handed out starts nothing.
    let plans = Mutex::new(Plans::default());
    let forged = StartRequest { plan_id: p.run_id.clone(), ..req };
    assert_eq!(start(&e, &plans, &forged, &caller()).unwrap_err().code, "plan-not-reviewed");
    assert!(e.store.list().unwrap().is_empty());
}

#[test]
fn a_loaded_template_is_the_one_rust_read_and_a_generated_external_id_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let mut t: Template = template::find_builtin("seqera-cloud-role").unwrap();
    t.id = "my-cloud-role".into();
    let mut plans = Plans::default();
    let loaded = plans.add_file(t);
    assert_eq!(loaded.reference, TemplateRef::File { key: "file-1".into() });
    // The inputs name no External ID: the core draws one, and the start keeps it.
    let i = inputs("my-cloud-role");
    let p = plans.plan(&loaded.reference, &i, &caller(), &e.entropy.run_id(), e.entropy.as_ref()).unwrap();
    let plans = Mutex::new(plans);
    let req = StartRequest { plan_id: p.run_id.clone(), template: loaded.reference.clone(), inputs: i, acknowledged: false };
    let run = start(&e, &plans, &req, &caller()).unwrap();
    assert_eq!(run.plan, p);
    assert_eq!(run.inputs.external_ids.get("main"), Some(&p.roles[0].external_id));
    // A key no file was loaded under names nothing.
    let unknown = Plans::default().template(&TemplateRef::File { key: "file-9".into() }).unwrap_err();
    assert_eq!(unknown.fields[0].field, "template");
}

/// A plan naming a way to administrator access starts only when the request carries the
/// person's acknowledgement; refused without it, it stays reviewed and nothing is recorded.
#[test]
fn a_way_to_admin_access_starts_only_when_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let (plans, p, req) = reviewed(&e, &builtin("seqera-aws-cloud"), &inputs("seqera-aws-cloud"));
    assert!(!p.needs_acknowledgement().is_empty(), "the template names a way to administrator access");
    let err = start(&e, &plans, &req, &caller()).unwrap_err();
    assert_eq!(err.code, "acknowledgement-required", "{}", err.message);
    assert!(e.store.list().unwrap().is_empty(), "nothing was recorded");
    let run = start(&e, &plans, &StartRequest { acknowledged: true, ..req }, &caller()).expect("acknowledged, the reviewed plan starts");
    assert_eq!(run.plan, p);

    // A plan with nothing to acknowledge starts without the tick.
    let (plans, _, req) = reviewed(&e, &builtin("ecr-wave-readonly"), &inputs("ecr-wave-readonly"));
    start(&e, &plans, &req, &caller()).expect("nothing to acknowledge");
}
