//! `rolegate set-external-id RUN_ID [ROLE_KEY=]VALUE`: a thin wrapper over the core's
//! `Engine::set_external_id` (the value's rules, the role's tag check, the journal, the
//! wait and the verification all live there).

use serde_json::json;

use rolegate_core::engine::trust::{split_role_value, ExternalIdOptions, TrustOutcome};
use rolegate_core::RunError;

use crate::{engine, render, Global, EXIT_VERIFY_FAILED};

pub async fn set_external_id(g: &Global, run_id: &str, assignment: &str, no_verify: bool) -> Result<i32, RunError> {
    let (engine, _) = engine(g).await;
    let roles = engine.journal(run_id)?.plan.roles;
    let (role_key, value) = split_role_value(&roles, assignment);
    let change = engine.set_external_id(run_id, role_key.as_deref(), &value, &ExternalIdOptions { verify: !no_verify }).await?;
    eprintln!(
        "run {run_id}: role {} {}",
        change.role_name,
        match change.outcome {
            TrustOutcome::Changed => "now requires the new External ID",
            TrustOutcome::Adopted => "already required the new External ID; the journal now records it",
            TrustOutcome::Unchanged => "already uses this External ID; nothing was changed",
        }
    );
    if g.json {
        render::print_json(&json!({ "external_id_change": change }));
    } else {
        println!(
            "role {} ({}): External ID {} (was {})",
            change.role_name, change.role_key, change.external_id, change.previous_external_id
        );
        if let Some(r) = &change.verification {
            render::run_report(r, &engine.journal(run_id)?);
        }
    }
    Ok(match &change.verification {
        Some(r) if !r.passed() => EXIT_VERIFY_FAILED,
        _ => 0,
    })
}
