//! Lints: findings about a document that the person must see before anything is made.
//! Errors block the plan (an open trust, an External ID condition that any customer of
//! the platform could satisfy); warnings are shown, and those that name a way to gain
//! administrator access must be acknowledged in the app.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::{action_matches, as_list, principal_values, strings, DocKind};

/// How serious a lint is: errors stop the plan, warnings are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Lint {
    pub severity: Severity,
    pub field: String,
    pub rule: String,
    pub message: String,
    /// The person must say they have read this warning before the run starts (the app
    /// asks for a tick): it names a way for the new identity to make itself an
    /// administrator.
    #[serde(default)]
    pub acknowledge: bool,
}

impl Lint {
    fn error(field: &str, rule: &str, message: impl Into<String>) -> Lint {
        Lint { severity: Severity::Error, field: field.into(), rule: rule.into(), message: message.into(), acknowledge: false }
    }
    fn warning(field: &str, rule: &str, message: impl Into<String>) -> Lint {
        Lint { severity: Severity::Warning, field: field.into(), rule: rule.into(), message: message.into(), acknowledge: false }
    }
    fn escalation(field: &str, rule: &str, message: impl Into<String>) -> Lint {
        Lint { acknowledge: true, ..Lint::warning(field, rule, message) }
    }
}

/// What the lints need to know beyond the document.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintContext<'a> {
    /// The account the document is created in; principals elsewhere are third parties.
    pub own_account: Option<&'a str>,
    /// For a trust policy the plan made: the values the run fills into its External ID
    /// condition (see [`check_external_id_anchor`]). Without them only conditions that
    /// begin with a wildcard are caught.
    pub external_id_anchors: Option<&'a [String]>,
}

fn is_wildcard(c: char) -> bool {
    c == '*' || c == '?'
}

/// Characters a variable's value may hold (`validate::pattern_variable`), so none of
/// them can close one.
fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The External ID anchor rule, applied alike when a template is loaded, when a plan
/// is linted and when the live trust policy is checked.
///
/// `anchors` are the values the run fills into the condition: the values of the
/// template's variables that have no default (when a template is loaded, their
/// `{{name}}` placeholders), or the whole External ID where the run generated it or
/// was given it. A condition value is anchored when its fixed beginning (the text
/// before the first `*` or `?` of a `StringLike` pattern; all of a `StringEquals`
/// value) contains an anchor that is closed by a fixed separator: a character a value
/// cannot hold (anything but letters, digits and `_.-`), or the end of the value.
/// Built-in values (`{{account}}`, `{{partition}}`, `{{region}}`) are not anchors:
/// anyone who knows the role's ARN knows them.
///
/// So `acme@*@*@read` (Spacelift, anchor `acme`) is the loosest shape allowed, and `*`,
/// `*@*@*@read`, `*@acme` (a wildcard before the anchor: another customer's ID that
/// merely ends in it matches), `acme*` and `acme-*` (`acme-corp@...` matches) are not.
pub fn check_external_id_anchor(operator: &str, value: &str, anchors: &[String]) -> Result<(), String> {
    check_external_id_shape(operator, value)?;
    let fixed_len = if operator == "StringLike" { value.find(is_wildcard).unwrap_or(value.len()) } else { value.len() };
    let head = &value[..fixed_len];
    let anchors: Vec<&str> = anchors.iter().map(String::as_str).filter(|a| !a.is_empty()).collect();
    if anchors.is_empty() {
        return Err(format!(
            "nothing in {value:?} is filled in by the run (a variable without a default, or a generated External ID), so it is the same for every customer of the platform; {LOOSEST}"
        ));
    }
    let mut not_delimited = None;
    for a in &anchors {
        for (i, _) in head.match_indices(a) {
            let next = &value[i + a.len()..];
            // A value may go on with letters, digits, `_.-` or another placeholder; a
            // wildcard or such a character after it lets a longer value match too.
            let continues = next.starts_with("{{") || next.starts_with(|c: char| is_wildcard(c) || is_value_char(c));
            if !continues {
                return Ok(());
            }
            not_delimited = Some(*a);
        }
    }
    Err(match not_delimited {
        Some(a) => format!(
            "in {value:?} the value {a:?} is not closed by a fixed separator (a character other than letters, digits and _.-, or the end), so a longer one that begins the same (another customer's) also matches; write it as in {a}@*"
        ),
        None => format!(
            "the fixed beginning of {value:?} ({head:?}) contains none of the values the run fills in ({}); {LOOSEST}",
            anchors.join(", ")
        ),
    })
}

const LOOSEST: &str = "the loosest shape allowed is Spacelift's <account>@*@*@read, where <account> is filled in by the run";

/// The part of the anchor rule that needs no knowledge of the run: a `StringLike`
/// value must not be only wildcards nor begin with one.
pub fn check_external_id_shape(operator: &str, value: &str) -> Result<(), String> {
    if operator != "StringLike" {
        return Ok(());
    }
    if value.chars().all(is_wildcard) {
        return Err(format!(
            "{value:?} is only wildcards: it accepts any External ID, so any customer of the platform could reach this role"
        ));
    }
    if value.starts_with(is_wildcard) {
        return Err(format!(
            "{value:?} begins with a wildcard, so an External ID another customer of the platform can produce also matches; {LOOSEST}"
        ));
    }
    Ok(())
}

/// The `sts:ExternalId` conditions of a statement: (operator, values), for the
/// operators that test it (`StringEquals`, `StringLike`).
pub fn external_id_conditions(st: &Value) -> Vec<(String, Vec<String>)> {
    let Some(ops) = st.get("Condition").and_then(Value::as_object) else {
        return Vec::new();
    };
    ops.iter()
        .filter(|(op, _)| matches!(op.as_str(), "StringEquals" | "StringLike"))
        .filter_map(|(op, keys)| {
            let (_, v) = keys.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("sts:ExternalId"))?;
            Some((op.clone(), strings(Some(v)).into_iter().map(String::from).collect()))
        })
        .collect()
}

/// Why none of a statement's External ID conditions is anchored (they are ANDed, so
/// one anchored condition is enough; its values are ORed, so each must be anchored).
pub fn unanchored_reason(conditions: &[(String, Vec<String>)], check: impl Fn(&str, &str) -> Result<(), String>) -> Option<String> {
    let mut reason = None;
    for (op, values) in conditions {
        match values.iter().find_map(|v| check(op, v).err()) {
            None if !values.is_empty() => return None,
            None => reason = Some(format!("{op} sts:ExternalId has no value")),
            Some(r) => reason = Some(r),
        }
    }
    reason
}

/// Lint a document for dangerous grants.
///
/// Errors: `Principal: "*"` in a trust policy; a third-party principal allowed to
/// `sts:AssumeRole` without an `sts:ExternalId` condition (the confused deputy), or
/// with one that breaks [`check_external_id_anchor`].
/// Warnings: `Action "*"` on `Resource "*"`; `iam:PassRole` on `"*"`; role creation
/// together with unrestricted policy attachment or inline policy writing (the holder
/// can make itself an administrator; to be acknowledged).
pub fn lint(field: &str, doc: &Value, kind: DocKind, ctx: &LintContext<'_>) -> Vec<Lint> {
    let mut out = Vec::new();
    let statements: Vec<&Value> = doc.get("Statement").map(as_list).unwrap_or_default();
    for (i, st) in statements.iter().enumerate() {
        let sf = format!("{field}.Statement[{i}]");
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let actions = strings(st.get("Action"));
        match kind {
            DocKind::Trust => {
                let principals = principal_values(st.get("Principal"));
                if principals.iter().any(|p| p == "*") {
                    out.push(Lint::error(
                        &format!("{sf}.Principal"),
                        "trust-principal-wildcard",
                        "Principal \"*\" lets any AWS account assume this role; name the trusted account or role",
                    ));
                }
                if !actions.iter().any(|a| action_matches(a, "sts:AssumeRole")) {
                    continue;
                }
                let conditions = external_id_conditions(st);
                if conditions.is_empty() {
                    let third: Vec<&String> = principals
                        .iter()
                        .filter(|p| p.as_str() != "*")
                        .filter(|p| match (ctx.own_account, principal_account(p)) {
                            (Some(own), Some(acct)) => own != acct,
                            _ => true,
                        })
                        .collect();
                    if !third.is_empty() {
                        out.push(Lint::error(
                            &format!("{sf}.Condition"),
                            "trust-missing-external-id",
                            format!(
                                "{} may assume this role without an sts:ExternalId condition: any customer of that party could point it at your account (the confused deputy). Add Condition StringEquals sts:ExternalId",
                                third.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    }
                    continue;
                }
                let reason = unanchored_reason(&conditions, |op, v| match ctx.external_id_anchors {
                    Some(anchors) => check_external_id_anchor(op, v, anchors),
                    // Without the run's values only the shape can be judged.
                    None => check_external_id_shape(op, v),
                });
                if let Some(r) = reason {
                    out.push(Lint::error(
                        &format!("{sf}.Condition"),
                        "trust-external-id-unanchored",
                        format!("the External ID condition does not pin the role to this customer: {r}"),
                    ));
                }
            }
            DocKind::Managed | DocKind::Inline => {
                let resources = strings(st.get("Resource"));
                let all_resources = resources.contains(&"*");
                if all_resources && actions.iter().any(|a| *a == "*" || *a == "*:*") {
                    out.push(Lint::warning(&sf, "admin-grant", "Action \"*\" on Resource \"*\" grants full administrator access"));
                }
                if all_resources && actions.iter().any(|a| *a != "*" && *a != "*:*" && action_matches(a, "iam:PassRole")) {
                    out.push(Lint::warning(
                        &sf,
                        "passrole-wildcard",
                        "iam:PassRole on Resource \"*\" lets the holder hand any role in the account to a service; limit it to the roles it needs",
                    ));
                }
            }
        }
    }
    if kind != DocKind::Trust && !out.iter().any(|l| l.rule == "admin-grant") {
        out.extend(role_escalation(field, &statements));
    }
    out
}

/// The resources a statement applies to (`NotResource` counts as everything).
fn resources_of(st: &Value) -> Vec<&str> {
    if st.get("NotResource").is_some() {
        vec!["*"]
    } else {
        strings(st.get("Resource"))
    }
}

/// Whether two resource patterns can name the same resource: their fixed beginnings
/// (before the first wildcard) agree as far as the shorter one goes.
fn may_overlap(a: &str, b: &str) -> bool {
    let head = |s: &str| s.find(is_wildcard).map(|i| s[..i].to_string());
    match (head(a), head(b)) {
        (None, None) => a == b,
        (Some(h), None) => b.starts_with(&h),
        (None, Some(h)) => a.starts_with(&h),
        (Some(x), Some(y)) => x.starts_with(&y) || y.starts_with(&x),
    }
}

/// Whether a statement's Condition tests `key` with fixed values only (so a wildcard
/// cannot let every value through).
fn limited_by(st: &Value, key: &str) -> bool {
    let Some(ops) = st.get("Condition").and_then(Value::as_object) else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        matches!(op.as_str(), "StringEquals" | "StringLike" | "ArnEquals" | "ArnLike")
            && keys.as_object().is_some_and(|k| {
                k.iter().any(|(name, v)| {
                    let values = strings(Some(v));
                    name.eq_ignore_ascii_case(key) && !values.is_empty() && values.iter().all(|x| !x.contains(is_wildcard))
                })
            })
    })
}

/// Role creation plus attaching any managed policy, or writing any inline policy, to
/// the roles it creates: the holder makes a role, gives it AdministratorAccess (or
/// `"Action": "*"`) and uses it, by assuming it or by passing it to a service that
/// runs the holder's code.
fn role_escalation(field: &str, statements: &[&Value]) -> Vec<Lint> {
    let allows = |st: &Value, action: &str| {
        st.get("Effect").and_then(Value::as_str) == Some("Allow") && strings(st.get("Action")).iter().any(|a| action_matches(a, action))
    };
    let created: Vec<&str> = statements.iter().filter(|st| allows(st, "iam:CreateRole")).flat_map(|st| resources_of(st)).collect();
    if created.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        let sf = format!("{field}.Statement[{i}]");
        let on_created = resources_of(st).iter().any(|r| created.iter().any(|c| may_overlap(r, c)));
        if !on_created || limited_by(st, "iam:PermissionsBoundary") {
            continue;
        }
        if allows(st, "iam:AttachRolePolicy") && !limited_by(st, "iam:PolicyARN") {
            out.push(Lint::escalation(
                &sf,
                "role-escalation-attach",
                "iam:CreateRole together with iam:AttachRolePolicy that no iam:PolicyARN condition limits: the holder can create a role, attach AdministratorAccess to it and act through it (assume it, or pass it to a service that runs its code), which is administrator access in effect. Limit AttachRolePolicy with Condition ArnEquals iam:PolicyARN to the policies it needs.",
            ));
        }
        if allows(st, "iam:PutRolePolicy") {
            out.push(Lint::escalation(
                &sf,
                "role-escalation-inline",
                "iam:CreateRole together with iam:PutRolePolicy: the holder can create a role, write any inline policy into it (\"Action\": \"*\" included) and act through it (assume it, or pass it to a service that runs its code), which is administrator access in effect. No condition limits what an inline policy says; only a required permissions boundary (iam:PermissionsBoundary) caps it.",
            ));
        }
    }
    out
}

/// The account a principal string belongs to, if it names one.
fn principal_account(p: &str) -> Option<&str> {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        return Some(p);
    }
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    (parts.len() == 6).then(|| parts[4])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::{trust_policy, ExternalIdCondition};

    #[test]
    fn the_anchor_rule_at_its_boundaries() {
        let acme = ["acme".to_string()];
        let like = |v: &str, a: &[String]| check_external_id_anchor("StringLike", v, a);
        // Allowed: the run's value first, then a fixed character (or nothing more).
        for ok in ["acme@*@*@read", "acme@*", "acme@?", "x-acme@*", "acme", "acme@i@s@read", "acme:*"] {
            assert_eq!(like(ok, &acme), Ok(()), "{ok}");
        }
        assert_eq!(check_external_id_anchor("StringEquals", "acme@i@s@read", &acme), Ok(()));
        assert_eq!(check_external_id_anchor("StringEquals", "8f0c-uuid", &["8f0c-uuid".into()]), Ok(()));
        // Refused, each for its reason.
        let refused = |v: &str, a: &[String], why: &str| {
            let e = like(v, a).expect_err(v);
            assert!(e.contains(why), "{v}: {e}");
        };
        refused("*", &acme, "only wildcards");
        refused("?", &acme, "only wildcards");
        refused("*?*", &acme, "only wildcards");
        refused("*@*@*@read", &acme, "begins with a wildcard");
        refused("*@acme", &acme, "begins with a wildcard");
        refused("?acme@*", &acme, "begins with a wildcard");
        refused("acme*", &acme, "not closed by a fixed separator");
        refused("acme?@read", &acme, "not closed by a fixed separator");
        refused("acme-*", &acme, "not closed by a fixed separator");
        refused("acmecorp*", &acme, "not closed by a fixed separator");
        refused("acme.x@*", &acme, "not closed by a fixed separator");
        refused("other@*@*@read", &acme, "contains none of the values");
        refused("ac*me@read", &acme, "contains none of the values");
        refused("acme@*", &[], "nothing in");
        refused("acme@*", &["".into()], "nothing in");
        let e = check_external_id_anchor("StringEquals", "shared-by-all", &acme).unwrap_err();
        assert!(e.contains("contains none"), "{e}");
        // The shape alone, for documents the plan did not make.
        assert!(check_external_id_shape("StringLike", "a@*").is_ok());
        assert!(check_external_id_shape("StringEquals", "*").is_ok(), "StringEquals takes * literally");
        assert!(check_external_id_shape("StringLike", "*x").is_err());
    }

    #[test]
    fn a_trust_condition_the_plan_made_is_judged_by_the_runs_values() {
        let ctx = |a: &'static [String]| LintContext { own_account: Some("123456789012"), external_id_anchors: Some(a) };
        let anchors: &'static [String] = Box::leak(Box::new(["acme".to_string()]));
        let lint_of = |v: &str, a: &'static [String]| {
            let t = trust_policy(&["arn:aws:iam::324880187172:root".into()], &ExternalIdCondition::for_value(v));
            lint("trust.read", &t, DocKind::Trust, &ctx(a))
        };
        assert!(lint_of("acme@*@*@read", anchors).is_empty());
        let l = lint_of("acme*", anchors);
        assert_eq!(l.len(), 1);
        assert_eq!(
            (l[0].severity, l[0].field.as_str(), l[0].rule.as_str()),
            (Severity::Error, "trust.read.Statement[0].Condition", "trust-external-id-unanchored")
        );
        // One anchored condition among several is enough (conditions are ANDed); one
        // open value among several is not (values are ORed).
        let both = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::324880187172:root"},"Action":"sts:AssumeRole",
            "Condition":{"StringLike":{"sts:ExternalId":"*"},"StringEquals":{"sts:ExternalId":"acme@i@s@read"}}}]});
        assert!(lint("t", &both, DocKind::Trust, &ctx(anchors)).is_empty());
        let either = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::324880187172:root"},"Action":"sts:AssumeRole",
            "Condition":{"StringLike":{"sts:ExternalId":["acme@*","*"]}}}]});
        assert_eq!(lint("t", &either, DocKind::Trust, &ctx(anchors)).len(), 1);
    }

    #[test]
    fn lints() {
        let ctx = LintContext { own_account: Some("123456789012"), ..Default::default() };
        let open = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::161471496260:role/Saas"},"Action":"sts:AssumeRole"}]});
        let l = lint("trust", &open, DocKind::Trust, &ctx);
        assert_eq!(l.len(), 1);
        assert_eq!((l[0].severity, l[0].rule.as_str()), (Severity::Error, "trust-missing-external-id"));
        // The same principal in the own account is not a third party.
        let own = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ci"},"Action":"sts:AssumeRole"}]});
        assert!(lint("trust", &own, DocKind::Trust, &ctx).is_empty());
        let star = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x1"}}}]});
        let l = lint("trust", &star, DocKind::Trust, &ctx);
        assert_eq!(l.iter().map(|l| l.rule.as_str()).collect::<Vec<_>>(), ["trust-principal-wildcard"]);
        let guarded = trust_policy(&["arn:aws:iam::161471496260:role/Saas".into()], &ExternalIdCondition::for_value("a@*"));
        assert!(lint("trust", &guarded, DocKind::Trust, &ctx).is_empty());
        assert_eq!(guarded["Statement"][0]["Condition"]["StringLike"]["sts:ExternalId"], "a@*");

        let admin = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":["iam:PassRole"],"Resource":["*"]}]});
        let l = lint("policy", &admin, DocKind::Managed, &ctx);
        assert_eq!(
            l.iter().map(|l| (l.severity, l.rule.as_str())).collect::<Vec<_>>(),
            [(Severity::Warning, "admin-grant"), (Severity::Warning, "passrole-wildcard")]
        );
        let narrow = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/x"}]});
        assert!(lint("policy", &narrow, DocKind::Managed, &ctx).is_empty());
    }

    fn rules_of(doc: &Value) -> Vec<(Severity, String, String)> {
        let ctx = LintContext { own_account: Some("123456789012"), ..Default::default() };
        lint("policy", doc, DocKind::Managed, &ctx).into_iter().map(|l| (l.severity, l.field, l.rule)).collect()
    }

    #[test]
    fn creating_roles_with_open_attachment_or_inline_policies_is_an_escalation() {
        let role = "arn:aws:iam::123456789012:role/TowerForge-*";
        let doc = |statements: Value| json!({"Version": "2012-10-17", "Statement": statements});
        // Role creation plus AttachRolePolicy with no iam:PolicyARN condition: warned, naming the path.
        let open = doc(json!([{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy","iam:PassRole"],"Resource":role}]));
        let ctx = LintContext { own_account: Some("123456789012"), ..Default::default() };
        let l = lint("policy.main", &open, DocKind::Managed, &ctx);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(
            (l[0].severity, l[0].rule.as_str(), l[0].field.as_str()),
            (Severity::Warning, "role-escalation-attach", "policy.main.Statement[0]")
        );
        assert!(l[0].message.contains("iam:CreateRole") && l[0].message.contains("AdministratorAccess"), "{}", l[0].message);
        // The same with inline policies.
        let put = doc(json!([
            {"Effect":"Allow","Action":"iam:CreateRole","Resource":role},
            {"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::123456789012:role/*"}]));
        assert_eq!(rules_of(&put), [(Severity::Warning, "policy.Statement[1]".into(), "role-escalation-inline".into())]);
        assert!(lint("p", &put, DocKind::Managed, &ctx)[0].message.contains("inline policy"));
        // Wildcard actions count: iam:* on everything is both.
        let star = doc(json!([{"Effect":"Allow","Action":"iam:*","Resource":"*"}]));
        let got: Vec<String> = rules_of(&star).into_iter().map(|r| r.2).collect();
        assert!(got.contains(&"role-escalation-attach".into()) && got.contains(&"role-escalation-inline".into()), "{got:?}");

        // Not an escalation: attachment limited to named policies, a permissions
        // boundary required, no role creation, or creation of other roles only.
        let limited = doc(json!([
            {"Effect":"Allow","Action":"iam:CreateRole","Resource":role},
            {"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":role,
             "Condition":{"ArnEquals":{"iam:PolicyARN":["arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"]}}}]));
        assert!(rules_of(&limited).is_empty(), "{:?}", rules_of(&limited));
        let wildcard_list = doc(json!([
            {"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":role,
             "Condition":{"ArnLike":{"iam:PolicyARN":"arn:aws:iam::aws:policy/*"}}}]));
        assert_eq!(rules_of(&wildcard_list).len(), 1, "a wildcard policy list still allows AdministratorAccess");
        let bounded = doc(json!([
            {"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy","iam:PutRolePolicy"],"Resource":role,
             "Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/boundary"}}}]));
        assert!(rules_of(&bounded).is_empty(), "{:?}", rules_of(&bounded));
        let no_create = doc(json!([{"Effect":"Allow","Action":["iam:AttachRolePolicy","iam:PutRolePolicy"],"Resource":role}]));
        assert!(rules_of(&no_create).is_empty());
        let elsewhere = doc(json!([
            {"Effect":"Allow","Action":"iam:CreateRole","Resource":"arn:aws:iam::123456789012:role/app-*"},
            {"Effect":"Allow","Action":["iam:AttachRolePolicy","iam:PutRolePolicy"],"Resource":role}]));
        assert!(rules_of(&elsewhere).is_empty(), "{:?}", rules_of(&elsewhere));
        let denied = doc(json!([{"Effect":"Deny","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":"*"}]));
        assert!(rules_of(&denied).is_empty());
    }

    #[test]
    fn an_external_id_condition_of_only_wildcards_is_an_error() {
        let ctx = LintContext { own_account: Some("123456789012"), ..Default::default() };
        for open in ["*", "?*", "**"] {
            let t = trust_policy(&["arn:aws:iam::161471496260:role/Saas".into()], &ExternalIdCondition::for_value(open));
            let l = lint("trust.main", &t, DocKind::Trust, &ctx);
            assert!(l.iter().any(|l| l.severity == Severity::Error && l.rule == "trust-external-id-unanchored"), "{open}: {l:?}");
        }
    }
}
