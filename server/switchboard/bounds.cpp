#include "switchboard/bounds.h"

namespace switchboard {

const char *BoundCounters::name(Bound bound)
{
    switch (bound) {
    case Bound::HttpPipeline:
        return "http_pipeline";
    case Bound::HttpHeaders:
        return "http_headers";
    case Bound::HttpBody:
        return "http_body";
    case Bound::HttpBodyTime:
        return "http_body_time";
    case Bound::WsControl:
        return "ws_control";
    case Bound::SlowConsumer:
        return "slow_consumer";
    case Bound::Payload:
        return "payload";
    case Bound::Attachments:
        return "attachments";
    case Bound::PendingAcks:
        return "pending_acks";
    case Bound::RoomsPerSocket:
        return "rooms_per_socket";
    case Bound::AuthFailures:
        return "auth_failures";
    case Bound::Namespaces:
        return "namespaces";
    case Bound::Depth:
        return "depth";
    case Bound::Count:
        break;
    }
    return "unknown";
}

QVariantMap BoundCounters::toMap() const
{
    QVariantMap map;
    for (size_t i = 0; i < size_t(Bound::Count); ++i)
        map.insert(QString::fromLatin1(name(Bound(i))), QVariant::fromValue(hits[i]));
    return map;
}

} // namespace switchboard
