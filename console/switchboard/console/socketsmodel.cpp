#include "switchboard/console/socketsmodel.h"

#include "switchboard/console/nodesmodel.h"

#include <QDateTime>

#include <utility>

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
    : KeyedTableModel(socketsModelTitles(), parent), m_nodes(nodes)
{
    qRegisterMetaType<Membership>();
    qRegisterMetaType<QList<Membership>>();
}

QVariant SocketsModel::data(const QModelIndex &index, int role) const
{
    const Row *r = row(index.row());
    if (!index.isValid() || !r)
        return {};
    const cluster::SocketRecord &s = r->socket;
    if (role == NodeUidRole)
        return r->nodeUid;
    if (role == RoomsRole)
        return s.rooms;
    if (role != Qt::DisplayRole && role != SortRole && role != Qt::ToolTipRole)
        return {};
    switch (Column(index.column())) {
    case Id:
        return s.id;
    case Node: {
        if (r->nodeUid.isEmpty())
            return tr("foreign server");
        const QString name = m_nodes ? m_nodes->nameOf(r->nodeUid) : QString();
        return name.isEmpty() ? r->nodeUid : name;
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

void SocketsModel::clear()
{
    for (int i = 0; i < rowCount(); ++i)
        for (const QString &room : row(i)->socket.rooms)
            m_memberships.append({row(i)->socket.nsp, room, row(i)->socket.id, false});
    for (auto it = m_foreign.cbegin(); it != m_foreign.cend(); ++it)
        m_foreignChanged.insert(it.key());
    removeAll();
    m_listing.clear();
    m_removals.clear();
    m_removing.clear();
    m_foreign.clear();
    finish();
}

void SocketsModel::finish()
{
    removePending();
    if (!m_memberships.isEmpty())
        Q_EMIT membershipsChanged(std::exchange(m_memberships, {}));
    for (const QString &nsp : std::exchange(m_foreignChanged, {}))
        Q_EMIT foreignCountChanged(nsp, foreignCount(nsp));
}

void SocketsModel::setRooms(int i, const QStringList &rooms)
{
    Row &r = at(i);
    const QSet<QString> before(r.socket.rooms.cbegin(), r.socket.rooms.cend());
    const QSet<QString> after(rooms.cbegin(), rooms.cend());
    for (const QString &room : before - after)
        m_memberships.append({r.socket.nsp, room, r.socket.id, false});
    for (const QString &room : after - before)
        m_memberships.append({r.socket.nsp, room, r.socket.id, true});
    r.socket.rooms = rooms;
    r.socket.rooms.sort();
    rowChanged(i, Rooms, Rooms);
}

void SocketsModel::setForeign(const Row &r, bool foreign)
{
    QSet<QString> &ids = m_foreign[r.socket.nsp];
    if (foreign)
        ids.insert(r.socket.id);
    else
        ids.remove(r.socket.id);
    m_foreignChanged.insert(r.socket.nsp);
    if (ids.isEmpty())
        m_foreign.remove(r.socket.nsp);
}

void SocketsModel::upsert(const cluster::SocketRecord &socket, const QString &nodeUid)
{
    const QString k = key(socket.nsp, socket.id);
    if (m_removing.contains(k))
        removePending(); // it left and came back within one update
    if (const int i = indexOf(k); i >= 0) {
        Row &r = at(i);
        if (r.nodeUid.isEmpty() != nodeUid.isEmpty())
            setForeign(r, nodeUid.isEmpty());
        r.nodeUid = nodeUid;
        const QStringList rooms = socket.rooms;
        cluster::SocketRecord copy = socket;
        copy.rooms = r.socket.rooms;
        r.socket = copy;
        setRooms(i, rooms);
        rowChanged(i);
        return;
    }
    Row r{socket, nodeUid, 0};
    r.socket.rooms.sort();
    for (const QString &room : std::as_const(r.socket.rooms))
        m_memberships.append({socket.nsp, room, socket.id, true});
    if (nodeUid.isEmpty())
        setForeign(r, true);
    append(k, std::move(r));
}

void SocketsModel::remove(const QString &nsp, const QString &id)
{
    const QString k = key(nsp, id);
    const Row *r = rowOf(k);
    if (!r || m_removing.contains(k))
        return;
    for (const QString &room : r->socket.rooms)
        m_memberships.append({nsp, room, id, false});
    if (r->nodeUid.isEmpty())
        setForeign(*r, false);
    m_removals.append(k);
    m_removing.insert(k);
}

void SocketsModel::removePending()
{
    if (m_removals.isEmpty())
        return;
    removeKeys(std::exchange(m_removals, {}));
    m_removing.clear();
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
    if (page.last) {
        // The listing is whole: what this node no longer has is gone.
        for (int i = 0; i < rowCount(); ++i)
            if (const Row *r = row(i); r->nodeUid == page.uid && !seen.contains(keyAt(i)))
                remove(r->socket.nsp, r->socket.id);
        m_listing.remove(page.uid);
    }
    finish();
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
            const QString k = key(e.nsp, e.id);
            const int i = indexOf(k);
            if (i < 0 || m_removing.contains(k))
                break;
            QStringList rooms = row(i)->socket.rooms;
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
    finish();
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
        at(indexOf(key(nsp, f.id))).seenAt = now;
    }
    // Each answer lists one server: a foreign socket is gone when no answer of the last
    // refreshes listed it.
    for (const QString &id : m_foreign.value(nsp))
        if (const Row *r = find(nsp, id); r && now - r->seenAt > ForeignExpiryMs)
            remove(nsp, id);
    finish();
}

void SocketsModel::onNodeGone(const QString &uid)
{
    for (int i = 0; i < rowCount(); ++i)
        if (const Row *r = row(i); r->nodeUid == uid)
            remove(r->socket.nsp, r->socket.id);
    finish();
}

QMap<QString, QStringList> selectedSockets(const QItemSelectionModel &selection)
{
    QMap<QString, QStringList> out;
    for (QModelIndex index : selection.selectedRows()) {
        while (const auto *proxy = qobject_cast<const QAbstractProxyModel *>(index.model()))
            index = proxy->mapToSource(index);
        if (const auto *model = qobject_cast<const SocketsModel *>(index.model()))
            if (const SocketsModel::Row *r = model->row(index.row()))
                out[r->socket.nsp].append(r->socket.id);
    }
    return out;
}

// ---- rooms ----------------------------------------------------------------------------

namespace {
QStringList roomsModelTitles()
{
    return {RoomsModel::tr("Namespace"), RoomsModel::tr("Room"), RoomsModel::tr("Members")};
}
} // namespace

RoomsModel::RoomsModel(QObject *parent) : KeyedTableModel(roomsModelTitles(), parent) {}

QVariant RoomsModel::data(const QModelIndex &index, int role) const
{
    const Row *r = row(index.row());
    if (!index.isValid() || !r || (role != Qt::DisplayRole && role != Qt::UserRole + 1))
        return {};
    switch (Column(index.column())) {
    case Namespace:
        return r->nsp;
    case Room:
        return r->room;
    case Members:
        return int(r->members.size());
    case ColumnCount:
        break;
    }
    return {};
}

QStringList RoomsModel::members(int index) const
{
    const Row *r = row(index);
    if (!r)
        return {};
    QStringList list(r->members.cbegin(), r->members.cend());
    list.sort();
    return list;
}

void RoomsModel::clear()
{
    removeAll();
}

void RoomsModel::onMemberships(const QList<Membership> &changes)
{
    QSet<QString> changed;
    for (const Membership &m : changes) {
        const QString k = m.nsp + u' ' + m.room;
        int i = indexOf(k);
        if (m.added) {
            if (i < 0)
                i = append(k, Row{m.nsp, m.room, {}});
            at(i).members.insert(m.id);
            changed.insert(k);
        } else if (i >= 0) {
            at(i).members.remove(m.id);
            changed.insert(k);
        }
    }
    QList<QString> emptied;
    for (const QString &k : std::as_const(changed))
        if (rowOf(k)->members.isEmpty())
            emptied.append(k);
    if (removeKeys(emptied))
        return; // a change of layout: every count is read again
    // One announcement over the span: a sorting proxy re-sorts the span once, where it would
    // re-sort once per changed row.
    int first = rowCount(), last = -1;
    for (const QString &k : std::as_const(changed))
        if (const int i = indexOf(k); i >= 0) {
            first = std::min(first, i);
            last = std::max(last, i);
        }
    if (last >= 0)
        Q_EMIT dataChanged(index(first, Members), index(last, Members));
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
