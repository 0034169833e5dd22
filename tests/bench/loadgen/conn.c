#define _GNU_SOURCE
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// A POST carries whole packets up to this many bytes (the servers' maxPayload is 1 MB).
#define POST_BATCH_MAX 100000
#define MAX_HTTP_HEAD 8192
#define MAX_BODY (64u * 1024 * 1024)

static int epoll_fd = -1;
int conn_engine_only;
int conn_polling;
// One receive buffer for every connection: a connection keeps bytes only for a partial frame
// or HTTP answer.
static uint8_t read_buffer[256 * 1024];
static uint8_t frame_buffer[256 * 1024];
// The body of a chunked HTTP answer, decoded.
static uint8_t *chunked_body;
static size_t chunked_cap;
static uint32_t mask_state = 0x9e3779b9u;
static char why_buffer[128];

void conn_setup(int fd)
{
    epoll_fd = fd;
}

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t next_mask(void)
{
    mask_state ^= mask_state << 13;
    mask_state ^= mask_state >> 17;
    mask_state ^= mask_state << 5;
    return mask_state;
}

static int append(uint8_t **buf, uint32_t *len, uint32_t *cap, const uint8_t *data, size_t n)
{
    if (*len + n > *cap) {
        uint32_t want = *cap ? *cap : 256;
        while (want < *len + n)
            want *= 2;
        uint8_t *grown = realloc(*buf, want);
        if (!grown)
            return -1;
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, data, n);
    *len += (uint32_t)n;
    return 0;
}

static void release(uint8_t **buf, uint32_t *len, uint32_t *cap)
{
    free(*buf);
    *buf = NULL;
    *len = *cap = 0;
}

static struct conn *owner(struct link *l)
{
    return l->is_post ? (struct conn *)((char *)l - offsetof(struct conn, post)) : (struct conn *)l;
}

static void watch(struct conn *c, struct link *l)
{
    if (l->fd < 0)
        return;
    struct epoll_event ev = {0};
    ev.data.ptr = l;
    if (l->state == LINK_CONNECTING || l->out_len)
        ev.events |= EPOLLOUT;
    if (l->state != LINK_CONNECTING && !(c->paused && !l->is_post))
        ev.events |= EPOLLIN;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, l->fd, &ev);
}

// Closes the TCP connection of l, if any; the link may connect again.
static void link_drop(struct link *l)
{
    if (l->fd >= 0) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, l->fd, NULL);
        close(l->fd);
    }
    l->fd = -1;
    l->state = LINK_DOWN;
    l->waiting = 0;
    release(&l->in, &l->in_len, &l->in_cap);
    release(&l->out, &l->out_len, &l->out_cap);
}

// Starts a TCP connect of l to the conn's port; 0 on success, -1 (errno set) otherwise.
static int link_connect(struct conn *c, struct link *l, int rcvbuf)
{
    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0)
        return -1;
    const int one = 1;
    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rcvbuf > 0)
        setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    // The source address is spread over 127.0.0.2-127.0.0.65: with every connection from
    // 127.0.0.1, the kernel's search for a free ephemeral port to the one server address
    // (__inet_hash_connect) walks the ports already used, and past ~14 000 connections
    // (half the port range, the parity connect() tries first) each connect() costs
    // milliseconds: the load generator, not the server, then made the ramp's tail.
    static unsigned next_source;
    struct sockaddr_in source = {0};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + next_source++ % 64);
    setsockopt(l->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(l->fd, (struct sockaddr *)&source, sizeof source) < 0) {
        const int error = errno;
        close(l->fd);
        l->fd = -1;
        errno = error;
        return -1;
    }
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(c->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->state = LINK_CONNECTING;
    l->waiting = l->reused = 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = l};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
        const int error = errno;
        close(l->fd);
        l->fd = -1;
        l->state = LINK_DOWN;
        errno = error;
        return -1;
    }
    if (connect(l->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        const int error = errno;
        link_drop(l);
        errno = error;
        return -1;
    }
    return 0;
}

int conn_start(struct conn *c, uint16_t port, int rcvbuf)
{
    c->port = port;
    c->link.is_post = 0;
    c->post.is_post = 1;
    c->post.fd = -1;
    c->started_us = now_us();
    c->state = CONN_CONNECTING;
    if (link_connect(c, &c->link, rcvbuf) < 0) {
        const int error = errno;
        conn_close(c, strerror(error));
        errno = error;
        return -1;
    }
    return 0;
}

void conn_close(struct conn *c, const char *why)
{
    if (c->state == CONN_CLOSED)
        return;
    link_drop(&c->link);
    link_drop(&c->post);
    c->state = CONN_CLOSED;
    release(&c->frag, &c->frag_len, &c->frag_cap);
    release(&c->queue, &c->queue_len, &c->queue_cap);
    c->posting = 0;
    conn_on_closed(c, why);
}

static void post_next(struct conn *c);
static void poll_get(struct conn *c);

// A TCP connection of c failed or was closed by the server. Over polling, an idle keep-alive
// connection the server closes is opened again when next needed, and a POST lost on a
// reused connection before any answer is sent again once, as browsers do; anything else ends
// the session.
static void link_lost(struct conn *c, struct link *l, const char *why)
{
    if (!conn_polling || c->state == CONN_CONNECTING || c->state == CONN_HTTP) {
        conn_close(c, why);
        return;
    }
    if (l->is_post) {
        if (!l->waiting) {
            link_drop(l);
            post_next(c);
            return;
        }
        if (l->reused && !c->post_retried && l->in_len == 0) {
            c->post_retried = 1;
            link_drop(l);
            post_next(c);
            return;
        }
    } else if (!l->waiting) {
        link_drop(l);
        poll_get(c);
        return;
    }
    conn_close(c, why);
}

// Writes what is queued first, then data; queues what the socket does not take.
static int write_bytes(struct conn *c, struct link *l, const uint8_t *data, size_t n)
{
    if (c->state == CONN_CLOSED || l->fd < 0)
        return -1;
    if (l->out_len) {
        if (append(&l->out, &l->out_len, &l->out_cap, data, n) < 0)
            return -1;
        return 0; // EPOLLOUT is already watched
    }
    ssize_t done = write(l->fd, data, n);
    if (done < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            link_lost(c, l, strerror(errno));
            return -1;
        }
        done = 0;
    }
    if ((size_t)done < n) {
        if (append(&l->out, &l->out_len, &l->out_cap, data + done, n - (size_t)done) < 0)
            return -1;
        watch(c, l);
    }
    return 0;
}

static void flush_out(struct conn *c, struct link *l)
{
    while (l->out_len) {
        const ssize_t done = write(l->fd, l->out, l->out_len);
        if (done < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            link_lost(c, l, strerror(errno));
            return;
        }
        memmove(l->out, l->out + done, l->out_len - (size_t)done);
        l->out_len -= (uint32_t)done;
    }
    release(&l->out, &l->out_len, &l->out_cap);
    watch(c, l);
}

static int send_frame(struct conn *c, int opcode, const uint8_t *payload, size_t len)
{
    if (len + 14 > sizeof frame_buffer)
        return -1;
    uint8_t *p = frame_buffer;
    *p++ = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        *p++ = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        *p++ = 0x80 | 126;
        *p++ = (uint8_t)(len >> 8);
        *p++ = (uint8_t)len;
    } else {
        *p++ = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            *p++ = (uint8_t)((uint64_t)len >> shift);
    }
    const uint32_t mask = next_mask();
    uint8_t key[4];
    memcpy(key, &mask, 4);
    memcpy(p, key, 4);
    p += 4;
    for (size_t i = 0; i < len; i++)
        p[i] = payload[i] ^ key[i & 3];
    return write_bytes(c, &c->link, frame_buffer, (size_t)(p - frame_buffer) + len);
}

// --- HTTP long-polling ---------------------------------------------------------------------

// Sends the next POST when none is in flight: the packets queued, whole, up to
// POST_BATCH_MAX bytes (at least one), on the POST connection (opened first if the server
// closed it). The same body again when a lost POST is retried.
static void post_next(struct conn *c)
{
    struct link *l = &c->post;
    if (c->state == CONN_CLOSED || l->waiting || c->queue_len == 0)
        return;
    if (l->state == LINK_DOWN) {
        if (link_connect(c, l, 0) < 0)
            conn_close(c, strerror(errno));
        return; // posted once connected
    }
    if (l->state == LINK_CONNECTING)
        return;
    if (!c->posting) {
        c->posting = c->queue_len;
        if (c->queue_len > POST_BATCH_MAX) {
            const uint8_t *cut = memrchr(c->queue, 0x1e, POST_BATCH_MAX);
            if (!cut)
                cut = memchr(c->queue, 0x1e, c->queue_len);
            if (cut)
                c->posting = (uint32_t)(cut - c->queue);
        }
    }
    if (c->posting + 512 > sizeof frame_buffer) {
        conn_close(c, "packet too large for a POST");
        return;
    }
    const int head = snprintf((char *)frame_buffer, 512,
                              "POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
                              "Host: 127.0.0.1:%u\r\nContent-Type: text/plain;charset=UTF-8\r\n"
                              "Content-Length: %u\r\n\r\n",
                              c->eio_sid, c->port, c->posting);
    memcpy(frame_buffer + head, c->queue, c->posting);
    l->waiting = 1;
    write_bytes(c, l, frame_buffer, (size_t)head + c->posting);
}

// Parks the next GET when none is: on the GET connection (opened again if the server closed
// it).
static void poll_get(struct conn *c)
{
    struct link *l = &c->link;
    if (c->state == CONN_CLOSED || l->waiting)
        return;
    if (l->state == LINK_DOWN) {
        if (link_connect(c, l, 0) < 0)
            conn_close(c, strerror(errno));
        return; // sent once connected
    }
    if (l->state == LINK_CONNECTING)
        return;
    char request[256];
    const int n = snprintf(request, sizeof request,
                           "GET /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
                           "Host: 127.0.0.1:%u\r\n\r\n",
                           c->eio_sid, c->port);
    l->waiting = 1;
    write_bytes(c, l, (const uint8_t *)request, (size_t)n);
}

static void queue_packet(struct conn *c, const char *text, size_t len)
{
    static const uint8_t separator = 0x1e;
    if (c->queue_len)
        append(&c->queue, &c->queue_len, &c->queue_cap, &separator, 1);
    append(&c->queue, &c->queue_len, &c->queue_cap, (const uint8_t *)text, len);
    post_next(c);
}

int conn_send_text(struct conn *c, const char *text, size_t len)
{
    if (c->state != CONN_ENGINE && c->state != CONN_READY)
        return -1;
    if (conn_polling) {
        queue_packet(c, text, len);
        return c->state == CONN_CLOSED ? -1 : 0;
    }
    return send_frame(c, 1, (const uint8_t *)text, len);
}

void conn_pause(struct conn *c, int paused)
{
    c->paused = (uint8_t)paused;
    if (c->state != CONN_CLOSED)
        watch(c, &c->link);
}

// One HTTP answer.
struct answer
{
    int status;
    int keep_alive;
    const uint8_t *body;
    size_t body_len;
    size_t used; // bytes of the answer, head and body
};

static int header_is(const char *line, const char *eol, const char *name)
{
    const size_t n = strlen(name);
    return (size_t)(eol - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static int has_word(const char *value, const char *eol, const char *word)
{
    const size_t n = strlen(word);
    for (const char *p = value; p + n <= eol; p++)
        if (strncasecmp(p, word, n) == 0)
            return 1;
    return 0;
}

// Decodes a chunked body at data[0..len) into chunked_body: its bytes used, 0 if incomplete.
static size_t dechunk(const uint8_t *data, size_t len, size_t *body_len, const char **why)
{
    size_t at = 0, out = 0;
    for (;;) {
        const uint8_t *eol = memmem(data + at, len - at, "\r\n", 2);
        if (!eol)
            return 0;
        char *end;
        const unsigned long size = strtoul((const char *)data + at, &end, 16);
        if (end == (const char *)data + at || size > MAX_BODY - out) {
            *why = "bad chunk size";
            return 0;
        }
        at = (size_t)(eol - data) + 2;
        if (size == 0) { // then trailers, if any, up to an empty line
            if (len - at >= 2 && memcmp(data + at, "\r\n", 2) == 0) {
                *body_len = out;
                return at + 2;
            }
            const uint8_t *last = memmem(data + at, len - at, "\r\n\r\n", 4);
            if (!last)
                return 0;
            *body_len = out;
            return (size_t)(last - data) + 4;
        }
        if (len - at < size + 2)
            return 0;
        if (out + size > chunked_cap) {
            size_t want = chunked_cap ? chunked_cap : 4096;
            while (want < out + size)
                want *= 2;
            uint8_t *grown = realloc(chunked_body, want);
            if (!grown) {
                *why = "out of memory";
                return 0;
            }
            chunked_body = grown, chunked_cap = want;
        }
        memcpy(chunked_body + out, data + at, size);
        out += size;
        at += size + 2;
    }
}

// Parses the HTTP answer at the start of data: 1 when it is complete, 0 when more is needed,
// -1 when it is malformed (*why set). Content-Length bodies, and chunked ones.
static int parse_answer(const uint8_t *data, size_t len, struct answer *a, const char **why)
{
    const uint8_t *end = memmem(data, len, "\r\n\r\n", 4);
    if (!end) {
        if (len > MAX_HTTP_HEAD) {
            *why = "HTTP answer head too long";
            return -1;
        }
        return 0;
    }
    const size_t head = (size_t)(end - data) + 4;
    if (head < 16 || memcmp(data, "HTTP/1.", 7) != 0 || data[8] != ' ') {
        *why = "not an HTTP answer";
        return -1;
    }
    a->status = atoi((const char *)data + 9);
    a->keep_alive = data[7] == '1';
    long length = -1;
    int chunked = 0;
    const char *stop = (const char *)end;
    const char *p = (const char *)memchr(data, '\n', head) + 1;
    while (p < stop) {
        const char *eol = memchr(p, '\r', (size_t)(stop - p) + 1);
        const char *value = memchr(p, ':', (size_t)(eol - p));
        value = value ? value + 1 : eol;
        if (header_is(p, eol, "content-length"))
            length = strtol(value, NULL, 10);
        else if (header_is(p, eol, "transfer-encoding"))
            chunked = has_word(value, eol, "chunked");
        else if (header_is(p, eol, "connection"))
            a->keep_alive = has_word(value, eol, "close")        ? 0
                            : has_word(value, eol, "keep-alive") ? 1
                                                                 : a->keep_alive;
        p = eol + 2;
    }
    if (chunked) {
        const char *error = NULL;
        const size_t used = dechunk(data + head, len - head, &a->body_len, &error);
        if (error) {
            *why = error;
            return -1;
        }
        if (!used)
            return 0;
        a->body = chunked_body;
        a->used = head + used;
        return 1;
    }
    if (length < 0 && (a->status == 204 || a->status == 304 || a->status < 200))
        length = 0;
    if (length < 0 || length > (long)MAX_BODY) {
        *why = length < 0 ? "HTTP answer without a length" : "HTTP answer too large";
        return -1;
    }
    if (len - head < (size_t)length)
        return 0;
    a->body = data + head;
    a->body_len = (size_t)length;
    a->used = head + (size_t)length;
    return 1;
}

static void on_packet(struct conn *c, const char *p, size_t n);

static const char *status_error(const char *what, int status)
{
    snprintf(why_buffer, sizeof why_buffer, "%s answered %d", what, status);
    return why_buffer;
}

// The handshake's answer: the open packet, with the Engine.IO sid.
static void on_handshake(struct conn *c, const struct answer *a)
{
    const char *body = (const char *)a->body;
    if (a->status != 200 || a->body_len < 2 || body[0] != '0') {
        conn_close(c, a->status != 200 ? status_error("handshake", a->status)
                                       : "handshake without an open packet");
        return;
    }
    const char *key = memmem(body, a->body_len, "\"sid\":\"", 7);
    const char *end = key ? memchr(key + 7, '"', (size_t)(body + a->body_len - key - 7)) : NULL;
    if (!end || (size_t)(end - key - 7) >= sizeof c->eio_sid) {
        conn_close(c, "open packet without a sid");
        return;
    }
    memcpy(c->eio_sid, key + 7, (size_t)(end - key - 7));
    c->eio_sid[end - key - 7] = 0;
    c->state = CONN_ENGINE;
    on_packet(c, body, a->body_len); // the CONNECT is POSTed from there
}

// A GET's payload: packets separated by 0x1e.
static void on_payload(struct conn *c, const struct answer *a)
{
    if (a->status != 200) {
        conn_close(c, status_error("GET", a->status));
        return;
    }
    const char *p = (const char *)a->body, *end = p + a->body_len;
    while (p < end && c->state != CONN_CLOSED) {
        const char *cut = memchr(p, 0x1e, (size_t)(end - p));
        if (!cut)
            cut = end;
        on_packet(c, p, (size_t)(cut - p));
        p = cut + 1;
    }
}

static void on_post_answer(struct conn *c, const struct answer *a)
{
    if (a->status != 200 || a->body_len != 2 || memcmp(a->body, "ok", 2) != 0) {
        conn_close(c, a->status != 200 ? status_error("POST", a->status) : "POST not ok");
        return;
    }
    const uint32_t done = c->posting < c->queue_len ? c->posting + 1 : c->posting;
    memmove(c->queue, c->queue + done, c->queue_len - done);
    c->queue_len -= done;
    c->posting = 0;
    c->post_retried = 0;
    if (!c->queue_len)
        release(&c->queue, &c->queue_len, &c->queue_cap);
}

// Keeps only the incomplete rest of what was read (`used` of `len` bytes at `data`, which is
// the link's own buffer or the shared read buffer) in the link's buffer.
static void keep_rest(struct link *l, const uint8_t *data, size_t len, size_t used)
{
    if (used < len) {
        if (data == l->in) {
            memmove(l->in, l->in + used, len - used);
            l->in_len = (uint32_t)(len - used);
        } else {
            append(&l->in, &l->in_len, &l->in_cap, data + used, len - used);
        }
    } else {
        release(&l->in, &l->in_len, &l->in_cap);
    }
}

// The answers at data[0..len) of one of c's polling connections.
static void consume_http(struct conn *c, struct link *l, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (used < len) {
        struct answer a = {0};
        const char *why = NULL;
        const int complete = parse_answer(data + used, len - used, &a, &why);
        if (complete < 0 || (complete > 0 && !l->waiting)) {
            conn_close(c, complete < 0 ? why : "an HTTP answer to no request");
            return;
        }
        if (!complete)
            break;
        used += a.used;
        l->waiting = 0;
        l->reused = 1;
        if (l->is_post)
            on_post_answer(c, &a);
        else if (c->state == CONN_HTTP)
            on_handshake(c, &a);
        else
            on_payload(c, &a);
        if (c->state == CONN_CLOSED)
            return;
        if (!a.keep_alive) { // then data is gone with the link's buffer
            link_drop(l);
            l->is_post ? post_next(c) : poll_get(c);
            return;
        }
        const int fd = l->fd;
        l->is_post ? post_next(c) : poll_get(c);
        if (c->state == CONN_CLOSED || l->fd != fd || l->state != LINK_OPEN)
            return; // the request failed, and the link (its buffer with data) was dropped
    }
    keep_rest(l, data, len, used);
}

// --- Engine.IO and Socket.IO packets, WebSocket frames --------------------------------------

// One Engine.IO packet (a complete text message, or one packet of a polling payload).
static void on_packet(struct conn *c, const char *p, size_t n)
{
    if (n == 0)
        return;
    switch (p[0]) {
    case '0': // open: CONNECT to "/"
        if (conn_engine_only) {
            memcpy(c->sid, "-", 2); // ready, with no Socket.IO id
            c->state = CONN_READY;
            conn_on_ready(c);
            return;
        }
        conn_send_text(c, "40", 2);
        return;
    case '2': // the server's ping
        conn_send_text(c, "3", 1);
        return;
    case '1':
        conn_close(c, "engine.io close");
        return;
    case '4':
        break;
    default: // 6 (noop) among them
        return;
    }
    if (n < 2)
        return;
    if (p[1] == '0' && c->state == CONN_ENGINE) {
        const char *key = memmem(p, n, "\"sid\":\"", 7);
        if (!key) {
            conn_close(c, "CONNECT reply without sid");
            return;
        }
        key += 7;
        const char *end = memchr(key, '"', (size_t)(p + n - key));
        const size_t len = end ? (size_t)(end - key) : 0;
        if (!end || len >= sizeof c->sid) {
            conn_close(c, "bad sid");
            return;
        }
        memcpy(c->sid, key, len);
        c->sid[len] = 0;
        c->state = CONN_READY;
        conn_on_ready(c);
    } else if (p[1] == '2') {
        conn_on_event(c, p + 2, n - 2);
    } else if (p[1] == '3') {
        size_t i = 2;
        long id = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            id = id * 10 + (p[i++] - '0');
        conn_on_ack(c, id, p + i, n - i);
    } else if (p[1] == '4') {
        conn_close(c, "CONNECT_ERROR");
    } else if (p[1] == '1') {
        conn_close(c, "socket.io disconnect");
    }
}

// Parses the complete frames at the start of buf; returns the bytes consumed.
static size_t on_frames(struct conn *c, const uint8_t *buf, size_t len)
{
    size_t at = 0;
    while (c->state != CONN_CLOSED && len - at >= 2) {
        const uint8_t *f = buf + at;
        const int fin = f[0] & 0x80, opcode = f[0] & 0x0f;
        uint64_t plen = f[1] & 0x7f;
        size_t header = 2;
        if (plen == 126) {
            if (len - at < 4)
                break;
            plen = ((uint64_t)f[2] << 8) | f[3];
            header = 4;
        } else if (plen == 127) {
            if (len - at < 10)
                break;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = (plen << 8) | f[2 + i];
            header = 10;
        }
        if (f[1] & 0x80) {
            conn_close(c, "masked server frame");
            break;
        }
        if (plen > 64u * 1024 * 1024) {
            conn_close(c, "frame too large");
            break;
        }
        if (len - at < header + plen)
            break;
        const uint8_t *payload = f + header;
        at += header + (size_t)plen;
        if (opcode == 8) {
            send_frame(c, 8, payload, plen < 2 ? (size_t)plen : 2);
            conn_close(c, "websocket close");
        } else if (opcode == 9) {
            send_frame(c, 10, payload, (size_t)plen);
        } else if (opcode == 0 || !fin) {
            if (opcode != 0)
                c->frag_len = 0;
            append(&c->frag, &c->frag_len, &c->frag_cap, payload, (size_t)plen);
            if (fin) {
                on_packet(c, (const char *)c->frag, c->frag_len);
                release(&c->frag, &c->frag_len, &c->frag_cap);
            }
        } else if (opcode == 1) {
            on_packet(c, (const char *)payload, (size_t)plen);
        }
        // Binary frames (attachments) and pongs are not used by the benchmark.
    }
    return at;
}

// Returns the bytes of data consumed by the HTTP response head, 0 if incomplete.
static size_t on_http(struct conn *c, const uint8_t *data, size_t len)
{
    const uint8_t *end = memmem(data, len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    if (len < 12 || memcmp(data, "HTTP/1.1 101", 12) != 0) {
        conn_close(c, "upgrade refused");
        return len;
    }
    c->state = CONN_ENGINE;
    return (size_t)(end - data) + 4;
}

// The bytes at data[0..len) of a WebSocket connection.
static void consume(struct conn *c, const uint8_t *data, size_t len)
{
    struct link *l = &c->link;
    size_t used = 0;
    if (c->state == CONN_HTTP) {
        used = on_http(c, data, len);
        if (used == 0 && len > 8192) {
            conn_close(c, "HTTP response too long");
            return;
        }
    }
    if (c->state == CONN_ENGINE || c->state == CONN_READY)
        used += on_frames(c, data + used, len - used);
    if (c->state == CONN_CLOSED)
        return;
    keep_rest(l, data, len, used);
}

static void on_readable(struct conn *c, struct link *l)
{
    const ssize_t n = read(l->fd, read_buffer, sizeof read_buffer);
    if (n == 0) {
        link_lost(c, l, "closed by server");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            link_lost(c, l, strerror(errno));
        return;
    }
    const uint8_t *data = read_buffer;
    size_t len = (size_t)n;
    if (l->in_len) {
        append(&l->in, &l->in_len, &l->in_cap, read_buffer, (size_t)n);
        data = l->in, len = l->in_len;
    }
    if (conn_polling)
        consume_http(c, l, data, len);
    else
        consume(c, data, len);
}

// The TCP connection of l is established: its first request.
static void on_connected(struct conn *c, struct link *l)
{
    char request[256];
    int len;
    if (l->is_post) {
        post_next(c);
        return;
    }
    if (c->state != CONN_CONNECTING) { // a GET connection opened again
        poll_get(c);
        return;
    }
    if (conn_polling) {
        len = snprintf(request, sizeof request,
                       "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                       "Host: 127.0.0.1:%u\r\n\r\n",
                       c->port);
        l->waiting = 1;
    } else {
        len = snprintf(request, sizeof request,
                       "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                       "Host: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                       c->port);
    }
    c->state = CONN_HTTP;
    write_bytes(c, l, (const uint8_t *)request, (size_t)len);
}

void conn_handle(void *ptr, uint32_t events)
{
    struct link *l = ptr;
    struct conn *c = owner(l);
    if (l->fd < 0 || c->state == CONN_CLOSED)
        return; // an event of a connection closed earlier in the same batch
    if (l->state == LINK_CONNECTING) {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error || (events & (EPOLLERR | EPOLLHUP))) {
            conn_close(c, strerror(error ? error : ECONNRESET));
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        l->state = LINK_OPEN;
        watch(c, l);
        on_connected(c, l);
        return;
    }
    if (events & EPOLLOUT)
        flush_out(c, l);
    if (c->state != CONN_CLOSED && l->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        on_readable(c, l);
}
