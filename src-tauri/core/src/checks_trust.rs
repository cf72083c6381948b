//! The static trust check: the live trust policy of a role is exactly the one the run
//! made. The statement that grants sts:AssumeRole names the plan's principals, no more
//! and no fewer, and requires the planned External ID condition (the exact value, or
//! the template's pattern); no other statement grants sts:AssumeRole (or `sts:*`, `*`)
//! to anyone, no principal is `*`, none lacks the condition. Other statements (the
//! TagSession one the plans add, denials) grant no way in. A difference fails with what
//! differs and the fix: the trust policy to restore, or `rolegate set-external-id` when
//! only the External ID differs.

use serde_json::Value;

use super::{Check, CheckStatus, VerifyReport};
use crate::events::EventSink;
use crate::lint;
use crate::plan::PlannedRole;
use crate::policy::{self, ExternalIdCondition};

/// What the live trust policy of one role must be: the run's plan for it.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedTrust<'a> {
    pub run_id: &'a str,
    /// `Some(key)` in a run with several roles (`set-external-id RUN KEY=VALUE`).
    pub role_key: Option<&'a str>,
    pub role_arn: &'a str,
    pub role_name: &'a str,
    pub principals: &'a [String],
    pub condition: &'a ExternalIdCondition,
    /// The External ID the run uses with the condition.
    pub external_id: &'a str,
    /// The trust policy the run made (the fix when it differs).
    pub document: &'a Value,
    /// Who put the trust there, which decides the fix for a changed External ID.
    pub made_by: MadeBy<'a>,
}

/// What made a role's trust policy: a run (`run_id` above), whose External ID
/// `rolegate set-external-id` changes, or a fleet's StackSet instance in `account`, whose
/// trust the StackSet owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MadeBy<'a> {
    Run,
    Fleet { account: &'a str, parameter: &'a str },
}

impl<'a> ExpectedTrust<'a> {
    pub fn for_role(run_id: &'a str, role: &'a PlannedRole, several_roles: bool) -> Self {
        ExpectedTrust {
            run_id,
            role_key: several_roles.then_some(role.key.as_str()),
            role_arn: &role.arn,
            role_name: &role.name,
            principals: &role.principals,
            condition: &role.condition,
            external_id: &role.external_id,
            document: &role.trust_policy,
            made_by: MadeBy::Run,
        }
    }

    fn set_external_id(&self, value: &str) -> String {
        if let MadeBy::Fleet { account, parameter } = self.made_by {
            return format!(
                "in account {account}, give the role back the trust policy its stack instance deployed (aws iam update-assume-role-policy --role-name {}), or have the StackSet redeploy it: aws cloudformation update-stack-instances --stack-set-name rolegate-{} --accounts {account} --regions REGION --parameter-overrides ParameterKey={parameter},ParameterValue={value}",
                self.role_name, self.run_id
            );
        }
        match self.role_key {
            Some(k) => format!("rolegate set-external-id {} {k}={value}", self.run_id),
            None => format!("rolegate set-external-id {} {value}", self.run_id),
        }
    }
}

/// The title of the trust check, whatever its outcome.
pub const TRUST_TITLE: &str = "The trust policy is the one this run made";

/// Whether a statement's actions include sts:AssumeRole (`Action`, or a `NotAction` that
/// leaves it in), and whether they are exactly sts:AssumeRole.
fn assume_grant(st: &Value) -> (bool, bool) {
    let assume = |a: &str| policy::glob_match(&a.to_ascii_lowercase(), "sts:assumerole");
    if let Some(not) = st.get("NotAction") {
        return (!policy::strings(Some(not)).into_iter().any(assume), false);
    }
    let actions = policy::strings(st.get("Action"));
    (actions.iter().any(|a| assume(a)), !actions.is_empty() && actions.iter().all(|a| a.eq_ignore_ascii_case("sts:AssumeRole")))
}

/// The principals a statement names, as `AWS` values and as `Type:value` for the others;
/// `*` stands for everyone (also a `NotPrincipal`, which an Allow grants to all others).
fn principals_of(st: &Value) -> (Vec<String>, Vec<String>) {
    if st.get("NotPrincipal").is_some() {
        return (vec!["*".into()], Vec::new());
    }
    match st.get("Principal") {
        Some(Value::String(s)) => (vec![s.clone()], Vec::new()),
        Some(Value::Object(m)) => {
            let aws = policy::strings(m.get("AWS")).into_iter().map(String::from).collect();
            let others = m
                .iter()
                .filter(|(k, _)| k.as_str() != "AWS")
                .flat_map(|(k, v)| policy::strings(Some(v)).into_iter().map(move |s| format!("{k}:{s}")))
                .collect();
            (aws, others)
        }
        _ => (Vec::new(), Vec::new()),
    }
}

fn describe_condition(conditions: &[(String, Vec<String>)]) -> String {
    conditions.iter().map(|(op, v)| format!("{op} {v:?}")).collect::<Vec<_>>().join(" and ")
}

/// Read the live trust policy and check it is exactly the planned one (see the module).
pub fn check_trust_document(report: &mut VerifyReport, events: &EventSink, id: &str, expected: &ExpectedTrust<'_>, trust_text: &str) {
    let doc: Value = match serde_json::from_str(trust_text) {
        Ok(v) => v,
        Err(e) => {
            report.push(events, Check::new(id, TRUST_TITLE, CheckStatus::Failed, format!("the trust policy is not readable JSON: {e}")));
            return;
        }
    };
    let cond = expected.condition;
    let planned: Vec<&str> = expected.principals.iter().map(String::as_str).collect();
    let mut differences = Vec::new();
    // The live External ID value of the planned statement, when it alone differs.
    let mut other_value = None;
    let mut guarded = false;
    for st in doc.get("Statement").map(policy::as_list).unwrap_or_default() {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let (grants, exactly_assume) = assume_grant(st);
        if !grants {
            continue;
        }
        let (aws, others) = principals_of(st);
        if aws.is_empty() && others.is_empty() {
            continue;
        }
        let sid = st.get("Sid").and_then(Value::as_str).map(|s| format!("statement {s:?}")).unwrap_or_else(|| "a statement".into());
        if aws.iter().any(|p| p == "*") {
            differences.push(format!("{sid} lets any principal (\"*\") call sts:AssumeRole"));
            continue;
        }
        let extra: Vec<&str> =
            aws.iter().map(String::as_str).filter(|p| !planned.contains(p)).chain(others.iter().map(String::as_str)).collect();
        let conditions = lint::external_id_conditions(st);
        let who = aws.iter().chain(&others).cloned().collect::<Vec<_>>().join(", ");
        if conditions.is_empty() {
            differences.push(format!("{sid} lets {who} assume the role without an External ID (the confused deputy)"));
            continue;
        }
        if extra.len() == aws.len() + others.len() {
            // Not the planned statement: a grant to someone else entirely.
            differences.push(format!(
                "{sid} also lets {} call sts:AssumeRole, which this run does not trust ({})",
                extra.join(", "),
                describe_condition(&conditions)
            ));
            continue;
        }
        guarded = true;
        if !extra.is_empty() {
            differences.push(format!("{sid} also trusts {}, which this run does not", extra.join(", ")));
        }
        let missing: Vec<&str> = planned.iter().copied().filter(|p| !aws.iter().any(|a| a == p)).collect();
        if !missing.is_empty() {
            differences.push(format!("{sid} no longer trusts {}", missing.join(", ")));
        }
        if !exactly_assume {
            differences.push(format!("{sid} grants {} rather than sts:AssumeRole alone", describe_actions(st)));
        }
        let want = [(cond.operator.clone(), vec![cond.value.clone()])];
        if conditions != want {
            match conditions.as_slice() {
                [(op, values)] if *op == cond.operator && values.len() == 1 && extra.is_empty() && missing.is_empty() => {
                    other_value = Some(values[0].clone())
                }
                _ => {}
            }
            differences.push(format!(
                "{sid} requires the External ID {} where this run set {} {:?}",
                describe_condition(&conditions),
                cond.operator,
                cond.value
            ));
        }
    }
    if !guarded {
        differences.push(format!("no statement lets {} assume the role with {} {:?}", planned.join(", "), cond.operator, cond.value));
    }
    // A plan made before the anchor rule may itself hold an open condition: restoring it
    // would not help.
    let planned_sound = if cond.anchors.is_empty() {
        lint::check_external_id_shape(&cond.operator, &cond.value)
    } else {
        lint::check_external_id_anchor(&cond.operator, &cond.value, &cond.anchors)
    };
    if let Err(why) = planned_sound {
        differences.push(format!("this run's own condition {} {:?} is open: {why}", cond.operator, cond.value));
        let fix = format!(
            "The planned condition {} {:?} is itself open. Roll this {} back (rolegate {}rollback {}) and make a new one from a template whose External ID condition begins with a value the run fills in (docs/TEMPLATES.md).",
            cond.operator,
            cond.value,
            if expected.made_by == MadeBy::Run { "run" } else { "fleet" },
            if expected.made_by == MadeBy::Run { "" } else { "fleet " },
            expected.run_id
        );
        report.push(events, Check::new(id, TRUST_TITLE, CheckStatus::Failed, differences.join("; ")).with_fix(fix));
        return;
    }
    if differences.is_empty() {
        report.push(
            events,
            Check::new(
                id,
                TRUST_TITLE,
                CheckStatus::Passed,
                format!("only {} may call sts:AssumeRole, and only with {} {:?}", planned.join(", "), cond.operator, cond.value),
            ),
        );
        return;
    }
    let fix = match other_value.filter(|_| differences.len() == 1) {
        Some(live) if cond.operator == "StringEquals" => format!(
            "Only the External ID differs. If the platform now shows {live:?}, adopt it: {}\nTo put back the value this run set instead: {}",
            expected.set_external_id(&live),
            expected.set_external_id(expected.external_id)
        ),
        Some(_) => format!(
            "Only the External ID pattern differs; this puts back the template's pattern {:?}: {}",
            cond.value,
            expected.set_external_id(expected.external_id)
        ),
        None => format!(
            "Replace the trust policy of {} with the one this run made:\n{}\n(aws iam update-assume-role-policy --role-name {} --policy-document file://trust.json)",
            expected.role_arn,
            serde_json::to_string_pretty(expected.document).expect("json"),
            expected.role_name
        ),
    };
    report.push(events, Check::new(id, TRUST_TITLE, CheckStatus::Failed, differences.join("; ")).with_fix(fix));
}

fn describe_actions(st: &Value) -> String {
    match st.get("NotAction") {
        Some(v) => format!("every action but {:?}", policy::strings(Some(v))),
        None => format!("{:?}", policy::strings(st.get("Action"))),
    }
}
