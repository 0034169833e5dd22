// The cluster's wire formats: the channels and messages of @socket.io/redis-adapter 8.x
// (broadcasts as msgpack [uid, packet, opts]; requests and responses as JSON or msgpack)
// and Switchboard's own presence, socket-list and socket-event records
// (docs/cluster-protocol.md). Pure functions over bytes, shared by the node and the console.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QStringList>
#include <QVariantMap>

#include <optional>

namespace switchboard::cluster {

enum class RequestType : int
{
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
};

// The uid @socket.io/redis-emitter publishes with.
inline constexpr QStringView EmitterUid = u"emitter";

// Channel names for one key prefix (the adapter's `key` option, "socket.io" by default).
class Channels
{
public:
    explicit Channels(QString key = QStringLiteral("socket.io")) : m_key(std::move(key)) {}
    const QString &key() const { return m_key; }

    QByteArray broadcast(const QString &nsp) const;                          // key#nsp#
    QByteArray broadcastRoom(const QString &nsp, const QString &room) const; // key#nsp#room#
    QByteArray broadcastPattern(const QString &nsp) const;                   // key#nsp#*
    QByteArray request(const QString &nsp) const;                            // key-request#nsp#
    QByteArray response(const QString &nsp) const;                           // key-response#nsp#
    QByteArray specificResponse(const QString &nsp, const QString &uid) const;

    // Switchboard's own channels and keys, beside the adapter's.
    QByteArray presence() const;                             // key-switchboard#presence#
    QByteArray presenceKey(const QString &uid) const;        // key-switchboard#node#<uid>
    QByteArray presenceKeyPattern() const;                   // key-switchboard#node#*
    QByteArray socketEvents() const;                         // key-switchboard#events#
    QByteArray control() const;                              // key-switchboard#request#
    QByteArray controlReply(const QString &requestId) const; // key-switchboard#response#<id>#

    // The room a broadcast channel names ("" for the namespace channel), or nullopt when the
    // channel is not a broadcast channel of `nsp`.
    std::optional<QString> roomOf(const QString &nsp, QByteArrayView channel) const;
    // The namespace of an adapter channel ("key#nsp#...", "key-request#nsp#", ...).
    std::optional<QString> namespaceOf(QByteArrayView channel) const;

private:
    QString m_key;
};

// One broadcast as the adapter publishes it.
struct BroadcastMessage
{
    QString uid;
    QString nsp = QStringLiteral("/");
    int packetType = 2; // Socket.IO EVENT
    QVariantList data;  // [event, ...args], binary as QByteArray
    qint64 id = -1;     // the ack id for BROADCAST requests, -1 when none
    QStringList rooms;
    QStringList except;
    QVariantMap flags;
};

// Levels a message adds around the packet data it carries: the [uid, packet, opts] array of a
// broadcast (the object of a request) and the packet object. A node that accepts data nested
// maxDepth levels from its clients decodes cluster messages up to maxDepth + EnvelopeDepth.
inline constexpr int EnvelopeDepth = 2;
// What msgpack decoding allowed before the depth was configurable (64 levels in all).
inline constexpr int DefaultMaxDataDepth = 64 - EnvelopeDepth;

QByteArray encodeBroadcast(const BroadcastMessage &message);
Decoded<BroadcastMessage> decodeBroadcast(QByteArrayView bytes,
                                          int maxDataDepth = DefaultMaxDataDepth);

// The packet object and options object in their wire shape, for BROADCAST requests.
QVariantMap packetToWire(const BroadcastMessage &message);
QVariantMap optionsToWire(const BroadcastMessage &message);
// Reads `packet` and `opts` of a BROADCAST request or of a broadcast array.
Decoded<BroadcastMessage> broadcastFromWire(const QString &uid, const QVariant &packet,
                                            const QVariant &opts);

// Requests and responses: JSON when the first byte is '{', msgpack otherwise (nested at most
// maxDataDepth + EnvelopeDepth levels).
Decoded<QVariantMap> decodeRequest(QByteArrayView bytes, int maxDataDepth = DefaultMaxDataDepth);
QByteArray encodeJson(const QVariantMap &object);

} // namespace switchboard::cluster
