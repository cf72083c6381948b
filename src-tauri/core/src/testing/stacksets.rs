//! An in-memory StackSets for unit tests: StackSets by name and tag, instances per
//! account, operations that run for a number of looks and then end with each account's
//! result, OU targets resolved through the fake organization (the management account
//! left out), accounts made to fail with a reason, a caller-given operation id that is
//! OperationIdAlreadyExistsException the second time, and a call whose answer is lost
//! after AWS acted on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::organizations::FakeOrganizations;
use crate::fleet::stacksets::{
    DeploymentTargets, InstanceInfo, InstancesRequest, NewStackSet, OperationInfo, OperationResult, StackSetInfo, StackSets,
};
use crate::ports::{AwsError, AwsErrorKind};

struct Op {
    stack_set: String,
    status: String,
    looks_left: u32,
    results: Vec<OperationResult>,
}

#[derive(Default)]
struct State {
    /// name -> (id, info)
    sets: HashMap<String, StackSetInfo>,
    /// (stack set, account, region) -> instance
    instances: Vec<(String, InstanceInfo)>,
    ops: HashMap<String, Op>,
    fail: HashMap<String, String>,
    lose_answer: Vec<String>,
    looks: u32,
    calls: Vec<String>,
    counter: u32,
}

/// The fake StackSets. Clones share state.
#[derive(Clone, Default)]
pub struct FakeStackSets {
    state: Arc<Mutex<State>>,
    org: FakeOrganizations,
}

fn err(kind: AwsErrorKind, op: &str, code: &str, message: impl Into<String>) -> AwsError {
    AwsError::new(kind, op, code, message)
}

impl FakeStackSets {
    pub fn new(org: FakeOrganizations) -> Self {
        FakeStackSets { state: Default::default(), org }
    }
    /// Instances in `account` fail with `reason` until `heal`.
    pub fn fail_account(&self, account: &str, reason: &str) {
        self.state.lock().unwrap().fail.insert(account.into(), reason.into());
    }
    pub fn heal(&self, account: &str) {
        self.state.lock().unwrap().fail.remove(account);
    }
    /// The next call of `operation` acts, then its answer is lost (a network error).
    pub fn lose_answer(&self, operation: &str) {
        self.state.lock().unwrap().lose_answer.push(operation.into());
    }
    /// How many DescribeStackSetOperation answers say RUNNING before it ends.
    pub fn running_for(&self, looks: u32) {
        self.state.lock().unwrap().looks = looks;
    }
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }
    /// (account, status) of a StackSet's instances.
    pub fn instances(&self, stack_set: &str) -> Vec<(String, String)> {
        let s = self.state.lock().unwrap();
        s.instances.iter().filter(|i| i.0 == stack_set).map(|i| (i.1.account.clone(), i.1.status.clone())).collect()
    }
    pub fn stack_sets(&self) -> Vec<String> {
        self.state.lock().unwrap().sets.keys().cloned().collect()
    }

    fn enter(&self, op: &str) -> std::sync::MutexGuard<'_, State> {
        let mut s = self.state.lock().unwrap();
        s.calls.push(op.into());
        s
    }

    fn lost(s: &mut State, op: &str) -> Option<AwsError> {
        let i = s.lose_answer.iter().position(|x| x == op)?;
        s.lose_answer.remove(i);
        Some(err(AwsErrorKind::Network, op, "DispatchFailure", "connection reset after the request was sent"))
    }

    fn accounts(&self, targets: &DeploymentTargets) -> Vec<String> {
        match targets {
            DeploymentTargets::Accounts(a) => a.clone(),
            DeploymentTargets::Ous(ous) => ous.iter().flat_map(|o| self.org.accounts_under(o)).collect(),
        }
    }

    fn start(&self, op: &str, r: &InstancesRequest<'_>, delete: bool) -> Result<String, AwsError> {
        let accounts = self.accounts(r.targets);
        let mut s = self.enter(op);
        if !s.sets.contains_key(r.stack_set) {
            return Err(err(AwsErrorKind::NotFound, op, "StackSetNotFoundException", format!("StackSet {} not found", r.stack_set)));
        }
        if s.ops.contains_key(r.operation_id) {
            return Err(err(
                AwsErrorKind::Other,
                op,
                "OperationIdAlreadyExistsException",
                format!("The operation id {} already exists", r.operation_id),
            ));
        }
        if s.ops.values().any(|o| o.stack_set == r.stack_set && o.status == "RUNNING") {
            return Err(err(AwsErrorKind::Other, op, "OperationInProgressException", "Another Operation on the StackSet is in progress"));
        }
        let mut results = Vec::new();
        let mut failed = 0;
        for a in &accounts {
            for region in r.regions {
                let reason = if delete { None } else { s.fail.get(a).cloned() };
                let status = if reason.is_some() { "FAILED" } else { "SUCCEEDED" };
                failed += usize::from(reason.is_some());
                results.push(OperationResult {
                    account: a.clone(),
                    region: region.clone(),
                    status: status.into(),
                    reason: reason.clone().unwrap_or_default(),
                });
                s.instances.retain(|i| !(i.0 == r.stack_set && i.1.account == *a && i.1.region == *region));
                if !delete {
                    let ok = reason.is_none();
                    s.instances.push((
                        r.stack_set.to_string(),
                        InstanceInfo {
                            account: a.clone(),
                            region: region.clone(),
                            status: if ok { "CURRENT" } else { "OUTDATED" }.into(),
                            detailed_status: status.into(),
                            reason: reason.unwrap_or_default(),
                        },
                    ));
                }
            }
        }
        let tolerance = r.preferences.failure_tolerance as usize;
        let end = if failed > tolerance { "FAILED" } else { "SUCCEEDED" };
        let looks = s.looks;
        s.ops.insert(r.operation_id.into(), Op { stack_set: r.stack_set.into(), status: end.into(), looks_left: looks, results });
        if let Some(e) = Self::lost(&mut s, op) {
            return Err(e);
        }
        Ok(r.operation_id.into())
    }
}

#[async_trait]
impl StackSets for FakeStackSets {
    async fn create_stack_set(&self, n: &NewStackSet) -> Result<String, AwsError> {
        let op = "cloudformation:CreateStackSet";
        let mut s = self.enter(op);
        if s.sets.contains_key(&n.name) {
            return Err(err(AwsErrorKind::AlreadyExists, op, "NameAlreadyExistsException", format!("StackSet {} already exists", n.name)));
        }
        s.counter += 1;
        let id = format!("{}:{:04}", n.name, s.counter);
        s.sets.insert(n.name.clone(), StackSetInfo { id: id.clone(), name: n.name.clone(), status: "ACTIVE".into(), tags: n.tags.clone() });
        if let Some(e) = Self::lost(&mut s, op) {
            return Err(e);
        }
        Ok(id)
    }
    async fn describe_stack_set(&self, name: &str) -> Result<Option<StackSetInfo>, AwsError> {
        Ok(self.enter("cloudformation:DescribeStackSet").sets.get(name).cloned())
    }
    async fn delete_stack_set(&self, name: &str) -> Result<(), AwsError> {
        let op = "cloudformation:DeleteStackSet";
        let mut s = self.enter(op);
        if s.instances.iter().any(|i| i.0 == name) {
            return Err(err(AwsErrorKind::Other, op, "StackSetNotEmptyException", "the StackSet still has instances"));
        }
        s.sets.remove(name).map(|_| ()).ok_or_else(|| err(AwsErrorKind::NotFound, op, "StackSetNotFoundException", "not found"))
    }
    async fn create_stack_instances(&self, r: &InstancesRequest<'_>) -> Result<String, AwsError> {
        self.start("cloudformation:CreateStackInstances", r, false)
    }
    async fn delete_stack_instances(&self, r: &InstancesRequest<'_>) -> Result<String, AwsError> {
        self.start("cloudformation:DeleteStackInstances", r, true)
    }
    async fn describe_operation(&self, _stack_set: &str, operation_id: &str) -> Result<OperationInfo, AwsError> {
        let op = "cloudformation:DescribeStackSetOperation";
        let mut s = self.enter(op);
        let o = s
            .ops
            .get_mut(operation_id)
            .ok_or_else(|| err(AwsErrorKind::NotFound, op, "OperationNotFoundException", "no such operation"))?;
        if o.looks_left > 0 {
            o.looks_left -= 1;
            return Ok(OperationInfo { status: "RUNNING".into(), status_reason: None });
        }
        Ok(OperationInfo { status: o.status.clone(), status_reason: None })
    }
    async fn list_operation_results(&self, _stack_set: &str, operation_id: &str) -> Result<Vec<OperationResult>, AwsError> {
        let s = self.enter("cloudformation:ListStackSetOperationResults");
        Ok(s.ops.get(operation_id).map(|o| o.results.clone()).unwrap_or_default())
    }
    async fn list_stack_instances(&self, stack_set: &str) -> Result<Vec<InstanceInfo>, AwsError> {
        let s = self.enter("cloudformation:ListStackInstances");
        Ok(s.instances.iter().filter(|i| i.0 == stack_set).map(|i| i.1.clone()).collect())
    }
}
