"""Time-based IAM propagation for Rolegate's emulator (rolegate_emulator.py loads it).

AWS IAM is eventually consistent: a new access key, a new role (or a changed trust
policy) and a new user are not usable everywhere at once. This module records when
each was made, per account, and says whether it is still "not yet" known:

  key        a new access key is refused as unknown (InvalidClientTokenId)
  role       AssumeRole of a new role, or of one whose trust just changed, is denied
  principal  a trust policy naming a new user is refused by CreateRole and
             UpdateAssumeRolePolicy (MalformedPolicyDocument "Invalid principal in policy")

Each kind has a delay in seconds, 0 (off) unless configured, for every account or for
one account. A delay counts from the creation, whenever it was set.
"""

import json
import threading
import time

from moto.iam.exceptions import MalformedPolicyDocument

KINDS = ("key", "role", "principal")
_delays = {k: 0.0 for k in KINDS}
_account_delays = {}
_made = {}  # (kind, key id / role ARN / user ARN) -> (account, time.monotonic(), time.time() when made)
_lock = threading.Lock()


def delays(account=None):
    """The delays in force for `account` (or for every account)."""
    with _lock:
        own = _account_delays.get(str(account), {}) if account else {}
        return {k: own.get(k, _delays[k]) for k in KINDS}


def configure(body):
    """Set delays from {"account"?: ID, "key"?: S, "role"?: S, "principal"?: S}."""
    unknown = set(body) - set(KINDS) - {"account"}
    if unknown:
        raise ValueError(f"unknown propagation settings {sorted(unknown)}; known: account, {', '.join(KINDS)}")
    new = {k: float(body[k]) for k in KINDS if k in body}
    if any(v < 0 for v in new.values()):
        raise ValueError("a delay is a number of seconds, 0 or more")
    account = body.get("account")
    with _lock:
        if account:
            _account_delays.setdefault(str(account), {}).update(new)
        else:
            _delays.update(new)
    return delays(account)


def made(account):
    """What `account` made that the model tracks, with the wall-clock time of each (benchmarks use it)."""
    with _lock:
        return [{"kind": k, "id": i, "at": wall} for (k, i), (a, _, wall) in _made.items() if a == str(account)]


def record(kind, ident, account):
    with _lock:
        _made[(kind, ident)] = (str(account), time.monotonic(), time.time())


def forget(kind, ident):
    """Make `ident` ready at once (what the bootstrap route sets up)."""
    with _lock:
        _made.pop((kind, ident), None)


def not_yet(kind, ident):
    """True while `ident` is still propagating."""
    with _lock:
        made = _made.get((kind, ident))
        if made is None:
            return False
        account, at, _ = made
        delay = _account_delays.get(account, {}).get(kind, _delays[kind])
    return time.monotonic() - at < delay


def _principals(document):
    doc = json.loads(document) if isinstance(document, str) else document
    statements = doc.get("Statement")
    for stmt in statements if isinstance(statements, list) else [statements]:
        principal = stmt.get("Principal") if isinstance(stmt, dict) else None
        if isinstance(principal, dict):
            values = principal.get("AWS")
            yield from values if isinstance(values, list) else [values]


def _refuse_new_principals(document):
    for value in _principals(document):
        if isinstance(value, str) and not_yet("principal", value):
            raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{value}"')


def install(backend_class):
    """Record creations made through moto's IAM backend, and refuse new principals."""
    create_user = backend_class.create_user
    create_access_key = backend_class.create_access_key
    create_role = backend_class.create_role
    update_trust = backend_class.update_assume_role_policy

    def _create_user(self, *args, **kwargs):
        user = create_user(self, *args, **kwargs)
        record("principal", user.arn, self.account_id)
        return user

    def _create_access_key(self, *args, **kwargs):
        key = create_access_key(self, *args, **kwargs)
        record("key", key.access_key_id, self.account_id)
        return key

    def _create_role(self, role_name, assume_role_policy_document, *args, **kwargs):
        _refuse_new_principals(assume_role_policy_document)
        role = create_role(self, role_name, assume_role_policy_document, *args, **kwargs)
        record("role", role.arn, self.account_id)
        return role

    def _update_trust(self, role_name, policy_document):
        _refuse_new_principals(policy_document)
        update_trust(self, role_name, policy_document)
        record("role", self.get_role(role_name).arn, self.account_id)

    backend_class.create_user = _create_user
    backend_class.create_access_key = _create_access_key
    backend_class.create_role = _create_role
    backend_class.update_assume_role_policy = _update_trust
