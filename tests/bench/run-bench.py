#!/usr/bin/env python3
"""Switchboard beside Node.js socket.io, measured side by side: the `make bench` orchestrator.

For each kind of server -- "sb" (two switchboard-node processes) and "sio" (two Node.js
socket.io 4.8 + @socket.io/redis-adapter 8.3 peers, tests/bench/peer/server.js) -- it starts a
private redis-server and the two servers on it, drives them with sbload (tests/bench/loadgen)
and samples each server's CPU (utime+stime of /proc/<pid>/stat) and RSS (VmRSS). The kinds
alternate (sb, sio, sb, sio, ...), --runs times; every figure is the median of the runs.

Scenarios (fresh servers for each group):
  idle    cross-node DM with no idle connections; growing to --idle connections per node
          (connect rate, connect -> CONNECT p99, RSS per connection); cross-node DM again
          with them held (p50, p99, server CPU per DM).
  fanout  one room of --members spread over both nodes, one sender at stepped rates
          (deliveries/s, deliveries per server CPU-second, p50/p99, loss); a kind stops
          stepping once saturated.
  coalesced  the fan-out again, Switchboard's nodes with --write-coalesce --coalesce-ms at
          every rate (--write-coalesce-above 0); socket.io's plain fan-out is the comparison.
  slow    the same room, --slow-pct of the members stop reading while the sender emits
          --slow-payload-byte messages: server RSS growth, and whether the others suffer.
  polling the same over Engine.IO HTTP long-polling (sbload --transport polling, never
          upgraded): cross-node DM with both ends polling and no idle sessions (p50, p99);
          growing to --polling-idle parked sessions per node (RSS and server TCP connections
          per session, --polling-settle s after the last one opened).

Prints one Markdown table of absolute figures and ratios (Switchboard / socket.io), plus the
machine and its load average during the run; --write-docs FILE puts it between the
<!-- bench:node:begin --> / <!-- bench:node:end --> markers of FILE.

  tests/bench/run-bench.py --node build/server/switchboard-node --sbload build/tests/bench/sbload
  tests/bench/run-bench.py --quick --kinds sb      # the smoke test: fails on any loss
"""
import argparse
import json
import os
import platform
import queue
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TICK = os.sysconf("SC_CLK_TCK")
NAMES = {"sb": "Switchboard", "sio": "socket.io"}
BEGIN, END = "<!-- bench:node:begin -->", "<!-- bench:node:end -->"


class BenchError(Exception):
    pass


def log(*parts):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


NICE = 0


def raise_nofile():
    """preexec_fn of every child: the open-files limit up to the hard limit (switchboard-node
    may not raise it itself; Node.js does not), and the niceness asked for."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if NICE:
        os.setpriority(os.PRIO_PROCESS, 0, NICE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_times(pid):
    """(user, kernel) CPU seconds of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK  # utime, stime (fields 14, 15)


def cpu_seconds(pid):
    return sum(cpu_times(pid))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for {pid}")


def open_sockets(pid):
    """The sockets a process holds open (listening ones and Redis included)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass  # closed meanwhile
    return count


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Sampler(threading.Thread):
    """The machine's 1-minute load average every 5 s and the peak RSS of the watched pids."""

    def __init__(self):
        super().__init__(daemon=True)
        self.loads = [loadavg()]
        self.pids = []
        self.peak = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def watch(self, pids):
        with self.lock:
            self.pids = list(pids)
            self.peak = {pid: 0 for pid in pids}

    def peaks(self):
        with self.lock:
            return dict(self.peak)

    def run(self):
        last_load = time.time()
        while not self.stop.wait(0.1):
            with self.lock:
                for pid in self.pids:
                    try:
                        self.peak[pid] = max(self.peak[pid], rss_kib(pid))
                    except (OSError, BenchError):
                        pass
            if time.time() - last_load >= 5:
                last_load = time.time()
                self.loads.append(loadavg())


class Process:
    """A child process with its stdout read line by line on a thread."""

    def __init__(self, argv, name, logdir, on_line=None, env=None, pid=None):
        self.name = name
        self.err = open(os.path.join(logdir, name + ".log"), "ab")
        self.lines = queue.Queue()
        self.on_line = on_line
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err,
                                     stdin=subprocess.DEVNULL, preexec_fn=raise_nofile,
                                     env=env, text=True, bufsize=1)
        self.pid = self.proc.pid
        if pid is not None:
            pid["pid"] = self.pid  # for on_line, before the first line is read
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            stamp = self.on_line() if self.on_line else None
            self.lines.put((line.rstrip("\n"), stamp))
        self.lines.put((None, None))

    def next_line(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise BenchError(f"{self.name}: nothing printed within {timeout:.0f} s")

    def wait_for(self, predicate, timeout):
        deadline = time.time() + timeout
        while True:
            line, stamp = self.next_line(max(0.1, deadline - time.time()))
            if line is None:
                raise BenchError(f"{self.name} ended (status {self.proc.wait()})")
            if predicate(line):
                return line, stamp

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


class Cluster:
    """A private redis-server and two servers of one kind on it."""

    def __init__(self, kind, args, logdir, node_args=()):
        self.kind, self.args, self.logdir = kind, args, logdir
        self.node_args = list(node_args)  # more arguments of switchboard-node
        self.redis = None
        self.servers = []
        self.ports = []

    def __enter__(self):
        port = free_port()
        self.redis_dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.redis = Process([self.args.redis_server, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", self.redis_dir,
                              "--loglevel", "warning"], "redis", self.logdir)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise BenchError("redis-server did not start")
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}"
        for i in range(2):
            if self.kind == "sb":
                argv = [self.args.node, "--host", "127.0.0.1", "--port", "0", "--drain-ms", "0", "--redis", url,
                        "--name", f"bench-{i}"] + self.node_args
            else:
                argv = [self.args.nodejs, os.path.join(HERE, "peer", "server.js"), "--port",
                        "0", "--redis", url]
            server = Process(argv, f"{self.kind}-{i}", self.logdir)
            line, _ = server.wait_for(lambda l: "listening on http://" in l, 30)
            self.ports.append(int(line.rsplit(":", 1)[1].strip("/")))
            self.servers.append(server)
        time.sleep(0.5)  # both subscribed before anyone publishes
        return self

    def __exit__(self, *exc):
        for server in self.servers:
            server.stop()
        if self.redis:
            self.redis.stop()
        shutil.rmtree(self.redis_dir, ignore_errors=True)

    def pids(self):
        return [s.pid for s in self.servers]

    def cpu(self):
        return sum(cpu_seconds(pid) for pid in self.pids())

    def user_cpu(self):
        return sum(cpu_times(pid)[0] for pid in self.pids())

    def rss(self):
        return [rss_kib(pid) for pid in self.pids()]

    def sockets(self):
        return [open_sockets(pid) for pid in self.pids()]


class Bench:
    def __init__(self, args):
        self.args = args
        self.logdir = tempfile.mkdtemp(prefix="bench-logs-")
        self.sampler = Sampler()
        self.sampler.start()
        self.results = {kind: [] for kind in args.kinds}
        self.failures = []

    def sbload(self, cluster, argv, name):
        """Starts sbload; each line it prints is stamped with the servers' CPU and RSS."""
        me = {}

        def stamp():
            return {"time": time.time(), "cpu": cluster.cpu(), "user": cluster.user_cpu(),
                    "rss": cluster.rss(),
                    "loadgen": cpu_seconds(me["pid"])}
        load = Process([self.args.sbload] + argv, name, self.logdir, on_line=stamp, pid=me)
        return load

    def relay(self, cluster, mode, extra, name):
        """Runs sbload in dm or fanout mode to the end; returns its events."""
        load = self.sbload(cluster, ["--mode", mode, "--ports",
                                     ",".join(map(str, cluster.ports))] + extra, name)
        events, begin = [], None
        try:
            while True:
                line, stamp = load.next_line(self.args.step_timeout)
                if line is None:
                    break
                event = json.loads(line)
                event["_stamp"] = stamp
                kind = event["event"]
                if kind.endswith("_begin"):
                    begin = stamp
                elif kind in ("step", "warmup") and begin:
                    event["server_cpu_s"] = stamp["cpu"] - begin["cpu"]
                    event["server_user_s"] = stamp["user"] - begin["user"]
                    event["loadgen_cpu_s"] = stamp["loadgen"] - begin["loadgen"]
                elif kind == "error":
                    raise BenchError(f"{name}: {event['message']}")
                events.append(event)
        finally:
            status = load.proc.wait(30)
            load.stop()
        if status != 0:
            self.failures.append(f"{cluster.kind} {name}: sbload exited {status}")
        return events

    def dm(self, cluster, name, extra=()):
        a = self.args
        events = self.relay(cluster, "dm", ["--rates", str(a.dm_rate), "--step", str(a.dm_seconds),
                                            "--warmup", str(a.warmup)] + list(extra), name)
        step = next(e for e in events if e["event"] == "step")
        self.check_loss(cluster.kind, name, step)
        return {"p50_ms": step["p50_ms"], "p99_ms": step["p99_ms"], "lost": step["lost"],
                "sent": step["sent"],
                "cpu_us_per_dm": step["server_cpu_s"] * 1e6 / max(1, step["sent"])}

    def check_loss(self, kind, name, step):
        if step["lost"] or step["acked"] < step["sent"]:
            self.failures.append(f"{kind} {name}: {step['lost']} of {step['expected']} lost, "
                                 f"{step['acked']} of {step['sent']} acked")

    def grow(self, cluster, count, extra, name, holders):
        """One `sbload --mode idle` per node, node A then node B, each grown to `count`
        connections and held; appended to holders. Returns their "ready" events."""
        ramps = []
        for i, port in enumerate(cluster.ports):
            holder = self.sbload(cluster, ["--mode", "idle", "--ports", str(port), "--count",
                                           str(count), "--inflight", str(self.args.inflight),
                                           "--hold", "3600"] + list(extra), f"{name}-{i}")
            holders.append(holder)
            line, _ = holder.wait_for(lambda l: '"ready"' in l, count / 50 + 60)
            ramps.append(json.loads(line))
        return ramps

    def release(self, kind, holders, ramps, count, what):
        """Ends the holders; returns what they lost: connections that never opened, or that
        the server closed while they were held (ping timeouts of a node that falls behind)."""
        for holder in holders:
            if holder.proc.poll() is not None:
                self.failures.append(f"{kind}: {holder.name} ended early")
        lost = sum(r["failed"] for r in ramps)
        for holder in holders:
            holder.proc.send_signal(signal.SIGTERM)
            line, _ = holder.wait_for(lambda l: '"done"' in l, 30)
            lost += json.loads(line)["closed"]
        if lost:
            self.failures.append(f"{kind}: {lost} of {2 * count} {what} failed or were closed "
                                 f"by the server")
        return lost

    def scenario_idle(self, kind, out):
        a = self.args
        with Cluster(kind, a, self.logdir) as cluster:
            self.sampler.watch(cluster.pids())
            out["dm0"] = self.dm(cluster, "dm-0-idle")
            time.sleep(1)
            base = cluster.rss()
            holders = []
            try:
                ramps = self.grow(cluster, a.idle, [], "idle", holders)
                before, began = cluster.cpu(), time.time()
                time.sleep(a.settle)
                out["idle_cpu_pct"] = 100 * (cluster.cpu() - before) / (time.time() - began)
                held = cluster.rss()
                out["connect_rate"] = statistics.mean(r["rate"] for r in ramps)
                out["connect_p50_ms"] = statistics.mean(r["connect_p50_ms"] for r in ramps)
                out["connect_p99_ms"] = max(r["connect_p99_ms"] for r in ramps)
                out["rss_base_kib"] = base
                out["rss_held_kib"] = held
                out["kib_per_idle"] = statistics.mean(
                    (h - b) / a.idle for h, b in zip(held, base))
                out["dm_idle"] = self.dm(cluster, "dm-idle")
                out["idle_lost"] = self.release(kind, holders, ramps, a.idle,
                                                "idle connections")
            finally:
                for holder in holders:
                    holder.stop()

    def scenario_polling(self, kind, out):
        a = self.args
        polling = ["--transport", "polling"]
        with Cluster(kind, a, self.logdir) as cluster:
            self.sampler.watch(cluster.pids())
            out["poll_dm"] = self.dm(cluster, "polling-dm", polling)
            time.sleep(1)
            base, base_sockets = cluster.rss(), cluster.sockets()
            holders = []
            try:
                ramps = self.grow(cluster, a.polling_idle, polling, "polling", holders)
                # Past Node.js's keep-alive timeout (5 s), before the first ping (25 s): the
                # state a parked session spends most of its time in (see the Setup text).
                time.sleep(a.polling_settle)
                held, held_sockets = cluster.rss(), cluster.sockets()
                n = a.polling_idle
                out["kib_per_poll"] = statistics.mean((h - b) / n for h, b in zip(held, base))
                out["sockets_per_poll"] = statistics.mean(
                    (h - b) / n for h, b in zip(held_sockets, base_sockets))
                out["poll_connect_p99_ms"] = max(r["connect_p99_ms"] for r in ramps)
                out["poll_lost"] = self.release(kind, holders, ramps, n, "polling sessions")
            finally:
                for holder in holders:
                    holder.stop()

    def scenario_fanout(self, kind, out):
        self.fanout(kind, out, "fanout")

    def scenario_coalesced(self, kind, out):
        """The fan-out again, Switchboard's nodes holding dense streams back at every rate
        (--write-coalesce-above 0), not only over the default rate (socket.io has no such
        thing: its rows of the plain fan-out are the comparison)."""
        if kind == "sb":
            self.fanout(kind, out, "coalesced",
                        ["--write-coalesce", str(self.args.coalesce_ms),
                         "--write-coalesce-above", "0"])

    def fanout(self, kind, out, key, node_args=()):
        a = self.args
        with Cluster(kind, a, self.logdir, node_args) as cluster:
            self.sampler.watch(cluster.pids())
            events = self.relay(cluster, "fanout", [
                "--count", str(a.members), "--rates", ",".join(map(str, a.rates)), "--step",
                str(a.step), "--warmup", str(a.warmup), "--drain", str(a.drain),
                "--stop-on-saturation"], key)
            out[key] = {}
            for e in (e for e in events if e["event"] == "step"):
                cpu = e["server_cpu_s"]
                out[key][e["rate"]] = {
                    "deliveries_per_s": e["deliveries_per_s"], "p50_ms": e["p50_ms"],
                    "p99_ms": e["p99_ms"], "lost": e["lost"], "expected": e["expected"],
                    "saturated": e["saturated"],
                    "per_cpu_s": e["delivered"] / cpu if cpu > 0 else None,
                    "user_us_per_delivery": 1e6 * e["server_user_s"] / max(1, e["delivered"]),
                    "kernel_us_per_delivery":
                        1e6 * (cpu - e["server_user_s"]) / max(1, e["delivered"]),
                    "cpu_pct": 100 * cpu / max(1e-9, e["seconds"]),
                    "loadgen_pct": 100 * e["loadgen_cpu_s"] / max(1e-9, e["seconds"])}
                if a.require_no_loss:
                    self.check_loss(kind, key, e)

    def scenario_slow(self, kind, out):
        a = self.args
        with Cluster(kind, a, self.logdir) as cluster:
            self.sampler.watch(cluster.pids())
            time.sleep(0.2)
            events = self.relay(cluster, "fanout", [
                "--count", str(a.slow_members), "--rates", str(a.slow_rate), "--step",
                str(a.slow_seconds), "--warmup", str(a.warmup), "--drain", str(a.drain),
                "--slow", str(a.slow_pct), "--payload", str(a.slow_payload)], "slow")
            step = next(e for e in events if e["event"] == "step")
            begin = next(e for e in events if e["event"] == "step_begin")["_stamp"]["rss"]
            resume = next(e for e in events if e["event"] == "slow_resume")["_stamp"]["rss"]
            peaks = self.sampler.peaks()
            peak = [max(peaks[pid], r) for pid, r in zip(cluster.pids(), resume)]
            slow = next(e for e in events if e["event"] == "slow")
            self.check_loss(kind, "slow (fast readers)", step)
            out["slow"] = {
                "rss_growth_mib": (sum(resume) - sum(begin)) / 1024,
                "rss_peak_growth_mib": (sum(peak) - sum(begin)) / 1024,
                "cut_off": slow["cut_off"], "slow": slow["slow"],
                "p99_ms": step["p99_ms"], "lost": step["lost"]}

    def run(self):
        a = self.args
        started = time.time()
        for run in range(a.runs):
            for kind in a.kinds:
                out = {}
                for scenario in a.scenarios:
                    if scenario in ("idle", "polling") and run >= a.idle_runs:
                        continue
                    log(f"run {run + 1}/{a.runs} {NAMES[kind]}: {scenario}")
                    try:
                        getattr(self, "scenario_" + scenario)(kind, out)
                    except BenchError as error:  # recorded; the other scenarios still run
                        log(f"failed: {error}")
                        self.failures.append(f"run {run + 1} {kind} {scenario}: {error}")
                log(f"run {run + 1} {kind}: " + json.dumps(out))
                self.results[kind].append(out)
        self.sampler.stop.set()
        self.elapsed = time.time() - started


# --- the table -----------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def pick(runs, *path):
    values = []
    for run in runs:
        value = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(value)
    return median(values)


def fmt(value, unit="", digits=None):
    if value is None:
        return "–"
    if digits is None:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:,.{digits}f}".replace(",", "\u202f")
    return text + unit


def ratio(a, b):
    if a is None or b is None or b == 0 or a < 0:
        return "–"
    r = a / b
    return f"{r:.2f}" if r < 10 else f"{r:.1f}" if r < 100 else f"{r:.0f}"


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}"


def saturation(rate, runs):
    if not runs:
        return "–"
    return fmt(rate, "", 0) if rate else "none of the rates"


def table(bench):
    a = bench.args
    sb, sio = bench.results.get("sb", []), bench.results.get("sio", [])
    rows = []

    def row(label, path, unit="", digits=None, also=None, ratio_of_also=True, sb_root=None):
        """One scenario; `also` is a second figure shown after a slash (a p99 after a p50),
        and then the ratio is that of the second unless ratio_of_also is false. `sb_root`
        takes Switchboard's figures from another scenario than the paths' first key (the
        coalesced fan-out beside socket.io's plain one)."""
        def mine(p):
            return (sb_root,) + tuple(p[1:]) if sb_root else p
        x, y = pick(sb, *mine(path)), pick(sio, *path)
        cells = [fmt(x, unit, digits), fmt(y, unit, digits)]
        if also:
            x2, y2 = pick(sb, *mine(also)), pick(sio, *also)
            cells = [f"{fmt(x, '', digits)} / {fmt(x2, unit, digits)}",
                     f"{fmt(y, '', digits)} / {fmt(y2, unit, digits)}"]
            if ratio_of_also:
                x, y = x2, y2
        rows.append(f"| {label} | {cells[0]} | {cells[1]} | {ratio(x, y)} |")

    n = f"{a.idle:,}".replace(",", "\u202f")
    if "idle" in a.scenarios:
        row("cross-node DM p50, 0 idle connections", ("dm0", "p50_ms"), " ms")
        row("cross-node DM p99, 0 idle connections", ("dm0", "p99_ms"), " ms")
        row(f"cross-node DM p50, {n} idle connections per node", ("dm_idle", "p50_ms"), " ms")
        row(f"cross-node DM p99, {n} idle per node", ("dm_idle", "p99_ms"), " ms")
        row("node CPU per DM, 0 idle (both nodes)", ("dm0", "cpu_us_per_dm"), " us")
        row(f"node CPU per DM, {n} idle per node (both nodes)", ("dm_idle", "cpu_us_per_dm"),
            " us")
        row(f"node CPU while holding {n} idle per node (both nodes, % of one core)",
            ("idle_cpu_pct",), " %", 1)
        row(f"RSS per idle connection, {n}", ("kib_per_idle",), " KiB")
        row(f"connect rate while growing to {n}", ("connect_rate",), "/s")
        row(f"connect -> CONNECT p50, growing to {n}", ("connect_p50_ms",), " ms")
        row(f"connect -> CONNECT p99, growing to {n}", ("connect_p99_ms",), " ms")
        row(f"idle connections lost (of 2 × {n}: failed, or closed by the server while held)",
            ("idle_lost",), "", 0)
    if "polling" in a.scenarios:
        pn = f"{a.polling_idle:,}".replace(",", "\u202f")
        row("cross-node DM p50 over polling (sender and receiver polling), 0 idle",
            ("poll_dm", "p50_ms"), " ms")
        row("cross-node DM p99 over polling (sender and receiver polling), 0 idle",
            ("poll_dm", "p99_ms"), " ms")
        row("node CPU per DM over polling, 0 idle (both nodes)", ("poll_dm", "cpu_us_per_dm"),
            " us")
        row(f"RSS per parked polling session, {pn} per node", ("kib_per_poll",), " KiB")
        row("… server TCP connections per parked session (the GET's, and the POSTs' if kept)",
            ("sockets_per_poll",), "", 2)
        row(f"… connect -> CONNECT p99 over polling, growing to {pn}",
            ("poll_connect_p99_ms",), " ms")
        row(f"polling sessions lost (of 2 × {pn}: failed, or closed by the server while held)",
            ("poll_lost",), "", 0)
    if "fanout" in a.scenarios:
        m = f"{a.members:,}".replace(",", "\u202f")
        for rate in a.rates:
            r = float(rate)
            if pick(sb, "fanout", r, "deliveries_per_s") is None and \
                    pick(sio, "fanout", r, "deliveries_per_s") is None:
                continue
            offered = f"{int(r * a.members):,}".replace(",", "\u202f")
            row(f"fan-out {m} members, {rate} msgs/s ({offered} offered): deliveries/s",
                ("fanout", r, "deliveries_per_s"), "")
            row("… deliveries per server CPU-second (both nodes)", ("fanout", r, "per_cpu_s"), "")
            row("… server CPU per delivery: user / kernel", ("fanout", r, "user_us_per_delivery"),
                " us", 2, also=("fanout", r, "kernel_us_per_delivery"), ratio_of_also=False)
            row("… latency p50 / p99", ("fanout", r, "p50_ms"), " ms", also=("fanout", r, "p99_ms"))
            row(f"… not delivered {a.drain:g} s after the step", ("fanout", r, "lost"), "", 0)
            row("… server CPU / sbload CPU (% of one core)", ("fanout", r, "cpu_pct"), " %", 0,
                also=("fanout", r, "loadgen_pct"), ratio_of_also=False)
        sat = {}
        for kind, runs in (("sb", sb), ("sio", sio)):
            rates = []
            for run in runs:
                hit = [r for r, v in sorted(run.get("fanout", {}).items()) if v["saturated"]]
                rates.append(hit[0] if hit else None)
            sat[kind] = median(rates)
        rows.append(f"| fan-out: first saturated rate (msgs/s) | "
                    f"{saturation(sat['sb'], sb)} | {saturation(sat['sio'], sio)} | |")
    if "coalesced" in a.scenarios:
        m = f"{a.members:,}".replace(",", "\u202f")
        c = a.coalesce_ms
        for rate in a.rates:
            r = float(rate)
            if pick(sb, "coalesced", r, "deliveries_per_s") is None:
                continue

            def row_c(label, field, unit="", digits=None, also=None, ratio_of_also=True):
                row(label, ("fanout", r, field), unit, digits,
                    also=("fanout", r, also) if also else None, ratio_of_also=ratio_of_also,
                    sb_root="coalesced")
            row_c(f"fan-out {m} members, {rate} msgs/s, Switchboard with --write-coalesce {c} "
                  f"at every rate: deliveries/s", "deliveries_per_s")
            row_c("… deliveries per server CPU-second (both nodes)", "per_cpu_s")
            row_c("… server CPU per delivery: user / kernel", "user_us_per_delivery", " us", 2,
                  also="kernel_us_per_delivery", ratio_of_also=False)
            row_c("… latency p50 / p99", "p50_ms", " ms", also="p99_ms")
            row_c(f"… not delivered {a.drain:g} s after the step", "lost", "", 0)
    if "slow" in a.scenarios:
        row(f"{a.slow_pct}% slow readers in a room of {a.slow_members}, {a.slow_rate:g} msgs/s "
            f"of {a.slow_payload} B for {a.slow_seconds:g} s: server RSS growth (both nodes)",
            ("slow", "rss_growth_mib"), " MiB")
        row("… peak RSS growth", ("slow", "rss_peak_growth_mib"), " MiB")
        row("… slow readers cut off by the server", ("slow", "cut_off"), "", 0)
        row("… p99 of the other members", ("slow", "p99_ms"), " ms")
        row(f"… not delivered to the other members {a.drain:g} s after", ("slow", "lost"), "",
            0)
    loads = bench.sampler.loads
    header = [
        f"Machine: {machine()}; load average (1 min) during the run: min "
        f"{min(loads):.2f}, median {statistics.median(loads):.2f}, max {max(loads):.2f}. "
        f"Medians of {a.runs} run(s) per kind ({min(a.runs, a.idle_runs)} for the DM, idle, "
        f"connect and polling rows), kinds alternating; the run took "
        f"{bench.elapsed / 60:.1f} min" +
        (f"; every process of the benchmark at nice {a.nice}." if a.nice else "."),
        "",
        "| scenario | Switchboard | socket.io | ratio (Switchboard / socket.io) |",
        "|---|---|---|---|",
    ]
    notes = [""] + [f"- failed: {failure}" for failure in bench.failures] if bench.failures else []
    return "\n".join(header + rows + notes) + "\n"


def write_docs(path, text, command):
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise BenchError(f"{path} has no {BEGIN} ... {END} markers")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = f"{BEGIN}\nMeasured {stamp} with `{command}`.\n\n{text}{END}"
    with open(path, "w") as f:
        f.write(head + body + tail)


SCENARIOS = ("idle", "polling", "fanout", "coalesced", "slow")  # Bench.scenario_<name>, in order


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--node", default=os.path.join(ROOT, "build/server/switchboard-node"))
    p.add_argument("--sbload", default=os.path.join(ROOT, "build/tests/bench/sbload"))
    p.add_argument("--nodejs", default=shutil.which("node") or "node")
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--kinds", default="sb,sio", help="comma-separated: sb, sio")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--idle-runs", type=int, default=None,
                   help="runs of the idle and polling scenarios (the slow ones), default --runs")
    p.add_argument("--idle", type=int, default=15000, help="idle connections per node")
    p.add_argument("--polling-idle", type=int, default=5000,
                   help="parked polling sessions per node (sbload holds 2 descriptors each: "
                        "at most about half its RLIMIT_NOFILE)")
    p.add_argument("--polling-settle", type=float, default=7,
                   help="seconds between growing to --polling-idle and measuring")
    p.add_argument("--inflight", type=int, default=50, help="handshakes in flight while growing")
    # One ping interval (25 s, both servers' default) each: every idle connection is pinged
    # once while the idle CPU is measured, and once while the DMs are, wherever the ramp put
    # its pings.
    p.add_argument("--settle", type=float, default=25,
                   help="seconds between growing and the DMs, measuring idle CPU")
    p.add_argument("--dm-rate", type=float, default=100, help="DMs/s")
    p.add_argument("--dm-seconds", type=float, default=25)
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--rates", default="50,100,200,500,1000", help="fan-out msgs/s, stepped")
    p.add_argument("--step", type=float, default=4, help="seconds a fan-out step")
    p.add_argument("--coalesce-ms", type=int, default=40,
                   help="--write-coalesce of Switchboard's nodes in the coalesced scenario "
                        "(with --write-coalesce-above 0)")
    p.add_argument("--drain", type=float, default=15)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--slow-pct", type=int, default=10)
    # 400 messages of 20 kB: each slow reader is owed 8 MB, twice what the kernel may buffer
    # for its socket (tcp_wmem max 4 MiB here), so that the rest shows in the server's RSS,
    # and far past Switchboard's --max-buffered (1 MiB). A smaller room than --members, so
    # that the readers that keep up do not move gigabytes.
    p.add_argument("--slow-members", type=int, default=200)
    p.add_argument("--slow-rate", type=float, default=20)
    p.add_argument("--slow-seconds", type=float, default=20)
    p.add_argument("--slow-payload", type=int, default=20000)
    p.add_argument("--step-timeout", type=float, default=120)
    p.add_argument("--nice", type=int, default=0,
                   help="niceness of every child (negative: ahead of other work on a shared "
                        "machine; needs root)")
    p.add_argument("--quick", action="store_true",
                   help="a small smoke run: 1 run, 50 idle (WebSocket and polling), 20 DMs "
                        "(WebSocket and polling), 20 members; fails on loss")
    p.add_argument("--require-no-loss", action="store_true")
    p.add_argument("--json", help="write the raw results here")
    p.add_argument("--write-docs", metavar="FILE", help="put the table between the markers")
    p.add_argument("--command", help="the command named in the docs (default: this one)")
    a = p.parse_args()
    if a.quick:
        a.runs, a.idle, a.inflight, a.settle = 1, 50, 50, 0.5
        a.polling_idle, a.polling_settle = 50, 0.5
        a.dm_rate, a.dm_seconds, a.warmup = 20, 1, 0.5
        a.members, a.rates, a.step, a.drain = 20, "20,50", 1, 5
        a.slow_members, a.slow_rate, a.slow_seconds, a.slow_payload = 20, 20, 1, 100
        a.require_no_loss = True
    if a.idle_runs is None:
        a.idle_runs = a.runs
    a.kinds = [k for k in a.kinds.split(",") if k]
    a.scenarios = [s for s in a.scenarios.split(",") if s]
    a.rates = list(dict.fromkeys(float(r) if "." in r else int(r) for r in a.rates.split(",")))
    if set(a.kinds) - set(NAMES) or set(a.scenarios) - set(SCENARIOS):
        p.error("unknown kind or scenario")
    for path in ([a.node] if "sb" in a.kinds else []) + [a.sbload]:
        if not os.access(path, os.X_OK):
            p.error(f"{path} is not an executable: build it first (make build)")
    if "sio" in a.kinds and not os.path.exists(os.path.join(HERE, "node_modules", "socket.io")):
        p.error("tests/bench/node_modules is missing: run `npm ci` in tests/bench")
    global NICE
    NICE = a.nice
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    bench = Bench(a)
    log(f"child logs in {bench.logdir}")
    try:
        bench.run()
    except BenchError as error:
        log(f"failed: {error}")
        return 1
    text = table(bench)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(bench.results, f, indent=1, default=str)
    if a.write_docs:
        write_docs(a.write_docs, text, a.command or " ".join(["tests/bench/run-bench.py"] +
                                                             sys.argv[1:]))
    for failure in bench.failures:
        log("FAILED:", failure)
    if bench.failures:
        log(f"the servers' and sbload's logs are kept in {bench.logdir}")
        return 1 if a.require_no_loss else 0
    shutil.rmtree(bench.logdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
