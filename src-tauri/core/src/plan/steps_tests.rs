//! The spec of `StepId`: every variant's text, parsing back, the refused texts, and
//! the order of ids.
use super::*;

fn every_variant() -> Vec<(StepId, &'static str)> {
    vec![
        (StepId::policy("main"), "policy:main"),
        (StepId::User, "user"),
        (StepId::user_attach("arn:aws:iam::aws:policy/ReadOnlyAccess"), "user-attach:arn:aws:iam::aws:policy/ReadOnlyAccess"),
        (StepId::UserInline, "user-inline"),
        (StepId::AccessKey, "access-key"),
        (StepId::role("main"), "role:main"),
        (
            StepId::role_attach("main", "arn:aws:iam::123456789012:policy/seqera-batch-launch"),
            "role-attach:main:arn:aws:iam::123456789012:policy/seqera-batch-launch",
        ),
        (StepId::WaitAccessKey, "wait:access-key"),
        (StepId::wait_role("main"), "wait:role:main"),
        (StepId::EksAccessEntry, "eks:access-entry"),
        (StepId::EksAccessPolicy, "eks:access-policy"),
        (StepId::AccessKeyLost, "access-key-lost"),
        (StepId::RotateKey, "rotate-key"),
        (StepId::RotateWaitKey, "rotate:wait-key"),
        (StepId::RotateWaitRole, "rotate:wait-role"),
        (StepId::ExternalIdWaitRole { key: "main".into() }, "external-id:wait-role:main"),
        (StepId::SeqeraCredential, "seqera:credential"),
        (StepId::SeqeraExternalId, "seqera:external-id"),
        (StepId::SeqeraValidate, "seqera:validate"),
    ]
}

/// Fails to compile when a variant is added without a line in `every_variant`.
fn covered(id: &StepId) {
    match id {
        StepId::Policy { .. }
        | StepId::User
        | StepId::UserAttach { .. }
        | StepId::UserInline
        | StepId::AccessKey
        | StepId::Role { .. }
        | StepId::RoleAttach { .. }
        | StepId::WaitAccessKey
        | StepId::WaitRole { .. }
        | StepId::EksAccessEntry
        | StepId::EksAccessPolicy
        | StepId::AccessKeyLost
        | StepId::RotateKey
        | StepId::RotateWaitKey
        | StepId::RotateWaitRole
        | StepId::ExternalIdWaitRole { .. }
        | StepId::SeqeraCredential
        | StepId::SeqeraExternalId
        | StepId::SeqeraValidate => {}
    }
}

#[test]
fn every_variant_prints_its_journal_text_and_parses_back() {
    for (id, text) in every_variant() {
        covered(&id);
        assert_eq!(id.to_string(), text);
        let back: StepId = text.parse().unwrap();
        assert_eq!(back, id);
        assert_eq!(format!("{back:?}"), format!("{text:?}"), "Debug prints the text");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, serde_json::to_string(text).unwrap(), "serialized as its text");
        assert_eq!(serde_json::from_str::<StepId>(&json).unwrap(), id);
    }
    // The parsed variant carries the parts, not only the text.
    match "role-attach:main:arn:aws:iam::123456789012:policy/p".parse::<StepId>().unwrap() {
        StepId::RoleAttach { key, policy_arn } => {
            assert_eq!((key.as_str(), policy_arn.as_str()), ("main", "arn:aws:iam::123456789012:policy/p"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_role_key_with_a_colon_still_parses_to_its_attachment() {
    let id = StepId::role_attach("a:b", "arn:aws:iam::aws:policy/ReadOnlyAccess");
    match id.to_string().parse::<StepId>().unwrap() {
        StepId::RoleAttach { key, policy_arn } => {
            assert_eq!((key.as_str(), policy_arn.as_str()), ("a:b", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn malformed_ids_are_refused_with_the_reason() {
    for (text, why) in [
        ("", "expected policy:KEY"),
        ("users", "expected policy:KEY"),
        ("role", "expected policy:KEY"),
        ("wait:user", "expected policy:KEY"),
        ("policy:", "the policy key after the prefix is empty"),
        ("role:", "the role key after the prefix is empty"),
        ("wait:role:", "the role key after the prefix is empty"),
        ("user-attach:", "the policy ARN after the prefix is empty"),
        ("role-attach:main", "role-attach needs KEY:ARN"),
        ("role-attach::arn:aws:iam::aws:policy/X", "the role key after the prefix is empty"),
        ("role-attach:main:", "the policy ARN after the prefix is empty"),
    ] {
        let e = text.parse::<StepId>().unwrap_err();
        assert_eq!(e.text, text);
        assert!(e.to_string().starts_with(&format!("{text:?} is not a step id: ")), "{e}");
        assert!(e.why.contains(why), "{text:?}: {e}");
    }
    let e = serde_json::from_str::<StepId>("\"role\"").unwrap_err();
    assert!(e.to_string().contains("\"role\" is not a step id"), "{e}");
}

#[test]
fn ids_order_and_compare_as_their_text() {
    let mut ids: Vec<StepId> = every_variant().into_iter().map(|(id, _)| id).collect();
    ids.sort();
    let mut texts: Vec<&str> = every_variant().into_iter().map(|(_, t)| t).collect();
    texts.sort();
    assert_eq!(ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(), texts);
    assert!(StepId::WaitAccessKey == "wait:access-key");
    assert!(StepId::role("main") != "role:other");
}
