#include "switchboard/nodemetrics.h"

#include "switchboard/cluster.h"
#include "switchboard/drain.h"
#include "switchboard/emitapi.h"
#include "switchboard/jobqueue.h"
#include "switchboard/server.h"

#include <QDir>
#include <QFile>

#include <sys/resource.h>
#include <unistd.h>

namespace switchboard {

namespace {

MetricSamples one(double value)
{
    return {{{}, value}};
}

// VmRSS from /proc/self/statm (pages); -1 when unreadable.
double residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return double(fields.value(1).toLongLong()) * double(sysconf(_SC_PAGESIZE));
}

double openFds()
{
    // Entries of /proc/self/fd, less the one this listing holds open.
    const qsizetype entries =
        QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files | QDir::System).size();
    return entries > 0 ? double(entries - 1) : -1;
}

double maxFds()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return -1;
    return double(limit.rlim_cur);
}

} // namespace

void addNodeMetrics(MetricsRegistry &registry, const Server *server, const Cluster *cluster,
                    const Drain *drain)
{
    const TrafficCounters &traffic = server->traffic();
    using T = MetricType;
    // The table: one row a family. docs/operations.md lists the same rows (tst_ops checks it).
    const MetricFamily families[] = {
        {"switchboard_build_info",
         T::Gauge,
         "Always 1; the version of this node as a label.",
         {"version"},
         [] {
             return MetricSamples{{{QStringLiteral(SWITCHBOARD_VERSION)}, 1}};
         }},
        {"switchboard_draining",
         T::Gauge,
         "1 while the node drains (after SIGTERM: unready, new sessions refused), else 0.",
         {},
         [drain] { return one(drain->isDraining() ? 1 : 0); }},
        {"switchboard_connections",
         T::Gauge,
         "Engine.IO connections open now, by transport (polling: not upgraded).",
         {"transport"},
         [server] {
             const int polling = server->pollingClientCount();
             return MetricSamples{
                 {{QStringLiteral("websocket")}, double(server->clientCount() - polling)},
                 {{QStringLiteral("polling")}, double(polling)}};
         }},
        {"switchboard_sockets",
         T::Gauge,
         "Socket.IO sockets connected now, by namespace.",
         {"namespace"},
         [server] {
             MetricSamples samples;
             for (const Namespace *nsp : server->namespaces())
                 samples.append({{nsp->name()}, double(nsp->sockets().size())});
             return samples;
         }},
        {"switchboard_messages_received_total",
         T::Counter,
         "Engine.IO message packets received from clients.",
         {},
         [&traffic] { return one(double(traffic.messagesIn)); }},
        {"switchboard_messages_sent_total",
         T::Counter,
         "Engine.IO message packets sent to clients (a broadcast counts once per recipient).",
         {},
         [&traffic] { return one(double(traffic.messagesOut)); }},
        {"switchboard_received_bytes_total",
         T::Counter,
         "Bytes of the Engine.IO packets received from clients (pongs and probes included).",
         {},
         [&traffic] { return one(double(traffic.bytesIn)); }},
        {"switchboard_sent_bytes_total",
         T::Counter,
         "Bytes of the Engine.IO packets sent to clients (pings included).",
         {},
         [&traffic] { return one(double(traffic.bytesOut)); }},
        {"switchboard_limits_hit_total",
         T::Counter,
         "Times a client ran into a limit (docs/security.md), by limit.",
         {"limit"},
         [&traffic] {
             MetricSamples samples;
             for (size_t i = 0; i < size_t(Bound::Count); ++i)
                 samples.append({{QString::fromLatin1(BoundCounters::name(Bound(i)))},
                                 double(traffic.bounds.hits[i])});
             return samples;
         }},
        {"switchboard_slow_consumers_dropped_total",
         T::Counter,
         "Clients closed for more unsent output than --max-buffered.",
         {},
         [&traffic] { return one(double(traffic.bounds.value(Bound::SlowConsumer))); }},
        {"switchboard_process_resident_memory_bytes",
         T::Gauge,
         "Resident memory of the node.",
         {},
         [] { return one(residentBytes()); }},
        {"switchboard_process_open_fds",
         T::Gauge,
         "File descriptors the node holds open.",
         {},
         [] { return one(openFds()); }},
        {"switchboard_process_max_fds",
         T::Gauge,
         "The node's open files limit.",
         {},
         [] { return one(maxFds()); }},
        {"switchboard_process_start_time_seconds",
         T::Gauge,
         "When the node started, in seconds since the Unix epoch.",
         {},
         [server] { return one(double(server->startTime().toSecsSinceEpoch())); }},
    };
    for (const MetricFamily &family : families)
        registry.add(family);
    if (server->http()->webSocketWrites() >= 0)
        registry.add({"switchboard_websocket_writes_total",
                      T::Counter,
                      "Write system calls to WebSocket clients (the epoll layer): messages "
                      "sent per write shows how --write-coalesce pays.",
                      {},
                      [server] { return one(double(server->http()->webSocketWrites())); }});
    if (server->http()->writeCoalescing() >= 0)
        registry.add({"switchboard_websocket_write_coalescing",
                      T::Gauge,
                      "1 while the node sends more WebSocket messages a second than "
                      "--write-coalesce-above and so holds dense streams back for "
                      "--write-coalesce ms, else 0 (always 1 with --write-coalesce-above 0; "
                      "the epoll layer).",
                      {},
                      [server] { return one(server->http()->writeCoalescing()); }});
    if (!cluster)
        return;
    const MetricFamily clusterFamilies[] = {
        {"switchboard_redis_up",
         T::Gauge,
         "1 while both Redis connections are up and answering (not stalled), else 0.",
         {},
         [cluster] { return one(cluster->isConnected() ? 1 : 0); }},
        {"switchboard_redis_broadcasts_published_total",
         T::Counter,
         "Broadcasts this node published to the other nodes.",
         {},
         [cluster] { return one(double(cluster->broadcastsPublished())); }},
        {"switchboard_redis_broadcasts_received_total",
         T::Counter,
         "Broadcasts from other nodes received and applied to local sockets.",
         {},
         [cluster] { return one(double(cluster->broadcastsReceived())); }},
        {"switchboard_redis_broadcasts_skipped_total",
         T::Counter,
         "Broadcasts for a room without local members, dropped undecoded.",
         {},
         [cluster] { return one(double(cluster->broadcastsSkipped())); }},
        {"switchboard_redis_reconnects_total",
         T::Counter,
         "Times a Redis connection (command or subscriber) was made again after it was lost.",
         {},
         [cluster] { return one(double(cluster->reconnects())); }},
        {"switchboard_redis_round_trip_seconds",
         T::Gauge,
         "The last PING round trip to Redis on the command connection.",
         {},
         [cluster] { return one(cluster->roundTripMs() / 1000.0); }},
        {"switchboard_redis_subscription_gaps_total",
         T::Counter,
         "Times the subscription was lost: what other nodes published meanwhile was missed.",
         {},
         [cluster] { return one(double(cluster->subscriptionGaps())); }},
        {"switchboard_redis_publish_failures_total",
         T::Counter,
         "Publishes lost for sure: never sent (Redis unreachable) or refused by Redis.",
         {},
         [cluster] { return one(double(cluster->publishFailures())); }},
        {"switchboard_redis_publishes_unconfirmed_total",
         T::Counter,
         "Publishes sent whose connection went before Redis confirmed them (maybe delivered).",
         {},
         [cluster] { return one(double(cluster->publishesUnconfirmed())); }},
        {"switchboard_redis_publishes_late_total",
         T::Counter,
         "Publishes confirmed later than --redis-timeout (delivered late, not lost).",
         {},
         [cluster] { return one(double(cluster->publishesLate())); }},
        {"switchboard_redis_stalls_total",
         T::Counter,
         "Times a Redis connection found Redis silent for --redis-timeout.",
         {},
         [cluster] { return one(double(cluster->stalls())); }},
    };
    for (const MetricFamily &family : clusterFamilies)
        registry.add(family);
}

void addApiMetrics(MetricsRegistry &registry, const EmitApi *api)
{
    registry.add({"switchboard_api_requests_total",
                  MetricType::Counter,
                  "Requests to POST /api/emit answered, by HTTP status.",
                  {"status"},
                  [api] {
                      MetricSamples samples;
                      const QMap<int, quint64> &counts = api->requestsByStatus();
                      for (auto it = counts.cbegin(); it != counts.cend(); ++it)
                          samples.append({{QString::number(it.key())}, double(it.value())});
                      return samples;
                  }});
}

void addQueueMetrics(MetricsRegistry &registry, const JobQueue *queue)
{
    using T = MetricType;
    const MetricFamily families[] = {
        {"switchboard_queue_consumed_total",
         T::Counter,
         "Jobs of the --queue list this node delivered (published once to the cluster).",
         {},
         [queue] { return one(double(queue->stats().consumed)); }},
        {"switchboard_queue_dead_lettered_total",
         T::Counter,
         "Malformed jobs this node moved to <key>:dead with the reason.",
         {},
         [queue] { return one(double(queue->stats().deadLettered)); }},
        {"switchboard_queue_reclaimed_total",
         T::Counter,
         "Jobs this node moved back to the queue from a dead consumer's processing list.",
         {},
         [queue] { return one(double(queue->stats().reclaimed)); }},
        {"switchboard_queue_unconfirmed_total",
         T::Counter,
         "Jobs of delivery scripts whose reply never came (the Redis connection went).",
         {},
         [queue] { return one(double(queue->stats().unconfirmed)); }},
        {"switchboard_queue_depth",
         T::Gauge,
         "Jobs waiting in the --queue list (LLEN, sampled each second; none before the first).",
         {},
         [queue] {
             const qint64 depth = queue->stats().depth;
             return depth < 0 ? MetricSamples{} : one(double(depth));
         }},
        {"switchboard_queue_consuming",
         T::Gauge,
         "1 while this node holds the queue's lease (it is the one consuming), else 0.",
         {},
         [queue] { return one(queue->stats().consuming ? 1 : 0); }},
    };
    for (const MetricFamily &family : families)
        registry.add(family);
}

} // namespace switchboard
