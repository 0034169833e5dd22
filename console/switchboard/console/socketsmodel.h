// Every connected socket of the cluster, kept up to date incrementally from socket-list pages
// and socket events of Switchboard nodes and from REMOTE_FETCH answers of foreign servers;
// and the rooms those sockets are in, as a second model fed by the first.
#pragma once

#include "switchboard/console/clusterwatcher.h"
#include "switchboard/presence.h"

#include "switchboard/console/tablemodel.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QSortFilterProxyModel>

namespace switchboard::console {

class NodesModel;

class SocketsModel : public TableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Id,
        Node,
        Namespace,
        Rooms,
        Address,
        Connected,
        Auth,
        UserAgent,
        ColumnCount
    };
    static constexpr int NodeUidRole = Qt::UserRole;
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int RoomsRole = Qt::UserRole + 2;

    struct Row
    {
        cluster::SocketRecord socket;
        QString nodeUid;   // "" for a socket of a foreign server
        qint64 seenAt = 0; // foreign sockets: when a REMOTE_FETCH answer last listed it
    };
    // A foreign socket no answer listed for this long is gone.
    static constexpr qint64 ForeignExpiryMs = 12000;

    explicit SocketsModel(const NodesModel *nodes, QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    const Row *row(int index) const;
    const Row *find(const QString &nsp, const QString &id) const;
    void clear();

public Q_SLOTS:
    void onSocketList(const switchboard::cluster::SocketListPage &page);
    void onSocketEvents(const QString &uid, const QList<switchboard::cluster::SocketEvent> &events);
    void onForeignSockets(const QString &nsp,
                          const QList<switchboard::console::ForeignSocket> &sockets);
    void onNodeGone(const QString &uid);

Q_SIGNALS:
    // A socket entered or left a room (connects and disconnects included).
    void membership(const QString &nsp, const QString &room, const QString &id, bool added);

protected:
    int count() const override { return int(m_rows.size()); }

private:
    static QString key(const QString &nsp, const QString &id) { return nsp + u' ' + id; }
    void upsert(const cluster::SocketRecord &socket, const QString &nodeUid);
    void remove(const QString &nsp, const QString &id);
    void setRooms(int index, const QStringList &rooms);

    const NodesModel *m_nodes;
    QList<Row> m_rows;
    QHash<QString, int> m_index;
    QHash<QString, QSet<QString>> m_listing; // node uid -> keys seen in the listing under way
};

// Rooms per namespace with their member counts; members() lists one room's sockets.
class RoomsModel : public TableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Namespace,
        Room,
        Members,
        ColumnCount
    };

    explicit RoomsModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    QStringList members(int row) const;
    void clear();

public Q_SLOTS:
    void onMembership(const QString &nsp, const QString &room, const QString &id, bool added);

protected:
    int count() const override { return int(m_rows.size()); }

private:
    struct Row
    {
        QString nsp;
        QString room;
        QSet<QString> members;
    };
    QList<Row> m_rows;
    QHash<QString, int> m_index; // nsp + ' ' + room
};

// Filters the sockets by free text (any column) and exact node, namespace and room.
class SocketsFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setText(const QString &text);
    void setNode(const QString &uid);
    void setNamespace(const QString &nsp);
    void setRoom(const QString &room);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text, m_node, m_nsp, m_room;
};

} // namespace switchboard::console
