"""Self-test of the Seqera stand-in (rolegate_seqera.py) against the IAM/STS emulator:
schema refusals, response validation, auth, workspaces, the name check, role mode with
the platform's External ID, a trust that does not require it, keys mode, keys+role,
an ECR registry credential, delete, injected faults, and a log without secrets.

Run: python3 -m unittest tests/seqera/test_standin.py (needs moto[server] 5.2, boto3,
openapi-core; scripts/setup.sh installs them).
"""

import json
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = os.environ.get("ROLEGATE_PYTHON", sys.executable)
SEQERA_ROLE = "arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_accounts = iter(range(10**6))


def _start(cmd, ready, env=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if not line.startswith(ready):
        proc.kill()
        raise RuntimeError(f"{cmd[1]} did not start: {line!r} {proc.stderr.read()}")
    return proc, line.split()[1]


def http(url, method="GET", body=None, token=None, headers=None):
    """(status, parsed JSON body or None, raw bytes)."""
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw) if raw else None, raw
    except ValueError:
        return status, None, raw


class StandIn(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.emu_proc, cls.emu = _start([PY, os.path.join(REPO, "tests/emulator/rolegate_emulator.py"), "--port", "0",
                                        "--parent-pid", str(os.getpid())], "ROLEGATE_EMULATOR_READY")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.log_path = os.path.join(cls.tmp.name, "seqera.log")
        cls.control = uuid.uuid4().hex
        env = dict(os.environ, STANDIN_CONTROL=cls.control)
        cls.proc, cls.url = _start([PY, os.path.join(HERE, "rolegate_seqera.py"), "--port", "0", "--emulator", cls.emu,
                                    "--parent-pid", str(os.getpid()), "--control-token-env", "STANDIN_CONTROL",
                                    "--log", cls.log_path, "--test-mode"], "ROLEGATE_SEQERA_READY", env)
        cls.me = cls.ctl("POST", "/_rolegate/users", {"userName": "ada", "email": "ada@example.org",
                                                      "workspaces": [{"org": "acme", "workspace": "research"},
                                                                     {"org": "acme", "workspace": "spare"}]})
        cls.token = cls.me["token"]
        cls.ws = cls.me["workspaces"][0]["workspaceId"]
        cls.secrets = [cls.token]

    @classmethod
    def tearDownClass(cls):
        # After every test: no token, secret key or password the tests used is in the log.
        with open(cls.log_path, encoding="utf-8") as f:
            log = f.read()
        leaked = [f"{s[:4]}..." for s in cls.secrets if s in log]
        for p in (cls.proc, cls.emu_proc):
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()
        cls.tmp.cleanup()
        if leaked:
            raise AssertionError(f"secrets reached the stand-in's log: {leaked}")

    @classmethod
    def ctl(cls, method, path, body=None):
        status, out, raw = http(cls.url + path, method, body, headers={"X-Rolegate-Control": cls.control})
        assert status == 200, f"control {path}: {status} {raw!r}"
        return out

    def tearDown(self):
        # Every answer the stand-in sent conformed to the document, but the one spoiled on purpose.
        failures = [f for f in self.ctl("GET", "/_rolegate/state")["responseFailures"] if not f.startswith("(spoiled on purpose)")]
        self.assertEqual(failures, [], "the stand-in sent answers that break the document")

    # ----------------------------------------------------------------- helpers

    def api(self, method, path, body=None, token=None):
        return http(self.url + path, method, body, token=self.token if token is None else token)

    def create(self, keys, name=None, provider="aws", use_external_id=None, ws=None):
        q = f"?workspaceId={ws or self.ws}" + (f"&useExternalId={use_external_id}" if use_external_id is not None else "")
        body = {"credentials": {"name": name or f"c-{uuid.uuid4().hex[:10]}", "provider": provider, "keys": keys}}
        return self.api("POST", "/credentials" + q, body)

    def describe(self, cid):
        return self.api("GET", f"/credentials/{cid}?workspaceId={self.ws}")

    def validate(self, cid):
        status, out, raw = self.api("POST", f"/credentials/{cid}/validate?workspaceId={self.ws}")
        self.assertEqual(status, 200, raw)
        return out

    def account(self, user="admin", policy=None):
        acct = f"{7000 + os.getpid() % 1000:04d}{next(_accounts):08d}"
        body = {"account": acct, "user": user}
        if policy:
            body["policy"] = policy
        status, out, raw = http(self.emu + "/_rolegate/bootstrap-account", "POST", body)
        self.assertEqual(status, 200, raw)
        self.secrets.append(out["secret_access_key"])
        return out

    def user_in(self, acct, name, actions):
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        status, out, raw = http(self.emu + "/_rolegate/bootstrap-account", "POST", {"account": acct, "user": name, "policy": policy})
        self.assertEqual(status, 200, raw)
        self.secrets.append(out["secret_access_key"])
        return out

    def iam(self, who):
        return boto3.client("iam", endpoint_url=self.emu, region_name="us-east-1", aws_access_key_id=who["access_key_id"],
                            aws_secret_access_key=who["secret_access_key"])

    def trust(self, principal, external_id):
        stmt = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        if external_id:
            stmt["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})

    def role(self, admin, name, principal, external_id):
        return self.iam(admin).create_role(RoleName=name, AssumeRolePolicyDocument=self.trust(principal, external_id))["Role"]["Arn"]

    def assert_refused(self, status, out, *names):
        self.assertEqual(status, 400, out)
        self.assertTrue(out["message"].startswith("stand-in:"), out)
        for n in names:
            self.assertIn(n, out["message"])
        with open(self.log_path, encoding="utf-8") as f:
            self.assertIn(out["message"], f.read(), "a refusal must be logged")

    # ------------------------------------------------------------------- schema

    def test_undeclared_field_is_refused(self):
        status, out, _ = self.create({"mode": "role", "assumeRoleArn": "arn:aws:iam::123456789012:role/x", "roleArn": "y"},
                                     use_external_id="true")
        self.assert_refused(status, out, "credentials.keys", "'roleArn' was unexpected")
        status, out, _ = self.api("GET", f"/credentials/validate?workspaceId={self.ws}&name=a&filter=1")
        self.assert_refused(status, out, "'filter'")
        status, out, _ = self.api("GET", "/credentials/abc?workspaceId=not-a-number")
        self.assert_refused(status, out, "workspaceId")
        status, out, _ = self.create({"userName": "u"}, provider="bogus")
        self.assert_refused(status, out, "credentials.provider")

    def test_read_only_field_is_refused(self):
        body = {"credentials": {"name": "ro-test", "provider": "aws", "status": "AVAILABLE", "keys": {"mode": "role", "assumeRoleArn": "arn:x"}}}
        status, out, _ = self.api("POST", f"/credentials?workspaceId={self.ws}&useExternalId=true", body)
        self.assert_refused(status, out, "credentials.status", "read-only")

    def test_missing_required_field_is_refused(self):
        status, out, _ = self.api("POST", f"/credentials?workspaceId={self.ws}", {"credentials": {"provider": "aws", "keys": {}}})
        self.assert_refused(status, out, "'name' is a required property")

    def test_generated_external_id_may_not_be_sent(self):
        status, out, _ = self.create({"mode": "role", "assumeRoleArn": "arn:aws:iam::123456789012:role/x", "externalId": "mine"},
                                     use_external_id="true")
        self.assert_refused(status, out, "keys.externalId", "generates")

    def test_a_bad_response_is_caught(self):
        self.ctl("POST", "/_rolegate/bad-response", {"operation": "UserInfo", "count": 1})
        status, out, _ = self.api("GET", "/user-info")
        self.assertEqual(status, 500, out)
        self.assertIn("standInUndeclaredField", out["message"])
        failures = self.ctl("GET", "/_rolegate/state")["responseFailures"]
        self.assertTrue(any("UserInfo" in f and "standInUndeclaredField" in f for f in failures), failures)
        self.assertEqual(self.api("GET", "/user-info")[0], 200, "only the one answer was spoiled")
        # A secret in an answer (writeOnly in the document) is caught too.
        cid = self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20})[1]["credentialsId"]
        self.ctl("POST", "/_rolegate/bad-response", {"operation": "DescribeCredentials", "spoil": "secret"})
        status, out, raw = self.describe(cid)
        self.assertEqual(status, 500, out)
        self.assertIn("credentials.keys.secretKey", out["message"])
        self.assertIn("write-only", out["message"])
        self.assertNotIn("standInLeakedSecret", out["message"], "a refusal never repeats the value")

    # --------------------------------------------------------- auth, workspaces

    def test_auth_is_refused(self):
        self.assertEqual(http(self.url + "/user-info")[0], 401)
        self.assertEqual(self.api("GET", "/user-info", token="not-a-token")[0], 401)
        other = self.ctl("POST", "/_rolegate/users", {"userName": "bob", "workspaces": []})
        self.assertEqual(self.api("GET", "/user-info", token=other["token"])[0], 200)
        self.ctl("POST", "/_rolegate/tokens/revoke", {"token": other["token"]})
        self.assertEqual(self.api("GET", "/user-info", token=other["token"])[0], 401)

    def test_user_and_workspaces(self):
        status, out, _ = self.api("GET", "/user-info")
        self.assertEqual((status, out["user"]["userName"], out["user"]["id"]), (200, "ada", self.me["userId"]))
        status, out, _ = self.api("GET", f"/user/{self.me['userId']}/workspaces")
        self.assertEqual(status, 200)
        pairs = {(r["orgName"], r.get("workspaceName")) for r in out["orgsAndWorkspaces"]}
        self.assertEqual(pairs, {("acme", None), ("acme", "research"), ("acme", "spare")})
        self.assertEqual(self.api("GET", f"/user/{self.me['userId'] + 1}/workspaces")[0], 403)
        # A workspace that is gone answers 403 ("Operation not allowed"), without a body.
        spare = self.me["workspaces"][1]["workspaceId"]
        self.ctl("POST", "/_rolegate/workspaces/remove", {"workspaceId": spare})
        status, out, raw = self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20}, ws=spare)
        self.assertEqual((status, raw), (403, b""))
        status, out, _ = self.api("GET", f"/user/{self.me['userId']}/workspaces")
        self.assertNotIn("spare", {r.get("workspaceName") for r in out["orgsAndWorkspaces"]})

    def test_name_taken(self):
        name = f"taken-{uuid.uuid4().hex[:6]}"
        q = f"/credentials/validate?workspaceId={self.ws}&name={name}"
        self.assertEqual(self.api("GET", q)[0], 204)
        self.assertEqual(self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20}, name=name)[0], 200)
        status, out, _ = self.api("GET", q)
        self.assertEqual(status, 409)
        self.assertIn(name, out["message"])
        self.assertEqual(self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20}, name=name)[0], 409)
        self.assertEqual(self.api("GET", f"/credentials/validate?workspaceId={self.ws}&name=has%20space")[0], 400)

    # ---------------------------------------------------------- AWS: role mode

    def test_role_mode_external_id_then_fixed_trust(self):
        admin = self.account()
        arn = self.role(admin, "SeqeraRole", SEQERA_ROLE, "a-stale-external-id")
        status, out, raw = self.create({"mode": "role", "assumeRoleArn": arn}, use_external_id="true")
        self.assertEqual(status, 200, raw)
        cid = out["credentialsId"]
        self.assertRegex(cid, r"^[0-9A-Za-z]{22}$")
        status, out, raw = self.describe(cid)
        self.assertEqual(status, 200, raw)
        keys = out["credentials"]["keys"]
        self.assertEqual((keys["mode"], keys["assumeRoleArn"], keys["discriminator"]), ("role", arn, "aws"))
        ext = keys["externalId"]
        self.assertRegex(ext, UUID)
        self.assertIn(ext, out["setupSnippet"])
        self.assertIn(SEQERA_ROLE, out["setupSnippet"])
        # The customer's trust still holds another External ID: Seqera's role is refused.
        v = self.validate(cid)
        self.assertEqual((v["status"], v["transientError"]), ("INVALID", False), v)
        self.assertIn("External ID", v["message"])
        self.assertEqual(self.describe(cid)[1]["credentials"]["status"], "INVALID")
        # force=true turns INVALID into AVAILABLE without a probe; on AVAILABLE it is refused (409).
        status, out, _ = self.api("POST", f"/credentials/{cid}/validate?workspaceId={self.ws}&force=true")
        self.assertEqual((status, out["status"]), (200, "AVAILABLE"))
        self.assertEqual(self.api("POST", f"/credentials/{cid}/validate?workspaceId={self.ws}&force=true")[0], 409)
        self.assertEqual(self.validate(cid)["status"], "INVALID", "the probe still refuses it")
        # Fix the trust with the platform's value: AVAILABLE.
        self.iam(admin).update_assume_role_policy(RoleName="SeqeraRole", PolicyDocument=self.trust(SEQERA_ROLE, ext))
        v = self.validate(cid)
        self.assertEqual((v["status"], v.get("message"), v["transientError"]), ("AVAILABLE", None, False), v)
        held = self.ctl("GET", "/_rolegate/state")["credentials"][f"ws:{self.ws}"]
        self.assertEqual([c["status"] for c in held if c["id"] == cid], ["AVAILABLE"])
        # Role mode generates the External ID even without useExternalId.
        status, out, _ = self.create({"mode": "role", "assumeRoleArn": arn})
        self.assertRegex(self.describe(out["credentialsId"])[1]["credentials"]["keys"]["externalId"], UUID)

    def test_a_trust_without_the_external_id_is_invalid(self):
        admin = self.account()
        arn = self.role(admin, "OpenToSeqera", SEQERA_ROLE, None)
        cid = self.create({"mode": "role", "assumeRoleArn": arn}, use_external_id="true")[1]["credentialsId"]
        v = self.validate(cid)
        self.assertEqual(v["status"], "INVALID", v)
        self.assertIn("does not require the External ID", v["message"])

    # ---------------------------------------------------------- AWS: keys mode

    def test_keys_mode(self):
        admin = self.account()
        user = self.user_in(admin["account"], "seqera-keys", ["sts:GetCallerIdentity"])
        status, out, raw = self.create({"mode": "keys", "accessKey": user["access_key_id"], "secretKey": user["secret_access_key"]})
        self.assertEqual(status, 200, raw)
        cid = out["credentialsId"]
        status, out, raw = self.describe(cid)
        self.assertNotIn(user["secret_access_key"].encode(), raw)
        self.assertNotIn("externalId", out["credentials"]["keys"])
        self.assertNotIn("setupSnippet", out)
        self.assertEqual(self.validate(cid)["status"], "AVAILABLE")
        bad = self.create({"mode": "keys", "accessKey": user["access_key_id"], "secretKey": "wrong" + user["secret_access_key"][5:]})[1]
        v = self.validate(bad["credentialsId"])
        self.assertEqual(v["status"], "INVALID", v)
        self.assertIn("invalid or expired", v["message"])
        # Throttling that outlasts the SDK's three attempts is transient: the stored status is left alone.
        status, _, raw = http(self.emu + "/_rolegate/faults", "POST", {"access_key_id": user["access_key_id"], "action": "GetCallerIdentity",
                                                                      "code": "Throttling", "message": "Rate exceeded", "count": 3})
        self.assertEqual(status, 200, raw)
        v = self.validate(cid)
        self.assertEqual((v["status"], v["transientError"]), ("AVAILABLE", True), v)

    def test_aws_out_of_reach_is_transient(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once closed
        proc, url = _start([PY, os.path.join(HERE, "rolegate_seqera.py"), "--port", "0", "--emulator", closed,
                            "--parent-pid", str(os.getpid())], "ROLEGATE_SEQERA_READY")
        try:
            me = http(url + "/_rolegate/users", "POST", {"workspaces": [{"org": "o", "workspace": "w"}]})[1]
            ws = me["workspaces"][0]["workspaceId"]
            for keys in ({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20},
                         {"mode": "role", "assumeRoleArn": "arn:aws:iam::123456789012:role/r"}):
                body = {"credentials": {"name": f"n{uuid.uuid4().hex[:6]}", "provider": "aws", "keys": keys}}
                cid = http(f"{url}/credentials?workspaceId={ws}", "POST", body, token=me["token"])[1]["credentialsId"]
                status, v, raw = http(f"{url}/credentials/{cid}/validate?workspaceId={ws}", "POST", token=me["token"])
                self.assertEqual((status, v["status"], v["transientError"]), (200, "AVAILABLE", True), raw)
                self.assertIn("reach", v["message"])
            self.assertEqual(http(url + "/_rolegate/state")[1]["responseFailures"], [])
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_an_emulator_with_a_control_token_and_propagation_delays(self):
        """As the Sandbox starts them: the emulator wants its control token, and a new role
        is not assumable for a while (here 2 s), Seqera's own role included."""
        token = uuid.uuid4().hex
        emu, emu_url = _start([PY, os.path.join(REPO, "tests/emulator/rolegate_emulator.py"), "--port", "0", "--role-delay", "2",
                               "--control-token-env", "EMU_CONTROL", "--parent-pid", str(os.getpid())],
                              "ROLEGATE_EMULATOR_READY", dict(os.environ, EMU_CONTROL=token))
        proc, url = _start([PY, os.path.join(HERE, "rolegate_seqera.py"), "--port", "0", "--emulator", emu_url,
                            "--emulator-control-token-env", "EMU_CONTROL", "--parent-pid", str(os.getpid())],
                           "ROLEGATE_SEQERA_READY", dict(os.environ, EMU_CONTROL=token))
        try:
            status, admin, raw = http(emu_url + "/_rolegate/bootstrap-account", "POST", {"account": "210987654321", "user": "admin"},
                                      headers={"X-Rolegate-Control": token})
            self.assertEqual(status, 200, raw)
            me = http(url + "/_rolegate/users", "POST", {"workspaces": [{"org": "o", "workspace": "w"}]})[1]
            ws, tok = me["workspaces"][0]["workspaceId"], me["token"]
            iam = boto3.client("iam", endpoint_url=emu_url, region_name="us-east-1", aws_access_key_id=admin["access_key_id"],
                               aws_secret_access_key=admin["secret_access_key"])
            arn = iam.create_role(RoleName="Delayed", AssumeRolePolicyDocument=self.trust(SEQERA_ROLE, "later"))["Role"]["Arn"]
            body = {"credentials": {"name": "delayed", "provider": "aws", "keys": {"mode": "role", "assumeRoleArn": arn}}}
            cid = http(f"{url}/credentials?workspaceId={ws}&useExternalId=true", "POST", body, token=tok)[1]["credentialsId"]
            ext = http(f"{url}/credentials/{cid}?workspaceId={ws}", token=tok)[1]["credentials"]["keys"]["externalId"]
            iam.update_assume_role_policy(RoleName="Delayed", PolicyDocument=self.trust(SEQERA_ROLE, ext))
            # The first validate makes Seqera's role, which waits out its own delay (whether the
            # customer's trust is in force by then depends on timing, as in AWS).
            status, v, raw = http(f"{url}/credentials/{cid}/validate?workspaceId={ws}", "POST", token=tok)
            self.assertEqual(status, 200, raw)
            self.assertFalse(v["transientError"], v)
            time.sleep(2.5)
            v = http(f"{url}/credentials/{cid}/validate?workspaceId={ws}", "POST", token=tok)[1]
            self.assertEqual(v["status"], "AVAILABLE", v)
            self.assertEqual(http(url + "/_rolegate/state")[1]["responseFailures"], [])
        finally:
            for p in (proc, emu):
                p.kill()
                p.wait()
                p.stdout.close()
                p.stderr.close()

    def test_keys_and_role(self):
        admin = self.account()
        user = self.user_in(admin["account"], "seqera-assumer", ["sts:AssumeRole", "sts:GetCallerIdentity"])
        arn = self.role(admin, "KeysRole", user["user_arn"], "placeholder")
        keys = {"mode": "keys", "accessKey": user["access_key_id"], "secretKey": user["secret_access_key"], "assumeRoleArn": arn}
        status, out, raw = self.create(keys, use_external_id="true")
        self.assertEqual(status, 200, raw)
        cid = out["credentialsId"]
        ext = self.describe(cid)[1]["credentials"]["keys"]["externalId"]
        self.assertRegex(ext, UUID)
        self.assertEqual(self.validate(cid)["status"], "INVALID")
        self.iam(admin).update_assume_role_policy(RoleName="KeysRole", PolicyDocument=self.trust(user["user_arn"], ext))
        self.assertEqual(self.validate(cid)["status"], "AVAILABLE")
        # Without "Generate External ID" there is none, and this trust requires one.
        cid = self.create(keys, use_external_id="false")[1]["credentialsId"]
        self.assertNotIn("externalId", self.describe(cid)[1]["credentials"]["keys"])
        self.assertEqual(self.validate(cid)["status"], "INVALID")
        # useExternalId without a role ARN is a bad request.
        self.assertEqual(self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20}, use_external_id="true")[0], 400)

    # --------------------------------------------------- container registry (ECR)

    def test_container_registry_with_ecr(self):
        admin = self.account()
        acct = admin["account"]
        puller = self.user_in(acct, "wave-pull", ["ecr:GetAuthorizationToken"])
        other = self.user_in(acct, "no-ecr", ["sts:GetCallerIdentity"])
        registry = f"{acct}.dkr.ecr.eu-west-1.amazonaws.com"
        ok = self.create({"userName": puller["access_key_id"], "password": puller["secret_access_key"], "registry": registry},
                         provider="container-reg")
        self.assertEqual(ok[0], 200, ok[2])
        status, out, raw = self.describe(ok[1]["credentialsId"])
        self.assertNotIn(puller["secret_access_key"].encode(), raw)
        self.assertEqual(out["credentials"]["keys"], {"userName": puller["access_key_id"], "registry": registry, "discriminator": "container-reg"})
        self.assertEqual(self.validate(ok[1]["credentialsId"])["status"], "AVAILABLE")
        denied = self.create({"userName": other["access_key_id"], "password": other["secret_access_key"], "registry": registry},
                             provider="container-reg")[1]
        v = self.validate(denied["credentialsId"])
        self.assertEqual(v["status"], "INVALID", v)
        self.assertIn("ecr:GetAuthorizationToken", v["message"])
        # AWS keys fields are not container registry fields.
        status, out, _ = self.create({"accessKey": "AKIAEXAMPLE", "registry": registry}, provider="container-reg")
        self.assert_refused(status, out, "'accessKey' was unexpected")

    # ------------------------------------------------------------ delete, faults

    def test_delete(self):
        cid = self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20})[1]["credentialsId"]
        self.assertIn(cid, [c["id"] for c in self.ctl("GET", "/_rolegate/state")["credentials"][f"ws:{self.ws}"]])
        status, _, raw = self.api("DELETE", f"/credentials/{cid}?workspaceId={self.ws}")
        self.assertEqual((status, raw), (204, b""))
        self.assertNotIn(cid, [c["id"] for c in self.ctl("GET", "/_rolegate/state")["credentials"][f"ws:{self.ws}"]])
        self.assertEqual(self.describe(cid)[0], 404)
        self.assertEqual(self.api("DELETE", f"/credentials/{cid}?workspaceId={self.ws}")[0], 404)
        # Credentials are kept per workspace: another context does not see them.
        cid = self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20})[1]["credentialsId"]
        self.assertEqual(self.api("GET", f"/credentials/{cid}")[0], 404, "the user context is another store")
        self.assertEqual(self.api("DELETE", f"/credentials/{cid}")[0], 404)
        self.assertEqual(self.describe(cid)[0], 200)

    def test_injected_faults(self):
        self.ctl("POST", "/_rolegate/faults", {"operation": "UserInfo", "kind": "500"})
        self.assertEqual(self.api("GET", "/user-info")[0], 500)
        self.ctl("POST", "/_rolegate/faults", {"operation": "UserInfo", "kind": "401"})
        self.assertEqual(self.api("GET", "/user-info")[0], 401)
        self.ctl("POST", "/_rolegate/faults", {"operation": "DescribeCredentials", "kind": "403"})
        self.assertEqual(self.describe("whatever")[0], 403)
        self.assertEqual(self.api("GET", "/user-info")[0], 200)
        # The credential is made, then the answer is lost: the state shows it.
        name = f"lost-{uuid.uuid4().hex[:6]}"
        self.ctl("POST", "/_rolegate/faults", {"operation": "CreateCredentials", "kind": "drop", "after": True})
        with self.assertRaises((ConnectionError, urllib.error.URLError, OSError)):
            self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "x" * 20}, name=name)
        held = self.ctl("GET", "/_rolegate/state")["credentials"][f"ws:{self.ws}"]
        self.assertIn(name, [c["name"] for c in held])

    def test_control_routes_want_the_token_and_the_log_holds_no_secret(self):
        status, _, _ = http(self.url + "/_rolegate/state")
        self.assertEqual(status, 403)
        status, _, _ = http(self.url + "/_rolegate/state", headers={"X-Rolegate-Control": "guess"})
        self.assertEqual(status, 403)
        status, _, _ = http(self.url + "/user-info", token=self.token, headers={"Host": "evil.example:80"})
        self.assertEqual(status, 403)
        self.secrets.extend(["leak-me-not-0123456789", "12345678901234"])
        self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": "leak-me-not-0123456789"})
        self.create({"mode": "keys", "accessKey": "AKIAEXAMPLE", "secretKey": 12345678901234})  # a refused secret too
        self.assertEqual(stat.S_IMODE(os.stat(self.log_path).st_mode), 0o600)
        with open(self.log_path, encoding="utf-8") as f:
            log = f.read()
        self.assertIn("/credentials", log)
        for s in [*self.secrets, "leak-me-not-0123456789", "12345678901234", "standInLeakedSecret"]:
            self.assertNotIn(s, log)


if __name__ == "__main__":
    unittest.main()
