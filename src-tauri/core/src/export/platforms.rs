//! The platform formats: what a receiving platform reads, rendered from a run's bundle:
//! Seqera Platform's credential body (`seqera`), its container-registry credential for
//! Wave (`registry`) with the Nextflow snippet, and Spacelift's integrations with their
//! trust statements and External IDs (`spacelift`).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Bundle, ExportCredentials, Format, Rendered};
use crate::plan::PlannedRole;
use crate::template::Mode;
use crate::validate::{FieldError, FieldErrors};

/// A Seqera credential name: letters, digits, dashes and underscores, at most 100.
pub fn credential_name(field: &str, name: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if name.is_empty() || name.len() > 100 {
        errs.push(FieldError::new(field, "length", format!("must be 1 to 100 characters, not {}", name.len())));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        errs.push(FieldError::new(field, "charset", format!("may hold only letters, digits, dashes and underscores, not {c:?}")));
    }
    errs
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("json");
    s.push('\n');
    s
}

/// The Seqera Platform credential (`POST /credentials` body, provider `aws`): keys mode
/// (access key, optional role to assume and its External ID) or role mode (role ARN and
/// External ID only). Field names: docs/EXPORTS.md.
pub fn seqera(bundle: &Bundle, name: &str, creds: Option<&ExportCredentials>) -> Result<Rendered, FieldErrors> {
    let errs = credential_name("name", name);
    if !errs.is_empty() {
        return Err(errs);
    }
    let keys = match (bundle.mode, creds) {
        (Mode::Role, _) => {
            let role = bundle.roles.first().ok_or_else(|| vec![FieldError::new("run", "no-role", "the run has no role")])?;
            // Seqera generates the External ID when a role-mode credential is saved: one
            // Rolegate made up would be replaced there, so only the platform's is sent.
            let mut k = json!({ "mode": "role", "assumeRoleArn": role.arn });
            if bundle.platform_external_ids.contains(&role.key) {
                k["externalId"] = json!(role.external_id);
            }
            k
        }
        (_, Some(c)) => {
            let mut k = json!({ "mode": "keys", "accessKey": c.access_key_id, "secretKey": c.secret() });
            if let Some(role) = bundle.own_role() {
                k["assumeRoleArn"] = json!(role.arn);
                k["externalId"] = json!(role.external_id);
            }
            k
        }
        (_, None) => return Err(vec![FieldError::new("run", "no-access-key", "the run has no access key in the keychain to export")]),
    };
    let body = json!({
        "credentials": {
            "name": name,
            "description": format!("AWS account {} ({}), made by Rolegate run {}", bundle.account, bundle.template_id, bundle.run_id),
            "provider": "aws",
            "keys": keys,
        }
    });
    let holds_secret = creds.is_some_and(|c| c.reveal && c.secret.is_some()) && bundle.mode != Mode::Role;
    Ok(Rendered { format: Format::Seqera, text: pretty(&body).into(), holds_secret, file_name: Format::Seqera.file_name(&bundle.run_id) })
}

/// The Seqera container-registry credential for Wave to pull from ECR: user name = access
/// key id, password = secret, registry = the account's ECR endpoint.
pub fn registry(bundle: &Bundle, name: &str, creds: &ExportCredentials) -> Result<Rendered, FieldErrors> {
    let errs = credential_name("name", name);
    if !errs.is_empty() {
        return Err(errs);
    }
    let body = json!({
        "credentials": {
            "name": name,
            "description": format!("ECR {} for Wave, made by Rolegate run {}", bundle.ecr_registry(), bundle.run_id),
            "provider": "container-reg",
            "keys": { "userName": creds.access_key_id, "password": creds.secret(), "registry": bundle.ecr_registry() },
        }
    });
    Ok(Rendered {
        format: Format::Registry,
        text: pretty(&body).into(),
        holds_secret: creds.reveal && creds.secret.is_some(),
        file_name: Format::Registry.file_name(&bundle.run_id),
    })
}

/// The Nextflow configuration that turns Wave on (the registry credential above is what
/// lets Wave pull private images from the account's ECR).
pub fn nextflow(bundle: &Bundle) -> Rendered {
    let text = format!(
        "// Wave builds and serves containers; the container-registry credential named in\n// Seqera Platform lets it pull from {} (Rolegate run {}).\nwave {{\n    enabled = true\n}}\n",
        bundle.ecr_registry(),
        bundle.run_id
    );
    Rendered { format: Format::Nextflow, text: text.into(), holds_secret: false, file_name: Format::Nextflow.file_name(&bundle.run_id) }
}

/// The phase a Spacelift role serves: `write` for a role keyed `write`, else `read`.
pub fn spacelift_phase(role_key: &str) -> &'static str {
    if role_key.contains("write") {
        "write"
    } else {
        "read"
    }
}

/// Whether Spacelift itself assumes the role (its External ID a pattern Spacelift fills
/// per stack and phase), rather than a private worker with a fixed External ID set on
/// the integration (`generate_credentials_in_worker`).
pub fn spacelift_assumes(role: &PlannedRole) -> bool {
    role.condition.operator == "StringLike"
}

/// Spacelift: one AWS integration per role (an integration holds one role ARN), each to
/// be attached to stacks for its phase (`read` planning, `write` applying), with the
/// trust statement, and the External IDs Spacelift will send per stack and phase, which
/// need the integration's id (`integrations`, by role key). A role a private worker
/// assumes has one External ID of its own, set on the integration.
pub fn spacelift(bundle: &Bundle, integrations: &BTreeMap<String, String>, stacks: &[String]) -> Result<Rendered, FieldErrors> {
    let missing: Vec<FieldError> = bundle
        .roles
        .iter()
        .filter(|r| spacelift_assumes(r) && !stacks.is_empty() && !integrations.contains_key(&r.key))
        .map(|r| {
            FieldError::new(
                "integration",
                "integration-per-role",
                format!(
                    "the External IDs of role {} name its Spacelift integration: give its id with --integration {}=ID (each integration holds one role)",
                    r.key, r.key
                ),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let roles: Vec<Value> = bundle
        .roles
        .iter()
        .map(|r| {
            let phase = spacelift_phase(&r.key);
            let statement = crate::policy::trust_statement(&r.principals, &r.condition);
            let integration_id = integrations.get(&r.key);
            let worker = !spacelift_assumes(r);
            let mut integration = json!({
                "name": r.name,
                "role_arn": r.arn,
                "generate_credentials_in_worker": worker,
                "attach": { "read": phase == "read", "write": phase == "write" },
            });
            if worker {
                integration["external_id"] = json!(r.external_id);
            }
            let ids: Vec<Value> = stacks
                .iter()
                .map(|s| {
                    let id = if worker {
                        r.external_id.clone()
                    } else {
                        let account_name = r.condition.value.split('@').next().unwrap_or_default();
                        format!("{account_name}@{}@{s}@{phase}", integration_id.map(String::as_str).unwrap_or_default())
                    };
                    json!({ "stack": s, "phase": phase, "external_id": id })
                })
                .collect();
            json!({
                "key": r.key,
                "role_arn": r.arn,
                "phase": phase,
                "integration_id": integration_id,
                "integration": integration,
                "external_id_condition": { "operator": r.condition.operator, "pattern": r.condition.value },
                "verification_external_id": r.external_id,
                "trust_statement": statement,
                "external_ids": ids,
            })
        })
        .collect();
    let body = json!({ "run_id": bundle.run_id, "account": bundle.account, "roles": roles });
    Ok(Rendered {
        format: Format::Spacelift,
        text: pretty(&body).into(),
        holds_secret: false,
        file_name: Format::Spacelift.file_name(&bundle.run_id),
    })
}
