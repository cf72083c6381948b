//! The "simulate" check: `iam:SimulatePrincipalPolicy` proves that the created user or
//! role may do the actions its template needs, as IAM evaluates its live policies
//! (attached, inline, its groups', an explicit Deny anywhere). Each action is asked
//! about on the resources the run's own policies grant it on, because the simulator
//! takes an unnamed resource as the literal `*`, which a statement scoped to
//! `repository/*` does not cover.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::checks::{Check, CheckStatus, VerifyReport};
use crate::events::EventSink;
use crate::policy::{self, action_matches};
use crate::ports::{AwsErrorKind, Iam};

const TITLE: &str = "Simulate the actions the platform needs";

/// The resources to simulate `action` on: `*` when a statement of `documents` allows it
/// on every resource (or none allows it: the simulation then says so), else the
/// resource patterns of the statements that allow it.
pub fn resources_for(action: &str, documents: &[&Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for doc in documents {
        for st in policy::as_list(&doc["Statement"]) {
            if st.get("Effect").and_then(Value::as_str) != Some("Allow") || st.get("NotAction").is_some() {
                continue;
            }
            if !policy::strings(st.get("Action")).iter().any(|a| action_matches(a, action)) {
                continue;
            }
            let resources = policy::strings(st.get("Resource"));
            if resources.is_empty() || resources.contains(&"*") {
                return vec!["*".into()];
            }
            for r in resources {
                if !out.iter().any(|o| o == r) {
                    out.push(r.to_string());
                }
            }
        }
    }
    if out.is_empty() {
        out.push("*".into());
    }
    out
}

/// Simulate `actions` for `principal_arn`, each on the resources `documents` (the run's
/// policies for that principal, placeholders filled) grant it on. Skipped, never
/// passed, where the endpoint or the caller's permissions do not allow a simulation.
pub async fn simulate(
    report: &mut VerifyReport,
    events: &EventSink,
    iam: &dyn Iam,
    id: &str,
    principal_arn: &str,
    actions: &[String],
    documents: &[&Value],
) {
    if actions.is_empty() {
        report.push(events, Check::new(id, TITLE, CheckStatus::Skipped, "the template lists no actions to simulate"));
        return;
    }
    // One call per set of resources: the simulator asks every action about every resource.
    let mut by_resources: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for a in actions {
        by_resources.entry(resources_for(a, documents)).or_default().push(a.clone());
    }
    let mut denied = Vec::new();
    let mut allowed = Vec::new();
    for (resources, group) in &by_resources {
        match iam.simulate_principal_policy(principal_arn, group, resources).await {
            Ok(results) => {
                for a in group {
                    let mine: Vec<_> = results.iter().filter(|r| &r.action == a).collect();
                    let on = if resources == &["*".to_string()] { String::new() } else { format!(" on {}", resources.join(", ")) };
                    match mine.iter().find(|r| r.decision != "allowed") {
                        Some(r) => denied.push(format!("{a}{on} ({})", r.decision)),
                        None if mine.is_empty() => denied.push(format!("{a}{on} (not in the answer)")),
                        None => allowed.push(format!("{a}{on}")),
                    }
                }
            }
            Err(e) if e.kind == AwsErrorKind::NotImplemented => {
                let why = format!("the endpoint does not implement iam:SimulatePrincipalPolicy ({})", e.code);
                return report.push(events, Check::new(id, TITLE, CheckStatus::Skipped, why));
            }
            Err(e) if e.kind == AwsErrorKind::AccessDenied => {
                let why = "the identity running the check may not call iam:SimulatePrincipalPolicy";
                return report.push(events, Check::new(id, TITLE, CheckStatus::Skipped, why));
            }
            Err(e) => {
                let why = format!("the simulation could not be completed ({}: {})", e.code, e.message);
                return report.push(events, Check::new(id, TITLE, CheckStatus::Failed, why));
            }
        }
    }
    if denied.is_empty() {
        report.push(events, Check::new(id, TITLE, CheckStatus::Passed, format!("allowed: {}", allowed.join(", "))));
    } else {
        report.push(
            events,
            Check::new(id, TITLE, CheckStatus::Failed, format!("not allowed for {principal_arn}: {}", denied.join(", ")))
                .with_fix("Attach a policy that allows these actions, or check for a permissions boundary or SCP that denies them."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_action_is_simulated_on_the_resources_its_statements_name() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "arn:aws:ecr:*:1:repository/*"},
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"},
        ]});
        let docs = [&doc];
        assert_eq!(resources_for("ecr:GetAuthorizationToken", &docs), ["*"]);
        assert_eq!(resources_for("ecr:BatchGetImage", &docs), ["arn:aws:ecr:*:1:repository/*"]);
        assert_eq!(resources_for("s3:GetObject", &docs), ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "a Deny names no resource to ask about");
        assert_eq!(resources_for("sqs:SendMessage", &docs), ["*"], "an action nothing grants is asked about on *, and denied");
    }

    #[test]
    fn a_statement_on_every_resource_wins() {
        let a = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
        let b = json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}});
        assert_eq!(resources_for("s3:GetObject", &[&a, &b]), ["*"]);
    }
}
