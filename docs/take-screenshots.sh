#!/usr/bin/env bash
# Takes the README screenshots from a real console window under Xvfb: a private
# redis-server, two switchboard-nodes, socket.io clients sending messages, then
# `switchboard-console --screenshots docs/images`. Usage: docs/take-screenshots.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
out=$root/docs/images
tmp=$(mktemp -d -t switchboard-shots.XXXXXX)
pids=()
cleanup() {
  ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
redis_port=6490
until port_free "$redis_port"; do redis_port=$((redis_port + 1)); done
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$tmp" \
  --logfile "$tmp/redis.log" &
pids+=($!)
for _ in $(seq 50); do [[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" == PONG ]] && break; sleep 0.1; done
url="redis://127.0.0.1:$redis_port"

urls=()
for name in node-a node-b; do
  "$build/server/switchboard-node" --host 127.0.0.1 --port 0 --name "$name" --redis "$url" >"$tmp/$name.out" 2>&1 &
  pids+=($!)
done
for name in node-a node-b; do
  for _ in $(seq 50); do grep -q "listening on" "$tmp/$name.out" && break; sleep 0.1; done
  urls+=("$(grep -o 'http://[^ ]*:[0-9]*' "$tmp/$name.out" | head -1 | sed 's/localhost/127.0.0.1/')")
done

node "$root/docs/screenshot-traffic.js" 90 "${urls[@]}" &
pids+=($!)

mkdir -p "$out"
# A real X server and a real window; 20 s lets the charts gather some history.
xvfb-run -a -s "-screen 0 1400x900x24" \
  "$build/console/switchboard-console" --redis "$url" --screenshots "$out" --screenshot-delay 20000
ls -l "$out"
