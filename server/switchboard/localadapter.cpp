#include "switchboard/adapter.h"

#include "switchboard/namespace.h"
#include "switchboard/socket.h"

#include <QPointer>
#include <QTimer>

namespace switchboard {

OutgoingPacket prepare(socketio::Packet packet)
{
    const socketio::Encoded encoded = socketio::encode(packet);
    WireFrames frames;
    frames.text.reserve(encoded.text.size() + 1);
    frames.text.append(u'4');
    frames.text.append(QString::fromUtf8(encoded.text));
    frames.binaries = encoded.attachments;
    return OutgoingPacket{std::move(packet), std::move(frames)};
}

Adapter::Adapter(Namespace *nsp) : QObject(nsp), m_nsp(nsp) {}

Adapter::~Adapter() = default;

void LocalAdapter::addAll(const QString &id, const QSet<QString> &rooms)
{
    QSet<QString> &mine = m_sids[id];
    for (const QString &room : rooms) {
        mine.insert(room);
        m_rooms[room].insert(id);
    }
}

void LocalAdapter::del(const QString &id, const QString &room)
{
    if (auto it = m_sids.find(id); it != m_sids.end())
        it->remove(room);
    if (auto it = m_rooms.find(room); it != m_rooms.end()) {
        it->remove(id);
        if (it->isEmpty())
            m_rooms.erase(it);
    }
}

void LocalAdapter::delAll(const QString &id)
{
    const auto it = m_sids.find(id);
    if (it == m_sids.end())
        return;
    for (const QString &room : std::as_const(*it)) {
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

void LocalAdapter::deliverLocally(const OutgoingPacket &packet, const BroadcastOptions &options)
{
    Namespace *space = nsp();
    for (const QString &id : sockets(options.rooms, options.except)) {
        if (Socket *socket = space->socket(id))
            socket->deliver(packet.frames, options.flags.volatile_);
    }
}

void LocalAdapter::broadcastWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                                    const std::function<void(int clientCount)> &onCount,
                                    const std::function<void(const QVariant &response)> &onAck)
{
    Namespace *space = nsp();
    QList<QPointer<Socket>> reached;
    for (const QString &id : sockets(options.rooms, options.except)) {
        Socket *socket = space->socket(id);
        if (socket && socket->deliverWithAck(packet, onAck))
            reached.append(socket);
    }
    onCount(int(reached.size()));
    // Clients that never answer must not leave their pending ack behind.
    const qint64 ackId = packet.packet.id;
    QTimer::singleShot(std::max(options.flags.timeout, 0) + 1000, space, [reached, ackId] {
        for (const QPointer<Socket> &socket : reached)
            if (socket)
                socket->forgetAck(ackId);
    });
}

QSet<QString> LocalAdapter::socketRooms(const QString &id) const
{
    return m_sids.value(id);
}

QSet<QString> LocalAdapter::sockets(const QSet<QString> &rooms, const QSet<QString> &except) const
{
    QSet<QString> excluded;
    for (const QString &room : except) {
        if (const auto it = m_rooms.constFind(room); it != m_rooms.cend())
            excluded.unite(*it);
    }
    QSet<QString> out;
    if (rooms.isEmpty()) {
        for (auto it = m_sids.cbegin(); it != m_sids.cend(); ++it)
            if (!excluded.contains(it.key()))
                out.insert(it.key());
        return out;
    }
    for (const QString &room : rooms) {
        const auto it = m_rooms.constFind(room);
        if (it == m_rooms.cend())
            continue;
        for (const QString &id : *it)
            if (!excluded.contains(id))
                out.insert(id); // a set: a member of several rooms is reached once
    }
    return out;
}

QStringList LocalAdapter::rooms() const
{
    return m_rooms.keys();
}

} // namespace switchboard
