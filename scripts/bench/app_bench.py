#!/usr/bin/env python3
"""Rolegate's desktop app against a bare Tauri window, side by side in one run.

Cold start: from exec to the first screen interactive (the UI's ready signal, a line
ROLEGATE_READY on stdout), median of --rounds runs, the two programs alternating.
Idle memory: PSS of the program and every process it started (WebKit's web and
network processes), --idle seconds after the ready signal, median of --mem-rounds.
Sizes: the .deb (if built) and the UI bundle (JS + CSS, gzip -9).

Usage: app_bench.py --app BIN --bare BIN [--deb FILE] [--ui-dist DIR]
"""

import argparse
import glob
import gzip
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time


def descendants(pid):
    """pid and every process below it."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def pss_kib(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def launch(binary, env, timeout=30.0):
    """Start binary; return (process, seconds until ROLEGATE_READY)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    buf = b""
    while time.perf_counter() - t0 < timeout:
        r, _, _ = select.select([proc.stdout], [], [], 0.05)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            if b"ROLEGATE_READY" in buf:
                return proc, time.perf_counter() - t0
    stop(proc)
    raise RuntimeError(f"{binary} gave no ready signal within {timeout} s (stdout: {buf[-200:]!r})")


def stop(proc):
    try:
        os.killpg(proc.pid, 15)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--bare", required=True)
    ap.add_argument("--deb")
    ap.add_argument("--ui-dist")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--mem-rounds", type=int, default=3)
    ap.add_argument("--idle", type=float, default=10.0)
    a = ap.parse_args()

    home = tempfile.mkdtemp(prefix="rolegate-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=home, ROLEGATE_HOME=os.path.join(home, "rolegate"), XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CONFIG_HOME=os.path.join(home, "config"), ROLEGATE_READY_MARK="1")
    progs = [("bare Tauri window", a.bare), ("Rolegate", a.app)]

    # One warm-up each, so both start with the same files in the page cache.
    for _, b in progs:
        p, _ = launch(b, env)
        stop(p)
    starts = {name: [] for name, _ in progs}
    for _ in range(a.rounds):
        for name, b in progs:
            p, t = launch(b, env)
            starts[name].append(t)
            stop(p)
    mem = {name: [] for name, _ in progs}
    for _ in range(a.mem_rounds):
        for name, b in progs:
            p, _ = launch(b, env)
            time.sleep(a.idle)
            mem[name].append(pss_kib(p.pid) / 1024)
            stop(p)

    bare, app = progs[0][0], progs[1][0]
    s_bare, s_app = statistics.median(starts[bare]), statistics.median(starts[app])
    m_bare, m_app = statistics.median(mem[bare]), statistics.median(mem[app])
    print(f"cold start to the first interactive screen, median of {a.rounds} (Xvfb):")
    for name, _ in progs:
        xs = starts[name]
        print(f"  {name:18} {statistics.median(xs):6.3f} s   (min {min(xs):.3f}, max {max(xs):.3f})")
    print(f"  ratio Rolegate / bare window: {s_app / s_bare:.2f}x   (goal: <= 0.5 s and <= 1.2x)")
    print(f"idle memory, PSS of the app and its WebKit processes {a.idle:.0f} s after ready, median of {a.mem_rounds}:")
    for name, _ in progs:
        print(f"  {name:18} {statistics.median(mem[name]):6.1f} MB   (runs: {', '.join(f'{x:.1f}' for x in mem[name])})")
    print(f"  ratio Rolegate / bare window: {m_app / m_bare:.2f}x   (goal: <= 1.15x)")
    if a.deb:
        print(f"installer: {os.path.basename(a.deb)} {os.path.getsize(a.deb) / 1e6:.2f} MB   (goal: <= 15 MB)")
    if a.ui_dist:
        total_raw = total_gz = 0
        for f in sorted(glob.glob(os.path.join(a.ui_dist, "assets", "*"))):
            if f.endswith((".js", ".css")):
                data = open(f, "rb").read()
                total_raw += len(data)
                total_gz += len(gzip.compress(data, 9))
        print(f"UI bundle (JS + CSS): {total_raw / 1000:.1f} kB, {total_gz / 1000:.1f} kB gzip -9")
    ok = s_app <= 0.5 and s_app / s_bare <= 1.2 and m_app / m_bare <= 1.15
    print("budget:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
