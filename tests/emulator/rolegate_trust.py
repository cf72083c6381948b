"""Trust-policy evaluation as AWS does it, for the emulator's sts:AssumeRole check and
its SimulatePrincipalPolicy conditions: exact principal matching (user, role, session,
account root), Deny before Allow, and the condition operators StringEquals,
StringNotEquals, StringLike, StringNotLike, StringEqualsIgnoreCase, Null and Bool (with
...IfExists), a missing key failing every positive operator. Pure functions over JSON.
"""

import fnmatch
import json


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _principal_matches(value, account, ids):
    """How a trust policy principal value matches the caller: 'explicit', 'account' or None."""
    if value == "*":
        return "account"
    if value == account or value.endswith(f":iam::{account}:root"):
        return "account"
    if value == ids["arn"]:
        return "explicit"
    if ids["role_arn"] and value == ids["role_arn"]:
        return "explicit"
    return None


def _statement_principal_match(stmt, account, ids):
    principal = stmt.get("Principal")
    if principal == "*":
        return "account"
    if not isinstance(principal, dict):
        return None
    best = None
    for value in _as_list(principal.get("AWS")):
        m = _principal_matches(value, account, ids)
        if m == "explicit":
            return m
        best = best or m
    return best


def _condition_ok(conditions, context):
    for operator, keys in (conditions or {}).items():
        if_exists = operator.endswith("IfExists")
        op = operator[: -len("IfExists")] if if_exists else operator
        for key, expected in keys.items():
            expected = [str(e) for e in _as_list(expected)]
            actual = context.get(key.lower())
            if op == "Null":
                want_null = expected[0].lower() == "true"
                if (actual is None) != want_null:
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                if op.startswith("StringNot"):
                    continue  # a negated operator on a missing key is true in AWS
                return False
            if op == "StringEquals":
                ok = actual in expected
            elif op == "StringNotEquals":
                ok = actual not in expected
            elif op == "StringEqualsIgnoreCase":
                ok = actual.lower() in [e.lower() for e in expected]
            elif op == "StringLike":
                ok = any(fnmatch.fnmatchcase(actual, e.replace("[", "[[]")) for e in expected)
            elif op == "StringNotLike":
                ok = not any(fnmatch.fnmatchcase(actual, e.replace("[", "[[]")) for e in expected)
            elif op == "Bool":
                ok = actual.lower() in [e.lower() for e in expected]
            else:
                return False  # an operator this emulator does not know never grants
            if not ok:
                return False
    return True


def _action_matches(stmt, action):
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(stmt.get("Action")))


def evaluate_trust(trust_document, account, ids, context):
    """'explicit', 'account' (allowed, and how the principal matched) or None (denied)."""
    doc = json.loads(trust_document) if isinstance(trust_document, str) else trust_document
    allowed = None
    for stmt in _as_list(doc.get("Statement")):
        if not _action_matches(stmt, "sts:AssumeRole"):
            continue
        match = _statement_principal_match(stmt, account, ids)
        if match is None or not _condition_ok(stmt.get("Condition"), context):
            continue
        if stmt.get("Effect") == "Deny":
            return None
        if stmt.get("Effect") == "Allow":
            allowed = "explicit" if "explicit" in (allowed, match) else match
    return allowed
