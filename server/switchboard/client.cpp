#include "switchboard/client.h"

#include "switchboard/adapter.h"
#include "switchboard/logging.h"
#include "switchboard/namespace.h"
#include "switchboard/server.h"

#include <QPointer>

namespace switchboard {

namespace {

// A client-chosen name inside a close reason: cut, not quoted, as the reason is quoted
// where it is logged.
QString capped(const QString &name)
{
    constexpr qsizetype Max = 100;
    if (name.size() <= Max)
        return name;
    return name.left(Max) + QStringLiteral("... (%1 characters)").arg(name.size());
}

} // namespace

Client::Client(Server *server, EngineConnection *connection)
    : QObject(server), m_server(server), m_connection(connection),
      m_connectTimeout([this] { onConnectTimeout(); })
{
    connection->setParent(this);
    connect(connection, &EngineConnection::message, this, &Client::onMessage);
    connect(connection, &EngineConnection::closed, this, &Client::onClosed);
    m_connectTimeout.arm(server->options().connectTimeout);
    m_decoder.setLimits({server->options().maxAttachments, server->options().maxAttachmentBytes,
                         server->options().maxDepth});
}

Client::~Client()
{
    // Sockets are children, but must go while this client (and its hash) still exists:
    // each one leaves its namespace and rooms as it goes.
    m_sockets.clear();
    qDeleteAll(findChildren<Socket *>(Qt::FindDirectChildrenOnly));
}

void Client::onConnectTimeout()
{
    if (m_sockets.isEmpty())
        close(QStringLiteral("connect timeout: no namespace joined within %1 ms")
                  .arg(m_server->options().connectTimeout),
              true);
}

void Client::sendPacket(const socketio::Packet &packet)
{
    m_connection->send(prepare(packet).frames());
}

void Client::close(const QString &reason, bool error)
{
    m_connection->close(reason, error); // emits closed -> onClosed
}

void Client::onMessage(const QByteArray &data, bool binary)
{
    const socketio::Decoder::Result result =
        binary ? m_decoder.addBinary(data) : m_decoder.addText(data);
    switch (result.status) {
    case socketio::Decoder::Status::NeedMore:
        return;
    case socketio::Decoder::Status::Error:
        if (result.limit == socketio::Decoder::Limit::Attachments)
            m_server->bounds().hit(Bound::Attachments);
        else if (result.limit == socketio::Decoder::Limit::Depth)
            m_server->bounds().hit(Bound::Depth);
        close(QStringLiteral("parse error: %1").arg(result.error), true);
        return;
    case socketio::Decoder::Status::Complete:
        onPacket(result.packet);
        return;
    }
}

void Client::onPacket(const socketio::Packet &packet)
{
    Socket *socket = socketFor(packet.nsp);
    if (packet.type == socketio::PacketType::Connect) {
        if (socket) {
            // As socket.io 4.8: one socket per namespace per connection, and a CONNECT for a
            // namespace joined or being joined (middleware pending) is an invalid state.
            close(QStringLiteral("invalid state: CONNECT to %1, which this connection has %2")
                      .arg(capped(packet.nsp), socket->isConnected()
                                                   ? QStringLiteral("joined")
                                                   : QStringLiteral("been joining")),
                  true);
            return;
        }
        Namespace *nsp = m_server->namespaceFor(packet.nsp);
        if (!nsp) {
            socketio::Packet refusal;
            refusal.type = socketio::PacketType::ConnectError;
            refusal.nsp = packet.nsp;
            refusal.data =
                QVariantMap{{QStringLiteral("message"), QStringLiteral("Invalid namespace")}};
            sendPacket(refusal);
            qCInfo(lcSocketIo).noquote()
                << "refused CONNECT to unknown namespace" << quoted(packet.nsp) << "from"
                << quoted(m_connection->handshake().address, 100);
            countRefusedConnect();
            return;
        }
        Socket *pending = nsp->createSocket(this, makeHandshake(packet.data.toMap()));
        m_sockets.append(pending);
        nsp->runMiddleware(pending, 0);
        return;
    }
    if (!socket || !socket->isConnected()) {
        close(QStringLiteral("parse error: %1 packet for namespace %2 not joined")
                  .arg(QLatin1String(socketio::typeName(packet.type)), capped(packet.nsp)),
              true);
        return;
    }
    socket->onPacket(packet);
}

Handshake Client::makeHandshake(const QVariantMap &auth) const
{
    Handshake handshake;
    const HandshakeRecord &record = m_connection->handshake();
    handshake.headers = record.headers;
    handshake.address = record.address;
    handshake.secure = record.secure;
    // The request target as the client sent it (path and query), as socket.io exposes it.
    handshake.url = QUrl::fromEncoded(record.target);
    handshake.time = QDateTime::currentDateTimeUtc();
    handshake.auth = auth;
    return handshake;
}

Socket *Client::socketFor(const QString &nsp) const
{
    for (Socket *socket : m_sockets)
        if (socket->nsp()->name() == nsp)
            return socket;
    return nullptr;
}

void Client::forgetSocket(Socket *socket)
{
    m_sockets.removeOne(socket);
}

void Client::countRefusedConnect()
{
    // A token guessed on one connection, or CONNECTs refused in a loop, each answered: a
    // bounded number, then the connection goes (socket.io would keep answering).
    const int limit = m_server->options().maxAuthFailures;
    if (++m_refusedConnects < limit || m_closing)
        return;
    m_server->bounds().hit(Bound::AuthFailures);
    close(QStringLiteral("%1 refused CONNECTs on one connection, the limit (--max-auth-failures)")
              .arg(m_refusedConnects),
          true);
}

void Client::onClosed(const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_connectTimeout.disarm();
    const auto sockets = m_sockets;
    for (Socket *socket : sockets) {
        if (socket->isConnected())
            socket->close(reason, false);
        else
            socket->abandon(); // its middleware may still call next(): that is ignored
    }
    m_server->m_clients.remove(this);
    deleteLater();
}

} // namespace switchboard
