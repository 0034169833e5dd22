// Where broadcasts go: the adapter tracks room membership of a namespace's sockets and
// delivers packets to them. The local adapter serves one node; a cluster adapter extends it.
#pragma once

#include "switchboard/engineconnection.h"
#include "switchboard/socketio.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <functional>
#include <optional>
#include <vector>

namespace switchboard {

class Namespace;
class Socket;

struct BroadcastFlags
{
    bool local = false;     // do not relay to other nodes
    bool volatile_ = false; // may be dropped for a client whose output is backed up
    int timeout = 0;        // ms a broadcast with ack waits for the clients' answers
    friend bool operator==(const BroadcastFlags &, const BroadcastFlags &) = default;
};

struct BroadcastOptions
{
    QSet<QString> rooms; // empty = every socket of the namespace
    QSet<QString> except;
    BroadcastFlags flags;
};

// A packet for every recipient, encoded once, when the first local recipient needs it: a
// broadcast that only goes to Redis (msgpack of `packet`) is never JSON-encoded.
struct OutgoingPacket
{
    socketio::Packet packet;
    const WireFrames &frames() const;

private:
    mutable std::optional<WireFrames> m_frames;
};
OutgoingPacket prepare(socketio::Packet packet);

// A socket as fetchSockets() returns it, wherever it lives in the cluster.
struct RemoteSocket
{
    QString id;
    QVariantMap handshake;
    QStringList rooms;
    QVariantMap data;
};

using ServerCountCallback = std::function<void(int servers)>;
using FetchCallback = std::function<void(const QString &error, const QList<RemoteSocket> &sockets)>;
using RoomsCallback = std::function<void(const QString &error, const QSet<QString> &rooms)>;
using ServerSideAckCallback =
    std::function<void(const QString &error, const QVariantList &responses)>;

class Adapter : public QObject
{
    Q_OBJECT
public:
    explicit Adapter(Namespace *nsp);
    ~Adapter() override;

    Namespace *nsp() const { return m_nsp; }

    virtual void addAll(const QString &id, const QSet<QString> &rooms) = 0;
    virtual void del(const QString &id, const QString &room) = 0;
    virtual void delAll(const QString &id) = 0;
    virtual void broadcast(const OutgoingPacket &packet, const BroadcastOptions &options) = 0;
    // Delivers a packet that carries an ack id; `onCount` learns how many clients were
    // reached (once per node), `onAck` receives each client's first ack argument.
    virtual void broadcastWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                                  const std::function<void(int clientCount)> &onCount,
                                  const std::function<void(const QVariant &response)> &onAck) = 0;

    virtual QSet<QString> socketRooms(const QString &id) const = 0;
    // Ids of local sockets in any of `rooms` (all sockets when empty), minus `except`.
    virtual QSet<QString> sockets(const QSet<QString> &rooms,
                                  const QSet<QString> &except = {}) const = 0;
    virtual QStringList rooms() const = 0;
    // How many of rooms() are not the own room of a socket in it: the rooms somebody made.
    // Presence reports it every second, so an adapter should answer without walking sockets.
    virtual int roomCount() const;

    // Cluster-wide operations; a single node answers them alone.
    virtual void serverCount(const ServerCountCallback &callback) = 0;
    virtual void addSockets(const BroadcastOptions &options, const QStringList &rooms) = 0;
    virtual void delSockets(const BroadcastOptions &options, const QStringList &rooms) = 0;
    virtual void disconnectSockets(const BroadcastOptions &options, bool close) = 0;
    virtual void fetchSockets(const BroadcastOptions &options, const FetchCallback &callback) = 0;
    virtual void allRooms(const RoomsCallback &callback) = 0;
    // `data` is [event, ...args]; with a callback, every other server is asked for an ack.
    virtual void serverSideEmit(const QVariantList &data,
                                const ServerSideAckCallback &callback) = 0;

Q_SIGNALS:
    // A socket entered or left a room (its own room excluded): presence streams these.
    void joined(const QString &id, const QString &room);
    void left(const QString &id, const QString &room);

private:
    Namespace *m_nsp;
};

class LocalAdapter : public Adapter
{
    Q_OBJECT
public:
    using Adapter::Adapter;

    void addAll(const QString &id, const QSet<QString> &rooms) override;
    void del(const QString &id, const QString &room) override;
    void delAll(const QString &id) override;
    void broadcast(const OutgoingPacket &packet, const BroadcastOptions &options) override;
    void broadcastWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                          const std::function<void(int clientCount)> &onCount,
                          const std::function<void(const QVariant &response)> &onAck) override;
    QSet<QString> socketRooms(const QString &id) const override;
    QSet<QString> sockets(const QSet<QString> &rooms, const QSet<QString> &except) const override;
    QStringList rooms() const override;
    int roomCount() const override;
    bool hasRoom(const QString &room) const { return m_rooms.contains(room) || inOwnRoom(room); }

    void serverCount(const ServerCountCallback &callback) override;
    void addSockets(const BroadcastOptions &options, const QStringList &rooms) override;
    void delSockets(const BroadcastOptions &options, const QStringList &rooms) override;
    void disconnectSockets(const BroadcastOptions &options, bool close) override;
    void fetchSockets(const BroadcastOptions &options, const FetchCallback &callback) override;
    void allRooms(const RoomsCallback &callback) override;
    void serverSideEmit(const QVariantList &data, const ServerSideAckCallback &callback) override;

protected:
    // This node's part of each operation; cluster adapters call them for remote requests.
    void deliverLocally(const OutgoingPacket &packet, const BroadcastOptions &options);
    int deliverLocallyWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                              const std::function<void(const QVariant &response)> &onAck);
    void addSocketsLocally(const BroadcastOptions &options, const QStringList &rooms);
    void delSocketsLocally(const BroadcastOptions &options, const QStringList &rooms);
    void disconnectSocketsLocally(const BroadcastOptions &options, bool close);
    QList<RemoteSocket> fetchSocketsLocally(const BroadcastOptions &options) const;

private:
    // The connected local sockets a broadcast reaches, each once, walked from the room
    // members directly (a set only to de-duplicate several rooms).
    QList<Socket *> recipients(const BroadcastOptions &options) const;

    bool inOwnRoom(const QString &room) const;

    // A room of at least ResolveFrom members is resolved to its connected sockets at its first
    // broadcast, and the list kept until its membership changes: a busy room's broadcasts walk
    // an array of sockets instead of looking every member's id up (a cache miss or three
    // each). Smaller rooms are walked by id, so that many small rooms cost no extra memory.
    static constexpr qsizetype ResolveFrom = 16;
    const std::vector<Socket *> &resolved(const QString &room, const QSet<QString> &members) const;
    void forgetResolved(const QStringList &rooms);

    QHash<QString, QSet<QString>> m_rooms; // room -> socket ids, sockets' own rooms left out
    QHash<QString, QStringList> m_sids;    // socket id -> its rooms (few: a list)
    mutable QHash<QString, std::vector<Socket *>> m_resolved; // room -> its connected sockets
};

} // namespace switchboard
