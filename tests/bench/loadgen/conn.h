// One raw Socket.IO v5 client over Engine.IO v4 over a non-blocking TCP socket in an epoll set,
// with one of two transports:
//  - WebSocket (RFC 6455, masked client frames): the HTTP upgrade, framing, heartbeat answers
//    and the CONNECT to "/", all on one TCP connection;
//  - HTTP long-polling, never upgraded: the handshake GET, then one GET parked at a time on
//    one keep-alive connection and the POSTs (CONNECT, pongs, events) on a second one, as a
//    browser does while a GET is parked; packets a POST in flight holds up go in the next one.
// What the client does once connected belongs to the mode in sbload.c, through the conn_on_*
// callbacks, whatever the transport.
#ifndef SBLOAD_CONN_H
#define SBLOAD_CONN_H

#include <stddef.h>
#include <stdint.h>

enum conn_state
{
    CONN_IDLE,       // not started
    CONN_CONNECTING, // TCP connect in progress
    CONN_HTTP,       // upgrade request (or polling handshake GET) sent, waiting for the answer
    CONN_ENGINE,     // Engine.IO open: waiting for the open packet / CONNECT reply
    CONN_READY,      // Socket.IO CONNECT answered: sid known
    CONN_CLOSED,
};

enum link_state
{
    LINK_DOWN,       // no TCP connection
    LINK_CONNECTING, // connect() in progress
    LINK_OPEN,
};

// One TCP connection of a client: the WebSocket or the polling GETs (`link` of struct conn),
// or the polling POSTs (`post`). Buffers are allocated only while needed.
struct link
{
    int fd;
    uint8_t state;   // enum link_state
    uint8_t is_post; // which link of its conn this is
    uint8_t waiting; // polling: a request is outstanding
    uint8_t reused;  // polling: answers received on this TCP connection (capped at 1)
    uint8_t *in;     // bytes of an incomplete frame or HTTP answer
    uint32_t in_len, in_cap;
    uint8_t *out; // unsent output
    uint32_t out_len, out_cap;
};

struct conn
{
    struct link link; // first: an epoll event of it points at the conn
    uint8_t state;    // enum conn_state: of the session
    uint8_t role;     // the mode's business
    uint8_t slow;     // a slow reader (stops reading during fan-out)
    uint8_t paused;   // not reading right now
    uint16_t port;
    uint32_t index;
    int64_t started_us; // when connect() was called
    uint32_t received;  // events received (the mode counts)
    char sid[24];       // the Socket.IO id, once connected
    uint8_t *frag;      // a fragmented WebSocket message being reassembled
    uint32_t frag_len, frag_cap;
    // Polling only: the Engine.IO session id, the POST connection, and the packets to POST
    // (joined by 0x1e; the first `posting` bytes are in the POST in flight).
    char eio_sid[32];
    struct link post;
    uint8_t *queue;
    uint32_t queue_len, queue_cap, posting;
    uint8_t post_retried;
};

// Set before the first connection: stop at the Engine.IO open packet (ready without a Socket.IO
// CONNECT), the way a client that never joins a namespace behaves.
extern int conn_engine_only;
// Set before the first connection: HTTP long-polling instead of WebSocket.
extern int conn_polling;

// Set once: the epoll instance every connection joins.
void conn_setup(int epoll_fd);
int64_t now_us(void);

// Starts the TCP connect to 127.0.0.1:port; 0 on success, -1 (errno set) otherwise.
int conn_start(struct conn *c, uint16_t port, int rcvbuf);
// Called for every epoll event: `ptr` is the event's data.ptr (a struct link of some conn).
void conn_handle(void *ptr, uint32_t events);
void conn_close(struct conn *c, const char *why);
// Sends one Engine.IO packet (a text frame, or a packet of the next POST); -1 if the
// connection is closed.
int conn_send_text(struct conn *c, const char *text, size_t len);
// Stops or resumes reading (slow readers; over polling, the GETs' connection).
void conn_pause(struct conn *c, int paused);

// Implemented by the mode (sbload.c).
void conn_on_ready(struct conn *c);                                      // CONNECT answered
void conn_on_event(struct conn *c, const char *json, size_t len);        // after "42"
void conn_on_ack(struct conn *c, long id, const char *json, size_t len); // after "43<id>"
void conn_on_closed(struct conn *c, const char *why);

#endif
