"""iam:SimulatePrincipalPolicy for the emulator, which moto 5.2 does not implement.

It answers as IAM does for a principal's own identity policies: a user's inline and
attached policies and those of its groups, a role's inline and attached policies, a
group's. Each action is evaluated against each resource (ResourceArns, default "*",
which only a statement whose Resource pattern matches the literal "*" covers, as in the
policy simulator); an explicit Deny wins over an Allow; a statement whose condition
needs a context key the request did not give does not apply, and the key is listed in
MissingContextValues. Context entries (ContextEntries) are used in conditions.

Not modelled (a real account may still deny what this allows): permissions boundaries,
service control policies, resource policies, and the policy variables in Resource.
The caller needs iam:SimulatePrincipalPolicy itself; moto's access control checks that
before this handler runs.
"""

import fnmatch
import json

from moto.iam.access_control import IAMPolicy
from moto.iam.exceptions import InvalidInput
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.core.responses import ActionResult


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _matches(patterns, value):
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in _as_list(patterns))


def _resource_matches(patterns, value):
    # ARN patterns are case-sensitive; "*" and "?" are wildcards, "[" is literal.
    return any(fnmatch.fnmatchcase(value, str(p).replace("[", "[[]")) for p in _as_list(patterns))


def _statement_applies_to(stmt, action, resource):
    if "NotAction" in stmt:
        if _matches(stmt["NotAction"], action):
            return False
    elif not _matches(stmt.get("Action"), action):
        return False
    if "NotResource" in stmt:
        return not _resource_matches(stmt["NotResource"], resource)
    return _resource_matches(stmt.get("Resource"), resource)


def _documents(arn):
    """(source id, source type, policy document) for every identity policy of the
    principal ARN names; NoSuchEntity when it names nothing, InvalidInput when it is no such ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or "/" not in parts[5]:
        raise InvalidInput(f"Invalid ARN: {arn} is not a user, group or role.")
    partition, account, resource = parts[1], parts[4], parts[5]
    kind, name = resource.split("/", 1)[0], resource.rsplit("/", 1)[1]
    backend = iam_backends[account][partition]
    out = []

    def managed(policies):
        for p in policies:
            source_type = "aws-managed" if ":aws:policy/" in p.arn else "user-managed"
            out.append((p.name, source_type, IAMPolicy(p)._policy_json))

    if kind == "user":
        backend.get_user(name)  # NoSuchEntity when it is not there
        for pname in backend.list_user_policies(name):
            out.append((pname, "user", json.loads(backend.get_user_policy(name, pname)["policy_document"])))
        managed(backend.list_attached_user_policies(name)[0])
        for group in backend.get_groups_for_user(name):
            for pname in backend.list_group_policies(group.name):
                out.append((pname, "group", json.loads(backend.get_group_policy(group.name, pname)["policy_document"])))
            managed(backend.list_attached_group_policies(group.name)[0])
    elif kind == "role":
        backend.get_role(name)
        for pname in backend.list_role_policies(name):
            _, doc = backend.get_role_policy(name, pname)
            out.append((pname, "role", json.loads(doc) if isinstance(doc, str) else doc))
        managed(backend.list_attached_role_policies(name)[0])
    elif kind == "group":
        backend.get_group(name)
        for pname in backend.list_group_policies(name):
            out.append((pname, "group", json.loads(backend.get_group_policy(name, pname)["policy_document"])))
        managed(backend.list_attached_group_policies(name)[0])
    else:
        raise InvalidInput(f"Invalid ARN: {arn} is not a user, group or role.")
    return out


def evaluate(documents, action, resource, context, condition_ok):
    """One EvaluationResult: allowed, explicitDeny or implicitDeny, with the statements
    that decided it and the context keys a condition needed but did not get."""
    allowed, denied, missing = [], [], set()
    for source_id, source_type, doc in documents:
        for stmt in _as_list(doc.get("Statement")):
            if not _statement_applies_to(stmt, action, resource):
                continue
            conditions = stmt.get("Condition") or {}
            for keys in conditions.values():
                missing.update(k for k in keys if k.lower() not in context)
            if not condition_ok(conditions, context):
                continue
            matched = {"SourcePolicyId": source_id, "SourcePolicyType": source_type}
            (denied if stmt.get("Effect") == "Deny" else allowed).append(matched)
    decision = "explicitDeny" if denied else "allowed" if allowed else "implicitDeny"
    return {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision,
        "MatchedStatements": denied or allowed,
        # Only keys that could have changed the answer are missing ones.
        "MissingContextValues": sorted(missing) if decision != "allowed" else [],
    }


def _context(entries):
    """ContextEntries as lower-case key -> its first value (the operators here compare one)."""
    out = {}
    for e in entries or []:
        values = e.get("ContextKeyValues") or [""]
        out[str(e.get("ContextKeyName", "")).lower()] = str(values[0])
    return out


def install(condition_ok):
    """Give moto's IAM responder a simulate_principal_policy handler that evaluates
    conditions with `condition_ok(conditions, context)` (the emulator's operators)."""

    def simulate_principal_policy(self):
        source = self._get_param("PolicySourceArn")
        actions = self._get_param("ActionNames", [])
        resources = self._get_param("ResourceArns", []) or ["*"]
        context = _context(self._get_param("ContextEntries", []))
        documents = _documents(source)
        results = [evaluate(documents, a, r, context, condition_ok) for a in actions for r in resources]
        return ActionResult({"EvaluationResults": results, "IsTruncated": False})

    IamResponse.simulate_principal_policy = simulate_principal_policy
