"""The Seqera stand-in's model of the platform: users and their tokens, organisations and
workspaces, credentials kept per workspace, and the answer of each served operation
(by operationId), as Seqera Platform gives them (see docs/PLATFORMS.md for what is
known, what is assumed, and where each fact comes from).

Handlers take the parsed request and return (status, body or None). Secrets (secret
keys, passwords) are kept here for the probes and never leave in a response: the
public view drops every writeOnly key field.
"""

import datetime
import json
import re
import secrets
import threading
import uuid

from seqera_probe import SEQERA_ROLE_ARN

NAME_RULE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # "1-100 alphanumeric, dash, or underscore characters"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SECRET_KEY_FIELDS = {"secretKey", "password"}


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credentials_id():
    """A 22-character base62 id, the shape of Seqera's credential ids (Credentials.id maxLength 22)."""
    n = uuid.uuid4().int
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out.rjust(22, "0")


def external_id():
    return str(uuid.uuid4())


def numeric_id(digits):
    return secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1)


class Refused(Exception):
    """A request Seqera answers with an error: (status, message or None for no body)."""

    def __init__(self, status, message=None):
        super().__init__(message)
        self.status = status
        self.message = message


def trust_snippet(external):
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": SEQERA_ROLE_ARN}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": external}}},
        {"Effect": "Allow", "Principal": {"AWS": SEQERA_ROLE_ARN}, "Action": "sts:TagSession"}]}
    return json.dumps(doc, indent=2)


class Platform:
    def __init__(self, prober):
        self.lock = threading.RLock()
        self.prober = prober
        self.users = {}       # user id -> UserResponseDto fields
        self.tokens = {}      # token -> user id
        self.orgs = {}        # org name -> org id
        self.workspaces = {}  # workspace id -> {orgId, orgName, workspaceId, workspaceName, members, gone}
        self.creds = {}       # context ("ws", id) or ("user", id) -> {credentials id -> credential}

    # ------------------------------------------------------------------ control

    def add_user(self, body):
        with self.lock:
            uid = numeric_id(6)
            name = str(body.get("userName") or f"user{uid}")
            self.users[uid] = {"id": uid, "userName": name, "email": str(body.get("email") or f"{name}@example.org"),
                               "firstName": str(body.get("firstName") or name), "lastName": "", "deleted": False}
            token = str(body.get("token") or secrets.token_urlsafe(32))
            self.tokens[token] = uid
            out = []
            for w in body.get("workspaces", []):
                org = str(w["org"])
                org_id = self.orgs.setdefault(org, numeric_id(15))
                found = [x for x in self.workspaces.values() if x["orgName"] == org and x["workspaceName"] == w["workspace"]]
                ws = found[0] if found else None
                if ws is None:
                    wid = numeric_id(15)
                    ws = {"orgId": org_id, "orgName": org, "workspaceId": wid, "workspaceName": str(w["workspace"]),
                          "members": set(), "gone": False}
                    self.workspaces[wid] = ws
                ws["members"].add(uid)
                out.append({k: ws[k] for k in ("orgId", "orgName", "workspaceId", "workspaceName")}
                           | {"fullName": f"{org}/{ws['workspaceName']}"})
            return {"token": token, "userId": uid, "workspaces": out}

    def remove_workspace(self, wid):
        with self.lock:
            self.workspaces[int(wid)]["gone"] = True
            return {"removed": int(wid)}

    def revoke(self, token):
        with self.lock:
            return {"revoked": self.tokens.pop(token, None) is not None}

    def state(self):
        with self.lock:
            out = {}
            for (kind, cid), creds in self.creds.items():
                out[f"{kind}:{cid}"] = [self.public(c) for c in creds.values()]
            return {"credentials": out}

    # ------------------------------------------------------------------- access

    def user_of(self, token):
        with self.lock:
            uid = None
            for t, u in self.tokens.items():
                if secrets.compare_digest(t.encode(), token.encode()):
                    uid = u
            return uid

    def context(self, uid, workspace_id):
        """The credentials store of the request's context; 403 when the workspace is not the user's."""
        if workspace_id is None:
            return self.creds.setdefault(("user", uid), {})
        ws = self.workspaces.get(int(workspace_id))
        if ws is None or ws["gone"] or uid not in ws["members"]:
            raise Refused(403)  # documented answer: "Operation not allowed", no body
        return self.creds.setdefault(("ws", int(workspace_id)), {})

    def provider_of(self, uid, workspace_id, cred_id):
        with self.lock:
            try:
                c = self.context(uid, workspace_id).get(cred_id)
            except (Refused, ValueError):  # the request check refuses a bad workspaceId
                return None
            return c["provider"] if c else None

    # ------------------------------------------------------------------ answers

    def public(self, c):
        out = {k: c[k] for k in ("id", "name", "provider", "description", "baseUrl", "category", "dateCreated",
                                 "lastUpdated", "lastValidated", "status", "message") if c.get(k) is not None}
        out["deleted"] = False
        out["keys"] = {k: v for k, v in c["keys"].items() if k not in SECRET_KEY_FIELDS} | {"discriminator": c["provider"]}
        return out

    def handle(self, op, uid, args, path_params, body):
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            raise Refused(400, f"stand-in: {op} is in the document but not served by the stand-in")
        with self.lock:
            return handler(uid, args, path_params, body)

    def op_UserInfo(self, uid, args, pp, body):
        return 200, {"user": dict(self.users[uid]), "needConsent": False}

    def op_ListWorkspacesUser(self, uid, args, pp, body):
        if int(pp["userId"]) != uid:
            raise Refused(403)
        rows, orgs = [], {}
        for ws in self.workspaces.values():
            if uid in ws["members"] and not ws["gone"]:
                orgs[ws["orgId"]] = ws["orgName"]
                rows.append({"orgId": ws["orgId"], "orgName": ws["orgName"], "workspaceId": ws["workspaceId"],
                             "workspaceName": ws["workspaceName"], "workspaceFullName": f"{ws['orgName']}/{ws['workspaceName']}",
                             "visibility": "PRIVATE", "roles": ["owner"]})
        # One row per organisation without a workspace, as Seqera lists them (no workspace fields).
        org_rows = [{"orgId": oid, "orgName": name, "orgType": "basic", "roles": ["owner"]} for oid, name in orgs.items()]
        return 200, {"orgsAndWorkspaces": org_rows + rows}

    def _check_name(self, store, name):
        if not name or not NAME_RULE.match(name):
            raise Refused(400, f"Invalid credentials name '{name}': use 1-100 letters, digits, dashes or underscores")
        if any(c["name"] == name for c in store.values()):
            raise Refused(409, f"Credentials with name '{name}' already exists")

    def op_ValidateCredentialsName(self, uid, args, pp, body):
        store = self.context(uid, args.get("workspaceId"))
        self._check_name(store, args.get("name", ""))
        return 204, None

    def op_CreateCredentials(self, uid, args, pp, body):
        store = self.context(uid, args.get("workspaceId"))
        spec = (body or {}).get("credentials") or {}
        self._check_name(store, spec.get("name", ""))
        provider = spec["provider"]
        keys = dict(spec.get("keys") or {})
        if keys.get("discriminator") not in (None, provider):
            raise Refused(400, f"stand-in: keys.discriminator {keys['discriminator']!r} differs from provider {provider!r}")
        keys.pop("discriminator", None)
        use_ext = args.get("useExternalId") == "true"
        if provider == "aws":
            mode = keys.get("mode", "keys")
            generated = mode == "role" or (use_ext and keys.get("assumeRoleArn"))
            if use_ext and not keys.get("assumeRoleArn"):
                raise Refused(400, "useExternalId requires an IAM role ARN (keys.assumeRoleArn)")
            if mode == "role":
                if not keys.get("assumeRoleArn"):
                    raise Refused(400, "keys.assumeRoleArn is required in role mode")
                if keys.get("accessKey") or keys.get("secretKey"):
                    raise Refused(400, "keys.accessKey and keys.secretKey cannot be used in role mode")
            elif not keys.get("accessKey") or not keys.get("secretKey"):
                raise Refused(400, "keys.accessKey and keys.secretKey are required in keys mode")
            if generated and "externalId" in keys:
                raise Refused(400, "stand-in: keys.externalId was sent, but Seqera generates the External ID "
                                   "(role mode, or useExternalId=true with an assume-role ARN); do not send it")
            if generated:
                keys["externalId"] = external_id()
        elif provider == "container-reg":
            for f in ("userName", "password", "registry"):
                if not keys.get(f):
                    raise Refused(400, f"keys.{f} is required for container registry credentials")
        cid = credentials_id()
        t = now()
        store[cid] = {"id": cid, "name": spec["name"], "provider": provider, "description": spec.get("description"),
                      "baseUrl": spec.get("baseUrl"), "category": spec.get("category"), "keys": keys,
                      "dateCreated": t, "lastUpdated": t, "status": "AVAILABLE"}
        return 200, {"credentialsId": cid}

    def _find(self, uid, args, pp, missing_status=404):
        store = self.context(uid, args.get("workspaceId"))
        c = store.get(pp["credentialsId"])
        if c is None:
            raise Refused(missing_status, f"Credentials '{pp['credentialsId']}' not found")
        return store, c

    def op_DescribeCredentials(self, uid, args, pp, body):
        _, c = self._find(uid, args, pp)
        out = {"credentials": self.public(c)}
        if c["provider"] == "aws" and c["keys"].get("mode") == "role" and c["keys"].get("externalId"):
            out["setupSnippet"] = trust_snippet(c["keys"]["externalId"])
        return 200, out

    def op_DeleteCredentials(self, uid, args, pp, body):
        store, c = self._find(uid, args, pp)
        del store[c["id"]]
        return 204, None

    def op_ValidateCredentials(self, uid, args, pp, body):
        _, c = self._find(uid, args, pp)
        if args.get("force") == "true":
            if c["status"] != "INVALID":
                raise Refused(409, "Force override rejected: the credentials are not INVALID")
            c["status"], c["message"] = "AVAILABLE", None
            return 200, {"status": "AVAILABLE", "message": None, "transientError": False}
        cred = {"id": c["id"], "provider": c["provider"], "keys": dict(c["keys"])}
        self.lock.release()  # the probe talks to AWS; other requests go on meanwhile
        try:
            state, message = self.prober.probe(cred)
        finally:
            self.lock.acquire()
        if state == "TRANSIENT":
            return 200, {"status": c["status"], "message": message, "transientError": True}
        c["status"], c["message"], c["lastValidated"] = state, message, now()
        return 200, {"status": state, "message": message, "transientError": False}
