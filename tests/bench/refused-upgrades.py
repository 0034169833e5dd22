#!/usr/bin/env python3
"""RSS of a switchboard-node before and after N refused WebSocket upgrades (default 20 000).

Starts its own node on a free loopback port, sends the upgrades from `--parallel` concurrent
connections (EIO=3, which every node refuses with 400), waits until the node has answered all
of them, and reads VmRSS from /proc/<pid>/status: at start, after a warm-up of 500 refusals
(allocator pools and Qt's lazily built state), and after the whole run. Median of --runs runs.

Usage: tests/bench/refused-upgrades.py [--node build/server/switchboard-node] [--count 20000]
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time

REQUEST = (
    b"GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: bench\r\n"
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def refuse(port, count, parallel):
    """Sends `count` upgrades, `parallel` at a time; returns how many got a 400."""
    refused = 0
    sent = 0
    while sent < count:
        batch = []
        for _ in range(min(parallel, count - sent)):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(REQUEST)
            batch.append(s)
            sent += 1
        for s in batch:
            reply = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            s.close()
            if reply.startswith(b"HTTP/1.1 400"):
                refused += 1
    return refused


def one_run(node, count, parallel):
    proc = subprocess.Popen(
        [node, "--host", "127.0.0.1", "--port", "0", "--drain-ms", "0", "--log", "switchboard.http.info=false"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = None
        deadline = time.time() + 10
        while time.time() < deadline and port is None:
            line = proc.stdout.readline()
            match = re.search(r"listening on http://[^\s]+:(\d+)/", line)
            if match:
                port = int(match.group(1))
        if port is None:
            raise RuntimeError("the node did not report its port")
        start = rss_kib(proc.pid)
        refuse(port, 500, parallel)
        time.sleep(0.5)
        baseline = rss_kib(proc.pid)
        began = time.time()
        refused = refuse(port, count, parallel)
        elapsed = time.time() - began
        time.sleep(1.0)  # deleteLater() of the last sockets
        after = rss_kib(proc.pid)
        return {"start": start, "baseline": baseline, "after": after, "refused": refused, "seconds": elapsed}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--node", default=os.path.join(root, "build/server/switchboard-node"))
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--parallel", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.node, args.count, args.parallel) for _ in range(args.runs)]
    for i, r in enumerate(runs, 1):
        print(
            f"run {i}: {r['refused']}/{args.count} refused in {r['seconds']:.1f} s; RSS start "
            f"{r['start'] / 1024:.1f} MiB, after warm-up {r['baseline'] / 1024:.1f} MiB, after "
            f"{r['after'] / 1024:.1f} MiB (+{(r['after'] - r['baseline']) / 1024:.1f} MiB)"
        )
    growth = statistics.median((r["after"] - r["baseline"]) / 1024 for r in runs)
    print(f"median RSS growth over {args.count} refused upgrades: {growth:.1f} MiB")
    if any(r["refused"] != args.count for r in runs):
        print("not every upgrade was refused with 400", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
