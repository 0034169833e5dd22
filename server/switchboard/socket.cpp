#include "switchboard/socket.h"

#include "switchboard/client.h"
#include "switchboard/ids.h"
#include "switchboard/logging.h"
#include "switchboard/namespace.h"

#include <QPointer>
#include <QTimerEvent>

namespace switchboard {

QVariantMap Handshake::toVariant() const
{
    QVariantMap headerMap;
    for (const auto &[name, value] : headers)
        headerMap.insert(QString::fromLatin1(name), QString::fromLatin1(value));
    QVariantMap queryMap;
    for (const auto &[key, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded))
        queryMap.insert(key, value);
    return QVariantMap{
        {QStringLiteral("headers"), headerMap},
        {QStringLiteral("time"), time.toString(Qt::RFC2822Date)},
        {QStringLiteral("address"), address},
        {QStringLiteral("xdomain"), !headerMap.value(QStringLiteral("origin")).isNull()},
        {QStringLiteral("secure"), secure},
        {QStringLiteral("issued"), time.toMSecsSinceEpoch()},
        {QStringLiteral("url"), url.toString(QUrl::FullyEncoded)},
        {QStringLiteral("query"), queryMap},
        {QStringLiteral("auth"), auth},
    };
}

Socket::Socket(Namespace *nsp, Client *client, Handshake handshake)
    : QObject(client), m_nsp(nsp), m_client(client), m_id(randomId()),
      m_handshake(std::move(handshake))
{}

Socket::~Socket()
{
    // Deleted without a close (its client or server went first): nothing may keep a pointer
    // to it, neither the namespace, nor the adapter's rooms, nor the client.
    if (m_state == State::Closed)
        return;
    if (m_state == State::Connected)
        m_nsp->dropSocket(this);
    else
        m_nsp->forgetPending(this);
    m_client->forgetSocket(this);
}

void Socket::markConnected()
{
    m_state = State::Connected;
}

void Socket::abandon()
{
    if (m_state != State::Pending)
        return;
    m_state = State::Closed;
    m_nsp->forgetPending(this);
    m_client->forgetSocket(this);
    deleteLater();
}

void Socket::on(const QString &event, EventHandler handler)
{
    m_handlers.insert(event, std::move(handler));
}

void Socket::sendPacket(socketio::Packet packet)
{
    packet.nsp = m_nsp->name();
    m_client->send(prepare(std::move(packet)).frames());
}

bool Socket::emit(const QString &event, const QVariantList &args)
{
    return emitWithAck(event, args, nullptr, 0);
}

bool Socket::emitWithAck(const QString &event, const QVariantList &args, AckCallback callback,
                         int timeoutMs)
{
    if (socketio::isReservedEvent(event)) {
        qCWarning(lcServer) << "refusing to emit reserved event name" << event;
        return false;
    }
    if (!isConnected())
        return false;
    socketio::Packet packet;
    packet.type = socketio::PacketType::Event;
    QVariantList data{event};
    data.append(args);
    packet.data = data;
    if (callback) {
        packet.id = m_nsp->nextAckId();
        PendingAck pending{std::move(callback), 0};
        if (timeoutMs > 0) {
            pending.timerId = startTimer(timeoutMs);
            m_ackTimers.insert(pending.timerId, packet.id);
        }
        m_pendingAcks.insert(packet.id, std::move(pending));
    }
    sendPacket(std::move(packet));
    return true;
}

void Socket::timerEvent(QTimerEvent *event)
{
    const auto it = m_ackTimers.find(event->timerId());
    if (it == m_ackTimers.end())
        return QObject::timerEvent(event);
    killTimer(event->timerId());
    const qint64 id = *it;
    m_ackTimers.erase(it);
    if (auto pending = m_pendingAcks.take(id); pending.callback)
        pending.callback(QStringLiteral("operation has timed out"), {});
}

void Socket::join(const QString &room)
{
    m_nsp->adapter()->addAll(m_id, {room});
}

void Socket::join(const QStringList &rooms)
{
    m_nsp->adapter()->addAll(m_id, QSet<QString>(rooms.cbegin(), rooms.cend()));
}

void Socket::leave(const QString &room)
{
    m_nsp->adapter()->del(m_id, room);
}

QSet<QString> Socket::rooms() const
{
    return m_nsp->adapter()->socketRooms(m_id);
}

BroadcastOperator Socket::to(const QString &room) const
{
    return broadcast().to(room);
}

BroadcastOperator Socket::to(const QStringList &rooms) const
{
    return broadcast().to(rooms);
}

BroadcastOperator Socket::broadcast() const
{
    return BroadcastOperator(m_nsp).except(m_id);
}

void Socket::disconnect(bool close)
{
    if (close) {
        m_client->close(QStringLiteral("forced close"));
        return;
    }
    this->close(QStringLiteral("server namespace disconnect"), true);
}

void Socket::onPacket(const socketio::Packet &packet)
{
    switch (packet.type) {
    case socketio::PacketType::Event:
    case socketio::PacketType::BinaryEvent:
        onEvent(packet);
        break;
    case socketio::PacketType::Ack:
    case socketio::PacketType::BinaryAck:
        onAck(packet);
        break;
    case socketio::PacketType::Disconnect:
        close(QStringLiteral("client namespace disconnect"), false);
        break;
    default:
        m_client->close(QStringLiteral("parse error: unexpected %1 from client")
                            .arg(QLatin1String(socketio::typeName(packet.type))),
                        true);
        break;
    }
}

Socket::Ack Socket::makeAck(qint64 id)
{
    if (id < 0)
        return {};
    QPointer<Socket> self(this);
    auto sent = std::make_shared<bool>(false);
    return Ack([self, id, sent](const QVariantList &args) {
        if (*sent || !self || !self->isConnected())
            return;
        *sent = true;
        socketio::Packet packet;
        packet.type = socketio::PacketType::Ack;
        packet.id = id;
        packet.data = args;
        self->sendPacket(std::move(packet));
    });
}

void Socket::onEvent(const socketio::Packet &packet)
{
    QVariantList args = packet.data.toList();
    const QString event = args.takeFirst().toString();
    const Ack ack = makeAck(packet.id);
    QPointer<Socket> self(this);
    bool handled = false;
    if (const auto it = m_handlers.constFind(event); it != m_handlers.cend()) {
        handled = true;
        const EventHandler handler = *it; // the handler may replace itself
        handler(this, args, ack);
    }
    if (!self || !isConnected())
        return;
    if (const auto *shared = m_nsp->handlers(event)) {
        handled = true;
        const auto copy = *shared;
        for (const EventHandler &handler : copy) {
            handler(this, args, ack);
            if (!self || !isConnected())
                return;
        }
    }
    if (!handled)
        qCDebug(lcSocketIo) << "no handler for event" << event << "on" << m_nsp->name();
}

void Socket::onAck(const socketio::Packet &packet)
{
    auto pending = m_pendingAcks.take(packet.id);
    if (!pending.callback) {
        qCDebug(lcSocketIo) << "ack" << packet.id << "matches no pending emit on" << m_id;
        return;
    }
    if (pending.timerId) {
        killTimer(pending.timerId);
        m_ackTimers.remove(pending.timerId);
    }
    pending.callback(QString(), packet.data.toList());
}

void Socket::deliver(const WireFrames &frames, bool volatileFlag)
{
    if (!isConnected())
        return;
    if (volatileFlag && m_client->connection()->bufferedBytes() > 0)
        return;
    m_client->send(frames);
}

bool Socket::deliverWithAck(const OutgoingPacket &packet,
                            const std::function<void(const QVariant &response)> &onAck)
{
    if (!isConnected())
        return false;
    m_pendingAcks.insert(packet.packet.id,
                         PendingAck{[onAck](const QString &error, const QVariantList &args) {
                                        if (error.isEmpty())
                                            onAck(args.value(0));
                                    },
                                    0});
    m_client->send(packet.frames());
    return true;
}

void Socket::close(const QString &reason, bool notifyClient)
{
    if (!isConnected())
        return;
    Q_EMIT disconnecting(reason);
    if (notifyClient) {
        socketio::Packet packet;
        packet.type = socketio::PacketType::Disconnect;
        sendPacket(std::move(packet));
    }
    m_state = State::Closed;
    for (auto it = m_pendingAcks.begin(); it != m_pendingAcks.end(); ++it) {
        if (it->timerId)
            killTimer(it->timerId);
    }
    const auto pending = std::exchange(m_pendingAcks, {});
    m_ackTimers.clear();
    m_client->forgetSocket(this);
    m_nsp->removeSocket(this, reason);
    for (const PendingAck &ack : pending)
        if (ack.callback)
            ack.callback(QStringLiteral("socket has been disconnected"), {});
    Q_EMIT disconnected(reason);
    deleteLater();
}

} // namespace switchboard
