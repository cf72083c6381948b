#!/usr/bin/env python3
"""Engine benchmark driver (run by scripts/bench-engine.sh inside a private keyring).

Starts one emulator, makes one account, then for each round runs, in a rotating order:
  rolegate   `rolegate apply -t seqera-batch-launch` (plan, create, wait, verify), one process
  boto3      the same calls in order from one Python process (engine_baseline.py boto3)
  awscli     the same calls, one `aws` process per call (engine_baseline.py awscli)
Each is timed from exec to exit. Prints the medians and the ratios.

Each round also runs `rolegate apply` in a second account of the same emulator where
IAM takes time as in AWS (the emulator's propagation model: a new key is refused for
6 s, a new role denies AssumeRole for 8 s, a new user is an invalid trust principal
for 4 s). No tool can finish before the role exists and has propagated: user created
+ 4 s + 8 s, the user's creation time read from the emulator. That run's time divided
by this bound is the second figure (1.00x would be waiting not a moment too long).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ap = argparse.ArgumentParser()
ap.add_argument("--rolegate", required=True)
ap.add_argument("--rounds", type=int, default=5)
args = ap.parse_args()

emu = subprocess.Popen(
    [sys.executable, os.path.join(ROOT, "tests/emulator/rolegate_emulator.py"), "--parent-pid", str(os.getpid())],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
)
url = emu.stdout.readline().split()[1]
account = "210987654321"
req = urllib.request.Request(url + "/_rolegate/bootstrap-account", data=json.dumps({"account": account, "user": "bench-admin"}).encode(), method="POST")
boot = json.load(urllib.request.urlopen(req))

KEY_S, ROLE_S, PRINCIPAL_S = 6.0, 8.0, 4.0
slow_account = "210987654322"
req = urllib.request.Request(url + "/_rolegate/bootstrap-account", data=json.dumps({"account": slow_account, "user": "bench-admin"}).encode(), method="POST")
slow_boot = json.load(urllib.request.urlopen(req))
req = urllib.request.Request(
    url + "/_rolegate/propagation",
    data=json.dumps({"account": slow_account, "key": KEY_S, "role": ROLE_S, "principal": PRINCIPAL_S}).encode(),
    method="POST",
)
urllib.request.urlopen(req)
home = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"rolegate-bench-{os.getpid()}")
env = dict(
    os.environ,
    AWS_ENDPOINT_URL=url, AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1",
    AWS_ACCESS_KEY_ID=boot["access_key_id"], AWS_SECRET_ACCESS_KEY=boot["secret_access_key"],
    AWS_EC2_METADATA_DISABLED="true", BENCH_ACCOUNT=account, ROLEGATE_HOME=home,
    ROLEGATE_KEYCHAIN_SERVICE=f"rolegate-bench-{os.getpid()}",
)
for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    env.pop(k, None)
slow_env = dict(env, AWS_ACCESS_KEY_ID=slow_boot["access_key_id"], AWS_SECRET_ACCESS_KEY=slow_boot["secret_access_key"], BENCH_ACCOUNT=slow_account)


def user_created_at(name):
    """When the emulator made user `name` in the slow account (wall clock, seconds)."""
    made = json.load(urllib.request.urlopen(f"{url}/_rolegate/propagation/made?account={slow_account}"))
    arn = f"arn:aws:iam::{slow_account}:user/{name}"
    return next(m["at"] for m in made if m["kind"] == "principal" and m["id"] == arn)


def rolegate(suffix):
    n = f"rg-bench-{suffix}"
    return [args.rolegate, "apply", "-t", "seqera-batch-launch", "--name", f"user={n}", "--name", f"role:main={n}", "--name", f"policy:main={n}"]


def baseline(mode):
    return lambda suffix: [sys.executable, os.path.join(HERE, "engine_baseline.py"), mode, suffix]


ways = {"rolegate": rolegate, "boto3": baseline("boto3"), "awscli": baseline("awscli")}
times = {w: [] for w in ways}
order = list(ways)
slow = []  # (seconds, user created after, bound, ratio) per round
for r in range(args.rounds):
    for i, way in enumerate(order[r % 3:] + order[:r % 3]):
        suffix = f"{way}-{r}"
        t0 = time.perf_counter()
        p = subprocess.run(ways[way](suffix), env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"{way} round {r} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        times[way].append(elapsed)
    suffix = f"slow-{r}"
    started = time.time()
    t0 = time.perf_counter()
    p = subprocess.run(rolegate(suffix), env=slow_env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"rolegate with propagation, round {r} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    user_at = user_created_at(f"rg-bench-{suffix}") - started
    bound = user_at + PRINCIPAL_S + ROLE_S
    slow.append((elapsed, user_at, bound, elapsed / bound))
    print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{w} {times[w][-1]:.3f} s" for w in ways)
          + f"; with propagation {elapsed:.3f} s (bound {bound:.3f} s, {elapsed / bound:.3f}x)", file=sys.stderr)

med = {w: statistics.median(t) for w, t in times.items()}
print(f"engine benchmark: apply + verify of seqera-batch-launch (key+role) against one emulator, {args.rounds} rounds, 2 cores")
print(f"{'way':<10}{'median s':>10}{'min s':>9}{'max s':>9}")
for w in ways:
    print(f"{w:<10}{med[w]:>10.3f}{min(times[w]):>9.3f}{max(times[w]):>9.3f}")
print(f"rolegate / boto3   = {med['rolegate'] / med['boto3']:.2f}x  (aim: at most 0.8x)")
print(f"awscli / rolegate  = {med['awscli'] / med['rolegate']:.1f}x  (aim: at least 20x)")
secs, user_at, bounds, ratios = zip(*slow)
print(f"with IAM propagation (key {KEY_S:g} s, role {ROLE_S:g} s, user as principal {PRINCIPAL_S:g} s), another account of the same emulator:")
print(f"{'rolegate':<10}{statistics.median(secs):>10.3f}{min(secs):>9.3f}{max(secs):>9.3f}"
      f"   bound: user created at {statistics.median(user_at):.3f} s + {PRINCIPAL_S:g} s + {ROLE_S:g} s = {statistics.median(bounds):.3f} s (median)")
print(f"rolegate / bound   = {statistics.median(ratios):.2f}x  (median of rounds; min {min(ratios):.2f}x, max {max(ratios):.2f}x; aim: at most 1.10x)")
emu.terminate()
