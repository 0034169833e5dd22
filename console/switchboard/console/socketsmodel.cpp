#include "switchboard/console/socketsmodel.h"

#include "switchboard/console/nodesmodel.h"

#include <QDateTime>

namespace switchboard::console {

namespace {
QStringList socketsModelTitles()
{
    return {SocketsModel::tr("Socket id"), SocketsModel::tr("Node"),
            SocketsModel::tr("Namespace"), SocketsModel::tr("Rooms"),
            SocketsModel::tr("Address"),   SocketsModel::tr("Connected"),
            SocketsModel::tr("Auth keys"), SocketsModel::tr("User agent")};
}
} // namespace

SocketsModel::SocketsModel(const NodesModel *nodes, QObject *parent)
    : TableModel(socketsModelTitles(), parent), m_nodes(nodes)
{}

QVariant SocketsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows.at(index.row());
    const cluster::SocketRecord &s = r.socket;
    if (role == NodeUidRole)
        return r.nodeUid;
    if (role == RoomsRole)
        return s.rooms;
    if (role != Qt::DisplayRole && role != SortRole && role != Qt::ToolTipRole)
        return {};
    switch (Column(index.column())) {
    case Id:
        return s.id;
    case Node: {
        if (r.nodeUid.isEmpty())
            return tr("foreign server");
        const QString name = m_nodes ? m_nodes->nameOf(r.nodeUid) : QString();
        return name.isEmpty() ? r.nodeUid : name;
    }
    case Namespace:
        return s.nsp;
    case Rooms:
        return s.rooms.join(u", ");
    case Address:
        return s.address;
    case Connected:
        if (s.connectedAt == 0)
            return {};
        return role == SortRole ? QVariant(s.connectedAt)
                                : QVariant(QDateTime::fromMSecsSinceEpoch(s.connectedAt)
                                               .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    case Auth:
        return s.authKeys.join(u", ");
    case UserAgent:
        return s.userAgent;
    case ColumnCount:
        break;
    }
    return {};
}

const SocketsModel::Row *SocketsModel::row(int index) const
{
    return index >= 0 && index < m_rows.size() ? &m_rows.at(index) : nullptr;
}

const SocketsModel::Row *SocketsModel::find(const QString &nsp, const QString &id) const
{
    return row(m_index.value(key(nsp, id), -1));
}

void SocketsModel::clear()
{
    for (const Row &r : std::as_const(m_rows))
        for (const QString &room : r.socket.rooms)
            Q_EMIT membership(r.socket.nsp, room, r.socket.id, false);
    beginResetModel();
    m_rows.clear();
    m_index.clear();
    m_listing.clear();
    endResetModel();
}

void SocketsModel::setRooms(int i, const QStringList &rooms)
{
    Row &r = m_rows[i];
    const QSet<QString> before(r.socket.rooms.cbegin(), r.socket.rooms.cend());
    const QSet<QString> after(rooms.cbegin(), rooms.cend());
    for (const QString &room : before - after)
        Q_EMIT membership(r.socket.nsp, room, r.socket.id, false);
    for (const QString &room : after - before)
        Q_EMIT membership(r.socket.nsp, room, r.socket.id, true);
    r.socket.rooms = rooms;
    r.socket.rooms.sort();
    Q_EMIT dataChanged(index(i, Rooms), index(i, Rooms));
}

void SocketsModel::upsert(const cluster::SocketRecord &socket, const QString &nodeUid)
{
    const QString k = key(socket.nsp, socket.id);
    if (const int i = m_index.value(k, -1); i >= 0) {
        m_rows[i].nodeUid = nodeUid;
        const QStringList rooms = socket.rooms;
        cluster::SocketRecord copy = socket;
        copy.rooms = m_rows[i].socket.rooms;
        m_rows[i].socket = copy;
        setRooms(i, rooms);
        Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
        return;
    }
    const int i = int(m_rows.size());
    beginInsertRows({}, i, i);
    Row r{socket, nodeUid, 0};
    r.socket.rooms.sort();
    m_rows.append(r);
    m_index.insert(k, i);
    endInsertRows();
    for (const QString &room : std::as_const(r.socket.rooms))
        Q_EMIT membership(socket.nsp, room, socket.id, true);
}

void SocketsModel::remove(const QString &nsp, const QString &id)
{
    const int i = m_index.value(key(nsp, id), -1);
    if (i < 0)
        return;
    for (const QString &room : std::as_const(m_rows[i].socket.rooms))
        Q_EMIT membership(nsp, room, id, false);
    // Swap with the last row: removal stays O(1) with 20 000 sockets.
    const int last = int(m_rows.size()) - 1;
    if (i != last) {
        m_rows[i] = m_rows[last];
        m_index[key(m_rows[i].socket.nsp, m_rows[i].socket.id)] = i;
        Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
    }
    beginRemoveRows({}, last, last);
    m_rows.removeLast();
    m_index.remove(key(nsp, id));
    endRemoveRows();
}

void SocketsModel::onSocketList(const cluster::SocketListPage &page)
{
    QSet<QString> &seen = m_listing[page.uid];
    if (page.seq == 0)
        seen.clear();
    for (const cluster::SocketRecord &socket : page.sockets) {
        upsert(socket, page.uid);
        seen.insert(key(socket.nsp, socket.id));
    }
    if (!page.last)
        return;
    // The listing is whole: what this node no longer has is gone.
    QList<QPair<QString, QString>> stale;
    for (const Row &r : std::as_const(m_rows))
        if (r.nodeUid == page.uid && !seen.contains(key(r.socket.nsp, r.socket.id)))
            stale.append({r.socket.nsp, r.socket.id});
    for (const auto &[nsp, id] : stale)
        remove(nsp, id);
    m_listing.remove(page.uid);
}

void SocketsModel::onSocketEvents(const QString &uid, const QList<cluster::SocketEvent> &events)
{
    for (const cluster::SocketEvent &e : events) {
        switch (e.kind) {
        case cluster::SocketEvent::Kind::Connect:
            upsert(e.socket, uid);
            break;
        case cluster::SocketEvent::Kind::Disconnect:
            remove(e.nsp, e.id);
            break;
        case cluster::SocketEvent::Kind::Join:
        case cluster::SocketEvent::Kind::Leave: {
            const int i = m_index.value(key(e.nsp, e.id), -1);
            if (i < 0)
                break;
            QStringList rooms = m_rows[i].socket.rooms;
            if (e.kind == cluster::SocketEvent::Kind::Join) {
                if (!rooms.contains(e.room))
                    rooms.append(e.room);
            } else {
                rooms.removeAll(e.room);
            }
            setRooms(i, rooms);
            break;
        }
        }
    }
}

void SocketsModel::onForeignSockets(const QString &nsp, const QList<ForeignSocket> &sockets)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const ForeignSocket &f : sockets) {
        const Row *known = find(nsp, f.id);
        if (known && !known->nodeUid.isEmpty())
            continue; // a Switchboard node's socket: its node tells more
        cluster::SocketRecord record;
        record.id = f.id;
        record.nsp = nsp;
        record.rooms = f.rooms;
        record.address = f.address;
        record.connectedAt = f.connectedAt;
        record.authKeys = f.authKeys;
        upsert(record, QString());
        m_rows[m_index.value(key(nsp, f.id))].seenAt = now;
    }
    // Each answer lists one server: a foreign socket is gone when no answer of the last
    // refreshes listed it.
    QList<QString> expired;
    for (const Row &r : std::as_const(m_rows))
        if (r.nodeUid.isEmpty() && r.socket.nsp == nsp && now - r.seenAt > ForeignExpiryMs)
            expired.append(r.socket.id);
    for (const QString &id : expired)
        remove(nsp, id);
}

void SocketsModel::onNodeGone(const QString &uid)
{
    QList<QPair<QString, QString>> gone;
    for (const Row &r : std::as_const(m_rows))
        if (r.nodeUid == uid)
            gone.append({r.socket.nsp, r.socket.id});
    for (const auto &[nsp, id] : gone)
        remove(nsp, id);
}

// ---- rooms ----------------------------------------------------------------------------

namespace {
QStringList roomsModelTitles()
{
    return {RoomsModel::tr("Namespace"), RoomsModel::tr("Room"), RoomsModel::tr("Members")};
}
} // namespace

RoomsModel::RoomsModel(QObject *parent) : TableModel(roomsModelTitles(), parent) {}

QVariant RoomsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size() ||
        (role != Qt::DisplayRole && role != Qt::UserRole + 1))
        return {};
    const Row &r = m_rows.at(index.row());
    switch (Column(index.column())) {
    case Namespace:
        return r.nsp;
    case Room:
        return r.room;
    case Members:
        return int(r.members.size());
    case ColumnCount:
        break;
    }
    return {};
}

QStringList RoomsModel::members(int row) const
{
    if (row < 0 || row >= m_rows.size())
        return {};
    QStringList list(m_rows.at(row).members.cbegin(), m_rows.at(row).members.cend());
    list.sort();
    return list;
}

void RoomsModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_index.clear();
    endResetModel();
}

void RoomsModel::onMembership(const QString &nsp, const QString &room, const QString &id,
                              bool added)
{
    const QString k = nsp + u' ' + room;
    int i = m_index.value(k, -1);
    if (added) {
        if (i < 0) {
            i = int(m_rows.size());
            beginInsertRows({}, i, i);
            m_rows.append(Row{nsp, room, {}});
            m_index.insert(k, i);
            endInsertRows();
        }
        m_rows[i].members.insert(id);
        Q_EMIT dataChanged(index(i, Members), index(i, Members));
        return;
    }
    if (i < 0)
        return;
    m_rows[i].members.remove(id);
    if (!m_rows[i].members.isEmpty()) {
        Q_EMIT dataChanged(index(i, Members), index(i, Members));
        return;
    }
    const int last = int(m_rows.size()) - 1;
    if (i != last) {
        m_rows[i] = m_rows[last];
        m_index[m_rows[i].nsp + u' ' + m_rows[i].room] = i;
        Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
    }
    beginRemoveRows({}, last, last);
    m_rows.removeLast();
    m_index.remove(k);
    endRemoveRows();
}

// ---- filter ---------------------------------------------------------------------------

void SocketsFilter::setText(const QString &text)
{
    m_text = text;
    invalidateFilter();
}

void SocketsFilter::setNode(const QString &uid)
{
    m_node = uid;
    invalidateFilter();
}

void SocketsFilter::setNamespace(const QString &nsp)
{
    m_nsp = nsp;
    invalidateFilter();
}

void SocketsFilter::setRoom(const QString &room)
{
    m_room = room;
    invalidateFilter();
}

bool SocketsFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *m = sourceModel();
    if (!m_node.isEmpty() &&
        m->index(sourceRow, 0, sourceParent).data(SocketsModel::NodeUidRole).toString() != m_node)
        return false;
    if (!m_nsp.isEmpty() &&
        m->index(sourceRow, SocketsModel::Namespace, sourceParent).data().toString() != m_nsp)
        return false;
    if (!m_room.isEmpty() && !m->index(sourceRow, 0, sourceParent)
                                  .data(SocketsModel::RoomsRole)
                                  .toStringList()
                                  .contains(m_room))
        return false;
    if (m_text.isEmpty())
        return true;
    for (int c = 0; c < SocketsModel::ColumnCount; ++c)
        if (m->index(sourceRow, c, sourceParent)
                .data()
                .toString()
                .contains(m_text, Qt::CaseInsensitive))
            return true;
    return false;
}

} // namespace switchboard::console
