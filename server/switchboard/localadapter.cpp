#include "switchboard/adapter.h"

#include "switchboard/namespace.h"
#include "switchboard/socket.h"

#include <QPointer>
#include <QVarLengthArray>

#include <algorithm>

namespace switchboard {

OutgoingPacket prepare(socketio::Packet packet)
{
    OutgoingPacket out;
    out.packet = std::move(packet);
    return out;
}

const WireFrames &OutgoingPacket::frames() const
{
    if (!m_frames) {
        const socketio::Encoded encoded = socketio::encode(packet);
        WireFrames frames;
        frames.text.reserve(encoded.text.size() + 1);
        frames.text.append('4');
        frames.text.append(encoded.text);
        frames.binaries = encoded.attachments;
        m_frames = std::move(frames);
    }
    return *m_frames;
}

Adapter::Adapter(Namespace *nsp) : QObject(nsp), m_nsp(nsp) {}

int Adapter::roomCount() const
{
    int count = 0;
    for (const QString &room : rooms())
        count += !socketRooms(room).contains(room);
    return count;
}

Adapter::~Adapter() = default;

// A socket's own room lives only in its m_sids entry: a set per socket in m_rooms would cost
// more than the rest of an idle connection (Qt 6 allocates a whole hash span for one entry).
bool LocalAdapter::inOwnRoom(const QString &room) const
{
    const auto it = m_sids.constFind(room);
    return it != m_sids.cend() && it->contains(room);
}

void LocalAdapter::addAll(const QString &id, const QSet<QString> &rooms)
{
    // Slots of `joined` may join, leave or remove sockets: the socket's entry is looked up
    // again after each emit (a rehash moves it), and a socket removed by a slot stays removed.
    if (!m_sids.contains(id))
        m_sids.insert(id, {});
    // The socket may have joined rooms before it was connected (in a middleware), when it
    // could not be resolved yet: the connect itself (its own room) makes them stale too.
    forgetResolved(m_sids.value(id));
    for (const QString &room : rooms) {
        const auto mine = m_sids.find(id);
        if (mine == m_sids.end())
            return;
        if (mine->contains(room))
            continue;
        mine->append(room);
        if (room == id)
            continue;
        m_rooms[room].insert(id);
        m_resolved.remove(room);
        Q_EMIT joined(id, room);
    }
}

void LocalAdapter::forgetResolved(const QStringList &rooms)
{
    if (m_resolved.isEmpty())
        return;
    for (const QString &room : rooms)
        m_resolved.remove(room);
}

const std::vector<Socket *> &LocalAdapter::resolved(const QString &room,
                                                    const QSet<QString> &members) const
{
    auto it = m_resolved.find(room);
    if (it == m_resolved.end()) {
        const Namespace *space = nsp();
        std::vector<Socket *> sockets;
        sockets.reserve(size_t(members.size()));
        for (const QString &id : members)
            if (Socket *socket = space->socket(id))
                sockets.push_back(socket);
        it = m_resolved.insert(room, std::move(sockets));
    }
    return *it;
}

void LocalAdapter::del(const QString &id, const QString &room)
{
    // Emits last: slots of `left` may change the maps.
    const auto sid = m_sids.find(id);
    if (sid == m_sids.end() || !sid->removeOne(room) || room == id)
        return;
    m_resolved.remove(room);
    if (auto it = m_rooms.find(room); it != m_rooms.end()) {
        it->remove(id);
        if (it->isEmpty())
            m_rooms.erase(it);
    }
    Q_EMIT left(id, room);
}

void LocalAdapter::delAll(const QString &id)
{
    const auto it = m_sids.find(id);
    if (it == m_sids.end())
        return;
    forgetResolved(*it);
    for (const QString &room : std::as_const(*it)) {
        if (room == id)
            continue;
        if (auto r = m_rooms.find(room); r != m_rooms.end()) {
            r->remove(id);
            if (r->isEmpty())
                m_rooms.erase(r);
        }
    }
    m_sids.erase(it);
}

void LocalAdapter::broadcast(const OutgoingPacket &packet, const BroadcastOptions &options)
{
    deliverLocally(packet, options);
}

QList<Socket *> LocalAdapter::recipients(const BroadcastOptions &options) const
{
    Namespace *space = nsp();
    QList<const QSet<QString> *> excluded;
    QStringList excludedIds; // except rooms that are sockets' own
    for (const QString &room : options.except) {
        if (const auto it = m_rooms.constFind(room); it != m_rooms.cend())
            excluded.append(&*it);
        if (inOwnRoom(room))
            excludedIds.append(room);
    }
    // Collected before any delivery: a delivery may close a socket, which edits the rooms
    // (and drops the room's resolved list).
    QList<Socket *> out;
    const bool excluding = !excluded.isEmpty() || !excludedIds.isEmpty();
    const auto inExcludedRoom = [&](const QString &id) {
        for (const QSet<QString> *members : std::as_const(excluded))
            if (members->contains(id))
                return true;
        return false;
    };
    const auto isExcluded = [&](const QString &id) {
        return excludedIds.contains(id) || inExcludedRoom(id);
    };
    const auto take = [&](const QString &id) {
        if (isExcluded(id))
            return;
        if (Socket *socket = space->socket(id))
            out.append(socket);
    };
    if (options.rooms.isEmpty()) {
        // Every connected socket of the namespace is in m_sids (Namespace::admit).
        const QHash<QString, Socket *> &connected = space->sockets();
        out.reserve(connected.size());
        for (auto it = connected.cbegin(); it != connected.cend(); ++it)
            if (!excluding || !isExcluded(it.key()))
                out.append(it.value());
    } else if (options.rooms.size() == 1) {
        const QString &room = *options.rooms.cbegin();
        if (const auto it = m_rooms.constFind(room); it != m_rooms.cend()) {
            if (it->size() < ResolveFrom) {
                for (const QString &id : *it)
                    take(id);
            } else if (const std::vector<Socket *> &members = resolved(room, *it); !excluding) {
                out = QList<Socket *>(members.cbegin(), members.cend());
            } else {
                // Usually the sender alone (its own room): compared by address, since reading
                // every member's id would cost what resolving saved.
                QVarLengthArray<const Socket *, 4> excludedSockets;
                for (const QString &id : std::as_const(excludedIds))
                    if (const Socket *socket = space->socket(id))
                        excludedSockets.append(socket);
                for (Socket *socket : members)
                    if (!excludedSockets.contains(socket) &&
                        (excluded.isEmpty() || !inExcludedRoom(socket->id())))
                        out.append(socket);
            }
        }
        if (inOwnRoom(room))
            take(room);
    } else {
        for (const QString &id : sockets(options.rooms, options.except))
            take(id);
    }
    return out;
}

void LocalAdapter::deliverLocally(const OutgoingPacket &packet, const BroadcastOptions &options)
{
    const QList<Socket *> targets = recipients(options);
    if (targets.isEmpty())
        return;
    const WireFrames &frames = packet.frames();
    // A delivery reads five objects of its recipient in a chain (socket, client, session,
    // connection, its output queue), where a busy room's broadcast finds few in the cache:
    // each link is asked for a few recipients ahead (Socket::prefetchNext), so that the misses
    // of several recipients overlap instead of following each other.
    constexpr qsizetype Ahead = 4;
    constexpr int Links = 6; // Socket::prefetch, then prefetchNext(0..4)
    const qsizetype count = targets.size();
    for (qsizetype i = 0; i < count; ++i) {
        for (int link = 0; link < Links; ++link) {
            const qsizetype j = i + (Links - link) * Ahead;
            if (j >= count)
                continue;
            if (link == 0)
                Socket::prefetch(targets.at(j));
            else
                targets.at(j)->prefetchNext(link - 1);
        }
        targets.at(i)->deliver(frames, options.flags.volatile_);
    }
}

void LocalAdapter::broadcastWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                                    const std::function<void(int clientCount)> &onCount,
                                    const std::function<void(const QVariant &response)> &onAck)
{
    onCount(deliverLocallyWithAck(packet, options, onAck));
}

int LocalAdapter::deliverLocallyWithAck(const OutgoingPacket &packet,
                                        const BroadcastOptions &options,
                                        const std::function<void(const QVariant &response)> &onAck)
{
    // Clients that never answer must not leave their pending ack behind: each is forgot a
    // while after the sender stopped waiting. Bookkeeping only, so coarse: whole 5 s steps
    // keep the deadline lists few, whatever timeouts clients and other servers ask for.
    constexpr int Step = 5000;
    const int grace = std::clamp(options.flags.timeout, 0, 24 * 3600 * 1000) + 1000;
    const int forgetAfter = (grace + Step - 1) / Step * Step;
    int reached = 0;
    for (Socket *socket : recipients(options))
        if (socket->deliverWithAck(packet, onAck, forgetAfter))
            ++reached;
    return reached;
}

void LocalAdapter::serverCount(const ServerCountCallback &callback)
{
    callback(1);
}

void LocalAdapter::addSockets(const BroadcastOptions &options, const QStringList &rooms)
{
    addSocketsLocally(options, rooms);
}

void LocalAdapter::delSockets(const BroadcastOptions &options, const QStringList &rooms)
{
    delSocketsLocally(options, rooms);
}

void LocalAdapter::disconnectSockets(const BroadcastOptions &options, bool close)
{
    disconnectSocketsLocally(options, close);
}

void LocalAdapter::fetchSockets(const BroadcastOptions &options, const FetchCallback &callback)
{
    callback({}, fetchSocketsLocally(options));
}

void LocalAdapter::allRooms(const RoomsCallback &callback)
{
    const QStringList local = rooms();
    callback({}, QSet<QString>(local.cbegin(), local.cend()));
}

void LocalAdapter::serverSideEmit(const QVariantList &, const ServerSideAckCallback &callback)
{
    // No other server to tell.
    if (callback)
        callback({}, {});
}

void LocalAdapter::addSocketsLocally(const BroadcastOptions &options, const QStringList &rooms)
{
    // Through Socket::join(): the rooms per socket are bounded whoever asks.
    Namespace *space = nsp();
    const QSet<QString> set(rooms.cbegin(), rooms.cend());
    for (const QString &id : sockets(options.rooms, options.except)) {
        if (Socket *socket = space->socket(id))
            socket->join(rooms);
        else
            addAll(id, set); // bookkeeping without a Socket object (unit tests)
    }
}

void LocalAdapter::delSocketsLocally(const BroadcastOptions &options, const QStringList &rooms)
{
    for (const QString &id : sockets(options.rooms, options.except))
        for (const QString &room : rooms)
            if (room != id)
                del(id, room);
}

void LocalAdapter::disconnectSocketsLocally(const BroadcastOptions &options, bool close)
{
    Namespace *space = nsp();
    QList<QPointer<Socket>> targets;
    for (const QString &id : sockets(options.rooms, options.except))
        if (Socket *socket = space->socket(id))
            targets.append(socket);
    for (const QPointer<Socket> &socket : targets)
        if (socket)
            socket->disconnect(close);
}

QList<RemoteSocket> LocalAdapter::fetchSocketsLocally(const BroadcastOptions &options) const
{
    QList<RemoteSocket> out;
    Namespace *space = nsp();
    for (const QString &id : sockets(options.rooms, options.except)) {
        Socket *socket = space->socket(id);
        if (!socket)
            continue;
        out.append(
            RemoteSocket{id, socket->handshake().toVariant(), m_sids.value(id), socket->data()});
    }
    return out;
}

QSet<QString> LocalAdapter::socketRooms(const QString &id) const
{
    const QStringList rooms = m_sids.value(id);
    return QSet<QString>(rooms.cbegin(), rooms.cend());
}

QSet<QString> LocalAdapter::sockets(const QSet<QString> &rooms, const QSet<QString> &except) const
{
    // Members of `room`: those in m_rooms, and the socket whose own room it is.
    const auto membersOf = [this](const QString &room, const auto &visit) {
        if (const auto it = m_rooms.constFind(room); it != m_rooms.cend())
            for (const QString &id : *it)
                visit(id);
        if (inOwnRoom(room))
            visit(room);
    };
    QSet<QString> excluded;
    for (const QString &room : except)
        membersOf(room, [&excluded](const QString &id) { excluded.insert(id); });
    QSet<QString> out;
    if (rooms.isEmpty()) {
        for (auto it = m_sids.cbegin(); it != m_sids.cend(); ++it)
            if (!excluded.contains(it.key()))
                out.insert(it.key());
        return out;
    }
    for (const QString &room : rooms)
        membersOf(room, [&](const QString &id) {
            if (!excluded.contains(id))
                out.insert(id); // a set: a member of several rooms is reached once
        });
    return out;
}

// Own rooms are never in m_rooms unless another socket joined one: the walk is over the rooms
// made, not over the sockets (a node with 15 000 idle connections announces every second).
int LocalAdapter::roomCount() const
{
    int count = 0;
    for (auto it = m_rooms.cbegin(); it != m_rooms.cend(); ++it)
        count += !inOwnRoom(it.key());
    return count;
}

QStringList LocalAdapter::rooms() const
{
    QStringList out = m_rooms.keys();
    for (auto it = m_sids.cbegin(); it != m_sids.cend(); ++it)
        if (it->contains(it.key()) && !m_rooms.contains(it.key()))
            out.append(it.key());
    return out;
}

} // namespace switchboard
