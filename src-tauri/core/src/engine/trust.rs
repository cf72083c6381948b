//! `Engine::set_external_id`: adopt or change the External ID of a role an applied run
//! made (the value the platform generated). The trust policy is rebuilt from the plan
//! with the new value, the role's run tag is re-checked, the change is journaled as an
//! intent before UpdateAssumeRolePolicy and its result after, the journal's plan takes
//! the new value (so exports and verify use it), then the engine waits until the new
//! value works and verifies the run again. Calling it again with the same value after a
//! stop finishes the change; roll-back is unchanged (the role is deleted as before).

use serde::Serialize;
use serde_json::Value;

use super::{invalid, owned_by, owner_of, Engine};
use crate::checks::VerifyReport;
use crate::error::RunError;
use crate::events::{Event, NoticeKind};
use crate::journal::{Journal, Resource, RunStatus, TrustChange};
use crate::plan::{Call, PlannedRole, StepId};
use crate::policy::{self, DocKind, ExternalIdCondition, LintContext};
use crate::ports::AssumeRoleInput;
use crate::propagation::{self, WaitError};
use crate::validate;

/// How `set_external_id` runs.
#[derive(Debug, Clone)]
pub struct ExternalIdOptions {
    /// Verify the run once the new value works (the run's status says the outcome).
    pub verify: bool,
}

impl Default for ExternalIdOptions {
    fn default() -> Self {
        ExternalIdOptions { verify: true }
    }
}

/// What `set_external_id` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TrustOutcome {
    /// UpdateAssumeRolePolicy replaced the trust policy.
    Changed,
    /// The live trust policy already was the new one (an earlier call was stopped
    /// before the journal recorded it): the journal now records it.
    Adopted,
    /// The run already used this value and the live trust policy requires it.
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExternalIdChange {
    pub run_id: String,
    pub role_key: String,
    pub role_name: String,
    pub previous_external_id: String,
    pub external_id: String,
    pub outcome: TrustOutcome,
    /// Whether the engine waited until the new value works (only possible when the run's
    /// own key assumes the role; a third party's role is checked by that party).
    pub waited: bool,
    pub status: RunStatus,
    pub verification: Option<VerifyReport>,
}

/// Split `[ROLE_KEY=]VALUE` as the front ends take it: the text before the first `=` is a
/// role key only when the run has a role of that key (an External ID may hold `=`).
pub fn split_role_value(roles: &[PlannedRole], arg: &str) -> (Option<String>, String) {
    match arg.split_once('=') {
        Some((k, v)) if roles.iter().any(|r| r.key == k) => (Some(k.to_string()), v.to_string()),
        _ => (None, arg.to_string()),
    }
}

/// The role of the run whose External ID is set: the one named, or the only one.
fn pick_role<'a>(j: &'a Journal, role_key: Option<&str>) -> Result<&'a PlannedRole, RunError> {
    let keys = || j.plan.roles.iter().map(|r| r.key.as_str()).collect::<Vec<_>>().join(", ");
    let role = match role_key {
        Some(k) => j.plan.roles.iter().find(|r| r.key == k).ok_or_else(|| {
            if j.plan.roles.is_empty() {
                invalid("role", "no-role", format!("run {} made no role; an External ID belongs to a role's trust policy", j.run_id))
            } else {
                invalid("role", "unknown-role", format!("run {} has no role {k:?}; its roles: {}", j.run_id, keys()))
            }
        })?,
        None => match j.plan.roles.as_slice() {
            [only] => only,
            [] => {
                return Err(invalid(
                    "role",
                    "no-role",
                    format!("run {} made no role; an External ID belongs to a role's trust policy", j.run_id),
                ))
            }
            _ => return Err(invalid("role", "role-required", format!("run {} has several roles; name one of {}", j.run_id, keys()))),
        },
    };
    if !j.has_resource(&Resource::Role { name: role.name.clone() }) {
        return Err(invalid(
            "role",
            "not-made",
            format!("run {} records no role {} it made (rolled back, or never made)", j.run_id, role.name),
        ));
    }
    Ok(role)
}

/// The condition the new value is checked with: an exact value is replaced; a
/// template's pattern (StringLike) stays, and the value must match it.
fn new_condition(role: &PlannedRole, value: &str) -> Result<ExternalIdCondition, RunError> {
    let mut errs = validate::external_id("external_id", value);
    if !errs.is_empty() {
        return Err(RunError::Invalid(errs));
    }
    if role.condition.operator == "StringEquals" {
        return Ok(ExternalIdCondition::for_value(value));
    }
    if !policy::glob_match(&role.condition.value, value) {
        errs.push(validate::FieldError::new(
            "external_id",
            "external-id-pattern",
            format!("the External ID {value:?} does not match role {}'s trust condition {:?}", role.key, role.condition.value),
        ));
        return Err(RunError::Invalid(errs));
    }
    Ok(role.condition.clone())
}

/// The role's trust policy from the plan with `cond`: the same principals, and the
/// TagSession statement when the plan's document has one.
fn rebuild_trust(role: &PlannedRole, cond: &ExternalIdCondition, account: &str) -> Result<Value, RunError> {
    let mut doc = policy::trust_policy(&role.principals, cond);
    let has_tag_session = role.trust_policy["Statement"]
        .as_array()
        .is_some_and(|s| s.iter().any(|st| st.get("Sid").and_then(Value::as_str) == Some("TagSession")));
    if !has_tag_session {
        if let Some(list) = doc["Statement"].as_array_mut() {
            list.retain(|st| st.get("Sid").and_then(Value::as_str) != Some("TagSession"));
        }
    }
    let field = format!("trust.{}", role.key);
    let errs = policy::check_shape(&field, &doc, DocKind::Trust);
    if !errs.is_empty() {
        return Err(RunError::Invalid(errs));
    }
    let ctx = LintContext { own_account: Some(account), external_id_anchors: Some(&cond.anchors) };
    let lints = policy::lint(&field, &doc, DocKind::Trust, &ctx);
    if lints.iter().any(|l| l.severity == policy::Severity::Error) {
        return Err(RunError::Blocked(lints));
    }
    Ok(doc)
}

/// Record the new value in the journal's plan and inputs, so resume, exports and verify
/// all use it.
fn record_in_plan(j: &mut Journal, key: &str, value: &str, cond: &ExternalIdCondition, doc: &Value) {
    let Some(role) = j.plan.roles.iter_mut().find(|r| r.key == key) else { return };
    role.external_id = value.to_string();
    role.condition = cond.clone();
    role.trust_policy = doc.clone();
    let (name, arn) = (role.name.clone(), role.arn.clone());
    for step in &mut j.plan.steps {
        match &mut step.call {
            Call::CreateRole { role_name, assume_role_policy_document, .. } if *role_name == name => {
                *assume_role_policy_document = doc.clone()
            }
            Call::WaitForRole { role_arn, external_id, .. } if *role_arn == arn => *external_id = value.to_string(),
            _ => {}
        }
    }
    if cond.operator == "StringEquals" {
        j.inputs.external_ids.insert(key.to_string(), value.to_string());
    }
}

impl Engine {
    /// Adopt or change the External ID of role `role_key` (or the run's only role) of an
    /// applied run, then wait until it works and (with `opts.verify`) verify the run.
    pub async fn set_external_id(
        &self,
        run_id: &str,
        role_key: Option<&str>,
        value: &str,
        opts: &ExternalIdOptions,
    ) -> Result<ExternalIdChange, RunError> {
        let mut j = self.store.load(run_id)?;
        if !j.status.is_applied() {
            return Err(RunError::WrongStatus {
                run_id: run_id.into(),
                status: j.status,
                needs: "only an applied run's External ID can be set".into(),
            });
        }
        let role = pick_role(&j, role_key)?.clone();
        let cond = new_condition(&role, value)?;
        let doc = rebuild_trust(&role, &cond, &j.plan.account)?;
        self.check_account(&j).await?;

        let iam = self.connect.iam();
        let live = iam.get_role(&role.name).await.map_err(Self::aws)?;
        let live = match live {
            Some(info) if owned_by(&info.tags, run_id) => info,
            Some(info) => {
                return Err(RunError::NotOwned {
                    kind: "IAM role".into(),
                    name: role.name,
                    run_id: run_id.into(),
                    owner: owner_of(&info.tags),
                })
            }
            None => {
                return Err(RunError::NotOwned {
                    kind: "IAM role".into(),
                    name: role.name,
                    run_id: run_id.into(),
                    owner: "it does not exist any more".into(),
                })
            }
        };
        let live_doc: Option<Value> = serde_json::from_str(&live.trust_policy).ok();
        let already = live_doc.as_ref() == Some(&doc);
        let pending = j.trust_changes.last().is_some_and(|c| c.result.is_none());
        let previous = role.external_id.clone();
        let outcome = if already && !pending && previous == value {
            TrustOutcome::Unchanged
        } else if already {
            TrustOutcome::Adopted
        } else {
            TrustOutcome::Changed
        };

        if outcome != TrustOutcome::Unchanged {
            let now = self.clock.now();
            let intent = TrustChange {
                role_key: role.key.clone(),
                role_name: role.name.clone(),
                old_external_id: previous.clone(),
                new_external_id: value.to_string(),
                old_document: live.trust_policy.clone(),
                new_document: policy::render(&doc),
                started_at: now,
                result: None,
                finished_at: None,
            };
            // A change stopped earlier and not finished is replaced by this one.
            for c in j.trust_changes.iter_mut().filter(|c| c.result.is_none()) {
                let same = c.role_key == intent.role_key && c.new_external_id == intent.new_external_id;
                c.result = Some(if same { "resumed" } else { "superseded" }.into());
                c.finished_at = Some(now);
            }
            j.trust_changes.push(intent);
            j.note(now, format!("about to set the External ID of role {}", role.name));
            self.store.save(&j)?;
            if outcome == TrustOutcome::Changed {
                self.emit(Event::Notice {
                    message: format!("replacing the trust policy of role {} (the new External ID)", role.name),
                    kind: NoticeKind::Info,
                });
                if let Err(e) = iam.update_assume_role_policy(&role.name, &policy::render(&doc)).await {
                    let now = self.clock.now();
                    if let Some(c) = j.trust_changes.last_mut() {
                        c.result = Some(format!("failed: {}: {}", e.code, e.message));
                        c.finished_at = Some(now);
                    }
                    j.note(now, format!("setting the External ID of role {} failed: {}", role.name, e.code));
                    self.store.save(&j)?;
                    return Err(Self::aws(e));
                }
            }
            let now = self.clock.now();
            if let Some(c) = j.trust_changes.last_mut() {
                c.result = Some(if outcome == TrustOutcome::Changed { "changed" } else { "adopted" }.into());
                c.finished_at = Some(now);
            }
            record_in_plan(&mut j, &role.key, value, &cond, &doc);
            // The earlier verification was of the old trust policy.
            j.status = RunStatus::Applied;
            j.note(
                now,
                format!("External ID of role {} set ({})", role.name, if outcome == TrustOutcome::Changed { "changed" } else { "adopted" }),
            );
            self.store.save(&j)?;
        }

        let waited = self.wait_for_new_trust(&j, &role, value).await?;
        let verification = if opts.verify { Some(self.verify(run_id, None).await?) } else { None };
        let status = self.store.load(run_id)?.status;
        Ok(ExternalIdChange {
            run_id: run_id.into(),
            role_key: role.key,
            role_name: role.name,
            previous_external_id: previous,
            external_id: value.into(),
            outcome,
            waited,
            status,
            verification,
        })
    }

    /// Wait until the run's key can assume the role with the new value, as after
    /// CreateRole. A role that trusts a third party cannot be probed from here.
    async fn wait_for_new_trust(&self, j: &Journal, role: &PlannedRole, value: &str) -> Result<bool, RunError> {
        let key = match (&j.access_key_id, role.trusts_created_user) {
            (Some(id), true) => id.clone(),
            _ => {
                self.emit(Event::Notice {
                    message: format!(
                        "role {} trusts {}: only that principal can assume it, so Rolegate cannot wait for the new External ID to work",
                        role.name,
                        role.principals.join(", ")
                    ),
                    kind: NoticeKind::Info,
                });
                return Ok(false);
            }
        };
        let creds = self.credentials_for_key(&key).await?;
        let sts = self.connect.sts_as(&creds);
        let input = AssumeRoleInput {
            role_arn: role.arn.clone(),
            session_name: j.run_id.clone(),
            external_id: Some(value.to_string()),
            duration_seconds: None,
            tags: Vec::new(),
        };
        let step = StepId::ExternalIdWaitRole { key: role.key.clone() };
        let what = "AWS to accept the new External ID";
        propagation::poll(
            self.clock.as_ref(),
            self.entropy.as_ref(),
            &self.events,
            self.poll,
            &step,
            what,
            propagation::role_not_yet,
            || sts.assume_role(&input),
        )
        .await
        .map_err(|e| match e {
            WaitError::Failed(e) => Self::aws(e),
            WaitError::TimedOut { waited, last } => {
                RunError::Propagation { step, waited_seconds: waited.as_secs(), last, run_id: j.run_id.clone() }
            }
        })?;
        Ok(true)
    }
}
