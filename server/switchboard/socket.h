// A client's membership of one namespace: its id, rooms, event handlers and acks.
#pragma once

#include "switchboard/broadcastoperator.h"
#include "switchboard/socketio.h"

#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>
#include <QVariantMap>

#include <functional>

namespace switchboard {

class Client;
class Namespace;
class Server;

// What the client presented when it connected, in the shape socket.io servers expose.
struct Handshake
{
    QList<QPair<QByteArray, QByteArray>> headers;
    QDateTime time;
    QString address;
    QUrl url;
    QVariantMap auth;
    bool secure = false;

    QVariantMap toVariant() const;
};

// Answers an event that asked for an ack. `if (ack)` tells whether the client is waiting;
// calling it when the client asked for none, or a second time, does nothing.
class Ack
{
public:
    Ack() = default;
    explicit Ack(std::function<void(const QVariantList &args)> send) : m_send(std::move(send)) {}
    explicit operator bool() const { return bool(m_send); }
    void operator()(const QVariantList &args) const
    {
        if (m_send)
            m_send(args);
    }

private:
    std::function<void(const QVariantList &args)> m_send;
};

class Socket : public QObject
{
    Q_OBJECT
public:
    using Ack = switchboard::Ack;
    // Receives the reply to a server emit: `error` is empty on success ("timeout", ...).
    using AckCallback = std::function<void(const QString &error, const QVariantList &args)>;
    using EventHandler =
        std::function<void(Socket *socket, const QVariantList &args, const Ack &ack)>;

    ~Socket() override;

    const QString &id() const { return m_id; }
    Namespace *nsp() const { return m_nsp; }
    Client *client() const { return m_client; }
    const Handshake &handshake() const { return m_handshake; }
    bool isConnected() const { return m_state == State::Connected; }
    QVariantMap &data() { return m_data; }

    void on(const QString &event, EventHandler handler);

    bool emit(const QString &event, const QVariantList &args = {});
    bool emitWithAck(const QString &event, const QVariantList &args, AckCallback callback,
                     int timeoutMs = 10000);

    void join(const QString &room);
    void join(const QStringList &rooms);
    void leave(const QString &room);
    QSet<QString> rooms() const;

    // Broadcasts from this socket reach everyone chosen but the socket itself.
    BroadcastOperator to(const QString &room) const;
    BroadcastOperator to(const QStringList &rooms) const;
    BroadcastOperator broadcast() const;

    // Leaves the namespace; with `close`, closes the whole underlying connection.
    void disconnect(bool close = false);

Q_SIGNALS:
    void disconnecting(const QString &reason);
    void disconnected(const QString &reason);

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    friend class Client;
    friend class Namespace;
    friend class LocalAdapter;

    Socket(Namespace *nsp, Client *client, Handshake handshake);
    void markConnected();
    // A pending socket whose connection went away: leaves its namespace's books, goes later.
    void abandon();
    void onPacket(const socketio::Packet &packet);
    void onEvent(const socketio::Packet &packet);
    void onAck(const socketio::Packet &packet);
    // Tears the socket down once; `notifyClient` sends DISCONNECT for server-side disconnects.
    void close(const QString &reason, bool notifyClient);
    void deliver(const WireFrames &frames, bool volatileFlag);
    void forgetAck(qint64 id) { m_pendingAcks.remove(id); }
    // Sends a packet whose ack id the namespace allocated; false when not connected.
    bool deliverWithAck(const OutgoingPacket &packet,
                        const std::function<void(const QVariant &response)> &onAck);
    void sendPacket(socketio::Packet packet);
    Ack makeAck(qint64 id);

    struct PendingAck
    {
        AckCallback callback;
        int timerId = 0;
    };

    Namespace *m_nsp;
    Client *m_client;
    QString m_id;
    Handshake m_handshake;
    QVariantMap m_data;
    QHash<QString, EventHandler> m_handlers;
    QHash<qint64, PendingAck> m_pendingAcks;
    QHash<int, qint64> m_ackTimers;
    // Pending while middleware runs; Closed once it left the namespace (or was refused).
    enum class State
    {
        Pending,
        Connected,
        Closed
    };
    State m_state = State::Pending;
};

} // namespace switchboard
