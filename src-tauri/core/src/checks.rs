//! The checks behind verification and Test connection (`Check`, `VerifyReport`, the
//! role probes; the live trust document check is in `checks_trust.rs`): prove the result works and is safe. The
//! role must be assumable WITH the External ID; only once that has succeeded do the
//! checks that it can NOT be assumed without it, or with a wrong one, mean anything.
//! Every check ends passed, failed or skipped with its reason; a failure carries the
//! concrete fix. `Engine::verify` runs them for a run.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::events::{Event, EventSink};
use crate::policy::{self, ExternalIdCondition};
use crate::ports::{AssumeRoleInput, AwsError, AwsErrorKind, Connect, Credentials, Sts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Passed,
    Failed,
    Skipped,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Check {
    pub id: String,
    pub title: String,
    pub status: CheckStatus,
    pub reason: String,
    /// On failure: what to change, concretely (a trust statement to paste, a command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn new(id: &str, title: &str, status: CheckStatus, reason: impl Into<String>) -> Check {
        Check { id: id.into(), title: title.into(), status, reason: reason.into(), fix: None }
    }
    pub fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// Everything verification or Test connection found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VerifyReport {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub account: Option<String>,
    /// Where the tested credentials came from (Test connection).
    #[serde(default)]
    pub identity: Option<crate::identity::IdentitySource>,
    /// The principal the credentials sign in as.
    pub principal: Option<String>,
    /// Age of the long-lived access key, where IAM lets the caller see it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub key_age_days: Option<i64>,
    /// When the temporary credentials from the role expire.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub session_expires: Option<OffsetDateTime>,
    pub checks: Vec<Check>,
}

impl VerifyReport {
    pub fn new(at: OffsetDateTime) -> Self {
        VerifyReport { at, account: None, identity: None, principal: None, key_age_days: None, session_expires: None, checks: Vec::new() }
    }
    /// No check failed (skipped checks do not fail a report).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Failed)
    }
    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Failed)
    }
    pub fn push(&mut self, events: &EventSink, c: Check) {
        (events)(&Event::CheckDone { check: c.clone() });
        self.checks.push(c);
    }
}

/// A role to probe.
#[derive(Debug, Clone)]
pub struct RoleProbe {
    /// Suffix for check ids (`main`, `read`...); empty for a single role.
    pub key: String,
    pub role_arn: String,
    pub external_id: String,
    pub session_name: String,
    /// The condition the trust policy should use (for the wrong-id check and the fix).
    pub condition: ExternalIdCondition,
    pub verify_actions: Vec<String>,
}

fn cid(base: &str, key: &str) -> String {
    if key.is_empty() {
        base.to_string()
    } else {
        format!("{base}:{key}")
    }
}

/// The IAM principal ARN a caller ARN stands for in a trust policy.
pub fn trust_principal_for(caller_arn: &str) -> String {
    // arn:aws:sts::123456789012:assumed-role/Role/session -> arn:aws:iam::123456789012:role/Role
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[2] == "sts" {
        if let Some(rest) = parts[5].strip_prefix("assumed-role/") {
            let role = rest.split('/').next().unwrap_or_default();
            return format!("arn:{}:iam::{}:role/{role}", parts[1], parts[4]);
        }
    }
    caller_arn.to_string()
}

/// An External ID that the condition does not accept.
fn wrong_external_id(condition: &ExternalIdCondition, right: &str) -> String {
    for candidate in [
        right.strip_suffix("@read").map(|s| format!("{s}@write")),
        right.strip_suffix("@write").map(|s| format!("{s}@read")),
        Some(format!("{right}-wrong")),
        Some("rolegate-wrong-external-id".to_string()),
    ]
    .into_iter()
    .flatten()
    {
        if !policy::glob_match(&condition.value, &candidate) && candidate != right {
            return candidate;
        }
    }
    "rolegate-wrong-external-id".into()
}

fn open_role_fix(role_arn: &str, principal: &str, condition: &ExternalIdCondition) -> String {
    let stmt = policy::trust_statement(&[principal.to_string()], condition);
    format!(
        "In the trust policy of {role_arn}, replace the statement that lets {principal} call sts:AssumeRole with this one, which requires the External ID:\n{}\n(aws iam update-assume-role-policy --role-name {} --policy-document file://trust.json)",
        serde_json::to_string_pretty(&stmt).expect("json"),
        role_arn.rsplit('/').next().unwrap_or(role_arn)
    )
}

/// Assume the role with, without and with a wrong External ID, then sign in with the
/// temporary credentials. Returns the expiry of the session when the first succeeded.
pub async fn probe_role(
    report: &mut VerifyReport,
    events: &EventSink,
    connect: &dyn Connect,
    assumer: &Arc<dyn Sts>,
    assumer_arn: &str,
    probe: &RoleProbe,
) {
    let k = &probe.key;
    let input = |external_id: Option<String>| AssumeRoleInput {
        role_arn: probe.role_arn.clone(),
        session_name: probe.session_name.clone(),
        external_id,
        duration_seconds: None,
        tags: Vec::new(),
    };
    let principal = trust_principal_for(assumer_arn);
    let with = assumer.assume_role(&input(Some(probe.external_id.clone()))).await;
    let creds = match with {
        Ok(assumed) => {
            report.session_expires = assumed.credentials.expiration;
            report.push(
                events,
                Check::new(
                    &cid("assume-with-external-id", k),
                    "Assume the role with the External ID",
                    CheckStatus::Passed,
                    format!("{principal} assumed {} as {}", probe.role_arn, assumed.arn),
                ),
            );
            Some((assumed.credentials, assumed.arn))
        }
        Err(e) => {
            let fix = match e.kind {
                AwsErrorKind::AccessDenied => format!(
                    "The trust policy of {} must allow {principal} with the External ID, and {principal} needs sts:AssumeRole on the role in its own policies. Trust statement:\n{}",
                    probe.role_arn,
                    serde_json::to_string_pretty(&policy::trust_statement(std::slice::from_ref(&principal), &probe.condition)).expect("json")
                ),
                _ => "Check the role ARN, the region's STS endpoint and the credentials, then run the check again.".into(),
            };
            report.push(
                events,
                Check::new(
                    &cid("assume-with-external-id", k),
                    "Assume the role with the External ID",
                    CheckStatus::Failed,
                    format!("{}: {}", e.code, e.message),
                )
                .with_fix(fix),
            );
            None
        }
    };
    let Some((temp, assumed_arn)) = creds else {
        let why = "skipped: assuming with the External ID failed, so a denial here would prove nothing";
        report.push(
            events,
            Check::new(
                &cid("assume-without-external-id", k),
                "The role can NOT be assumed without an External ID",
                CheckStatus::Skipped,
                why,
            ),
        );
        report.push(
            events,
            Check::new(
                &cid("assume-with-wrong-external-id", k),
                "The role can NOT be assumed with a wrong External ID",
                CheckStatus::Skipped,
                why,
            ),
        );
        report.push(events, Check::new(&cid("session-identity", k), "Sign in with the temporary credentials", CheckStatus::Skipped, why));
        return;
    };
    let negative = |id: &str, title: &str, r: Result<crate::ports::AssumedRole, AwsError>, what: &str| {
        match r {
        Err(e) if e.kind == AwsErrorKind::AccessDenied => Check::new(id, title, CheckStatus::Passed, format!("denied as it must be ({})", e.code)),
        Ok(_) => Check::new(id, title, CheckStatus::Failed, format!(
            "{principal} assumed {} {what}: anyone who can act as {principal} can reach this account without the customer's External ID (the confused deputy)",
            probe.role_arn
        ))
        .with_fix(open_role_fix(&probe.role_arn, &principal, &probe.condition)),
        Err(e) => Check::new(id, title, CheckStatus::Failed, format!("the check could not be completed ({}: {}); it is not counted as passed", e.code, e.message)),
    }
    };
    let without = assumer.assume_role(&input(None)).await;
    report.push(
        events,
        negative(
            &cid("assume-without-external-id", k),
            "The role can NOT be assumed without an External ID",
            without,
            "without any External ID",
        ),
    );
    let wrong = wrong_external_id(&probe.condition, &probe.external_id);
    let r = assumer.assume_role(&input(Some(wrong.clone()))).await;
    report.push(
        events,
        negative(
            &cid("assume-with-wrong-external-id", k),
            "The role can NOT be assumed with a wrong External ID",
            r,
            &format!("with the wrong External ID {wrong:?}"),
        ),
    );

    let session_sts = connect.sts_as(&temp);
    let title = "Sign in with the temporary credentials";
    match session_sts.get_caller_identity().await {
        Ok(who) => {
            let role_name = probe.role_arn.rsplit('/').next().unwrap_or_default();
            let expected_suffix = format!("assumed-role/{role_name}/{}", probe.session_name);
            if who.arn.ends_with(&expected_suffix) && who.arn == assumed_arn {
                report.push(
                    events,
                    Check::new(
                        &cid("session-identity", k),
                        title,
                        CheckStatus::Passed,
                        format!("the session signs in as {} (session name {})", who.arn, probe.session_name),
                    ),
                );
            } else {
                report.push(
                    events,
                    Check::new(
                        &cid("session-identity", k),
                        title,
                        CheckStatus::Failed,
                        format!("the session signs in as {}, expected …:{expected_suffix}", who.arn),
                    ),
                );
            }
        }
        Err(e) => {
            report.push(events, Check::new(&cid("session-identity", k), title, CheckStatus::Failed, format!("{}: {}", e.code, e.message)))
        }
    }
}

/// Test connection: sign in with existing credentials (or the bootstrap identity) and,
/// when a role is given, run the same role checks as verification.
pub async fn test_connection(
    connect: &dyn Connect,
    events: &EventSink,
    creds: Option<&Credentials>,
    role: Option<&RoleProbe>,
    now: OffsetDateTime,
) -> VerifyReport {
    let mut report = VerifyReport::new(now);
    let sts: Arc<dyn Sts> = match creds {
        Some(c) => connect.sts_as(c),
        None => connect.sts(),
    };
    let title = "Sign in with the credentials";
    let who = match sts.get_caller_identity().await {
        Ok(w) => w,
        Err(e) => {
            let fix = match e.kind {
                AwsErrorKind::InvalidClientTokenId => {
                    "AWS does not know this access key: it was deleted, deactivated, or belongs to another partition."
                }
                AwsErrorKind::SignatureDoesNotMatch => "The secret access key does not belong to this access key id.",
                AwsErrorKind::NoCredentials => "No credentials were found: name a profile, an access key, or set AWS_PROFILE.",
                _ => "Check the credentials and the endpoint, then try again.",
            };
            report.push(events, Check::new("identity", title, CheckStatus::Failed, format!("{}: {}", e.code, e.message)).with_fix(fix));
            if let Some(p) = role {
                report.push(
                    events,
                    Check::new(
                        &cid("assume-with-external-id", &p.key),
                        "Assume the role with the External ID",
                        CheckStatus::Skipped,
                        "skipped: the credentials do not sign in",
                    ),
                );
            }
            return report;
        }
    };
    report.account = Some(who.account.clone());
    report.principal = Some(who.arn.clone());
    report.push(events, Check::new("identity", title, CheckStatus::Passed, format!("signed in as {} in account {}", who.arn, who.account)));
    if let Some(c) = creds.filter(|c| c.session_token.is_none()) {
        if let Some(user) = who.arn.split(":user/").nth(1).and_then(|p| p.rsplit('/').next()) {
            if let Ok(keys) = connect.iam_as(c).list_access_keys(user).await {
                if let Some(created) = keys.iter().find(|k| k.id == c.access_key_id).and_then(|k| k.created) {
                    report.key_age_days = Some((now - created).whole_days());
                }
            }
        }
    }
    if let Some(p) = role {
        probe_role(&mut report, events, connect, &sts, &who.arn, p).await;
    }
    report
}

#[path = "checks_trust.rs"]
mod trust;
pub use trust::{check_trust_document, ExpectedTrust, MadeBy, TRUST_TITLE};

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
