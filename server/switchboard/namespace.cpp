#include "switchboard/namespace.h"

#include "switchboard/adapter.h"
#include "switchboard/client.h"
#include "switchboard/logging.h"
#include "switchboard/server.h"

#include <QPointer>

namespace switchboard {

Namespace::Namespace(Server *server, const QString &name)
    : QObject(server), m_server(server), m_name(name)
{}

Namespace::~Namespace() = default;

void Namespace::setAdapter(std::unique_ptr<Adapter> adapter)
{
    m_adapter = std::move(adapter);
    Q_EMIT adapterChanged(m_adapter.get());
}

void Namespace::use(Middleware middleware)
{
    m_middleware.append(std::move(middleware));
}

void Namespace::on(const QString &event, Socket::EventHandler handler)
{
    m_handlers[event].append(std::move(handler));
}

const QList<Socket::EventHandler> *Namespace::handlers(const QString &event) const
{
    const auto it = m_handlers.constFind(event);
    return it == m_handlers.cend() ? nullptr : &*it;
}

BroadcastOperator Namespace::to(const QString &room) const
{
    return BroadcastOperator(const_cast<Namespace *>(this)).to(room);
}

BroadcastOperator Namespace::to(const QStringList &rooms) const
{
    return BroadcastOperator(const_cast<Namespace *>(this)).to(rooms);
}

BroadcastOperator Namespace::except(const QString &room) const
{
    return BroadcastOperator(const_cast<Namespace *>(this)).except(room);
}

BroadcastOperator Namespace::except(const QStringList &rooms) const
{
    return BroadcastOperator(const_cast<Namespace *>(this)).except(rooms);
}

BroadcastOperator Namespace::local() const
{
    return BroadcastOperator(const_cast<Namespace *>(this)).local();
}

bool Namespace::emit(const QString &event, const QVariantList &args) const
{
    return BroadcastOperator(const_cast<Namespace *>(this)).emit(event, args);
}

bool Namespace::emitWithAck(const QString &event, const QVariantList &args,
                            BroadcastOperator::AckCallback callback, int timeoutMs) const
{
    return BroadcastOperator(const_cast<Namespace *>(this))
        .emitWithAck(event, args, std::move(callback), timeoutMs);
}

void Namespace::onServerSideEmit(const QString &event, ServerSideHandler handler)
{
    m_serverSideHandlers[event].append(std::move(handler));
}

bool Namespace::serverSideEmit(const QString &event, const QVariantList &args) const
{
    if (socketio::isReservedEvent(event)) {
        qCWarning(lcServer).noquote()
            << "refusing to emit reserved event name" << quoted(event) << "to servers";
        return false;
    }
    m_adapter->serverSideEmit(QVariantList{event} + args, {});
    return true;
}

bool Namespace::serverSideEmitWithAck(const QString &event, const QVariantList &args,
                                      ServerSideAckCallback callback) const
{
    if (socketio::isReservedEvent(event)) {
        qCWarning(lcServer).noquote()
            << "refusing to emit reserved event name" << quoted(event) << "to servers";
        return false;
    }
    m_adapter->serverSideEmit(QVariantList{event} + args, std::move(callback));
    return true;
}

void Namespace::serverCount(const ServerCountCallback &callback) const
{
    m_adapter->serverCount(callback);
}

void Namespace::allRooms(const RoomsCallback &callback) const
{
    m_adapter->allRooms(callback);
}

void Namespace::fetchSockets(const FetchCallback &callback) const
{
    m_adapter->fetchSockets({}, callback);
}

void Namespace::dispatchServerSideEmit(const QVariantList &data, const Ack &ack)
{
    const QString event = data.value(0).toString();
    const auto it = m_serverSideHandlers.constFind(event);
    if (it == m_serverSideHandlers.cend()) {
        qCDebug(lcServer).noquote()
            << "no handler for server-side event" << quoted(event) << "on" << quoted(m_name);
        return;
    }
    const auto handlers = *it;
    for (const ServerSideHandler &handler : handlers)
        handler(data.mid(1), ack);
}

Socket *Namespace::createSocket(Client *client, const Handshake &handshake)
{
    auto *socket = new Socket(this, client, handshake);
    m_pending.insert(socket);
    return socket;
}

void Namespace::runMiddleware(Socket *socket, qsizetype index)
{
    if (index >= m_middleware.size()) {
        admit(socket);
        return;
    }
    QPointer<Socket> guard(socket);
    auto called = std::make_shared<bool>(false);
    m_middleware.at(index)(
        socket, [this, guard, index, called](const QString &error, const QVariant &data) {
            // A second call, or one after the client left (the socket was abandoned), is
            // ignored.
            if (*called || !guard || !m_pending.contains(guard.data()))
                return;
            *called = true;
            if (error.isEmpty())
                runMiddleware(guard.data(), index + 1);
            else
                refuse(guard.data(), error, data);
        });
}

void Namespace::refuse(Socket *socket, const QString &error, const QVariant &data)
{
    Client *client = socket->client();
    QVariantMap payload{{QStringLiteral("message"), error}};
    if (data.isValid())
        payload.insert(QStringLiteral("data"), data);
    socketio::Packet packet;
    packet.type = socketio::PacketType::ConnectError;
    packet.nsp = m_name;
    packet.data = payload;
    client->sendPacket(packet);
    qCInfo(lcSocketIo).noquote() << "refused connection to" << quoted(m_name) << "from"
                                 << quoted(socket->handshake().address, 100) << "-"
                                 << quoted(error);
    socket->abandon();
    client->countRefusedConnect(); // may close the connection
}

void Namespace::admit(Socket *socket)
{
    Client *client = socket->client();
    if (!client->connection()->isOpen()) {
        socket->abandon();
        return;
    }
    m_pending.remove(socket);
    // As socket.io: the connect timeout is for the first namespace only; a client that leaves
    // it later is not cut off for that.
    client->m_connectTimeout.disarm();
    m_sockets.insert(socket->id(), socket);
    m_adapter->addAll(socket->id(), {socket->id()});
    socket->markConnected();

    socketio::Packet ack;
    ack.type = socketio::PacketType::Connect;
    ack.nsp = m_name;
    ack.data = QVariantMap{{QStringLiteral("sid"), socket->id()}};
    client->sendPacket(ack);
    qCDebug(lcSocketIo).noquote() << "socket" << socket->id() << "connected to" << quoted(m_name);
    Q_EMIT connection(socket);
}

void Namespace::removeSocket(Socket *socket, const QString &reason)
{
    m_adapter->delAll(socket->id());
    m_sockets.remove(socket->id());
    qCDebug(lcSocketIo).noquote() << "socket" << socket->id() << "left" << quoted(m_name) << "-"
                                  << quoted(reason);
    Q_EMIT disconnection(socket, reason);
    releaseIfUnused();
}

void Namespace::dropSocket(Socket *socket)
{
    m_adapter->delAll(socket->id());
    m_sockets.remove(socket->id());
    releaseIfUnused();
}

void Namespace::forgetPending(Socket *socket)
{
    // A middleware may have joined it to rooms before it refused, or before the client left.
    m_adapter->delAll(socket->id());
    if (m_pending.remove(socket))
        releaseIfUnused();
}

void Namespace::releaseIfUnused()
{
    if (m_dynamic && m_sockets.isEmpty() && m_pending.isEmpty())
        m_server->releaseNamespace(this);
}

} // namespace switchboard
