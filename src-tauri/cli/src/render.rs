//! Text rendering for people: progress lines on stderr, results on stdout.

use std::sync::Arc;

use rolegate_core::checks::{CheckStatus, VerifyReport};
use rolegate_core::events::{Event, EventSink};
use rolegate_core::journal::{Journal, RunStatus, RunSummary};
use rolegate_core::plan::Plan;
use rolegate_core::policy::Severity;
use rolegate_core::template::Template;
use rolegate_core::verdict;
use rolegate_core::RollbackReport;

pub fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).expect("json"));
}

/// Progress on stderr, one line an event.
pub fn progress_printer() -> EventSink {
    Arc::new(|e: &Event| {
        let line = match e {
            Event::StepStarted { step, summary } => format!("… {step}: {summary}"),
            Event::StepDone { step, outcome, detail } => format!("✓ {step}: {outcome} {detail}"),
            Event::StepFailed { step, .. } => format!("✗ {step}: failed"),
            Event::StepStopped { step, message } => format!("■ {step}: {message}"),
            Event::Waiting { step, what, elapsed_seconds, limit_seconds, last_code, .. } => {
                format!("⏳ {step}: waiting for {what} ({elapsed_seconds} s of at most {limit_seconds} s; AWS said {last_code})")
            }
            Event::Deleted { resource, detail, .. } => format!("🗑 deleted {resource} {detail}"),
            Event::Kept { resource, reason } => format!("! kept {resource}: {reason}"),
            Event::CheckDone { check } => format!("{} {}: {}", mark(check.status), check.title, check.reason),
            Event::Notice { message, .. } => format!("note: {message}"),
            Event::FleetProgress { operation_id, account, status, reason, .. } if account.is_empty() => {
                format!("… operation {operation_id}: {status} {reason}")
            }
            Event::FleetProgress { account, region, status, reason, .. } => format!("… {account} {region}: {status} {reason}"),
            Event::FleetVerdict { account, verdict, .. } => {
                let mark = match verdict.as_str() {
                    "failed" => "✗",
                    "awaiting-platform" | "removed" => "✓",
                    _ => "!",
                };
                format!("{mark} {account}: {verdict}")
            }
        };
        eprintln!("{line}");
    })
}

fn mark(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Passed => "PASS",
        CheckStatus::Failed => "FAIL",
        CheckStatus::Skipped => "SKIP",
    }
}

pub fn templates(all: &[Template]) {
    for t in all {
        println!("{:<36} {:<9} {}", t.id, t.mode.as_str(), t.name);
        println!("{:<36} {:<9} {}", "", "", t.description);
        for f in &t.features {
            println!("{:<36} {:<9} --feature {}: {}", "", "", f.key, f.label);
        }
    }
}

pub fn plan(p: &Plan) {
    println!("Plan {} ({} template, {} mode)", p.run_id, p.template_id, p.mode.as_str());
    println!("  account {} ({}) region {} as {}", p.account, p.partition, p.region, p.caller_arn);
    println!("  identity from {}", p.identity);
    for (i, wave) in p.waves().iter().enumerate() {
        println!("\nWave {} ({} call{} that may run together):", i + 1, wave.len(), if wave.len() == 1 { "" } else { "s" });
        for s in wave {
            println!("  [{}] {} — {}", s.id, s.call.operation(), s.summary);
            let v = serde_json::to_value(&s.call).expect("json");
            for (k, val) in v.as_object().into_iter().flatten().filter(|(k, _)| *k != "operation") {
                if val.is_object() || val.is_array() {
                    let text = serde_json::to_string_pretty(val).expect("json");
                    println!("      {k}:");
                    for line in text.lines() {
                        println!("        {line}");
                    }
                } else {
                    println!("      {k}: {val}");
                }
            }
        }
    }
    for r in &p.roles {
        println!("\nExternal ID for role {}: {} (trust condition {} {})", r.name, r.external_id, r.condition.operator, r.condition.value);
    }
    for r in &p.service_account_roles {
        println!(
            "\nService-account role {}: assumed by pods of {} on EKS cluster {} ({}) through {}",
            r.name, r.subject, r.cluster, r.cluster_region, r.oidc_provider_arn
        );
    }
    if let Some(a) = &p.cluster_access {
        if a.through_api {
            println!(
                "\nCluster access: {} into EKS cluster {} as {} through an access entry (steps above)",
                a.principal_arn, a.cluster, a.username
            );
        } else {
            println!("\nYour step, which Rolegate does not do: {}", a.persons_step());
        }
    }
    if !p.lints.is_empty() {
        println!();
        for l in &p.lints {
            let s = if l.severity == Severity::Error { "error" } else { "warning" };
            println!("{s}: {}: {}", l.field, l.message);
        }
    }
    println!("\nVerification after apply: GetCallerIdentity with the new key; AssumeRole with the External ID, then without it and with a wrong one (both must be denied); GetCallerIdentity with the session; SimulatePrincipalPolicy where available.");
}

pub fn applied(j: &Journal) {
    println!("Run {}: {}", j.run_id, status_text(j.status));
    for r in j.live_resources() {
        println!("  made: {}", r.resource.describe());
    }
    if let Some(id) = &j.access_key_id {
        println!("  access key {id}: secret in the OS keychain (never printed)");
    }
    for r in &j.plan.roles {
        println!("  role {} — External ID {}", r.arn, r.external_id);
    }
    if let Some(a) = j.plan.cluster_access.as_ref().filter(|a| !a.through_api) {
        println!("  your step, not done: {}", a.persons_step());
    }
    for r in &j.plan.service_account_roles {
        println!(
            "  service-account role {} — annotate service account {}/{} with {}={} (rolegate export {} -f kubernetes)",
            r.arn,
            r.namespace,
            r.service_account,
            rolegate_core::plan::service_accounts::ROLE_ARN_ANNOTATION,
            r.arn,
            j.run_id
        );
    }
}

/// A report's checks, then whether the connection works (Test connection).
pub fn report(r: &VerifyReport) {
    checks(r);
    println!("{}", if r.passed() { "verification passed" } else { "VERIFICATION FAILED" });
}

/// A run's verification: its checks, then the status they earned the run.
pub fn run_report(r: &VerifyReport, j: &Journal) {
    checks(r);
    match j.status {
        RunStatus::Verified => println!("verification passed: run {} is verified", j.run_id),
        RunStatus::AwaitingPlatform => {
            println!("the AWS-side checks passed; run {} is {}:", j.run_id, j.status.label());
            let seqera = j.platform.iter().find(|p| p.live() && p.credential_id.is_some());
            for role in verdict::unproven_roles(&j.plan, r) {
                let ask = match seqera {
                    Some(p) => {
                        format!("`rolegate seqera connect {} --workspace {}` asks Seqera Platform to check it again", j.run_id, p.workspace)
                    }
                    None => "it is proven once that platform has checked it".to_string(),
                };
                println!(
                    "  role {} trusts {}, which Rolegate cannot act as: {ask}, or `rolegate verify {} --assume-as-profile PROFILE` proves it (PROFILE: credentials of that principal)",
                    role.arn,
                    role.principals.join(", "),
                    j.run_id
                );
            }
        }
        _ => println!("VERIFICATION FAILED"),
    }
}

/// A report's checks, each with its fix.
pub fn checks(r: &VerifyReport) {
    if let Some(i) = &r.identity {
        println!("identity from {i}");
    }
    if let Some(a) = &r.account {
        println!("account: {a}");
    }
    if let Some(p) = &r.principal {
        println!("principal: {p}");
    }
    if let Some(d) = r.key_age_days {
        println!("access key age: {d} days");
    }
    if let Some(e) = r.session_expires {
        println!("session expires: {e}");
    }
    for c in &r.checks {
        println!("{} {} — {}", mark(c.status), c.title, c.reason);
        if let Some(fix) = &c.fix {
            for line in fix.lines() {
                println!("     fix: {line}");
            }
        }
    }
}

pub fn rollback(r: &RollbackReport) {
    for d in &r.deleted {
        println!("deleted: {d}");
    }
    for (k, why) in &r.kept {
        println!("KEPT: {k}: {why}");
    }
    if r.kept.is_empty() {
        println!("run {} rolled back: nothing it made is left", r.run_id);
    } else {
        println!("run {} only partly rolled back: {} resource(s) kept, see above", r.run_id, r.kept.len());
    }
}

pub fn runs(list: &[RunSummary]) {
    if list.is_empty() {
        println!("no runs yet");
    }
    for r in list {
        println!(
            "{}  {:<20} {:<20} account {} {}  {} live resource(s)",
            r.run_id,
            r.template_id,
            status_text(r.status),
            r.account,
            r.region,
            r.live_resources
        );
    }
}

pub fn run(j: &Journal) {
    applied(j);
    for h in &j.history {
        println!("  {} {}", h.at, h.message);
    }
    if let Some(e) = &j.last_error {
        println!("last error: {e}");
    }
}

/// A status as the text output shows it: the name, and the words where they say more.
pub fn status_text(s: RunStatus) -> String {
    if s.label() == s.as_str() {
        s.as_str().to_string()
    } else {
        format!("{} ({})", s.as_str(), s.label())
    }
}
