#include "switchboard/presence.h"

#include "switchboard/json.h"

namespace switchboard::cluster {

namespace {

QVariantList toList(const QStringList &list)
{
    return QVariantList(list.cbegin(), list.cend());
}

QStringList toStrings(const QVariant &value)
{
    QStringList out;
    for (const QVariant &item : value.toList())
        out << item.toString();
    return out;
}

Decoded<QVariantMap> parseObject(QByteArrayView bytes, const char *what)
{
    Decoded<QVariant> value = json::parse(bytes);
    if (!value)
        return Decoded<QVariantMap>::failure(value.error());
    if (value->typeId() != QMetaType::QVariantMap)
        return Decoded<QVariantMap>::failure(
            QStringLiteral("%1 is not a JSON object").arg(QLatin1String(what)));
    return value->toMap();
}

const char *kindName(SocketEvent::Kind kind)
{
    switch (kind) {
    case SocketEvent::Kind::Connect:
        return "connect";
    case SocketEvent::Kind::Disconnect:
        return "disconnect";
    case SocketEvent::Kind::Join:
        return "join";
    case SocketEvent::Kind::Leave:
        return "leave";
    }
    return "";
}

} // namespace

QVariantMap NodePresence::toVariant() const
{
    QVariantMap perNamespace;
    for (auto it = connections.cbegin(); it != connections.cend(); ++it)
        perNamespace.insert(it.key(), it.value());
    QVariantMap map{
        {QStringLiteral("uid"), uid},
        {QStringLiteral("name"), name},
        {QStringLiteral("address"), address},
        {QStringLiteral("version"), version},
        {QStringLiteral("pid"), pid},
        {QStringLiteral("startedAt"), startedAt},
        {QStringLiteral("time"), time},
        {QStringLiteral("interval"), intervalMs},
        {QStringLiteral("leaving"), leaving},
        {QStringLiteral("connections"), perNamespace},
        {QStringLiteral("clients"), clients},
        {QStringLiteral("rooms"), rooms},
        {QStringLiteral("messagesIn"), messagesInPerSec},
        {QStringLiteral("messagesOut"), messagesOutPerSec},
        {QStringLiteral("bytesIn"), bytesInPerSec},
        {QStringLiteral("bytesOut"), bytesOutPerSec},
        {QStringLiteral("rss"), rssBytes},
        {QStringLiteral("redisRtt"), redisRoundTripMs},
        {QStringLiteral("publishFailures"), publishFailures},
        {QStringLiteral("subscriptionGaps"), subscriptionGaps},
    };
    if (queue)
        map.insert(QStringLiteral("queue"),
                   QVariantMap{
                       {QStringLiteral("key"), queue->key},
                       {QStringLiteral("depth"), queue->depth},
                       {QStringLiteral("consumed"), queue->consumed},
                       {QStringLiteral("deadLettered"), queue->deadLettered},
                       {QStringLiteral("reclaimed"), queue->reclaimed},
                       {QStringLiteral("consuming"), queue->consuming},
                   });
    return map;
}

NodePresence NodePresence::fromVariant(const QVariantMap &map)
{
    NodePresence p;
    p.uid = map.value(QStringLiteral("uid")).toString();
    p.name = map.value(QStringLiteral("name")).toString();
    p.address = map.value(QStringLiteral("address")).toString();
    p.version = map.value(QStringLiteral("version")).toString();
    p.pid = map.value(QStringLiteral("pid")).toLongLong();
    p.startedAt = map.value(QStringLiteral("startedAt")).toLongLong();
    p.time = map.value(QStringLiteral("time")).toLongLong();
    p.intervalMs = map.value(QStringLiteral("interval"), PresenceIntervalMs).toInt();
    p.leaving = map.value(QStringLiteral("leaving")).toBool();
    const QVariantMap perNamespace = map.value(QStringLiteral("connections")).toMap();
    for (auto it = perNamespace.cbegin(); it != perNamespace.cend(); ++it)
        p.connections.insert(it.key(), it.value().toInt());
    p.clients = map.value(QStringLiteral("clients")).toInt();
    p.rooms = map.value(QStringLiteral("rooms")).toInt();
    p.messagesInPerSec = map.value(QStringLiteral("messagesIn")).toDouble();
    p.messagesOutPerSec = map.value(QStringLiteral("messagesOut")).toDouble();
    p.bytesInPerSec = map.value(QStringLiteral("bytesIn")).toDouble();
    p.bytesOutPerSec = map.value(QStringLiteral("bytesOut")).toDouble();
    p.rssBytes = map.value(QStringLiteral("rss")).toLongLong();
    p.redisRoundTripMs = map.value(QStringLiteral("redisRtt"), -1).toDouble();
    p.publishFailures = map.value(QStringLiteral("publishFailures")).toLongLong();
    p.subscriptionGaps = map.value(QStringLiteral("subscriptionGaps")).toLongLong();
    if (map.value(QStringLiteral("queue")).typeId() == QMetaType::QVariantMap) {
        const QVariantMap q = map.value(QStringLiteral("queue")).toMap();
        p.queue = NodePresence::Queue{
            q.value(QStringLiteral("key")).toString(),
            q.value(QStringLiteral("depth"), -1).toLongLong(),
            q.value(QStringLiteral("consumed")).toLongLong(),
            q.value(QStringLiteral("deadLettered")).toLongLong(),
            q.value(QStringLiteral("reclaimed")).toLongLong(),
            q.value(QStringLiteral("consuming")).toBool(),
        };
    }
    return p;
}

QByteArray encodePresence(const NodePresence &presence)
{
    return json::serialize(presence.toVariant());
}

Decoded<NodePresence> decodePresence(QByteArrayView bytes)
{
    Decoded<QVariantMap> object = parseObject(bytes, "presence record");
    if (!object)
        return Decoded<NodePresence>::failure(object.error());
    NodePresence presence = NodePresence::fromVariant(*object);
    if (presence.uid.isEmpty())
        return Decoded<NodePresence>::failure(QStringLiteral("presence record without uid"));
    return presence;
}

QVariantMap SocketRecord::toVariant() const
{
    return {
        {QStringLiteral("id"), id},
        {QStringLiteral("nsp"), nsp},
        {QStringLiteral("rooms"), toList(rooms)},
        {QStringLiteral("address"), address},
        {QStringLiteral("connectedAt"), connectedAt},
        {QStringLiteral("url"), url},
        {QStringLiteral("userAgent"), userAgent},
        {QStringLiteral("authKeys"), toList(authKeys)},
    };
}

SocketRecord SocketRecord::fromVariant(const QVariantMap &map)
{
    SocketRecord r;
    r.id = map.value(QStringLiteral("id")).toString();
    r.nsp = map.value(QStringLiteral("nsp")).toString();
    r.rooms = toStrings(map.value(QStringLiteral("rooms")));
    r.address = map.value(QStringLiteral("address")).toString();
    r.connectedAt = map.value(QStringLiteral("connectedAt")).toLongLong();
    r.url = map.value(QStringLiteral("url")).toString();
    r.userAgent = map.value(QStringLiteral("userAgent")).toString();
    r.authKeys = toStrings(map.value(QStringLiteral("authKeys")));
    return r;
}

QVariantMap SocketEvent::toVariant() const
{
    QVariantMap map{{QStringLiteral("e"), QLatin1String(kindName(kind))},
                    {QStringLiteral("nsp"), nsp},
                    {QStringLiteral("id"), id}};
    switch (kind) {
    case Kind::Connect:
        map.insert(QStringLiteral("socket"), socket.toVariant());
        break;
    case Kind::Disconnect:
        map.insert(QStringLiteral("reason"), reason);
        break;
    case Kind::Join:
    case Kind::Leave:
        map.insert(QStringLiteral("room"), room);
        break;
    }
    return map;
}

std::optional<SocketEvent> SocketEvent::fromVariant(const QVariantMap &map)
{
    SocketEvent event;
    const QString kind = map.value(QStringLiteral("e")).toString();
    if (kind == u"connect")
        event.kind = Kind::Connect;
    else if (kind == u"disconnect")
        event.kind = Kind::Disconnect;
    else if (kind == u"join")
        event.kind = Kind::Join;
    else if (kind == u"leave")
        event.kind = Kind::Leave;
    else
        return std::nullopt;
    event.nsp = map.value(QStringLiteral("nsp")).toString();
    event.id = map.value(QStringLiteral("id")).toString();
    event.room = map.value(QStringLiteral("room")).toString();
    event.reason = map.value(QStringLiteral("reason")).toString();
    if (event.kind == Kind::Connect)
        event.socket = SocketRecord::fromVariant(map.value(QStringLiteral("socket")).toMap());
    if (event.id.isEmpty())
        return std::nullopt;
    return event;
}

QByteArray encodeSocketEvents(const QString &uid, const QList<SocketEvent> &events)
{
    QVariantList list;
    list.reserve(events.size());
    for (const SocketEvent &event : events)
        list.append(event.toVariant());
    return json::serialize(
        QVariantMap{{QStringLiteral("uid"), uid}, {QStringLiteral("events"), list}});
}

Decoded<SocketEventBatch> decodeSocketEvents(QByteArrayView bytes)
{
    Decoded<QVariantMap> object = parseObject(bytes, "socket event batch");
    if (!object)
        return Decoded<SocketEventBatch>::failure(object.error());
    SocketEventBatch batch;
    batch.uid = object->value(QStringLiteral("uid")).toString();
    for (const QVariant &item : object->value(QStringLiteral("events")).toList()) {
        if (auto event = SocketEvent::fromVariant(item.toMap()))
            batch.events.append(*event);
    }
    if (batch.uid.isEmpty())
        return Decoded<SocketEventBatch>::failure(QStringLiteral("socket event batch without uid"));
    return batch;
}

QByteArray encodeSocketListPage(const SocketListPage &page)
{
    QVariantList sockets;
    sockets.reserve(page.sockets.size());
    for (const SocketRecord &record : page.sockets)
        sockets.append(record.toVariant());
    return json::serialize(QVariantMap{{QStringLiteral("requestId"), page.requestId},
                                       {QStringLiteral("uid"), page.uid},
                                       {QStringLiteral("name"), page.name},
                                       {QStringLiteral("seq"), page.seq},
                                       {QStringLiteral("last"), page.last},
                                       {QStringLiteral("sockets"), sockets}});
}

Decoded<SocketListPage> decodeSocketListPage(QByteArrayView bytes)
{
    Decoded<QVariantMap> object = parseObject(bytes, "socket list page");
    if (!object)
        return Decoded<SocketListPage>::failure(object.error());
    SocketListPage page;
    page.requestId = object->value(QStringLiteral("requestId")).toString();
    page.uid = object->value(QStringLiteral("uid")).toString();
    page.name = object->value(QStringLiteral("name")).toString();
    page.seq = object->value(QStringLiteral("seq")).toInt();
    page.last = object->value(QStringLiteral("last"), true).toBool();
    for (const QVariant &item : object->value(QStringLiteral("sockets")).toList())
        page.sockets.append(SocketRecord::fromVariant(item.toMap()));
    if (page.uid.isEmpty())
        return Decoded<SocketListPage>::failure(QStringLiteral("socket list page without uid"));
    return page;
}

} // namespace switchboard::cluster
