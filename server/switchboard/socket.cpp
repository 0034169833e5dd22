#include "switchboard/socket.h"

#include "switchboard/client.h"
#include "switchboard/ids.h"
#include "switchboard/logging.h"
#include "switchboard/namespace.h"
#include "switchboard/server.h"

#include <QPointer>

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
        qCWarning(lcServer).noquote() << "refusing to emit reserved event name" << quoted(event);
        return false;
    }
    if (!isConnected())
        return false;
    if (callback && !admitAck())
        return false;
    socketio::Packet packet;
    packet.type = socketio::PacketType::Event;
    QVariantList data{event};
    data.append(args);
    packet.data = data;
    if (callback) {
        packet.id = m_nsp->nextAckId();
        addPendingAck(packet.id, std::move(callback), timeoutMs);
    }
    sendPacket(std::move(packet));
    return true;
}

bool Socket::admitAck()
{
    const int limit = m_nsp->server()->options().maxPendingAcks;
    if (pendingAcks() < limit)
        return true;
    m_nsp->server()->bounds().hit(Bound::PendingAcks);
    reportLimit(ReportedAcks,
                QStringLiteral("awaits %1 acks, the limit (--max-pending-acks): emits asking it "
                               "for an ack are refused until some are answered or time out")
                    .arg(pendingAcks()));
    return false;
}

void Socket::reportLimit(quint8 bit, const QString &what)
{
    if (m_reported & bit)
        return;
    m_reported |= bit;
    qCWarning(lcSocketIo).noquote() << "socket" << m_id << "on" << quoted(m_nsp->name(), 100)
                                    << "from" << quoted(m_handshake.address, 100) << what;
}

void Socket::addPendingAck(qint64 id, AckCallback callback, int timeoutMs)
{
    auto pending = std::make_shared<PendingAck>(std::move(callback), [this, id] { expireAck(id); });
    if (timeoutMs > 0)
        pending->deadline.arm(timeoutMs);
    m_pendingAcks.insert(id, std::move(pending));
}

std::shared_ptr<Socket::PendingAck> Socket::takeAck(qint64 id)
{
    std::shared_ptr<PendingAck> pending = m_pendingAcks.take(id);
    if (pending && pending->asked)
        --m_askedAcks;
    return pending;
}

void Socket::expireAck(qint64 id)
{
    // Runs from the ack's own deadline, which goes with it: nothing of it is used after.
    const std::shared_ptr<PendingAck> pending = takeAck(id);
    if (pending && pending->callback)
        pending->callback(QStringLiteral("operation has timed out"), {});
}

bool Socket::join(const QString &room)
{
    return join(QStringList{room});
}

bool Socket::join(const QStringList &rooms)
{
    // A closed socket would leave an entry for its id in the adapter for ever.
    if (m_state == State::Closed)
        return false;
    const QSet<QString> current = m_nsp->adapter()->socketRooms(m_id);
    QSet<QString> adding;
    for (const QString &room : rooms)
        if (!current.contains(room))
            adding.insert(room);
    if (adding.isEmpty())
        return true;
    const int limit = m_nsp->server()->options().maxRoomsPerSocket;
    const qsizetype after =
        current.size() + adding.size() + (current.contains(m_id) || adding.contains(m_id) ? 0 : 1);
    if (after > limit) {
        m_nsp->server()->bounds().hit(Bound::RoomsPerSocket);
        reportLimit(ReportedRooms, QStringLiteral("would be in %1 rooms, more than the limit of %2 "
                                                  "(--max-rooms): joins refused")
                                       .arg(after)
                                       .arg(limit));
        return false;
    }
    m_nsp->adapter()->addAll(m_id, adding);
    return true;
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
    return BroadcastOperator(m_nsp).from(this).except(m_id);
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
        qCDebug(lcSocketIo).noquote()
            << "no handler for event" << quoted(event) << "on" << quoted(m_nsp->name());
}

void Socket::onAck(const socketio::Packet &packet)
{
    const std::shared_ptr<PendingAck> pending = takeAck(packet.id);
    if (!pending) {
        qCDebug(lcSocketIo) << "ack" << packet.id << "matches no pending emit on" << m_id;
        return;
    }
    pending->deadline.disarm();
    if (pending->callback)
        pending->callback(QString(), packet.data.toList());
}

void Socket::prefetchNext(int depth) const
{
    if (!isConnected()) // its client may be gone
        return;
    if (depth == 0)
        Client::prefetch(m_client);
    else
        m_client->prefetchNext(depth - 1);
}

void Socket::deliver(const WireFrames &frames, bool volatileFlag)
{
    if (!isConnected())
        return;
    if (volatileFlag && m_client->connection()->congested())
        return;
    m_client->send(frames);
}

bool Socket::deliverWithAck(const OutgoingPacket &packet,
                            const std::function<void(const QVariant &response)> &onAck,
                            int forgetAfterMs)
{
    if (!isConnected())
        return false;
    if (m_askedAcks >= m_nsp->server()->options().maxPendingAcks) {
        // Delivered all the same; only its answer is not awaited.
        m_nsp->server()->bounds().hit(Bound::PendingAcks);
        reportLimit(
            ReportedAsked,
            QStringLiteral("was asked for %1 acks it has not answered (--max-pending-acks): "
                           "broadcasts reach it without awaiting its ack until it does")
                .arg(m_askedAcks));
        m_client->send(packet.frames());
        return false;
    }
    addPendingAck(
        packet.packet.id,
        [onAck](const QString &error, const QVariantList &args) {
            if (error.isEmpty())
                onAck(args.value(0));
        },
        forgetAfterMs);
    m_pendingAcks.value(packet.packet.id)->asked = true;
    ++m_askedAcks;
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
    const auto pending = std::exchange(m_pendingAcks, {});
    m_askedAcks = 0;
    for (const std::shared_ptr<PendingAck> &ack : pending)
        ack->deadline.disarm();
    m_client->forgetSocket(this);
    m_nsp->removeSocket(this, reason);
    for (const std::shared_ptr<PendingAck> &ack : pending)
        if (ack->callback)
            ack->callback(QStringLiteral("socket has been disconnected"), {});
    Q_EMIT disconnected(reason);
    deleteLater();
}

} // namespace switchboard
