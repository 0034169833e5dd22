// One raw Socket.IO v5 client over Engine.IO v4 over WebSocket (RFC 6455, masked client
// frames) over a non-blocking TCP socket in an epoll set: the HTTP upgrade, framing,
// heartbeat answers and the CONNECT to "/". What the client does once connected belongs to
// the mode in sbload.c, through the conn_on_* callbacks.
#ifndef SBLOAD_CONN_H
#define SBLOAD_CONN_H

#include <stddef.h>
#include <stdint.h>

enum conn_state
{
    CONN_IDLE,       // not started
    CONN_CONNECTING, // TCP connect in progress
    CONN_HTTP,       // upgrade request sent, waiting for 101
    CONN_ENGINE,     // WebSocket open, waiting for the Engine.IO open packet / CONNECT reply
    CONN_READY,      // Socket.IO CONNECT answered: sid known
    CONN_CLOSED,
};

struct conn
{
    int fd;
    uint8_t state;
    uint8_t role;   // the mode's business
    uint8_t slow;   // a slow reader (stops reading during fan-out)
    uint8_t paused; // not reading right now
    uint16_t port;
    uint32_t index;
    int64_t started_us; // when connect() was called
    uint32_t received;  // events received (the mode counts)
    char sid[24];
    // Bytes of an incomplete frame, and unsent output: allocated only while needed.
    uint8_t *in;
    uint32_t in_len, in_cap;
    uint8_t *out;
    uint32_t out_len, out_cap;
    uint8_t *frag; // a fragmented message being reassembled
    uint32_t frag_len, frag_cap;
};

// Set before the first connection: stop at the Engine.IO open packet (ready without a Socket.IO
// CONNECT), the way a client that never joins a namespace behaves.
extern int conn_engine_only;

// Set once: the epoll instance every connection joins.
void conn_setup(int epoll_fd);
int64_t now_us(void);

// Starts the TCP connect to 127.0.0.1:port; 0 on success, -1 (errno set) otherwise.
int conn_start(struct conn *c, uint16_t port, int rcvbuf);
// Called for every epoll event of c.
void conn_handle(struct conn *c, uint32_t events);
void conn_close(struct conn *c, const char *why);
// Sends one Engine.IO packet (a text frame); -1 if the connection is closed.
int conn_send_text(struct conn *c, const char *text, size_t len);
// Stops or resumes reading (slow readers).
void conn_pause(struct conn *c, int paused);

// Implemented by the mode (sbload.c).
void conn_on_ready(struct conn *c);                                      // CONNECT answered
void conn_on_event(struct conn *c, const char *json, size_t len);        // after "42"
void conn_on_ack(struct conn *c, long id, const char *json, size_t len); // after "43<id>"
void conn_on_closed(struct conn *c, const char *why);

#endif
