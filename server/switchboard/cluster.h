// A node's membership of a Redis cluster: the publish and subscribe connections, the node
// uid, routing of subscribed channels to namespace adapters, and the counters of what the
// node could not publish or may have missed while Redis was unreachable or stalled.
#pragma once

#include "switchboard/clusterwire.h"
#include "switchboard/redaction.h"
#include "switchboard/redisclient.h"
#include "switchboard/redissubscriber.h"
#include "switchboard/redisurl.h"
#include "switchboard/server.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>

#include <functional>

namespace switchboard {

class RedisAdapter;

struct ClusterOptions
{
    redis::Url url;
    redis::Options redis;
    QString key = QStringLiteral("socket.io");
    int requestsTimeoutMs = 5000;
    // Applied to the sockets this node describes to others (REMOTE_FETCH replies).
    Redaction redaction;
};

class Cluster : public QObject
{
    Q_OBJECT
public:
    explicit Cluster(const ClusterOptions &options, QObject *parent = nullptr);
    ~Cluster() override;

    // Connects both connections; they reconnect on their own from then on.
    void start();
    void stop();

    const QString &uid() const { return m_uid; }
    const cluster::Channels &channels() const { return m_channels; }
    const ClusterOptions &options() const { return m_options; }
    Server::AdapterFactory adapterFactory();

    // Publishes, or counts and logs the message as lost while Redis is unreachable. While Redis
    // is stalled the message is sent all the same: it is delivered when Redis answers again.
    void publish(const QByteArray &channel, const QByteArray &payload);
    void command(const QList<QByteArray> &args, redis::Connection::Callback callback);

    // Delivers messages of an exact channel to `handler` (one handler a channel).
    void listen(const QByteArray &channel, std::function<void(const QByteArray &payload)> handler);

    // Both connections up, and neither stalled (Redis answering within options().redis
    // .stallTimeoutMs).
    bool isConnected() const;
    // Lost for sure: never sent (Redis unreachable) or refused by Redis.
    qint64 publishFailures() const { return m_publishFailures; }
    // Sent, then the connection went before Redis confirmed: maybe delivered, maybe not.
    qint64 publishesUnconfirmed() const { return m_publishesUnconfirmed; }
    // Confirmed later than the stall timeout: delivered late, not lost.
    qint64 publishesLate() const { return m_publishesLate; }
    // Times the subscription went away and was made again: what others published in between
    // is missed.
    qint64 subscriptionGaps() const { return m_subscriptionGaps; }
    // Times a connection found Redis silent for the stall timeout.
    qint64 stalls() const { return m_stalls; }
    // Broadcasts this node published; those from other nodes it decoded and applied; those for
    // a room without local members it dropped undecoded (its own echoes among them).
    qint64 broadcastsPublished() const { return m_broadcastsPublished; }
    qint64 broadcastsReceived() const { return m_broadcastsReceived; }
    qint64 broadcastsSkipped() const { return m_broadcastsSkipped; }
    // Times the command or the subscriber connection was made again after it was lost.
    qint64 reconnects() const { return m_reconnects; }
    double roundTripMs() const;
    QVariantMap status() const;

Q_SIGNALS:
    void connectionChanged(bool connected);

private:
    friend class RedisAdapter;
    void attach(RedisAdapter *adapter);
    void detach(RedisAdapter *adapter);
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onPatternMessage(const QByteArray &pattern, const QByteArray &channel,
                          const QByteArray &payload);
    void onSubscriberDown(const QString &reason);
    void onSubscriberUp();
    void onStalled(const char *connection);
    void onPublished(const QByteArray &channel, qint64 sentAtMs, const redis::Reply &reply);
    // Logs and signals a change of isConnected(); `why` says what degraded it.
    void updateHealth(const QString &why);

    ClusterOptions m_options;
    cluster::Channels m_channels;
    QString m_uid;
    redis::Connection *m_publisher;
    redis::Subscriber *m_subscriber;
    QHash<QByteArray, RedisAdapter *> m_channelAdapters;
    QHash<QByteArray, RedisAdapter *> m_patternAdapters;
    QHash<QByteArray, std::function<void(const QByteArray &)>> m_listeners;
    qint64 m_publishFailures = 0;
    qint64 m_publishesUnconfirmed = 0;
    qint64 m_publishesLate = 0;
    qint64 m_subscriptionGaps = 0;
    qint64 m_stalls = 0;
    qint64 m_broadcastsPublished = 0;
    qint64 m_broadcastsReceived = 0;
    qint64 m_broadcastsSkipped = 0;
    qint64 m_reconnects = 0;
    bool m_publisherUpOnce = false;
    bool m_subscribedOnce = false;
    bool m_subscriptionDown = false;
    bool m_healthy = false;
    bool m_healthyOnce = false;
    QElapsedTimer m_clock;
    QElapsedTimer m_downSince;
    QElapsedTimer m_degradedSince;
    QElapsedTimer m_lastFailureLog;
    QElapsedTimer m_lastUnconfirmedLog;
};

} // namespace switchboard
