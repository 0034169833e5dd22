// A value that names who receives a broadcast (rooms, except, flags) and emits to them:
// `server.of("/chat")->to("room").except(id).emit("ev", {..})`.
#pragma once

#include "switchboard/adapter.h"

#include <QStringList>
#include <QVariantList>

#include <functional>

namespace switchboard {

class Namespace;
class Socket;

class BroadcastOperator
{
public:
    explicit BroadcastOperator(Namespace *nsp, BroadcastOptions options = {});

    BroadcastOperator to(const QString &room) const;
    BroadcastOperator to(const QStringList &rooms) const;
    BroadcastOperator in(const QString &room) const { return to(room); }
    BroadcastOperator except(const QString &room) const;
    BroadcastOperator except(const QStringList &rooms) const;
    BroadcastOperator local() const;
    BroadcastOperator volatile_() const;
    // The socket a broadcast is sent for: its broadcasts with ack count among its
    // pendingAcks() until they finish. Socket::to() and Socket::broadcast() set it.
    BroadcastOperator from(const Socket *socket) const;

    // Encodes the event once and hands it to the adapter. False (and a warning) for a
    // reserved event name.
    bool emit(const QString &event, const QVariantList &args = {}) const;

    // Like emit(), asking every recipient for an ack. `callback` gets each client's first ack
    // argument once all have answered, or "operation has timed out" with those that did.
    // False, and `callback` never called, for a reserved name or when the socket it is from()
    // awaits ServerOptions::maxPendingAcks acks already. A recipient that was asked for that
    // many acks and answered none is reached but not waited for.
    using AckCallback = std::function<void(const QString &error, const QVariantList &responses)>;
    bool emitWithAck(const QString &event, const QVariantList &args, AckCallback callback,
                     int timeoutMs = 10000) const;

    // Cluster-wide: the matching sockets join or leave rooms, or are disconnected.
    void socketsJoin(const QStringList &rooms) const;
    void socketsLeave(const QStringList &rooms) const;
    void disconnectSockets(bool close = false) const;
    // Every matching socket of the cluster; on a timeout, the error and what did arrive.
    void fetchSockets(const FetchCallback &callback) const;

    // Ids of this node's sockets that the broadcast would reach.
    QSet<QString> localSocketIds() const;

    const BroadcastOptions &options() const { return m_options; }

private:
    Namespace *m_nsp;
    BroadcastOptions m_options;
    QString m_origin; // the id of the socket it is from(), if any
};

} // namespace switchboard
