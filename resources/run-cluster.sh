#!/usr/bin/env bash
# `make run`: a private redis-server (unless REDIS_URL is set) and two switchboard-nodes on
# PORT and PORT+1. Prints the URLs; Ctrl-C stops everything and removes the temporary files.
set -euo pipefail

node_bin=${1:?usage: run-cluster.sh path/to/switchboard-node [path/to/switchboard-console]}
console_bin=${2:-}
port=${PORT:-3000}
tmp=$(mktemp -d -t switchboard-run.XXXXXX)
pids=()

cleanup() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  echo "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$port" "$((port + 1))"; do
  port_free "$p" || { echo "port $p is in use: set PORT=... to use others" >&2; exit 1; }
done

if [[ -z "${REDIS_URL:-}" ]]; then
  redis_port=6390
  until port_free "$redis_port"; do redis_port=$((redis_port + 1)); done
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$tmp" --logfile "$tmp/redis.log" &
  pids+=($!)
  for _ in $(seq 50); do
    [[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" == PONG ]] && break
    sleep 0.1
  done
  [[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" == PONG ]] ||
    { echo "redis-server did not start; its log:" >&2; cat "$tmp/redis.log" >&2; exit 1; }
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  echo "private redis-server: $REDIS_URL (no persistence, in $tmp)"
else
  echo "using REDIS_URL=$REDIS_URL"
fi

for i in 0 1; do
  p=$((port + i))
  name="node-$((i + 1))"
  "$node_bin" --port "$p" --name "$name" --redis "$REDIS_URL" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
done

for i in 0 1; do
  p=$((port + i))
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

cat <<MSG

Switchboard cluster is up:
  node-1   http://localhost:$port/        (health: http://localhost:$port/healthz)
  node-2   http://localhost:$((port + 1))/        (health: http://localhost:$((port + 1))/healthz)
  Socket.IO clients: io("http://localhost:$port", { transports: ["websocket"] })
  Redis:   $REDIS_URL
Open both pages, join the same room in each and send: the message crosses the nodes.
Ctrl-C stops everything.
MSG

if [[ -n "$console_bin" && -x "$console_bin" && -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  "$console_bin" --redis "$REDIS_URL" &
  pids+=($!)
fi

wait -n "${pids[@]}" || true
echo "a process stopped; shutting the rest down" >&2
