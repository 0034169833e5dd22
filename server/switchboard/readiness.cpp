#include "switchboard/readiness.h"

#include "switchboard/cluster.h"
#include "switchboard/drain.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard {

Readiness Readiness::of(const Drain &drain, const Cluster *cluster)
{
    if (drain.isDraining())
        return {false, QStringLiteral("draining")};
    if (cluster && !cluster->isConnected())
        return {false, cluster->status().value(QStringLiteral("stalled")).toBool()
                           ? QStringLiteral("redis stalled")
                           : QStringLiteral("redis unreachable")};
    return {};
}

HttpResponse Readiness::response() const
{
    QJsonObject body{{QStringLiteral("ready"), ready}};
    if (!ready)
        body.insert(QStringLiteral("reason"), reason);
    HttpResponse reply =
        HttpResponse::json(ready ? 200 : 503, QJsonDocument(body).toJson(QJsonDocument::Compact));
    reply.headers.append({QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")});
    return reply;
}

} // namespace switchboard
