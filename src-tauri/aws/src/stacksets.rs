//! The core's StackSets port over the AWS SDK (CloudFormation): the StackSet, its
//! instances operations, and what they show, every page of each list.

use async_trait::async_trait;
use aws_sdk_cloudformation::types::{
    AutoDeployment, Capability, DeploymentTargets as SdkTargets, Parameter, PermissionModels, RegionConcurrencyType,
    StackSetOperationPreferences, Tag as SdkTag,
};

use rolegate_core::fleet::stacksets::{
    DeploymentTargets, InstanceInfo, InstancesRequest, NewStackSet, OperationInfo, OperationPreferences, OperationResult, PermissionModel,
    StackSetInfo, StackSets,
};
use rolegate_core::ports::{AwsError, AwsErrorKind};
use rolegate_core::validate::Tag;

use crate::errors::map_err;

pub(crate) struct SdkStackSets {
    pub(crate) client: aws_sdk_cloudformation::Client,
}

fn preferences(p: &OperationPreferences) -> StackSetOperationPreferences {
    let mut b = StackSetOperationPreferences::builder();
    b = if p.concurrent_percent {
        b.max_concurrent_percentage(p.max_concurrent as i32)
    } else {
        b.max_concurrent_count(p.max_concurrent as i32)
    };
    b = if p.tolerance_percent {
        b.failure_tolerance_percentage(p.failure_tolerance as i32)
    } else {
        b.failure_tolerance_count(p.failure_tolerance as i32)
    };
    b.region_concurrency_type(if p.regions_parallel { RegionConcurrencyType::Parallel } else { RegionConcurrencyType::Sequential }).build()
}

fn parameters(r: &InstancesRequest<'_>) -> Vec<Parameter> {
    r.parameters.iter().map(|p| Parameter::builder().parameter_key(&p.key).parameter_value(&p.value).build()).collect()
}

fn targets(r: &InstancesRequest<'_>) -> (Option<SdkTargets>, Option<Vec<String>>) {
    match r.targets {
        DeploymentTargets::Ous(ous) => (Some(SdkTargets::builder().set_organizational_unit_ids(Some(ous.clone())).build()), None),
        DeploymentTargets::Accounts(accounts) => (None, Some(accounts.clone())),
    }
}

fn tags(tags: &[Tag]) -> Vec<SdkTag> {
    tags.iter().map(|t| SdkTag::builder().key(&t.key).value(&t.value).build()).collect()
}

#[async_trait]
impl StackSets for SdkStackSets {
    async fn create_stack_set(&self, s: &NewStackSet) -> Result<String, AwsError> {
        let op = "cloudformation:CreateStackSet";
        let mut call = self
            .client
            .create_stack_set()
            .stack_set_name(&s.name)
            .description(&s.description)
            .template_body(&s.template_body)
            .set_capabilities(Some(s.capabilities.iter().map(|c| Capability::from(c.as_str())).collect()))
            .set_tags(Some(tags(&s.tags)))
            .permission_model(PermissionModels::from(s.permission_model.as_aws()));
        match s.permission_model {
            PermissionModel::ServiceManaged => {
                call = call.auto_deployment(
                    AutoDeployment::builder()
                        .enabled(s.auto_deploy)
                        .set_retain_stacks_on_account_removal(s.auto_deploy.then_some(false))
                        .build(),
                );
            }
            PermissionModel::SelfManaged => {
                call = call
                    .set_administration_role_arn(s.administration_role_arn.clone())
                    .set_execution_role_name(s.execution_role_name.clone());
            }
        }
        let out = call.send().await.map_err(|e| map_err(op, e))?;
        out.stack_set_id()
            .map(String::from)
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, op, "EmptyResponse", "no StackSetId in the answer"))
    }

    async fn describe_stack_set(&self, name: &str) -> Result<Option<StackSetInfo>, AwsError> {
        let op = "cloudformation:DescribeStackSet";
        let out = match self.client.describe_stack_set().stack_set_name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = map_err(op, e);
                return if e.code == "StackSetNotFoundException" { Ok(None) } else { Err(e) };
            }
        };
        let Some(s) = out.stack_set() else { return Ok(None) };
        Ok(Some(StackSetInfo {
            id: s.stack_set_id().unwrap_or_default().into(),
            name: s.stack_set_name().unwrap_or_default().into(),
            status: s.status().map(|x| x.as_str().to_string()).unwrap_or_default(),
            tags: s
                .tags()
                .iter()
                .map(|t| Tag { key: t.key().unwrap_or_default().into(), value: t.value().unwrap_or_default().into() })
                .collect(),
        }))
    }

    async fn delete_stack_set(&self, name: &str) -> Result<(), AwsError> {
        self.client.delete_stack_set().stack_set_name(name).send().await.map_err(|e| map_err("cloudformation:DeleteStackSet", e))?;
        Ok(())
    }

    async fn create_stack_instances(&self, r: &InstancesRequest<'_>) -> Result<String, AwsError> {
        let op = "cloudformation:CreateStackInstances";
        let (deployment, accounts) = targets(r);
        let out = self
            .client
            .create_stack_instances()
            .stack_set_name(r.stack_set)
            .set_deployment_targets(deployment)
            .set_accounts(accounts)
            .set_regions(Some(r.regions.to_vec()))
            .set_parameter_overrides(Some(parameters(r)))
            .operation_preferences(preferences(r.preferences))
            .operation_id(r.operation_id)
            .send()
            .await
            .map_err(|e| map_err(op, e))?;
        Ok(out.operation_id().unwrap_or(r.operation_id).into())
    }

    async fn delete_stack_instances(&self, r: &InstancesRequest<'_>) -> Result<String, AwsError> {
        let op = "cloudformation:DeleteStackInstances";
        let (deployment, accounts) = targets(r);
        let out = self
            .client
            .delete_stack_instances()
            .stack_set_name(r.stack_set)
            .set_deployment_targets(deployment)
            .set_accounts(accounts)
            .set_regions(Some(r.regions.to_vec()))
            .operation_preferences(preferences(r.preferences))
            .retain_stacks(false)
            .operation_id(r.operation_id)
            .send()
            .await
            .map_err(|e| map_err(op, e))?;
        Ok(out.operation_id().unwrap_or(r.operation_id).into())
    }

    async fn describe_operation(&self, stack_set: &str, operation_id: &str) -> Result<OperationInfo, AwsError> {
        let op = "cloudformation:DescribeStackSetOperation";
        let out = self
            .client
            .describe_stack_set_operation()
            .stack_set_name(stack_set)
            .operation_id(operation_id)
            .send()
            .await
            .map_err(|e| map_err(op, e))?;
        let o = out
            .stack_set_operation()
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, op, "EmptyResponse", "no operation in the answer"))?;
        Ok(OperationInfo {
            status: o.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            status_reason: o.status_reason().map(String::from),
        })
    }

    async fn list_operation_results(&self, stack_set: &str, operation_id: &str) -> Result<Vec<OperationResult>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_stack_set_operation_results()
                .stack_set_name(stack_set)
                .operation_id(operation_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| map_err("cloudformation:ListStackSetOperationResults", e))?;
            out.extend(page.summaries().iter().map(|s| OperationResult {
                account: s.account().unwrap_or_default().into(),
                region: s.region().unwrap_or_default().into(),
                status: s.status().map(|x| x.as_str().to_string()).unwrap_or_default(),
                reason: s.status_reason().unwrap_or_default().into(),
            }));
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn list_stack_instances(&self, stack_set: &str) -> Result<Vec<InstanceInfo>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_stack_instances()
                .stack_set_name(stack_set)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| map_err("cloudformation:ListStackInstances", e))?;
            out.extend(page.summaries().iter().map(|s| InstanceInfo {
                account: s.account().unwrap_or_default().into(),
                region: s.region().unwrap_or_default().into(),
                status: s.status().map(|x| x.as_str().to_string()).unwrap_or_default(),
                detailed_status:
                    s.stack_instance_status().and_then(|d| d.detailed_status()).map(|x| x.as_str().to_string()).unwrap_or_default(),
                reason: s.status_reason().unwrap_or_default().into(),
            }));
            token = page.next_token().map(String::from);
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}
