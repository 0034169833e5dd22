// The node's own metric families, in one table (nodemetrics.cpp): connections, sockets,
// traffic, limits, the cluster's Redis counters and a few process facts. Other modules add
// theirs on the same registry (metrics.h tells how).
#pragma once

#include "switchboard/metrics.h"

namespace switchboard {

class Cluster;
class Drain;
class EmitApi;
class JobQueue;
class Server;

// Registers the families; `cluster` null (a single node) leaves the Redis ones out. The
// objects must outlive the registry's use.
void addNodeMetrics(MetricsRegistry &registry, const Server *server, const Cluster *cluster,
                    const Drain *drain);
// POST /api/emit's answers by status (with --api-token).
void addApiMetrics(MetricsRegistry &registry, const EmitApi *api);
// The --queue consumer's counters and the queue's depth.
void addQueueMetrics(MetricsRegistry &registry, const JobQueue *queue);

} // namespace switchboard
