// Whether the node should be given new clients, for GET /readyz (a load balancer's check):
// not while it drains, nor while Redis is unreachable or stalled (the state /healthz reports as
// "degraded", from Cluster::isConnected: not computed twice). /healthz stays the liveness check:
// a draining or degraded node is alive.
#pragma once

#include "switchboard/httpfront.h"

#include <QString>

namespace switchboard {

class Cluster;
class Drain;

struct Readiness
{
    bool ready = true;
    QString reason; // why not, for the operator: "draining", "redis unreachable", ...

    // `cluster` null: a single node, ready whenever it listens.
    static Readiness of(const Drain &drain, const Cluster *cluster);
    // 200 {"ready":true} or 503 {"ready":false,"reason":"..."}, never cached.
    HttpResponse response() const;
};

} // namespace switchboard
