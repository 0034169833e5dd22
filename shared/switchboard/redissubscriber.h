// A dedicated Redis connection in subscribe mode that remembers its channels and patterns and
// subscribes to them again after every reconnect.
#pragma once

#include "switchboard/redisclient.h"

#include <QSet>

namespace switchboard::redis {

// Delivery rules as for Connection: signals come from this object's own queued event, so a slot
// may (un)subscribe, stop() or delete the Subscriber.
class Subscriber : public QObject
{
    Q_OBJECT

public:
    explicit Subscriber(const Url &url, const Options &options = {}, QObject *parent = nullptr);
    ~Subscriber() override;

    void start();
    void stop();
    bool isConnected() const;
    // As Connection::isStalled(). The subscriptions stay while stalled: what is published
    // meanwhile arrives late, not never (no disconnected(), no gap).
    bool isStalled() const;

    // Remembered and (re-)issued on every connect; calls made while disconnected take effect
    // on connect. Subscribing twice to the same name is one subscription. After unsubscribe()
    // returns, no message of that channel (pattern) is emitted, even one already in flight.
    void subscribe(const QByteArray &channel);
    void unsubscribe(const QByteArray &channel);
    void psubscribe(const QByteArray &pattern);
    void punsubscribe(const QByteArray &pattern);

    QSet<QByteArray> channels() const { return m_channels; }
    QSet<QByteArray> patterns() const { return m_patterns; }
    QString lastError() const;
    const Url &url() const;

Q_SIGNALS:
    void message(const QByteArray &channel, const QByteArray &payload);
    void pmessage(const QByteArray &pattern, const QByteArray &channel, const QByteArray &payload);
    // Once the remembered subscriptions were issued again and Redis confirmed every one of them.
    void connected();
    // Only after connected(); messages published from now until the next connected() are lost.
    void disconnected(const QString &reason);
    void stalled();
    void resumed();

private:
    void onLinkReady();
    void onLinkLost(const QString &reason);
    void onPush(const Reply &push);
    void change(const char *verb, QSet<QByteArray> &names, const QByteArray &name, bool add);

    std::unique_ptr<detail::Link> m_link;
    QSet<QByteArray> m_channels;
    QSet<QByteArray> m_patterns;
    int m_awaitingConfirmations = 0;
    bool m_announced = false;
};

} // namespace switchboard::redis
