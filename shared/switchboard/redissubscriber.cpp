#include "switchboard/redissubscriber.h"

#include "switchboard/logging.h"
#include "switchboard/redislink.h"

namespace switchboard::redis {

Subscriber::Subscriber(const Url &url, const Options &options, QObject *parent)
    : QObject(parent),
      m_link(std::make_unique<detail::Link>(this, url, options, detail::Link::Kind::Subscriber))
{
    m_link->setHandlers({[this] { onLinkReady(); },
                         [this](const QString &reason) { onLinkLost(reason); },
                         [this](const Reply &push) { onPush(push); },
                         [this](bool stalled) {
                             if (stalled)
                                 Q_EMIT this->stalled();
                             else
                                 Q_EMIT resumed();
                         }});
}

Subscriber::~Subscriber() = default;

void Subscriber::start()
{
    m_link->start();
}

void Subscriber::stop()
{
    m_link->stop();
}

bool Subscriber::isConnected() const
{
    return m_announced;
}

bool Subscriber::isStalled() const
{
    return m_link->isStalled();
}

void Subscriber::subscribe(const QByteArray &channel)
{
    change("SUBSCRIBE", m_channels, channel, true);
}

void Subscriber::unsubscribe(const QByteArray &channel)
{
    change("UNSUBSCRIBE", m_channels, channel, false);
}

void Subscriber::psubscribe(const QByteArray &pattern)
{
    change("PSUBSCRIBE", m_patterns, pattern, true);
}

void Subscriber::punsubscribe(const QByteArray &pattern)
{
    change("PUNSUBSCRIBE", m_patterns, pattern, false);
}

QString Subscriber::lastError() const
{
    return m_link->lastError();
}

const Url &Subscriber::url() const
{
    return m_link->url();
}

void Subscriber::change(const char *verb, QSet<QByteArray> &names, const QByteArray &name, bool add)
{
    if (names.contains(name) == add)
        return;
    if (add)
        names.insert(name);
    else
        names.remove(name);
    // Not ready: the name is issued (or left out) when the link is ready again.
    if (m_link->isReady())
        m_link->subscription(verb, {name});
}

void Subscriber::onLinkReady()
{
    m_awaitingConfirmations = 0;
    const QList<QByteArray> channels(m_channels.cbegin(), m_channels.cend());
    const QList<QByteArray> patterns(m_patterns.cbegin(), m_patterns.cend());
    if (!channels.isEmpty() && m_link->subscription("SUBSCRIBE", channels))
        m_awaitingConfirmations += int(channels.size());
    if (!patterns.isEmpty() && m_link->subscription("PSUBSCRIBE", patterns))
        m_awaitingConfirmations += int(patterns.size());
    if (m_awaitingConfirmations == 0) {
        m_announced = true;
        Q_EMIT connected();
    }
}

void Subscriber::onLinkLost(const QString &reason)
{
    m_awaitingConfirmations = 0;
    if (!m_announced)
        return;
    m_announced = false;
    Q_EMIT disconnected(reason);
}

void Subscriber::onPush(const Reply &push)
{
    if (push.type != Reply::Type::Array || push.elements.isEmpty()) {
        qCWarning(lcRedis).noquote()
            << "Redis subscriber got an unexpected reply:" << QString::fromUtf8(push.string);
        return;
    }
    const QByteArray &kind = push.elements.first().string;
    // Messages still in flight when unsubscribe() was called are dropped: after it, none.
    if (kind == "message" && push.elements.size() == 3) {
        if (m_channels.contains(push.elements.at(1).string))
            Q_EMIT message(push.elements.at(1).string, push.elements.at(2).string);
    } else if (kind == "pmessage" && push.elements.size() == 4) {
        if (m_patterns.contains(push.elements.at(1).string))
            Q_EMIT pmessage(push.elements.at(1).string, push.elements.at(2).string,
                            push.elements.at(3).string);
    } else if (m_awaitingConfirmations > 0 && kind.endsWith("subscribe")) {
        // The first confirmations after ready are those of the subscriptions issued again.
        if (--m_awaitingConfirmations == 0) {
            qCDebug(lcRedis) << "Redis subscriber: listening on" << m_channels.size()
                             << "channels and" << m_patterns.size() << "patterns";
            m_announced = true;
            Q_EMIT connected();
        }
    }
}

} // namespace switchboard::redis
