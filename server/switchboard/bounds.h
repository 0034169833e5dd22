// The bounds one client can run into, counted per server: each is a documented limit
// (docs/security.md) that closes or refuses that one client with a logged reason. The names
// are what /healthz reports (and, later, /metrics), from this one table.
#pragma once

#include <QVariantMap>

#include <array>

namespace switchboard {

enum class Bound : quint8
{
    HttpPipeline,   // requests answered while the client reads none of the answers
    HttpHeaders,    // request line and headers over the limit
    HttpBody,       // a request body over the limit, or no room for more bodies in flight
    HttpBodyTime,   // a request body not whole within its deadline
    WsControl,      // WebSocket control frames while the output is blocked
    SlowConsumer,   // unsent output over --max-buffered
    Payload,        // a message over maxPayload
    Attachments,    // binary attachments per packet, or their bytes
    PendingAcks,    // acks awaited by one socket
    RoomsPerSocket, // rooms one socket is in
    AuthFailures,   // refused CONNECTs on one connection
    Namespaces,     // dynamic namespaces alive at once
    Depth,          // nesting of a packet's data
    Count
};

struct BoundCounters
{
    std::array<quint64, size_t(Bound::Count)> hits{};

    void hit(Bound bound) { ++hits[size_t(bound)]; }
    quint64 value(Bound bound) const { return hits[size_t(bound)]; }
    // {name: count} for every bound, zeros included.
    QVariantMap toMap() const;
    static const char *name(Bound bound);
};

} // namespace switchboard
