"""The roles of self-managed StackSets, checked as AWS checks them (rolegate_stacksets.py
calls this). Stock moto 5.2 records AdministrationRoleARN and ExecutionRoleName and
checks neither; here, as in AWS:

  * CreateStackSet with PermissionModel SELF_MANAGED (the default) needs the
    administration role (AdministrationRoleARN, by default
    AWSCloudFormationStackSetAdministrationRole in the caller's account) to exist and to
    trust the service cloudformation.amazonaws.com; otherwise it is a ValidationError:
    "Account ID should have 'NAME' role with trust relationship to CloudFormation service."
  * Each target account of an operation needs the execution role (ExecutionRoleName, by
    default AWSCloudFormationStackSetExecutionRole) trusting the administration role or
    its account; an account without it fails alone, its result and instance saying
    "Account ID should have 'EXECUTION' role with trust relationship to Role 'ADMINISTRATION'."
    (Deleting an instance whose stack was never made needs no role.)

Not modelled: the administration role's own permission to sts:AssumeRole the execution
role (AWS checks it too; here its trust alone counts).
"""

import json

from moto.cloudformation import models
from moto.cloudformation.exceptions import ValidationError
from moto.iam import models as iam_models
from moto.utilities.utils import get_partition

from rolegate_trust import evaluate_trust

SERVICE = "cloudformation.amazonaws.com"


def _role(account, partition, name):
    try:
        backend = iam_models.iam_backends[account][partition]
    except Exception:
        return None
    return next((r for r in backend.roles.values() if r.name == name), None)


def _parse_arn(arn):
    """(partition, account, role name) of a role ARN, or None."""
    parts = (arn or "").split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    return parts[1], parts[4], parts[5].rsplit("/", 1)[-1]


def _as_list(v):
    return v if isinstance(v, list) else ([] if v is None else [v])


def _trusts_service(document, service):
    doc = json.loads(document) if isinstance(document, str) else document
    allowed = False
    for stmt in _as_list(doc.get("Statement")):
        actions = [a.lower() for a in _as_list(stmt.get("Action"))]
        principal = stmt.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if not ({"sts:assumerole", "sts:*", "*"} & set(actions)) or (principal != "*" and service not in services):
            continue
        if stmt.get("Effect") == "Deny":
            return False
        allowed = allowed or stmt.get("Effect") == "Allow"
    return allowed


def check_administration_role(account, admin_arn):
    """Refuse a self-managed StackSet whose administration role CloudFormation cannot assume."""
    parsed = _parse_arn(admin_arn)
    name = parsed[2] if parsed else admin_arn
    role = _role(parsed[1], parsed[0], parsed[2]) if parsed else None
    if role is None or not _trusts_service(role.assume_role_policy_document, SERVICE):
        raise ValidationError(message=f"Account {account} should have '{name}' role with trust relationship to CloudFormation service.")


def execution_refusal(stackset, account, partition):
    """None when `account` has the StackSet's execution role trusting its administration
    role, else the reason its instance fails."""
    admin_arn = stackset.administration_role_arn
    parsed = _parse_arn(admin_arn)
    admin_account, admin_name = (parsed[1], parsed[2]) if parsed else (stackset.instances.account_id, admin_arn)
    role = _role(account, partition, stackset.execution_role_name)
    ids = {"arn": admin_arn, "role_arn": admin_arn}
    if role is None or not evaluate_trust(role.assume_role_policy_document, admin_account, ids, {}):
        return (
            f"Account {account} should have '{stackset.execution_role_name}' role with trust relationship to Role '{admin_name}'."
        )
    return None


_orig_create_stack_set = models.CloudFormationBackend.create_stack_set


def _create_stack_set(self, name, template, parameters, tags, permission_model, admin_role, exec_role, description):
    if (permission_model or "SELF_MANAGED") == "SELF_MANAGED":
        arn = admin_role or f"arn:{get_partition(self.region_name)}:iam::{self.account_id}:role/AWSCloudFormationStackSetAdministrationRole"
        check_administration_role(self.account_id, arn)
    return _orig_create_stack_set(self, name, template, parameters, tags, permission_model, admin_role, exec_role, description)


def install():
    models.CloudFormationBackend.create_stack_set = _create_stack_set
