//! Unit tests of the checks: a wrong External ID never matches the condition, callers
//! map to their trust principal, and a live trust document must be exactly the one the
//! run made (its principals, its External ID condition, nothing wider), each difference
//! named with its fix.

use serde_json::Value;

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

const PLATFORM: &str = "arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole";
const ROLE: &str = "arn:aws:iam::222222222222:role/seqera-cloud-access";

struct Planned {
    principals: Vec<String>,
    condition: ExternalIdCondition,
    external_id: String,
    document: Value,
    role_key: Option<&'static str>,
}

fn planned(principals: &[&str], external_id: &str, condition: ExternalIdCondition) -> Planned {
    let principals: Vec<String> = principals.iter().map(|p| p.to_string()).collect();
    let document = policy::trust_policy(&principals, &condition);
    Planned { principals, condition, external_id: external_id.into(), document, role_key: None }
}

fn seqera() -> Planned {
    planned(&[PLATFORM], "ext-4f1d", ExternalIdCondition::for_value("ext-4f1d"))
}

fn spacelift() -> Planned {
    let c = ExternalIdCondition::for_value("acme@*@*@read").with_anchors(vec!["acme".into()]);
    Planned { role_key: Some("read"), ..planned(&["arn:aws:iam::324880187172:root"], "acme@int@stack@read", c) }
}

fn judge(p: &Planned, live: &Value) -> Check {
    let expected = ExpectedTrust {
        run_id: "rg-0a1b2c3d4e5f",
        role_key: p.role_key,
        role_arn: ROLE,
        role_name: "seqera-cloud-access",
        principals: &p.principals,
        condition: &p.condition,
        external_id: &p.external_id,
        document: &p.document,
        made_by: crate::checks::MadeBy::Run,
    };
    let mut r = VerifyReport::new(OffsetDateTime::UNIX_EPOCH);
    check_trust_document(&mut r, &crate::events::discard(), "trust-policy", &expected, &live.to_string());
    assert_eq!(r.checks.len(), 1);
    r.checks.remove(0)
}

/// The planned document with `extra` statements added.
fn with_statements(p: &Planned, extra: &[Value]) -> Value {
    let mut doc = p.document.clone();
    doc["Statement"].as_array_mut().unwrap().extend(extra.iter().cloned());
    doc
}

fn failed(c: Check) -> (String, String) {
    assert_eq!(c.status, CheckStatus::Failed, "{c:?}");
    (c.reason, c.fix.expect("a failure carries its fix"))
}

#[test]
fn the_trust_policy_the_run_made_passes_tag_session_and_denials_included() {
    let p = seqera();
    assert_eq!(p.document["Statement"][1]["Action"], "sts:TagSession", "the plans add TagSession");
    let c = judge(&p, &p.document);
    assert_eq!(c.status, CheckStatus::Passed, "{c:?}");
    assert!(c.reason.contains(PLATFORM) && c.reason.contains("ext-4f1d"), "{}", c.reason);
    // A denial narrows; it is no difference. The Sid and key case do not matter either.
    let live = with_statements(
        &p,
        &[
            serde_json::json!({"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"false"}}}),
        ],
    );
    assert_eq!(judge(&p, &live).status, CheckStatus::Passed);
    let mut renamed = p.document.clone();
    renamed["Statement"][0]["Sid"] = "Seqera".into();
    renamed["Statement"][0]["Principal"]["AWS"] = serde_json::json!([PLATFORM]);
    assert_eq!(judge(&p, &renamed).status, CheckStatus::Passed);
    // Several principals compare as a set.
    let two = planned(&["arn:aws:iam::111111111111:root", PLATFORM], "ext-4f1d", ExternalIdCondition::for_value("ext-4f1d"));
    let mut swapped = two.document.clone();
    swapped["Statement"][0]["Principal"]["AWS"] = serde_json::json!([PLATFORM, "arn:aws:iam::111111111111:root"]);
    assert_eq!(judge(&two, &swapped).status, CheckStatus::Passed);
}

#[test]
fn a_second_statement_trusting_another_account_fails_naming_it_with_the_document_to_restore() {
    let p = seqera();
    let other = serde_json::json!({"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},
        "Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-4f1d"}}});
    let (reason, fix) = failed(judge(&p, &with_statements(&p, &[other])));
    assert!(reason.contains("\"Partner\"") && reason.contains("arn:aws:iam::999988887777:root"), "{reason}");
    assert!(fix.contains("update-assume-role-policy --role-name seqera-cloud-access"), "{fix}");
    let restored: Value = serde_json::from_str(&fix[fix.find('{').unwrap()..=fix.rfind('}').unwrap()]).unwrap();
    assert_eq!(restored, p.document, "the fix is the trust policy the run made");
}

#[test]
fn anything_wider_fails() {
    let p = seqera();
    let cases = [
        // Anyone at all, even with the External ID.
        (
            serde_json::json!({"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-4f1d"}}}),
            "any principal",
        ),
        (serde_json::json!({"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}), "any principal"),
        // sts:* or * to someone else.
        (serde_json::json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:user/x"},"Action":"sts:*"}), "999988887777"),
        (
            serde_json::json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:user/x"},"Action":"*","Condition":{"StringEquals":{"sts:ExternalId":"z"}}}),
            "999988887777",
        ),
        // A service, or everyone but one (NotPrincipal), or every action but one (NotAction).
        (
            serde_json::json!({"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}),
            "Service:ec2.amazonaws.com",
        ),
        (serde_json::json!({"Effect":"Allow","NotPrincipal":{"AWS":PLATFORM},"Action":"sts:AssumeRole"}), "any principal"),
        (serde_json::json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"NotAction":"iam:*"}), "999988887777"),
        // The platform itself, without the condition (the confused deputy).
        (serde_json::json!({"Effect":"Allow","Principal":{"AWS":PLATFORM},"Action":"sts:AssumeRole"}), "without an External ID"),
        // The condition only if the key is present: IfExists does not require it.
        (
            serde_json::json!({"Effect":"Allow","Principal":{"AWS":PLATFORM},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"sts:ExternalId":"ext-4f1d"}}}),
            "without an External ID",
        ),
    ];
    for (extra, named) in cases {
        let c = judge(&p, &with_statements(&p, std::slice::from_ref(&extra)));
        let (reason, fix) = failed(c);
        assert!(reason.contains(named), "{extra}: {reason}");
        assert!(fix.contains("\"AssumeWithExternalId\""), "{extra}: the fix restores the document: {fix}");
    }
    // The TagSession statement granted to another account lets nobody assume the role.
    let tag = serde_json::json!({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:TagSession"});
    assert_eq!(judge(&p, &with_statements(&p, &[tag])).status, CheckStatus::Passed);
}

#[test]
fn principals_of_the_guarded_statement_must_be_the_plans() {
    let p = seqera();
    let mut more = p.document.clone();
    more["Statement"][0]["Principal"]["AWS"] = serde_json::json!([PLATFORM, "arn:aws:iam::999988887777:root"]);
    let (reason, _) = failed(judge(&p, &more));
    assert!(reason.contains("also trusts arn:aws:iam::999988887777:root"), "{reason}");
    let two = planned(&["arn:aws:iam::111111111111:root", PLATFORM], "ext-4f1d", ExternalIdCondition::for_value("ext-4f1d"));
    let (reason, _) = failed(judge(&two, &p.document));
    assert!(reason.contains("no longer trusts arn:aws:iam::111111111111:root"), "{reason}");
    let mut all_sts = p.document.clone();
    all_sts["Statement"][0]["Action"] = "sts:*".into();
    let (reason, _) = failed(judge(&p, &all_sts));
    assert!(reason.contains("rather than sts:AssumeRole alone"), "{reason}");
    // No statement for the plan's principal at all.
    let gone = serde_json::json!({"Version":"2012-10-17","Statement":[p.document["Statement"][1].clone()]});
    let (reason, _) = failed(judge(&p, &gone));
    assert!(reason.contains(&format!("no statement lets {PLATFORM} assume the role")), "{reason}");
}

#[test]
fn only_the_external_id_differing_is_fixed_with_set_external_id() {
    let p = seqera();
    let mut live = p.document.clone();
    live["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "seqera-made-77".into();
    let (reason, fix) = failed(judge(&p, &live));
    assert!(reason.contains("seqera-made-77") && reason.contains("ext-4f1d"), "{reason}");
    assert!(fix.contains("rolegate set-external-id rg-0a1b2c3d4e5f seqera-made-77"), "adopt the platform's value: {fix}");
    assert!(fix.contains("rolegate set-external-id rg-0a1b2c3d4e5f ext-4f1d"), "or put back the run's: {fix}");
    // Several values (ORed) are wider: the whole statement is restored.
    live["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = serde_json::json!(["ext-4f1d", "other"]);
    let (_, fix) = failed(judge(&p, &live));
    assert!(fix.contains("update-assume-role-policy"), "{fix}");
    // The same value under another operator is a difference too.
    live["Statement"][0]["Condition"] = serde_json::json!({"StringLike": {"sts:ExternalId": "ext-4f1d"}});
    let (reason, _) = failed(judge(&p, &live));
    assert!(reason.contains("StringLike"), "{reason}");
}

#[test]
fn a_pattern_role_must_keep_the_templates_pattern() {
    let p = spacelift();
    assert_eq!(judge(&p, &p.document).status, CheckStatus::Passed);
    for other in ["*", "acme*", "*@*@*@read", "acme@int1@*@read", "acme@*@*@write"] {
        let mut live = p.document.clone();
        live["Statement"][0]["Condition"]["StringLike"]["sts:ExternalId"] = other.into();
        let (reason, fix) = failed(judge(&p, &live));
        assert!(reason.contains(other) && reason.contains("acme@*@*@read"), "{other}: {reason}");
        assert!(fix.contains("rolegate set-external-id rg-0a1b2c3d4e5f read=acme@int@stack@read"), "{other}: {fix}");
    }
    let mut exact = p.document.clone();
    exact["Statement"][0]["Condition"] = serde_json::json!({"StringEquals": {"sts:ExternalId": "acme@i@s@read"}});
    failed(judge(&p, &exact));
}

#[test]
fn an_open_condition_the_run_itself_planned_is_not_offered_back() {
    let p = planned(&["arn:aws:iam::324880187172:root"], "x", ExternalIdCondition::for_value("*"));
    let (reason, fix) = failed(judge(&p, &p.document));
    assert!(reason.contains("open"), "{reason}");
    assert!(fix.contains("Roll this run back (rolegate rollback rg-0a1b2c3d4e5f)"), "{fix}");
}

#[test]
fn an_unreadable_trust_policy_fails() {
    let p = seqera();
    let expected = ExpectedTrust {
        run_id: "r",
        role_key: None,
        role_arn: ROLE,
        role_name: "x",
        principals: &p.principals,
        condition: &p.condition,
        external_id: &p.external_id,
        document: &p.document,
        made_by: crate::checks::MadeBy::Run,
    };
    let mut r = VerifyReport::new(OffsetDateTime::UNIX_EPOCH);
    check_trust_document(&mut r, &crate::events::discard(), "trust-policy", &expected, "{not json");
    assert_eq!(r.checks[0].status, CheckStatus::Failed);
    assert!(!r.passed());
}
