// Every connected socket of the cluster, kept up to date incrementally from socket-list pages
// and socket events of Switchboard nodes and from REMOTE_FETCH answers of foreign servers;
// and the rooms those sockets are in, as a second model fed by the first.
#pragma once

#include "switchboard/console/clusterwatcher.h"
#include "switchboard/presence.h"

#include "switchboard/console/tablemodel.h"

#include <QHash>
#include <QItemSelectionModel>
#include <QMap>
#include <QSet>
#include <QSortFilterProxyModel>

namespace switchboard::console {

class NodesModel;

// A socket entering or leaving a room (connects and disconnects included).
struct Membership
{
    QString nsp;
    QString room;
    QString id;
    bool added = false;
};

struct SocketRow
{
    cluster::SocketRecord socket;
    QString nodeUid;   // "" for a socket of a foreign server
    qint64 seenAt = 0; // foreign sockets: when a REMOTE_FETCH answer last listed it
};

class SocketsModel : public KeyedTableModel<SocketRow>
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

    using Row = SocketRow;
    // A foreign socket no answer listed for this long is gone.
    static constexpr qint64 ForeignExpiryMs = 12000;

    explicit SocketsModel(const NodesModel *nodes, QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    const Row *find(const QString &nsp, const QString &id) const { return rowOf(key(nsp, id)); }
    // Sockets of foreign servers known in `nsp`.
    int foreignCount(const QString &nsp) const { return m_foreign.value(nsp).size(); }
    void clear();

public Q_SLOTS:
    void onSocketList(const switchboard::cluster::SocketListPage &page);
    void onSocketEvents(const QString &uid, const QList<switchboard::cluster::SocketEvent> &events);
    void onForeignSockets(const QString &nsp,
                          const QList<switchboard::console::ForeignSocket> &sockets);
    void onNodeGone(const QString &uid);

Q_SIGNALS:
    // Sockets entered or left rooms: what one update (an event batch, a listing page, an
    // answer) changed, in order, in one signal.
    void membershipsChanged(const QList<switchboard::console::Membership> &changes);
    // The number of foreign sockets known in `nsp` changed.
    void foreignCountChanged(const QString &nsp, int sockets);

private:
    static QString key(const QString &nsp, const QString &id) { return nsp + u' ' + id; }
    void upsert(const cluster::SocketRecord &socket, const QString &nodeUid);
    // Takes the socket out of its rooms now; its row goes with the others of the update
    // (finish()), so that an update removing thousands of sockets announces few removals.
    void remove(const QString &nsp, const QString &id);
    void removePending();
    void setRooms(int index, const QStringList &rooms);
    void setForeign(const Row &row, bool foreign);
    // Ends every public update: the pending removals, then the signals it collected.
    void finish();

    const NodesModel *m_nodes;
    QHash<QString, QSet<QString>> m_listing; // node uid -> keys seen in the listing under way
    QList<QString> m_removals;               // keys whose rows go at finish()
    QSet<QString> m_removing;
    QList<Membership> m_memberships;         // collected for finish()
    QHash<QString, QSet<QString>> m_foreign; // nsp -> ids of foreign sockets
    QSet<QString> m_foreignChanged;          // namespaces to announce at finish()
};

// Rooms per namespace with their member counts; members() lists one room's sockets.
struct RoomRow
{
    QString nsp;
    QString room;
    QSet<QString> members;
};

class RoomsModel : public KeyedTableModel<RoomRow>
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

    using Row = RoomRow;

    explicit RoomsModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    QStringList members(int row) const;
    void clear();

public Q_SLOTS:
    // Member counts change in one announcement over the rows concerned; emptied rooms go.
    void onMemberships(const QList<switchboard::console::Membership> &changes);
    void onMembership(const QString &nsp, const QString &room, const QString &id, bool added)
    {
        onMemberships({{nsp, room, id, added}});
    }
};

// The sockets of the rows selected in `selection`, namespace -> ids, whatever proxies lie between
// the selection and the SocketsModel: what the sockets view's actions act on.
QMap<QString, QStringList> selectedSockets(const QItemSelectionModel &selection);

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

Q_DECLARE_METATYPE(switchboard::console::Membership)
