//! The Kubernetes export of a run's service-account roles (IRSA): for each, the
//! ServiceAccount manifest with the `eks.amazonaws.com/role-arn` annotation that lets
//! its pods assume the role, the role's ARN, and the command that annotates a service
//! account that already exists.

use super::{Bundle, Format, Rendered};
use crate::error::RunError;
use crate::plan::service_accounts::ROLE_ARN_ANNOTATION;
use crate::validate::FieldError;

/// The manifest text (YAML) for every service-account role of the bundle.
pub fn kubernetes(bundle: &Bundle) -> Result<Rendered, RunError> {
    if bundle.service_account_roles.is_empty() {
        return Err(RunError::Invalid(vec![FieldError::new(
            "format",
            "no-service-account-role",
            format!("run {} made no service-account role, so there is no Kubernetes service account to annotate", bundle.run_id),
        )]));
    }
    let mut text = String::new();
    for (i, r) in bundle.service_account_roles.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&format!(
            "# Rolegate run {run}: pods of service account {ns}/{sa} on EKS cluster {cluster} ({region}) assume\n\
             # role {arn} (IRSA). Apply with `kubectl apply -f FILE`; for a service account that exists:\n\
             #   kubectl annotate serviceaccount {sa} -n {ns} {ROLE_ARN_ANNOTATION}={arn} --overwrite\n\
             apiVersion: v1\n\
             kind: ServiceAccount\n\
             metadata:\n\
             \x20 name: {sa}\n\
             \x20 namespace: {ns}\n\
             \x20 annotations:\n\
             \x20   {ROLE_ARN_ANNOTATION}: {arn}\n",
            run = bundle.run_id,
            ns = r.namespace,
            sa = r.service_account,
            cluster = r.cluster,
            region = r.cluster_region,
            arn = r.arn,
        ));
    }
    Ok(Rendered {
        format: Format::Kubernetes,
        text: text.into(),
        holds_secret: false,
        file_name: Format::Kubernetes.file_name(&bundle.run_id),
    })
}
