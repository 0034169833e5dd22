#!/usr/bin/env bash
# The admin console under load: CPU, memory and responsiveness of switchboard-console while it
# shows a cluster of 4 switchboard-node processes holding 20 000 sockets that relay 5 000
# messages/s. Everything runs on this machine over loopback and is stopped on exit.
#
#   tests/bench/console-bench.sh [--build DIR] [--out DIR] [--sockets N] [--rate N]
#                                [--duration S] [--idle S] [--nodes N] [--loaders N]
#                                [--rooms N] [--tab NAME] [--display xvfb|offscreen]
#                                [--quiet-wait S]
#
# Before starting, waits (at most --quiet-wait s, default 300) for the machine to be quiet:
# other processes below 25 % of the machine's CPU over 3 s; the figure goes into run.txt.
# Phases (the CSV of samples labels each row with its phase):
#   start     redis-server, the nodes, the console (Xvfb, or Qt's offscreen platform)
#   ramp      the load generators (tests/bench/load.js) open --sockets sockets in batches, each
#             joining one of --rooms rooms (CONNECT to /, then the built-in `join` event)
#   catchup   until the nodes' presence records count every socket and the console's CPU has
#             dropped below 15 % for 3 s in a row (at most 120 s): it has taken in every socket
#   idle      --idle s with every socket connected and no messages
#   warmup    the first 5 s of sending, not measured
#   load      --duration s of `send` events to rooms at --rate msgs/s in total: the measurement
#   tail      8 more seconds of sending, for screenshots of the other views (not measured)
#   after     10 s after the last message, sockets still connected
#   teardown  the load generators disconnect every socket; 15 s
# Each second the sampler reads utime+stime (/proc/<pid>/stat) and VmRSS (/proc/<pid>/status)
# of the console, every node, redis-server, Xvfb and the load generators; the machine's CPU
# and its share in interrupts (/proc/stat: loopback networking runs largely in softirq);
# Redis' PUBLISH count (INFO commandstats); and the output buffer Redis holds for the
# console's connections (CLIENT LIST omem: it grows when the console reads too slowly).
# Under Xvfb (the default when Xvfb, cc and the libX11 headers are there), the console's
# window shows --tab (default sockets; switched with Ctrl+<n> through XTest, tests/bench/
# xtool.py), and tests/bench/wmping (built here from wmping.c) sends it a _NET_WM_PING four
# times a second and times the answer, which Qt sends from the GUI thread's event loop: the
# time an input event would wait. Screenshots go to <out>/*.png. With --display offscreen
# (QT_QPA_PLATFORM=offscreen) the console shows its first tab (nodes), and there is neither
# ping nor screenshot: its CPU is then the only sign of responsiveness.
#
# Results: <out>/summary.txt (per phase), samples.csv, phases.txt, wmping.txt, run.txt, the
# logs of every process and the screenshots; <out> is a new /tmp/console-bench.* without
# --out.
#
# Needs: redis-server, redis-cli, node, python3, and for the window Xvfb, cc and libX11 headers.
# Open files: each node holds sockets/nodes connections and each generator sockets/loaders; the
# soft limit is raised to the hard one, which must cover them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

BUILD_DIR="${BUILD_DIR:-$REPO/build}"
OUT=""
SOCKETS=20000
RATE=5000
DURATION=60
IDLE=15
NODES=4
LOADERS=4
ROOMS=5000
TAB=sockets
DISPLAY_MODE=auto
WARMUP=5
TAIL=8
AFTER=10
TEARDOWN=15
QUIET_WAIT=300

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --build) BUILD_DIR="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --sockets) SOCKETS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --loaders) LOADERS="$2"; shift 2 ;;
    --rooms) ROOMS="$2"; shift 2 ;;
    --tab) TAB="$2"; shift 2 ;;
    --display) DISPLAY_MODE="$2"; shift 2 ;;
    --quiet-wait) QUIET_WAIT="$2"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "console-bench: unknown argument $1" >&2; usage 2 ;;
    esac
done
for n in SOCKETS RATE DURATION IDLE NODES LOADERS ROOMS QUIET_WAIT; do
    [[ "${!n}" =~ ^[0-9]+$ ]] || { echo "console-bench: $n must be a number" >&2; exit 2; }
done
case "$TAB" in nodes) TAB_KEY=1 ;; sockets) TAB_KEY=2 ;; rooms) TAB_KEY=3 ;; traffic) TAB_KEY=4 ;; charts) TAB_KEY=5 ;;
*) echo "console-bench: --tab is one of nodes, sockets, rooms, traffic, charts" >&2; exit 2 ;; esac

NODE_BIN="$BUILD_DIR/server/switchboard-node"
CONSOLE_BIN="$BUILD_DIR/console/switchboard-console"
for f in "$NODE_BIN" "$CONSOLE_BIN"; do
    [ -x "$f" ] || { echo "console-bench: $f not found (build it, or pass --build DIR)" >&2; exit 2; }
done
for tool in redis-server redis-cli node python3; do
    command -v "$tool" > /dev/null || { echo "console-bench: $tool is needed" >&2; exit 2; }
done
if [ "$DISPLAY_MODE" = auto ]; then
    if command -v Xvfb > /dev/null && command -v cc > /dev/null && [ -e /usr/include/X11/Xlib.h ]; then
        DISPLAY_MODE=xvfb
    else
        DISPLAY_MODE=offscreen
    fi
fi

# Open files: raise the soft limit to the hard one and check it covers the biggest process.
ulimit -n "$(ulimit -Hn)" 2> /dev/null || true
PER_NODE=$(((SOCKETS + NODES - 1) / NODES))
PER_LOADER=$(((SOCKETS + LOADERS - 1) / LOADERS))
LIMIT=$(ulimit -n)
if [ "$LIMIT" != unlimited ] && { [ $((PER_NODE + 200)) -gt "$LIMIT" ] || [ $((PER_LOADER + 200)) -gt "$LIMIT" ]; }; then
    echo "console-bench: open files limit $LIMIT is too low for $PER_NODE sockets a node and $PER_LOADER a generator: use more --nodes/--loaders" >&2
    exit 2
fi

WORK="$(mktemp -d /tmp/console-bench.XXXXXX)"
[ -n "$OUT" ] || OUT="$WORK/out"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
PHASES="$OUT/phases.txt"  # "<epoch ms> <phase>" a line
SAMPLES="$OUT/samples.csv"
PINGS="$OUT/wmping.txt"
: > "$PHASES"

PIDS=()      # everything started, in order
LOADER_PIDS=()
STOP_FILE="$WORK/stop"

log() { printf '%s console-bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now_ms() { local t=$EPOCHREALTIME; echo "${t/./}" | cut -c1-13; }
phase() {
    echo "$(now_ms) $1" >> "$PHASES"
    echo "$1" > "$WORK/phase"
    log "phase $1"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    touch "$STOP_FILE" 2> /dev/null || true
    # Load generators first (they close their sockets cleanly on SIGTERM), then the rest in
    # reverse order of start; each gets 10 s before SIGKILL.
    local pid
    for pid in "${LOADER_PIDS[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2> /dev/null || true; done
    local deadline=$((SECONDS + 10))
    for pid in "${PIDS[@]}"; do
        while kill -0 "$pid" 2> /dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        kill -KILL "$pid" 2> /dev/null || true
    done
    wait 2> /dev/null || true
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK/redis" "$WORK/runtime" "$WORK/config"
    log "stopped everything; results in $OUT"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits (at most $2 s) until the command in $3... succeeds.
wait_for() {
    local what="$1" limit="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || { log "timed out after ${limit} s waiting for $what"; return 1; }
        sleep 0.2
    done
}

# --- a quiet machine ---------------------------------------------------------------------
machine_busy() { # % of all cores busy over the next 3 s
    local cpu u1 n1 s1 i1 w1 q1 sq1 st1 rest u2 n2 s2 i2 w2 q2 sq2 st2
    read -r cpu u1 n1 s1 i1 w1 q1 sq1 st1 rest < /proc/stat
    sleep 3
    read -r cpu u2 n2 s2 i2 w2 q2 sq2 st2 rest < /proc/stat
    local busy=$(((u2 + n2 + s2 + q2 + sq2 + st2) - (u1 + n1 + s1 + q1 + sq1 + st1)))
    local idle=$(((i2 + w2) - (i1 + w1)))
    echo $((100 * busy / (busy + idle > 0 ? busy + idle : 1)))
}
quiet_deadline=$((SECONDS + QUIET_WAIT))
while :; do
    BACKGROUND_CPU=$(machine_busy)
    [ "$BACKGROUND_CPU" -ge 25 ] && [ $SECONDS -lt $quiet_deadline ] || break
    log "the machine is busy with other processes (${BACKGROUND_CPU} % of its CPU): waiting"
done
log "other processes use ${BACKGROUND_CPU} % of the machine's CPU at start"

phase start

# --- redis-server -------------------------------------------------------------------------
mkdir -p "$WORK/redis"
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/redis" \
    --maxclients 1000 > "$OUT/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
wait_for "redis-server" 10 bash -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping 2> /dev/null | grep -q PONG"

# --- nodes --------------------------------------------------------------------------------
NODE_PIDS=()
NODE_PORTS=()
for ((i = 0; i < NODES; i++)); do
    "$NODE_BIN" --port 0 --host 127.0.0.1 --drain-ms 0 --redis "$REDIS_URL" --name "bench-$i" \
        > "$OUT/node-$i.out" 2> "$OUT/node-$i.err" &
    NODE_PIDS+=($!)
    PIDS+=($!)
done
for ((i = 0; i < NODES; i++)); do
    wait_for "node $i" 15 grep -q '^switchboard-node .* listening on http://' "$OUT/node-$i.out"
    NODE_PORTS+=("$(sed -n 's|^switchboard-node .* listening on http://[^/]*:\([0-9]*\)/.*|\1|p' "$OUT/node-$i.out" | head -1)")
done
log "redis at $REDIS_URL, nodes on ports ${NODE_PORTS[*]}"

# --- the console --------------------------------------------------------------------------
mkdir -p "$WORK/runtime" "$WORK/config"
chmod 700 "$WORK/runtime"
CONSOLE_ENV=(XDG_RUNTIME_DIR="$WORK/runtime" XDG_CONFIG_HOME="$WORK/config")
if [ "$DISPLAY_MODE" = xvfb ]; then
    cc -O2 -o "$WORK/wmping" "$HERE/wmping.c" -lX11
    exec {displayfd}> "$WORK/display"
    Xvfb -displayfd "$displayfd" -screen 0 1280x800x24 -nolisten tcp > "$OUT/xvfb.log" 2>&1 &
    PIDS+=($!)
    XVFB_PID=$!
    exec {displayfd}>&-
    wait_for "Xvfb" 10 test -s "$WORK/display"
    export DISPLAY=":$(head -1 "$WORK/display")"
    CONSOLE_ENV+=(DISPLAY="$DISPLAY")
    log "Xvfb on $DISPLAY"
else
    CONSOLE_ENV+=(QT_QPA_PLATFORM=offscreen)
fi
env "${CONSOLE_ENV[@]}" "$CONSOLE_BIN" --redis "$REDIS_URL" > "$OUT/console.log" 2>&1 &
CONSOLE_PID=$!
PIDS+=("$CONSOLE_PID")
log "console pid $CONSOLE_PID ($DISPLAY_MODE)"

console_alive() { kill -0 "$CONSOLE_PID" 2> /dev/null; }
screenshot() { # name
    [ "$DISPLAY_MODE" = xvfb ] && console_alive || return 0
    python3 "$HERE/xtool.py" shot "$OUT/$1.png" || log "screenshot $1 failed"
}
show_tab() { # number 1-5
    [ "$DISPLAY_MODE" = xvfb ] && console_alive || return 0
    python3 "$HERE/xtool.py" key "ctrl+$1" "$CONSOLE_PID" || log "could not switch to tab $1"
}

# --- the sampler --------------------------------------------------------------------------
# One CSV row a second until the stop file appears (and at most 3600 rows).
SAMPLED=("console:$CONSOLE_PID" "redis:$REDIS_PID")
for ((i = 0; i < NODES; i++)); do SAMPLED+=("node$i:${NODE_PIDS[i]}"); done
[ -z "${XVFB_PID:-}" ] || SAMPLED+=("xvfb:$XVFB_PID")
# Integer arithmetic only (no process a sample but redis-cli), so that the sampler stays cheap.
usec() { local t=${1/./}; echo $((10#$t)); }       # EPOCHREALTIME -> microseconds
decimal() { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); } # tenths -> "12.3"
rss_kib() { # pid -> VmRSS in KiB, or nothing
    local key value unit
    while read -r key value unit; do
        [ "$key" != VmRSS: ] || { echo "$value"; return; }
    done 2> /dev/null < "/proc/$1/status"
}
ticks_of() { # pid -> utime+stime in clock ticks, or nothing
    local stat fields
    read -r stat 2> /dev/null < "/proc/$1/stat" || return 0
    read -ra fields <<< "${stat##*) }"
    echo $((fields[11] + fields[12]))
}
sampler() {
    set +e # a process that ends meanwhile is a blank cell, not the end of the sampler
    local hz entry n
    hz=$(getconf CLK_TCK)
    local -A prev_ticks=()
    local prev_us="" prev_busy=0 prev_total=0 prev_pub=0 prev_irq=0
    local header="time,phase,machine_cpu,machine_irq,publish_per_s,console_omem_kib"
    for entry in "${SAMPLED[@]}" loaders:0; do header+=",${entry%%:*}_cpu,${entry%%:*}_rss_mib"; done
    echo "$header"
    local loader_pids=()
    for ((n = 0; n < 3600; n++)); do
        [ ! -e "$STOP_FILE" ] || break
        local t=$EPOCHREALTIME phase_now row="" us dt_us
        us=$(usec "$t")
        read -r phase_now < "$WORK/phase" || phase_now=unknown
        [ ! -s "$WORK/loader-pids" ] || read -ra loader_pids < "$WORK/loader-pids"
        local cpu user nice system idle iowait irq softirq steal rest busy total irqs
        read -r cpu user nice system idle iowait irq softirq steal rest < /proc/stat
        busy=$((user + nice + system + irq + softirq + steal))
        irqs=$((irq + softirq))
        total=$((busy + idle + iowait))
        # Redis: PUBLISH calls so far, and the largest output buffer of the console's connections
        local info pub=0 line omem=0 word v
        while read -r line; do
            [[ "$line" != cmdstat_publish:calls=* ]] || { line=${line#cmdstat_publish:calls=}; pub=${line%%,*}; }
        done < <(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info commandstats 2> /dev/null)
        while read -r line; do
            [[ "$line" == *name=switchboard-console* ]] || continue
            for word in $line; do
                [[ "$word" != omem=* ]] || { v=${word#omem=}; [ "$v" -le "$omem" ] || omem=$v; }
            done
        done < <(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" client list 2> /dev/null)
        if [ -n "$prev_us" ]; then
            dt_us=$((us - prev_us))
            local db=$((busy - prev_busy)) dtot=$((total - prev_total))
            row="$t,$phase_now,$(decimal $((dtot > 0 ? 1000 * db / dtot : 0)))"
            row+=",$(decimal $((dtot > 0 ? 1000 * (irqs - prev_irq) / dtot : 0)))"
            row+=",$(((pub - prev_pub) * 1000000 / dt_us)),$((omem / 1024))"
        fi
        for entry in "${SAMPLED[@]}" loaders:0; do
            local name=${entry%%:*} pid=${entry#*:} ticks="" rss="" lp tk rk
            if [ "$name" = loaders ]; then
                ticks=0 rss=0
                for lp in "${loader_pids[@]}"; do
                    tk=$(ticks_of "$lp")
                    rk=$(rss_kib "$lp")
                    ticks=$((ticks + ${tk:-0})) rss=$((rss + ${rk:-0}))
                done
                [ ${#loader_pids[@]} -gt 0 ] || { ticks="" rss=""; }
            else
                ticks=$(ticks_of "$pid")
                rss=$(rss_kib "$pid")
            fi
            if [ -n "$prev_us" ]; then
                if [ -n "$ticks" ] && [ -n "${prev_ticks[$name]:-}" ] && [ "$ticks" -ge "${prev_ticks[$name]}" ]; then
                    # tenths of a percent of one core
                    row+=",$(decimal $(((ticks - prev_ticks[$name]) * 1000 * 1000000 / (hz * dt_us))))"
                else
                    row+=","
                fi
                if [ -n "$rss" ]; then row+=",$(decimal $((rss * 10 / 1024)))"; else row+=","; fi
            fi
            prev_ticks[$name]=$ticks
        done
        [ -z "$prev_us" ] || echo "$row"
        prev_us=$us prev_busy=$busy prev_total=$total prev_pub=$pub prev_irq=$irqs
        local left=$((1000000 - ($(usec "$EPOCHREALTIME") - us)))
        [ $left -gt 50000 ] || left=50000
        sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
    done
}
: > "$WORK/loader-pids"
sampler > "$SAMPLES" &
PIDS+=($!)

# Console CPU over the last $1 samples, all below $2 %?
console_quiet() {
    tail -n "$1" "$SAMPLES" | awk -F, -v n="$1" -v limit="$2" '
        $7 != "" { count++; if ($7 + 0 >= limit) loud++ }
        END { exit !(count >= n && loud == 0) }'
}

# --- the window and the responsiveness probe -----------------------------------------------
if [ "$DISPLAY_MODE" = xvfb ]; then
    wait_for "the console's window" 20 bash -c "xwininfo -root -tree 2> /dev/null | grep -q 'Switchboard console'" ||
        true
    sleep 1
    show_tab "$TAB_KEY"
    # 4 pings a second for at most an hour; each waits at most 10 s.
    "$WORK/wmping" "$CONSOLE_PID" 14400 250 10000 > "$PINGS" 2> "$OUT/wmping.err" &
    PIDS+=($!)
fi
sleep 2
console_alive || { log "the console exited at start:"; cat "$OUT/console.log" >&2; exit 1; }

# --- ramp-up --------------------------------------------------------------------------------
phase ramp
PER_RATE=$(((RATE + LOADERS - 1) / LOADERS))
SEND_SECONDS=$((WARMUP + DURATION + TAIL))
for ((l = 0; l < LOADERS; l++)); do
    # Each generator spreads its sockets over every node, starting at a different one, so that
    # the members of a room are on different nodes.
    ports=()
    for ((i = 0; i < NODES; i++)); do ports+=("${NODE_PORTS[(i + l) % NODES]}"); done
    count=$PER_LOADER
    [ $((l * PER_LOADER + count)) -le "$SOCKETS" ] || count=$((SOCKETS - l * PER_LOADER))
    node "$HERE/load.js" --ports "$(IFS=,; echo "${ports[*]}")" --sockets "$count" \
        --index-offset $((l * PER_LOADER)) --rooms "$ROOMS" --batch 250 --batch-pause-ms 250 \
        --rate "$PER_RATE" --duration "$SEND_SECONDS" --start signal --start-timeout 600 \
        --hold 600 --report-every 10 --label "load-$l" > "$OUT/load-$l.jsonl" 2> "$OUT/load-$l.err" &
    LOADER_PIDS+=($!)
    PIDS+=($!)
done
echo "${LOADER_PIDS[*]}" > "$WORK/loader-pids"
ramp_started=$SECONDS
all_ready() {
    local l
    for ((l = 0; l < LOADERS; l++)); do
        grep -q '"event":"ready"' "$OUT/load-$l.jsonl" 2> /dev/null || {
            kill -0 "${LOADER_PIDS[l]}" 2> /dev/null || { log "load generator $l died"; cat "$OUT/load-$l.err" >&2; exit 1; }
            return 1
        }
    done
}
wait_for "the load generators' ramp-up" 600 all_ready
connected=$(cat "$OUT"/load-*.jsonl | sed -n 's/.*"event":"ready".*"connected":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
log "ramp-up done in $((SECONDS - ramp_started)) s: $connected sockets connected"

# --- catch-up: the nodes count every socket and the console is quiet ------------------------
phase catchup
catchup_started=$EPOCHREALTIME
cluster_sockets() {
    local key total=0 n
    for key in $(rcli --scan --pattern 'socket.io-switchboard#node#*'); do
        n=$(rcli get "$key" | sed -n 's/.*"connections":{"\/":\([0-9]*\).*/\1/p')
        total=$((total + ${n:-0}))
    done
    echo "$total"
}
deadline=$((SECONDS + 60))
while [ "$(cluster_sockets)" -lt "$connected" ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
log "presence records count $(cluster_sockets) sockets"
wait_for "the console to settle (CPU below 15 % for 3 s)" 120 console_quiet 3 15 ||
    log "the console did not settle: measuring anyway"
catchup_seconds=$(awk -v a="$catchup_started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
console_alive || { log "the console died during the ramp-up"; tail -20 "$OUT/console.log" >&2; exit 1; }
screenshot "1-after-rampup"

# --- idle: every socket, no messages -------------------------------------------------------
phase idle
sleep "$IDLE"

# --- load ------------------------------------------------------------------------------------
phase warmup
for pid in "${LOADER_PIDS[@]}"; do kill -USR1 "$pid"; done
sleep "$WARMUP"
phase load
sleep $((DURATION / 2))
screenshot "2-under-load-$TAB"
sleep $((DURATION - DURATION / 2))
phase tail
tail_started=$SECONDS
TAB_NAMES=(- nodes sockets rooms traffic charts)
shot=3
for t in 1 2 4; do # nodes, sockets, traffic (the measured one is already taken)
    [ "$t" = "$TAB_KEY" ] && continue
    show_tab "$t"
    sleep 1
    screenshot "$shot-under-load-${TAB_NAMES[t]}"
    shot=$((shot + 1))
done
show_tab "$TAB_KEY"
while [ $((SECONDS - tail_started)) -lt "$TAIL" ]; do sleep 0.2; done
wait_for "the generators' reports" 30 bash -c "[ \$(cat '$OUT'/load-*.jsonl | grep -c '\"final\":true') -ge $LOADERS ]" || true
phase after
sleep "$AFTER"
screenshot "5-after-load"

# --- teardown: every socket disconnects -----------------------------------------------------
phase teardown
for pid in "${LOADER_PIDS[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
sleep "$TEARDOWN"
screenshot "6-after-teardown"
phase end
touch "$STOP_FILE"
sleep 1.2
alive=yes
console_alive || alive=no

# --- summary ---------------------------------------------------------------------------------
{
    echo "sockets=$SOCKETS connected=$connected rate=$RATE duration=$DURATION nodes=$NODES loaders=$LOADERS rooms=$ROOMS tab=$TAB display=$DISPLAY_MODE"
    echo "catchup_seconds=$catchup_seconds console_alive_at_end=$alive background_cpu_at_start=$BACKGROUND_CPU"
    echo "console_redis_connects=$(grep -c 'connected to Redis' "$OUT/console.log" || true)"
    echo "console_warnings=$(grep -ci 'warning\|error\|critical' "$OUT/console.log" || true)"
    # Redis cuts off a subscriber that reads too slowly (client-output-buffer-limit pubsub
    # 32mb 8mb 60): for the console that would mean lost traffic and a reconnection, for a
    # node a subscription gap. Only what happened before the end of the teardown counts.
    echo "redis_output_buffer_kills_console=$(grep 'overcoming of output buffer limits' "$OUT/redis.log" | grep -c 'name=switchboard-console' || true)"
    echo "redis_output_buffer_kills_nodes=$(grep 'overcoming of output buffer limits' "$OUT/redis.log" | grep -c 'name=switchboard-bench' || true)"
    echo "node_subscription_gaps=$(cat "$OUT"/node-*.err | grep -c 'lost the subscription' || true)"
} > "$OUT/run.txt"
python3 "$HERE/summarize.py" "$OUT" | tee "$OUT/summary.txt"
