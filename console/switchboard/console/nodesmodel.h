// One row per server of the cluster: Switchboard nodes from their presence records, and
// foreign socket.io servers (Node.js) from the uids they use and PUBSUB NUMSUB counts.
#pragma once

#include "switchboard/presence.h"

#include "switchboard/console/tablemodel.h"

#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QTimer>

namespace switchboard::console {

enum class NodeHealth
{
    Live,
    Stale,
    Gone
};

struct NodeSample
{
    qint64 time = 0;
    double messagesPerSec = 0;
    int connections = 0;
};

struct NodeRow
{
    QString uid;
    bool foreign = false;
    int unidentified = 0; // for a placeholder row: servers counted but never heard of
    cluster::NodePresence presence;
    QSet<QString> namespaces;
    qint64 lastSeen = 0; // ms since the epoch
    NodeHealth health = NodeHealth::Live;
    QList<NodeSample> history;
};

class NodesModel : public KeyedTableModel<NodeRow>
{
    Q_OBJECT
public:
    enum Column
    {
        Name,
        Uid,
        Kind,
        Address,
        Uptime,
        Connections,
        Rooms,
        MessagesIn,
        MessagesOut,
        BytesIn,
        BytesOut,
        Memory,
        RedisRtt,
        QueueDepth,    // --queue: LLEN of the list (the consuming node's cell is marked)
        QueueConsumed, // jobs the node published from the queue
        QueueDead,     // jobs it moved to <key>:dead
        LastSeen,
        Status,
        ColumnCount
    };
    using Health = NodeHealth;
    using Sample = NodeSample;
    using Row = NodeRow;

    static constexpr qint64 StaleAfterMs = 3000;
    static constexpr qint64 GoneAfterMs = cluster::PresenceTtlMs; // when its key expires
    static constexpr int HistoryPoints = 600;                     // ten minutes, one point a second

    explicit NodesModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    const Row *find(const QString &uid) const { return rowOf(uid); }
    QString nameOf(const QString &uid) const; // a uid's display name ("" unknown)
    QStringList switchboardUids() const;
    int liveCount() const;

    void setOwnUid(const QString &uid) { m_ownUid = uid; }
    void clear();

public Q_SLOTS:
    void onPresence(const switchboard::cluster::NodePresence &record);
    void onUidSeen(const QString &uid, const QString &nsp);
    void onServerCount(const QString &nsp, int servers);
    // Foreign sockets known in `nsp` (from REMOTE_FETCH answers), for the foreign servers' rows.
    void onForeignCount(const QString &nsp, int sockets);

Q_SIGNALS:
    void nodeGone(const QString &uid);
    void historyChanged();

private:
    void updateHealth();
    int ensureRow(const QString &uid, bool foreign);
    // The foreign sockets of a foreign server's row; `shared` when another server answers for
    // one of its namespaces too (answers do not say who sent them).
    int foreignSockets(const Row &row, bool *shared) const;

    QHash<QString, int> m_foreignCounts; // nsp -> foreign sockets
    QString m_ownUid;
    QTimer m_tick;
};

QString formatBytes(double bytes);
QString formatDuration(qint64 ms);

} // namespace switchboard::console
