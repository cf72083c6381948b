#!/usr/bin/env python3
"""The calls `rolegate apply -t seqera-batch-launch` makes (apply, then verify), made
in order by a plain script, for the engine benchmark (scripts/bench-engine.sh).

  engine_baseline.py boto3 SUFFIX    one process, boto3 clients, calls in sequence
  engine_baseline.py awscli SUFFIX   one `aws` process per call (PyPI awscli)

The endpoint, region and bootstrap credentials come from the environment
(AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Names end in
SUFFIX so rounds do not collide. Exits non-zero if any call answers differently from
what the run expects, so a broken baseline cannot report a fast time.
"""

import json
import os
import subprocess
import sys
import uuid

mode, suffix = sys.argv[1], sys.argv[2]
endpoint = os.environ["AWS_ENDPOINT_URL"]
account = os.environ["BENCH_ACCOUNT"]
names = {"policy": f"bench-launch-{suffix}", "user": f"bench-launch-{suffix}", "role": f"bench-launch-{suffix}"}
policy_arn = f"arn:aws:iam::{account}:policy/{names['policy']}"
role_arn = f"arn:aws:iam::{account}:role/{names['role']}"
user_arn = f"arn:aws:iam::{account}:user/{names['user']}"
external_id = str(uuid.uuid4())
tags = [{"Key": "rolegate:run-id", "Value": f"bench-{suffix}"}]
permissions = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["batch:Describe*", "batch:SubmitJob"], "Resource": "*"}]})
assume_only = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": role_arn}]})
trust = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": external_id}}},
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:TagSession"},
    ],
})

# (service, operation, params, credentials to sign with, expected outcome)
# outcome: "ok", or an error code the call must answer with.
BOOT, KEY, SESSION = "boot", "key", "session"


def calls():
    yield "sts", "GetCallerIdentity", {}, BOOT, "ok"
    yield "iam", "GetPolicy", {"PolicyArn": policy_arn}, BOOT, "NoSuchEntity"
    yield "iam", "CreatePolicy", {"PolicyName": names["policy"], "PolicyDocument": permissions, "Tags": tags}, BOOT, "ok"
    yield "iam", "GetUser", {"UserName": names["user"]}, BOOT, "NoSuchEntity"
    yield "iam", "CreateUser", {"UserName": names["user"], "Tags": tags}, BOOT, "ok"
    yield "iam", "PutUserPolicy", {"UserName": names["user"], "PolicyName": "rolegate-assume-roles", "PolicyDocument": assume_only}, BOOT, "ok"
    yield "iam", "ListAccessKeys", {"UserName": names["user"]}, BOOT, "ok"
    yield "iam", "CreateAccessKey", {"UserName": names["user"]}, BOOT, "ok"
    yield "iam", "GetRole", {"RoleName": names["role"]}, BOOT, "NoSuchEntity"
    yield "iam", "CreateRole", {"RoleName": names["role"], "AssumeRolePolicyDocument": trust, "Tags": tags, "MaxSessionDuration": 3600}, BOOT, "ok"
    yield "iam", "ListAttachedRolePolicies", {"RoleName": names["role"]}, BOOT, "ok"
    yield "iam", "AttachRolePolicy", {"RoleName": names["role"], "PolicyArn": policy_arn}, BOOT, "ok"
    yield "sts", "GetCallerIdentity", {}, KEY, "ok"
    yield "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": f"bench-{suffix}", "ExternalId": external_id}, KEY, "ok"
    # verify
    yield "sts", "GetCallerIdentity", {}, KEY, "ok"
    yield "iam", "ListAccessKeys", {"UserName": names["user"]}, BOOT, "ok"
    yield "iam", "GetRole", {"RoleName": names["role"]}, BOOT, "ok"
    yield "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": f"bench-{suffix}", "ExternalId": external_id}, KEY, "ok"
    yield "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": f"bench-{suffix}"}, KEY, "AccessDenied"
    yield "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": f"bench-{suffix}", "ExternalId": "wrong-" + external_id}, KEY, "AccessDenied"
    yield "sts", "GetCallerIdentity", {}, SESSION, "ok"


def cli_args(service, op, params):
    """Operation and parameters as awscli arguments (--cli-input-json keeps them exact)."""
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in op).lstrip("-")
    return ["aws", service, kebab, "--endpoint-url", endpoint, "--output", "json", "--cli-input-json", json.dumps(params)]


def run():
    creds = {BOOT: (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], None)}
    if mode == "boto3":
        import boto3
        import botocore.exceptions

        clients = {}

        def client(service, who):
            if (service, who) not in clients:
                ak, sk, tok = creds[who]
                clients[(service, who)] = boto3.client(service, endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=tok)
            return clients[(service, who)]

        def call(service, op, params, who):
            method = "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")
            try:
                return "ok", getattr(client(service, who), method)(**params)
            except botocore.exceptions.ClientError as e:
                return e.response["Error"]["Code"], None
    else:
        def call(service, op, params, who):
            env = dict(os.environ)
            ak, sk, tok = creds[who]
            env.update(AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk)
            env.pop("AWS_SESSION_TOKEN", None)
            if tok:
                env["AWS_SESSION_TOKEN"] = tok
            p = subprocess.run(cli_args(service, op, params), env=env, capture_output=True, text=True)
            if p.returncode == 0:
                return "ok", json.loads(p.stdout or "{}")
            code = p.stderr.split("(", 1)[1].split(")", 1)[0] if "(" in p.stderr else p.stderr.strip()
            return code, None

    for service, op, params, who, expected in calls():
        outcome, body = call(service, op, params, who)
        if outcome != expected:
            sys.exit(f"{mode}: {op} as {who} answered {outcome}, expected {expected}")
        if op == "CreateAccessKey":
            k = body["AccessKey"]
            creds[KEY] = (k["AccessKeyId"], k["SecretAccessKey"], None)
        if op == "AssumeRole" and outcome == "ok":
            c = body["Credentials"]
            creds[SESSION] = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


run()
