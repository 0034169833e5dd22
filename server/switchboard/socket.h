// A client's membership of one namespace: its id, rooms, event handlers and acks.
#pragma once

#include "switchboard/broadcastoperator.h"
#include "switchboard/deadlines.h"
#include "switchboard/socketio.h"

#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>
#include <QVariantMap>

#include <functional>
#include <memory>

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
    // The prefetch steps of a broadcast's walk (LocalAdapter::deliverLocally): `prefetch`
    // asks the cache for what deliver() reads of the socket, `prefetchNext(0)` (the socket
    // cached by then) for its client's, deeper steps down to the connection's output queue.
    static void prefetch(const Socket *socket)
    {
        __builtin_prefetch(&socket->m_state);
        __builtin_prefetch(&socket->m_client);
    }
    void prefetchNext(int depth) const;
    QVariantMap &data() { return m_data; }

    void on(const QString &event, EventHandler handler);

    bool emit(const QString &event, const QVariantList &args = {});
    // False, and `callback` never called, for a reserved name, a socket not connected, or one
    // that awaits ServerOptions::maxPendingAcks acks already (counted and logged).
    bool emitWithAck(const QString &event, const QVariantList &args, AckCallback callback,
                     int timeoutMs = 10000);
    // Acks this socket awaits: its emitWithAck() calls and the broadcasts with ack it started
    // (Socket::to(), BroadcastOperator::from()).
    int pendingAcks() const { return int(m_pendingAcks.size()) - m_askedAcks + m_heldAcks; }
    // Broadcasts with ack it received and did not answer yet: capped on their own, so that
    // what others ask of it never stops its own emits.
    int askedAcks() const { return m_askedAcks; }

    // All or nothing: false, and no room joined, when the socket would be in more than
    // ServerOptions::maxRoomsPerSocket rooms (its own room counts), or is not connected.
    bool join(const QString &room);
    bool join(const QStringList &rooms);
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

private:
    friend class BroadcastOperator;
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
    // Sends a packet whose ack id the namespace allocated, and forgets the ack if none came
    // within `forgetAfterMs`. False when not connected (nothing sent) or when it was asked for
    // maxPendingAcks acks already (sent, its ack not awaited).
    bool deliverWithAck(const OutgoingPacket &packet,
                        const std::function<void(const QVariant &response)> &onAck,
                        int forgetAfterMs);
    void sendPacket(socketio::Packet packet);
    Ack makeAck(qint64 id);
    // True when one more ack may be awaited; otherwise counts and (once) logs the refusal.
    bool admitAck();
    void addPendingAck(qint64 id, AckCallback callback, int timeoutMs);
    void expireAck(qint64 id);
    // A broadcast with ack this socket started, until it finished.
    void holdAck() { ++m_heldAcks; }
    void releaseAck() { --m_heldAcks; }
    // Logs a limit this socket reached, once in its life: the count says how often.
    void reportLimit(quint8 bit, const QString &what);

    struct PendingAck
    {
        PendingAck(AckCallback answered, std::function<void()> expired)
            : callback(std::move(answered)), deadline(std::move(expired))
        {}
        AckCallback callback;
        Deadline deadline;  // one queue for every ack of the thread, not a Qt timer each
        bool asked = false; // a broadcast's, not this socket's own emit
    };
    // Takes an entry off m_pendingAcks, keeping m_askedAcks in step.
    std::shared_ptr<PendingAck> takeAck(qint64 id);
    enum ReportedLimit : quint8
    {
        ReportedAcks = 1,
        ReportedRooms = 2,
        ReportedAsked = 4
    };

    Namespace *m_nsp;
    Client *m_client;
    QString m_id;
    Handshake m_handshake;
    QVariantMap m_data;
    QHash<QString, EventHandler> m_handlers;
    QHash<qint64, std::shared_ptr<PendingAck>> m_pendingAcks;
    int m_heldAcks = 0;
    int m_askedAcks = 0;   // of m_pendingAcks
    quint8 m_reported = 0; // ReportedLimit bits
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
