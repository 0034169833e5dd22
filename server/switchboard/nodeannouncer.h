// Tells the cluster (and the console) that this node exists and how it is doing: a presence
// record every second on a channel and under a key with a TTL, batched socket events, and
// answers to socket-list requests. Formats: docs/cluster-protocol.md.
#pragma once

#include "switchboard/presence.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <functional>

namespace switchboard {

class Cluster;
class Namespace;
class Server;
class Socket;

class NodeAnnouncer : public QObject
{
    Q_OBJECT
public:
    static constexpr int EventFlushMs = 100;
    static constexpr int SocketsPerPage = 500;

    NodeAnnouncer(Server *server, Cluster *cluster, QString name, QString address,
                  QObject *parent = nullptr);

    void start();
    // Publishes the last record (leaving) and deletes the key.
    void leave();

    cluster::NodePresence presence();
    // Fills in what other parts of the node report in the record (the queue's counters).
    void setDecorator(std::function<void(cluster::NodePresence &)> decorator)
    {
        m_decorator = std::move(decorator);
    }
    static cluster::SocketRecord record(const Socket *socket);

private:
    void watch(Namespace *nsp);
    void announce();
    void flushEvents();
    void queue(cluster::SocketEvent event);
    void onControl(const QByteArray &payload);

    Server *m_server;
    Cluster *m_cluster;
    QString m_name;
    QString m_address;
    QTimer m_announceTimer;
    QTimer m_flushTimer;
    QList<cluster::SocketEvent> m_events;
    std::function<void(cluster::NodePresence &)> m_decorator;
    QElapsedTimer m_sinceLast;
    quint64 m_lastMessagesIn = 0, m_lastMessagesOut = 0, m_lastBytesIn = 0, m_lastBytesOut = 0;
};

} // namespace switchboard
