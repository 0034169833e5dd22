// The Socket.IO side of one Engine.IO connection: decodes packets, multiplexes them over
// the namespaces the client joined, and enforces the connect timeout.
#pragma once

#include "switchboard/deadlines.h"
#include "switchboard/engineconnection.h"
#include "switchboard/socket.h"
#include "switchboard/socketio.h"

#include <QHash>
#include <QObject>

namespace switchboard {

class Server;

class Client : public QObject
{
    Q_OBJECT
public:
    Client(Server *server, EngineConnection *connection);
    ~Client() override;

    EngineConnection *connection() const { return m_connection; }
    Server *server() const { return m_server; }
    const QString &sid() const { return m_connection->sid(); }

    void sendPacket(const socketio::Packet &packet);
    void send(const WireFrames &frames) { m_connection->send(frames); }
    // The prefetch steps of a broadcast's walk, as EngineConnection's.
    static void prefetch(const Client *client) { __builtin_prefetch(&client->m_connection); }
    void prefetchNext(int depth) const
    {
        if (depth == 0)
            EngineConnection::prefetch(m_connection);
        else
            m_connection->prefetchNext(depth - 1);
    }
    // Closes the connection and every socket on it with `reason`.
    void close(const QString &reason, bool error = false);

private:
    friend class Namespace;
    friend class Socket;

    void onMessage(const QByteArray &data, bool binary);
    void onPacket(const socketio::Packet &packet);
    void onClosed(const QString &reason);
    void onConnectTimeout();
    // Forgets `socket` if it is the one this client holds for its namespace.
    void forgetSocket(Socket *socket);
    // A CONNECT refused (middleware error, unknown namespace): past maxAuthFailures of them
    // the connection is closed.
    void countRefusedConnect();
    Handshake makeHandshake(const QVariantMap &auth) const;

    Server *m_server;
    EngineConnection *m_connection;
    socketio::Decoder m_decoder;
    // The one socket of this client in each namespace it joined or is joining (middleware
    // pending): the only owner of that rule. A list: a client has few, and a hash would
    // allocate a whole span per client.
    QList<Socket *> m_sockets;
    Socket *socketFor(const QString &nsp) const;
    Deadline m_connectTimeout;
    int m_refusedConnects = 0;
    bool m_closing = false;
};

} // namespace switchboard
