#!/usr/bin/env python3
"""Summary of a console-bench.sh run: reads <out>/samples.csv, phases.txt, wmping.txt,
load-*.jsonl and run.txt, prints per-phase figures and a Markdown row for docs/benchmarks.md.

  summarize.py <out-dir>
"""
import csv
import glob
import json
import math
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)


def num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    values.sort()
    return {
        "n": len(values),
        "mean": sum(values) / len(values),
        "p50": values[len(values) // 2],
        "p99": values[min(len(values) - 1, math.ceil(0.99 * len(values)) - 1)],
        "max": values[-1],
        "min": values[0],
        "first": None,
    }


def fmt(s, key="mean", digits=1):
    return "-" if s is None else f"{s[key]:.{digits}f}"


run = {}
with open(os.path.join(out, "run.txt")) as f:
    for line in f:
        for word in line.split():
            if "=" in word:
                k, v = word.split("=", 1)
                run[k] = v

with open(os.path.join(out, "samples.csv")) as f:
    rows = list(csv.DictReader(f))
node_columns = sorted({c[:-4] for c in rows[0] if c.startswith("node") and c.endswith("_cpu")}) if rows else []

phases = []
with open(os.path.join(out, "phases.txt")) as f:
    for line in f:
        ms, name = line.split()
        phases.append((int(ms) / 1000.0, name))


def phase_at(t):
    current = None
    for start, name in phases:
        if start <= t:
            current = name
    return current


pings = []  # (time s, latency ms or None)
ping_path = os.path.join(out, "wmping.txt")
if os.path.exists(ping_path):
    with open(ping_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                pings.append((int(parts[0]) / 1000.0, None if parts[1] == "timeout" else float(parts[1])))

order = ["ramp", "catchup", "idle", "load", "after", "teardown"]
by_phase = {p: [r for r in rows if r["phase"] == p] for p in order}

print(f"run: {' '.join(f'{k}={v}' for k, v in run.items())}")
print()
header = ("phase", "s", "console CPU % mean/max", "console RSS MiB mean/max", "GUI ping ms mean/p99/max (timeouts)",
          "nodes CPU % (sum) mean", "redis CPU %", "generators CPU %", "Xvfb CPU %", "machine CPU % (of all cores)",
          "irq+softirq CPU %", "other processes CPU %", "PUBLISH/s", "console omem KiB max")
CORES = os.cpu_count() or 1


def others(r):
    """CPU of processes this benchmark did not start (a build, ...), % of one core."""
    machine = num(r["machine_cpu"])
    if machine is None:
        return None
    ours = sum(num(r.get(c)) or 0 for c in r if c.endswith("_cpu") and c != "machine_cpu")
    irq = num(r.get("machine_irq")) or 0
    return max(0.0, (machine - irq) * CORES - ours)


print(" | ".join(header))
table = {}
for p in order:
    rs = by_phase[p]
    if not rs:
        continue
    cpu = stats([num(r["console_cpu"]) for r in rs])
    rss = stats([num(r["console_rss_mib"]) for r in rs])
    nodes = stats([sum(num(r[f"{c}_cpu"]) or 0 for c in node_columns) for r in rs])
    redis = stats([num(r["redis_cpu"]) for r in rs])
    loaders = stats([num(r["loaders_cpu"]) for r in rs])
    machine = stats([num(r["machine_cpu"]) for r in rs])
    xvfb = stats([num(r.get("xvfb_cpu")) for r in rs])
    foreign = stats([others(r) for r in rs])
    irq = stats([(num(r.get("machine_irq")) or 0) * CORES for r in rs])
    publish = stats([num(r["publish_per_s"]) for r in rs])
    omem = stats([num(r["console_omem_kib"]) for r in rs])
    lat = [l for t, l in pings if phase_at(t) == p]
    answered = stats([l for l in lat if l is not None])
    timeouts = sum(1 for l in lat if l is None)
    ping = "-" if not lat else (f"{fmt(answered, 'mean', 2)}/{fmt(answered, 'p99', 1)}/{fmt(answered, 'max', 1)} ({timeouts})"
                                if answered else f"all {timeouts} timed out")
    table[p] = dict(cpu=cpu, rss=rss, ping=ping, answered=answered, timeouts=timeouts, publish=publish)
    print(" | ".join([p, str(len(rs)), f"{fmt(cpu)}/{fmt(cpu, 'max')}", f"{fmt(rss)}/{fmt(rss, 'max')}", ping,
                      fmt(nodes), fmt(redis), fmt(loaders), fmt(xvfb), fmt(machine), fmt(irq), fmt(foreign), fmt(publish, 'mean', 0), fmt(omem, 'max', 0)]))

# RSS at the end of each phase (growth check)
print()
print("console RSS at the end of each phase (MiB): " + ", ".join(
    f"{p} {by_phase[p][-1]['console_rss_mib']}" for p in order if by_phase[p]))
load_rows = by_phase["load"]
if len(load_rows) >= 10:
    tenth = max(1, len(load_rows) // 10)
    first = stats([num(r["console_rss_mib"]) for r in load_rows[:tenth]])
    last = stats([num(r["console_rss_mib"]) for r in load_rows[-tenth:]])
    print(f"console RSS during load: first tenth {fmt(first)} MiB, last tenth {fmt(last)} MiB")
print("node RSS at the end of the load (MiB): " + ", ".join(
    f"{c} {load_rows[-1][c + '_rss_mib']}" for c in node_columns) if load_rows else "")

# Generators
sent = received = 0
seconds = []
ready = []
for path in sorted(glob.glob(os.path.join(out, "load-*.jsonl"))):
    with open(path) as f:
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "ready":
                ready.append(event)
            if event.get("event") == "report" and event.get("final"):
                sent += event.get("sent", 0)
                received += event.get("received", 0)
                seconds.append(event.get("seconds", 0))
if ready:
    print(f"ramp-up: {sum(e['connected'] for e in ready)} connected, {sum(e['failed'] for e in ready)} failed, "
          f"slowest generator {max(e['rampSeconds'] for e in ready):.1f} s")
if seconds:
    span = max(seconds)
    print(f"generators: {sent} sends in {span:.1f} s = {sent / span:.0f} msgs/s sent, "
          f"{received / span:.0f} deliveries/s received")

load = table.get("load")
idle = table.get("idle")
if load:
    print()
    print("Markdown row (load phase):")
    print(f"| {run.get('sockets')} | {fmt(load['publish'], 'mean', 0)} | {fmt(load['cpu'])} | {fmt(load['cpu'], 'max')} | "
          f"{fmt(load['rss'])} | {fmt(load['rss'], 'max')} | {load['ping']} | "
          f"{fmt(idle['cpu']) if idle else '-'} | {fmt(idle['rss']) if idle else '-'} | {run.get('catchup_seconds')} |")
