#define _GNU_SOURCE
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int epoll_fd = -1;
int conn_engine_only;
// One receive buffer for every connection: a connection keeps bytes only for a partial frame.
static uint8_t read_buffer[256 * 1024];
static uint8_t frame_buffer[256 * 1024];
static uint32_t mask_state = 0x9e3779b9u;

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

static void watch(struct conn *c)
{
    struct epoll_event ev = {0};
    ev.data.ptr = c;
    if (c->state == CONN_CONNECTING || c->out_len)
        ev.events |= EPOLLOUT;
    if (!c->paused && c->state != CONN_CONNECTING)
        ev.events |= EPOLLIN;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

int conn_start(struct conn *c, uint16_t port, int rcvbuf)
{
    c->port = port;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    const int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->started_us = now_us();
    c->state = CONN_CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        close(c->fd);
        c->fd = -1;
        c->state = CONN_CLOSED;
        return -1;
    }
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        conn_close(c, strerror(errno));
        return -1;
    }
    return 0;
}

void conn_close(struct conn *c, const char *why)
{
    if (c->state == CONN_CLOSED)
        return;
    if (c->fd >= 0) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = CONN_CLOSED;
    release(&c->in, &c->in_len, &c->in_cap);
    release(&c->out, &c->out_len, &c->out_cap);
    release(&c->frag, &c->frag_len, &c->frag_cap);
    conn_on_closed(c, why);
}

// Writes what is queued first, then data; queues what the socket does not take.
static int write_bytes(struct conn *c, const uint8_t *data, size_t n)
{
    if (c->state == CONN_CLOSED)
        return -1;
    if (c->out_len) {
        if (append(&c->out, &c->out_len, &c->out_cap, data, n) < 0)
            return -1;
        return 0; // EPOLLOUT is already watched
    }
    ssize_t done = write(c->fd, data, n);
    if (done < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_close(c, strerror(errno));
            return -1;
        }
        done = 0;
    }
    if ((size_t)done < n) {
        if (append(&c->out, &c->out_len, &c->out_cap, data + done, n - (size_t)done) < 0)
            return -1;
        watch(c);
    }
    return 0;
}

static void flush_out(struct conn *c)
{
    while (c->out_len) {
        const ssize_t done = write(c->fd, c->out, c->out_len);
        if (done < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            conn_close(c, strerror(errno));
            return;
        }
        memmove(c->out, c->out + done, c->out_len - (size_t)done);
        c->out_len -= (uint32_t)done;
    }
    release(&c->out, &c->out_len, &c->out_cap);
    watch(c);
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
    return write_bytes(c, frame_buffer, (size_t)(p - frame_buffer) + len);
}

int conn_send_text(struct conn *c, const char *text, size_t len)
{
    if (c->state != CONN_ENGINE && c->state != CONN_READY)
        return -1;
    return send_frame(c, 1, (const uint8_t *)text, len);
}

void conn_pause(struct conn *c, int paused)
{
    c->paused = (uint8_t)paused;
    if (c->state != CONN_CLOSED)
        watch(c);
}

// One Engine.IO packet (a complete text message).
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
    default:
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

static void consume(struct conn *c, const uint8_t *data, size_t len)
{
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
    // Keep only the incomplete rest.
    if (used < len) {
        if (data == c->in) {
            memmove(c->in, c->in + used, len - used);
            c->in_len = (uint32_t)(len - used);
        } else {
            append(&c->in, &c->in_len, &c->in_cap, data + used, len - used);
        }
    } else {
        release(&c->in, &c->in_len, &c->in_cap);
    }
}

static void on_readable(struct conn *c)
{
    const ssize_t n = read(c->fd, read_buffer, sizeof read_buffer);
    if (n == 0) {
        conn_close(c, "closed by server");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            conn_close(c, strerror(errno));
        return;
    }
    if (c->in_len) {
        append(&c->in, &c->in_len, &c->in_cap, read_buffer, (size_t)n);
        consume(c, c->in, c->in_len);
    } else {
        consume(c, read_buffer, (size_t)n);
    }
}

void conn_handle(struct conn *c, uint32_t events)
{
    if (c->state == CONN_CONNECTING) {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error || (events & (EPOLLERR | EPOLLHUP))) {
            conn_close(c, strerror(error ? error : ECONNRESET));
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        char request[256];
        const int len = snprintf(request, sizeof request,
                                 "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                                 "Host: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                                 c->port);
        c->state = CONN_HTTP;
        watch(c);
        write_bytes(c, (const uint8_t *)request, (size_t)len);
        return;
    }
    if (events & EPOLLOUT)
        flush_out(c);
    if (c->state != CONN_CLOSED && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        on_readable(c);
}
