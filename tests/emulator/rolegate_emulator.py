#!/usr/bin/env python3
"""Rolegate's IAM/STS emulator: moto's server with IAM access control switched on and
its trust evaluation made to behave like AWS where Rolegate's safety depends on it.

Stock moto 5.2 (checked against 5.2.1) lets an AssumeRole that omits a required
sts:ExternalId through, ignores StringLike, matches Principal by substring, never
evaluates a trust policy of another account, accepts inactive access keys, and lets
a user with keys or an attached policy be deleted. This launcher replaces:

  * sts:AssumeRole authorisation (evaluation in rolegate_trust.py): the role is looked
    up in the account its ARN names;
    its trust policy is evaluated with exact principal matching (user, role, session,
    account root), Deny before Allow, and the condition operators StringEquals,
    StringNotEquals, StringLike, StringNotLike, StringEqualsIgnoreCase, Null and Bool
    (with ...IfExists), a missing key failing every positive operator as in AWS. The
    caller's own policies must also allow sts:AssumeRole on the role, except in the
    same account when the trust policy names the caller's ARN itself.
  * access keys: an Inactive key is refused (InvalidClientTokenId).
  * DeleteConflict on DeleteUser (keys, attached or inline policies), DeleteRole
    (attached or inline policies) and DeletePolicy (still attached).
  * access-control refusals of JSON-protocol services (ECR's GetAuthorizationToken, which
    the Seqera stand-in calls): AWS answers HTTP 400 with {"__type":
    "AccessDeniedException" | "UnrecognizedClientException" | "InvalidSignatureException",
    "message"}; moto wrote them as the query protocol's XML with HTTP 403, which SDKs
    cannot read a code from.
  * iam:SimulatePrincipalPolicy, which moto lacks, for a principal's own identity
    policies (rolegate_simulate.py).
  * Organizations: a member account that is no delegated administrator is refused the
    structure reads (AccessDeniedException), and StackSets may have a delegated
    administrator (rolegate_organizations.py).
  * CloudFormation StackSet operations: asynchronous (RUNNING, then SUCCEEDED or
    FAILED), one result per account and Region, a failed account failing only its
    instance within the failure tolerance, nested OUs without the management account,
    and DeleteStackInstances by OU (rolegate_stacksets.py); accounts run in batches as
    the operation's preferences ask (rolegate_stackset_runs.py); self-managed StackSets
    need their administration and execution roles (rolegate_stackset_roles.py); an
    account that joins or leaves a targeted OU gets or loses its instances by itself
    when AutoDeployment is enabled (rolegate_stackset_auto.py). How long a batch runs:
    POST /_rolegate/stacksets {"account": ID, "running": S}.
  * Throttling per account and service, and a network time per call
    (rolegate_pace.py): POST /_rolegate/throttle {"account", "service", "rate",
    "burst"}, POST /_rolegate/latency {"ms"}, and POST /_rolegate/calls (the calls each
    account signed since the last count); stock moto never throttles.

It also serves POST /_rolegate/bootstrap-account, which makes an administrator user
and access key in any account without going through access control (test set-up
only), POST /_rolegate/faults, which makes the next COUNT calls of ACTION signed by
ACCESS_KEY_ID answer with an AWS error of the given code and message (IAM's
propagation answers and throttling, for tests of the retries), or, given DELAY seconds
instead of a code, hold them that long before the call runs (a call whose client went
away meanwhile never runs) or, with "after": true, after it ran (tests that stop the
client at an exact point); "user_arn" instead of "access_key_id" matches every key of
that IAM user. GET /_rolegate/faults?access_key_id=ID (or the user ARN) says how many
are still to fire, and GET /_rolegate/health.

Propagation (rolegate_propagation.py, off unless asked for): for KEY seconds after
CreateAccessKey the new key is refused as unknown (InvalidClientTokenId), for ROLE
seconds after CreateRole or UpdateAssumeRolePolicy AssumeRole of that role is denied,
and for PRINCIPAL seconds after CreateUser a trust policy naming that user is refused
(MalformedPolicyDocument "Invalid principal in policy"). Set them for every account
with --key-delay, --role-delay and --principal-delay, or for one account (a test,
beside others) with POST /_rolegate/propagation {"account": ID, "key": S, "role": S,
"principal": S}; GET /_rolegate/propagation?account=ID answers the delays in force,
and GET /_rolegate/propagation/made?account=ID when each key, role and user was made
(wall-clock seconds). What the bootstrap route makes is ready at once.

Only requests whose Host is this server's loopback address are answered. With
--control-token-env VAR, the /_rolegate routes (but health) also want the token from
that environment variable in an X-Rolegate-Control header: the desktop app's Sandbox
starts it so, so that no other local process can make administrators or faults in it.

This file is longer than 500 lines: it holds this description and the server's control
routes; trust evaluation, the propagation model and the simulator are modules beside it
(rolegate_trust.py, rolegate_propagation.py, rolegate_simulate.py,
rolegate_organizations.py, rolegate_stacksets.py, rolegate_stackset_runs.py,
rolegate_stackset_roles.py, rolegate_stackset_auto.py, rolegate_eks.py), which the
app's package ships with it.

Usage: rolegate_emulator.py [--host 127.0.0.1] [--port 0] [--key-delay S] [--role-delay S] [--principal-delay S]
       [--control-token-env VAR]
Prints one line "ROLEGATE_EMULATOR_READY http://HOST:PORT" when it listens.
"""

import argparse
import hmac
import json
import os
import io
import select
import socket
import sys
import threading
import time
from xml.sax.saxutils import escape as xml_escape

# AWS managed policies (ReadOnlyAccess, PowerUserAccess...) exist in every account.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

import moto
import xmltodict
from moto.core.exceptions import _RESTError
from moto import settings
from moto.core import authorization
from moto.iam import access_control
from moto.iam.access_control import (
    AssumedRoleAccessKey,
    CreateAccessKeyFailure,
    IAMPolicy,
    IAMRequestBase,
    IAMUserAccessKey,
    PermissionResult,
)
from moto.iam.exceptions import DeleteConflictException
from moto.iam.models import IAMBackend, iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import rolegate_propagation as propagation
from rolegate_trust import _condition_ok, evaluate_trust
import rolegate_eks
import rolegate_organizations
import rolegate_pace
import rolegate_simulate
import rolegate_stacksets

SUPPORTED_MOTO = ("5.2.",)

# --------------------------------------------------------------------------- keys

_orig_user_key_init = IAMUserAccessKey.__init__


def _user_key_init(self, account_id, partition, access_key_id, headers):
    _orig_user_key_init(self, account_id, partition, access_key_id, headers)
    user = self.backend.get_user(self._owner_user_name)
    for key in user.access_keys:
        if key.access_key_id == access_key_id and key.status != "Active":
            raise CreateAccessKeyFailure(reason="InvalidId")
    if propagation.not_yet("key", access_key_id):  # AWS does not know a new key yet
        raise CreateAccessKeyFailure(reason="InvalidId")


IAMUserAccessKey.__init__ = _user_key_init

# ----------------------------------------------------------------- error bodies
# moto writes authorisation errors as <ErrorResponse><Errors><Error>, which botocore
# tolerates; AWS's query protocol (and strict clients such as the Rust SDK) use
# <ErrorResponse><Error>. Write them as AWS does.

_orig_rest_error_init = _RESTError.__init__


def _rest_error_init(self, error_type, message, *args, **kwargs):
    _orig_rest_error_init(self, error_type, message, *args, **kwargs)
    if getattr(self, "content_type", "") != "application/json":
        error = {"Type": "Sender", "Code": error_type, "Message": message}
        self.description = xmltodict.unparse({"ErrorResponse": {"Error": error, "RequestId": "rolegate-emulator"}}, full_document=True)


_RESTError.__init__ = _rest_error_init

# ------------------------------------------------------------------- signatures
# moto recomputes a request's signature from the form fields re-encoded by botocore,
# which matches botocore's own encoding only. AWS signs the bytes that were sent; so
# does this emulator: the raw body is kept per request thread and used instead. A
# request without a body (the GETs and DELETEs of REST services such as EKS) is signed
# over an empty payload and its query string, where moto signs its parsed headers
# instead and refuses every such request; and every request over its path as sent
# (percent-encoded), where moto signs the decoded one.

_request = threading.local()
_orig_create_aws_request = IAMRequestBase._create_aws_request


def _create_aws_request(self):
    req = _orig_create_aws_request(self)
    raw = getattr(_request, "body", None)
    # The path as sent: a label such as an ARN in an EKS path arrives percent-encoded,
    # and it is that form the client signed.
    raw_path = getattr(_request, "raw_path", "")
    if raw_path:
        req.url = raw_path
    if raw:
        req.data = raw
    elif self._method != "POST":
        req.data = b""
        query = getattr(_request, "query", "")
        if query and "?" not in req.url:
            req.url = f"{req.url}?{query}"
    return req


IAMRequestBase._create_aws_request = _create_aws_request

# ---------------------------------------------------------------- trust evaluation


def _caller(access_key):
    """(account, arns the caller is known by) for an access key object."""
    account = access_key.account_id
    backend = access_key.backend
    if isinstance(access_key, IAMUserAccessKey):
        user = backend.get_user(access_key._owner_user_name)
        return account, {"arn": user.arn, "role_arn": None}
    role_name = access_key._owner_role_name
    try:
        role_arn = backend.get_role(role_name).arn
    except Exception:  # the role was deleted after the session began
        role_arn = None
    return account, {"arn": access_key.arn, "role_arn": role_arn}


def _find_role(role_arn):
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    partition, account = parts[1], parts[4]
    try:
        return iam_backends[account][partition].get_role_by_arn(role_arn)
    except Exception:
        return None


_orig_check = IAMRequestBase.check_action_permitted


def _check_action_permitted(self, resource):
    if self._action != "sts:AssumeRole":
        return _orig_check(self, resource)
    by_identity = False
    for policy in self._access_key.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(self._action, resource)
        if result == PermissionResult.DENIED:
            self._raise_access_denied()
        if result == PermissionResult.PERMITTED:
            by_identity = True
    role = _find_role(resource)
    if role is None or propagation.not_yet("role", role.arn):
        self._raise_access_denied()
    account, ids = _caller(self._access_key)
    context = {
        "aws:principalaccount": account,
        "aws:principalarn": ids["role_arn"] or ids["arn"],
    }
    external_id = self._data.get("ExternalId")
    if external_id:
        context["sts:externalid"] = external_id[0] if isinstance(external_id, list) else external_id
    match = evaluate_trust(role.assume_role_policy_document, account, ids, context)
    role_account = resource.split(":")[4]
    if match is None:
        self._raise_access_denied()
    if by_identity or (match == "explicit" and role_account == account):
        return
    self._raise_access_denied()


IAMRequestBase.check_action_permitted = _check_action_permitted

# ------------------------------------------------------------------ delete conflicts

_orig_delete_user = IAMBackend.delete_user
_orig_delete_role = IAMBackend.delete_role
_orig_delete_policy = IAMBackend.delete_policy


def _delete_user(self, user_name):
    user = self.get_user(user_name)
    if user.access_keys:
        raise DeleteConflictException("Cannot delete entity, must delete access keys first.")
    if user.managed_policies:
        raise DeleteConflictException("Cannot delete entity, must detach all policies first.")
    if user.policies:
        raise DeleteConflictException("Cannot delete entity, must delete policies first.")
    return _orig_delete_user(self, user_name)


def _delete_role(self, role_name):
    role = self.get_role(role_name)
    if role.managed_policies:
        raise DeleteConflictException("Cannot delete entity, must detach all policies first.")
    if role.policies:
        raise DeleteConflictException("Cannot delete entity, must delete policies first.")
    return _orig_delete_role(self, role_name)


def _delete_policy(self, policy_arn):
    policy = self.get_policy(policy_arn)
    if policy.attachment_count:
        raise DeleteConflictException("Cannot delete a policy attached to entities.")
    return _orig_delete_policy(self, policy_arn)


IAMBackend.delete_user = _delete_user
IAMBackend.delete_role = _delete_role
IAMBackend.delete_policy = _delete_policy

# ------------------------------------------------------------------ propagation
# Time-based propagation (rolegate_propagation.py, beside this file): the creations
# are recorded, and refused below while they are "not yet" known.

propagation.install(IAMBackend)

# -------------------------------------------------------------------- bootstrap

ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def bootstrap_account(body):
    account = str(body["account"])
    partition = body.get("partition", "aws")
    user_name = body.get("user", "rolegate-admin")
    document = json.dumps(body["policy"]) if body.get("policy") else ADMIN_POLICY
    backend = iam_backends[account][partition]
    backend.create_user(region_name="us-east-1", user_name=user_name, path=body.get("path", "/"), tags=[])
    backend.put_user_policy(user_name, "rolegate-test-permissions", document)
    key = backend.create_access_key(user_name)
    # Set-up is ready at once, whatever the propagation delays.
    propagation.forget("principal", backend.get_user(user_name).arn)
    propagation.forget("key", key.access_key_id)
    return {
        "account": account,
        "user_arn": backend.get_user(user_name).arn,
        "access_key_id": key.access_key_id,
        "secret_access_key": key.secret_access_key,
    }


# (access_key_id, action) -> list of {"code", "message", "status", "count"}
_faults = {}
_faults_lock = threading.Lock()


def add_fault(body):
    delay = float(body.get("delay", 0))
    fault = {
        "code": str(body["code"]) if "code" in body or not delay else None,
        "message": str(body.get("message", "")),
        "status": int(body.get("status", 400)),
        "count": int(body.get("count", 1)),
        "delay": delay,
        "after": bool(body.get("after", False)),
    }
    signer = str(body["user_arn"]) if body.get("user_arn") else str(body["access_key_id"])
    with _faults_lock:
        _faults.setdefault((signer, str(body["action"])), []).append(fault)
    return {"queued": fault}


def _user_arn_of(key_id):
    """The ARN of the IAM user owning access key `key_id`, if a user owns it."""
    for account_id, account in list(iam_backends.items()):
        backend = account["aws"]
        key = backend.access_keys.get(key_id)
        if key is not None and getattr(key, "user_name", None):
            try:
                return backend.get_user(key.user_name).arn
            except Exception:
                return None
    return None


def _client_gone(environ):
    """Whether the client closed its connection while its request was held."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _hold(environ, seconds, watch_client):
    """Sleep `seconds`; with `watch_client`, stop early and say so if the client went away."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if watch_client and _client_gone(environ):
            return False
        time.sleep(0.02)
    return True


# The codes AWS's JSON-protocol services (ECR, for one) give for what the query protocol
# calls AccessDenied, InvalidClientTokenId and SignatureDoesNotMatch.
JSON_PROTOCOL_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}

# The REST-JSON services Rolegate calls, by the service name they are signed for.
REST_JSON_SERVICES = {"eks"}


def _signed_for(environ):
    """The service of a SigV4 request's credential scope (`.../REGION/SERVICE/aws4_request`)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = auth.partition("Credential=")[2].partition(",")[0].split("/")
    return scope[3] if len(scope) >= 5 else ""


# SimulatePrincipalPolicy, which moto 5.2 lacks, evaluated with this emulator's
# condition operators (rolegate_simulate.py).
rolegate_simulate.install(_condition_ok)

# Organizations reads and StackSet operations as in AWS (rolegate_organizations.py,
# rolegate_stacksets.py).
rolegate_organizations.install()
rolegate_stacksets.install()
rolegate_pace.install()

# EKS clusters with an OIDC issuer of their own and their authentication mode, as in
# AWS (rolegate_eks.py).
rolegate_eks.install()

# Operations moto 5.2 does not implement that Rolegate calls (none left; an action
# named here answers 501 as an endpoint without it would).
UNIMPLEMENTED = set()


def _action_of(raw):
    from urllib.parse import parse_qs

    return (parse_qs((raw or b"").decode("utf-8", "replace")).get("Action") or [""])[0]


def take_fault(environ, raw):
    """The fault due for this request, if any (query-protocol IAM and STS calls)."""
    if not _faults:
        return None
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None
    key_id = auth.split("Credential=", 1)[1].split("/", 1)[0]
    action = _action_of(raw)
    with _faults_lock:
        queue = _faults.get((key_id, action))
        if not queue and any(k.startswith("arn:") for k, _ in _faults):
            queue = _faults.get((_user_arn_of(key_id), action))
        if not queue:
            return None
        fault = queue[0]
        fault["count"] -= 1
        if fault["count"] <= 0:
            queue.pop(0)
        return fault


def fault_response(fault):
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{fault['code']}</Code><Message>{xml_escape(fault['message'])}</Message></Error>"
        "<RequestId>rolegate-fault</RequestId></ErrorResponse>"
    )
    return Response(body, status=fault["status"], mimetype="text/xml")


class App:
    def __init__(self, port=0, control_token=""):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.port = port
        self.control_token = control_token

    def refusal(self, environ, path):
        """Why a request is refused, or None. Only this machine's names for this server
        are answered (a web page that rebinds a DNS name to 127.0.0.1 sends its own Host),
        and with a control token set, the /_rolegate control routes want it."""
        host = environ.get("HTTP_HOST", "")
        if self.port and host not in {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}:
            return f"Host {host!r} is not this emulator"
        if self.control_token and path.startswith("/_rolegate/") and path != "/_rolegate/health":
            given = environ.get("HTTP_X_ROLEGATE_CONTROL", "")
            if not hmac.compare_digest(given.encode(), self.control_token.encode()):
                return "the control routes need the X-Rolegate-Control token of the process that started the emulator"
        return None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        why = self.refusal(environ, path)
        if why is not None:
            return Response(json.dumps({"error": why}), status=403, mimetype="application/json")(environ, start_response)
        if path == "/_rolegate/health":
            return Response(json.dumps({"moto": moto.__version__, "patched": True}), mimetype="application/json")(environ, start_response)
        if path == "/_rolegate/bootstrap-account" and environ.get("REQUEST_METHOD") == "POST":
            req = Request(environ)
            try:
                out = bootstrap_account(json.loads(req.get_data() or b"{}"))
                resp = Response(json.dumps(out), mimetype="application/json")
            except Exception as e:  # report set-up errors to the harness plainly
                resp = Response(json.dumps({"error": repr(e)}), status=400, mimetype="application/json")
            return resp(environ, start_response)
        if path == "/_rolegate/faults" and environ.get("REQUEST_METHOD") == "GET":
            key_id = Request(environ).args.get("access_key_id", "")
            with _faults_lock:
                pending = sum(f["count"] for (k, _), q in _faults.items() if k == key_id for f in q)
            return Response(json.dumps({"pending": pending}), mimetype="application/json")(environ, start_response)
        if path == "/_rolegate/faults" and environ.get("REQUEST_METHOD") == "POST":
            req = Request(environ)
            try:
                resp = Response(json.dumps(add_fault(json.loads(req.get_data() or b"{}"))), mimetype="application/json")
            except Exception as e:
                resp = Response(json.dumps({"error": repr(e)}), status=400, mimetype="application/json")
            return resp(environ, start_response)
        if path == "/_rolegate/stacksets" and environ.get("REQUEST_METHOD") == "POST":
            try:
                out = rolegate_stacksets.configure(json.loads(Request(environ).get_data() or b"{}"))
                resp = Response(json.dumps(out), mimetype="application/json")
            except Exception as e:
                resp = Response(json.dumps({"error": repr(e)}), status=400, mimetype="application/json")
            return resp(environ, start_response)
        if path in ("/_rolegate/throttle", "/_rolegate/latency", "/_rolegate/calls") and environ.get("REQUEST_METHOD") == "POST":
            try:
                body = json.loads(Request(environ).get_data() or b"{}")
                if path.endswith("throttle"):
                    out = rolegate_pace.configure_throttle(body)
                elif path.endswith("latency"):
                    out = rolegate_pace.configure_latency(body)
                else:
                    out = rolegate_pace.calls()
                resp = Response(json.dumps(out), mimetype="application/json")
            except Exception as e:
                resp = Response(json.dumps({"error": repr(e)}), status=400, mimetype="application/json")
            return resp(environ, start_response)
        if path == "/_rolegate/propagation/made":
            out = propagation.made(Request(environ).args.get("account", ""))
            return Response(json.dumps(out), mimetype="application/json")(environ, start_response)
        if path == "/_rolegate/propagation":
            req = Request(environ)
            try:
                if environ.get("REQUEST_METHOD") == "POST":
                    out = propagation.configure(json.loads(req.get_data() or b"{}"))
                else:
                    out = propagation.delays(req.args.get("account"))
                resp = Response(json.dumps(out), mimetype="application/json")
            except Exception as e:
                resp = Response(json.dumps({"error": repr(e)}), status=400, mimetype="application/json")
            return resp(environ, start_response)
        _request.body = None
        _request.query = environ.get("QUERY_STRING", "")
        _request.raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
        if environ.get("REQUEST_METHOD") in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                size = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                size = 0
            if size:
                raw = environ["wsgi.input"].read(size)
                environ["wsgi.input"] = io.BytesIO(raw)
                _request.body = raw
        action = _action_of(_request.body)
        # An injected fault answers first, whatever the operation (a 500 on an operation
        # moto lacks is how tests tell AWS failing from an endpoint without it).
        fault = take_fault(environ, _request.body)
        if fault is not None and fault["delay"] and not fault["after"]:
            if not _hold(environ, fault["delay"], watch_client=True):
                # The client is gone: the call never reached "AWS".
                return Response("", status=499)(environ, start_response)
        if fault is not None and fault["code"] is not None:
            return fault_response(fault)(environ, start_response)
        rolegate_pace.hold()
        if rolegate_pace.throttled(environ):
            return fault_response({"code": "Throttling", "message": "Rate exceeded", "status": 400})(environ, start_response)
        if action in UNIMPLEMENTED:
            # moto raises NotImplementedError (HTTP 500, no code), which SDKs retry as a
            # server fault; answer as an endpoint that lacks the operation does.
            return fault_response({"code": "NotImplemented", "message": f"{action} is not implemented by this endpoint", "status": 501})(environ, start_response)
        if fault is not None and fault["after"]:
            body = list(self.moto_call(environ, start_response))
            _hold(environ, fault["delay"], watch_client=False)
            return body
        return self.moto_call(environ, start_response)

    def moto_call(self, environ, start_response):
        """moto, with access-control refusals of JSON-protocol services (ECR...) written as
        AWS writes them: HTTP 400 and {"__type", "message"}, not the query protocol's XML;
        and those of REST-JSON services (EKS) as HTTP 403 with the code in the
        x-amzn-ErrorType header and {"message"}."""
        rest_json = _signed_for(environ) in REST_JSON_SERVICES
        if not environ.get("HTTP_X_AMZ_TARGET") and not rest_json:
            return self.moto(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.moto(environ, capture))
        status = captured.get("status", "500")
        if status.startswith("403") and body.lstrip().startswith(b"<"):
            try:
                error = xmltodict.parse(body)["ErrorResponse"]["Error"]
                code = JSON_PROTOCOL_CODES.get(error["Code"], error["Code"])
                if rest_json:
                    return Response(json.dumps({"message": error.get("Message") or ""}), status=403, headers={"x-amzn-ErrorType": code},
                                    mimetype="application/json")(environ, start_response)
                return Response(json.dumps({"__type": code, "message": error.get("Message") or ""}), status=400,
                                mimetype="application/x-amz-json-1.1")(environ, start_response)
            except (KeyError, TypeError, ValueError, xmltodict.expat.ExpatError):
                pass
        start_response(status, captured.get("headers", []))
        return [body]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--parent-pid", type=int, default=0, help="exit when this process is gone (test harness)")
    ap.add_argument("--sandbox-account", default="", help="make an administrator in this account at start and print its key "
                    "on a second line, ROLEGATE_SANDBOX {json} (the desktop app's Sandbox reads it from the pipe)")
    ap.add_argument("--control-token-env", default="", metavar="VAR",
                    help="require the token in environment variable VAR (never an argument, which any local user can read) "
                         "in an X-Rolegate-Control header on the /_rolegate control routes")
    for kind, what in (("key", "a new access key is refused (InvalidClientTokenId)"),
                       ("role", "AssumeRole of a new role (or trust) is denied"),
                       ("principal", "a new user is an invalid principal in a trust policy")):
        ap.add_argument(f"--{kind}-delay", type=float, default=0.0, metavar="S", help=f"for S seconds after its creation, {what}")
    args = ap.parse_args()
    propagation.configure({"key": args.key_delay, "role": args.role_delay, "principal": args.principal_delay})
    if args.parent_pid:
        def watch():
            import time
            while True:
                try:
                    os.kill(args.parent_pid, 0)
                except OSError:
                    os._exit(0)
                time.sleep(0.5)
        threading.Thread(target=watch, daemon=True).start()
    if not moto.__version__.startswith(SUPPORTED_MOTO):
        print(f"rolegate_emulator: moto {moto.__version__} is not a version these patches were checked against ({SUPPORTED_MOTO})", file=sys.stderr)
        sys.exit(3)
    # Access control on from the first request: every call is signed and authorised.
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    authorization.ActionAuthenticatorMixin.request_count = 0
    app = App(control_token=os.environ.pop(args.control_token_env, "") if args.control_token_env else "")
    server = make_server(args.host, args.port, app, threaded=True)
    host, port = server.server_address[:2]
    app.port = port
    print(f"ROLEGATE_EMULATOR_READY http://{host}:{port}", flush=True)
    if args.sandbox_account:
        print("ROLEGATE_SANDBOX " + json.dumps(bootstrap_account({"account": args.sandbox_account, "user": "sandbox-admin"})), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
