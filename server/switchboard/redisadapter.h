// The adapter of a namespace in a Redis cluster, speaking @socket.io/redis-adapter 8.x:
// broadcasts go to Redis and to local sockets; broadcasts and requests from other servers
// (Switchboard or Node.js) are applied to local sockets and answered.
#pragma once

#include "switchboard/adapter.h"
#include "switchboard/clusterwire.h"

#include <QHash>

namespace switchboard {

class Cluster;

class RedisAdapter : public LocalAdapter
{
    Q_OBJECT
public:
    RedisAdapter(Namespace *nsp, Cluster *cluster);
    ~RedisAdapter() override;

    void broadcast(const OutgoingPacket &packet, const BroadcastOptions &options) override;
    void broadcastWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                          const std::function<void(int clientCount)> &onCount,
                          const std::function<void(const QVariant &response)> &onAck) override;
    void serverCount(const ServerCountCallback &callback) override;
    void addSockets(const BroadcastOptions &options, const QStringList &rooms) override;
    void delSockets(const BroadcastOptions &options, const QStringList &rooms) override;
    void disconnectSockets(const BroadcastOptions &options, bool close) override;
    void fetchSockets(const BroadcastOptions &options, const FetchCallback &callback) override;
    void allRooms(const RoomsCallback &callback) override;
    void serverSideEmit(const QVariantList &data, const ServerSideAckCallback &callback) override;

    // Called by the Cluster with what arrived on this namespace's channels.
    void onBroadcastChannel(const QByteArray &channel, const QByteArray &payload);
    void onRequestChannel(const QByteArray &channel, const QByteArray &payload);

private:
    struct PendingRequest
    {
        cluster::RequestType type = cluster::RequestType::Sockets;
        int expected = 0; // responses to wait for
        int received = 0;
        QList<RemoteSocket> sockets;
        QSet<QString> rooms;
        QVariantList responses;
        FetchCallback onSockets;
        RoomsCallback onRooms;
        ServerSideAckCallback onServerSide;
    };
    struct AckRequest
    {
        std::function<void(int)> onCount;
        std::function<void(const QVariant &)> onAck;
    };

    void onRequest(const QVariantMap &request);
    void onResponse(const QVariantMap &response);
    void publishRequest(const QVariantMap &request);
    void publishResponse(const QByteArray &payload);
    // Sends `body` as a request of `request.type` to every other server and gathers their
    // answers into `request`, which finishes when all answered or at the timeout.
    void askOthers(PendingRequest request, QVariantMap body);
    void startRequest(const QString &requestId, PendingRequest request);
    void finishRequest(const QString &requestId, const QString &error);
    static QVariantMap wireOptions(const BroadcastOptions &options);
    static BroadcastOptions localOptions(const QVariantMap &wire);

    Cluster *m_cluster;
    QByteArray m_broadcastChannel;
    QByteArray m_requestChannel;
    QByteArray m_responseChannel;
    QHash<QString, PendingRequest> m_requests;
    QHash<QString, AckRequest> m_ackRequests;
};

} // namespace switchboard
