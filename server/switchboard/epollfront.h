// The default HTTP front: a non-blocking listening socket and every client connection in one
// Poller (epoll), with plain NetConnection objects instead of a QTcpSocket (and its buffers
// and notifiers) per client.
#pragma once

#include "switchboard/httpfront.h"
#include "switchboard/poller.h"

#include <QSet>

class QTimer;

namespace switchboard {

class NetConnection;

class EpollFront : public HttpFront
{
    Q_OBJECT
public:
    // listen() backlog: bursts of clients wait in the kernel rather than being refused.
    static constexpr int Backlog = 4096;

    explicit EpollFront(QObject *parent = nullptr);
    ~EpollFront() override;

    bool listen(const QHostAddress &address, quint16 port) override;
    void close() override;
    quint16 serverPort() const override { return m_port; }
    QString errorString() const override { return m_error; }
    qint64 webSocketWrites() const override { return m_webSocketWrites; }
    int writeCoalescing() const override;

    Poller *poller() const { return m_poller; }
    int connectionCount() const { return int(m_connections.size()); }

private:
    friend class NetConnection;
    class Listener;
    void accept();
    void opened(NetConnection *connection);
    void forget(NetConnection *connection);
    // Messages queued during one pass of the event loop go out together, one write per
    // connection, once the pass is over (a fan-out queues many frames on each member); while
    // coalescing(m_overRate), a connection written less than HttpLimits::writeCoalesceMs ago
    // waits for the next tick of m_coalesce instead.
    void markDirty(NetConnection *connection, qint64 lastWrite);
    void flushDirty();
    void flushCoalesced();
    // The rate of WebSocket messages queued (m_messagesQueued), taken over windows of at least
    // RateWindowMs by the write passes, against HttpLimits::writeCoalesceAbove. A burst after
    // a quiet spell is measured over the spell, so it turns coalescing on a window later.
    static constexpr qint64 RateWindowMs = 250;
    bool overRate(qint64 now) const; // what measureRate(now) would decide
    void measureRate(qint64 now);
    // Whether writes are held back, with the node over the rate or not (by the last pass's
    // measure, or the next one's).
    bool coalescing(bool over) const;
    // Connections with input left for the next pass of the event loop (their turn's budget
    // spent), served in the order they came.
    void backlog(NetConnection *connection);
    // `method` in the next pass of the event loop, unless `queued` says it is already asked.
    void callOnce(bool &queued, void (EpollFront::*method)());
    void serveBacklog();

    Poller *m_poller;
    Listener *m_listener = nullptr;
    int m_listenFd = -1;
    quint16 m_port = 0;
    QString m_error;
    QSet<NetConnection *> m_connections;
    QList<NetConnection *> m_dirty;
    bool m_flushQueued = false;
    QList<NetConnection *> m_coalesced; // waiting for m_coalesce
    QTimer *m_coalesce = nullptr;
    qint64 m_webSocketWrites = 0;
    qint64 m_messagesQueued = 0;
    qint64 m_rateMark = 0;  // m_messagesQueued at m_rateSince
    qint64 m_rateSince = 0; // DeadlineQueue time
    bool m_overRate = false;
    QList<NetConnection *> m_backlog;
    QList<NetConnection *> *m_serving = nullptr; // the turn serveBacklog() is working through
    bool m_backlogQueued = false;
};

} // namespace switchboard
