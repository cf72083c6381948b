#!/usr/bin/env python3
"""The fleet benchmark's baseline: what a careful script does without Rolegate.

  fleet_baseline.py URL OU SUFFIX            (stdin: {"template": fleet template, "role": NAME, "accounts": [...]})
  fleet_baseline.py URL OU SUFFIX --delete

Creates StackSet bench-SUFFIX from the template Rolegate rendered (service-managed, the
OU as target, MaxConcurrentPercentage 25, FailureTolerancePercentage 10), polls the
operation every 0.5 s until it ends, then for each account in turn assumes its
OrganizationAccountAccessRole, reads the role (GetRole), and compares its trust policy with the
expected one (the template's principal and External ID). Prints "N accounts right" and
exits 0 only when every account's role is right. --delete deletes the instances, then
the StackSet. boto3 retries throttled calls in its standard mode.
"""

import json
import sys
import time

import boto3
from botocore.config import Config

url, ou, suffix = sys.argv[1], sys.argv[2], sys.argv[3]
name = f"bench-{suffix}"
config = Config(retries={"mode": "standard", "max_attempts": 10})
cfn = boto3.client("cloudformation", endpoint_url=url, region_name="eu-west-1", config=config)
sts = boto3.client("sts", endpoint_url=url, region_name="eu-west-1", config=config)
prefs = {"MaxConcurrentPercentage": 25, "FailureTolerancePercentage": 10}


def wait(operation):
    while True:
        status = cfn.describe_stack_set_operation(StackSetName=name, OperationId=operation)["StackSetOperation"]["Status"]
        if status not in ("QUEUED", "RUNNING", "STOPPING"):
            return status
        time.sleep(0.5)


if "--delete" in sys.argv:
    op = cfn.delete_stack_instances(StackSetName=name, DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["eu-west-1"],
                                    RetainStacks=False, OperationPreferences=prefs)["OperationId"]
    wait(op)
    cfn.delete_stack_set(StackSetName=name)
    sys.exit(0)

given = json.load(sys.stdin)
stackset = given["template"]["stackset"]
cfn.create_stack_set(StackSetName=name, TemplateBody=stackset["body"], Capabilities=stackset["capabilities"],
                     PermissionModel="SERVICE_MANAGED", AutoDeployment={"Enabled": False})
op = cfn.create_stack_instances(StackSetName=name, DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["eu-west-1"],
                                OperationPreferences=prefs)["OperationId"]
started = time.monotonic()
if wait(op) != "SUCCEEDED":
    sys.exit("the operation did not succeed")
print(f"operation ended {time.monotonic() - started:.3f} s after it was asked for", file=sys.stderr)
ended = time.monotonic()
role_name = given["role"]
external_id = stackset["parameters"][0]["default"]
right = 0
for account in given["accounts"]:
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName=name)["Credentials"]
    iam = boto3.client("iam", endpoint_url=url, region_name="eu-west-1", config=config, aws_access_key_id=c["AccessKeyId"],
                       aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    st = trust["Statement"][0]
    if st["Condition"]["StringEquals"]["sts:ExternalId"] != external_id:
        sys.exit(f"{account}: External ID {st['Condition']}")
    right += 1
print(f"checked every account {time.monotonic() - ended:.3f} s after the operation ended", file=sys.stderr)
print(f"{right} accounts right")
