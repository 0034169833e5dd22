#include "switchboard/console/nodesmodel.h"

#include "switchboard/console/clusterwatcher.h"

#include <QBrush>
#include <QColor>
#include <QFont>

namespace switchboard::console {

QString formatBytes(double bytes)
{
    static constexpr const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    return QStringLiteral("%1 %2")
        .arg(bytes, 0, 'f', unit == 0 ? 0 : 1)
        .arg(QLatin1String(units[unit]));
}

QString formatDuration(qint64 ms)
{
    qint64 s = ms / 1000;
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    if (s < 86400)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600);
}

namespace {
QStringList nodesModelTitles()
{
    return {
        NodesModel::tr("Name"),         NodesModel::tr("Uid"),         NodesModel::tr("Kind"),
        NodesModel::tr("Address"),      NodesModel::tr("Uptime"),      NodesModel::tr("Sockets"),
        NodesModel::tr("Rooms"),        NodesModel::tr("Msgs in/s"),   NodesModel::tr("Msgs out/s"),
        NodesModel::tr("Bytes in/s"),   NodesModel::tr("Bytes out/s"), NodesModel::tr("Memory"),
        NodesModel::tr("Redis RTT"),    NodesModel::tr("Queue"),       NodesModel::tr("Consumed"),
        NodesModel::tr("Dead letters"), NodesModel::tr("Last seen"),   NodesModel::tr("Status")};
}
} // namespace

NodesModel::NodesModel(QObject *parent) : KeyedTableModel(nodesModelTitles(), parent)
{
    m_tick.setInterval(500);
    connect(&m_tick, &QTimer::timeout, this, &NodesModel::updateHealth);
    m_tick.start();
}

QVariant NodesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !row(index.row()))
        return {};
    const Row &r = *row(index.row());
    const cluster::NodePresence &p = r.presence;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (role == Qt::ForegroundRole && r.health != Health::Live)
        return QBrush(r.health == Health::Gone ? QColor(150, 150, 150) : QColor(180, 110, 0));
    if (role == Qt::UserRole)
        return r.uid;
    const bool sortRole = role == Qt::UserRole + 1;
    if (role != Qt::DisplayRole && !sortRole && role != Qt::ToolTipRole)
        return {};
    int connections = 0;
    for (int n : p.connections)
        connections += n;
    switch (Column(index.column())) {
    case Name:
        if (r.unidentified)
            return tr("%n unidentified server(s)", nullptr, r.unidentified);
        return r.foreign ? tr("socket.io server") : p.name;
    case Uid:
        return r.unidentified ? QString() : r.uid;
    case Kind:
        return r.foreign
                   ? tr("foreign (%1)")
                         .arg(QStringList(r.namespaces.cbegin(), r.namespaces.cend()).join(u", "))
                   : tr("Switchboard %1").arg(p.version);
    case Address:
        return p.address;
    case Uptime: {
        if (r.foreign || p.startedAt == 0)
            return {};
        // A gone node's uptime is what its last record said; both times are its own clock's.
        const qint64 uptime = (r.health != Health::Gone ? now
                               : p.time > 0             ? p.time
                                                        : r.lastSeen) -
                              p.startedAt;
        return sortRole ? QVariant(uptime) : QVariant(formatDuration(uptime));
    }
    case Connections: {
        if (!r.foreign)
            return connections;
        if (r.unidentified)
            return {};
        bool shared = false;
        const int sockets = foreignSockets(r, &shared);
        if (sortRole || !shared)
            return sockets;
        return role == Qt::ToolTipRole ? tr("%n socket(s) of foreign servers in its namespaces; "
                                            "answers to REMOTE_FETCH "
                                            "do not say which server has which",
                                            nullptr, sockets)
                                       : QVariant(QStringLiteral("≤ %1").arg(sockets));
    }
    case Rooms:
        return r.foreign ? QVariant() : QVariant(p.rooms);
    case MessagesIn:
        return r.foreign ? QVariant() : QVariant(qRound(p.messagesInPerSec));
    case MessagesOut:
        return r.foreign ? QVariant() : QVariant(qRound(p.messagesOutPerSec));
    case BytesIn:
        return r.foreign  ? QVariant()
               : sortRole ? QVariant(p.bytesInPerSec)
                          : QVariant(formatBytes(p.bytesInPerSec));
    case BytesOut:
        return r.foreign  ? QVariant()
               : sortRole ? QVariant(p.bytesOutPerSec)
                          : QVariant(formatBytes(p.bytesOutPerSec));
    case Memory:
        return r.foreign  ? QVariant()
               : sortRole ? QVariant(p.rssBytes)
                          : QVariant(formatBytes(double(p.rssBytes)));
    case RedisRtt:
        return r.foreign || p.redisRoundTripMs < 0
                   ? QVariant()
                   : QVariant(QStringLiteral("%1 ms").arg(p.redisRoundTripMs));
    case QueueDepth:
        if (!p.queue || p.queue->depth < 0)
            return {};
        if (sortRole)
            return p.queue->depth;
        if (role == Qt::ToolTipRole)
            return tr("%n job(s) waiting in the Redis list \"%1\"%2", nullptr,
                      int(qMin<qint64>(p.queue->depth, INT_MAX)))
                .arg(p.queue->key,
                     p.queue->consuming ? tr("; this node consumes it now") : QString());
        // The node holding the consumer lease: the one the jobs flow through.
        return p.queue->consuming ? QStringLiteral("%1 ▶").arg(p.queue->depth)
                                  : QString::number(p.queue->depth);
    case QueueConsumed:
        return p.queue ? QVariant(p.queue->consumed) : QVariant();
    case QueueDead:
        return p.queue ? QVariant(p.queue->deadLettered) : QVariant();
    case LastSeen:
        if (r.lastSeen == 0)
            return {};
        return sortRole ? QVariant(r.lastSeen)
                        : QVariant(QDateTime::fromMSecsSinceEpoch(r.lastSeen)
                                       .toString(QStringLiteral("HH:mm:ss")));
    case Status:
        switch (r.health) {
        case Health::Live:
            return tr("live");
        case Health::Stale:
            return tr("stale");
        case Health::Gone:
            return p.leaving ? tr("gone (left)") : tr("gone");
        }
        return {};
    case ColumnCount:
        break;
    }
    return {};
}

int NodesModel::foreignSockets(const Row &r, bool *shared) const
{
    int sockets = 0;
    for (const QString &nsp : r.namespaces) {
        sockets += m_foreignCounts.value(nsp);
        for (int i = 0; i < rowCount() && !*shared; ++i) {
            const Row *other = row(i);
            *shared = other != &r && other->foreign && other->health != Health::Gone &&
                      other->namespaces.contains(nsp);
        }
    }
    return sockets;
}

void NodesModel::onForeignCount(const QString &nsp, int sockets)
{
    if (sockets == 0)
        m_foreignCounts.remove(nsp);
    else
        m_foreignCounts.insert(nsp, sockets);
    for (int i = 0; i < rowCount(); ++i)
        if (row(i)->foreign && row(i)->namespaces.contains(nsp))
            rowChanged(i, Connections, Connections);
}

QString NodesModel::nameOf(const QString &uid) const
{
    if (!uid.isEmpty() && uid == m_ownUid)
        return tr("this console");
    const Row *r = find(uid);
    if (!r)
        return uid == u"emitter" ? tr("emitter") : QString();
    return r->foreign ? tr("socket.io %1").arg(uid) : r->presence.name;
}

QStringList NodesModel::switchboardUids() const
{
    QStringList out;
    for (int i = 0; i < rowCount(); ++i)
        if (!row(i)->foreign && !row(i)->unidentified)
            out << row(i)->uid;
    return out;
}

int NodesModel::liveCount() const
{
    int n = 0;
    for (int i = 0; i < rowCount(); ++i)
        n += row(i)->health == Health::Live && !row(i)->unidentified ? 1 : 0;
    return n;
}

void NodesModel::clear()
{
    removeAll();
    m_foreignCounts.clear();
}

int NodesModel::ensureRow(const QString &uid, bool foreign)
{
    if (const int i = indexOf(uid); i >= 0)
        return i;
    Row r;
    r.uid = uid;
    r.foreign = foreign;
    return append(uid, std::move(r));
}

void NodesModel::onPresence(const cluster::NodePresence &record)
{
    const int i = ensureRow(record.uid, false);
    Row &r = at(i);
    r.foreign = false;
    r.presence = record;
    r.namespaces = QSet<QString>(record.connections.keyBegin(), record.connections.keyEnd());
    r.lastSeen = QDateTime::currentMSecsSinceEpoch();
    r.health = record.leaving ? Health::Gone : Health::Live;
    if (!record.leaving) {
        int connections = 0;
        for (int n : record.connections)
            connections += n;
        r.history.append(
            {r.lastSeen, record.messagesInPerSec + record.messagesOutPerSec, connections});
        if (r.history.size() > HistoryPoints)
            r.history.removeFirst();
        Q_EMIT historyChanged();
    } else {
        Q_EMIT nodeGone(record.uid);
    }
    rowChanged(i);
}

void NodesModel::onUidSeen(const QString &uid, const QString &nsp)
{
    if (uid == m_ownUid || uid == u"emitter" || uid.isEmpty() ||
        uid.startsWith(ClusterWatcher::ConsoleUidPrefix))
        return;
    if (const Row *known = find(uid); known && !known->foreign)
        return;
    const int i = ensureRow(uid, true);
    Row &r = at(i);
    r.namespaces.insert(nsp);
    r.lastSeen = QDateTime::currentMSecsSinceEpoch();
    r.health = Health::Live;
    rowChanged(i);
}

void NodesModel::onServerCount(const QString &nsp, int servers)
{
    // Servers on `nsp` that neither announce themselves nor ever published.
    int known = 0;
    for (int i = 0; i < rowCount(); ++i)
        if (const Row *r = row(i);
            !r->unidentified && r->health != Health::Gone && r->namespaces.contains(nsp))
            ++known;
    const QString placeholder = QStringLiteral("?%1").arg(nsp);
    const int missing = servers - known;
    if (missing <= 0) {
        removeKey(placeholder);
        return;
    }
    const int i = ensureRow(placeholder, true);
    Row &r = at(i);
    r.unidentified = missing;
    r.namespaces = {nsp};
    r.lastSeen = QDateTime::currentMSecsSinceEpoch();
    r.health = Health::Live;
    rowChanged(i);
}

void NodesModel::updateHealth()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < rowCount(); ++i) {
        Row &r = at(i);
        Health health = r.health;
        // Foreign servers only show up when they publish: they never go stale by silence.
        if (!r.foreign && r.health != Health::Gone) {
            const qint64 age = now - r.lastSeen;
            health = age > GoneAfterMs    ? Health::Gone
                     : age > StaleAfterMs ? Health::Stale
                                          : Health::Live;
        }
        if (health != r.health) {
            r.health = health;
            if (health == Health::Gone)
                Q_EMIT nodeGone(r.uid);
        }
        Q_EMIT dataChanged(index(i, Uptime), index(i, Uptime));
        Q_EMIT dataChanged(index(i, Status), index(i, Status));
        if (r.health != Health::Live)
            rowChanged(i);
    }
}

} // namespace switchboard::console
