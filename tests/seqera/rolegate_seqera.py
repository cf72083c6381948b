#!/usr/bin/env python3
"""Rolegate's Seqera Platform stand-in: a local HTTP server that answers the part of
Seqera's API Rolegate uses (user, workspaces, credentials: name check, create with
useExternalId, describe, delete, validate), checks every request it receives and every
response it sends against Seqera's published OpenAPI subset (seqera_schema.py), keeps
credentials per workspace, generates External IDs and credential ids, and validates a
credential by asking the IAM/STS emulator what Seqera would ask AWS (seqera_probe.py).

A request that breaks the document is answered 400 with a message starting
"stand-in:" that names the field, and logged; a response of its own that breaks it is
answered 500 instead, logged, and counted (GET /_rolegate/state says how many), so a
test can fail on it.

Control routes (test set-up), answered only when the Host is this server's loopback
address and, with --control-token-env VAR, only with that token in X-Rolegate-Control:
  POST /_rolegate/users        {"userName", "email", "token"?, "workspaces": [{"org", "workspace"}]}
                               -> {"token", "userId", "workspaces": [{orgId, orgName, workspaceId, workspaceName, fullName}]}
  POST /_rolegate/faults       {"operation": OPERATION_ID or "*", "kind": "401"|"403"|"404"|"500"|"drop",
                                "count": N, "after": false}: the next N matching calls fail so
                               (with "after": true the call runs first and its answer is lost)
  POST /_rolegate/workspaces/remove {"workspaceId"}: the workspace is gone (403 from then on)
  POST /_rolegate/tokens/revoke {"token"}: the token is refused (401 from then on)
  POST /_rolegate/bad-response {"operation", "count", "spoil": "undeclared"|"secret"}
                               (only with --test-mode): the next answers of that operation
                               carry an undeclared field (or a secretKey in the keys), to
                               prove the response check catches it
  GET  /_rolegate/state        credentials held per workspace (no secrets), refusals,
                               response failures
  GET  /_rolegate/health

Secrets (tokens, secret keys, passwords) never reach the log; the log file is 0600.

Usage: rolegate_seqera.py --emulator URL [--host 127.0.0.1] [--port 0] [--parent-pid PID]
       [--reference DIR] [--control-token-env VAR] [--emulator-control-token-env VAR]
       [--log FILE] [--sandbox] [--test-mode]
Prints "ROLEGATE_SEQERA_READY http://HOST:PORT" when it listens, and with --sandbox a
second line "ROLEGATE_SEQERA_SANDBOX {json}" (a made-up user, token and workspace).
"""

import argparse
import hmac
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from seqera_api import Platform, Refused  # noqa: E402
from seqera_probe import Prober  # noqa: E402
from seqera_schema import Contract  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_REFERENCE = os.path.normpath(os.path.join(REPO, "..", "shared", "reference", "seqera"))


class Log:
    """Request log: one line per event, secrets scrubbed, file mode 0600."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.fd = None
        if path:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.fchmod(self.fd, 0o600)

    def write(self, line, secrets=()):
        for s in secrets:
            if s and len(s) >= 4:
                line = line.replace(s, "<redacted>")
        if self.fd is not None:
            with self.lock:
                os.write(self.fd, (time.strftime("%H:%M:%S ") + line + "\n").encode())


def _secrets_in(body, names):
    """String values of secret fields (writeOnly in the document) anywhere in a JSON body."""
    out = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k in names and v is not None:
                out.append(v if isinstance(v, str) else json.dumps(v))
            else:
                out.extend(_secrets_in(v, names))
    elif isinstance(body, list):
        for v in body:
            out.extend(_secrets_in(v, names))
    return out


def _write_only_names(node):
    names = set()
    if isinstance(node, dict):
        for k, v in (node.get("properties") or {}).items():
            if isinstance(v, dict) and v.get("writeOnly"):
                names.add(k)
        for v in node.values():
            names |= _write_only_names(v)
    elif isinstance(node, list):
        for v in node:
            names |= _write_only_names(v)
    return names


class App:
    def __init__(self, contract, platform, log, control_token="", test_mode=False):
        self.contract = contract
        self.platform = platform
        self.log = log
        self.control_token = control_token
        self.test_mode = test_mode
        self.port = 0
        self.lock = threading.Lock()
        self.faults = []          # {"operation", "kind", "count", "after"}
        self.bad_responses = {}   # operationId -> count
        self.refusals = []        # request refusals (scrubbed)
        self.response_failures = []
        self.secret_names = _write_only_names(contract.raw["components"]) | {"token"}

    # -------------------------------------------------------------- plumbing

    def _json(self, status, body):
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def refusal(self, request):
        host = request.headers.get("Host", "")
        if self.port and host not in {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}:
            return f"Host {host!r} is not this stand-in"
        if self.control_token and request.path.startswith("/_rolegate/") and request.path != "/_rolegate/health":
            given = request.headers.get("X-Rolegate-Control", "")
            if not hmac.compare_digest(given.encode(), self.control_token.encode()):
                return "the control routes need the X-Rolegate-Control token of the process that started the stand-in"
        return None

    def __call__(self, environ, start_response):
        request = Request(environ)
        why = self.refusal(request)
        if why is not None:
            return self._json(403, {"error": why})(environ, start_response)
        if request.path.startswith("/_rolegate/"):
            return self.control(request)(environ, start_response)
        return self.api(request, environ, start_response)

    # --------------------------------------------------------------- control

    def control(self, request):
        path, method = request.path, request.method
        try:
            body = json.loads(request.get_data() or b"{}") if method == "POST" else {}
            if path == "/_rolegate/health":
                return self._json(200, {"ok": True, "reference": self.contract.path})
            if path == "/_rolegate/users" and method == "POST":
                return self._json(200, self.platform.add_user(body))
            if path == "/_rolegate/faults" and method == "POST":
                fault = {"operation": str(body["operation"]), "kind": str(body["kind"]),
                         "count": int(body.get("count", 1)), "after": bool(body.get("after", False))}
                if fault["kind"] not in {"401", "403", "404", "500", "drop"}:
                    raise ValueError(f"unknown fault kind {fault['kind']!r}")
                with self.lock:
                    self.faults.append(fault)
                return self._json(200, {"queued": fault})
            if path == "/_rolegate/workspaces/remove" and method == "POST":
                return self._json(200, self.platform.remove_workspace(body["workspaceId"]))
            if path == "/_rolegate/tokens/revoke" and method == "POST":
                return self._json(200, self.platform.revoke(str(body["token"])))
            if path == "/_rolegate/bad-response" and method == "POST" and self.test_mode:
                spoil = str(body.get("spoil", "undeclared"))
                if spoil not in {"undeclared", "secret"}:
                    raise ValueError(f"unknown spoil {spoil!r}")
                with self.lock:
                    self.bad_responses[str(body["operation"])] = [int(body.get("count", 1)), spoil]
                return self._json(200, {"queued": body})
            if path == "/_rolegate/state" and method == "GET":
                with self.lock:
                    extra = {"refusals": list(self.refusals), "responseFailures": list(self.response_failures),
                             "pendingFaults": sum(f["count"] for f in self.faults)}
                return self._json(200, self.platform.state() | extra)
        except Exception as e:  # set-up errors, reported plainly to the harness
            return self._json(400, {"error": repr(e)})
        return self._json(404, {"error": f"no control route {method} {path}"})

    def _take_fault(self, op):
        with self.lock:
            for f in self.faults:
                if f["operation"] in (op, "*"):
                    f["count"] -= 1
                    if f["count"] <= 0:
                        self.faults.remove(f)
                    return f
        return None

    # ------------------------------------------------------------------- API

    def api(self, request, environ, start_response):
        found = self.contract.resolve(request.method, request.path)
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        body = None
        if request.get_data():
            try:
                body = json.loads(request.get_data())
            except ValueError:
                body = None
        scrub = [token, *_secrets_in(body, self.secret_names)]
        where = request.full_path.rstrip("?")
        if found is None:
            self.log.write(f"{request.method} {where} -> 404 (not an operation of the document)", scrub)
            return self._json(404, {"message": f"stand-in: {request.method} {request.path} is not served"})(environ, start_response)
        op, template, _ = found
        fault = self._take_fault(op)
        if fault and not fault["after"]:
            return self._fault(fault, op, where, environ, start_response, scrub)
        uid = self.platform.user_of(token) if token else None
        path_params = {t[1:-1]: p for t, p in zip(template.strip("/").split("/"), request.path.strip("/").split("/")) if t.startswith("{")}
        if isinstance(body, dict) and isinstance(body.get("credentials"), dict):
            provider = body["credentials"].get("provider")
        elif "credentialsId" in path_params and uid is not None:
            provider = self.platform.provider_of(uid, request.args.get("workspaceId"), path_params["credentialsId"])
        else:
            provider = None
        if uid is None:
            status, out = 401, {"message": "Unauthorized"}
        else:
            problems = self.contract.check_request(request, provider)
            if request.get_data() and body is None:
                problems.append("the request body is not JSON")
            if problems:
                text = "stand-in: " + "; ".join(problems)
                for s in scrub:
                    if s and len(s) >= 4:
                        text = text.replace(s, "<redacted>")
                with self.lock:
                    self.refusals.append(f"{op}: {text}")
                status, out = 400, {"message": text}
            else:
                try:
                    status, out = self.platform.handle(op, uid, request.args, path_params, body)
                except Refused as r:
                    status, out = r.status, ({"message": r.message} if r.message is not None else None)
                except Exception as e:  # a defect of the stand-in: the self-test must see it
                    with self.lock:
                        self.response_failures.append(f"{op}: the stand-in failed: {e!r}")
                    status, out = 500, {"message": f"stand-in: internal error in {op}: {type(e).__name__}"}
        if fault and fault["after"]:
            self.log.write(f"{request.method} {where} -> ran ({status}), then fault {fault['kind']}", scrub)
            return self._fault(fault, op, where, environ, start_response, scrub, logged=True)
        with self.lock:
            spoiled = self.bad_responses.get(op)
            on_purpose = bool(spoiled and spoiled[0] > 0 and isinstance(out, dict))
            if on_purpose:
                spoiled[0] -= 1
                out = json.loads(json.dumps(out))
                if spoiled[1] == "secret" and isinstance(out.get("credentials", {}).get("keys"), dict):
                    out["credentials"]["keys"]["secretKey"] = "standInLeakedSecret"
                else:
                    out["standInUndeclaredField"] = True
        response = Response(json.dumps(out) if out is not None else b"", status=status,
                            mimetype="application/json" if out is not None else None)
        failures = self.contract.check_response(request, response, provider)
        if failures:
            reason = ("(spoiled on purpose) " if on_purpose else "") + f"{op} {status}: " + "; ".join(failures)
            with self.lock:
                self.response_failures.append(reason)
            self.log.write(f"{request.method} {where} -> 500 (the stand-in's answer broke the document: {reason})", scrub)
            response = self._json(500, {"message": f"stand-in: response failed validation: {reason}"})
        else:
            note = f" ({out['message']})" if status >= 400 and isinstance(out, dict) else ""
            self.log.write(f"{request.method} {where} -> {status}{note}", scrub)
        return response(environ, start_response)

    def _fault(self, fault, op, where, environ, start_response, scrub, logged=False):
        if not logged:
            self.log.write(f"{op} {where} -> injected fault {fault['kind']}", scrub)
        if fault["kind"] == "drop":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return []
        status = int(fault["kind"])
        body = None if status == 403 else {"message": {401: "Unauthorized", 404: "Not found", 500: "stand-in: injected server error"}[status]}
        response = Response(json.dumps(body) if body else b"", status=status, mimetype="application/json" if body else None)
        return response(environ, start_response)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--parent-pid", type=int, default=0, help="exit when this process is gone (test harness)")
    ap.add_argument("--reference", default=DEFAULT_REFERENCE, help="folder holding seqera-api-credentials.yaml")
    ap.add_argument("--emulator", required=True, help="URL of the IAM/STS emulator the validate probes call")
    ap.add_argument("--control-token-env", default="", metavar="VAR",
                    help="require the token in environment variable VAR in an X-Rolegate-Control header on the control routes")
    ap.add_argument("--emulator-control-token-env", default="", metavar="VAR",
                    help="the emulator's control token, from environment variable VAR")
    ap.add_argument("--log", default="", help="request log file (created 0600; no secrets)")
    ap.add_argument("--sandbox", action="store_true", help="make a made-up user, token and workspace and print them")
    ap.add_argument("--test-mode", action="store_true", help="serve /_rolegate/bad-response (self-test only)")
    args = ap.parse_args()
    if args.parent_pid:
        def watch():
            while True:
                try:
                    os.kill(args.parent_pid, 0)
                except OSError:
                    os._exit(0)
                time.sleep(0.5)
        threading.Thread(target=watch, daemon=True).start()
    control = os.environ.pop(args.control_token_env, "") if args.control_token_env else ""
    emulator_control = os.environ.pop(args.emulator_control_token_env, "") if args.emulator_control_token_env else ""
    try:
        contract = Contract(args.reference)
    except OSError as e:
        print(f"rolegate_seqera: cannot read the OpenAPI subset: {e}", file=sys.stderr)
        sys.exit(3)
    platform = Platform(Prober(args.emulator, emulator_control))
    app = App(contract, platform, Log(args.log), control_token=control, test_mode=args.test_mode)
    server = make_server(args.host, args.port, app, threaded=True)
    host, port = server.server_address[:2]
    app.port = port
    print(f"ROLEGATE_SEQERA_READY http://{host}:{port}", flush=True)
    if args.sandbox:
        made = platform.add_user({"userName": "sandbox", "email": "sandbox@example.org",
                                  "workspaces": [{"org": "sandbox-org", "workspace": "sandbox"}]})
        print("ROLEGATE_SEQERA_SANDBOX " + json.dumps(made), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
