"""How fast the emulator answers, made like AWS for the fleet benchmark and its tests
(rolegate_emulator.py loads it).

  * Throttling: AWS limits the call rate per account and service (a token bucket: a
    steady rate and a burst) and answers a call past it with HTTP 400 and the code
    `Throttling` ("Rate exceeded"), which SDKs retry with a growing pause. Stock moto
    never throttles. POST /_rolegate/throttle {"account": ID or "*", "service": "sts" |
    "iam" | "cloudformation" | ..., "rate": calls per second, "burst": calls} sets a
    limit (rate 0 removes it); the service is the one the request is signed for, the
    account the signing key's (an IAM user's key or a role session's). It answers the
    limits in force and how many calls each account and service had throttled so far.
  * Counting: POST /_rolegate/calls {} answers how many AWS calls each account's keys
    signed since the last count, per service, and starts counting again (benchmarks).
  * Finding the caller's account: moto 5.2 finds the account of a request's access key
    by looking in every account's IAM backend of every partition (aws, aws-cn,
    aws-us-gov, aws-iso...), and makes each backend it looks in that does not exist
    yet, which parses all AWS managed policies, under moto's global backend lock: a new
    role session's first call then stalls every call and every running StackSet batch
    for seconds in an organization of many accounts. AWS answers in the same time
    whatever the number of accounts. Here the lookup looks in the backends that exist
    (an access key can only be in one of them), so the answer is the same.
  * Latency: every AWS call takes network time (tens of milliseconds from a laptop to
    us-east-1); moto answers in its own CPU time only. POST /_rolegate/latency {"ms": N}
    holds each AWS call N milliseconds before moto answers it (0: none).
"""

import threading
import time

import moto.iam.models as iam_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

_lock = threading.Lock()
_limits = {}   # (account or "*", service) -> (rate, burst)
_buckets = {}  # (account, service) -> [tokens, last refill (monotonic)]
_latency = {"ms": 0.0}
_refused = {}  # (account, service) -> calls answered Throttling
_counted = {}  # (account, service) -> calls signed
_accounts = {}  # access key id -> account (keys never move between accounts)


def configure_throttle(body):
    account, service = str(body.get("account") or "*"), str(body["service"])
    rate, burst = float(body.get("rate", 0)), float(body.get("burst", body.get("rate", 0)))
    with _lock:
        if rate <= 0:
            _limits.pop((account, service), None)
        else:
            _limits[(account, service)] = (rate, max(burst, 1.0))
        for k in [k for k in _buckets if k[1] == service and account in ("*", k[0])]:
            del _buckets[k]
        return {
            "limits": {f"{a}/{s}": list(v) for (a, s), v in _limits.items()},
            "throttled": {f"{a}/{s}": n for (a, s), n in _refused.items()},
        }


def configure_latency(body):
    _latency["ms"] = max(0.0, float(body.get("ms", 0)))
    return dict(_latency)


def _find_account(access_key):
    """The account whose IAM backend holds `access_key` (a user's key or a role
    session's), looking only in backends that exist."""
    for account_id, partitions in list(iam_backends.items()):
        for backend in list(partitions.values()):
            if access_key in backend.access_keys:
                return account_id
    return None


def get_account_id_from(access_key):
    """moto's lookup of a request's account, without making backends (see above)."""
    return _find_account(access_key) or DEFAULT_ACCOUNT_ID


def _account_of(key_id):
    if key_id in _accounts:
        return _accounts[key_id]
    account = _find_account(key_id)
    if account is not None:
        _accounts[key_id] = account
    return account


def install():
    iam_models.get_account_id_from = get_account_id_from


def _scope(environ):
    """(access key id, service) of a SigV4-signed request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None, None
    parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return (parts[0], parts[3]) if len(parts) >= 4 else (parts[0], None)


def calls():
    """The calls counted since the last count, then counting again."""
    with _lock:
        out = {f"{a}/{s}": n for (a, s), n in _counted.items()}
        _counted.clear()
        return {"calls": out}


def throttled(environ):
    """Count the call; whether it is past its account's rate for its service."""
    key_id, service = _scope(environ)
    if not key_id or not service:
        return False
    account = _account_of(key_id)
    with _lock:
        _counted[(account, service)] = _counted.get((account, service), 0) + 1
        if not _limits:
            return False
        limit = _limits.get((account, service)) or _limits.get(("*", service))
        if limit is None:
            return False
        rate, burst = limit
        now = time.monotonic()
        bucket = _buckets.setdefault((account, service), [burst, now])
        bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return False
        _refused[(account, service)] = _refused.get((account, service), 0) + 1
        return True


def hold():
    """The network time of one AWS call."""
    if _latency["ms"] > 0:
        time.sleep(_latency["ms"] / 1000.0)
