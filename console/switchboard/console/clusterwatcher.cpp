#include "switchboard/console/clusterwatcher.h"

#include "switchboard/ids.h"
#include "switchboard/json.h"
#include "switchboard/logging.h"
#include "switchboard/msgpackvariant.h"

#include <utility>

namespace switchboard::console {

using cluster::RequestType;

namespace {

constexpr int PreviewChars = 300;

// One spelling for every kind of traffic: lower-case words, whatever the adapter calls the
// request type (a plain broadcast and a broadcast with acks differ by name, not by case).
QString kindName(int type)
{
    static constexpr const char *names[] = {
        "sockets",          "all rooms",           "remote join",
        "remote leave",     "remote disconnect",   "remote fetch",
        "server-side emit", "broadcast with acks", "broadcast client count",
        "broadcast ack"};
    return QString::fromLatin1(type >= 0 && type < int(std::size(names)) ? names[type]
                                                                         : "unknown request");
}

// A REMOTE_FETCH answer of a Node.js server carries each socket's whole handshake: the names
// of its credentials stay, their values do not.
QVariantMap withoutHandshakeSecrets(QVariantMap handshake)
{
    static const QString redacted = QStringLiteral("[redacted]");
    if (auto auth = handshake.find(QStringLiteral("auth")); auth != handshake.end()) {
        if (auth->typeId() == QMetaType::QVariantMap) {
            QVariantMap fields = auth->toMap();
            for (QVariant &value : fields)
                value = redacted;
            *auth = fields;
        } else if (!auth->isNull()) {
            *auth = redacted;
        }
    }
    if (auto headers = handshake.find(QStringLiteral("headers")); headers != handshake.end()) {
        QVariantMap fields = headers->toMap();
        for (auto it = fields.begin(); it != fields.end(); ++it)
            if (isCredentialHeader(it.key()))
                *it = redacted;
        *headers = fields;
    }
    return handshake;
}

// Binary leaves shown as a size: the preview is text.
QVariant printable(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::QByteArray:
        return QStringLiteral("<binary %1 bytes>").arg(value.toByteArray().size());
    case QMetaType::QVariantList: {
        QVariantList out;
        for (const QVariant &item : value.toList())
            out.append(printable(item));
        return out;
    }
    case QMetaType::QVariantMap: {
        QVariantMap out;
        const QVariantMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            out.insert(it.key(), printable(it.value()));
        return out;
    }
    default:
        return value;
    }
}

QString preview(const QVariant &value)
{
    QString text = QString::fromUtf8(json::serialize(printable(withoutCredentials(value))));
    if (text.size() > PreviewChars) {
        text.truncate(PreviewChars);
        text += u'…';
    }
    return text;
}

QStringList strings(const QVariant &value)
{
    QStringList out;
    for (const QVariant &item : value.toList())
        out << item.toString();
    return out;
}

ForeignSocket foreignFromWire(const QString &nsp, const QVariantMap &wire)
{
    ForeignSocket s;
    s.id = wire.value(QStringLiteral("id")).toString();
    s.nsp = nsp;
    const QVariantMap handshake = wire.value(QStringLiteral("handshake")).toMap();
    for (const QString &room : strings(wire.value(QStringLiteral("rooms"))))
        if (room != s.id)
            s.rooms << room;
    s.rooms.sort();
    s.address = handshake.value(QStringLiteral("address")).toString();
    s.connectedAt = handshake.value(QStringLiteral("issued")).toLongLong();
    s.authKeys = handshake.value(QStringLiteral("auth")).toMap().keys();
    return s;
}

} // namespace

bool isCredentialHeader(const QString &name)
{
    for (const char *header :
         {"authorization", "cookie", "sec-websocket-protocol", "proxy-authorization"})
        if (name.compare(QLatin1String(header), Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

QVariant withoutCredentials(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::QVariantList: {
        QVariantList out = value.toList();
        for (QVariant &item : out)
            item = withoutCredentials(item);
        return out;
    }
    case QMetaType::QVariantMap: {
        QVariantMap out = value.toMap();
        for (auto it = out.begin(); it != out.end(); ++it)
            *it = it.key() == u"handshake" && it->typeId() == QMetaType::QVariantMap
                      ? QVariant(withoutHandshakeSecrets(it->toMap()))
                      : withoutCredentials(*it);
        return out;
    }
    default:
        return value;
    }
}

ClusterWatcher::ClusterWatcher(QObject *parent)
    : QObject(parent), m_uid(ConsoleUidPrefix.toString() + randomToken(6))
{
    qRegisterMetaType<TrafficRecord>();
    m_refresh.setInterval(RefreshMs);
    connect(&m_refresh, &QTimer::timeout, this, &ClusterWatcher::refreshServerCounts);
}

ClusterWatcher::~ClusterWatcher() = default;

void ClusterWatcher::setState(State state, const QString &detail)
{
    m_state = state;
    Q_EMIT stateChanged(state, detail);
}

void ClusterWatcher::connectTo(const redis::Url &url, const QString &key)
{
    disconnectFrom();
    m_url = url;
    m_channels = cluster::Channels(key);
    redis::Options options;
    options.clientName = QByteArrayLiteral("switchboard-console");
    m_commands = std::make_unique<redis::Connection>(url, options);
    m_subscriber = std::make_unique<redis::Subscriber>(url, options);
    connect(m_subscriber.get(), &redis::Subscriber::connected, this,
            &ClusterWatcher::onSubscriberUp);
    connect(m_commands.get(), &redis::Connection::connected, this, &ClusterWatcher::onSubscriberUp);
    connect(m_subscriber.get(), &redis::Subscriber::disconnected, this,
            &ClusterWatcher::onSubscriberDown);
    connect(m_commands.get(), &redis::Connection::disconnected, this,
            &ClusterWatcher::onSubscriberDown);
    connect(m_subscriber.get(), &redis::Subscriber::message, this, &ClusterWatcher::onMessage);
    connect(m_subscriber.get(), &redis::Subscriber::pmessage, this,
            &ClusterWatcher::onPatternMessage);

    const QByteArray prefix = key.toUtf8();
    // Patterns only: a SUBSCRIBE to a request channel would count the console as a server
    // (PUBSUB NUMSUB) and make every server wait for its answers.
    m_subscriber->psubscribe(prefix + "#*");
    m_subscriber->psubscribe(prefix + "-request#*");
    m_subscriber->psubscribe(prefix + "-response#*");
    m_subscriber->psubscribe(prefix + "-switchboard#response#*");
    m_subscriber->subscribe(m_channels.presence());
    m_subscriber->subscribe(m_channels.socketEvents());
    setState(State::Connecting, url.redacted());
    m_commands->start();
    m_subscriber->start();
}

void ClusterWatcher::disconnectFrom()
{
    m_refresh.stop();
    m_subscriber.reset();
    m_commands.reset();
    m_namespaces.clear();
    m_nodeNamespaces.clear();
    m_nodeSeen.clear();
    m_lastForeignFetch.clear();
    m_fetchRequests.clear();
    // The callbacks may call the watcher again (another inject, disconnectFrom, connectTo):
    // the acks leave it, and it is in its final state, before the first one runs.
    const QHash<QString, PendingAck> acks = std::exchange(m_acks, {});
    if (m_state != State::Disconnected)
        setState(State::Disconnected, {});
    for (const PendingAck &ack : acks)
        if (ack.done)
            ack.done(QStringLiteral("disconnected"), ack.clients, ack.replies);
}

void ClusterWatcher::onSubscriberUp()
{
    if (!m_commands || !m_subscriber || !m_commands->isConnected() || !m_subscriber->isConnected())
        return;
    setState(State::Connected, m_url.redacted());
    loadPresenceKeys("0");
    refreshServerCounts();
    refreshSockets();
    m_refresh.start();
}

void ClusterWatcher::onSubscriberDown(const QString &reason)
{
    m_refresh.stop();
    if (m_state == State::Connected || m_state == State::Connecting)
        setState(m_state == State::Connected ? State::Reconnecting : State::Connecting, reason);
}

void ClusterWatcher::loadPresenceKeys(const QByteArray &cursor)
{
    m_commands->command({QByteArrayLiteral("SCAN"), cursor, QByteArrayLiteral("MATCH"),
                         m_channels.presenceKeyPattern(), QByteArrayLiteral("COUNT"),
                         QByteArrayLiteral("1000")},
                        [this](const redis::Reply &reply) {
                            if (reply.isError() || reply.elements.size() != 2)
                                return;
                            QList<QByteArray> args{QByteArrayLiteral("MGET")};
                            for (const redis::Reply &key : reply.elements.at(1).elements)
                                args << key.string;
                            if (args.size() > 1) {
                                m_commands->command(args, [this](const redis::Reply &values) {
                                    for (const redis::Reply &value : values.elements)
                                        if (auto p = cluster::decodePresence(value.string))
                                            acceptPresence(*p);
                                });
                            }
                            const QByteArray next = reply.elements.at(0).string;
                            if (next != "0")
                                loadPresenceKeys(next);
                        });
}

void ClusterWatcher::refreshServerCounts()
{
    if (!m_commands)
        return;
    m_commands->command(
        {QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("CHANNELS"),
         m_channels.key().toUtf8() + "-request#*"},
        [this](const redis::Reply &reply) {
            if (reply.isError())
                return;
            QList<QByteArray> args{QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("NUMSUB")};
            for (const redis::Reply &channel : reply.elements)
                args << channel.string;
            if (args.size() == 2)
                return;
            m_commands->command(args, [this](const redis::Reply &counts) {
                const qint64 now = QDateTime::currentMSecsSinceEpoch();
                for (qsizetype i = 0; i + 1 < counts.elements.size(); i += 2) {
                    const auto nsp = m_channels.namespaceOf(counts.elements.at(i).string);
                    if (!nsp)
                        continue;
                    m_namespaces.insert(*nsp);
                    const int servers = int(counts.elements.at(i + 1).integer);
                    Q_EMIT serverCount(*nsp, servers);
                    // Servers that do not announce themselves are asked for their sockets.
                    int switchboard = 0;
                    for (auto node = m_nodeNamespaces.cbegin(); node != m_nodeNamespaces.cend();
                         ++node)
                        if (node->contains(*nsp) &&
                            now - m_nodeSeen.value(node.key()) <= cluster::PresenceTtlMs)
                            ++switchboard; // a node killed without a goodbye stops counting

                    if (servers > switchboard &&
                        now - m_lastForeignFetch.value(*nsp) >= ForeignFetchMs)
                        fetchForeign(*nsp);
                }
            });
        });
}

void ClusterWatcher::refreshSockets()
{
    if (m_state != State::Connected)
        return;
    m_listRequestId = randomToken(8);
    m_commands->command(
        {QByteArrayLiteral("PUBLISH"), m_channels.control(),
         cluster::encodeJson({{QStringLiteral("type"), QStringLiteral("list-sockets")},
                              {QStringLiteral("requestId"), m_listRequestId}})},
        {});
    // Foreign servers are asked as the server counts come in (refreshServerCounts).
    m_lastForeignFetch.clear();
}

void ClusterWatcher::fetchForeign(const QString &nsp)
{
    const QString requestId = randomToken(6);
    m_lastForeignFetch.insert(nsp, QDateTime::currentMSecsSinceEpoch());
    m_fetchRequests.insert(requestId, nsp);
    publishRequest(nsp, {{QStringLiteral("uid"), m_uid},
                         {QStringLiteral("requestId"), requestId},
                         {QStringLiteral("type"), int(RequestType::RemoteFetch)},
                         {QStringLiteral("opts"), targetOptions({}, {})}});
    QTimer::singleShot(10000, this, [this, requestId] { m_fetchRequests.remove(requestId); });
}

QVariantMap ClusterWatcher::targetOptions(const QStringList &rooms, const QStringList &except)
{
    return {{QStringLiteral("rooms"), rooms}, {QStringLiteral("except"), except}};
}

void ClusterWatcher::publishRequest(const QString &nsp, const QVariantMap &request, bool msgpack)
{
    if (!m_commands)
        return;
    m_commands->command({QByteArrayLiteral("PUBLISH"), m_channels.request(nsp),
                         msgpack ? msgpack::encode(request) : cluster::encodeJson(request)},
                        {});
}

void ClusterWatcher::inject(const QString &nsp, const QStringList &rooms, const QStringList &except,
                            const QString &event, const QVariantList &args)
{
    if (!m_commands)
        return;
    cluster::BroadcastMessage message;
    message.uid = m_uid;
    message.nsp = nsp;
    message.data = QVariantList{event} + args;
    message.rooms = rooms;
    message.except = except;
    const QByteArray channel = rooms.size() == 1 ? m_channels.broadcastRoom(nsp, rooms.first())
                                                 : m_channels.broadcast(nsp);
    m_commands->command({QByteArrayLiteral("PUBLISH"), channel, cluster::encodeBroadcast(message)},
                        {});
}

void ClusterWatcher::injectWithAck(const QString &nsp, const QStringList &rooms,
                                   const QStringList &except, const QString &event,
                                   const QVariantList &args, int timeoutMs, AckReplies done)
{
    if (!m_commands || !m_commands->isConnected()) {
        done(QStringLiteral("not connected to Redis"), 0, {});
        return;
    }
    const QString requestId = randomToken(6);
    PendingAck pending;
    pending.done = std::move(done);
    m_acks.insert(requestId, std::move(pending));
    cluster::BroadcastMessage message;
    message.nsp = nsp;
    message.data = QVariantList{event} + args;
    message.id = 0;
    message.rooms = rooms;
    message.except = except;
    message.flags = {{QStringLiteral("timeout"), timeoutMs}};
    m_commands->command(
        {QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("NUMSUB"), m_channels.request(nsp)},
        [this, requestId](const redis::Reply &reply) {
            auto it = m_acks.find(requestId);
            if (it == m_acks.end())
                return;
            it->expectedServers =
                reply.elements.size() == 2 ? int(reply.elements.at(1).integer) : 0;
            checkAck(requestId);
        });
    publishRequest(nsp,
                   {{QStringLiteral("uid"), m_uid},
                    {QStringLiteral("requestId"), requestId},
                    {QStringLiteral("type"), int(RequestType::Broadcast)},
                    {QStringLiteral("packet"), cluster::packetToWire(message)},
                    {QStringLiteral("opts"), cluster::optionsToWire(message)}},
                   true);
    QTimer::singleShot(timeoutMs, this, [this, requestId] {
        finishAck(requestId, QStringLiteral("operation has timed out"));
    });
}

void ClusterWatcher::checkAck(const QString &requestId)
{
    const auto it = m_acks.constFind(requestId);
    if (it == m_acks.cend())
        return;
    if (it->expectedServers >= 0 && it->countedServers >= it->expectedServers &&
        it->replies.size() >= it->clients)
        finishAck(requestId, {});
}

void ClusterWatcher::finishAck(const QString &requestId, const QString &error)
{
    PendingAck pending = m_acks.take(requestId);
    if (!pending.done)
        return;
    pending.done(error, pending.clients, pending.replies);
}

void ClusterWatcher::socketsJoin(const QString &nsp, const QStringList &targets,
                                 const QStringList &rooms)
{
    if (targets.isEmpty())
        return; // no targets would mean every socket of the namespace
    publishRequest(nsp, {{QStringLiteral("uid"), m_uid},
                         {QStringLiteral("type"), int(RequestType::RemoteJoin)},
                         {QStringLiteral("opts"), targetOptions(targets, {})},
                         {QStringLiteral("rooms"), rooms}});
}

void ClusterWatcher::socketsLeave(const QString &nsp, const QStringList &targets,
                                  const QStringList &rooms)
{
    if (targets.isEmpty())
        return;
    publishRequest(nsp, {{QStringLiteral("uid"), m_uid},
                         {QStringLiteral("type"), int(RequestType::RemoteLeave)},
                         {QStringLiteral("opts"), targetOptions(targets, {})},
                         {QStringLiteral("rooms"), rooms}});
}

void ClusterWatcher::disconnectSockets(const QString &nsp, const QStringList &targets, bool close)
{
    if (targets.isEmpty())
        return;
    publishRequest(nsp, {{QStringLiteral("uid"), m_uid},
                         {QStringLiteral("type"), int(RequestType::RemoteDisconnect)},
                         {QStringLiteral("opts"), targetOptions(targets, {})},
                         {QStringLiteral("close"), close}});
}

void ClusterWatcher::acceptPresence(const cluster::NodePresence &record)
{
    m_nodeSeen.insert(record.uid, QDateTime::currentMSecsSinceEpoch());
    if (record.leaving)
        m_nodeNamespaces.remove(record.uid);
    else
        m_nodeNamespaces.insert(
            record.uid, QSet<QString>(record.connections.keyBegin(), record.connections.keyEnd()));
    Q_EMIT presence(record);
}

void ClusterWatcher::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    ++m_messagesSeen;
    if (channel == m_channels.presence()) {
        if (auto record = cluster::decodePresence(payload))
            acceptPresence(*record);
        return;
    }
    if (channel == m_channels.socketEvents()) {
        if (auto batch = cluster::decodeSocketEvents(payload))
            Q_EMIT socketEvents(batch->uid, batch->events);
        return;
    }
}

void ClusterWatcher::onPatternMessage(const QByteArray &pattern, const QByteArray &channel,
                                      const QByteArray &payload)
{
    ++m_messagesSeen;
    const QByteArray key = m_channels.key().toUtf8();
    if (pattern == key + "-switchboard#response#*") {
        if (auto page = cluster::decodeSocketListPage(payload);
            page && page->requestId == m_listRequestId)
            Q_EMIT socketList(*page);
        return;
    }
    if (pattern == key + "#*")
        onBroadcast(channel, payload);
    else if (pattern == key + "-request#*")
        onRequestOrResponse(channel, payload, true);
    else if (pattern == key + "-response#*")
        onRequestOrResponse(channel, payload, false);
}

void ClusterWatcher::onBroadcast(const QByteArray &channel, const QByteArray &payload)
{
    Decoded<cluster::BroadcastMessage> message = cluster::decodeBroadcast(payload);
    if (!message) {
        qCDebug(lcCluster) << "undecodable broadcast on" << channel << message.error();
        return;
    }
    TrafficRecord record;
    record.time = QDateTime::currentMSecsSinceEpoch();
    record.origin = message->uid;
    record.kind = QStringLiteral("broadcast");
    record.nsp = message->nsp;
    record.rooms = message->rooms;
    record.except = message->except;
    record.event = message->data.value(0).toString();
    record.preview = preview(message->data.mid(1));
    record.size = int(payload.size());
    if (!message->uid.isEmpty())
        Q_EMIT uidSeen(message->uid, message->nsp);
    Q_EMIT traffic(record);
}

void ClusterWatcher::onRequestOrResponse(const QByteArray &channel, const QByteArray &payload,
                                         bool request)
{
    Decoded<QVariantMap> decoded = cluster::decodeRequest(payload);
    if (!decoded)
        return;
    const QVariantMap &map = *decoded;
    const QString nsp = m_channels.namespaceOf(channel).value_or(QString());
    const QString requestId = map.value(QStringLiteral("requestId")).toString();
    int type = map.value(QStringLiteral("type"), -1).toInt();
    if (!request && type < 0 && m_fetchRequests.contains(requestId))
        type = int(RequestType::RemoteFetch); // the adapter's answers to it carry no type

    if (!request) {
        if (const auto nspOf = m_fetchRequests.constFind(requestId);
            nspOf != m_fetchRequests.cend()) {
            QList<ForeignSocket> sockets;
            for (const QVariant &wire : map.value(QStringLiteral("sockets")).toList())
                sockets.append(foreignFromWire(*nspOf, wire.toMap()));
            Q_EMIT foreignSockets(*nspOf, sockets);
        }
        if (auto it = m_acks.find(requestId); it != m_acks.end()) {
            if (type == int(RequestType::BroadcastClientCount)) {
                it->clients += map.value(QStringLiteral("clientCount")).toInt();
                ++it->countedServers;
            } else if (type == int(RequestType::BroadcastAck)) {
                it->replies.append(map.value(QStringLiteral("packet")));
            }
            checkAck(requestId);
        }
    }

    TrafficRecord record;
    record.time = QDateTime::currentMSecsSinceEpoch();
    record.origin = map.value(QStringLiteral("uid")).toString();
    record.kind = request ? kindName(type) : tr("%1 response").arg(kindName(type));
    record.nsp = nsp;
    const QVariantMap opts = map.value(QStringLiteral("opts")).toMap();
    record.rooms = strings(opts.value(QStringLiteral("rooms")));
    record.except = strings(opts.value(QStringLiteral("except")));
    if (type == int(RequestType::Broadcast)) {
        const QVariantList data =
            map.value(QStringLiteral("packet")).toMap().value(QStringLiteral("data")).toList();
        record.event = data.value(0).toString();
        record.preview = preview(data.mid(1));
    } else if (type == int(RequestType::ServerSideEmit) && request) {
        const QVariantList data = map.value(QStringLiteral("data")).toList();
        record.event = data.value(0).toString();
        record.preview = preview(data.mid(1));
    } else if (type == int(RequestType::RemoteJoin) || type == int(RequestType::RemoteLeave)) {
        record.preview = preview(map.value(QStringLiteral("rooms")));
    } else {
        QVariantMap rest = map;
        rest.remove(QStringLiteral("uid"));
        rest.remove(QStringLiteral("type"));
        rest.remove(QStringLiteral("opts"));
        record.preview = preview(rest);
    }
    record.size = int(payload.size());
    if (request && !record.origin.isEmpty() && !nsp.isEmpty())
        Q_EMIT uidSeen(record.origin, nsp);
    Q_EMIT traffic(record);
}

} // namespace switchboard::console
