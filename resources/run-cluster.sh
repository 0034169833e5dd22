#!/usr/bin/env bash
# `make run`: a private redis-server (unless REDIS_URL is set) and two switchboard-nodes on
# PORT and PORT+1. Prints the URLs; Ctrl-C stops everything and removes the temporary files.
# `make run LB=1` (LB=1 in the environment): HAProxy with resources/haproxy/haproxy.cfg in front
# of two chat nodes (PORT, PORT+1) and a notify node (PORT+2), listening on LB_PORT (default
# 8080, or the next free port), its stats page on 127.0.0.1:8404 (or the next free port). A node
# that exits 0 after a drain (kill -TERM) is started again, as systemd's Restart= would: a
# rolling deploy, one node at a time.
set -euo pipefail

node_bin=${1:?usage: run-cluster.sh path/to/switchboard-node [path/to/switchboard-console]}
console_bin=${2:-}
port=${PORT:-3000}
lb=${LB:-}
[[ "$lb" == 0 ]] && lb=
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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

names=(node-1 node-2)
[[ -n "$lb" ]] && names=(chat-1 chat-2 notify-1)
for i in "${!names[@]}"; do
  p=$((port + i))
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

# Behind HAProxy, a node that exits 0 (drained after SIGTERM) is started again; its pid is in
# $tmp/<name>.pid. Any other exit, or a signal to this loop, ends it.
supervise() {
  local name=$1 child=
  shift
  trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
  while :; do
    "$node_bin" "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
    child=$!
    echo "$child" >"$tmp/$name.pid"
    local code=0
    wait "$child" || code=$?
    ((code == 0)) || exit "$code"
    echo "[$name] exited after its drain: starting it again"
  done
}

for i in "${!names[@]}"; do
  p=$((port + i))
  name=${names[$i]}
  if [[ -n "$lb" ]]; then
    supervise "$name" --port "$p" --name "$name" --redis "$REDIS_URL" &
  else
    "$node_bin" --port "$p" --name "$name" --redis "$REDIS_URL" > >(sed -u "s/^/[$name] /") 2>&1 &
  fi
  pids+=($!)
done

for i in "${!names[@]}"; do
  p=$((port + i))
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

if [[ -n "$lb" ]]; then
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] ||
    { echo "haproxy not found: apt-get install haproxy" >&2; exit 1; }
  haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
  lb_port=${LB_PORT:-8080}
  until port_free "$lb_port"; do lb_port=$((lb_port + 1)); done
  stats_port=8404
  until port_free "$stats_port" && ((stats_port != lb_port)); do stats_port=$((stats_port + 1)); done
  SB_LB_BIND="127.0.0.1:$lb_port" SB_STATS_PORT="$stats_port" \
    SB_CHAT1="127.0.0.1:$port" SB_CHAT2="127.0.0.1:$((port + 1))" SB_NOTIFY1="127.0.0.1:$((port + 2))" \
    "$haproxy_bin" -db -f "$script_dir/haproxy/haproxy.cfg" > >(sed -u "s/^/[haproxy] /") 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$lb_port/haproxy-health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$lb_port/haproxy-health" >/dev/null 2>&1 ||
    { echo "haproxy did not come up on port $lb_port" >&2; exit 1; }
  cat <<MSG

Switchboard cluster behind HAProxy is up:
  chat     http://localhost:$lb_port/  (or http://chat.localhost:$lb_port/): chat-1 and chat-2
  notify   http://notify.localhost:$lb_port/: notify-1 (Socket.IO clients may also use the
           path prefix: io("http://localhost:$lb_port", { path: "/notify/socket.io/" }))
  stats    http://127.0.0.1:$stats_port/   HAProxy's view of the nodes (UP, DOWN, sessions)
  nodes    http://localhost:$port/ .. http://localhost:$((port + 2))/ directly
  Redis:   $REDIS_URL
Open the chat page in two browsers (or a window and a private one: HAProxy's cookie keeps one
browser on one node): HAProxy spreads them over chat-1 and chat-2.
Drain a node as a rolling deploy would: kill -TERM \$(cat $tmp/chat-1.pid)
  (HAProxy marks it down within a second, its clients move to chat-2 after its --drain-ms, and it
  starts again.) Ctrl-C stops everything.
MSG
else
  cat <<MSG

Switchboard cluster is up:
  node-1   http://localhost:$port/        (health: http://localhost:$port/healthz)
  node-2   http://localhost:$((port + 1))/        (health: http://localhost:$((port + 1))/healthz)
  Socket.IO clients: io("http://localhost:$port", { transports: ["websocket"] })
  Redis:   $REDIS_URL
Open both pages, join the same room in each and send: the message crosses the nodes.
Ctrl-C stops everything.
MSG
fi

if [[ -n "$console_bin" && -x "$console_bin" && -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  "$console_bin" --redis "$REDIS_URL" &
  pids+=($!)
fi

wait -n "${pids[@]}" || true
echo "a process stopped; shutting the rest down" >&2
