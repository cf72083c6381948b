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


# Steps of start-up, each ending at a mark the programs print on stderr
# (ROLEGATE_MARKS name=ms since the Unix epoch; the programs put the page's marks, which
# it counts from its navigation start `origin`, on the same line).
PHASES = [
    ("exec to main()", "main"),
    ("main() to Tauri setup", "setup"),
    ("setup to page navigation start", "origin"),
    ("navigation start to the script running", "script"),
    ("script to the identity choices and settings answered", "sources"),
    ("to the screen ready", "ready"),
    ("ready signal to the program", "answered"),
]


def launch(binary, env, timeout=30.0):
    """Start binary; return (process, seconds until ROLEGATE_READY, {phase: seconds})."""
    err = tempfile.TemporaryFile(mode="w+")
    epoch0 = time.time() * 1000
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=err, env=env, start_new_session=True)
    buf = b""
    while time.perf_counter() - t0 < timeout:
        r, _, _ = select.select([proc.stdout], [], [], 0.05)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            if b"ROLEGATE_READY" in buf:
                took = time.perf_counter() - t0
                err.flush()
                err.seek(0)
                marks = {}
                for line in err:
                    if line.startswith("ROLEGATE_MARKS "):
                        for item in line.split()[1:]:
                            k, _, v = item.partition("=")
                            marks[k] = float(v)
                phases, prev = {}, epoch0
                for name, key in PHASES:
                    if key in marks:
                        phases[name] = (marks[key] - prev) / 1000
                        prev = marks[key]
                phases["the program to the benchmark"] = (epoch0 + took * 1000 - prev) / 1000
                return proc, took, phases
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


# What Rolegate sets for WebKit itself on Linux (src-tauri/src/main.rs,
# webkit_renderer_env): the bare window is also measured with it, like for like.
ROLEGATE_RENDERER_ENV = {"WEBKIT_DISABLE_COMPOSITING_MODE": "1"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--bare", required=True)
    ap.add_argument("--deb")
    ap.add_argument("--ui-dist")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--mem-rounds", type=int, default=3)
    ap.add_argument("--idle", type=float, default=10.0)
    a = ap.parse_args()

    home = tempfile.mkdtemp(prefix="rolegate-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ROLEGATE_RENDERER_ENV}
    env.update(HOME=home, ROLEGATE_HOME=os.path.join(home, "rolegate"), XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CONFIG_HOME=os.path.join(home, "config"), ROLEGATE_READY_MARK="1")
    BARE, LIKE, APP = "bare window", "bare, same WebKit", "Rolegate"
    progs = [(BARE, a.bare, env), (LIKE, a.bare, {**env, **ROLEGATE_RENDERER_ENV}), (APP, a.app, env)]

    # One warm-up each, so all start with the same files in the page cache.
    for _, b, e in progs:
        p, _, _ = launch(b, e)
        stop(p)
    starts = {name: [] for name, _, _ in progs}
    phases = {name: {} for name, _, _ in progs}
    for _ in range(a.rounds):
        for name, b, e in progs:
            p, t, ph = launch(b, e)
            starts[name].append(t)
            for k, v in ph.items():
                phases[name].setdefault(k, []).append(v)
            stop(p)
    mem = {name: [] for name, _, _ in progs}
    for _ in range(a.mem_rounds):
        for name, b, e in progs:
            p, _, _ = launch(b, e)
            time.sleep(a.idle)
            mem[name].append(pss_kib(p.pid) / 1024)
            stop(p)

    med = statistics.median
    names = [n for n, _, _ in progs]
    print(f"cold start to the first interactive screen, median of {a.rounds} (Xvfb):")
    for name in names:
        xs = starts[name]
        print(f"  {name:18} {med(xs):6.3f} s   (min {min(xs):.3f}, max {max(xs):.3f})")
    s_app = med(starts[APP])
    start_ratios = [s_app / med(starts[n]) for n in (BARE, LIKE)]
    print(f"  Rolegate / bare window {start_ratios[0]:.2f}x, / bare with the same WebKit settings {start_ratios[1]:.2f}x"
          "   (goal: <= 0.5 s and <= 1.2x)")
    print("  where it goes, median ms per step (a step a program does not mark is counted in its next):")
    steps = [n for n, _ in PHASES] + ["the program to the benchmark"]
    print(f"    {'':52}" + "".join(f" {n:>18}" for n in names))
    for step in steps:
        cells = [f"{med(phases[n][step]) * 1000:.0f}" if phases[n].get(step) else "-" for n in names]
        print(f"    {step:52}" + "".join(f" {c:>18}" for c in cells))
    ok = s_app <= 0.5 and max(start_ratios) <= 1.2
    if a.mem_rounds:
        print(f"idle memory, PSS of the program and its WebKit processes {a.idle:.0f} s after ready, median of {a.mem_rounds}:")
        for name in names:
            print(f"  {name:18} {med(mem[name]):6.1f} MB   (runs: {', '.join(f'{x:.1f}' for x in mem[name])})")
        m_app = med(mem[APP])
        mem_ratios = [m_app / med(mem[n]) for n in (BARE, LIKE)]
        print(f"  Rolegate / bare window {mem_ratios[0]:.2f}x, / bare with the same WebKit settings {mem_ratios[1]:.2f}x"
              "   (goal: <= 1.15x)")
        ok = ok and max(mem_ratios) <= 1.15
    if a.deb:
        print(f"installer: {os.path.basename(a.deb)} {os.path.getsize(a.deb) / 1e6:.2f} MB   (goal: <= 15 MB)")
        ok = ok and os.path.getsize(a.deb) <= 15e6
    if a.ui_dist:
        total_raw = total_gz = 0
        for f in sorted(glob.glob(os.path.join(a.ui_dist, "assets", "*"))):
            if f.endswith((".js", ".css")):
                data = open(f, "rb").read()
                total_raw += len(data)
                total_gz += len(gzip.compress(data, 9))
        print(f"UI bundle (JS + CSS): {total_raw / 1000:.1f} kB, {total_gz / 1000:.1f} kB gzip -9")
    print("budget:", "met" if ok else "NOT met", "" if a.mem_rounds else "(memory not measured)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
