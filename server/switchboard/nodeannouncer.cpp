#include "switchboard/nodeannouncer.h"

#include "switchboard/cluster.h"
#include "switchboard/json.h"
#include "switchboard/logging.h"
#include "switchboard/namespace.h"
#include "switchboard/server.h"

#include <QCoreApplication>
#include <QFile>

#include <unistd.h>

namespace switchboard {

namespace {

qint64 residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toLongLong() * sysconf(_SC_PAGESIZE) : 0;
}

} // namespace

NodeAnnouncer::NodeAnnouncer(Server *server, Cluster *cluster, QString name, QString address,
                             QObject *parent)
    : QObject(parent), m_server(server), m_cluster(cluster), m_name(std::move(name)),
      m_address(std::move(address))
{
    m_announceTimer.setInterval(cluster::PresenceIntervalMs);
    connect(&m_announceTimer, &QTimer::timeout, this, &NodeAnnouncer::announce);
    m_flushTimer.setInterval(EventFlushMs);
    m_flushTimer.setSingleShot(true);
    connect(&m_flushTimer, &QTimer::timeout, this, &NodeAnnouncer::flushEvents);
    for (Namespace *nsp : server->namespaces())
        watch(nsp);
    connect(server, &Server::namespaceCreated, this, &NodeAnnouncer::watch);
    // Announce as soon as Redis is there, not a second later.
    connect(cluster, &Cluster::connectionChanged, this, [this](bool up) {
        if (up)
            announce();
    });
}

void NodeAnnouncer::start()
{
    m_cluster->listen(m_cluster->channels().control(),
                      [this](const QByteArray &payload) { onControl(payload); });
    m_sinceLast.start();
    m_announceTimer.start();
    announce();
}

void NodeAnnouncer::watch(Namespace *nsp)
{
    connect(nsp, &Namespace::connection, this, [this, nsp](Socket *socket) {
        cluster::SocketEvent event;
        event.kind = cluster::SocketEvent::Kind::Connect;
        event.nsp = nsp->name();
        event.id = socket->id();
        event.socket = record(socket);
        queue(std::move(event));
    });
    connect(nsp, &Namespace::disconnection, this,
            [this, nsp](Socket *socket, const QString &reason) {
                cluster::SocketEvent event;
                event.kind = cluster::SocketEvent::Kind::Disconnect;
                event.nsp = nsp->name();
                event.id = socket->id();
                event.reason = reason;
                queue(std::move(event));
            });
    // The adapter may be replaced (Server::setAdapterFactory): follow the namespace's own.
    auto follow = [this, nsp](Adapter *adapter) {
        for (auto kind : {cluster::SocketEvent::Kind::Join, cluster::SocketEvent::Kind::Leave}) {
            auto handler = [this, nsp, kind](const QString &id, const QString &room) {
                // Only sockets that are announced: a join during CONNECT is in the record.
                if (!nsp->socket(id))
                    return;
                cluster::SocketEvent event;
                event.kind = kind;
                event.nsp = nsp->name();
                event.id = id;
                event.room = room;
                queue(std::move(event));
            };
            if (kind == cluster::SocketEvent::Kind::Join)
                connect(adapter, &Adapter::joined, this, handler);
            else
                connect(adapter, &Adapter::left, this, handler);
        }
    };
    follow(nsp->adapter());
    connect(nsp, &Namespace::adapterChanged, this, follow);
}

void NodeAnnouncer::queue(cluster::SocketEvent event)
{
    m_events.append(std::move(event));
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void NodeAnnouncer::flushEvents()
{
    if (m_events.isEmpty())
        return;
    m_cluster->publish(m_cluster->channels().socketEvents(),
                       cluster::encodeSocketEvents(m_cluster->uid(), m_events));
    m_events.clear();
}

cluster::SocketRecord NodeAnnouncer::record(const Socket *socket)
{
    cluster::SocketRecord r;
    r.id = socket->id();
    r.nsp = socket->nsp()->name();
    const QSet<QString> rooms = socket->rooms();
    for (const QString &room : rooms)
        if (room != socket->id())
            r.rooms << room;
    r.rooms.sort();
    const Handshake &handshake = socket->handshake();
    r.address = handshake.address;
    r.connectedAt = handshake.time.toMSecsSinceEpoch();
    r.url = handshake.url.toString(QUrl::RemoveQuery);
    for (const auto &[name, value] : handshake.headers)
        if (name == "user-agent")
            r.userAgent = QString::fromUtf8(value);
    // Names only: an operator sees which credentials came, never their values.
    r.authKeys = handshake.auth.keys();
    return r;
}

cluster::NodePresence NodeAnnouncer::presence()
{
    cluster::NodePresence p;
    p.uid = m_cluster->uid();
    p.name = m_name;
    p.address = m_address;
    p.version = QStringLiteral(SWITCHBOARD_VERSION);
    p.pid = QCoreApplication::applicationPid();
    p.startedAt = m_server->startTime().toMSecsSinceEpoch();
    p.time = QDateTime::currentMSecsSinceEpoch();
    for (Namespace *nsp : m_server->namespaces()) {
        p.connections.insert(nsp->name(), int(nsp->sockets().size()));
        p.rooms += nsp->adapter()->roomCount(); // sockets' own rooms are not rooms anyone made
    }
    p.clients = m_server->clientCount();
    const TrafficCounters &t = m_server->traffic();
    const double seconds = std::max<qint64>(m_sinceLast.restart(), 1) / 1000.0;
    p.messagesInPerSec = double(t.messagesIn - m_lastMessagesIn) / seconds;
    p.messagesOutPerSec = double(t.messagesOut - m_lastMessagesOut) / seconds;
    p.bytesInPerSec = double(t.bytesIn - m_lastBytesIn) / seconds;
    p.bytesOutPerSec = double(t.bytesOut - m_lastBytesOut) / seconds;
    m_lastMessagesIn = t.messagesIn;
    m_lastMessagesOut = t.messagesOut;
    m_lastBytesIn = t.bytesIn;
    m_lastBytesOut = t.bytesOut;
    p.rssBytes = residentBytes();
    p.redisRoundTripMs = m_cluster->roundTripMs();
    p.publishFailures = m_cluster->publishFailures();
    p.subscriptionGaps = m_cluster->subscriptionGaps();
    if (m_decorator)
        m_decorator(p);
    return p;
}

void NodeAnnouncer::announce()
{
    // Not started, or Redis not there yet: connectionChanged() announces once it is.
    if (!m_sinceLast.isValid() || !m_cluster->isConnected())
        return;
    const QByteArray record = cluster::encodePresence(presence());
    m_cluster->command({QByteArrayLiteral("SET"),
                        m_cluster->channels().presenceKey(m_cluster->uid()), record,
                        QByteArrayLiteral("PX"), QByteArray::number(cluster::PresenceTtlMs)},
                       {});
    m_cluster->publish(m_cluster->channels().presence(), record);
}

void NodeAnnouncer::leave()
{
    m_announceTimer.stop();
    flushEvents();
    cluster::NodePresence p = presence();
    p.leaving = true;
    m_cluster->publish(m_cluster->channels().presence(), cluster::encodePresence(p));
    m_cluster->command(
        {QByteArrayLiteral("DEL"), m_cluster->channels().presenceKey(m_cluster->uid())}, {});
}

void NodeAnnouncer::onControl(const QByteArray &payload)
{
    Decoded<QVariant> request = json::parse(payload);
    if (!request || request->typeId() != QMetaType::QVariantMap) {
        qCWarning(lcCluster) << "ignoring malformed control request";
        return;
    }
    const QVariantMap map = request->toMap();
    const QString type = map.value(QStringLiteral("type")).toString();
    const QString requestId = map.value(QStringLiteral("requestId")).toString();
    if (type != u"list-sockets" || requestId.isEmpty() || requestId.size() > 64) {
        qCDebug(lcCluster) << "ignoring control request" << type;
        return;
    }
    const QString onlyNsp = map.value(QStringLiteral("nsp")).toString();
    qCDebug(lcCluster) << "listing sockets for request" << requestId;
    cluster::SocketListPage page;
    page.requestId = requestId;
    page.uid = m_cluster->uid();
    page.name = m_name;
    const QByteArray channel = m_cluster->channels().controlReply(requestId);
    for (Namespace *nsp : m_server->namespaces()) {
        if (!onlyNsp.isEmpty() && nsp->name() != onlyNsp)
            continue;
        for (const Socket *socket : nsp->sockets()) {
            page.sockets.append(record(socket));
            if (page.sockets.size() == SocketsPerPage) {
                page.last = false;
                m_cluster->publish(channel, cluster::encodeSocketListPage(page));
                page.sockets.clear();
                ++page.seq;
            }
        }
    }
    page.last = true;
    m_cluster->publish(channel, cluster::encodeSocketListPage(page));
}

} // namespace switchboard
