//! The cluster-access check: the platform's identity has the EKS access entry the run
//! made (its Kubernetes username and groups) and the access policy for the namespace; on
//! a cluster only the aws-auth ConfigMap admits, the access is the person's step, so the
//! check is skipped naming the entry to add and the command, never passed.

use crate::checks::{Check, CheckStatus, VerifyReport};
use crate::eks::Eks;
use crate::events::EventSink;
use crate::plan::PlannedClusterAccess;

const TITLE: &str = "The platform's identity may use the EKS cluster";

pub async fn check_cluster_access(report: &mut VerifyReport, events: &EventSink, eks: &dyn Eks, run_id: &str, a: &PlannedClusterAccess) {
    let fix = format!("rolegate apply --resume {run_id} makes it again, or roll the run back");
    let check = if !a.through_api {
        Check::new(
            "cluster-access",
            TITLE,
            CheckStatus::Skipped,
            format!("skipped: the person's step, not done by Rolegate. {}", a.persons_step()),
        )
    } else {
        match eks.describe_access_entry(&a.cluster, &a.principal_arn).await {
            Ok(Some(e)) if e.username == a.username && e.kubernetes_groups == a.groups => {
                let policies = match &a.access_policy {
                    None => Ok(true),
                    Some(p) => eks
                        .associated_access_policies(&a.cluster, &a.principal_arn)
                        .await
                        .map(|held| held.iter().any(|(arn, ns)| arn == p && *ns == a.namespaces)),
                };
                match policies {
                    Ok(true) => Check::new(
                        "cluster-access",
                        TITLE,
                        CheckStatus::Passed,
                        format!(
                            "{} is let into EKS cluster {} as {} (groups {}){}",
                            a.principal_arn,
                            a.cluster,
                            a.username,
                            a.groups.join(", "),
                            a.access_policy.as_ref().map(|p| format!(" with {p} for {}", a.namespaces.join(", "))).unwrap_or_default()
                        ),
                    ),
                    Ok(false) => Check::new(
                        "cluster-access",
                        TITLE,
                        CheckStatus::Failed,
                        format!(
                            "the access entry of {} has lost its access policy {}",
                            a.principal_arn,
                            a.access_policy.clone().unwrap_or_default()
                        ),
                    )
                    .with_fix(fix),
                    Err(e) => Check::new(
                        "cluster-access",
                        TITLE,
                        CheckStatus::Failed,
                        format!("could not read the access policies: {}: {}", e.code, e.message),
                    ),
                }
            }
            Ok(Some(e)) => Check::new(
                "cluster-access",
                TITLE,
                CheckStatus::Failed,
                format!(
                    "the access entry of {} is Kubernetes user {} in groups {}, not {} in {}",
                    a.principal_arn,
                    e.username,
                    e.kubernetes_groups.join(", "),
                    a.username,
                    a.groups.join(", ")
                ),
            ),
            Ok(None) => Check::new(
                "cluster-access",
                TITLE,
                CheckStatus::Failed,
                format!("{} has no access entry on EKS cluster {}", a.principal_arn, a.cluster),
            )
            .with_fix(fix),
            Err(e) => Check::new(
                "cluster-access",
                TITLE,
                CheckStatus::Failed,
                format!("could not read the access entry: {}: {}", e.code, e.message),
            ),
        }
    };
    report.push(events, check);
}
