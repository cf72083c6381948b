"""CloudFormation StackSet operations for Rolegate's emulator (rolegate_emulator.py loads
it), made to run as they do in AWS.

Stock moto 5.2 (checked against 5.2.1) deploys every stack instance inside the
CreateStackInstances call and marks the operation SUCCEEDED at once; one instance that
fails (a role name already taken in that account) fails the whole call, leaving the
instances before it deployed; ListStackSetOperationResults is empty for OU targets;
service-managed targets stop one level below the OUs named and include the management
account when its OU is named; and DeleteStackInstances ignores DeploymentTargets. Here,
as in AWS:

  * CreateStackInstances and DeleteStackInstances answer an OperationId at once (the
    caller's OperationId when given; the same one twice is OperationIdAlreadyExistsException);
    the operation is RUNNING for a while (0.5 s by default, set per administrator account
    with POST /_rolegate/stacksets {"account": ID, "running": S}), then runs each instance
    and ends SUCCEEDED or FAILED. While one operation of a StackSet runs, another
    (or DeleteStackSet) is OperationInProgressException.
  * Each instance has its own result (ListStackSetOperationResults: Account, Region,
    Status PENDING / SUCCEEDED / FAILED / CANCELLED, StatusReason) and status
    (ListStackInstances and DescribeStackInstance: Status CURRENT / OUTDATED /
    INOPERABLE, StackInstanceStatus.DetailedStatus, StatusReason, LastOperationId).
    A stack that fails to create in one account (its resources rolled back) fails that
    instance only, with CloudFormation's reason "ResourceLogicalId:ID, ResourceType:TYPE,
    ResourceStatusReason:...".
  * The operation runs its accounts in batches, Region by Region or all Regions at once,
    within a failure tolerance, as rolegate_stackset_runs.py says (MaxConcurrentCount /
    MaxConcurrentPercentage, ConcurrencyMode, RegionConcurrencyType, RegionOrder,
    FailureToleranceCount / FailureTolerancePercentage); past the tolerance the
    operation FAILS and the accounts not started are CANCELLED, not attempted. Within
    it the operation SUCCEEDS with the failed instances reported.
  * Service-managed targets are every account of the OUs named and of the OUs nested
    in them, at any depth, except the organization's management account, which
    service-managed StackSets never reach. DeleteStackInstances takes OU targets too,
    deletes each instance's stack and resources in its account (RetainStacks keeps
    them), and an instance whose stack cannot be deleted is FAILED and INOPERABLE.
  * Creating an instance that exists and is CURRENT succeeds without redeploying it;
    one that failed is deployed again (a retry). DescribeStackInstance of an instance
    that does not exist is StackInstanceNotFoundException (moto failed with HTTP 500).

The stack's IAM resources are made and deleted as CloudFormation does: moto 5.2 ignores
an AWS::IAM::Role's ManagedPolicyArns and never deletes an AWS::IAM::ManagedPolicy with
its stack; here the ARNs are attached when the role is made and detached before it is
deleted, and the stack's managed policies are deleted with it (a policy attached by
someone else still blocks the deletion, DeleteConflict, as in AWS). A stack that fails
to create is rolled back, these included.

Self-managed StackSets need their administration and execution roles, as in AWS
(rolegate_stackset_roles.py).

Accounts that join or leave a targeted OU get or lose their instances by themselves when
AutoDeployment is enabled (rolegate_stackset_auto.py).

StopStackSetOperation stops a running operation after its running batch, the accounts
not started CANCELLED (rolegate_stackset_runs.py).

Not modelled: UpdateStackSet/UpdateStackInstances (moto's).
"""

import re
import uuid

from moto.cloudformation import models, parsing, responses
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.responses import ActionResult
from moto.iam import models as iam_models
from moto.organizations.models import organizations_backends
from moto.utilities.utils import get_partition

import rolegate_stackset_auto as auto  # it calls back into this module, at run time only
import rolegate_stackset_roles as roles
import rolegate_stackset_runs as runs

class StackInstanceNotFoundException(CloudFormationError):
    code = "StackInstanceNotFoundException"


def configure(body):
    """Set how long a batch of accounts of StackSets administered by `account` stays RUNNING."""
    unknown = set(body) - {"account", "running"}
    if unknown:
        raise ValueError(f"unknown StackSet settings {sorted(unknown)}; known: account, running")
    seconds = float(body.get("running", runs.DEFAULT_RUNNING))
    if seconds < 0:
        raise ValueError("running is a number of seconds, 0 or more")
    with runs.lock:
        runs.running[str(body["account"])] = seconds
    return {"account": str(body["account"]), "running": seconds}


# ------------------------------------------------------------------ failure reasons

_orig_parse_and_create = parsing.parse_and_create_resource


def _parse_and_create(logical_id, resource_json, resources_map, account_id, region_name):
    try:
        return _orig_parse_and_create(logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as e:
        if not hasattr(e, "rolegate_resource"):
            e.rolegate_resource = (logical_id, resource_json.get("Type", ""))
        raise


def _message(e):
    return getattr(e, "message", None) or str(e) or type(e).__name__


def failure_reason(e):
    """CloudFormation's reason for a stack instance whose stack failed to create."""
    logical, kind = getattr(e, "rolegate_resource", ("", ""))
    message = _message(e)
    taken = re.search(r"with name (\S+?) already exists", message)
    if taken:
        message = f"Resource of type '{kind}' with identifier '{taken.group(1)}' already exists."
    return f"ResourceLogicalId:{logical}, ResourceType:{kind}, ResourceStatusReason:{message}"


# ------------------------------------------------------------------ the stack's roles

_orig_role_create = iam_models.Role.create_from_cloudformation_json.__func__
_orig_role_delete = iam_models.Role.delete_from_cloudformation_json.__func__


def _role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    role = _orig_role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    arns = [a for a in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns", []) if isinstance(a, str)]
    backend = iam_models.iam_backends[account_id][get_partition(region_name)]
    for arn in arns:
        backend.attach_role_policy(arn, role.name)
    role.rolegate_stack_policies = arns
    return role


def _role_delete(cls, resource_name, cloudformation_json, account_id, region_name):
    backend = iam_models.iam_backends[account_id][get_partition(region_name)]
    role = next((r for r in backend.roles.values() if r.name == resource_name), None)
    for arn in getattr(role, "rolegate_stack_policies", []):
        if arn in role.managed_policies:
            backend.detach_role_policy(arn, role.name)
    return _orig_role_delete(cls, resource_name, cloudformation_json, account_id, region_name)


def _managed_policy_delete(cls, resource_name, cloudformation_json, account_id, region_name):
    backend = iam_models.iam_backends[account_id][get_partition(region_name)]
    if resource_name in backend.managed_policies:
        backend.delete_policy(resource_name)


# ------------------------------------------------------------------ targets


def _organization(stackset):
    """The organization backend (of its management account) of a StackSet's administrator."""
    owner = organizations_backends.master_accounts.get(stackset.instances.account_id)
    if owner is not None:
        return organizations_backends[owner[0]][owner[1]]
    return organizations_backends[stackset.instances.account_id][stackset.instances.partition]


def ou_accounts(stackset, ou_ids):
    """The active accounts of these OUs and the OUs nested in them, without the management account."""
    org = _organization(stackset)
    if org.org is None:
        raise ValidationError(message="StackSets with SERVICE_MANAGED permission model need AWS Organizations")
    wanted = set(ou_ids)
    grew = True
    while grew:
        nested = {ou.id for ou in org.ou if getattr(ou, "parent_id", None) in wanted}
        grew = not nested <= wanted
        wanted |= nested
    master = org.org.master_account_id
    return [a.id for a in org.accounts if a.parent_id in wanted and a.id != master and a.status == "ACTIVE"]


# ------------------------------------------------------------------ instances


def _new_instance(stackset, account, region, parameters):
    inst = models.StackInstance.__new__(models.StackInstance)
    inst.account_id = account
    inst.region_name = region
    inst.stackset_id = stackset.id
    inst.stack_name = stackset.instances.stack_name
    inst.name = stackset.name
    inst.template = stackset.template
    inst.parameters = parameters or []
    inst.permission_model = stackset.permission_model
    inst.stack = None
    inst.rg_status, inst.rg_detail, inst.rg_reason, inst.rg_operation = "OUTDATED", "PENDING", None, None
    return inst


def _instance_to_dict(self):
    out = {
        "StackSetId": self.stackset_id,
        "Region": self.region_name,
        "Account": self.account_id,
        "Status": getattr(self, "rg_status", "CURRENT"),
        "ParameterOverrides": self.parameters,
        "StackInstanceStatus": {"DetailedStatus": getattr(self, "rg_detail", "SUCCEEDED")},
    }
    if self.stack is not None:
        out["StackId"] = self.stack.stack_id
    if getattr(self, "rg_reason", None):
        out["StatusReason"] = self.rg_reason
    if getattr(self, "rg_operation", None):
        out["LastOperationId"] = self.rg_operation
    return out


def _params(stackset, inst):
    given = inst.parameters or stackset.parameters
    if isinstance(given, dict):
        return dict(given)
    merged = dict(stackset.parameters) if isinstance(stackset.parameters, dict) else {}
    merged.update({p["ParameterKey"]: p["ParameterValue"] for p in given})
    return merged


def _deploy(stackset, inst):
    """Create the instance's stack in its account; raises (after rolling its resources back) on failure."""
    params = _params(stackset, inst)
    stack_name = f"StackSet-{stackset.name}-{uuid.uuid4()}"
    if inst.permission_model == "SELF_MANAGED":
        backend = models.cloudformation_backends[inst.account_id][inst.region_name]
        stack_id = models.generate_stack_id(stack_name, inst.region_name, inst.account_id)
        try:
            inst.stack = backend.create_stack(name=stack_name, template=stackset.template, parameters=params)
        except Exception:
            stack = backend.stacks.pop(stack_id, None)
            if stack is not None:
                _rollback(stack)
            raise
        return
    stack = models.Stack(
        stack_id=models.generate_stack_id(stack_name, inst.region_name, inst.account_id),
        name=stack_name,
        template=stackset.template,
        parameters=params,
        account_id=inst.account_id,
        region_name=inst.region_name,
        notification_arns=[],
        tags=None,
        role_arn=None,
        cross_stack_resources={},
        enable_termination_protection=False,
    )
    try:
        stack.create_resources()
    except Exception:
        _rollback(stack)
        raise
    inst.stack = stack


def _rollback(stack):
    try:
        stack.resource_map.delete()
    except Exception:
        pass


def _remove(inst, retain):
    if inst.stack is None or retain:
        return
    if inst.permission_model == "SELF_MANAGED":
        models.cloudformation_backends[inst.account_id][inst.region_name].delete_stack(inst.stack.stack_id)
    else:
        inst.stack.delete()


# ------------------------------------------------------------------ operations


def _apply(stackset, action, inst, preferences):
    """Run one instance of a CREATE or DELETE: None, or the reason it failed."""
    if inst.permission_model == "SELF_MANAGED" and (inst.stack is not None or action != "DELETE"):
        refused = roles.execution_refusal(stackset, inst.account_id, stackset.instances.partition)
        if refused is not None:
            inst.rg_detail, inst.rg_reason = "FAILED", refused
            if inst.stack is None:
                inst.rg_status = "OUTDATED"
            return refused
    if action == "DELETE":
        try:
            _remove(inst, preferences.get("RetainStacks", False))
        except Exception as e:
            inst.rg_status, inst.rg_detail, inst.rg_reason = "INOPERABLE", "FAILED", _message(e)
            return inst.rg_reason
        if inst in stackset.instances.stack_instances:
            stackset.instances.stack_instances.remove(inst)
        return None
    if inst.stack is not None:
        inst.rg_status, inst.rg_detail, inst.rg_reason = "CURRENT", "SUCCEEDED", None
        return None
    try:
        _deploy(stackset, inst)
    except Exception as e:
        inst.rg_status, inst.rg_detail, inst.rg_reason = "OUTDATED", "FAILED", failure_reason(e)
        return inst.rg_reason
    inst.rg_status, inst.rg_detail, inst.rg_reason = "CURRENT", "SUCCEEDED", None
    return None


def create_stack_instances(stackset, accounts, regions, deployment_targets, parameters, preferences, operation_id):
    targets = deployment_targets or {}
    if stackset.permission_model == "SERVICE_MANAGED":
        if not targets.get("OrganizationalUnitIds"):
            raise ValidationError(message="StackSets with SERVICE_MANAGED permission model can only have OrganizationalUnit as target")
        accounts = ou_accounts(stackset, targets["OrganizationalUnitIds"])
        auto.record_targets(stackset, "CREATE", targets["OrganizationalUnitIds"], regions)
    elif targets.get("OrganizationalUnitIds"):
        raise ValidationError(message="StackSets with SELF_MANAGED permission model can only have accounts as target")
    else:
        accounts = list(accounts) or list(targets.get("Accounts", []))
    if not regions:
        raise ValidationError(message="Regions must not be empty")
    work = []
    with runs.lock:
        for region in regions:
            for account in dict.fromkeys(accounts):
                inst = stackset.instances.get_instance(account, region)
                if inst is None:
                    inst = _new_instance(stackset, account, region, parameters)
                    stackset.instances.stack_instances.append(inst)
                elif parameters:
                    inst.parameters = parameters
                work.append((region, account, inst))
    return runs.start(stackset, "CREATE", operation_id, work, preferences, _apply)


def delete_stack_instances(stackset, accounts, regions, deployment_targets, preferences, operation_id):
    targets = deployment_targets or {}
    if targets.get("OrganizationalUnitIds"):
        accounts = ou_accounts(stackset, targets["OrganizationalUnitIds"])
        auto.record_targets(stackset, "DELETE", targets["OrganizationalUnitIds"], regions)
    else:
        accounts = list(accounts) or list(targets.get("Accounts", []))
    work = [
        (i.region_name, i.account_id, i)
        for region in regions
        for i in list(stackset.instances.stack_instances)
        if i.region_name == region and i.account_id in accounts
    ]
    return runs.start(stackset, "DELETE", operation_id, work, preferences, _apply)


# ------------------------------------------------------------------ responders


def _preferences(response):
    prefs = dict(response._get_params().get("OperationPreferences") or {})
    if response._get_param("RetainStacks") in (True, "true", "True"):
        prefs["RetainStacks"] = True
    return prefs


def _create_stack_instances_response(self):
    stackset = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))
    operation_id = create_stack_instances(
        stackset,
        self._get_param("Accounts", []),
        self._get_param("Regions", []),
        self._get_params().get("DeploymentTargets"),
        self._get_param("ParameterOverrides", []),
        _preferences(self),
        self._get_param("OperationId"),
    )
    return ActionResult({"OperationId": operation_id})


def _delete_stack_instances_response(self):
    stackset = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))
    operation_id = delete_stack_instances(
        stackset,
        self._get_param("Accounts", []),
        self._get_param("Regions", []),
        self._get_params().get("DeploymentTargets"),
        _preferences(self),
        self._get_param("OperationId"),
    )
    return ActionResult({"OperationId": operation_id})


def _list_results_response(self):
    _, op = self.cloudformation_backend.describe_stack_set_operation(self._get_param("StackSetName"), self._get_param("OperationId"))
    with runs.lock:
        summaries = [dict(r) for r in op.get("Results", [])]
    return ActionResult({"Summaries": summaries})


_orig_dto_init = responses.StackSetOperationDTO.__init__


def _dto_init(self, operation, stack_set):
    _orig_dto_init(self, operation, stack_set)
    self.status_details = {"FailedStackInstancesCount": operation.get("FailedCount", 0)}


_orig_delete_stack_set = models.CloudFormationBackend.delete_stack_set


def _delete_stack_set(self, name):
    stackset = self.describe_stack_set(name)
    if runs.busy(stackset):
        raise runs.OperationInProgressException(f"Another Operation on StackSet {stackset.arn} is in progress")
    return _orig_delete_stack_set(self, name)


def _stop_stack_set_operation(self, stackset_name, operation_id):
    runs.stop(self.describe_stack_set(stackset_name), operation_id)


def _get_instance(self, account, region):
    for instance in self.stack_instances:
        if instance.region_name == region and instance.account_id == account:
            return instance
    return None


def _describe_stack_instance(self, stack_set_name, account_id, region):
    stackset = self.describe_stack_set(stack_set_name)
    instance = stackset.instances.get_instance(account_id, region)
    if instance is None:
        raise StackInstanceNotFoundException(f"Stack instance in account {account_id} and Region {region} for StackSet {stack_set_name} not found")
    return instance.to_dict()


def install():
    iam_models.Role.create_from_cloudformation_json = classmethod(_role_create)
    iam_models.Role.delete_from_cloudformation_json = classmethod(_role_delete)
    iam_models.ManagedPolicy.delete_from_cloudformation_json = classmethod(_managed_policy_delete)
    parsing.parse_and_create_resource = _parse_and_create
    models.StackInstance.to_dict = _instance_to_dict
    models.StackInstances.get_instance = _get_instance
    models.CloudFormationBackend.delete_stack_set = _delete_stack_set
    models.CloudFormationBackend.describe_stack_instance = _describe_stack_instance
    models.CloudFormationBackend.stop_stack_set_operation = _stop_stack_set_operation
    roles.install()
    auto.install()
    responses.StackSetOperationDTO.__init__ = _dto_init
    responses.CloudFormationResponse.create_stack_instances = _create_stack_instances_response
    responses.CloudFormationResponse.delete_stack_instances = _delete_stack_instances_response
    responses.CloudFormationResponse.list_stack_set_operation_results = _list_results_response
