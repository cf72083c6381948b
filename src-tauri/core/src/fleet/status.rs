//! `Engine::fleet_status` and the report every fleet command ends with: one row per
//! account (its instance's status and reason, and a verdict), each CURRENT account
//! verified through the organization's access role (OrganizationAccountAccessRole by
//! default) with the single run's checks (the role, its exact trust with that account's
//! External ID, its policies, the simulated actions), at most 16 accounts at once,
//! throttled calls tried again. A trust that differs from the deployed one (drift) fails
//! the account and names what changed.

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

use super::journal::{FleetJournal, FleetStatus, StackSetState};
use super::render::stackset_template;
use super::request::DEFAULT_VERIFY_CONCURRENCY;
use super::stacksets::InstanceInfo;
use crate::checks::{check_trust_document, Check, CheckStatus, ExpectedTrust, MadeBy, VerifyReport};
use crate::error::RunError;
use crate::events::Event;
use crate::plan::Plan;
use crate::ports::{AssumeRoleInput, AwsErrorKind, Credentials};
use crate::simulate::simulate;
use crate::Engine;

/// How long a refused access role is asked again, as a role that may be propagating.
const ACCESS_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Accounts verified while their operation ran: account -> its report.
pub(crate) type Verified = std::collections::HashMap<String, VerifyReport>;

/// One account's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum AccountVerdict {
    /// A check failed, or the instance did not deploy.
    Failed,
    /// The checks Rolegate can run passed; only the trusted platform can assume the
    /// role, so its own check is what remains.
    AwaitingPlatform,
    /// The account could not be read (its access role refused): nothing was checked.
    Unverified,
    /// The instance is being deployed or deleted.
    Pending,
    /// The instance and its role are gone (after a roll-back).
    Removed,
}

impl AccountVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountVerdict::Failed => "failed",
            AccountVerdict::AwaitingPlatform => "awaiting-platform",
            AccountVerdict::Unverified => "unverified",
            AccountVerdict::Pending => "pending",
            AccountVerdict::Removed => "removed",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AccountRow {
    pub account: String,
    pub region: String,
    /// CURRENT, OUTDATED, INOPERABLE, or NONE when the account has no instance.
    pub instance_status: String,
    pub detailed_status: String,
    pub verdict: AccountVerdict,
    /// Why, in words: the failed check or the instance's reason.
    pub reason: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub fix: Option<String>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetReport {
    pub fleet_id: String,
    pub status: FleetStatus,
    pub template_id: String,
    pub stack_set_name: String,
    pub stack_set_id: Option<String>,
    pub permission_model: super::stacksets::PermissionModel,
    pub last_operation: Option<String>,
    pub accounts: Vec<AccountRow>,
    pub notes: Vec<String>,
}

impl FleetReport {
    /// Every account is as the fleet's status says it should be: after a roll-back, nothing
    /// of the fleet is left in any of them; else each passed Rolegate's checks and awaits
    /// only the platform's own.
    pub fn all_good(&self) -> bool {
        if self.status == FleetStatus::RolledBack {
            return self.accounts.iter().all(|r| r.verdict == AccountVerdict::Removed);
        }
        !self.accounts.is_empty() && self.accounts.iter().all(|r| r.verdict == AccountVerdict::AwaitingPlatform)
    }
    pub fn count(&self, v: AccountVerdict) -> usize {
        self.accounts.iter().filter(|r| r.verdict == v).count()
    }
}

/// A fleet as `fleet list` shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FleetSummary {
    pub fleet_id: String,
    pub status: FleetStatus,
    pub template_id: String,
    pub stack_set_name: String,
    pub account: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Accounts whose last result was SUCCEEDED, of those the operations reached.
    pub succeeded: usize,
    pub reached: usize,
}

/// Replace the planned account's ARNs in a document with `account`'s (what the
/// StackSet's `${AWS::AccountId}` becomes there).
fn for_account(v: &Value, planned: &str, account: &str) -> Value {
    let text = v.to_string().replace(&format!(":{planned}:"), &format!(":{account}:"));
    serde_json::from_str(&text).expect("a document stays JSON")
}

impl Engine {
    /// Every account's instance and verdict, read now; drift shows as a failed trust check.
    pub async fn fleet_status(&self, fleet_id: &str) -> Result<FleetReport, RunError> {
        let j = self.load_fleet(fleet_id)?;
        self.check_fleet_account(&j).await?;
        self.fleet_report(&j, &Verified::new()).await
    }

    /// The fleets of this home, newest first.
    pub fn fleet_list(&self) -> Result<Vec<FleetSummary>, RunError> {
        Ok(self
            .fleets
            .list()?
            .into_iter()
            .map(|j| {
                let last = j.operations.iter().rev().find(|o| o.accepted);
                FleetSummary {
                    succeeded: last.map(|o| o.results.iter().filter(|r| r.status == "SUCCEEDED").count()).unwrap_or(0),
                    reached: last.map(|o| o.results.len()).unwrap_or(0),
                    fleet_id: j.fleet_id,
                    status: j.status,
                    template_id: j.plan.template_id,
                    stack_set_name: j.stack_set.name,
                    account: j.account,
                    created_at: j.created_at,
                }
            })
            .collect())
    }

    /// The report, each CURRENT account verified now unless `verified` holds its report
    /// (made while the operation ran).
    pub(crate) async fn fleet_report(&self, j: &FleetJournal, verified: &Verified) -> Result<FleetReport, RunError> {
        let ss = self.connect.stacksets();
        let instances = if j.stack_set.state == StackSetState::Created {
            self.patiently(|| ss.list_stack_instances(&j.stack_set.name)).await.map_err(|e| self.refused(j, e))?
        } else {
            Vec::new()
        };
        let mut rows: Vec<AccountRow> = if j.status == FleetStatus::RolledBack {
            // Rolled back: each account the fleet reached (its operations', and those the
            // deletion found, automatic deployments included) is looked at for what is left.
            let mut reached: Vec<(String, String)> =
                j.operations.iter().flat_map(|o| o.results.iter().map(|r| (r.account.clone(), r.region.clone()))).collect();
            reached.sort();
            reached.dedup();
            stream::iter(reached).map(|(a, r)| self.removed_row(j, a, r)).buffer_unordered(DEFAULT_VERIFY_CONCURRENCY).collect().await
        } else {
            stream::iter(instances.iter().cloned())
                .map(|i| {
                    let done = verified.get(&i.account).cloned();
                    self.account_row(j, i, done)
                })
                .buffer_unordered(DEFAULT_VERIFY_CONCURRENCY)
                .collect()
                .await
        };
        // Accounts an operation reached that have no instance (CANCELLED, or refused).
        if let Some(op) = j.operations.iter().rev().find(|o| o.accepted && !o.action.deletes()) {
            for r in &op.results {
                if !rows.iter().any(|x| x.account == r.account) && j.status != FleetStatus::RolledBack {
                    rows.push(AccountRow {
                        account: r.account.clone(),
                        region: r.region.clone(),
                        instance_status: "NONE".into(),
                        detailed_status: r.status.clone(),
                        verdict: AccountVerdict::Failed,
                        reason: format!("no stack instance: the operation's result was {} {}", r.status, r.reason).trim().to_string(),
                        fix: Some(format!("rolegate fleet retry {}", j.fleet_id)),
                        checks: Vec::new(),
                    });
                }
            }
        }
        rows.sort_by(|a, b| a.account.cmp(&b.account).then_with(|| a.region.cmp(&b.region)));
        for r in &rows {
            self.emit(Event::FleetVerdict {
                fleet_id: j.fleet_id.clone(),
                account: r.account.clone(),
                verdict: r.verdict.as_str().into(),
                reason: r.reason.clone(),
            });
        }
        Ok(FleetReport {
            fleet_id: j.fleet_id.clone(),
            status: j.status,
            template_id: j.plan.template_id.clone(),
            stack_set_name: j.stack_set.name.clone(),
            stack_set_id: j.stack_set.id.clone(),
            permission_model: j.stack_set.permission_model,
            last_operation: j.operations.last().map(|o| o.id.clone()),
            accounts: rows,
            notes: j.notes.iter().map(|n| n.message.clone()).collect(),
        })
    }

    async fn account_row(&self, j: &FleetJournal, i: InstanceInfo, verified: Option<VerifyReport>) -> AccountRow {
        let mut row = AccountRow {
            account: i.account.clone(),
            region: i.region.clone(),
            instance_status: i.status.clone(),
            detailed_status: i.detailed_status.clone(),
            verdict: AccountVerdict::Pending,
            reason: i.reason.clone(),
            fix: None,
            checks: Vec::new(),
        };
        match (i.status.as_str(), i.detailed_status.as_str()) {
            ("CURRENT", _) => {}
            (_, "PENDING" | "RUNNING") => {
                row.reason = format!("the instance is {}", i.detailed_status);
                return row;
            }
            _ => {
                row.verdict = AccountVerdict::Failed;
                row.reason = format!("the stack instance is {} ({}): {}", i.status, i.detailed_status, i.reason);
                row.fix = Some(format!("fix the cause in account {}, then `rolegate fleet retry {}`", i.account, j.fleet_id));
                return row;
            }
        }
        let report = match verified {
            Some(r) => r,
            None => self.verify_account(j, &i.account).await,
        };
        row.checks = report.checks.clone();
        match report.failed().next() {
            Some(c) => {
                row.verdict = if c.id == "access" { AccountVerdict::Unverified } else { AccountVerdict::Failed };
                row.reason = format!("{}: {}", c.title, c.reason);
                row.fix = c.fix.clone();
            }
            // The assume probes are the platform's to run: only its principal is trusted.
            None => {
                row.verdict = AccountVerdict::AwaitingPlatform;
                row.reason = "the role, its trust and its policies are as deployed; only the trusted platform can assume it, and its own check proves that".into();
            }
        }
        row
    }

    /// After a roll-back: none of the fleet's roles is left in the account.
    async fn removed_row(&self, j: &FleetJournal, account: String, region: String) -> AccountRow {
        let mut row = AccountRow {
            account: account.clone(),
            region,
            instance_status: "NONE".into(),
            detailed_status: String::new(),
            verdict: AccountVerdict::Removed,
            reason: String::new(),
            fix: None,
            checks: Vec::new(),
        };
        let creds = match self.access_credentials(j, &account).await {
            Ok(c) => c,
            Err(check) => {
                row.verdict = AccountVerdict::Unverified;
                row.reason = format!("the instance is deleted; whether its roles are gone could not be read: {}", check.reason);
                row.fix = check.fix.clone();
                row.checks.push(check);
                return row;
            }
        };
        let iam = self.connect.iam_as(&creds);
        let mut left = Vec::new();
        for role in &j.plan.roles {
            match self.patiently(|| iam.get_role(&role.name)).await {
                Ok(None) => {}
                Ok(Some(r)) => left.push(r.arn),
                Err(e) => left.push(format!("{} (could not be read: {}: {})", role.name, e.code, e.message)),
            }
        }
        if left.is_empty() {
            row.reason = format!(
                "the instance and role(s) {} are gone",
                j.plan.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
            );
        } else {
            row.verdict = AccountVerdict::Failed;
            row.reason = format!("still there: {}", left.join(", "));
        }
        row
    }

    /// `verify_account`, named by its account.
    pub(crate) async fn verify_one(&self, j: &FleetJournal, account: String) -> (String, VerifyReport) {
        let report = self.verify_account(j, &account).await;
        (account, report)
    }

    /// Into the account through its access role, then the single run's role checks.
    pub(crate) async fn verify_account(&self, j: &FleetJournal, account: &str) -> VerifyReport {
        let events = crate::events::discard();
        let mut report = VerifyReport::new(self.clock.now());
        report.account = Some(account.into());
        let creds = match self.access_credentials(j, account).await {
            Ok(c) => c,
            Err(check) => {
                report.push(&events, check);
                return report;
            }
        };
        report.push(&events, Check::new("access", "Read the account", CheckStatus::Passed, format!("through role {}", j.access_role)));
        let iam = self.connect.iam_as(&creds);
        self.verify_roles(&mut report, &events, iam.as_ref(), j, account).await;
        report
    }

    /// Temporary credentials in `account` through the fleet's access role; a refusal is
    /// the failed `access` check that says what would let it run.
    async fn access_credentials(&self, j: &FleetJournal, account: &str) -> Result<Credentials, Check> {
        let partition = j.plan.roles.first().and_then(|r| r.arn.split(":iam::").next()).unwrap_or("arn:aws").to_string();
        let input = AssumeRoleInput {
            role_arn: format!("{partition}:iam::{account}:role/{}", j.access_role),
            session_name: format!("rolegate-{}", j.fleet_id),
            external_id: None,
            duration_seconds: None,
            tags: Vec::new(),
        };
        let sts = self.connect.sts();
        // A role made moments ago (the access role of an account the organization has
        // just created) is refused until IAM has propagated it: that "not yet" is waited
        // out, for at most ACCESS_WAIT.
        let limit = self.poll.timeout.min(ACCESS_WAIT);
        let started = self.clock.now();
        let answer = loop {
            let answer = self.patiently(|| sts.assume_role(&input)).await;
            let waited = (self.clock.now() - started).unsigned_abs();
            match answer {
                Err(e) if e.kind == AwsErrorKind::AccessDenied && waited < limit => self.clock.sleep(self.poll.pause(waited)).await,
                other => break other,
            }
        };
        match answer {
            Ok(a) => Ok(a.credentials),
            Err(e) => {
                let fix = if e.kind == AwsErrorKind::AccessDenied {
                    format!(
                        "let {} assume {} (the organization makes OrganizationAccountAccessRole in accounts it creates; an invited account needs it made), or name the role to use with --access-role",
                        j.identity_arn, input.role_arn
                    )
                } else {
                    format!("`rolegate fleet status {}` tries again", j.fleet_id)
                };
                Err(Check::new(
                    "access",
                    "Read the account",
                    CheckStatus::Failed,
                    format!("could not assume {} (tried for {} s): {}: {}", input.role_arn, limit.as_secs(), e.code, e.message),
                )
                .with_fix(fix))
            }
        }
    }
}

impl Engine {
    /// Each planned role as its instance should have made it in `account`.
    async fn verify_roles(
        &self,
        report: &mut VerifyReport,
        events: &crate::events::EventSink,
        iam: &dyn crate::ports::Iam,
        j: &FleetJournal,
        account: &str,
    ) {
        let plan: &Plan = &j.plan;
        let parameters = stackset_template(plan, &j.fleet_id).map(|t| t.parameters).unwrap_or_default();
        let several = plan.roles.len() > 1;
        for role in &plan.roles {
            let id = |base: &str| if several { format!("{base}.{}", role.key) } else { base.to_string() };
            let role_arn = role.arn.replace(&format!(":{}:", plan.account), &format!(":{account}:"));
            let live = match self.patiently(|| iam.get_role(&role.name)).await {
                Ok(Some(r)) => r,
                Ok(None) => {
                    report.push(
                        events,
                        Check::new(
                            &id("role"),
                            "The role exists",
                            CheckStatus::Failed,
                            format!("{role_arn} does not exist although the instance is CURRENT"),
                        )
                        .with_fix(format!("`rolegate fleet retry {}` deploys it again", j.fleet_id)),
                    );
                    continue;
                }
                Err(e) => {
                    report.push(
                        events,
                        Check::new(
                            &id("role"),
                            "The role exists",
                            CheckStatus::Failed,
                            format!("{}: {}: {}", e.operation, e.code, e.message),
                        ),
                    );
                    continue;
                }
            };
            report.push(events, Check::new(&id("role"), "The role exists", CheckStatus::Passed, live.arn.clone()));
            let parameter = parameters.iter().find(|p| p.role_key == role.key);
            let external_id = match parameter {
                Some(p) => j.external_id_for(&p.name, &p.default),
                None => role.external_id.clone(),
            };
            let mut condition = role.condition.clone();
            if parameter.is_some() {
                condition.value = external_id.clone();
            }
            let document = crate::policy::trust_policy(&role.principals, &condition);
            let expected = ExpectedTrust {
                run_id: &j.fleet_id,
                role_key: several.then_some(role.key.as_str()),
                role_arn: &role_arn,
                role_name: &role.name,
                principals: &role.principals,
                condition: &condition,
                external_id: &external_id,
                document: &document,
                made_by: MadeBy::Fleet { account, parameter: parameter.map(|p| p.name.as_str()).unwrap_or("ExternalId") },
            };
            check_trust_document(report, events, &id("trust"), &expected, &live.trust_policy);
            let want: Vec<String> = {
                let mut v: Vec<String> =
                    role.attach.iter().map(|a| a.replace(&format!(":{}:", plan.account), &format!(":{account}:"))).collect();
                v.sort();
                v
            };
            match self.patiently(|| iam.list_attached_role_policies(&role.name)).await {
                Ok(mut got) => {
                    got.sort();
                    let (status, reason) = if got == want {
                        (CheckStatus::Passed, format!("attached: {}", got.join(", ")))
                    } else {
                        (CheckStatus::Failed, format!("attached {:?}, deployed {:?}", got, want))
                    };
                    report.push(events, Check::new(&id("policies"), "The role's policies are the deployed ones", status, reason));
                }
                Err(e) => report.push(
                    events,
                    Check::new(
                        &id("policies"),
                        "The role's policies are the deployed ones",
                        CheckStatus::Failed,
                        format!("{}: {}: {}", e.operation, e.code, e.message),
                    ),
                ),
            }
            let docs: Vec<Value> =
                plan.documents_for(&role.attach, None).into_iter().map(|d| for_account(d, &plan.account, account)).collect();
            let refs: Vec<&Value> = docs.iter().collect();
            simulate(report, events, iam, &id("simulate"), &role_arn, &role.verify_actions, &refs).await;
            let who = role.principals.join(", ");
            report.push(
                events,
                Check::new(
                    &id("assume-with-external-id"),
                    "Assume the role with the External ID",
                    CheckStatus::Skipped,
                    format!("skipped: only {who} can assume this role; the platform's own check of the credential proves it"),
                ),
            );
        }
    }
}
