"""What the Seqera stand-in does on POST /credentials/{id}/validate: it asks AWS (the
IAM/STS emulator) what Seqera would ask it.

  * role mode: it acts as Seqera Cloud's own identity,
    arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole, in an emulator account
    of its own (made on first use through the emulator's bootstrap route), assumes the
    customer's role with the stored External ID, and then checks that the same call
    WITHOUT the External ID is refused (a trust that does not require it lets anyone
    who knows the role ARN through Seqera's identity: the confused deputy);
  * keys mode: it signs in with the keys (sts:GetCallerIdentity) and assumes the role
    if one is given, with the External ID if there is one;
  * container registry (ECR): it calls ecr:GetAuthorizationToken with the keys
    (userName = access key id, password = secret) in the registry's region.

Each probe answers ("AVAILABLE" | "INVALID" | "TRANSIENT", message). Throttling, 5xx
and connection failures are TRANSIENT: Seqera then leaves the stored status alone and
says transientError.
"""

import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid

import boto3
import botocore.config
import botocore.exceptions

SEQERA_ACCOUNT = "161471496260"
SEQERA_ROLE_NAME = "SeqeraPlatformCloudAccessRole"
SEQERA_ROLE_ARN = f"arn:aws:iam::{SEQERA_ACCOUNT}:role/{SEQERA_ROLE_NAME}"
ECR_REGISTRY = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$")

TRANSIENT_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure", "InternalError"}
# What Seqera stores for keys AWS does not know (docs: compute-envs/preflight-checks.mdx).
INVALID_KEYS = "AWS credentials are invalid or expired. Update or rotate the access keys."


class Transient(Exception):
    pass


class SetupError(Exception):
    """The stand-in could not make Seqera's identity in the emulator: its own defect, not AWS's answer."""


def _classify(e):
    """('TRANSIENT' | 'INVALID', text) for a boto error."""
    if isinstance(e, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                      botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)):
        return "TRANSIENT", f"could not reach AWS: {e}"
    if isinstance(e, botocore.exceptions.ClientError):
        code = e.response.get("Error", {}).get("Code", "")
        msg = e.response.get("Error", {}).get("Message", "")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in TRANSIENT_CODES or status >= 500:
            return "TRANSIENT", f"AWS answered {code or status}: {msg}"
        return "INVALID", f"{code}: {msg}"
    return "TRANSIENT", f"could not reach AWS: {e}"


class Prober:
    def __init__(self, emulator_url, control_token="", region="us-east-1"):
        self.url = emulator_url.rstrip("/")
        self.control_token = control_token
        self.region = region
        self._lock = threading.Lock()
        self._platform = None  # (credentials dict, expires monotonic)
        # Three attempts in all, as the AWS SDKs' standard retry mode makes: one throttled
        # answer is retried away, three in a row are a transient failure.
        self._config = botocore.config.Config(retries={"total_max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=20)

    def _client(self, service, key_id, secret, token=None, region=None):
        return boto3.client(service, endpoint_url=self.url, region_name=region or self.region, aws_access_key_id=key_id,
                            aws_secret_access_key=secret, aws_session_token=token, config=self._config)

    def _bootstrap(self):
        body = json.dumps({"account": SEQERA_ACCOUNT, "user": f"seqera-platform-{uuid.uuid4().hex[:8]}"}).encode()
        headers = {"Content-Type": "application/json"}
        if self.control_token:
            headers["X-Rolegate-Control"] = self.control_token
        req = urllib.request.Request(self.url + "/_rolegate/bootstrap-account", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise SetupError(f"the emulator refused to make account {SEQERA_ACCOUNT}: HTTP {e.code} {e.read()[:200]!r}")

    def platform_credentials(self):
        """Session credentials of SeqeraPlatformCloudAccessRole (made once per process)."""
        with self._lock:
            if self._platform and self._platform[1] > time.monotonic():
                return self._platform[0]
            try:
                return self._make_platform()
            except botocore.exceptions.ClientError as e:
                raise SetupError(f"could not make {SEQERA_ROLE_ARN} in the emulator: {e}")

    def _make_platform(self):
        """Bootstrap an administrator in Seqera's account, make the role, and assume it."""
        admin = self._bootstrap()
        iam = self._client("iam", admin["access_key_id"], admin["secret_access_key"])
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SEQERA_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
        try:
            iam.create_role(RoleName=SEQERA_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
        allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]}
        iam.put_role_policy(RoleName=SEQERA_ROLE_NAME, PolicyName="assume-customer-roles", PolicyDocument=json.dumps(allow))
        sts = self._client("sts", admin["access_key_id"], admin["secret_access_key"])
        deadline = time.monotonic() + 30
        while True:  # a new role is not assumable at once where IAM takes time (the Sandbox's emulator)
            try:
                c = sts.assume_role(RoleArn=SEQERA_ROLE_ARN, RoleSessionName="seqera-platform")["Credentials"]
                break
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != "AccessDenied" or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        creds = {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}
        self._platform = (creds, time.monotonic() + 45 * 60)
        return creds

    def _assume(self, sts, role_arn, external_id, session):
        kwargs = {"RoleArn": role_arn, "RoleSessionName": session}
        if external_id:
            kwargs["ExternalId"] = external_id
        sts.assume_role(**kwargs)

    def probe(self, cred):
        try:
            if cred["provider"] == "aws":
                keys = cred["keys"]
                if keys.get("mode") == "role":
                    return self._role(keys, cred["id"])
                return self._keys(keys, cred["id"])
            if cred["provider"] == "container-reg":
                return self._registry(cred["keys"])
            return "TRANSIENT", f"stand-in: the stand-in cannot probe {cred['provider']} credentials"
        except Transient as e:
            return "TRANSIENT", str(e)
        except SetupError:
            raise
        except Exception as e:  # connection failures while making the platform identity
            state, text = _classify(e)
            return state, text

    def _role(self, keys, cred_id):
        role_arn = keys.get("assumeRoleArn", "")
        external_id = keys.get("externalId")
        try:
            p = self.platform_credentials()
        except (urllib.error.URLError, OSError, botocore.exceptions.EndpointConnectionError) as e:
            raise Transient(f"could not reach AWS to act as {SEQERA_ROLE_ARN}: {e}")
        sts = self._client("sts", p["key"], p["secret"], p["token"])
        try:
            self._assume(sts, role_arn, external_id, f"seqera-{cred_id}")
        except Exception as e:
            state, text = _classify(e)
            if state == "TRANSIENT":
                return state, text
            return "INVALID", (f"{SEQERA_ROLE_ARN} could not assume {role_arn} with the credential's External ID: {text}. "
                               f"The role's trust policy must allow {SEQERA_ROLE_ARN} with the condition "
                               f"StringEquals sts:ExternalId = the External ID this credential shows.")
        try:
            self._assume(sts, role_arn, None, f"seqera-{cred_id}-noext")
        except Exception as e:
            state, text = _classify(e)
            if state == "TRANSIENT":
                return state, text
            return "AVAILABLE", None
        return "INVALID", (f"the trust policy of {role_arn} does not require the External ID: {SEQERA_ROLE_ARN} "
                           f"assumed it without one. Add the condition StringEquals sts:ExternalId to every statement "
                           f"that lets {SEQERA_ROLE_ARN} call sts:AssumeRole.")

    def _keys(self, keys, cred_id):
        sts = self._client("sts", keys.get("accessKey", ""), keys.get("secretKey", ""))
        try:
            sts.get_caller_identity()
        except Exception as e:
            state, text = _classify(e)
            return (state, text) if state == "TRANSIENT" else ("INVALID", f"{INVALID_KEYS} ({text})")
        role_arn = keys.get("assumeRoleArn")
        if role_arn:
            try:
                self._assume(sts, role_arn, keys.get("externalId"), f"seqera-{cred_id}")
            except Exception as e:
                state, text = _classify(e)
                if state == "TRANSIENT":
                    return state, text
                with_ext = " with the credential's External ID" if keys.get("externalId") else ""
                return "INVALID", f"the access key could not assume {role_arn}{with_ext}: {text}"
        return "AVAILABLE", None

    def _registry(self, keys):
        m = ECR_REGISTRY.match(keys.get("registry", ""))
        if not m:
            return "TRANSIENT", f"stand-in: only Amazon ECR registries (<account>.dkr.ecr.<region>.amazonaws.com) are probed, not {keys.get('registry', '')!r}"
        ecr = self._client("ecr", keys.get("userName", ""), keys.get("password", ""), region=m.group(2))
        try:
            ecr.get_authorization_token()
        except Exception as e:
            state, text = _classify(e)
            return (state, text) if state == "TRANSIENT" else ("INVALID", f"ECR refused ecr:GetAuthorizationToken for {keys.get('userName', '')}: {text}")
        return "AVAILABLE", None
