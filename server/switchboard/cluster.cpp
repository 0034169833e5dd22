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
    connect(m_subscriber, &redis::Subscriber::stalled, this, [this] { onStalled("subscriber"); });
    connect(m_subscriber, &redis::Subscriber::resumed, this, [this] { updateHealth({}); });
    connect(m_publisher, &redis::Connection::connected, this, [this] {
        if (std::exchange(m_publisherUpOnce, true))
            ++m_reconnects;
        updateHealth({});
    });
    connect(m_publisher, &redis::Connection::disconnected, this, [this](const QString &reason) {
        updateHealth(QStringLiteral("lost the command connection to Redis (%1)").arg(reason));
    });
    connect(m_publisher, &redis::Connection::stalled, this, [this] { onStalled("command"); });
    connect(m_publisher, &redis::Connection::resumed, this, [this] { updateHealth({}); });
    m_clock.start();
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
    return m_publisher->isConnected() && m_subscriber->isConnected() && !m_publisher->isStalled() &&
           !m_subscriber->isStalled();
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
        {QStringLiteral("stalled"), m_publisher->isStalled() || m_subscriber->isStalled()},
        {QStringLiteral("redisStalls"), m_stalls},
        {QStringLiteral("degradedForMs"),
         m_healthy || !m_degradedSince.isValid() ? qint64(0) : m_degradedSince.elapsed()},
        {QStringLiteral("publishFailures"), m_publishFailures},
        {QStringLiteral("publishesUnconfirmed"), m_publishesUnconfirmed},
        {QStringLiteral("publishesLate"), m_publishesLate},
        {QStringLiteral("subscriptionGaps"), m_subscriptionGaps},
        {QStringLiteral("redisRoundTripMs"), roundTripMs()},
    };
}

void Cluster::publish(const QByteArray &channel, const QByteArray &payload)
{
    m_publisher->command({QByteArrayLiteral("PUBLISH"), channel, payload},
                         [this, channel, sentAt = m_clock.elapsed()](const redis::Reply &reply) {
                             onPublished(channel, sentAt, reply);
                         });
}

void Cluster::onPublished(const QByteArray &channel, qint64 sentAtMs, const redis::Reply &reply)
{
    if (!reply.isError()) {
        const int late = m_options.redis.stallTimeoutMs;
        if (late > 0 && m_clock.elapsed() - sentAtMs >= late)
            ++m_publishesLate;
        return;
    }
    // Sent before the connection went: Redis may have run it, and a frozen one that wakes up
    // does; counting it as lost would report deliveries that happened as losses.
    if (reply.outcomeUnknown)
        ++m_publishesUnconfirmed;
    else
        ++m_publishFailures;
    // One line per burst of each kind: a dead Redis must not flood the log.
    QElapsedTimer &lastLog = reply.outcomeUnknown ? m_lastUnconfirmedLog : m_lastFailureLog;
    if (lastLog.isValid() && lastLog.elapsed() <= 5000)
        return;
    lastLog.start();
    if (reply.outcomeUnknown)
        qCWarning(lcCluster).noquote()
            << "no confirmation of a publish to" << QString::fromUtf8(channel) << "-"
            << QString::fromUtf8(reply.string) << "(" << m_publishesUnconfirmed
            << "publishes unconfirmed so far: sent, maybe delivered;" << m_publishFailures
            << "lost)";
    else
        qCWarning(lcCluster).noquote() << "could not publish to" << QString::fromUtf8(channel)
                                       << "-" << QString::fromUtf8(reply.string) << "("
                                       << m_publishFailures << "messages lost so far)";
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
    if (m_subscribedOnce) {
        ++m_subscriptionGaps;
        qCWarning(lcCluster).noquote()
            << "lost the subscription to Redis (" << reason
            << "): messages other nodes publish meanwhile are missed; gap" << m_subscriptionGaps;
    }
    updateHealth(QStringLiteral("lost the subscription to Redis (%1)").arg(reason));
}

void Cluster::onSubscriberUp()
{
    if (m_subscribedOnce)
        ++m_reconnects;
    if (m_subscribedOnce && m_subscriptionDown)
        qCInfo(lcCluster) << "subscribed again after" << m_downSince.elapsed() << "ms";
    m_subscribedOnce = true;
    m_subscriptionDown = false;
    updateHealth({});
}

void Cluster::onStalled(const char *connection)
{
    ++m_stalls;
    updateHealth(QStringLiteral("Redis has not answered the %1 connection for %2 ms (kept: what is "
                                "sent meanwhile is delivered when Redis answers)")
                     .arg(QString::fromLatin1(connection))
                     .arg(m_options.redis.stallTimeoutMs));
}

void Cluster::updateHealth(const QString &why)
{
    const bool healthy = isConnected();
    if (healthy == m_healthy) {
        if (!healthy && !why.isEmpty() && m_healthyOnce)
            qCDebug(lcCluster).noquote() << "still degraded:" << why;
        return;
    }
    m_healthy = healthy;
    if (!healthy) {
        m_degradedSince.start();
        if (m_healthyOnce)
            qCWarning(lcCluster).noquote()
                << "degraded:" << (why.isEmpty() ? QStringLiteral("Redis unreachable") : why)
                << "- local clients are still served, other nodes are not reached";
    } else {
        if (m_healthyOnce)
            qCInfo(lcCluster).noquote()
                << "healthy again after" << m_degradedSince.elapsed() << "ms degraded";
        m_healthyOnce = true;
    }
    Q_EMIT connectionChanged(healthy);
}

} // namespace switchboard
