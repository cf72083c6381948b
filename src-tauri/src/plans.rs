//! What the page may start: templates held in Rust (built in, or read from a file the
//! person picked in a Rust-opened dialog), and the plans the core built for Review.
//! `start_run` rebuilds the plan from the held template, the page's inputs and the
//! session's caller, and starts it only if it is the plan the person reviewed, call for
//! call and document for document; the page never hands the engine a plan.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use rolegate_core::journal::Journal;
use rolegate_core::plan::{self, Plan, RunInputs};
use rolegate_core::ports::{CallerIdentity, Entropy};
use rolegate_core::template::{self, ExternalIdSpec, Template};
use rolegate_core::{Engine, RunError};

use crate::error::CommandError;

/// How many planned-but-not-started plans are kept (Details plans as the person types).
const KEPT_PLANS: usize = 32;

/// Which template a plan is for: a built-in one by id, or one loaded from a file by the
/// key `load_template` gave it (a file's template id may repeat a built-in one's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TemplateRef {
    Builtin { id: String },
    File { key: String },
}

/// A template file the person loaded, and how to name it in `plan` and `start_run`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LoadedTemplate {
    pub reference: TemplateRef,
    pub template: Template,
}

/// What Review sends to start a run: the plan it showed (by id), the template and the
/// inputs. There is no plan in it: the core builds the plan again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StartRequest {
    /// The reviewed plan's `run_id`.
    pub plan_id: String,
    pub template: TemplateRef,
    pub inputs: RunInputs,
    /// The person ticked that they read the warnings naming a way to administrator
    /// access; the core refuses such a plan without it (`acknowledgement-required`).
    pub acknowledged: bool,
}

/// The loaded templates and the plans handed to the page, newest last.
#[derive(Default)]
pub struct Plans {
    files: HashMap<String, Template>,
    loaded: u64,
    reviewed: VecDeque<Plan>,
}

impl Plans {
    /// Keep a validated template from a file; returns how the page names it.
    pub fn add_file(&mut self, template: Template) -> LoadedTemplate {
        self.loaded += 1;
        let key = format!("file-{}", self.loaded);
        self.files.insert(key.clone(), template.clone());
        LoadedTemplate { reference: TemplateRef::File { key }, template }
    }

    pub fn template(&self, r: &TemplateRef) -> Result<Template, CommandError> {
        match r {
            TemplateRef::Builtin { id } => template::builtin()
                .into_iter()
                .find(|t| &t.id == id)
                .ok_or_else(|| CommandError::field("template", "unknown-template", format!("there is no built-in template {id:?}"))),
            TemplateRef::File { key } => self.files.get(key).cloned().ok_or_else(|| {
                CommandError::field("template", "unknown-template", format!("no template file was loaded as {key:?}; load it again"))
            }),
        }
    }

    /// The core's plan for `r` and `inputs`, as `caller`, kept so `confirm` can compare.
    pub fn plan(
        &mut self,
        r: &TemplateRef,
        inputs: &RunInputs,
        caller: &CallerIdentity,
        run_id: &str,
        entropy: &dyn Entropy,
    ) -> Result<Plan, CommandError> {
        let p = build(&self.template(r)?, inputs, caller, run_id, entropy)?;
        self.reviewed.retain(|x| x.run_id != p.run_id);
        self.reviewed.push_back(p.clone());
        while self.reviewed.len() > KEPT_PLANS {
            self.reviewed.pop_front();
        }
        Ok(p)
    }

    /// The plan to start: rebuilt from the held template, `inputs` and `caller`, and the
    /// same as the reviewed plan `plan_id`, or an error saying what differs. Generated
    /// External IDs the inputs leave out are the reviewed plan's (the core drew them).
    /// A plan that names a way to administrator access starts only when the request says
    /// the person acknowledged it (`Plan::ready_to_start`); until then it stays reviewed.
    /// Once confirmed, the plan cannot be started a second time.
    pub fn confirm(
        &mut self,
        request: &StartRequest,
        caller: &CallerIdentity,
        entropy: &dyn Entropy,
    ) -> Result<(Plan, RunInputs), CommandError> {
        let (plan_id, r, inputs) = (request.plan_id.as_str(), &request.template, &request.inputs);
        let at = self.reviewed.iter().position(|p| p.run_id == plan_id).ok_or_else(|| {
            CommandError::new(
                "plan-not-reviewed",
                format!("plan {plan_id} is not one this window reviewed (or it was started already); review the plan again"),
            )
        })?;
        let reviewed = &self.reviewed[at];
        let template = self.template(r)?;
        let mut inputs = inputs.clone();
        for role in template.roles.iter().filter(|x| x.external_id == ExternalIdSpec::Uuid) {
            if let Some(planned) = reviewed.roles.iter().find(|x| x.key == role.key) {
                inputs.external_ids.entry(role.key.clone()).or_insert_with(|| planned.external_id.clone());
            }
        }
        let rebuilt = build(&template, &inputs, caller, plan_id, entropy)?;
        if let Some(what) = difference(reviewed, &rebuilt) {
            return Err(CommandError::new(
                "plan-changed",
                format!(
                    "the plan to start is not the plan reviewed ({what}); nothing was started. Go back to Review and check the plan again"
                ),
            ));
        }
        rebuilt.ready_to_start(request.acknowledged)?;
        self.reviewed.remove(at);
        Ok((rebuilt, inputs))
    }
}

/// The engine, the caller and the identity's label of the session in use.
pub async fn caller(state: &crate::state::AppState) -> Result<(Engine, CallerIdentity, String), CommandError> {
    let session = state.session.lock().await;
    let s = session
        .as_ref()
        .ok_or_else(|| CommandError::new("no-identity", "choose the AWS identity that does the work first (Identity screen)"))?;
    Ok((s.engine.clone(), s.info.who.clone(), s.info.label.clone()))
}

/// Confirm the request against the reviewed plan and record the core's plan as a run.
pub fn start(
    engine: &Engine,
    plans: &std::sync::Mutex<Plans>,
    request: &StartRequest,
    caller: &CallerIdentity,
) -> Result<Journal, CommandError> {
    let (plan, inputs) = plans.lock().expect("plans lock").confirm(request, caller, engine.entropy.as_ref())?;
    Ok(engine.start(plan, inputs)?)
}

fn build(t: &Template, inputs: &RunInputs, caller: &CallerIdentity, run_id: &str, entropy: &dyn Entropy) -> Result<Plan, CommandError> {
    t.validate("template").map_err(RunError::Invalid)?;
    if inputs.template_id != t.id {
        return Err(CommandError::field(
            "template_id",
            "template-mismatch",
            format!("the inputs are for template {:?}, but the template chosen is {:?}", inputs.template_id, t.id),
        ));
    }
    Ok(plan::build(t, inputs, caller, run_id, entropy).map_err(RunError::Invalid)?)
}

/// The first thing that differs between two plans, in words; None when they are equal.
fn difference(reviewed: &Plan, rebuilt: &Plan) -> Option<String> {
    if reviewed == rebuilt {
        return None;
    }
    if reviewed.caller_arn != rebuilt.caller_arn || reviewed.account != rebuilt.account {
        return Some(format!("it was reviewed for {} and would now run as {}", reviewed.caller_arn, rebuilt.caller_arn));
    }
    if reviewed.steps.len() != rebuilt.steps.len() {
        return Some(format!("{} calls were reviewed, the plan makes {}", reviewed.steps.len(), rebuilt.steps.len()));
    }
    if let Some((a, _)) = reviewed.steps.iter().zip(&rebuilt.steps).find(|(a, b)| a != b) {
        return Some(format!("call {} ({} {}) differs", a.id, a.call.operation(), a.summary));
    }
    if reviewed.lints != rebuilt.lints {
        return Some("the findings differ".into());
    }
    Some("its resources or tags differ".into())
}

#[cfg(test)]
#[path = "plans_tests.rs"]
mod tests;
