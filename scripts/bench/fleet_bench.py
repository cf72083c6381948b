#!/usr/bin/env python3
"""Fleet benchmark driver (run by scripts/bench-fleet.sh inside a private keyring).

Starts one emulator with a network time per call (--latency-ms) and AWS-like throttling
of the administrator account (STS 50 calls/s, CloudFormation 10 calls/s), makes an
organization of --accounts accounts in four OUs under one parent OU, and renders the
StackSet template once (`rolegate fleet template`). Then for each round, in a rotating
order, each timed from exec to exit and each in its own administrator account's turn:

  rolegate   `rolegate fleet apply -t seqera-cloud-role --ou PARENT --max-concurrent 25%
             --failure-tolerance 10%`: StackSet, instances, follow, verify every account
             (16 at a time, each as soon as its instance succeeds)
  script     fleet_baseline.py: the same StackSet and instances with the same
             preferences, polling the operation every 0.5 s until it ends, then for each
             account in turn AssumeRole into OrganizationAccountAccessRole, GetRole, and
             compare its trust with the expected one

Both must end with every account checked and right, or the round is void. Between
rounds both fleets are deleted (not timed). Prints the medians, the ratio, throttled
calls, and the AWS calls per account (the emulator counts the calls each account's keys
sign: the administrator's divided by the accounts, plus those made inside each account).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ap = argparse.ArgumentParser()
ap.add_argument("--rolegate", required=True)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--accounts", type=int, default=200)
ap.add_argument("--latency-ms", type=float, default=40)
args = ap.parse_args()

emu = subprocess.Popen(
    [sys.executable, os.path.join(ROOT, "tests/emulator/rolegate_emulator.py"), "--parent-pid", str(os.getpid())],
    stdout=subprocess.PIPE, stderr=(None if os.environ.get("BENCH_TRACE") else subprocess.DEVNULL), text=True,
)
url = emu.stdout.readline().split()[1]


def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    return json.load(urllib.request.urlopen(req))


MANAGEMENT = "310987654321"
boot = post("/_rolegate/bootstrap-account", {"account": MANAGEMENT, "user": "bench-admin"})
env = dict(
    os.environ,
    AWS_ENDPOINT_URL=url, AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1",
    AWS_ACCESS_KEY_ID=boot["access_key_id"], AWS_SECRET_ACCESS_KEY=boot["secret_access_key"],
    AWS_EC2_METADATA_DISABLED="true",
    ROLEGATE_HOME=os.path.join(os.environ.get("TMPDIR", "/tmp"), f"rolegate-fleet-bench-{os.getpid()}"),
    ROLEGATE_KEYCHAIN_SERVICE=f"rolegate-fleet-bench-{os.getpid()}",
)
for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    env.pop(k, None)

import boto3  # noqa: E402  (after the environment is known)

session = boto3.session.Session(aws_access_key_id=boot["access_key_id"], aws_secret_access_key=boot["secret_access_key"], region_name="eu-west-1")
org = session.client("organizations", endpoint_url=url)
print(f"making an organization of {args.accounts} accounts...", file=sys.stderr, flush=True)
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
parent = org.create_organizational_unit(ParentId=root, Name="Fleet")["OrganizationalUnit"]["Id"]
ous = [org.create_organizational_unit(ParentId=parent, Name=f"Team{i}")["OrganizationalUnit"]["Id"] for i in range(4)]
accounts = []
for i in range(args.accounts):
    made = org.create_account(AccountName=f"acct-{i}", Email=f"acct-{i}@bench.example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=made, SourceParentId=root, DestinationParentId=ous[i % 4])
    accounts.append(made)

rendered = subprocess.run([args.rolegate, "--json", "fleet", "template", "-t", "seqera-cloud-role"], env=env, capture_output=True, text=True, check=True)
template = json.loads(rendered.stdout)["fleet_template"]
planned = subprocess.run([args.rolegate, "--json", "plan", "-t", "seqera-cloud-role"], env=env, capture_output=True, text=True, check=True)
role_name = json.loads(planned.stdout)["plan"]["roles"][0]["name"]
post("/_rolegate/latency", {"ms": args.latency_ms})
post("/_rolegate/throttle", {"account": MANAGEMENT, "service": "sts", "rate": 50, "burst": 50})
post("/_rolegate/throttle", {"account": MANAGEMENT, "service": "cloudformation", "rate": 10, "burst": 10})


def counted():
    calls = post("/_rolegate/calls", {})["calls"]
    if os.environ.get("BENCH_TRACE"):
        by_service = {}
        for k, n in calls.items():
            by_service[("admin " if k.startswith(MANAGEMENT) else "member ") + k.split("/")[1]] = by_service.get(("admin " if k.startswith(MANAGEMENT) else "member ") + k.split("/")[1], 0) + n
        print(f"calls: {by_service}", file=sys.stderr)
    admin = sum(n for k, n in calls.items() if k.startswith(MANAGEMENT + "/"))
    inside = sum(n for k, n in calls.items() if k.split("/")[0] in set(accounts))
    return (admin + inside) / len(accounts)


def throttled_so_far():
    out = post("/_rolegate/throttle", {"account": MANAGEMENT, "service": "sts", "rate": 50, "burst": 50})["throttled"]
    return sum(out.values())


def run_rolegate():
    cmd = [args.rolegate, "--json", "fleet", "apply", "-t", "seqera-cloud-role", "--ou", parent, "--max-concurrent", "25%", "--failure-tolerance", "10%"]
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # stdout (the report) is read beside stderr (the progress), so neither pipe fills.
    stdout = []
    reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()))
    reader.start()
    ended = None
    for line in proc.stderr:
        if line.startswith("… operation ") and (": SUCCEEDED" in line or ": FAILED" in line):
            ended = time.monotonic()
        if os.environ.get("BENCH_TRACE"):
            print(f"{time.monotonic() - t:7.2f} {line.rstrip()}", file=sys.stderr)
    reader.join()
    out = stdout[0]
    proc.wait()
    p = subprocess.CompletedProcess(cmd, proc.returncode, out, "")
    tail = time.monotonic() - ended if ended else float("nan")
    took = time.monotonic() - t
    fleet = json.loads(p.stdout).get("fleet", {}) if p.stdout.strip() else {}
    rows = fleet.get("accounts", [])
    ok = p.returncode == 0 and len(rows) == len(accounts) and all(r["verdict"] == "awaiting-platform" for r in rows)
    if not ok:
        print(f"rolegate round void (exit {p.returncode}): {p.stderr[-2000:]}", file=sys.stderr)
    def cleanup():
        if fleet.get("fleet_id"):
            subprocess.run([args.rolegate, "--json", "fleet", "rollback", fleet["fleet_id"]], env=env, capture_output=True, check=True)
    return took, tail, ok, cleanup


def run_script(suffix):
    cmd = [sys.executable, os.path.join(HERE, "fleet_baseline.py"), url, parent, suffix]
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, input=json.dumps({"template": template, "role": role_name, "accounts": accounts}), capture_output=True, text=True)
    took = time.monotonic() - t
    ok = p.returncode == 0 and p.stdout.strip() == f"{len(accounts)} accounts right"
    tail = next((float(l.split()[3]) for l in p.stderr.splitlines() if l.startswith("checked every account")), float("nan"))
    if not ok:
        print(f"script round void (exit {p.returncode}): {p.stdout[-500:]} {p.stderr[-2000:]}", file=sys.stderr)
    return took, tail, ok, lambda: subprocess.run([sys.executable, os.path.join(HERE, "fleet_baseline.py"), url, parent, suffix, "--delete"], env=env, check=True)


times = {"rolegate": [], "script": []}
tails = {"rolegate": [], "script": []}
per_account = {"rolegate": [], "script": []}
for rnd in range(args.rounds):
    order = ["rolegate", "script"] if rnd % 2 == 0 else ["script", "rolegate"]
    for way in order:
        counted()
        took, tail, ok, cleanup = run_rolegate() if way == "rolegate" else run_script(f"r{rnd}")
        calls = counted()
        cleanup()
        if ok:
            times[way].append(took)
            tails[way].append(tail)
            per_account[way].append(calls)
        print(f"round {rnd + 1} {way}: {took:.2f} s, {tail:.2f} s after the operation, {calls:.1f} calls/account{'' if ok else ' (VOID)'}",
              file=sys.stderr, flush=True)

print(f"\nfleet of {args.accounts} accounts, {args.latency_ms:g} ms a call, administrator throttled at STS 50/s and CloudFormation 10/s")
print("| way | start to every verdict, median s | min s | max s | operation's end to every verdict, median s | AWS calls per account |")
print("|---|---|---|---|---|---|")
for way in ("rolegate", "script"):
    if times[way]:
        print(f"| {way} | {statistics.median(times[way]):.2f} | {min(times[way]):.2f} | {max(times[way]):.2f} | "
              f"{statistics.median(tails[way]):.2f} | {statistics.median(per_account[way]):.1f} |")
if times["rolegate"] and times["script"]:
    print(f"\nstart to every verdict: rolegate / script = {statistics.median(times['rolegate']) / statistics.median(times['script']):.3f}x (aim: at most 0.125x)")
    print(f"operation's end to every verdict: rolegate / script = {statistics.median(tails['rolegate']) / statistics.median(tails['script']):.3f}x")
print(f"calls throttled by the emulator in all: {throttled_so_far()}")
