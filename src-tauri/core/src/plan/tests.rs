//! The plan's spec: what `plan::build` makes of each built-in template and which
//! inputs it refuses, and that journals written before step ids were typed still load.

use super::*;
use crate::policy::ExternalIdCondition;
use crate::template::find_builtin;
use crate::template::ExternalIdSpec;
use crate::testing::FixedEntropy;

fn caller() -> CallerIdentity {
    CallerIdentity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/admin".into(), user_id: "AIDA".into() }
}

fn inputs(t: &str) -> RunInputs {
    RunInputs { template_id: t.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
}

#[test]
fn key_role_plan_has_every_call_in_dependency_waves() {
    let t = find_builtin("seqera-batch-launch").unwrap();
    let plan = build(&t, &inputs("seqera-batch-launch"), &caller(), "rg-test1", &FixedEntropy::default()).unwrap();
    let waves: Vec<Vec<String>> = plan.waves().iter().map(|w| w.iter().map(|s| s.id.to_string()).collect()).collect();
    assert_eq!(
        waves,
        vec![
            vec!["policy:main", "user"],
            vec!["user-inline", "access-key", "role:main"],
            vec!["role-attach:main:arn:aws:iam::123456789012:policy/seqera-batch-launch", "wait:access-key"],
            vec!["wait:role:main"],
        ]
    );
    let role = &plan.roles[0];
    assert_eq!(role.principals, ["arn:aws:iam::123456789012:user/seqera-launch"]);
    assert_eq!(role.external_id, "00000000-0000-4000-8000-000000000001");
    assert_eq!(role.trust_policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], role.external_id.as_str());
    assert_eq!(role.trust_policy["Statement"][1]["Action"], "sts:TagSession");
    let (_, inline) = plan.user.as_ref().unwrap().inline_policy.as_ref().unwrap();
    assert_eq!(inline["Statement"][0]["Resource"][0], "arn:aws:iam::123456789012:role/seqera-launch");
    assert!(plan.tags.contains(&Tag::new(RUN_TAG, "rg-test1")));
    assert!(!plan.blocked());
}

#[test]
fn role_plan_trusts_the_platform_in_the_callers_partition() {
    let t = find_builtin("seqera-cloud-role").unwrap();
    let mut c = caller();
    c.arn = "arn:aws-cn:iam::123456789012:user/admin".into();
    let plan = build(&t, &inputs("seqera-cloud-role"), &c, "rg-x", &FixedEntropy::default()).unwrap();
    assert_eq!(plan.roles[0].principals, ["arn:aws-cn:iam::161471496260:role/SeqeraPlatformCloudAccessRole"]);
    assert_eq!(plan.roles[0].arn, "arn:aws-cn:iam::123456789012:role/seqera-cloud-access");
    assert!(plan.user.is_none());
    assert!(plan.steps.iter().all(|s| !matches!(s.call, Call::WaitForRole { .. })));
}

#[test]
fn spacelift_external_ids_follow_the_pattern() {
    let t = find_builtin("spacelift").unwrap();
    let mut i = inputs("spacelift");
    i.variables.insert("spacelift_account".into(), "acme".into());
    let plan = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap();
    assert_eq!(plan.roles[0].external_id, "acme@rolegate-verify-read@rolegate-verify@read");
    assert_eq!(plan.roles[1].external_id, "acme@rolegate-verify-write@rolegate-verify@write", "each role its own integration");
    assert_eq!(
        plan.roles[1].condition,
        ExternalIdCondition { operator: "StringLike".into(), value: "acme@*@*@write".into(), anchors: vec!["acme".into()] }
    );
    assert_eq!(plan.roles[0].principals, ["arn:aws:iam::324880187172:root"]);
    assert_eq!(plan.roles[0].attach, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
}

#[test]
fn bad_inputs_name_their_fields() {
    let t = find_builtin("seqera-batch-launch").unwrap();
    let mut i = inputs("seqera-batch-launch");
    i.names.insert("user".into(), "bad name".into());
    i.names.insert("role:nope".into(), "x".into());
    i.region = "mars".into();
    i.path = "nopath".into();
    i.external_ids.insert("main".into(), "x".into());
    i.tags.push(Tag::new("aws:x", "y"));
    let errs = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap_err();
    let got: Vec<(String, String)> = errs.into_iter().map(|e| (e.field, e.rule)).collect();
    for want in [
        ("name.user", "iam-name-chars"),
        ("name.role:nope", "unknown-name"),
        ("region", "region"),
        ("path", "iam-path-slashes"),
        ("external_id.main", "external-id-length"),
        ("tags[0].key", "tag-key-reserved"),
    ] {
        assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} not in {got:?}");
    }
}

#[test]
fn custom_requires_a_policy_and_lints_it() {
    let t = find_builtin("custom").unwrap();
    let errs = build(&t, &inputs("custom"), &caller(), "rg-x", &FixedEntropy::default()).unwrap_err();
    assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("policy_file.main", "required"));
    let mut i = inputs("custom");
    i.policy_documents
        .insert("main".into(), serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}));
    let plan = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap();
    assert_eq!(plan.lints.len(), 1);
    assert_eq!(plan.lints[0].rule, "admin-grant");
    assert!(!plan.blocked(), "a warning does not block");
}

#[test]
fn an_unanchored_external_id_condition_blocks_the_plan() {
    // A template that skipped the loader's check (built in code, or sent whole)
    // still cannot plan an open trust.
    let mut i = inputs("spacelift");
    i.variables.insert("spacelift_account".into(), "acme".into());
    for (value, condition, open) in [
        ("acme@i@s@read", "*", true),
        ("acme@i@s@read", "*@*@*@read", true),
        ("rolegate-verify-read@x", "{{read_integration}}@*", true),
        ("acmeevil@i@s@read", "{{spacelift_account}}*", true),
        ("acme@i@s@read", "{{spacelift_account}}@*@*@read", false),
    ] {
        let mut t = find_builtin("spacelift").unwrap();
        t.roles[0].external_id = ExternalIdSpec::Pattern { value: value.into(), condition: condition.into() };
        let plan = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap();
        let hit = plan.lints.iter().find(|l| l.rule == "trust-external-id-unanchored");
        assert_eq!(plan.blocked(), open, "{condition}: {:?}", plan.lints);
        assert_eq!(hit.is_some(), open, "{condition}: {:?}", plan.lints);
        if let Some(l) = hit {
            assert_eq!((l.severity, l.field.as_str()), (Severity::Error, "trust.read.Statement[0].Condition"));
        }
    }
}

#[test]
fn an_open_third_party_trust_is_blocked() {
    // A custom role template trusting another account's role with a uuid External ID
    // is fine; replacing the principal with "*" is rejected as input.
    let t = find_builtin("seqera-cloud-role").unwrap();
    let mut i = inputs("seqera-cloud-role");
    i.trusted_principals = vec!["*".into()];
    let errs = build(&t, &i, &caller(), "rg-x", &FixedEntropy::default()).unwrap_err();
    assert_eq!(errs[0].rule, "principal-wildcard");
}

/// A journal `rolegate apply -t seqera-batch-launch` then `rolegate rotate-key` wrote
/// against the emulator before step ids were typed (its ids are the strings the plan
/// formatted; no secret is in it, as in every journal).
const OLD_JOURNAL: &str = include_str!("testdata/key-role-journal.json");

#[test]
fn a_journal_written_before_step_ids_were_typed_loads_with_the_same_steps() {
    use crate::journal::{Journal, Resource};

    let raw: Value = serde_json::from_str(OLD_JOURNAL).unwrap();
    let j: Journal = serde_json::from_str(OLD_JOURNAL).expect("the old journal loads");
    let arn = format!("arn:aws:iam::{}:policy/seqera-batch-launch", j.plan.account);
    let want = vec![
        StepId::policy("main"),
        StepId::User,
        StepId::UserInline,
        StepId::AccessKey,
        StepId::role("main"),
        StepId::role_attach("main", &arn),
        StepId::WaitAccessKey,
        StepId::wait_role("main"),
    ];
    assert_eq!(j.plan.steps.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), want);
    // Parsed into their parts, not only equal as text.
    assert!(matches!(&j.plan.steps[0].id, StepId::Policy { key } if key == "main"));
    assert!(matches!(&j.plan.steps[5].id, StepId::RoleAttach { key, policy_arn } if key == "main" && *policy_arn == arn));
    assert!(matches!(&j.plan.steps[7].id, StepId::WaitRole { key } if key == "main"));
    assert!(matches!(
        &j.plan.steps[7].after[..],
        [StepId::WaitAccessKey, StepId::Role { .. }, StepId::UserInline, StepId::RoleAttach { .. }]
    ));

    // A resume finds every journaled step in the plan, and each done: it redoes nothing.
    assert_eq!(j.steps.keys().cloned().collect::<Vec<_>>(), {
        let mut w = want.clone();
        w.sort();
        w
    });
    assert!(j.plan.steps.iter().all(|s| j.step_done(&s.id)), "{:?}", j.steps);
    assert!(j.plan.steps.iter().flat_map(|s| &s.after).all(|d| want.contains(d)));
    // Planning the same inputs today gives the same steps, in the same order and with
    // the same dependencies, so a resume of an unfinished run would run these.
    let t = find_builtin(&j.plan.template_id).unwrap();
    let caller = CallerIdentity { account: j.plan.account.clone(), arn: j.plan.caller_arn.clone(), user_id: String::new() };
    let today = build(&t, &j.inputs, &caller, &j.run_id, &FixedEntropy::default()).unwrap();
    let shape = |p: &Plan| p.steps.iter().map(|s| (s.id.clone(), s.after.clone())).collect::<Vec<_>>();
    assert_eq!(shape(&today), shape(&j.plan));

    // Each resource is recorded under the step of its kind; the rotated-out key is
    // deleted, the rotation's key is under `rotate-key`. A roll-back deletes the rest.
    for r in &j.resources {
        let fits = match (&r.resource, &r.step) {
            (Resource::Policy { .. }, StepId::Policy { key }) => key == "main",
            (Resource::User { .. }, StepId::User) | (Resource::UserInlinePolicy { .. }, StepId::UserInline) => true,
            (Resource::Role { .. }, StepId::Role { key }) => key == "main",
            (Resource::RolePolicyAttachment { policy_arn, .. }, StepId::RoleAttach { policy_arn: a, .. }) => a == policy_arn,
            (Resource::AccessKey { .. }, StepId::AccessKey) => r.deleted_at.is_some(),
            (Resource::AccessKey { id, .. }, StepId::RotateKey) => j.access_key_id.as_ref() == Some(id) && r.deleted_at.is_none(),
            _ => false,
        };
        assert!(fits, "{r:?}");
    }
    assert_eq!(j.deletion_order().len(), 6);

    // Written again, the journal is the same document: nothing renamed or lost.
    assert_eq!(serde_json::to_value(&j).unwrap(), raw);
}

#[test]
fn spacelifts_plan_role_gets_the_state_lock_only_when_asked() {
    let t = find_builtin("spacelift").unwrap();
    let mut inp = inputs("spacelift");
    inp.variables.insert("spacelift_account".into(), "acme".into());
    let plan = build(&t, &inp, &caller(), "rg-s1", &FixedEntropy::default()).unwrap();
    assert!(plan.policies.is_empty(), "no feature, no policy: {:?}", plan.policies);
    assert_eq!(plan.roles[0].attach, ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "nor its attachment");
    inp.features = vec!["state-lock-s3".into(), "state-lock-dynamodb".into()];
    inp.variables.insert("state_bucket".into(), "acme-tf-state".into());
    inp.variables.insert("lock_table".into(), "tf-locks".into());
    let plan = build(&t, &inp, &caller(), "rg-s1", &FixedEntropy::default()).unwrap();
    assert_eq!(plan.policies.len(), 1);
    let text = crate::policy::render(&plan.policies[0].document);
    assert!(text.contains("arn:aws:s3:::acme-tf-state/*.tflock") && text.contains("s3:PutObject"), "{text}");
    assert!(text.contains("arn:aws:dynamodb:eu-west-1:123456789012:table/tf-locks") && text.contains("dynamodb:PutItem"), "{text}");
    let read = plan.roles.iter().find(|r| r.key == "read").unwrap();
    let write = plan.roles.iter().find(|r| r.key == "write").unwrap();
    assert!(read.attach.contains(&plan.policies[0].arn), "the plan (read) role takes the lock");
    assert!(!write.attach.contains(&plan.policies[0].arn), "the write role has PowerUserAccess already");
}

#[test]
fn ticked_features_add_their_statements_and_unknown_ones_are_refused() {
    let t = find_builtin("seqera-eks").unwrap();
    let mut inp = inputs("seqera-eks");
    inp.variables.insert("work_bucket".into(), "acme-work".into());
    inp.variables.insert("eks_cluster".into(), "pipelines".into());
    inp.clusters.insert(
        service_accounts::cluster_key("eu-west-1", "pipelines"),
        ClusterFacts {
            issuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF".into(),
            ..Default::default()
        },
    );
    let plan = build(&t, &inp, &caller(), "rg-f1", &FixedEntropy::default()).unwrap();
    let text = crate::policy::render(&plan.policies[0].document);
    assert!(text.contains("arn:aws:s3:::acme-work/*") && !text.contains("s3:PutObject"), "{text}");
    inp.features = vec!["data-studios-s3".into()];
    inp.variables.insert("data_bucket".into(), "acme-data".into());
    let plan = build(&t, &inp, &caller(), "rg-f1", &FixedEntropy::default()).unwrap();
    let text = crate::policy::render(&plan.policies[0].document);
    assert!(text.contains("s3:PutObject") && text.contains("arn:aws:s3:::acme-data/*"), "{text}");
    // The simulated actions stay the mandatory ones.
    assert!(plan.user.as_ref().unwrap().verify_actions.iter().all(|a| !a.contains("Put")));
    inp.features.push("fsx".into());
    let errs = build(&t, &inp, &caller(), "rg-f1", &FixedEntropy::default()).unwrap_err();
    assert!(
        errs.iter().any(|e| e.field == "feature.fsx" && e.rule == "unknown-feature" && e.message.contains("data-studios-s3")),
        "{errs:?}"
    );
}
