//! Unit tests of the checks: a wrong External ID never matches the condition, callers
//! map to their trust principal, and a live trust document is judged by the values the
//! run filled in (an open or unanchored condition fails with the fix).

use super::*;

#[test]
fn wrong_ids_never_match_the_condition() {
    let c = ExternalIdCondition::for_value("acme@*@*@read");
    assert_eq!(wrong_external_id(&c, "acme@i@s@read"), "acme@i@s@write");
    let c = ExternalIdCondition::for_value("abc-123");
    let w = wrong_external_id(&c, "abc-123");
    assert_ne!(w, "abc-123");
    let c = ExternalIdCondition::for_value("*");
    assert_eq!(wrong_external_id(&c, "x"), "rolegate-wrong-external-id");
}

#[test]
fn assumed_role_callers_map_to_their_role() {
    assert_eq!(trust_principal_for("arn:aws:sts::123456789012:assumed-role/Saas/s1"), "arn:aws:iam::123456789012:role/Saas");
    assert_eq!(trust_principal_for("arn:aws:iam::123456789012:user/u"), "arn:aws:iam::123456789012:user/u");
}

fn live_check(live_condition: Value, planned: &ExternalIdCondition) -> Check {
    let live = serde_json::json!({"Version":"2012-10-17","Statement":[{
        "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::324880187172:root"},"Action":"sts:AssumeRole","Condition":live_condition}]});
    let mut r = VerifyReport::new(OffsetDateTime::UNIX_EPOCH);
    check_trust_document(&mut r, &crate::events::discard(), "trust-policy", "arn:aws:iam::222222222222:role/x", &live.to_string(), planned);
    r.checks.remove(0)
}

#[test]
fn a_live_external_id_pattern_without_its_anchor_fails_with_the_fix() {
    let planned = ExternalIdCondition::for_value("acme@*@*@read");
    for open in [
        serde_json::json!({"StringLike": {"sts:ExternalId": "*"}}),
        serde_json::json!({"StringLike": {"sts:ExternalId": ["acme@*@*@read", "*"]}}),
        serde_json::json!({"StringLike": {"sts:ExternalId": "*@*@*@read"}}),
        serde_json::json!({"StringLike": {"sts:ExternalId": "acme*"}}),
    ] {
        let c = live_check(open.clone(), &planned);
        assert_eq!(c.status, CheckStatus::Failed, "{open}: {c:?}");
        assert!(c.reason.contains("External ID"), "{}", c.reason);
        let fix = c.fix.expect("a fix");
        assert!(fix.contains("\"StringLike\"") && fix.contains("acme@*@*@read"), "{fix}");
    }
    for ok in [
        serde_json::json!({"StringLike": {"sts:ExternalId": "acme@*@*@read"}}),
        serde_json::json!({"StringEquals": {"sts:ExternalId": "acme@i@s@read"}}),
    ] {
        let c = live_check(ok.clone(), &planned);
        assert_eq!(c.status, CheckStatus::Passed, "{ok}: {c:?}");
    }
}

#[test]
fn a_live_pattern_is_judged_by_the_values_the_run_filled_in() {
    let planned = ExternalIdCondition::for_value("acme@*@*@read").with_anchors(vec!["acme".into()]);
    let narrower = serde_json::json!({"StringLike": {"sts:ExternalId": "acme@int1@*@read"}});
    assert_eq!(live_check(narrower, &planned).status, CheckStatus::Passed);
    for open in ["*@acme", "acmecorp*", "*"] {
        let c = live_check(serde_json::json!({"StringLike": {"sts:ExternalId": open}}), &planned);
        assert_eq!(c.status, CheckStatus::Failed, "{open}");
    }
    // A plan made before the rule, with an open condition: the fix is not to paste it back.
    let old = ExternalIdCondition::for_value("*");
    let c = live_check(serde_json::json!({"StringLike": {"sts:ExternalId": "*"}}), &old);
    assert_eq!(c.status, CheckStatus::Failed);
    assert!(c.fix.unwrap().contains("Roll this run back"));
}

#[test]
fn trust_documents_without_external_id_fail_with_a_fix() {
    let mut r = VerifyReport::new(OffsetDateTime::UNIX_EPOCH);
    let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#;
    let cond = ExternalIdCondition::for_value("abc-123");
    check_trust_document(&mut r, &crate::events::discard(), "trust-policy", "arn:aws:iam::222222222222:role/x", open, &cond);
    assert_eq!(r.checks[0].status, CheckStatus::Failed);
    let fix = r.checks[0].fix.as_ref().unwrap();
    assert!(fix.contains("\"sts:ExternalId\": \"abc-123\"") && fix.contains("arn:aws:iam::111111111111:root"), "{fix}");
    assert!(!r.passed());
    let guarded = serde_json::to_string(&policy::trust_policy(&["arn:aws:iam::111111111111:root".into()], &cond)).unwrap();
    let mut r = VerifyReport::new(OffsetDateTime::UNIX_EPOCH);
    check_trust_document(&mut r, &crate::events::discard(), "trust-policy", "arn:aws:iam::222222222222:role/x", &guarded, &cond);
    assert_eq!(r.checks[0].status, CheckStatus::Passed);
    assert!(r.passed());
}
