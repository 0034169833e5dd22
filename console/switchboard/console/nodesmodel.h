// One row per server of the cluster: Switchboard nodes from their presence records, and
// foreign socket.io servers (Node.js) from the uids they use and PUBSUB NUMSUB counts.
#pragma once

#include "switchboard/presence.h"

#include "switchboard/console/tablemodel.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QTimer>

namespace switchboard::console {

class NodesModel : public TableModel
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
        LastSeen,
        Status,
        ColumnCount
    };
    enum class Health
    {
        Live,
        Stale,
        Gone
    };
    Q_ENUM(Health)

    static constexpr qint64 StaleAfterMs = 3000;
    static constexpr qint64 GoneAfterMs = cluster::PresenceTtlMs; // when its key expires
    static constexpr int HistoryPoints = 600;                     // ten minutes, one point a second

    struct Sample
    {
        qint64 time = 0;
        double messagesPerSec = 0;
        int connections = 0;
    };

    struct Row
    {
        QString uid;
        bool foreign = false;
        int unidentified = 0; // for a placeholder row: servers counted but never heard of
        cluster::NodePresence presence;
        QSet<QString> namespaces;
        qint64 lastSeen = 0; // ms since the epoch
        Health health = Health::Live;
        QList<Sample> history;
    };

    explicit NodesModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    const Row *row(int index) const;
    const Row *find(const QString &uid) const;
    QString nameOf(const QString &uid) const; // a uid's display name ("" unknown)
    QStringList switchboardUids() const;
    int liveCount() const;

    void setOwnUid(const QString &uid) { m_ownUid = uid; }
    void clear();

public Q_SLOTS:
    void onPresence(const switchboard::cluster::NodePresence &record);
    void onUidSeen(const QString &uid, const QString &nsp);
    void onServerCount(const QString &nsp, int servers);

Q_SIGNALS:
    void nodeGone(const QString &uid);
    void historyChanged();

protected:
    int count() const override { return int(m_rows.size()); }

private:
    void updateHealth();
    int indexOf(const QString &uid) const { return m_index.value(uid, -1); }
    int ensureRow(const QString &uid, bool foreign);
    void removeRow(int index);
    void rowChanged(int index);

    QList<Row> m_rows;
    QHash<QString, int> m_index;
    QString m_ownUid;
    QTimer m_tick;
};

QString formatBytes(double bytes);
QString formatDuration(qint64 ms);

} // namespace switchboard::console
