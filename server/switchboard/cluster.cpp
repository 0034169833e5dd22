#include "switchboard/cluster.h"

#include "switchboard/ids.h"
#include "switchboard/logging.h"
#include "switchboard/redisadapter.h"

namespace switchboard {

Cluster::Cluster(const ClusterOptions &options, QObject *parent)
    : QObject(parent), m_options(options), m_channels(options.key), m_uid(randomToken(6)),
      m_publisher(new redis::Connection(options.url, options.redis, this)),
      m_subscriber(new redis::Subscriber(options.url, options.redis, this))
{
    connect(m_subscriber, &redis::Subscriber::message, this, &Cluster::onMessage);
    connect(m_subscriber, &redis::Subscriber::pmessage, this, &Cluster::onPatternMessage);
    connect(m_subscriber, &redis::Subscriber::disconnected, this, &Cluster::onSubscriberDown);
    connect(m_subscriber, &redis::Subscriber::connected, this, &Cluster::onSubscriberUp);
    connect(m_publisher, &redis::Connection::connected, this,
            [this] { Q_EMIT connectionChanged(isConnected()); });
    connect(m_publisher, &redis::Connection::disconnected, this,
            [this] { Q_EMIT connectionChanged(false); });
}

Cluster::~Cluster() = default;

void Cluster::start()
{
    qCInfo(lcCluster).noquote() << "joining the cluster at" << m_options.url.redacted()
                                << "with key" << m_options.key << "as uid" << m_uid;
    m_publisher->start();
    m_subscriber->start();
}

void Cluster::stop()
{
    m_subscriber->stop();
    m_publisher->stop();
}

Server::AdapterFactory Cluster::adapterFactory()
{
    return [this](Namespace *nsp) { return std::make_unique<RedisAdapter>(nsp, this); };
}

bool Cluster::isConnected() const
{
    return m_publisher->isConnected() && m_subscriber->isConnected();
}

double Cluster::roundTripMs() const
{
    return double(m_publisher->lastRoundTripMs());
}

QVariantMap Cluster::status() const
{
    return {
        {QStringLiteral("uid"), m_uid},
        {QStringLiteral("redis"), m_options.url.redacted()},
        {QStringLiteral("key"), m_options.key},
        {QStringLiteral("connected"), isConnected()},
        {QStringLiteral("publishFailures"), m_publishFailures},
        {QStringLiteral("subscriptionGaps"), m_subscriptionGaps},
        {QStringLiteral("redisRoundTripMs"), roundTripMs()},
    };
}

void Cluster::publish(const QByteArray &channel, const QByteArray &payload)
{
    m_publisher->command({QByteArrayLiteral("PUBLISH"), channel, payload},
                         [this, channel](const redis::Reply &reply) {
                             if (!reply.isError())
                                 return;
                             ++m_publishFailures;
                             // One line per burst: a dead Redis must not flood the log.
                             if (!m_lastFailureLog.isValid() || m_lastFailureLog.elapsed() > 5000) {
                                 m_lastFailureLog.start();
                                 qCWarning(lcCluster).noquote()
                                     << "could not publish to" << QString::fromUtf8(channel) << "-"
                                     << QString::fromUtf8(reply.string) << "(" << m_publishFailures
                                     << "messages lost so far)";
                             }
                         });
}

void Cluster::command(const QList<QByteArray> &args, redis::Connection::Callback callback)
{
    m_publisher->command(args, std::move(callback));
}

void Cluster::listen(const QByteArray &channel, std::function<void(const QByteArray &)> handler)
{
    m_listeners.insert(channel, std::move(handler));
    m_subscriber->subscribe(channel);
}

void Cluster::attach(RedisAdapter *adapter)
{
    const QString &nsp = adapter->nsp()->name();
    const QByteArray pattern = m_channels.broadcastPattern(nsp);
    m_patternAdapters.insert(pattern, adapter);
    m_subscriber->psubscribe(pattern);
    for (const QByteArray &channel : {m_channels.request(nsp), m_channels.response(nsp),
                                      m_channels.specificResponse(nsp, m_uid)}) {
        m_channelAdapters.insert(channel, adapter);
        m_subscriber->subscribe(channel);
    }
}

void Cluster::detach(RedisAdapter *adapter)
{
    for (auto it = m_patternAdapters.begin(); it != m_patternAdapters.end();) {
        if (it.value() == adapter) {
            m_subscriber->punsubscribe(it.key());
            it = m_patternAdapters.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = m_channelAdapters.begin(); it != m_channelAdapters.end();) {
        if (it.value() == adapter) {
            m_subscriber->unsubscribe(it.key());
            it = m_channelAdapters.erase(it);
        } else {
            ++it;
        }
    }
}

void Cluster::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (RedisAdapter *adapter = m_channelAdapters.value(channel)) {
        adapter->onRequestChannel(channel, payload);
        return;
    }
    if (const auto it = m_listeners.constFind(channel); it != m_listeners.cend()) {
        (*it)(payload);
        return;
    }
    qCDebug(lcCluster) << "message on unrouted channel" << channel;
}

void Cluster::onPatternMessage(const QByteArray &pattern, const QByteArray &channel,
                               const QByteArray &payload)
{
    if (RedisAdapter *adapter = m_patternAdapters.value(pattern))
        adapter->onBroadcastChannel(channel, payload);
}

void Cluster::onSubscriberDown(const QString &reason)
{
    if (m_subscriptionDown)
        return;
    m_subscriptionDown = true;
    m_downSince.start();
    Q_EMIT connectionChanged(false);
    if (!m_subscribedOnce)
        return;
    ++m_subscriptionGaps;
    qCWarning(lcCluster).noquote()
        << "lost the subscription to Redis (" << reason
        << "): messages other nodes publish meanwhile are missed; gap" << m_subscriptionGaps;
}

void Cluster::onSubscriberUp()
{
    if (m_subscribedOnce && m_subscriptionDown)
        qCInfo(lcCluster) << "subscribed again after" << m_downSince.elapsed() << "ms";
    m_subscribedOnce = true;
    m_subscriptionDown = false;
    Q_EMIT connectionChanged(isConnected());
}

} // namespace switchboard
