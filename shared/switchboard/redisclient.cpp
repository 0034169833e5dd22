#include "switchboard/redisclient.h"

#include "switchboard/redislink.h"

namespace switchboard::redis {

Connection::Connection(const Url &url, const Options &options, QObject *parent)
    : QObject(parent),
      m_link(std::make_unique<detail::Link>(this, url, options, detail::Link::Kind::Commands))
{
    m_link->setHandlers({[this] { Q_EMIT connected(); },
                         [this](const QString &reason) { Q_EMIT disconnected(reason); },
                         {},
                         [this](bool stalled) {
                             if (stalled)
                                 Q_EMIT this->stalled();
                             else
                                 Q_EMIT resumed();
                         }});
}

Connection::~Connection() = default;

void Connection::start()
{
    m_link->start();
}

void Connection::stop()
{
    m_link->stop();
}

bool Connection::isConnected() const
{
    return m_link->isReady();
}

bool Connection::isStalled() const
{
    return m_link->isStalled();
}

void Connection::command(const QList<QByteArray> &args, Callback callback)
{
    m_link->command(args, std::move(callback));
}

qint64 Connection::lastRoundTripMs() const
{
    return m_link->lastRoundTripMs();
}

QString Connection::lastError() const
{
    return m_link->lastError();
}

const Url &Connection::url() const
{
    return m_link->url();
}

} // namespace switchboard::redis
