//! `Engine::verify`: runs the checks of `checks` against an applied run (its key, each
//! role's trust policy, the AssumeRole probes, the simulated actions, each service-account
//! role's exact trust in `checks_service_account`) and journals the
//! result: the run's status is `verdict::verdict` of the report.

use super::Engine;
use crate::checks::{check_trust_document, probe_role, Check, CheckStatus, ExpectedTrust, RoleProbe, VerifyReport, TRUST_TITLE};
use crate::checks_service_account::check_service_account_role;
use crate::error::RunError;
use crate::journal::RunStatus;
use crate::ports::Credentials;
use crate::simulate::simulate;
use crate::verdict;

impl Engine {
    /// Verify an applied run: the key works, every role can be assumed with the
    /// External ID and not without it or with a wrong one, the session signs in, and
    /// the needed actions simulate as allowed. `assumer` signs as the platform's
    /// principal for roles that trust a third party.
    pub async fn verify(&self, run_id: &str, assumer: Option<&Credentials>) -> Result<VerifyReport, RunError> {
        let mut journal = self.store.load(run_id)?;
        if !journal.status.is_applied() {
            return Err(RunError::WrongStatus {
                run_id: run_id.into(),
                status: journal.status,
                needs: "only an applied run can be verified".into(),
            });
        }
        self.check_account(&journal).await?;
        let plan = journal.plan.clone();
        let events = &self.events;
        let iam = self.connect.iam();
        let mut report = VerifyReport::new(self.clock.now());
        report.account = Some(plan.account.clone());
        let key_creds = match (&plan.user, &journal.access_key_id) {
            (Some(_), Some(id)) => Some(self.credentials_for_key(id).await?),
            _ => None,
        };
        if let (Some(user), Some(creds)) = (&plan.user, &key_creds) {
            let title = "Sign in with the new access key";
            match self.connect.sts_as(creds).get_caller_identity().await {
                Ok(who) if who.account == plan.account && who.arn.ends_with(&format!("/{}", user.name)) => {
                    report.principal = Some(who.arn.clone());
                    report.push(
                        events,
                        Check::new(
                            "key-works",
                            title,
                            CheckStatus::Passed,
                            format!("access key {} signs in as {}", creds.access_key_id, who.arn),
                        ),
                    );
                }
                Ok(who) => report.push(
                    events,
                    Check::new(
                        "key-works",
                        title,
                        CheckStatus::Failed,
                        format!("access key {} signs in as {}, not as user {}", creds.access_key_id, who.arn, user.name),
                    ),
                ),
                Err(e) => report.push(
                    events,
                    Check::new("key-works", title, CheckStatus::Failed, format!("{}: {}", e.code, e.message))
                        .with_fix(format!("rolegate rotate-key {run_id} makes a new key; rolegate rollback {run_id} removes the run")),
                ),
            }
            if let Ok(keys) = iam.list_access_keys(&user.name).await {
                if let Some(created) = keys.iter().find(|k| k.id == creds.access_key_id).and_then(|k| k.created) {
                    report.key_age_days = Some((self.clock.now() - created).whole_days());
                }
            }
            if plan.roles.is_empty() {
                let docs = plan.documents_for(&user.attach, user.inline_policy.as_ref().map(|(_, d)| d));
                simulate(&mut report, events, iam.as_ref(), "simulate", &user.arn, &user.verify_actions, &docs).await;
            }
        }
        for role in &plan.roles {
            let k = if plan.roles.len() == 1 { String::new() } else { role.key.clone() };
            let id = |base: &str| if k.is_empty() { base.to_string() } else { format!("{base}:{k}") };
            match iam.get_role(&role.name).await {
                Ok(Some(info)) => check_trust_document(
                    &mut report,
                    events,
                    &id("trust-policy"),
                    &ExpectedTrust::for_role(run_id, role, plan.roles.len() > 1),
                    &info.trust_policy,
                ),
                Ok(None) => report.push(
                    events,
                    Check::new(&id("trust-policy"), TRUST_TITLE, CheckStatus::Failed, format!("role {} does not exist", role.name))
                        .with_fix(format!("rolegate apply --resume {run_id}")),
                ),
                Err(e) => report.push(
                    events,
                    Check::new(
                        &id("trust-policy"),
                        TRUST_TITLE,
                        CheckStatus::Failed,
                        format!("could not read the role: {}: {}", e.code, e.message),
                    ),
                ),
            }
            let probe = RoleProbe {
                key: k.clone(),
                role_arn: role.arn.clone(),
                external_id: role.external_id.clone(),
                session_name: run_id.to_string(),
                condition: role.condition.clone(),
                verify_actions: role.verify_actions.clone(),
            };
            let signer = if role.trusts_created_user { key_creds.as_ref() } else { assumer };
            match signer {
                Some(c) => {
                    let sts = self.connect.sts_as(c);
                    match sts.get_caller_identity().await {
                        Ok(who) => probe_role(&mut report, events, self.connect.as_ref(), &sts, &who.arn, &probe).await,
                        Err(e) => report.push(
                            events,
                            Check::new(
                                &id("assume-with-external-id"),
                                "Assume the role with the External ID",
                                CheckStatus::Failed,
                                format!("the assuming credentials do not sign in: {}: {}", e.code, e.message),
                            ),
                        ),
                    }
                }
                None => {
                    let why = format!(
                        "skipped: only {} can assume this role; to run these checks, give credentials of that principal (rolegate verify {run_id} --assume-as-profile PROFILE)",
                        role.principals.join(", ")
                    );
                    for (base, title) in [
                        ("assume-with-external-id", "Assume the role with the External ID"),
                        ("assume-without-external-id", "The role can NOT be assumed without an External ID"),
                        ("assume-with-wrong-external-id", "The role can NOT be assumed with a wrong External ID"),
                    ] {
                        report.push(events, Check::new(&id(base), title, CheckStatus::Skipped, why.clone()));
                    }
                }
            }
            let docs = plan.documents_for(&role.attach, None);
            simulate(&mut report, events, iam.as_ref(), &id("simulate"), &role.arn, &role.verify_actions, &docs).await;
        }
        for role in &plan.service_account_roles {
            check_service_account_role(&mut report, events, iam.as_ref(), role).await;
            let docs = plan.documents_for(&role.attach, None);
            simulate(&mut report, events, iam.as_ref(), &format!("simulate:{}", role.key), &role.arn, &role.verify_actions, &docs).await;
        }
        if let Some(a) = &plan.cluster_access {
            let eks = self.connect.eks(&a.cluster_region);
            crate::checks_cluster_access::check_cluster_access(&mut report, events, eks.as_ref(), run_id, a).await;
        }
        let now = self.clock.now();
        journal.status = verdict::verdict(&plan, &report);
        journal.verification = Some(report.clone());
        let note = match journal.status {
            RunStatus::Verified => "verification passed".to_string(),
            RunStatus::AwaitingPlatform => format!(
                "verification: the AWS-side checks passed; awaiting the platform's check of role(s) {}",
                verdict::unproven_roles(&plan, &report).iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
            _ => "verification FAILED".to_string(),
        };
        journal.note(now, note);
        self.store.save(&journal)?;
        Ok(report)
    }
}
