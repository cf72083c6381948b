//! The checks of a service-account role (IRSA): its live trust policy is exactly the one
//! the run planned (the cluster's OIDC provider as `Federated`, sts:AssumeRoleWithWebIdentity,
//! StringEquals on the token's `aud` and `sub`, and nothing else), which is the proof this
//! tool can give; the web-identity assume itself needs a token the cluster issues to a pod
//! of the service account, so it is skipped, saying what would run it.

use serde_json::Value;

use crate::checks::{Check, CheckStatus, VerifyReport};
use crate::events::EventSink;
use crate::plan::service_accounts::ROLE_ARN_ANNOTATION;
use crate::plan::PlannedServiceAccountRole;
use crate::policy;
use crate::ports::Iam;

const TRUST_TITLE: &str = "The service-account role trusts exactly the cluster's service account";
const ASSUME_TITLE: &str = "A pod of the service account assumes the role";

/// A policy document with each single value as a one-element list and lists sorted, so
/// two documents that IAM reads alike compare equal.
pub fn canonical(doc: &Value) -> Value {
    match doc {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let v = canonical(v);
                let listed = matches!(k.as_str(), "Statement" | "Action" | "NotAction" | "Resource" | "NotResource")
                    || matches!(v, Value::String(_)) && !matches!(k.as_str(), "Version" | "Effect" | "Sid");
                out.insert(k.clone(), if listed { as_sorted_list(v) } else { v });
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn as_sorted_list(v: Value) -> Value {
    let mut items = match v {
        Value::Array(items) => items,
        one => vec![one],
    };
    items.sort_by_key(|x| x.to_string());
    Value::Array(items)
}

/// The trust check of `role` against the live trust text, and the skipped assume.
pub async fn check_service_account_role(report: &mut VerifyReport, events: &EventSink, iam: &dyn Iam, role: &PlannedServiceAccountRole) {
    let id = |base: &str| format!("{base}:{}", role.key);
    let planned = policy::render(&role.trust_policy);
    let fix = format!(
        "restore the trust the run made: aws iam update-assume-role-policy --role-name {} --policy-document '{planned}'",
        role.name
    );
    let check = match iam.get_role(&role.name).await {
        Ok(Some(info)) => match serde_json::from_str::<Value>(&info.trust_policy) {
            Ok(live) if canonical(&live) == canonical(&role.trust_policy) => Check::new(
                &id("service-account-trust"),
                TRUST_TITLE,
                CheckStatus::Passed,
                format!(
                    "role {} trusts only {} for {} (audience sts.amazonaws.com), as planned",
                    role.name, role.oidc_provider_arn, role.subject
                ),
            ),
            Ok(live) => Check::new(
                &id("service-account-trust"),
                TRUST_TITLE,
                CheckStatus::Failed,
                format!("the trust policy of role {} is not the one this run made: it is {}", role.name, policy::render(&live)),
            )
            .with_fix(fix),
            Err(e) => Check::new(
                &id("service-account-trust"),
                TRUST_TITLE,
                CheckStatus::Failed,
                format!("the trust policy of role {} is not JSON: {e}", role.name),
            )
            .with_fix(fix),
        },
        Ok(None) => {
            Check::new(&id("service-account-trust"), TRUST_TITLE, CheckStatus::Failed, format!("role {} does not exist", role.name))
        }
        Err(e) => Check::new(
            &id("service-account-trust"),
            TRUST_TITLE,
            CheckStatus::Failed,
            format!("could not read role {}: {}: {}", role.name, e.code, e.message),
        ),
    };
    report.push(events, check);
    report.push(
        events,
        Check::new(
            &id("service-account-assume"),
            ASSUME_TITLE,
            CheckStatus::Skipped,
            format!(
                "skipped: sts:AssumeRoleWithWebIdentity needs the token EKS cluster {} gives a pod of service account {}/{}, which Rolegate does not have. \
                 To run it: `kubectl annotate serviceaccount {} -n {} {ROLE_ARN_ANNOTATION}={}`, then in a pod of that service account \
                 `aws sts get-caller-identity` must print an ARN of assumed-role/{}/",
                role.cluster, role.namespace, role.service_account, role.service_account, role.namespace, role.arn, role.name
            ),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_iam_reads_alike_compare_equal_and_others_do_not() {
        let a = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:p"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"i:aud": "sts.amazonaws.com", "i:sub": "s"}}}]});
        let b = json!({"Statement": {"Condition": {"StringEquals": {"i:sub": ["s"], "i:aud": "sts.amazonaws.com"}}, "Effect": "Allow",
            "Action": ["sts:AssumeRoleWithWebIdentity"], "Principal": {"Federated": ["arn:p"]}}, "Version": "2012-10-17"});
        assert_eq!(canonical(&a), canonical(&b));
        let wider = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:p"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"i:sub": "system:serviceaccount:*"}}}]});
        assert_ne!(canonical(&a), canonical(&wider));
    }
}
