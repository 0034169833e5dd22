// sbload: the load generator of `make bench`. Raw Engine.IO v4 / Socket.IO v5 clients
// (WebSocket, or HTTP long-polling with --transport polling) on one epoll loop, cheap enough
// that the server is the bottleneck, for any server that serves Switchboard's relay events
// (switchboard-node, tests/bench/peer/server.js).
//
//   sbload --mode idle   --ports P --count N [--inflight K] [--hold S]
//       opens N connections to P (at most K handshakes at a time), reports the connect rate
//       and TCP connect -> CONNECT reply p50/p99, then holds them (answering pings) until
//       SIGTERM/SIGINT or S seconds.
//   sbload --mode fanout --ports A,B --count M --rates r1,r2.. --step S [--slow PCT]
//       M members (member i on port i+1 of the list, round robin) join one room; a sender on
//       A emits `send {to: room}` at each rate (messages/s) for S seconds; members time every
//       delivery. With --slow, PCT% of the members stop reading during the steps.
//   sbload --mode dm     --ports A,B --rates R --step S
//       one sender on A, one receiver on B: `send {to: <receiver's socket id>}`.
//
// --transport polling (any mode; `make bench` uses it for idle and dm): Engine.IO long-polling
// without upgrade, each client a parked GET on one keep-alive connection and its POSTs on a
// second (see conn.h).
//
// Output: one JSON object a line on stdout ("ready", "step_begin", "step", "slow", "done",
// "error"); an orchestrator reads them as they come (run-bench.py samples server CPU at
// step_begin / step). Every wait is bounded; exit status 0 when nothing failed.
#define _GNU_SOURCE
#include "conn.h"
#include "hist.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_CONNS 19500
#define MAX_PORTS 8
#define MAX_STEPS 16
// Ack ids: 1 for the join, 2 + step * ACK_STEP + n for the sends.
#define ACK_STEP 10000000L
#define WARMUP_STEP (MAX_STEPS - 1)

enum role
{
    ROLE_IDLE,
    ROLE_SENDER,
    ROLE_MEMBER
};

struct step
{
    double rate;
    int64_t begin_us, end_send_us, last_delivery_us;
    uint64_t sent, acked, nacked, delivered, expected, late_or_foreign;
    struct hist latency;
};

static struct
{
    const char *mode;
    uint16_t ports[MAX_PORTS];
    int nports;
    int count;
    int inflight;
    double hold;
    double rates[MAX_STEPS];
    int nrates;
    double step;
    double drain;
    double warmup;
    double connect_timeout;
    int slow_pct;
    int payload;
    int stop_on_saturation;
    const char *room;
} opt = {.mode = "idle",
         .count = 1,
         .inflight = 200,
         .hold = 3600,
         .step = 5,
         .drain = 15,
         .connect_timeout = 20,
         .payload = 0,
         .room = "bench"};

static struct conn *conns;
static int nconns;
static int epfd;
static volatile sig_atomic_t stopping;
static struct step steps[MAX_STEPS];
static struct hist connect_latency;
static int64_t first_close_us, last_close_us; // closes of ready connections
static int ready_count, failed_count, closed_after_ready, joined_count, slow_members;
static uint64_t slow_received;
static char target_sid[24];
static char padding[65536];

static void on_signal(int sig)
{
    (void)sig, stopping = 1;
}

static void emit_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit_json(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

static double ms(double us)
{
    return us / 1000.0;
}

static int parse_list(const char *text, double *out, int max)
{
    int n = 0;
    for (const char *p = text; *p && n < max;) {
        char *end;
        out[n++] = strtod(p, &end);
        if (end == p)
            return -1;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

// --- callbacks of conn.c -------------------------------------------------------------------

void conn_on_ready(struct conn *c)
{
    ready_count++;
    hist_add(&connect_latency, (uint64_t)(now_us() - c->started_us));
    if (c->role == ROLE_MEMBER && opt.room[0] && strcmp(opt.mode, "fanout") == 0) {
        char packet[512];
        const int n = snprintf(packet, sizeof packet, "421[\"join\",\"%s\"]", opt.room);
        conn_send_text(c, packet, (size_t)n);
    }
}

void conn_on_ack(struct conn *c, long id, const char *json, size_t len)
{
    const int ok = memmem(json, len, "\"ok\":true", 9) != NULL;
    if (c->role == ROLE_MEMBER && id == 1) {
        if (ok)
            joined_count++;
        else
            failed_count++;
        return;
    }
    if (c->role == ROLE_SENDER && id >= 2) {
        const long s = (id - 2) / ACK_STEP;
        if (s >= 0 && s < MAX_STEPS) {
            if (ok)
                steps[s].acked++;
            else
                steps[s].nacked++;
        }
    }
}

// `["message",{"from":..,"to":..,"data":{"s":<step>,"t":<us>,...}}]`: keys may come in any
// order (socket.io keeps the sender's, Switchboard sorts them).
static long field(const char *json, size_t len, const char *key)
{
    const char *at = memmem(json, len, key, strlen(key));
    if (!at)
        return -1;
    return strtol(at + strlen(key), NULL, 10);
}

// SBLOAD_TRACE=<file>: every delivery's send time and latency (us), for looking at a tail.
static FILE *trace;

void conn_on_event(struct conn *c, const char *json, size_t len)
{
    const int64_t now = now_us();
    c->received++;
    if (c->slow)
        slow_received++;
    const long s = field(json, len, "\"s\":");
    const long t = field(json, len, "\"t\":");
    if (s < 0 || s >= MAX_STEPS || t < 0 || c->slow) {
        if (!c->slow && s >= 0 && s < MAX_STEPS)
            steps[s].late_or_foreign++;
        return;
    }
    struct step *st = &steps[s];
    st->delivered++;
    st->last_delivery_us = now;
    hist_add(&st->latency, (uint64_t)(now > t ? now - t : 0));
    if (trace)
        fprintf(trace, "%lld %lld\n", (long long)t, (long long)(now - t));
}

void conn_on_closed(struct conn *c, const char *why)
{
    if (c->sid[0]) {
        closed_after_ready++;
        const int64_t now = now_us();
        if (!first_close_us)
            first_close_us = now;
        last_close_us = now;
        if (!stopping && !c->slow && !conn_engine_only)
            fprintf(stderr, "sbload: connection %u closed: %s\n", c->index, why);
    } else {
        failed_count++;
        if (failed_count <= 5)
            fprintf(stderr, "sbload: connection %u failed: %s\n", c->index, why);
    }
}

// --- the loop ------------------------------------------------------------------------------

static void run_once(int timeout_ms)
{
    struct epoll_event events[512];
    const int n = epoll_wait(epfd, events, 512, timeout_ms);
    for (int i = 0; i < n; i++)
        conn_handle(events[i].data.ptr, events[i].events);
}

// Handshakes in flight.
static int pending(int started)
{
    return started - ready_count - failed_count;
}

// Opens conns[0..n) with at most opt.inflight handshakes at a time. Returns 0 when all are
// ready before the deadline.
static int ramp(int n, int rcvbuf_slow)
{
    const int64_t begin = now_us();
    const int64_t deadline = begin + (int64_t)(opt.connect_timeout * 1e6) + n * 20000LL;
    int started = 0;
    int64_t last_sweep = begin;
    while (!stopping && ready_count + failed_count < n && now_us() < deadline) {
        while (started < n && pending(started) < opt.inflight) {
            struct conn *c = &conns[started++];
            conn_start(c, c->port, c->slow ? rcvbuf_slow : 0);
        }
        run_once(5);
        const int64_t now = now_us();
        if (now - last_sweep > 200000) { // handshakes that take too long fail
            last_sweep = now;
            for (int i = 0; i < started; i++) {
                struct conn *c = &conns[i];
                if (c->state != CONN_READY && c->state != CONN_CLOSED &&
                    now - c->started_us > (int64_t)(opt.connect_timeout * 1e6))
                    conn_close(c, "handshake timeout");
            }
        }
    }
    const double seconds = (double)(now_us() - begin) / 1e6;
    emit_json("{\"event\":\"ready\",\"connections\":%d,\"failed\":%d,\"seconds\":%.3f,"
              "\"rate\":%.1f,\"connect_p50_ms\":%.3f,\"connect_p99_ms\":%.3f,"
              "\"connect_max_ms\":%.3f}",
              ready_count, n - ready_count, seconds, seconds > 0 ? ready_count / seconds : 0,
              ms(hist_quantile(&connect_latency, 0.5)), ms(hist_quantile(&connect_latency, 0.99)),
              ms((double)connect_latency.max));
    return ready_count == n ? 0 : -1;
}

static void run_for(double seconds)
{
    const int64_t end = now_us() + (int64_t)(seconds * 1e6);
    while (!stopping && now_us() < end)
        run_once(50);
}

static int mode_idle(void)
{
    nconns = opt.count;
    for (int i = 0; i < nconns; i++)
        conns[i].port = opt.ports[i % opt.nports];
    const int rc = ramp(nconns, 0);
    // Held for --hold seconds, or (--engine-only) until the server closed them all.
    const int64_t end = now_us() + (int64_t)(opt.hold * 1e6);
    while (!stopping && now_us() < end &&
           !(conn_engine_only && ready_count > 0 && closed_after_ready >= ready_count))
        run_once(50);
    emit_json("{\"event\":\"done\",\"connections\":%d,\"closed\":%d,"
              "\"close_span_s\":%.3f}",
              ready_count, closed_after_ready,
              last_close_us > first_close_us ? (last_close_us - first_close_us) / 1e6 : 0.0);
    return rc == 0 && closed_after_ready == 0 ? 0 : 1;
}

// One step: the sender emits at `rate` for opt.step seconds, then the loop drains until
// every delivery is in, or nothing came for 2 s, or opt.drain seconds passed.
static int run_step(struct conn *sender, int s, double rate, double seconds, int fast_members)
{
    struct step *st = &steps[s];
    const char *event = s == WARMUP_STEP ? "warmup" : "step";
    st->rate = rate;
    emit_json("{\"event\":\"%s_begin\",\"step\":%d,\"rate\":%.1f}", event, s, rate);
    uint64_t total = (uint64_t)(rate * seconds + 0.5);
    if (total >= (uint64_t)ACK_STEP)
        total = (uint64_t)ACK_STEP - 1;
    char packet[66000];
    st->begin_us = now_us();
    while (!stopping && st->sent < total && sender->state == CONN_READY) {
        const double elapsed = (double)(now_us() - st->begin_us) / 1e6;
        uint64_t due = (uint64_t)(elapsed * rate) + 1;
        if (due > total)
            due = total;
        while (st->sent < due && sender->state == CONN_READY) {
            const long ack = 2 + (long)s * ACK_STEP + (long)st->sent;
            const int n = snprintf(
                packet, sizeof packet,
                "42%ld[\"send\",{\"to\":\"%s\",\"data\":{\"s\":%d,\"n\":%lu,\"t\":%lld%s%s%s}}]",
                ack, target_sid, s, (unsigned long)st->sent, (long long)now_us(),
                opt.payload ? ",\"p\":\"" : "", opt.payload ? padding : "",
                opt.payload ? "\"" : "");
            conn_send_text(sender, packet, (size_t)n);
            st->sent++;
        }
        run_once(1);
    }
    st->end_send_us = now_us();
    st->expected = st->sent * (uint64_t)fast_members;
    const int64_t drain_end = st->end_send_us + (int64_t)(opt.drain * 1e6);
    uint64_t last_count = st->delivered;
    int64_t last_progress = now_us();
    while (!stopping && (st->delivered < st->expected || st->acked + st->nacked < st->sent)) {
        const int64_t now = now_us();
        if (now > drain_end || now - last_progress > 2000000)
            break;
        run_once(10);
        if (st->delivered != last_count) {
            last_count = st->delivered;
            last_progress = now_us();
        }
    }
    const int64_t last =
        st->last_delivery_us > st->end_send_us ? st->last_delivery_us : st->end_send_us;
    const double span = (double)(last - st->begin_us) / 1e6;
    const double offered = rate * fast_members;
    const double achieved = span > 0 ? (double)st->delivered / span : 0;
    const uint64_t lost = st->expected > st->delivered ? st->expected - st->delivered : 0;
    // Saturated: it fell behind (queues grow through the step), or lost messages.
    const int saturated =
        achieved < 0.8 * offered || lost > 0 || hist_quantile(&st->latency, 0.99) > 500e3;
    emit_json("{\"event\":\"%s\",\"step\":%d,\"rate\":%.1f,\"members\":%d,\"sent\":%lu,"
              "\"acked\":%lu,\"nacked\":%lu,\"expected\":%lu,\"delivered\":%lu,\"lost\":%lu,"
              "\"stray\":%lu,\"seconds\":%.3f,\"deliveries_per_s\":%.1f,\"p50_ms\":%.3f,"
              "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"saturated\":%s}",
              event, s, rate, fast_members, (unsigned long)st->sent, (unsigned long)st->acked,
              (unsigned long)st->nacked, (unsigned long)st->expected, (unsigned long)st->delivered,
              (unsigned long)lost, (unsigned long)st->late_or_foreign, span, achieved,
              ms(hist_quantile(&st->latency, 0.5)), ms(hist_quantile(&st->latency, 0.99)),
              ms((double)st->latency.max), saturated ? "true" : "false");
    return saturated;
}

static int is_slow(int member)
{
    return opt.slow_pct > 0 && ((member + 1) * opt.slow_pct) / 100 > (member * opt.slow_pct) / 100;
}

static int mode_relay(int dm)
{
    const int members = dm ? 1 : opt.count;
    nconns = members + 1;
    struct conn *sender = &conns[0];
    sender->role = ROLE_SENDER;
    sender->port = opt.ports[0];
    for (int i = 0; i < members; i++) {
        struct conn *c = &conns[i + 1];
        c->role = ROLE_MEMBER;
        c->port = opt.ports[(i + 1) % opt.nports];
        c->slow = (uint8_t)(!dm && is_slow(i));
        slow_members += c->slow;
    }
    if (ramp(nconns, 4096) < 0) {
        emit_json("{\"event\":\"error\",\"message\":\"not every client connected\"}");
        return 1;
    }
    if (dm) {
        snprintf(target_sid, sizeof target_sid, "%s", conns[1].sid);
    } else {
        snprintf(target_sid, sizeof target_sid, "%s", opt.room);
        const int64_t end = now_us() + 20000000;
        while (!stopping && joined_count < members && failed_count == 0 && now_us() < end)
            run_once(10);
        if (joined_count < members) {
            emit_json("{\"event\":\"error\",\"message\":\"%d of %d members joined\"}", joined_count,
                      members);
            return 1;
        }
    }
    run_for(0.5); // let the joins settle everywhere
    for (int i = 1; i < nconns; i++)
        if (conns[i].slow)
            conn_pause(&conns[i], 1);
    if (opt.warmup > 0) // JIT, allocator pools, Redis connections: not measured
        run_step(sender, WARMUP_STEP, opt.rates[0], opt.warmup, members - slow_members);
    int failures = 0;
    int s = 0;
    while (s < opt.nrates && !stopping) {
        const int saturated = run_step(sender, s, opt.rates[s], opt.step, members - slow_members);
        if (steps[s].expected > steps[s].delivered)
            failures++;
        s++;
        if (saturated && opt.stop_on_saturation)
            break;
    }
    if (slow_members) {
        // What the slow readers were owed, and whether the server cut them off.
        uint64_t owed = 0;
        for (int i = 0; i < MAX_STEPS; i++)
            owed += steps[i].sent;
        for (int i = 1; i < nconns; i++)
            if (conns[i].slow && conns[i].state == CONN_READY)
                conn_pause(&conns[i], 0);
        emit_json("{\"event\":\"slow_resume\",\"slow\":%d}", slow_members);
        const int64_t end = now_us() + (int64_t)(opt.drain * 1e6);
        uint64_t last = slow_received;
        int64_t last_progress = now_us();
        while (!stopping && slow_received < owed * (uint64_t)slow_members && now_us() < end &&
               now_us() - last_progress < 2000000) {
            run_once(10);
            if (slow_received != last)
                last = slow_received, last_progress = now_us();
        }
        int open_after = 0;
        for (int i = 1; i < nconns; i++)
            open_after += conns[i].slow && conns[i].state == CONN_READY;
        emit_json("{\"event\":\"slow\",\"slow\":%d,\"owed\":%lu,\"received\":%lu,"
                  "\"cut_off\":%d}",
                  slow_members, (unsigned long)(owed * (uint64_t)slow_members),
                  (unsigned long)slow_received, slow_members - open_after);
    }
    int fast_lost_conns = 0;
    for (int i = 0; i < nconns; i++)
        fast_lost_conns += !conns[i].slow && conns[i].state != CONN_READY;
    emit_json("{\"event\":\"done\",\"steps\":%d,\"failures\":%d,\"closed\":%d}", s, failures,
              fast_lost_conns);
    return failures == 0 && fast_lost_conns == 0 ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: sbload --mode idle|dm|fanout --ports P[,P2..] [--count N] "
                    "[--inflight K] [--hold S] [--rates R1,R2..] [--step S] [--drain S] "
                    "[--slow PCT] [--payload BYTES] [--room NAME] [--stop-on-saturation] "
                    "[--connect-timeout S] [--warmup S] [--engine-only] "
                    "[--transport websocket|polling]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (getenv("SBLOAD_TRACE") && !(trace = fopen(getenv("SBLOAD_TRACE"), "w"))) {
        fprintf(stderr, "sbload: SBLOAD_TRACE=%s: %s\n", getenv("SBLOAD_TRACE"), strerror(errno));
        return 2;
    }
    static const struct option options[] = {{"mode", required_argument, 0, 'm'},
                                            {"ports", required_argument, 0, 'p'},
                                            {"count", required_argument, 0, 'n'},
                                            {"inflight", required_argument, 0, 'k'},
                                            {"hold", required_argument, 0, 'h'},
                                            {"rates", required_argument, 0, 'r'},
                                            {"step", required_argument, 0, 's'},
                                            {"drain", required_argument, 0, 'd'},
                                            {"slow", required_argument, 0, 'w'},
                                            {"payload", required_argument, 0, 'l'},
                                            {"room", required_argument, 0, 'o'},
                                            {"stop-on-saturation", no_argument, 0, 'x'},
                                            {"connect-timeout", required_argument, 0, 't'},
                                            {"warmup", required_argument, 0, 'u'},
                                            {"engine-only", no_argument, 0, 'e'},
                                            {"transport", required_argument, 0, 'T'},
                                            {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (ch) {
        case 'm':
            opt.mode = optarg;
            break;
        case 'p': {
            double ports[MAX_PORTS];
            opt.nports = parse_list(optarg, ports, MAX_PORTS);
            for (int i = 0; i < opt.nports; i++)
                opt.ports[i] = (uint16_t)ports[i];
            break;
        }
        case 'n':
            opt.count = atoi(optarg);
            break;
        case 'k':
            opt.inflight = atoi(optarg);
            break;
        case 'h':
            opt.hold = atof(optarg);
            break;
        case 'r':
            opt.nrates = parse_list(optarg, opt.rates, MAX_STEPS);
            break;
        case 's':
            opt.step = atof(optarg);
            break;
        case 'd':
            opt.drain = atof(optarg);
            break;
        case 'w':
            opt.slow_pct = atoi(optarg);
            break;
        case 'l':
            opt.payload = atoi(optarg);
            break;
        case 'o':
            opt.room = optarg;
            break;
        case 'x':
            opt.stop_on_saturation = 1;
            break;
        case 'e':
            conn_engine_only = 1;
            break;
        case 'T':
            if (strcmp(optarg, "polling") == 0)
                conn_polling = 1;
            else if (strcmp(optarg, "websocket") != 0)
                usage();
            break;
        case 'u':
            opt.warmup = atof(optarg);
            break;
        case 't':
            opt.connect_timeout = atof(optarg);
            break;
        default:
            usage();
        }
    }
    const int dm = strcmp(opt.mode, "dm") == 0;
    if (opt.nports < 1 || opt.count < 1 || opt.count + 1 > MAX_CONNS || opt.inflight < 1 ||
        (!dm && strcmp(opt.mode, "fanout") != 0 && strcmp(opt.mode, "idle") != 0) ||
        (strcmp(opt.mode, "idle") != 0 && opt.nrates < 1) || opt.payload < 0 ||
        opt.payload >= (int)sizeof padding || opt.slow_pct < 0 || opt.slow_pct > 100 ||
        strlen(opt.room) > 256 || strchr(opt.room, '"') || strchr(opt.room, '\\'))
        usage();
    memset(padding, 'x', (size_t)opt.payload);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    conn_setup(epfd);
    conns = calloc(MAX_CONNS, sizeof *conns);
    for (int i = 0; i < MAX_CONNS; i++)
        conns[i].link.fd = conns[i].post.fd = -1, conns[i].index = (uint32_t)i;
    if (strcmp(opt.mode, "idle") == 0)
        return mode_idle();
    return mode_relay(dm);
}
