// Switchboard's presence records: what a node announces about itself every second, the
// sockets it lists on request and the socket events it streams (docs/cluster-protocol.md).
// JSON, so that `redis-cli` shows them as they are.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QMap>
#include <QStringList>
#include <QVariantMap>

#include <optional>

namespace switchboard::cluster {

inline constexpr int PresenceIntervalMs = 1000;
inline constexpr int PresenceTtlMs = 5000;

struct NodePresence
{
    QString uid;
    QString name;
    QString address; // host:port clients connect to
    QString version;
    qint64 pid = 0;
    qint64 startedAt = 0; // ms since the epoch
    qint64 time = 0;      // when this record was made, ms since the epoch
    int intervalMs = PresenceIntervalMs;
    bool leaving = false;           // the last record of a node that shuts down
    QMap<QString, int> connections; // sockets per namespace
    int clients = 0;                // Engine.IO connections
    int rooms = 0;                  // rooms over all namespaces, sockets' own rooms excluded
    double messagesInPerSec = 0;
    double messagesOutPerSec = 0;
    double bytesInPerSec = 0;
    double bytesOutPerSec = 0;
    qint64 rssBytes = 0;
    double redisRoundTripMs = -1;
    qint64 publishFailures = 0;  // messages that could not be published (Redis down)
    qint64 subscriptionGaps = 0; // times the subscription was lost (messages may be missed)
    // The producers' queue (--queue, docs/queue.md), when the node consumes one.
    struct Queue
    {
        QString key;
        qint64 depth = -1; // LLEN at the last sample, -1: none yet
        qint64 consumed = 0;
        qint64 deadLettered = 0;
        qint64 reclaimed = 0;
        bool consuming = false; // this node holds the consumer lease
        bool operator==(const Queue &) const = default;
    };
    std::optional<Queue> queue;

    QVariantMap toVariant() const;
    static NodePresence fromVariant(const QVariantMap &map);
};

QByteArray encodePresence(const NodePresence &presence);
Decoded<NodePresence> decodePresence(QByteArrayView bytes);

// One socket as a node lists it: no secret values, only the names of the auth fields.
struct SocketRecord
{
    QString id;
    QString nsp;
    QStringList rooms; // the socket's own room excluded
    QString address;
    qint64 connectedAt = 0; // ms since the epoch
    QString url;
    QString userAgent;
    QStringList authKeys;

    QVariantMap toVariant() const;
    static SocketRecord fromVariant(const QVariantMap &map);
    friend bool operator==(const SocketRecord &, const SocketRecord &) = default;
};

// A change to the sockets of a node, streamed in batches.
struct SocketEvent
{
    enum class Kind
    {
        Connect,
        Disconnect,
        Join,
        Leave
    };
    Kind kind = Kind::Connect;
    QString nsp;
    QString id;
    QString room;        // join, leave
    QString reason;      // disconnect
    SocketRecord socket; // connect

    QVariantMap toVariant() const;
    static std::optional<SocketEvent> fromVariant(const QVariantMap &map);
};

QByteArray encodeSocketEvents(const QString &uid, const QList<SocketEvent> &events);
struct SocketEventBatch
{
    QString uid;
    QList<SocketEvent> events;
};
Decoded<SocketEventBatch> decodeSocketEvents(QByteArrayView bytes);

// A reply to a "list-sockets" control request, one page of it.
struct SocketListPage
{
    QString requestId;
    QString uid;
    QString name;
    int seq = 0;
    bool last = true;
    QList<SocketRecord> sockets;
};
QByteArray encodeSocketListPage(const SocketListPage &page);
Decoded<SocketListPage> decodeSocketListPage(QByteArrayView bytes);

} // namespace switchboard::cluster
