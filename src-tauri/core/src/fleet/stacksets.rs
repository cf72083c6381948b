//! The CloudFormation StackSets operations a fleet deploys with. The aws crate
//! implements them over the SDK; `testing::stacksets` in memory.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::ports::AwsError;
use crate::validate::Tag;

/// Who deploys the instances: StackSets through Organizations (OU targets, automatic
/// deployment), or the administration and execution roles the person made (account lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum PermissionModel {
    ServiceManaged,
    SelfManaged,
}

impl PermissionModel {
    pub fn as_aws(self) -> &'static str {
        match self {
            PermissionModel::ServiceManaged => "SERVICE_MANAGED",
            PermissionModel::SelfManaged => "SELF_MANAGED",
        }
    }
}

/// Where instances go: every account of the OUs (and the OUs nested in them), or the
/// accounts named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentTargets {
    Ous(Vec<String>),
    Accounts(Vec<String>),
}

/// How many accounts an operation runs at once, and how many may fail before it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OperationPreferences {
    /// MaxConcurrentCount, or MaxConcurrentPercentage when `concurrent_percent`.
    pub max_concurrent: u32,
    #[serde(default)]
    pub concurrent_percent: bool,
    /// FailureToleranceCount, or FailureTolerancePercentage when `tolerance_percent`.
    pub failure_tolerance: u32,
    #[serde(default)]
    pub tolerance_percent: bool,
    /// Regions one after another (SEQUENTIAL) or all at once (PARALLEL).
    #[serde(default)]
    pub regions_parallel: bool,
}

impl Default for OperationPreferences {
    fn default() -> Self {
        OperationPreferences {
            max_concurrent: 10,
            concurrent_percent: false,
            failure_tolerance: 0,
            tolerance_percent: false,
            regions_parallel: false,
        }
    }
}

/// A StackSet to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStackSet {
    pub name: String,
    pub description: String,
    pub template_body: String,
    pub capabilities: Vec<String>,
    pub tags: Vec<Tag>,
    pub permission_model: PermissionModel,
    /// Service-managed only: deploy to accounts that join a targeted OU later.
    pub auto_deploy: bool,
    /// Self-managed only (None: AWS's default `AWSCloudFormationStackSetAdministrationRole`).
    pub administration_role_arn: Option<String>,
    /// Self-managed only (None: AWS's default `AWSCloudFormationStackSetExecutionRole`).
    pub execution_role_name: Option<String>,
}

/// A StackSet as DescribeStackSet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetInfo {
    pub id: String,
    pub name: String,
    /// ACTIVE or DELETED.
    pub status: String,
    pub tags: Vec<Tag>,
}

/// An operation as DescribeStackSetOperation shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationInfo {
    /// RUNNING, SUCCEEDED, FAILED, STOPPING, STOPPED or QUEUED.
    pub status: String,
    pub status_reason: Option<String>,
}

impl OperationInfo {
    pub fn ended(&self) -> bool {
        matches!(self.status.as_str(), "SUCCEEDED" | "FAILED" | "STOPPED")
    }
}

/// One account and Region of an operation (ListStackSetOperationResults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationResult {
    pub account: String,
    pub region: String,
    /// PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED.
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

/// A stack instance (ListStackInstances).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub account: String,
    pub region: String,
    /// CURRENT, OUTDATED or INOPERABLE.
    pub status: String,
    /// SUCCEEDED, FAILED, CANCELLED, PENDING, RUNNING, INOPERABLE, SKIPPED_SUSPENDED_ACCOUNT...
    #[serde(default)]
    pub detailed_status: String,
    #[serde(default)]
    pub reason: String,
}

/// A parameter value given to instances (ParameterOverrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterValue {
    pub key: String,
    pub value: String,
}

/// An instances operation: where, with which parameters, how fast, under which id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancesRequest<'a> {
    pub stack_set: &'a str,
    pub targets: &'a DeploymentTargets,
    pub regions: &'a [String],
    pub parameters: &'a [ParameterValue],
    pub preferences: &'a OperationPreferences,
    /// The caller's operation id, journaled before the call, so that a call whose answer
    /// was lost can be repeated: AWS then answers OperationIdAlreadyExistsException.
    pub operation_id: &'a str,
}

/// The StackSets operations Rolegate uses; each list is complete (every page read).
#[async_trait]
pub trait StackSets: Send + Sync {
    /// The new StackSet's id.
    async fn create_stack_set(&self, s: &NewStackSet) -> Result<String, AwsError>;
    /// None when there is no StackSet of that name (StackSetNotFoundException).
    async fn describe_stack_set(&self, name: &str) -> Result<Option<StackSetInfo>, AwsError>;
    async fn delete_stack_set(&self, name: &str) -> Result<(), AwsError>;
    /// The operation id AWS answers (the request's).
    async fn create_stack_instances(&self, r: &InstancesRequest<'_>) -> Result<String, AwsError>;
    /// Deletes the instances and their stacks' resources (RetainStacks false).
    async fn delete_stack_instances(&self, r: &InstancesRequest<'_>) -> Result<String, AwsError>;
    async fn describe_operation(&self, stack_set: &str, operation_id: &str) -> Result<OperationInfo, AwsError>;
    async fn list_operation_results(&self, stack_set: &str, operation_id: &str) -> Result<Vec<OperationResult>, AwsError>;
    async fn list_stack_instances(&self, stack_set: &str) -> Result<Vec<InstanceInfo>, AwsError>;
}
