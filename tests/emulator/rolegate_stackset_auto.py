"""Automatic deployment of service-managed StackSets, as AWS runs it (rolegate_stacksets.py
installs it). Stock moto 5.2 ignores CreateStackSet's AutoDeployment; here, as in AWS,
for a SERVICE_MANAGED StackSet with AutoDeployment Enabled=true:

  * an account that comes into one of the OUs its instances were created for (or an OU
    nested in one), by MoveAccount, or by CreateAccount when the root is targeted, gets
    its stack instance in each of the StackSet's Regions, its stack and resources made,
    without any call: an operation of its own (CREATE), started once no other
    operation of the StackSet runs;
  * an account moved out of them loses its instances the same way (DELETE), the stacks
    deleted with their resources unless RetainStacksOnAccountRemoval is true, when the
    stacks stay in the account and only the instances go.

OperationPreferences do not apply to these operations (as in AWS): one account, every
Region one after the other. DeleteStackInstances by OU takes the OU out of the targets.
"""

import threading
import time

from moto.cloudformation import models, responses
from moto.organizations import models as org_models

import rolegate_stackset_runs as runs
import rolegate_stacksets as stacksets

WAIT = 60  # seconds an automatic deployment waits for the StackSet's other operation


def _true(value):
    return value is True or str(value).lower() == "true"


_orig_create_stack_set_response = responses.CloudFormationResponse.create_stack_set


def _create_stack_set_response(self):
    result = _orig_create_stack_set_response(self)
    auto = self._get_params().get("AutoDeployment") or {}
    stackset = self.cloudformation_backend.describe_stack_set(self._get_param("StackSetName"))
    stackset.rg_auto = {"enabled": _true(auto.get("Enabled")), "retain": _true(auto.get("RetainStacksOnAccountRemoval"))}
    return result


def record_targets(stackset, action, ou_ids, regions):
    """Remember (CREATE) or forget (DELETE) the OUs and Regions a StackSet targets."""
    targets = getattr(stackset, "rg_targets", [])
    if action == "CREATE":
        stackset.rg_targets = targets + [ou for ou in ou_ids if ou not in targets]
        known = getattr(stackset, "rg_regions", [])
        stackset.rg_regions = known + [r for r in regions if r not in known]
    else:
        stackset.rg_targets = [ou for ou in targets if ou not in ou_ids]


def _automatic():
    for account_backends in list(models.cloudformation_backends.values()):
        for backend in list(account_backends.values()):
            for stackset in list(backend.stacksets.values()):
                auto = getattr(stackset, "rg_auto", {})
                if stackset.permission_model == "SERVICE_MANAGED" and auto.get("enabled") and stackset.status == "ACTIVE":
                    yield stackset


def _work(stackset, action, account):
    if action == "DELETE":
        return [(i.region_name, account, i) for i in stackset.instances.stack_instances if i.account_id == account]
    work = []
    for region in getattr(stackset, "rg_regions", []):
        inst = stackset.instances.get_instance(account, region)
        if inst is None:
            inst = stacksets._new_instance(stackset, account, region, [])
            stackset.instances.stack_instances.append(inst)
        work.append((region, account, inst))
    return work


def _deploy(stackset, action, account):
    preferences = {"RetainStacks": stackset.rg_auto["retain"]} if action == "DELETE" else {}
    end = time.time() + WAIT
    while time.time() < end:
        with runs.lock:
            work = _work(stackset, action, account)
            if not work:
                return
            try:
                runs.start(stackset, action, None, work, preferences, stacksets._apply)
                return
            except runs.OperationInProgressException:
                pass
        time.sleep(0.1)


def account_changed(account):
    """Deploy to, or remove from, `account` every automatic StackSet it came into or left."""
    for stackset in _automatic():
        targets = getattr(stackset, "rg_targets", [])
        if not targets:
            continue
        try:
            inside = account in stacksets.ou_accounts(stackset, targets)
        except Exception:  # the StackSet's administrator is in no organization now
            continue
        has = any(i.account_id == account for i in stackset.instances.stack_instances)
        if inside != has:
            action = "CREATE" if inside else "DELETE"
            threading.Thread(target=_deploy, args=(stackset, action, account), daemon=True).start()


_orig_create_account = org_models.OrganizationsBackend.create_account
_orig_move_account = org_models.OrganizationsBackend.move_account


def _create_account(self, **kwargs):
    status = _orig_create_account(self, **kwargs)
    account_changed(status["CreateAccountStatus"]["AccountId"])
    return status


def _move_account(self, **kwargs):
    result = _orig_move_account(self, **kwargs)
    account_changed(kwargs["AccountId"])
    return result


def install():
    responses.CloudFormationResponse.create_stack_set = _create_stack_set_response
    org_models.OrganizationsBackend.create_account = _create_account
    org_models.OrganizationsBackend.move_account = _move_account
