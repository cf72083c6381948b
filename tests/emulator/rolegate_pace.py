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
  * Latency: every AWS call takes network time (tens of milliseconds from a laptop to
    us-east-1); moto answers in its own CPU time only. POST /_rolegate/latency {"ms": N}
    holds each AWS call N milliseconds before moto answers it (0: none).
"""

import threading
import time

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

_lock = threading.Lock()
_limits = {}   # (account or "*", service) -> (rate, burst)
_buckets = {}  # (account, service) -> [tokens, last refill (monotonic)]
_latency = {"ms": 0.0}
_refused = {}  # (account, service) -> calls answered Throttling
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


def _account_of(key_id):
    if key_id in _accounts:
        return _accounts[key_id]
    for account_id, regions in list(iam_backends.items()):
        if key_id in regions["aws"].access_keys:
            _accounts[key_id] = account_id
            return account_id
    for account_id, regions in list(sts_backends.items()):
        for backend in list(regions.values()):
            for role in list(getattr(backend, "assumed_roles", [])):
                if role.access_key_id == key_id:
                    _accounts[key_id] = account_id
                    return account_id
    return None


def _scope(environ):
    """(access key id, service) of a SigV4-signed request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None, None
    parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return (parts[0], parts[3]) if len(parts) >= 4 else (parts[0], None)


def throttled(environ):
    """Whether this call is past its account's rate for its service."""
    if not _limits:
        return False
    key_id, service = _scope(environ)
    if not key_id or not service:
        return False
    account = _account_of(key_id)
    with _lock:
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
