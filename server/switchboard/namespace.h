// A Socket.IO namespace: its sockets, middleware, shared event handlers and adapter.
#pragma once

#include "switchboard/broadcastoperator.h"
#include "switchboard/socket.h"

#include <QHash>
#include <QObject>

#include <memory>

namespace switchboard {

class Adapter;
class Client;
class Server;

class Namespace : public QObject
{
    Q_OBJECT
public:
    // Call `next({})` to accept the connection, `next(message, data)` to refuse it.
    using Next = std::function<void(const QString &error, const QVariant &data)>;
    using Middleware = std::function<void(Socket *socket, const Next &next)>;

    ~Namespace() override;

    const QString &name() const { return m_name; }
    Server *server() const { return m_server; }
    Adapter *adapter() const { return m_adapter.get(); }

    void use(Middleware middleware);
    // A handler for `event` on every socket of this namespace, after the socket's own.
    void on(const QString &event, Socket::EventHandler handler);

    BroadcastOperator to(const QString &room) const;
    BroadcastOperator to(const QStringList &rooms) const;
    BroadcastOperator except(const QString &room) const;
    BroadcastOperator except(const QStringList &rooms) const;
    BroadcastOperator local() const;
    bool emit(const QString &event, const QVariantList &args = {}) const;
    bool emitWithAck(const QString &event, const QVariantList &args,
                     BroadcastOperator::AckCallback callback, int timeoutMs = 10000) const;

    // Ack ids are shared by the namespace's sockets so that a broadcast with ack is encoded once.
    qint64 nextAckId() { return m_nextAckId++; }

    // Events other servers of the cluster send with serverSideEmit(); `ack` answers the
    // sender when it asked for acks (one argument is sent back).
    using ServerSideHandler = std::function<void(const QVariantList &args, const Ack &ack)>;
    void onServerSideEmit(const QString &event, ServerSideHandler handler);
    // Sends an event to the other servers of the cluster (not to clients).
    bool serverSideEmit(const QString &event, const QVariantList &args = {}) const;
    bool serverSideEmitWithAck(const QString &event, const QVariantList &args,
                               ServerSideAckCallback callback) const;
    void serverCount(const ServerCountCallback &callback) const;
    void allRooms(const RoomsCallback &callback) const;
    void fetchSockets(const FetchCallback &callback) const;
    // Called by the adapter with [event, ...args] from another server.
    void dispatchServerSideEmit(const QVariantList &data, const Ack &ack);

    Socket *socket(const QString &id) const { return m_sockets.value(id); }
    const QHash<QString, Socket *> &sockets() const { return m_sockets; }

Q_SIGNALS:
    void connection(Socket *socket);
    void adapterChanged(switchboard::Adapter *adapter);
    void disconnection(Socket *socket, const QString &reason);

private:
    friend class Server;
    friend class Socket;
    friend class Client;

    Namespace(Server *server, const QString &name);
    void setAdapter(std::unique_ptr<Adapter> adapter);
    // A pending socket of `client`, admitted once every middleware called next().
    Socket *createSocket(Client *client, const Handshake &handshake);
    void runMiddleware(Socket *socket, qsizetype index);
    void admit(Socket *socket);
    void refuse(Socket *socket, const QString &error, const QVariant &data);
    void removeSocket(Socket *socket, const QString &reason);
    // A socket deleted without a close: out of the books, without signals.
    void dropSocket(Socket *socket);
    void forgetPending(Socket *socket);
    // A namespace a pattern created goes once it has no socket, pending or connected.
    void releaseIfUnused();
    const QList<Socket::EventHandler> *handlers(const QString &event) const;

    Server *m_server;
    QString m_name;
    std::unique_ptr<Adapter> m_adapter;
    QList<Middleware> m_middleware;
    QHash<QString, QList<Socket::EventHandler>> m_handlers;
    QHash<QString, QList<ServerSideHandler>> m_serverSideHandlers;
    QHash<QString, Socket *> m_sockets;
    QSet<Socket *> m_pending;
    qint64 m_nextAckId = 0;
    bool m_dynamic = false;
};

} // namespace switchboard
