// A node's membership of a Redis cluster: the publish and subscribe connections, the node
// uid, routing of subscribed channels to namespace adapters, and the counters of what the
// node could not publish or may have missed while Redis was unreachable.
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

    // Publishes, or counts and logs the message as lost while Redis is unreachable.
    void publish(const QByteArray &channel, const QByteArray &payload);
    void command(const QList<QByteArray> &args, redis::Connection::Callback callback);

    // Delivers messages of an exact channel to `handler` (one handler a channel).
    void listen(const QByteArray &channel, std::function<void(const QByteArray &payload)> handler);

    bool isConnected() const;
    qint64 publishFailures() const { return m_publishFailures; }
    qint64 subscriptionGaps() const { return m_subscriptionGaps; }
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

    ClusterOptions m_options;
    cluster::Channels m_channels;
    QString m_uid;
    redis::Connection *m_publisher;
    redis::Subscriber *m_subscriber;
    QHash<QByteArray, RedisAdapter *> m_channelAdapters;
    QHash<QByteArray, RedisAdapter *> m_patternAdapters;
    QHash<QByteArray, std::function<void(const QByteArray &)>> m_listeners;
    qint64 m_publishFailures = 0;
    qint64 m_subscriptionGaps = 0;
    bool m_subscribedOnce = false;
    bool m_subscriptionDown = false;
    QElapsedTimer m_downSince;
    QElapsedTimer m_lastFailureLog;
};

} // namespace switchboard
