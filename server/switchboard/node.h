// A whole switchboard-node: the server, the relay service, the HTTP routes and the
// authentication that NodeConfig asks for.
#pragma once

#include "switchboard/metrics.h"
#include "switchboard/nodeconfig.h"

#include <QObject>

namespace switchboard {

// Raises this process's open-files soft limit to its hard limit (every client connection is a
// descriptor) and returns the limit now in force; warns when it stays low for a server.
qint64 raiseOpenFilesLimit();

class Cluster;
class Drain;
class JobQueue;
class EmitApi;
class NodeAnnouncer;
class RelayService;
class Server;

class Node : public QObject
{
    Q_OBJECT
public:
    explicit Node(NodeConfig config, QObject *parent = nullptr);
    ~Node() override;

    // Starts listening; on failure returns the reason.
    QString start();
    void shutdown(const QString &reason);

    Server *server() const { return m_server; }
    Cluster *cluster() const { return m_cluster; }
    JobQueue *jobQueue() const { return m_queue; } // null without --queue
    const NodeConfig &config() const { return m_config; }
    QVariantMap health() const;
    // The graceful stop (SIGTERM): Drain::stop(); `finished` when the process may exit.
    Drain *drain() const { return m_drain; }
    // What GET /metrics renders; other modules register their families here (metrics.h).
    MetricsRegistry *metrics() { return &m_metrics; }
    // POST /api/emit and its counters; null when no --api-token is configured.
    const EmitApi *emitApi() const { return m_emitApi; }

private:
    void addRoutes();
    void addWhois();
    void addAuthentication();
    void joinCluster();
    void consumeQueue();

    NodeConfig m_config;
    Server *m_server;
    RelayService *m_relay;
    Cluster *m_cluster = nullptr;
    NodeAnnouncer *m_announcer = nullptr;
    Drain *m_drain = nullptr;
    MetricsRegistry m_metrics;
    JobQueue *m_queue = nullptr;
    EmitApi *m_emitApi = nullptr;
};

} // namespace switchboard
