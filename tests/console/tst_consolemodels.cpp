// The admin console's data layer: NodesModel, SocketsModel, RoomsModel, SocketsFilter,
// TrafficModel and TrafficFilter, fed directly through their slots with constructed cluster
// input (no Redis). Every model runs under QAbstractItemModelTester, and signal spies prove
// that normal updates are incremental (rows inserted, removed and changed, never a reset).
#include "switchboard/clusterwire.h"
#include "switchboard/console/clusterwatcher.h"
#include "switchboard/console/nodesmodel.h"
#include "switchboard/console/socketsmodel.h"
#include "switchboard/console/trafficmodel.h"
#include "switchboard/json.h"
#include "switchboard/msgpackvariant.h"
#include "switchboard/presence.h"

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using switchboard::cluster::NodePresence;
using switchboard::cluster::SocketEvent;
using switchboard::cluster::SocketListPage;
using switchboard::cluster::SocketRecord;
using switchboard::console::ClusterWatcher;
using switchboard::console::ForeignSocket;
using switchboard::console::Membership;
using switchboard::console::NodesModel;
using switchboard::console::RoomsModel;
using switchboard::console::SocketsFilter;
using switchboard::console::SocketsModel;
using switchboard::console::TrafficFilter;
using switchboard::console::TrafficModel;
using switchboard::console::TrafficRecord;

namespace {

constexpr auto TesterMode = QAbstractItemModelTester::FailureReportingMode::QtTest;

// The structural signals of one model, counted from construction on.
struct ModelSpies
{
    explicit ModelSpies(const QAbstractItemModel *model)
        : inserted(model, &QAbstractItemModel::rowsInserted),
          removed(model, &QAbstractItemModel::rowsRemoved),
          changed(model, &QAbstractItemModel::dataChanged),
          reset(model, &QAbstractItemModel::modelReset),
          layout(model, &QAbstractItemModel::layoutChanged)
    {}
    void clear()
    {
        inserted.clear();
        removed.clear();
        changed.clear();
        reset.clear();
        layout.clear();
    }
    QSignalSpy inserted, removed, changed, reset, layout;
};

// Every membership change the sockets model announced, one entry each, as
// {nsp, room, id, added}, whatever the batches they came in.
class MembershipSpy
{
public:
    explicit MembershipSpy(const SocketsModel *model)
    {
        QObject::connect(model, &SocketsModel::membershipsChanged, &m_context,
                         [this](const QList<Membership> &changes) {
                             ++batches;
                             for (const Membership &m : changes)
                                 m_entries.append({m.nsp, m.room, m.id, m.added});
                         });
    }
    qsizetype size() const { return m_entries.size(); }
    const QVariantList &at(qsizetype n) const { return m_entries.at(n); }
    auto begin() const { return m_entries.cbegin(); }
    auto end() const { return m_entries.cend(); }
    int batches = 0;

private:
    QObject m_context;
    QList<QVariantList> m_entries;
};

NodePresence presence(const QString &uid, const QString &name, QMap<QString, int> connections)
{
    NodePresence p;
    p.uid = uid;
    p.name = name;
    p.address = name + u".example:3000"_s;
    p.version = u"0.1.0"_s;
    p.pid = 4242;
    p.startedAt = QDateTime::currentMSecsSinceEpoch() - 90500;
    p.time = QDateTime::currentMSecsSinceEpoch();
    p.connections = std::move(connections);
    p.clients = 121;
    p.rooms = 14;
    p.messagesInPerSec = 35.2;
    p.messagesOutPerSec = 410.0;
    p.bytesInPerSec = 2048.5;
    p.bytesOutPerSec = 40960.0;
    p.rssBytes = 23592960;
    p.redisRoundTripMs = 0.4;
    return p;
}

SocketRecord socket(const QString &nsp, const QString &id, const QStringList &rooms = {})
{
    SocketRecord s;
    s.id = id;
    s.nsp = nsp;
    s.rooms = rooms;
    s.address = u"127.0.0.1"_s;
    s.connectedAt = 1795312888828;
    s.url = u"/socket.io/"_s;
    s.userAgent = u"node"_s;
    s.authKeys = {u"token"_s};
    return s;
}

SocketEvent connectEvent(const SocketRecord &s)
{
    SocketEvent e;
    e.kind = SocketEvent::Kind::Connect;
    e.nsp = s.nsp;
    e.id = s.id;
    e.socket = s;
    return e;
}

SocketEvent roomEvent(SocketEvent::Kind kind, const QString &nsp, const QString &id,
                      const QString &room)
{
    SocketEvent e;
    e.kind = kind;
    e.nsp = nsp;
    e.id = id;
    e.room = room;
    return e;
}

SocketEvent disconnectEvent(const QString &nsp, const QString &id)
{
    SocketEvent e;
    e.kind = SocketEvent::Kind::Disconnect;
    e.nsp = nsp;
    e.id = id;
    e.reason = u"transport close"_s;
    return e;
}

SocketListPage page(const QString &uid, int seq, bool last, const QList<SocketRecord> &sockets)
{
    SocketListPage p;
    p.requestId = u"req1"_s;
    p.uid = uid;
    p.name = u"node-"_s + uid;
    p.seq = seq;
    p.last = last;
    p.sockets = sockets;
    return p;
}

ForeignSocket foreign(const QString &nsp, const QString &id, const QStringList &rooms = {})
{
    ForeignSocket f;
    f.id = id;
    f.nsp = nsp;
    f.rooms = rooms;
    f.address = u"10.0.0.9"_s;
    f.connectedAt = 1795312888000;
    f.authKeys = {u"user"_s};
    return f;
}

TrafficRecord traffic(int n, const QString &origin = u"abc123"_s)
{
    TrafficRecord r;
    r.time = 1795312888828 + n;
    r.origin = origin;
    r.kind = u"broadcast"_s;
    r.nsp = u"/chat"_s;
    r.rooms = {u"lobby"_s, u"r"_s + QString::number(n)};
    r.except = {u"sid"_s + QString::number(n)};
    r.event = u"message"_s;
    r.preview = u"[\"hello %1\"]"_s.arg(n);
    r.size = 40 + n;
    return r;
}

// The row number of a row of `model`.
template <typename Model> int positionOf(const Model &model, const typename Model::Row *row)
{
    for (int i = 0; i < model.rowCount(); ++i)
        if (model.row(i) == row)
            return i;
    return -1;
}

// The rows a spy on rowsRemoved saw go, over all its announcements.
int removedRows(const QSignalSpy &removed)
{
    int rows = 0;
    for (const QList<QVariant> &args : removed)
        rows += args.at(2).toInt() - args.at(1).toInt() + 1;
    return rows;
}

// What TrafficModel::exportJsonLines writes, read back; a null array (and `error`) on failure.
QByteArray exportOf(const TrafficModel &model, QString *error)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"traffic.jsonl"_s);
    if (!dir.isValid() || !model.exportJsonLines(path, error))
        return {};
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString text(const QAbstractItemModel &model, int row, int column, int role = Qt::DisplayRole)
{
    return model.index(row, column).data(role).toString();
}

// Every row of the sockets model can be found under its own key, and shows its own id.
QString socketIndexErrors(const SocketsModel &model)
{
    for (int i = 0; i < model.rowCount(); ++i) {
        const SocketsModel::Row *r = model.row(i);
        if (!r)
            return u"no row %1"_s.arg(i);
        if (model.find(r->socket.nsp, r->socket.id) != r)
            return u"find(%1, %2) is not row %3"_s.arg(r->socket.nsp, r->socket.id).arg(i);
        if (text(model, i, SocketsModel::Id) != r->socket.id)
            return u"row %1 shows id %2, holds %3"_s.arg(i).arg(text(model, i, SocketsModel::Id),
                                                                r->socket.id);
    }
    return {};
}

// "nsp room" -> sorted members, from the rooms model's rows.
QMap<QString, QStringList> roomsOf(const RoomsModel &model)
{
    QMap<QString, QStringList> out;
    for (int i = 0; i < model.rowCount(); ++i) {
        const QString key =
            text(model, i, RoomsModel::Namespace) + u' ' + text(model, i, RoomsModel::Room);
        out.insert(key, model.members(i));
        if (model.index(i, RoomsModel::Members).data().toInt() != model.members(i).size())
            out.insert(key, {u"<count mismatch>"_s});
    }
    return out;
}

// Ids of the sockets model's rows, sorted.
QStringList socketIds(const SocketsModel &model)
{
    QStringList ids;
    for (int i = 0; i < model.rowCount(); ++i)
        ids << model.row(i)->socket.nsp + u' ' + model.row(i)->socket.id;
    ids.sort();
    return ids;
}

QStringList column(const QAbstractItemModel &model, int col)
{
    QStringList out;
    for (int i = 0; i < model.rowCount(); ++i)
        out << text(model, i, col);
    out.sort();
    return out;
}

} // namespace

class TestConsoleModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatting();

    void nodesPresenceCreatesAndUpdatesRows();
    void nodesShowQueueCounters();
    void nodesLeavingMarksGone();
    void nodesUidSeen();
    void nodesServerCountPlaceholder();
    void nodesPlaceholderRemovedFromMiddle();
    void nodesHistoryCapped();
    void nodesStaleWithoutRecords();
    void nodesNameOf();
    void nodesUptimeStopsWhenGone();
    void nodesForeignSocketCounts();

    void socketsListPageUpserts();
    void socketsMultiPageListingRemovesUnlisted();
    void socketsEvents();
    void socketsNodeGone();
    void socketsForeign();
    void socketsRemovalKeepsIndex();
    void socketsSelectionFollowsItsSocket_data();
    void socketsSelectionFollowsItsSocket();

    void roomsCountsAndMembers();
    void socketsFilter();

    void trafficBatchesOnFlush();
    void trafficCapacityTrimsOldest();
    void trafficPause();
    void trafficClear();
    void trafficExportJsonLines();
    void trafficExportUnwritable();
    void trafficFilter();
    void trafficKindsOneSpelling();
    void remoteFetchAnswerShowsNoSecrets();

    void volume();
};

void TestConsoleModels::formatting()
{
    using switchboard::console::formatBytes;
    using switchboard::console::formatDuration;
    QCOMPARE(formatBytes(0), u"0 B"_s);
    QCOMPARE(formatBytes(1023), u"1023 B"_s);
    QCOMPARE(formatBytes(2048.5), u"2.0 KiB"_s);
    QCOMPARE(formatBytes(23592960), u"22.5 MiB"_s);
    QCOMPARE(formatBytes(3.0 * 1024 * 1024 * 1024), u"3.0 GiB"_s);
    QCOMPARE(formatDuration(59999), u"59 s"_s);
    QCOMPARE(formatDuration(90500), u"1 min 30 s"_s);
    QCOMPARE(formatDuration(7260000), u"2 h 1 min"_s);
    QCOMPARE(formatDuration(90000000), u"1 d 1 h"_s);
}

// ---- NodesModel ---------------------------------------------------------------------------

void TestConsoleModels::nodesShowQueueCounters()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    // Without --queue the columns stay empty.
    model.onPresence(presence(u"plain1"_s, u"plain"_s, {{u"/"_s, 1}}));
    QCOMPARE(text(model, 0, NodesModel::QueueDepth), QString());
    QCOMPARE(text(model, 0, NodesModel::QueueConsumed), QString());
    QCOMPARE(text(model, 0, NodesModel::QueueDead), QString());

    NodePresence consuming = presence(u"cons01"_s, u"consumer"_s, {{u"/"_s, 1}});
    consuming.queue = NodePresence::Queue{u"jobs"_s, 42, 9800, 3, 16, true};
    model.onPresence(consuming);
    NodePresence idle = presence(u"idle01"_s, u"idle"_s, {{u"/"_s, 1}});
    idle.queue = NodePresence::Queue{u"jobs"_s, 42, 200, 0, 0, false};
    model.onPresence(idle);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(text(model, 1, NodesModel::QueueDepth), u"42 ▶"_s);
    QCOMPARE(model.index(1, NodesModel::QueueDepth).data(Qt::UserRole + 1).toLongLong(), 42);
    QVERIFY2(model.index(1, NodesModel::QueueDepth)
                 .data(Qt::ToolTipRole)
                 .toString()
                 .contains(u"consumes"_s),
             qPrintable(model.index(1, NodesModel::QueueDepth).data(Qt::ToolTipRole).toString()));
    QCOMPARE(text(model, 1, NodesModel::QueueConsumed), u"9800"_s);
    QCOMPARE(text(model, 1, NodesModel::QueueDead), u"3"_s);
    QCOMPARE(text(model, 2, NodesModel::QueueDepth), u"42"_s);
    QCOMPARE(text(model, 2, NodesModel::QueueConsumed), u"200"_s);

    // Not sampled yet: no depth shown.
    idle.queue->depth = -1;
    model.onPresence(idle);
    QCOMPARE(text(model, 2, NodesModel::QueueDepth), QString());
}

void TestConsoleModels::nodesPresenceCreatesAndUpdatesRows()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    ModelSpies spies(&model);
    QSignalSpy history(&model, &NodesModel::historyChanged);

    model.onPresence(presence(u"x7Kp2Q"_s, u"node-a"_s, {{u"/"_s, 120}, {u"/chat"_s, 7}}));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(spies.inserted.size(), 1);
    QCOMPARE(history.size(), 1);
    QCOMPARE(text(model, 0, NodesModel::Name), u"node-a"_s);
    QCOMPARE(text(model, 0, NodesModel::Uid), u"x7Kp2Q"_s);
    QCOMPARE(text(model, 0, NodesModel::Kind), u"Switchboard 0.1.0"_s);
    QCOMPARE(text(model, 0, NodesModel::Address), u"node-a.example:3000"_s);
    QVERIFY2(text(model, 0, NodesModel::Uptime).startsWith(u"1 min 3"_s),
             qPrintable(text(model, 0, NodesModel::Uptime)));
    QCOMPARE(model.index(0, NodesModel::Connections).data().toInt(), 127);
    QCOMPARE(model.index(0, NodesModel::Rooms).data().toInt(), 14);
    QCOMPARE(model.index(0, NodesModel::MessagesIn).data().toInt(), 35);
    QCOMPARE(model.index(0, NodesModel::MessagesOut).data().toInt(), 410);
    QCOMPARE(text(model, 0, NodesModel::BytesIn), u"2.0 KiB"_s);
    QCOMPARE(text(model, 0, NodesModel::BytesOut), u"40.0 KiB"_s);
    QCOMPARE(text(model, 0, NodesModel::Memory), u"22.5 MiB"_s);
    QCOMPARE(model.index(0, NodesModel::Memory).data(Qt::UserRole + 1).toLongLong(), 23592960);
    QCOMPARE(text(model, 0, NodesModel::RedisRtt), u"0.4 ms"_s);
    QVERIFY(!text(model, 0, NodesModel::LastSeen).isEmpty());
    QCOMPARE(text(model, 0, NodesModel::Status), u"live"_s);
    QCOMPARE(model.index(0, 0).data(Qt::UserRole).toString(), u"x7Kp2Q"_s);
    QCOMPARE(model.switchboardUids(), QStringList{u"x7Kp2Q"_s});
    QCOMPARE(model.liveCount(), 1);

    // The same node again: the row is updated in place.
    spies.clear();
    NodePresence next = presence(u"x7Kp2Q"_s, u"node-a2"_s, {{u"/"_s, 3}});
    next.rooms = 2;
    next.messagesInPerSec = 1.6;
    next.bytesInPerSec = 100;
    next.rssBytes = 512;
    next.redisRoundTripMs = -1;
    next.address = u"elsewhere:4000"_s;
    model.onPresence(next);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(spies.inserted.size(), 0);
    QCOMPARE(spies.removed.size(), 0);
    QCOMPARE(spies.reset.size(), 0);
    QVERIFY(spies.changed.size() >= 1);
    const auto changed = spies.changed.constLast();
    QCOMPARE(changed.at(0).toModelIndex().row(), 0);
    QCOMPARE(changed.at(0).toModelIndex().column(), 0);
    QCOMPARE(changed.at(1).toModelIndex().column(), NodesModel::ColumnCount - 1);
    QCOMPARE(text(model, 0, NodesModel::Name), u"node-a2"_s);
    QCOMPARE(model.index(0, NodesModel::Connections).data().toInt(), 3);
    QCOMPARE(model.index(0, NodesModel::Rooms).data().toInt(), 2);
    QCOMPARE(model.index(0, NodesModel::MessagesIn).data().toInt(), 2);
    QCOMPARE(text(model, 0, NodesModel::BytesIn), u"100 B"_s);
    QCOMPARE(text(model, 0, NodesModel::Memory), u"512 B"_s);
    QVERIFY(!model.index(0, NodesModel::RedisRtt).data().isValid());
    QCOMPARE(text(model, 0, NodesModel::Address), u"elsewhere:4000"_s);
    QCOMPARE(model.find(u"x7Kp2Q"_s)->namespaces, QSet<QString>{u"/"_s});

    // A second node gets a second row.
    model.onPresence(presence(u"B2b2B2"_s, u"node-b"_s, {{u"/"_s, 1}}));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.inserted.size(), 1);
    QCOMPARE(model.find(u"B2b2B2"_s)->presence.name, u"node-b"_s);
    QCOMPARE(model.find(u"x7Kp2Q"_s)->presence.name, u"node-a2"_s);
    QCOMPARE(model.liveCount(), 2);
    QCOMPARE(spies.reset.size(), 0);
}

void TestConsoleModels::nodesLeavingMarksGone()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    model.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 2}}));
    model.onPresence(presence(u"bbbbbb"_s, u"node-b"_s, {{u"/"_s, 2}}));
    ModelSpies spies(&model);
    QSignalSpy gone(&model, &NodesModel::nodeGone);
    QSignalSpy history(&model, &NodesModel::historyChanged);

    NodePresence leaving = presence(u"aaaaaa"_s, u"node-a"_s, {});
    leaving.leaving = true;
    model.onPresence(leaving);
    QCOMPARE(gone.size(), 1);
    QCOMPARE(gone.at(0).at(0).toString(), u"aaaaaa"_s);
    QCOMPARE(history.size(), 0); // a leaving record is no sample
    QCOMPARE(model.find(u"aaaaaa"_s)->history.size(), 1);
    QCOMPARE(model.rowCount(), 2); // kept, shown as gone
    QCOMPARE(model.find(u"aaaaaa"_s)->health, NodesModel::Health::Gone);
    const int row = positionOf(model, model.find(u"aaaaaa"_s));
    QCOMPARE(text(model, row, NodesModel::Status), u"gone (left)"_s);
    QVERIFY(model.index(row, 0).data(Qt::ForegroundRole).canConvert<QBrush>());
    QCOMPARE(model.liveCount(), 1);
    QCOMPARE(spies.removed.size(), 0);
    QCOMPARE(spies.reset.size(), 0);
    QVERIFY(spies.changed.size() >= 1);
}

void TestConsoleModels::nodesUidSeen()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    model.setOwnUid(u"consol"_s);
    model.onPresence(presence(u"sbnode"_s, u"node-a"_s, {{u"/"_s, 1}}));
    ModelSpies spies(&model);

    model.onUidSeen(u"f00bar"_s, u"/"_s);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.inserted.size(), 1);
    const NodesModel::Row *row = model.find(u"f00bar"_s);
    QVERIFY(row);
    QVERIFY(row->foreign);
    const int i = positionOf(model, row);
    QCOMPARE(text(model, i, NodesModel::Name), u"socket.io server"_s);
    QCOMPARE(text(model, i, NodesModel::Uid), u"f00bar"_s);
    QCOMPARE(text(model, i, NodesModel::Kind), u"foreign (/)"_s);
    QCOMPARE(text(model, i, NodesModel::Status), u"live"_s);
    QCOMPARE(model.index(i, NodesModel::Connections).data().toString(), u"0"_s); // none listed yet
    QVERIFY(!model.index(i, NodesModel::Memory).data().isValid());

    // Another namespace of the same server: the same row lists both.
    model.onUidSeen(u"f00bar"_s, u"/chat"_s);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.inserted.size(), 1);
    const QString kind = text(model, i, NodesModel::Kind);
    QVERIFY2(kind == u"foreign (/, /chat)"_s || kind == u"foreign (/chat, /)"_s, qPrintable(kind));
    QCOMPARE(model.find(u"f00bar"_s)->namespaces, (QSet<QString>{u"/"_s, u"/chat"_s}));
    QCOMPARE(model.switchboardUids(), QStringList{u"sbnode"_s});

    // Known Switchboard node, the emitter, the console itself, no uid: nothing.
    spies.clear();
    model.onUidSeen(u"sbnode"_s, u"/other"_s);
    model.onUidSeen(u"emitter"_s, u"/"_s);
    model.onUidSeen(u"consol"_s, u"/"_s);
    model.onUidSeen(QString(), u"/"_s);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.inserted.size(), 0);
    QCOMPARE(spies.changed.size(), 0);
    QVERIFY(!model.find(u"sbnode"_s)->foreign);
    QCOMPARE(model.find(u"sbnode"_s)->namespaces, QSet<QString>{u"/"_s});
    QVERIFY(!model.find(u"emitter"_s));
    QVERIFY(!model.find(u"consol"_s));

    // A foreign uid that turns out to be a Switchboard node becomes one.
    model.onPresence(presence(u"f00bar"_s, u"node-f"_s, {{u"/"_s, 1}}));
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(!model.find(u"f00bar"_s)->foreign);
    QCOMPARE(text(model, i, NodesModel::Name), u"node-f"_s);
    QCOMPARE(spies.reset.size(), 0);
}

void TestConsoleModels::nodesServerCountPlaceholder()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    model.onPresence(presence(u"sbnode"_s, u"node-a"_s, {{u"/"_s, 1}, {u"/chat"_s, 1}}));
    ModelSpies spies(&model);

    // As many servers as known: nothing.
    model.onServerCount(u"/"_s, 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(spies.inserted.size(), 0);

    // Two more on "/" than known: one placeholder row.
    model.onServerCount(u"/"_s, 3);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.inserted.size(), 1);
    QCOMPARE(text(model, 1, NodesModel::Name), u"2 unidentified server(s)"_s);
    QCOMPARE(text(model, 1, NodesModel::Uid), QString());
    QCOMPARE(model.row(1)->unidentified, 2);
    QCOMPARE(model.row(0)->uid, u"sbnode"_s);
    QCOMPARE(model.switchboardUids(), QStringList{u"sbnode"_s});
    QCOMPARE(model.liveCount(), 1);

    // A foreign server shows up on "/": one fewer unidentified, same row.
    model.onUidSeen(u"f00bar"_s, u"/"_s);
    model.onServerCount(u"/"_s, 3);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(spies.inserted.size(), 2);
    QCOMPARE(model.row(1)->unidentified, 1);
    QCOMPARE(text(model, 1, NodesModel::Name), u"1 unidentified server(s)"_s);

    // Another namespace counts on its own.
    model.onServerCount(u"/chat"_s, 2);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.row(3)->unidentified, 1);
    QCOMPARE(model.row(3)->namespaces, QSet<QString>{u"/chat"_s});

    // The count drops: the placeholder of "/chat" (last row) goes.
    spies.clear();
    model.onServerCount(u"/chat"_s, 1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(spies.removed.size(), 1);
    for (int i = 0; i < model.rowCount(); ++i)
        QCOMPARE(model.row(i)->namespaces.contains(u"/chat"_s) && model.row(i)->unidentified,
                 false);

    // And the one of "/", from the middle.
    model.onServerCount(u"/"_s, 2);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.removed.size(), 2);
    QVERIFY(model.find(u"sbnode"_s));
    QVERIFY(model.find(u"f00bar"_s));
    QCOMPARE(model.find(u"sbnode"_s)->uid, u"sbnode"_s);
    QCOMPARE(model.find(u"f00bar"_s)->uid, u"f00bar"_s);
    for (int i = 0; i < model.rowCount(); ++i)
        QCOMPARE(model.row(i)->unidentified, 0);
    QCOMPARE(spies.reset.size(), 0);
}

// A placeholder row that is not the last row is removed where it is: every uid must still lead
// to its own row afterwards, and the placeholder's uid to none.
void TestConsoleModels::nodesPlaceholderRemovedFromMiddle()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    model.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 1}}));
    model.onServerCount(u"/"_s, 2); // "?/" placeholder at row 1
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.row(1)->unidentified, 1);
    model.onPresence(presence(u"bbbbbb"_s, u"node-b"_s, {{u"/"_s, 1}})); // row 2
    QCOMPARE(model.rowCount(), 3);

    ModelSpies spies(&model);
    const QPersistentModelIndex nodeB = model.index(2, NodesModel::Name);
    model.onServerCount(u"/"_s, 2); // node-b was the unidentified one
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.removed.size(), 1);
    QCOMPARE(spies.removed.at(0).at(1).toInt(), 1); // where it was, not the last row
    QCOMPARE(spies.removed.at(0).at(2).toInt(), 1);
    QCOMPARE(spies.changed.size(), 0); // no row copied over another
    QVERIFY(nodeB.isValid());
    QCOMPARE(nodeB.data().toString(), u"node-b"_s);
    QCOMPARE(model.find(u"aaaaaa"_s)->presence.name, u"node-a"_s);
    QCOMPARE(model.find(u"bbbbbb"_s)->presence.name, u"node-b"_s);
    for (int i = 0; i < model.rowCount(); ++i)
        QCOMPARE(model.find(model.row(i)->uid), model.row(i));
    QVERIFY2(!model.find(u"?/"_s), "the removed placeholder's uid still maps to a row");

    // The same count again changes nothing: node-b must stay.
    model.onServerCount(u"/"_s, 2);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.switchboardUids().size(), 2);
    QVERIFY(model.find(u"bbbbbb"_s));
}

void TestConsoleModels::nodesHistoryCapped()
{
    NodesModel model;
    QSignalSpy history(&model, &NodesModel::historyChanged);
    const int records = NodesModel::HistoryPoints + 5;
    for (int n = 0; n < records; ++n) {
        NodePresence p = presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, n}, {u"/chat"_s, 1}});
        p.messagesInPerSec = n;
        p.messagesOutPerSec = 0.5;
        model.onPresence(p);
        if (n == 9)
            QCOMPARE(model.find(u"aaaaaa"_s)->history.size(), 10);
    }
    QCOMPARE(history.size(), records);
    const QList<NodesModel::Sample> &samples = model.find(u"aaaaaa"_s)->history;
    QCOMPARE(samples.size(), NodesModel::HistoryPoints);
    QCOMPARE(samples.first().messagesPerSec, 5.5);
    QCOMPARE(samples.first().connections, 6);
    QCOMPARE(samples.last().messagesPerSec, records - 1 + 0.5);
    QCOMPARE(samples.last().connections, records);
    for (int i = 1; i < samples.size(); ++i)
        QVERIFY(samples.at(i).time >= samples.at(i - 1).time);
    // Other nodes have their own history.
    model.onPresence(presence(u"bbbbbb"_s, u"node-b"_s, {}));
    QCOMPARE(model.find(u"bbbbbb"_s)->history.size(), 1);
    QCOMPARE(model.find(u"aaaaaa"_s)->history.size(), NodesModel::HistoryPoints);
}

void TestConsoleModels::nodesStaleWithoutRecords()
{
    NodesModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    model.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 1}}));
    model.onUidSeen(u"f00bar"_s, u"/"_s);
    ModelSpies spies(&model);
    QSignalSpy gone(&model, &NodesModel::nodeGone);
    QCOMPARE(text(model, 0, NodesModel::Status), u"live"_s);

    QTRY_COMPARE_WITH_TIMEOUT(text(model, 0, NodesModel::Status), u"stale"_s,
                              int(NodesModel::StaleAfterMs) + 2000);
    QCOMPARE(model.find(u"aaaaaa"_s)->health, NodesModel::Health::Stale);
    QVERIFY(model.index(0, 0).data(Qt::ForegroundRole).canConvert<QBrush>());
    QCOMPARE(gone.size(), 0);
    // Foreign servers do not go stale by silence.
    QCOMPARE(model.find(u"f00bar"_s)->health, NodesModel::Health::Live);
    QCOMPARE(model.liveCount(), 1);
    QVERIFY(spies.changed.size() > 0);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(spies.inserted.size(), 0);
    QCOMPARE(spies.removed.size(), 0);

    // A record brings it back.
    model.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 1}}));
    QCOMPARE(text(model, 0, NodesModel::Status), u"live"_s);
    QCOMPARE(model.liveCount(), 2);
}

void TestConsoleModels::nodesNameOf()
{
    NodesModel model;
    model.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 1}}));
    model.onUidSeen(u"f00bar"_s, u"/"_s);
    QCOMPARE(model.nameOf(u"aaaaaa"_s), u"node-a"_s);
    QCOMPARE(model.nameOf(u"f00bar"_s), u"socket.io f00bar"_s);
    QCOMPARE(model.nameOf(u"emitter"_s), u"emitter"_s);
    QCOMPARE(model.nameOf(u"zzzzzz"_s), QString());
    QCOMPARE(model.nameOf(QString()), QString());
    model.setOwnUid(u"consol"_s);
    QCOMPARE(model.nameOf(u"consol"_s), u"this console"_s);
    QCOMPARE(model.nameOf(QString()), QString());
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.nameOf(u"aaaaaa"_s), QString());
}

// A node that went stops ageing: its uptime is what its last record said, however long the
// console keeps showing it.
void TestConsoleModels::nodesUptimeStopsWhenGone()
{
    NodesModel model;
    NodePresence leaving = presence(u"aaaaaa"_s, u"node-a"_s, {});
    leaving.leaving = true;
    model.onPresence(leaving);
    model.onPresence(presence(u"bbbbbb"_s, u"node-b"_s, {{u"/"_s, 1}}));
    QCOMPARE(model.find(u"aaaaaa"_s)->health, NodesModel::Health::Gone);
    const int gone = model.indexOf(u"aaaaaa"_s), live = model.indexOf(u"bbbbbb"_s);
    const qint64 frozen = leaving.time - leaving.startedAt; // 90.5 s
    constexpr int SortRole = Qt::UserRole + 1;
    QCOMPARE(model.index(gone, NodesModel::Uptime).data(SortRole).toLongLong(), frozen);
    const qint64 liveBefore = model.index(live, NodesModel::Uptime).data(SortRole).toLongLong();
    // A second and more later (the clock, not the console, is what is waited for).
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(clock.elapsed() > 1100, 5000);
    QCOMPARE(model.index(gone, NodesModel::Uptime).data(SortRole).toLongLong(), frozen);
    QCOMPARE(text(model, gone, NodesModel::Uptime), u"1 min 30 s"_s);
    QVERIFY(model.index(live, NodesModel::Uptime).data(SortRole).toLongLong() >= liveBefore + 1000);
}

// A foreign server's Sockets column counts the foreign sockets REMOTE_FETCH listed in its
// namespaces; when another server answers in one of them too, the count is an upper bound.
void TestConsoleModels::nodesForeignSocketCounts()
{
    NodesModel nodes;
    QAbstractItemModelTester tester(&nodes, TesterMode);
    SocketsModel sockets(&nodes);
    connect(&sockets, &SocketsModel::foreignCountChanged, &nodes, &NodesModel::onForeignCount);
    nodes.onPresence(presence(u"sbnode"_s, u"node-a"_s, {{u"/"_s, 1}}));
    nodes.onUidSeen(u"f00bar"_s, u"/"_s);
    sockets.onSocketEvents(u"sbnode"_s, {connectEvent(socket(u"/"_s, u"own"_s))});
    const auto cellOf = [&nodes](const QString &uid, int role = Qt::DisplayRole) {
        return nodes.index(nodes.indexOf(uid), NodesModel::Connections).data(role);
    };
    QCOMPARE(cellOf(u"f00bar"_s).toString(), u"0"_s);

    ModelSpies spies(&nodes);
    sockets.onForeignSockets(u"/"_s, {foreign(u"/"_s, u"f1"_s), foreign(u"/"_s, u"f2"_s),
                                      foreign(u"/"_s, u"own"_s)}); // "own" is node-a's
    QCOMPARE(cellOf(u"f00bar"_s).toInt(), 2);
    QCOMPARE(cellOf(u"sbnode"_s).toInt(), 1); // a Switchboard node counts its own
    QVERIFY(spies.changed.size() >= 1);
    sockets.onForeignSockets(u"/chat"_s, {foreign(u"/chat"_s, u"c1"_s)});
    QCOMPARE(cellOf(u"f00bar"_s).toInt(), 2); // not in /chat
    nodes.onUidSeen(u"f00bar"_s, u"/chat"_s);
    QCOMPARE(cellOf(u"f00bar"_s).toInt(), 3);

    // A second foreign server in "/": who has which is unknown.
    nodes.onUidSeen(u"baz999"_s, u"/"_s);
    QCOMPARE(cellOf(u"f00bar"_s).toString(), u"≤ 3"_s);
    QCOMPARE(cellOf(u"baz999"_s).toString(), u"≤ 2"_s);
    QCOMPARE(cellOf(u"baz999"_s, Qt::UserRole + 1).toInt(), 2);
    QVERIFY(cellOf(u"baz999"_s, Qt::ToolTipRole).toString().contains(u"REMOTE_FETCH"_s));

    // Sockets that go stop counting.
    sockets.onSocketEvents(u"sbnode"_s, {connectEvent(socket(u"/"_s, u"f2"_s))}); // claimed
    QCOMPARE(cellOf(u"baz999"_s).toString(), u"≤ 1"_s);
    sockets.clear();
    QCOMPARE(cellOf(u"f00bar"_s).toString(), u"≤ 0"_s);
}

// ---- SocketsModel -------------------------------------------------------------------------

void TestConsoleModels::socketsListPageUpserts()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 2}}));
    SocketsModel model(&nodes);
    QAbstractItemModelTester tester(&model, TesterMode);
    ModelSpies spies(&model);

    SocketRecord s1 = socket(u"/"_s, u"s1"_s, {u"zeta"_s, u"alpha"_s});
    s1.userAgent = u"Mozilla/5.0 Chrome"_s;
    s1.authKeys = {u"token"_s, u"user"_s};
    model.onSocketList(
        page(u"aaaaaa"_s, 0, true, {s1, socket(u"/"_s, u"s2"_s), socket(u"/chat"_s, u"s1"_s)}));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(spies.inserted.size(), 3);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(socketIndexErrors(model), QString());
    const SocketsModel::Row *r = model.find(u"/"_s, u"s1"_s);
    QVERIFY(r);
    QCOMPARE(r->nodeUid, u"aaaaaa"_s);
    const int i = positionOf(model, r);
    QCOMPARE(text(model, i, SocketsModel::Id), u"s1"_s);
    QCOMPARE(text(model, i, SocketsModel::Node), u"node-a"_s);
    QCOMPARE(text(model, i, SocketsModel::Id, SocketsModel::NodeUidRole), u"aaaaaa"_s);
    QCOMPARE(text(model, i, SocketsModel::Namespace), u"/"_s);
    QCOMPARE(text(model, i, SocketsModel::Rooms), u"alpha, zeta"_s);
    QCOMPARE(model.index(i, 0).data(SocketsModel::RoomsRole).toStringList(),
             (QStringList{u"alpha"_s, u"zeta"_s}));
    QCOMPARE(text(model, i, SocketsModel::Address), u"127.0.0.1"_s);
    QCOMPARE(model.index(i, SocketsModel::Connected).data(SocketsModel::SortRole).toLongLong(),
             1795312888828);
    QVERIFY(text(model, i, SocketsModel::Connected).startsWith(u"2026-11-"_s));
    QCOMPARE(text(model, i, SocketsModel::Auth), u"token, user"_s);
    QCOMPARE(text(model, i, SocketsModel::UserAgent), u"Mozilla/5.0 Chrome"_s);
    QVERIFY(model.find(u"/chat"_s, u"s1"_s) != r); // same id, other namespace: other row

    // A node the nodes model does not know shows its uid.
    model.onSocketList(page(u"unkown"_s, 0, true, {socket(u"/"_s, u"s9"_s)}));
    const int j = positionOf(model, model.find(u"/"_s, u"s9"_s));
    QCOMPARE(text(model, j, SocketsModel::Node), u"unkown"_s);

    // The same listing again with changes: rows updated in place.
    spies.clear();
    MembershipSpy membership(&model);
    s1.rooms = {u"alpha"_s, u"beta"_s};
    s1.address = u"10.1.1.1"_s;
    model.onSocketList(
        page(u"aaaaaa"_s, 0, true, {s1, socket(u"/"_s, u"s2"_s), socket(u"/chat"_s, u"s1"_s)}));
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(spies.inserted.size(), 0);
    QCOMPARE(spies.removed.size(), 0);
    QCOMPARE(spies.reset.size(), 0);
    QVERIFY(spies.changed.size() >= 3);
    QCOMPARE(text(model, i, SocketsModel::Rooms), u"alpha, beta"_s);
    QCOMPARE(text(model, i, SocketsModel::Address), u"10.1.1.1"_s);
    QCOMPARE(membership.size(), 2);
    QSet<QString> changes;
    for (const auto &args : membership)
        changes << args.at(0).toString() + u' ' + args.at(1).toString() + u' ' +
                       args.at(2).toString() + u' ' + (args.at(3).toBool() ? u"+"_s : u"-"_s);
    QCOMPARE(changes, (QSet<QString>{u"/ zeta s1 -"_s, u"/ beta s1 +"_s}));
    QCOMPARE(socketIndexErrors(model), QString());
}

void TestConsoleModels::socketsMultiPageListingRemovesUnlisted()
{
    SocketsModel model(nullptr);
    QAbstractItemModelTester tester(&model, TesterMode);
    QList<SocketEvent> events;
    for (int n = 1; n <= 6; ++n)
        events << connectEvent(socket(u"/"_s, u"a"_s + QString::number(n), {u"room"_s}));
    model.onSocketEvents(u"aaaaaa"_s, events);
    model.onSocketEvents(u"bbbbbb"_s, {connectEvent(socket(u"/"_s, u"b1"_s)),
                                       connectEvent(socket(u"/"_s, u"b2"_s))});
    QCOMPARE(model.rowCount(), 8);
    ModelSpies spies(&model);
    MembershipSpy membership(&model);

    model.onSocketList(page(u"aaaaaa"_s, 0, false,
                            {socket(u"/"_s, u"a1"_s, {u"room"_s}), socket(u"/"_s, u"a2"_s)}));
    model.onSocketList(page(u"aaaaaa"_s, 1, false, {socket(u"/"_s, u"a4"_s, {u"room"_s})}));
    // Nothing goes before the last page.
    QCOMPARE(model.rowCount(), 8);
    QCOMPARE(spies.removed.size(), 0);
    model.onSocketList(page(u"aaaaaa"_s, 2, true, {}));
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(removedRows(spies.removed), 3);
    QCOMPARE(spies.removed.size(), 2); // a3 alone, a5 and a6 together
    QCOMPARE(spies.inserted.size(), 0);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(socketIds(model),
             (QStringList{u"/ a1"_s, u"/ a2"_s, u"/ a4"_s, u"/ b1"_s, u"/ b2"_s}));
    QCOMPARE(socketIndexErrors(model), QString());
    for (const QString &id : {u"a1"_s, u"a2"_s, u"a4"_s})
        QCOMPARE(model.find(u"/"_s, id)->nodeUid, u"aaaaaa"_s);
    for (const QString &id : {u"b1"_s, u"b2"_s})
        QCOMPARE(model.find(u"/"_s, id)->nodeUid, u"bbbbbb"_s);
    QCOMPARE(model.find(u"/"_s, u"a2"_s)->socket.rooms, QStringList());
    // a2 left "room" (listed without it), a3, a5, a6 disconnected.
    QCOMPARE(membership.size(), 4);
    for (const auto &args : membership) {
        QCOMPARE(args.at(1).toString(), u"room"_s);
        QCOMPARE(args.at(3).toBool(), false);
    }

    // A new listing restarts at seq 0: what an abandoned listing saw does not count.
    model.onSocketList(page(u"aaaaaa"_s, 0, false, {socket(u"/"_s, u"a1"_s)}));
    model.onSocketList(page(u"aaaaaa"_s, 0, true, {socket(u"/"_s, u"a4"_s)}));
    QCOMPARE(socketIds(model), (QStringList{u"/ a4"_s, u"/ b1"_s, u"/ b2"_s}));
    QCOMPARE(socketIndexErrors(model), QString());

    // An empty last page alone: the node has no sockets any more.
    model.onSocketList(page(u"bbbbbb"_s, 0, true, {}));
    QCOMPARE(socketIds(model), QStringList{u"/ a4"_s});
    QCOMPARE(spies.reset.size(), 0);
}

void TestConsoleModels::socketsEvents()
{
    SocketsModel model(nullptr);
    QAbstractItemModelTester tester(&model, TesterMode);
    ModelSpies spies(&model);
    MembershipSpy membership(&model);
    using Kind = SocketEvent::Kind;
    const auto signal = [&membership](int n) {
        const QList<QVariant> &args = membership.at(n);
        return args.at(0).toString() + u' ' + args.at(1).toString() + u' ' + args.at(2).toString() +
               u' ' + (args.at(3).toBool() ? u"+"_s : u"-"_s);
    };

    model.onSocketEvents(u"aaaaaa"_s, {connectEvent(socket(u"/chat"_s, u"s1"_s, {u"lobby"_s})),
                                       connectEvent(socket(u"/chat"_s, u"s2"_s))});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.inserted.size(), 2);
    QCOMPARE(membership.size(), 1);
    QCOMPARE(signal(0), u"/chat lobby s1 +"_s);
    QCOMPARE(model.find(u"/chat"_s, u"s1"_s)->nodeUid, u"aaaaaa"_s);

    spies.clear();
    model.onSocketEvents(u"aaaaaa"_s, {roomEvent(Kind::Join, u"/chat"_s, u"s1"_s, u"games"_s),
                                       roomEvent(Kind::Join, u"/chat"_s, u"s1"_s, u"games"_s),
                                       roomEvent(Kind::Join, u"/chat"_s, u"s2"_s, u"lobby"_s)});
    QCOMPARE(membership.size(), 3);
    QCOMPARE(signal(1), u"/chat games s1 +"_s);
    QCOMPARE(signal(2), u"/chat lobby s2 +"_s);
    const int i1 = positionOf(model, model.find(u"/chat"_s, u"s1"_s));
    QCOMPARE(text(model, i1, SocketsModel::Rooms), u"games, lobby"_s);
    QCOMPARE(spies.inserted.size(), 0);
    QVERIFY(spies.changed.size() >= 2);
    for (const auto &args : spies.changed)
        QVERIFY(args.at(0).toModelIndex().column() <= SocketsModel::Rooms &&
                args.at(1).toModelIndex().column() >= SocketsModel::Rooms);

    model.onSocketEvents(u"aaaaaa"_s, {roomEvent(Kind::Leave, u"/chat"_s, u"s1"_s, u"lobby"_s),
                                       roomEvent(Kind::Leave, u"/chat"_s, u"s1"_s, u"nope"_s),
                                       roomEvent(Kind::Join, u"/chat"_s, u"ghost"_s, u"x"_s),
                                       roomEvent(Kind::Join, u"/"_s, u"s1"_s, u"x"_s)});
    QCOMPARE(membership.size(), 4);
    QCOMPARE(signal(3), u"/chat lobby s1 -"_s);
    QCOMPARE(text(model, i1, SocketsModel::Rooms), u"games"_s);
    QCOMPARE(model.rowCount(), 2);

    model.onSocketEvents(u"aaaaaa"_s, {disconnectEvent(u"/chat"_s, u"s1"_s),
                                       disconnectEvent(u"/chat"_s, u"ghost"_s)});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(spies.removed.size(), 1);
    QCOMPARE(membership.size(), 5);
    QCOMPARE(signal(4), u"/chat games s1 -"_s);
    QVERIFY(!model.find(u"/chat"_s, u"s1"_s));
    QCOMPARE(socketIndexErrors(model), QString());

    // A reconnect with the same id is a new row again.
    model.onSocketEvents(u"bbbbbb"_s, {connectEvent(socket(u"/chat"_s, u"s1"_s))});
    QCOMPARE(model.find(u"/chat"_s, u"s1"_s)->nodeUid, u"bbbbbb"_s);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.reset.size(), 0);
}

void TestConsoleModels::socketsNodeGone()
{
    NodesModel nodes;
    SocketsModel model(&nodes);
    QAbstractItemModelTester tester(&model, TesterMode);
    connect(&nodes, &NodesModel::nodeGone, &model, &SocketsModel::onNodeGone);
    nodes.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 5}}));
    nodes.onPresence(presence(u"bbbbbb"_s, u"node-b"_s, {{u"/"_s, 5}}));
    for (int n = 0; n < 10; ++n)
        model.onSocketEvents(n % 2 ? u"aaaaaa"_s : u"bbbbbb"_s,
                             {connectEvent(socket(u"/"_s, u"s"_s + QString::number(n),
                                                  {u"r"_s + QString::number(n % 3)}))});
    model.onForeignSockets(u"/"_s, {foreign(u"/"_s, u"f1"_s)});
    QCOMPARE(model.rowCount(), 11);
    ModelSpies spies(&model);
    MembershipSpy membership(&model);

    NodePresence leaving = presence(u"aaaaaa"_s, u"node-a"_s, {});
    leaving.leaving = true;
    nodes.onPresence(leaving);
    QCOMPARE(model.rowCount(), 6);
    QCOMPARE(spies.removed.size(), 5);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(membership.size(), 5);
    QCOMPARE(socketIds(model),
             (QStringList{u"/ f1"_s, u"/ s0"_s, u"/ s2"_s, u"/ s4"_s, u"/ s6"_s, u"/ s8"_s}));
    QCOMPARE(socketIndexErrors(model), QString());
    for (int i = 0; i < model.rowCount(); ++i)
        QVERIFY(model.row(i)->nodeUid != u"aaaaaa"_s);

    // Directly, and for a node without sockets.
    model.onNodeGone(u"zzzzzz"_s);
    QCOMPARE(model.rowCount(), 6);
    model.onNodeGone(u"bbbbbb"_s);
    QCOMPARE(socketIds(model), QStringList{u"/ f1"_s});
    QCOMPARE(socketIndexErrors(model), QString());
}

void TestConsoleModels::socketsForeign()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 1}}));
    SocketsModel model(&nodes);
    QAbstractItemModelTester tester(&model, TesterMode);
    model.onSocketEvents(u"aaaaaa"_s, {connectEvent(socket(u"/"_s, u"shared"_s, {u"sb"_s}))});
    ModelSpies spies(&model);
    MembershipSpy membership(&model);

    model.onForeignSockets(u"/"_s,
                           {foreign(u"/"_s, u"f1"_s, {u"lobby"_s}), foreign(u"/"_s, u"f2"_s),
                            foreign(u"/"_s, u"shared"_s, {u"other"_s})});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(spies.inserted.size(), 2);
    QCOMPARE(membership.size(), 1);
    const SocketsModel::Row *f1 = model.find(u"/"_s, u"f1"_s);
    QVERIFY(f1);
    QCOMPARE(f1->nodeUid, QString());
    QVERIFY(f1->seenAt > 0);
    const int i = positionOf(model, f1);
    QCOMPARE(text(model, i, SocketsModel::Node), u"foreign server"_s);
    QCOMPARE(text(model, i, SocketsModel::Id, SocketsModel::NodeUidRole), QString());
    QCOMPARE(text(model, i, SocketsModel::Rooms), u"lobby"_s);
    QCOMPARE(text(model, i, SocketsModel::Address), u"10.0.0.9"_s);
    QCOMPARE(text(model, i, SocketsModel::Auth), u"user"_s);

    // The Switchboard socket with the same id keeps what its node said.
    const SocketsModel::Row *shared = model.find(u"/"_s, u"shared"_s);
    QCOMPARE(shared->nodeUid, u"aaaaaa"_s);
    QCOMPARE(shared->socket.rooms, QStringList{u"sb"_s});
    QCOMPARE(shared->socket.address, u"127.0.0.1"_s);
    QCOMPARE(text(model, positionOf(model, shared), SocketsModel::Node), u"node-a"_s);

    // Another namespace is listed on its own; the same id there is another socket.
    model.onForeignSockets(u"/chat"_s, {foreign(u"/chat"_s, u"f1"_s)});
    QCOMPARE(model.rowCount(), 4);
    QVERIFY(model.find(u"/chat"_s, u"f1"_s));

    // A later answer without f2 (e.g. from another server): f2 is not gone at once.
    spies.clear();
    model.onForeignSockets(u"/"_s, {foreign(u"/"_s, u"f1"_s, {u"lobby"_s, u"vip"_s})});
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(spies.removed.size(), 0);
    QVERIFY(model.find(u"/"_s, u"f2"_s));
    QCOMPARE(model.find(u"/"_s, u"f1"_s)->socket.rooms, (QStringList{u"lobby"_s, u"vip"_s}));
    QCOMPARE(membership.size(), 2);
    model.onForeignSockets(u"/"_s, {});
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(socketIndexErrors(model), QString());

    // A Switchboard node listing a socket the console took for foreign claims it.
    model.onSocketEvents(u"aaaaaa"_s, {connectEvent(socket(u"/"_s, u"f2"_s))});
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.find(u"/"_s, u"f2"_s)->nodeUid, u"aaaaaa"_s);
    QCOMPARE(spies.reset.size(), 0);
}

// Removing rows in every position, one at a time: the index and the rooms stay exact.
void TestConsoleModels::socketsRemovalKeepsIndex()
{
    SocketsModel model(nullptr);
    QAbstractItemModelTester tester(&model, TesterMode);
    RoomsModel rooms;
    QAbstractItemModelTester roomsTester(&rooms, TesterMode);
    connect(&model, &SocketsModel::membershipsChanged, &rooms, &RoomsModel::onMemberships);
    constexpr int Count = 40;
    QList<SocketEvent> events;
    for (int n = 0; n < Count; ++n)
        events << connectEvent(socket(n % 2 ? u"/"_s : u"/chat"_s, u"s"_s + QString::number(n),
                                      {u"r"_s + QString::number(n % 5)}));
    model.onSocketEvents(u"aaaaaa"_s, events);
    QCOMPARE(model.rowCount(), Count);
    QCOMPARE(rooms.rowCount(), 10);

    // Remove from the middle, the front and the end in turns.
    QList<int> order;
    for (int n = 0; n < Count; ++n)
        order << (n * 17) % Count;
    QSet<int> left;
    for (int n = 0; n < Count; ++n)
        left.insert(n);
    for (int n : std::as_const(order)) {
        model.onSocketEvents(u"aaaaaa"_s, {disconnectEvent(n % 2 ? u"/"_s : u"/chat"_s,
                                                           u"s"_s + QString::number(n))});
        left.remove(n);
        QCOMPARE(model.rowCount(), left.size());
        QCOMPARE(socketIndexErrors(model), QString());
        QMap<QString, QStringList> expected;
        for (int m : std::as_const(left))
            expected[(m % 2 ? u"/"_s : u"/chat"_s) + u" r"_s + QString::number(m % 5)]
                << u"s"_s + QString::number(m);
        for (QStringList &members : expected)
            members.sort();
        QCOMPARE(roomsOf(rooms), expected);
    }
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(rooms.rowCount(), 0);
}

// What the sockets view's Disconnect would hit: the sockets of the selected rows of its proxy.
QMap<QString, QStringList> selectedIds(const QItemSelectionModel &selection)
{
#ifdef OLD_API
    QMap<QString, QStringList> out;
    const auto *filter = static_cast<const QSortFilterProxyModel *>(selection.model());
    const auto *model = static_cast<const SocketsModel *>(filter->sourceModel());
    for (const QModelIndex &index : selection.selectedRows())
        if (const SocketsModel::Row *r = model->row(filter->mapToSource(index).row()))
            out[r->socket.nsp].append(r->socket.id);
    return out;
#else
    return switchboard::console::selectedSockets(selection);
#endif
}

void TestConsoleModels::socketsSelectionFollowsItsSocket_data()
{
    QTest::addColumn<int>("sortColumn");
    QTest::addColumn<Qt::SortOrder>("order");
    QTest::addRow("unsorted, as the view starts") << -1 << Qt::AscendingOrder;
    QTest::addRow("sorted by id, descending") << int(SocketsModel::Id) << Qt::DescendingOrder;
    QTest::addRow("sorted by rooms") << int(SocketsModel::Rooms) << Qt::AscendingOrder;
}

// The user selects socket X; other sockets go, in every position, alone and in batches (a
// batch of many rows far apart is announced as one change of layout): the selection, a
// persistent index, and what Disconnect would hit stay X. When X itself goes, nothing is
// selected.
void TestConsoleModels::socketsSelectionFollowsItsSocket()
{
    QFETCH(int, sortColumn);
    QFETCH(Qt::SortOrder, order);
    SocketsModel model(nullptr);
    QAbstractItemModelTester tester(&model, TesterMode);
    SocketsFilter filter; // as the sockets view sets it up
    filter.setSourceModel(&model);
    filter.setSortRole(SocketsModel::SortRole);
    filter.sort(sortColumn, order);
    QAbstractItemModelTester filterTester(&filter, TesterMode);
    QItemSelectionModel selection(&filter);
    constexpr int Count = 60;
    const auto id = [](int n) { return u"s%1"_s.arg(n, 2, 10, QLatin1Char('0')); };
    QList<SocketEvent> events;
    for (int n = 1; n <= Count; ++n)
        events << connectEvent(socket(u"/"_s, id(n), {u"r%1"_s.arg(n % 3)}));
    model.onSocketEvents(u"aaaaaa"_s, events);
    const auto proxyRowOf = [&filter](const QString &wanted) {
        for (int r = 0; r < filter.rowCount(); ++r)
            if (filter.index(r, SocketsModel::Id).data().toString() == wanted)
                return r;
        return -1;
    };
    // X is the last row of the model: the one the old swap moved into every hole.
    const QString x = id(Count);
    selection.select(filter.index(proxyRowOf(x), 0),
                     QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    const QPersistentModelIndex persistent = filter.index(proxyRowOf(x), SocketsModel::Id);
    const QMap<QString, QStringList> justX{{u"/"_s, {x}}};
    QCOMPARE(selectedIds(selection), justX);

    for (int gone : {2, 1, Count - 1, 4}) {
        model.onSocketEvents(u"aaaaaa"_s, {disconnectEvent(u"/"_s, id(gone))});
        QVERIFY2(persistent.isValid(), qPrintable(id(gone)));
        QCOMPARE(persistent.data().toString(), x);
        QCOMPARE(selectedIds(selection), justX);
        QCOMPARE(socketIndexErrors(model), QString());
    }
    // A few in one batch, X's neighbour among them: one removal per run of rows.
    ModelSpies spies(&model);
    model.onSocketEvents(u"aaaaaa"_s,
                         {disconnectEvent(u"/"_s, id(3)), disconnectEvent(u"/"_s, id(Count - 2)),
                          disconnectEvent(u"/"_s, id(5))});
    QCOMPARE(spies.removed.size(), 2); // s03 and s05 are neighbours now
    QCOMPARE(spies.layout.size(), 0);
    QCOMPARE(persistent.data().toString(), x);
    QCOMPARE(selectedIds(selection), justX);

    // Many far apart in one batch: one change of layout, and X stays selected.
    spies.clear();
    QList<SocketEvent> scattered;
    for (int n = 7; n < Count - 2; n += 2)
        scattered << disconnectEvent(u"/"_s, id(n));
    QVERIFY(scattered.size() > SocketsModel::MaxSeparateRemovals);
    model.onSocketEvents(u"aaaaaa"_s, scattered);
    QCOMPARE(spies.layout.size(), 1);
    QCOMPARE(spies.removed.size(), 0);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(model.rowCount(), Count - 7 - int(scattered.size()));
    QCOMPARE(socketIndexErrors(model), QString());
    QVERIFY(persistent.isValid());
    QCOMPARE(persistent.data().toString(), x);
    QCOMPARE(selectedIds(selection), justX);

    // The selected socket itself goes: Disconnect has nothing to hit, least of all another.
    model.onSocketEvents(u"aaaaaa"_s, {disconnectEvent(u"/"_s, x)});
    QVERIFY(!persistent.isValid());
    QCOMPARE(selectedIds(selection), (QMap<QString, QStringList>{}));
    QVERIFY(!model.find(u"/"_s, x));
}

// ---- RoomsModel ---------------------------------------------------------------------------

void TestConsoleModels::roomsCountsAndMembers()
{
    SocketsModel sockets(nullptr);
    RoomsModel model;
    QAbstractItemModelTester tester(&model, TesterMode);
    connect(&sockets, &SocketsModel::membershipsChanged, &model, &RoomsModel::onMemberships);
    ModelSpies spies(&model);
    using Kind = SocketEvent::Kind;

    sockets.onSocketEvents(u"aaaaaa"_s,
                           {connectEvent(socket(u"/"_s, u"s3"_s, {u"lobby"_s, u"vip"_s})),
                            connectEvent(socket(u"/"_s, u"s1"_s, {u"lobby"_s})),
                            connectEvent(socket(u"/chat"_s, u"s2"_s, {u"lobby"_s})),
                            connectEvent(socket(u"/"_s, u"s2"_s))});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(spies.inserted.size(), 3);
    QCOMPARE(roomsOf(model), (QMap<QString, QStringList>{
                                 {u"/ lobby"_s, {u"s1"_s, u"s3"_s}},
                                 {u"/ vip"_s, {u"s3"_s}},
                                 {u"/chat lobby"_s, {u"s2"_s}},
                             }));
    int lobby = -1;
    for (int i = 0; i < model.rowCount(); ++i)
        if (text(model, i, RoomsModel::Namespace) == u"/"_s &&
            text(model, i, RoomsModel::Room) == u"lobby"_s)
            lobby = i;
    QVERIFY(lobby >= 0);
    QCOMPARE(model.index(lobby, RoomsModel::Members).data().toInt(), 2);
    QCOMPARE(model.members(lobby), (QStringList{u"s1"_s, u"s3"_s}));
    QCOMPARE(model.members(-1), QStringList());
    QCOMPARE(model.members(99), QStringList());

    spies.clear();
    sockets.onSocketEvents(u"aaaaaa"_s, {roomEvent(Kind::Join, u"/"_s, u"s2"_s, u"lobby"_s)});
    QCOMPARE(model.members(lobby), (QStringList{u"s1"_s, u"s2"_s, u"s3"_s}));
    QCOMPARE(model.index(lobby, RoomsModel::Members).data().toInt(), 3);
    QCOMPARE(spies.inserted.size(), 0);
    QCOMPARE(spies.changed.size(), 1);

    // The last member of "/ vip" (row 1 of 3) leaves: the row goes, the others stay right.
    sockets.onSocketEvents(u"aaaaaa"_s, {roomEvent(Kind::Leave, u"/"_s, u"s3"_s, u"vip"_s)});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(spies.removed.size(), 1);
    QCOMPARE(roomsOf(model), (QMap<QString, QStringList>{
                                 {u"/ lobby"_s, {u"s1"_s, u"s2"_s, u"s3"_s}},
                                 {u"/chat lobby"_s, {u"s2"_s}},
                             }));

    // Disconnects leave every room.
    sockets.onSocketEvents(u"aaaaaa"_s,
                           {disconnectEvent(u"/"_s, u"s1"_s), disconnectEvent(u"/"_s, u"s3"_s),
                            disconnectEvent(u"/chat"_s, u"s2"_s)});
    QCOMPARE(roomsOf(model), (QMap<QString, QStringList>{{u"/ lobby"_s, {u"s2"_s}}}));
    sockets.onSocketEvents(u"aaaaaa"_s, {disconnectEvent(u"/"_s, u"s2"_s)});
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(spies.removed.size(), 3);
    QCOMPARE(spies.reset.size(), 0);

    // Clearing the sockets takes every membership away: the rooms empty.
    sockets.onSocketEvents(u"aaaaaa"_s, {connectEvent(socket(u"/"_s, u"s1"_s, {u"a"_s, u"b"_s})),
                                         connectEvent(socket(u"/"_s, u"s2"_s, {u"b"_s}))});
    QCOMPARE(model.rowCount(), 2);
    QSignalSpy socketsReset(&sockets, &QAbstractItemModel::modelReset);
    sockets.clear();
    QCOMPARE(socketsReset.size(), 1);
    QCOMPARE(sockets.rowCount(), 0);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(removedRows(spies.removed), 5);
    QCOMPARE(spies.removed.size(), 4); // both rooms of the clear() in one
    QCOMPARE(spies.reset.size(), 0);

    // A removal for an unknown room is ignored; clear() resets.
    model.onMembership(u"/"_s, u"none"_s, u"s1"_s, false);
    QCOMPARE(model.rowCount(), 0);
    model.onMembership(u"/"_s, u"x"_s, u"s1"_s, true);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(spies.reset.size(), 1);
}

// ---- SocketsFilter ------------------------------------------------------------------------

void TestConsoleModels::socketsFilter()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"aaaaaa"_s, u"alpha-node"_s, {{u"/"_s, 2}}));
    nodes.onPresence(presence(u"bbbbbb"_s, u"beta-node"_s, {{u"/"_s, 2}}));
    SocketsModel model(&nodes);
    SocketsFilter filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&model, TesterMode);
    QAbstractItemModelTester filterTester(&filter, TesterMode);

    SocketRecord chrome = socket(u"/"_s, u"c1"_s, {u"lobby"_s});
    chrome.userAgent = u"Mozilla/5.0 Chrome/120"_s;
    model.onSocketEvents(u"aaaaaa"_s, {connectEvent(chrome),
                                       connectEvent(socket(u"/"_s, u"a2"_s, {u"lobby2"_s})),
                                       connectEvent(socket(u"/chat"_s, u"a3"_s, {u"lobby"_s}))});
    model.onSocketEvents(u"bbbbbb"_s, {connectEvent(socket(u"/"_s, u"b1"_s, {u"lobby"_s})),
                                       connectEvent(socket(u"/chat"_s, u"b2"_s))});
    model.onForeignSockets(u"/"_s, {foreign(u"/"_s, u"f1"_s, {u"lobby"_s})});
    QCOMPARE(filter.rowCount(), 6);

    filter.setText(u"cHrOmE"_s); // user agent, any case
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"c1"_s});
    filter.setText(u"BETA-"_s); // the node's name
    QCOMPARE(column(filter, SocketsModel::Id), (QStringList{u"b1"_s, u"b2"_s}));
    filter.setText(u"lobby2"_s); // rooms
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"a2"_s});
    filter.setText(u"10.0.0"_s); // address
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"f1"_s});
    filter.setText(u"FOREIGN"_s);
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"f1"_s});
    filter.setText(u"/CHAT"_s);
    QCOMPARE(column(filter, SocketsModel::Id), (QStringList{u"a3"_s, u"b2"_s}));
    filter.setText(u"no such thing"_s);
    QCOMPARE(filter.rowCount(), 0);
    filter.setText(QString());
    QCOMPARE(filter.rowCount(), 6);

    filter.setNode(u"aaaaaa"_s);
    QCOMPARE(column(filter, SocketsModel::Id), (QStringList{u"a2"_s, u"a3"_s, u"c1"_s}));
    filter.setNamespace(u"/"_s);
    QCOMPARE(column(filter, SocketsModel::Id), (QStringList{u"a2"_s, u"c1"_s}));
    filter.setRoom(u"lobby"_s); // exact room, not "lobby2"
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"c1"_s});
    filter.setText(u"chrome"_s);
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"c1"_s});
    filter.setText(u"a2"_s);
    QCOMPARE(filter.rowCount(), 0);
    filter.setText(QString());
    filter.setNode(QString());
    QCOMPARE(column(filter, SocketsModel::Id), (QStringList{u"b1"_s, u"c1"_s, u"f1"_s}));
    filter.setNamespace(u"/chat"_s);
    QCOMPARE(column(filter, SocketsModel::Id), QStringList{u"a3"_s});
    filter.setRoom(QString());
    filter.setNamespace(QString());
    QCOMPARE(filter.rowCount(), 6);

    // Source updates flow through the filter.
    filter.setRoom(u"lobby"_s);
    QCOMPARE(filter.rowCount(), 4);
    model.onSocketEvents(u"bbbbbb"_s,
                         {roomEvent(SocketEvent::Kind::Join, u"/chat"_s, u"b2"_s, u"lobby"_s),
                          connectEvent(socket(u"/"_s, u"b3"_s, {u"lobby"_s})),
                          disconnectEvent(u"/"_s, u"c1"_s)});
    QCOMPARE(column(filter, SocketsModel::Id),
             (QStringList{u"a3"_s, u"b1"_s, u"b2"_s, u"b3"_s, u"f1"_s}));
}

// ---- TrafficModel -------------------------------------------------------------------------

void TestConsoleModels::trafficBatchesOnFlush()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"abc123"_s, u"node-a"_s, {{u"/chat"_s, 1}}));
    TrafficModel model(&nodes);
    QAbstractItemModelTester tester(&model, TesterMode);
    ModelSpies spies(&model);
    QCOMPARE(model.capacity(), 10000);

    for (int n = 0; n < 100; ++n)
        model.onTraffic(traffic(n));
    QCOMPARE(model.rowCount(), 0); // not before the flush
    QCOMPARE(model.total(), 100);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 100, TrafficModel::FlushMs * 10);
    QCOMPARE(spies.inserted.size(), 1);
    QCOMPARE(spies.inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(spies.inserted.at(0).at(2).toInt(), 99);

    QCOMPARE(text(model, 7, TrafficModel::Time),
             QDateTime::fromMSecsSinceEpoch(1795312888835).toString(u"HH:mm:ss.zzz"_s));
    QCOMPARE(text(model, 7, TrafficModel::Origin), u"node-a"_s);
    QCOMPARE(text(model, 7, TrafficModel::Kind), u"broadcast"_s);
    QCOMPARE(text(model, 7, TrafficModel::Namespace), u"/chat"_s);
    QCOMPARE(text(model, 7, TrafficModel::Rooms), u"lobby, r7"_s);
    QCOMPARE(text(model, 7, TrafficModel::Except), u"sid7"_s);
    QCOMPARE(text(model, 7, TrafficModel::Event), u"message"_s);
    QCOMPARE(text(model, 7, TrafficModel::Preview), u"[\"hello 7\"]"_s);
    QCOMPARE(model.index(7, TrafficModel::Size).data().toInt(), 47);
    QCOMPARE(model.record(7).size, 47);

    // Origins: the emitter, a foreign server, an unknown uid.
    nodes.onUidSeen(u"f00bar"_s, u"/chat"_s);
    model.onTraffic(traffic(100, u"emitter"_s));
    model.onTraffic(traffic(101, u"f00bar"_s));
    model.onTraffic(traffic(102, u"qqqqqq"_s));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 103, TrafficModel::FlushMs * 10);
    QCOMPARE(spies.inserted.size(), 2);
    QCOMPARE(spies.inserted.at(1).at(1).toInt(), 100);
    QCOMPARE(spies.inserted.at(1).at(2).toInt(), 102);
    QCOMPARE(text(model, 100, TrafficModel::Origin), u"emitter"_s);
    QCOMPARE(text(model, 101, TrafficModel::Origin), u"socket.io f00bar"_s);
    QCOMPARE(text(model, 102, TrafficModel::Origin), u"qqqqqq"_s);
    QCOMPARE(spies.removed.size(), 0);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(spies.changed.size(), 0);
}

void TestConsoleModels::trafficCapacityTrimsOldest()
{
    TrafficModel model(nullptr, 100);
    QAbstractItemModelTester tester(&model, TesterMode);
    ModelSpies spies(&model);
    QCOMPARE(model.capacity(), 100);

    // 250 in one burst: the newest 100 stay.
    for (int n = 0; n < 250; ++n)
        model.onTraffic(traffic(n));
    QTRY_COMPARE_WITH_TIMEOUT(spies.inserted.size(), 1, TrafficModel::FlushMs * 10);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.record(0).size, 40 + 150);
    QCOMPARE(model.record(99).size, 40 + 249);
    QCOMPARE(model.total(), 250);

    // 30 more: the 30 oldest go in one removal at the front.
    for (int n = 250; n < 280; ++n)
        model.onTraffic(traffic(n));
    QTRY_COMPARE_WITH_TIMEOUT(spies.inserted.size(), 2, TrafficModel::FlushMs * 10);
    QCOMPARE(spies.removed.size(), 1);
    QCOMPARE(spies.removed.at(0).at(1).toInt(), 0);
    QCOMPARE(spies.removed.at(0).at(2).toInt(), 29);
    QCOMPARE(model.rowCount(), 100);
    for (int i = 0; i < 100; ++i)
        QCOMPARE(model.record(i).size, 40 + 180 + i);

    // Over several flushes: still the newest, in order.
    for (int batch = 0; batch < 3; ++batch) {
        for (int n = 0; n < 60; ++n)
            model.onTraffic(traffic(280 + batch * 60 + n));
        QTRY_COMPARE_WITH_TIMEOUT(spies.inserted.size(), 3 + batch, TrafficModel::FlushMs * 10);
        QCOMPARE(model.rowCount(), 100);
    }
    for (int i = 0; i < 100; ++i)
        QCOMPARE(model.record(i).size, 40 + 360 + i);
    QCOMPARE(model.total(), 460);
    QCOMPARE(spies.reset.size(), 0);
}

void TestConsoleModels::trafficPause()
{
    TrafficModel model(nullptr);
    QAbstractItemModelTester tester(&model, TesterMode);
    ModelSpies spies(&model);
    QSignalSpy rates(&model, &TrafficModel::ratesChanged);

    for (int n = 0; n < 11; ++n)
        model.onTraffic(traffic(n));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 11, TrafficModel::FlushMs * 10);
    // A record not yet flushed when pausing is dropped too.
    model.onTraffic(traffic(11));
    model.setPaused(true);
    QVERIFY(model.isPaused());
    qint64 bytes = 0;
    for (int n = 0; n < 12; ++n)
        bytes += traffic(n).size;
    for (int n = 12; n < 30; ++n) {
        model.onTraffic(traffic(n));
        bytes += traffic(n).size;
    }
    QCOMPARE(model.total(), 30);
    // Rates cover the paused records: the first rate window closes about a second after
    // construction, and flushes have run meanwhile.
    QTRY_VERIFY_WITH_TIMEOUT(rates.size() >= 1, 3000);
    QVERIFY(model.messagesPerSecond() > 0);
    QVERIFY(model.bytesPerSecond() > 0);
    QVERIFY2(model.messagesPerSecond() <= 30 && model.messagesPerSecond() >= 10,
             qPrintable(QString::number(model.messagesPerSecond())));
    QCOMPARE(rates.constLast().at(0).toDouble(), model.messagesPerSecond());
    QVERIFY(model.bytesPerSecond() <= double(bytes));
    QCOMPARE(model.rowCount(), 11);
    QCOMPARE(model.record(10).size, traffic(10).size);

    model.setPaused(false);
    for (int n = 30; n < 35; ++n)
        model.onTraffic(traffic(n));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 16, TrafficModel::FlushMs * 10);
    QCOMPARE(model.record(11).size, traffic(30).size);
    QCOMPARE(model.total(), 35);
    QCOMPARE(spies.reset.size(), 0);
    QCOMPARE(spies.removed.size(), 0);
}

void TestConsoleModels::trafficClear()
{
    TrafficModel model(nullptr);
    QAbstractItemModelTester tester(&model, TesterMode);
    for (int n = 0; n < 20; ++n)
        model.onTraffic(traffic(n));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 20, TrafficModel::FlushMs * 10);
    ModelSpies spies(&model);
    for (int n = 20; n < 25; ++n)
        model.onTraffic(traffic(n)); // pending, dropped by clear()
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(spies.reset.size(), 1);
    model.onTraffic(traffic(99));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, TrafficModel::FlushMs * 10);
    QCOMPARE(model.record(0).size, traffic(99).size);
    QCOMPARE(spies.inserted.size(), 1);
}

void TestConsoleModels::trafficExportJsonLines()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"abc123"_s, u"node-a"_s, {{u"/chat"_s, 1}}));
    TrafficModel model(&nodes);
    model.onTraffic(traffic(0));
    model.onTraffic(traffic(1, u"emitter"_s));
    TrafficRecord empty;
    empty.time = 0;
    empty.kind = u"REMOTE_JOIN"_s;
    empty.nsp = u"/"_s;
    model.onTraffic(empty);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, TrafficModel::FlushMs * 10);

    QString error;
    const QByteArray content = exportOf(model, &error);
    QVERIFY2(!content.isNull(), qPrintable(error));
    QVERIFY(content.endsWith('\n'));
    const QList<QByteArray> lines = content.chopped(1).split('\n');
    QCOMPARE(lines.size(), 3);
    QList<QJsonObject> objects;
    for (const QByteArray &line : lines) {
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
        QVERIFY2(parseError.error == QJsonParseError::NoError, line.constData());
        QVERIFY(doc.isObject());
        objects << doc.object();
        QStringList keys = doc.object().keys();
        keys.sort();
        QCOMPARE(keys,
                 (QStringList{u"event"_s, u"except"_s, u"kind"_s, u"nsp"_s, u"origin"_s,
                              u"originName"_s, u"payload"_s, u"rooms"_s, u"size"_s, u"time"_s}));
    }
    const QJsonObject &first = objects.at(0);
    QCOMPARE(first.value(u"time"_s).toString(), u"2026-11-22T02:01:28.828Z"_s);
    QCOMPARE(QDateTime::fromString(first.value(u"time"_s).toString(), Qt::ISODateWithMs)
                 .toMSecsSinceEpoch(),
             1795312888828);
    QCOMPARE(first.value(u"origin"_s).toString(), u"abc123"_s);
    QCOMPARE(first.value(u"originName"_s).toString(), u"node-a"_s);
    QCOMPARE(first.value(u"kind"_s).toString(), u"broadcast"_s);
    QCOMPARE(first.value(u"nsp"_s).toString(), u"/chat"_s);
    QCOMPARE(first.value(u"rooms"_s).toArray(), (QJsonArray{u"lobby"_s, u"r0"_s}));
    QCOMPARE(first.value(u"except"_s).toArray(), QJsonArray{u"sid0"_s});
    QCOMPARE(first.value(u"event"_s).toString(), u"message"_s);
    QCOMPARE(first.value(u"payload"_s).toString(), u"[\"hello 0\"]"_s);
    QVERIFY(first.value(u"size"_s).isDouble());
    QCOMPARE(first.value(u"size"_s).toInt(), 40);
    QCOMPARE(objects.at(1).value(u"originName"_s).toString(), u"emitter"_s);
    QCOMPARE(objects.at(1).value(u"time"_s).toString(), u"2026-11-22T02:01:28.829Z"_s);
    const QJsonObject &last = objects.at(2);
    QCOMPARE(last.value(u"kind"_s).toString(), u"REMOTE_JOIN"_s);
    QCOMPARE(last.value(u"origin"_s).toString(), QString());
    QCOMPARE(last.value(u"originName"_s).toString(), QString());
    QVERIFY(last.value(u"rooms"_s).isArray());
    QCOMPARE(last.value(u"rooms"_s).toArray().size(), 0);
    QCOMPARE(last.value(u"time"_s).toString(), u"1970-01-01T00:00:00.000Z"_s);

    // Exporting again truncates.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"traffic.jsonl"_s);
    QVERIFY(model.exportJsonLines(path, &error));
    QVERIFY(model.exportJsonLines(path, &error));
    QCOMPARE(QFile(path).size(), content.size());
}

void TestConsoleModels::trafficExportUnwritable()
{
    TrafficModel model(nullptr);
    model.onTraffic(traffic(0));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, TrafficModel::FlushMs * 10);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString error;
    QVERIFY(!model.exportJsonLines(dir.filePath(u"missing/dir/traffic.jsonl"_s), &error));
    QVERIFY(!error.isEmpty());
    // A directory is no file either.
    error.clear();
    QVERIFY(!model.exportJsonLines(dir.path(), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!model.exportJsonLines(dir.path(), nullptr)); // no error wanted: no crash
}

void TestConsoleModels::trafficFilter()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"abc123"_s, u"Node-Alpha"_s, {{u"/chat"_s, 1}}));
    TrafficModel model(&nodes);
    TrafficFilter filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&model, TesterMode);
    QAbstractItemModelTester filterTester(&filter, TesterMode);

    for (int n = 0; n < 20; ++n) {
        TrafficRecord r = traffic(n, n % 2 ? u"abc123"_s : u"emitter"_s);
        if (n % 5 == 0)
            r.event = u"TypingStarted"_s;
        model.onTraffic(r);
    }
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 20, TrafficModel::FlushMs * 10);
    QCOMPARE(filter.rowCount(), 20);
    filter.setText(u"typingstarted"_s);
    QCOMPARE(filter.rowCount(), 4);
    filter.setText(u"node-alpha"_s); // the origin's name, not its uid
    QCOMPARE(filter.rowCount(), 10);
    filter.setText(u"EMITTER"_s);
    QCOMPARE(filter.rowCount(), 10);
    filter.setText(u"hello 13"_s); // payload
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, TrafficModel::Except).data().toString(), u"sid13"_s);
    filter.setText(u"sid1"_s); // except: sid1, sid10..sid19
    QCOMPARE(filter.rowCount(), 11);
    filter.setText(u"nothing like it"_s);
    QCOMPARE(filter.rowCount(), 0);

    // New records arrive through the filter.
    filter.setText(u"typingstarted"_s);
    TrafficRecord r = traffic(50);
    r.event = u"typingStarted"_s;
    model.onTraffic(r);
    model.onTraffic(traffic(51));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 22, TrafficModel::FlushMs * 10);
    QCOMPARE(filter.rowCount(), 5);
    filter.setText(QString());
    QCOMPARE(filter.rowCount(), 22);
}

namespace {
// The traffic records the watcher makes of pub/sub messages fed to it as Redis delivers them.
QList<TrafficRecord> trafficOf(const QList<std::pair<QByteArray, QByteArray>> &messages)
{
    ClusterWatcher watcher;
    QList<TrafficRecord> records;
    QObject::connect(&watcher, &ClusterWatcher::traffic,
                     [&records](const TrafficRecord &r) { records << r; });
    for (const auto &[channel, payload] : messages) {
        const QByteArray pattern = channel.startsWith("socket.io-request#") ? "socket.io-request#*"
                                   : channel.startsWith("socket.io-response#")
                                       ? "socket.io-response#*"
                                       : "socket.io#*";
        watcher.onPatternMessage(pattern, channel, payload);
    }
    return records;
}
} // namespace

// The Kind column says what went by in one spelling: a broadcast, a broadcast with acks (the
// adapter's BROADCAST request), the other requests and their responses, all lower-case.
void TestConsoleModels::trafficKindsOneSpelling()
{
    using switchboard::cluster::BroadcastMessage;
    BroadcastMessage broadcast;
    broadcast.uid = u"abc123"_s;
    broadcast.nsp = u"/"_s;
    broadcast.data = {u"news"_s, 1};
    const QVariantMap withAcks{
        {u"uid"_s, u"abc123"_s},
        {u"requestId"_s, u"r1"_s},
        {u"type"_s, 7},
        {u"packet"_s,
         QVariantMap{{u"nsp"_s, u"/"_s}, {u"type"_s, 2}, {u"data"_s, QVariantList{u"q"_s}}}},
        {u"opts"_s, QVariantMap{{u"rooms"_s, QVariantList{}}, {u"except"_s, QVariantList{}}}}};
    const QVariantMap join{{u"uid"_s, u"abc123"_s},
                           {u"type"_s, 2},
                           {u"rooms"_s, QVariantList{u"vip"_s}},
                           {u"opts"_s, QVariantMap{{u"rooms"_s, QVariantList{u"s1"_s}}}}};
    const QVariantMap count{{u"type"_s, 8}, {u"requestId"_s, u"r1"_s}, {u"clientCount"_s, 2}};
    const QList<TrafficRecord> records = trafficOf({
        {"socket.io#/#", switchboard::cluster::encodeBroadcast(broadcast)},
        {"socket.io-request#/#", switchboard::msgpack::encode(withAcks)},
        {"socket.io-request#/#", switchboard::cluster::encodeJson(join)},
        {"socket.io-response#/#", switchboard::cluster::encodeJson(count)},
    });
    QStringList kinds;
    for (const TrafficRecord &r : records)
        kinds << r.kind;
    QCOMPARE(kinds, (QStringList{u"broadcast"_s, u"broadcast with acks"_s, u"remote join"_s,
                                 u"broadcast client count response"_s}));
    for (const QString &kind : std::as_const(kinds))
        QCOMPARE(kind, kind.toLower());
}

// A Node.js server's REMOTE_FETCH answer carries every socket's handshake, credentials
// included. The console keeps their names and never their values: not in any role of the
// traffic table, not in the export.
void TestConsoleModels::remoteFetchAnswerShowsNoSecrets()
{
    const QVariantMap handshake{
        {u"address"_s, u"10.0.0.9"_s},
        {u"auth"_s, QVariantMap{{u"token"_s, u"s3cret"_s}, {u"user"_s, u"ann"_s}}},
        {u"headers"_s, QVariantMap{{u"authorization"_s, u"Bearer s3cret"_s},
                                   {u"Cookie"_s, u"sid=s3cret"_s},
                                   {u"sec-websocket-protocol"_s, u"s3cret"_s},
                                   {u"user-agent"_s, u"node"_s}}},
        {u"issued"_s, qint64(1795312888000)},
        {u"query"_s, QVariantMap{{u"EIO"_s, u"4"_s}}}};
    const QVariantMap answer{
        {u"requestId"_s, u"f1"_s},
        {u"sockets"_s, QVariantList{QVariantMap{{u"id"_s, u"sock1"_s},
                                                {u"handshake"_s, handshake},
                                                {u"rooms"_s, QVariantList{u"sock1"_s}}}}}};
    const QByteArray payload = switchboard::cluster::encodeJson(answer);
    QVERIFY(payload.contains("s3cret"));
    const QList<TrafficRecord> records = trafficOf({{"socket.io-response#/#", payload}});
    QCOMPARE(records.size(), 1);

    TrafficModel model(nullptr);
    for (const TrafficRecord &r : records)
        model.onTraffic(r);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, TrafficModel::FlushMs * 10);
    const QString preview = text(model, 0, TrafficModel::Preview);
    for (const char *name : {"token", "user", "authorization", "Cookie", "sec-websocket-protocol"})
        QVERIFY2(preview.contains(QLatin1String(name)), qPrintable(preview));
    QVERIFY2(preview.contains(u"[redacted]"_s), qPrintable(preview));
    QVERIFY2(preview.contains(u"user-agent\":\"node"_s), qPrintable(preview)); // not a secret
    for (int c = 0; c < model.columnCount(); ++c)
        for (int role = 0; role <= Qt::UserRole + 8; ++role)
            QVERIFY2(!model.index(0, c).data(role).toString().contains(u"s3cret"_s),
                     qPrintable(u"column %1 role %2"_s.arg(c).arg(role)));
    QString error;
    const QByteArray exported = exportOf(model, &error);
    QVERIFY2(!exported.isNull(), qPrintable(error));
    QVERIFY(exported.contains("sock1"));
    QVERIFY2(!exported.contains("s3cret"), exported.constData());

    // The values go wherever the handshake is, whatever shape the rest has.
    const QVariant cleaned = switchboard::console::withoutCredentials(
        QVariantList{answer, QVariantMap{{u"handshake"_s, QVariantMap{{u"auth"_s, u"s3cret"_s}}}}});
    QVERIFY(!QString::fromUtf8(switchboard::json::serialize(cleaned)).contains(u"s3cret"_s));
}

// ---- volume -------------------------------------------------------------------------------

// 20 000 sockets and 5 000 traffic records: the counts are right and the number of model
// signals grows with the batches of changes, never with resets or with the sockets (and for
// traffic, with the flushes). The proxies the views use, sorted as the views sort, re-sort
// once per batch, not once per socket that goes.
void TestConsoleModels::volume()
{
    NodesModel nodes;
    nodes.onPresence(presence(u"aaaaaa"_s, u"node-a"_s, {{u"/"_s, 10000}}));
    nodes.onPresence(presence(u"bbbbbb"_s, u"node-b"_s, {{u"/"_s, 10000}}));
    SocketsModel sockets(&nodes);
    RoomsModel rooms;
    connect(&sockets, &SocketsModel::membershipsChanged, &rooms, &RoomsModel::onMemberships);
    SocketsFilter socketsProxy; // the sockets view's, sorted by a click on "Socket id"
    socketsProxy.setSourceModel(&sockets);
    socketsProxy.setSortRole(SocketsModel::SortRole);
    socketsProxy.sort(SocketsModel::Id, Qt::DescendingOrder);
    QSortFilterProxyModel roomsProxy; // the rooms view's, biggest rooms first
    roomsProxy.setSourceModel(&rooms);
    roomsProxy.setSortRole(Qt::UserRole + 1);
    roomsProxy.sort(RoomsModel::Members, Qt::DescendingOrder);
    // No QAbstractItemModelTester here: it walks the whole model after every insertion,
    // which makes 20 000 insertions quadratic. The other tests run it on the same code paths.
    ModelSpies socketSpies(&sockets);
    ModelSpies roomSpies(&rooms);
    ModelSpies socketsProxySpies(&socketsProxy);
    ModelSpies roomsProxySpies(&roomsProxy);

    constexpr int Sockets = 20000;
    constexpr int Batch = 500;
    constexpr int Batches = Sockets / Batch;
    constexpr int Rooms = 100;
    const auto id = [](int n) { return u"sock%1"_s.arg(n, 6, 10, QLatin1Char('0')); };
    for (int first = 0; first < Sockets; first += Batch) {
        QList<SocketEvent> events;
        events.reserve(Batch);
        for (int n = first; n < first + Batch; ++n)
            events << connectEvent(socket(u"/"_s, id(n), {u"room%1"_s.arg(n % Rooms)}));
        sockets.onSocketEvents(first % 2000 < 1000 ? u"aaaaaa"_s : u"bbbbbb"_s, events);
    }
    QCOMPARE(sockets.rowCount(), Sockets);
    QCOMPARE(socketsProxy.rowCount(), Sockets);
    QCOMPARE(socketSpies.inserted.size(), Sockets);
    QCOMPARE(socketSpies.changed.size(), 0);
    QCOMPARE(socketSpies.removed.size(), 0);
    QCOMPARE(socketSpies.reset.size(), 0);
    QCOMPARE(rooms.rowCount(), Rooms);
    QCOMPARE(roomSpies.inserted.size(), Rooms);
    QCOMPARE(roomSpies.changed.size(), Batches); // member counts: once per batch
    QCOMPARE(roomSpies.reset.size(), 0);
    QVERIFY2(roomsProxySpies.layout.size() <= Batches,
             qPrintable(QString::number(roomsProxySpies.layout.size())));
    for (int i = 0; i < rooms.rowCount(); ++i)
        QCOMPARE(rooms.index(i, RoomsModel::Members).data().toInt(), Sockets / Rooms);
    QCOMPARE(socketIndexErrors(sockets), QString());

    // Node a lists the same sockets again in pages of 500: nothing to insert or remove.
    socketSpies.clear();
    QList<SocketRecord> listed;
    for (int n = 0; n < Sockets; ++n)
        if ((n / Batch * Batch) % 2000 < 1000)
            listed << socket(u"/"_s, id(n), {u"room%1"_s.arg(n % Rooms)});
    QCOMPARE(listed.size(), Sockets / 2);
    for (int seq = 0; seq * Batch < listed.size(); ++seq)
        sockets.onSocketList(page(u"aaaaaa"_s, seq, (seq + 1) * Batch >= listed.size(),
                                  listed.mid(seq * Batch, Batch)));
    QCOMPARE(sockets.rowCount(), Sockets);
    QCOMPARE(socketSpies.inserted.size(), 0);
    QCOMPARE(socketSpies.removed.size(), 0);
    QCOMPARE(socketSpies.reset.size(), 0);

    // Every other socket disconnects: 10 000 removals far apart, in 40 batches.
    socketSpies.clear();
    roomSpies.clear();
    socketsProxySpies.clear();
    roomsProxySpies.clear();
    for (int first = 0; first < Sockets; first += Batch) {
        QList<SocketEvent> events;
        for (int n = first; n < first + Batch; n += 2)
            events << disconnectEvent(u"/"_s, id(n));
        sockets.onSocketEvents(first % 2000 < 1000 ? u"aaaaaa"_s : u"bbbbbb"_s, events);
    }
    QCOMPARE(sockets.rowCount(), Sockets / 2);
    QCOMPARE(socketsProxy.rowCount(), Sockets / 2);
    // One announcement per batch, not 10 000; the same through the sorted proxy.
    QCOMPARE(socketSpies.removed.size() + socketSpies.layout.size(), Batches);
    QCOMPARE(socketSpies.reset.size(), 0);
    QCOMPARE(socketsProxySpies.removed.size() + socketsProxySpies.layout.size(), Batches);
    QCOMPARE(socketsProxySpies.reset.size(), 0);
    QCOMPARE(rooms.rowCount(), Rooms / 2); // even rooms held only even sockets
    QCOMPARE(roomSpies.reset.size(), 0);
    // Per batch at most one re-sort for the counts and one announcement for emptied rooms.
    QVERIFY2(roomsProxySpies.layout.size() + roomsProxySpies.removed.size() <= 2 * Batches,
             qPrintable(u"%1 layouts, %2 removals"_s.arg(roomsProxySpies.layout.size())
                            .arg(roomsProxySpies.removed.size())));
    QCOMPARE(roomsProxy.rowCount(), Rooms / 2);
    QCOMPARE(socketIndexErrors(sockets), QString());
    for (int i = 0; i < sockets.rowCount(); ++i)
        QVERIFY(sockets.row(i)->socket.id.back().digitValue() % 2 == 1);
    for (int r = 1; r < socketsProxy.rowCount(); ++r)
        QVERIFY(socketsProxy.index(r - 1, 0).data().toString() >
                socketsProxy.index(r, 0).data().toString());

    // Node b goes: its sockets go, one announcement per run of its rows.
    socketSpies.clear();
    sockets.onNodeGone(u"bbbbbb"_s);
    QCOMPARE(sockets.rowCount(), Sockets / 4);
    QCOMPARE(socketSpies.removed.size(), Sockets / 2000); // its 10 blocks of 1 000
    QCOMPARE(removedRows(socketSpies.removed), Sockets / 4);
    QCOMPARE(socketIndexErrors(sockets), QString());
    QCOMPARE(socketSpies.reset.size(), 0);

    // Traffic: 5 000 records in five bursts; one insertion per flush, not per record.
    TrafficModel traffics(&nodes);
    QAbstractItemModelTester trafficTester(&traffics, TesterMode);
    ModelSpies trafficSpies(&traffics);
    constexpr int Records = 5000;
    constexpr int Bursts = 5;
    for (int burst = 0; burst < Bursts; ++burst) {
        for (int n = 0; n < Records / Bursts; ++n)
            traffics.onTraffic(traffic(burst * 1000 + n, n % 2 ? u"aaaaaa"_s : u"emitter"_s));
        QTRY_COMPARE_WITH_TIMEOUT(traffics.rowCount(), (burst + 1) * Records / Bursts,
                                  TrafficModel::FlushMs * 10);
        QCOMPARE(trafficSpies.inserted.size(), burst + 1);
    }
    QCOMPARE(traffics.rowCount(), Records);
    QCOMPARE(traffics.total(), Records);
    QCOMPARE(trafficSpies.inserted.size(), Bursts);
    QCOMPARE(trafficSpies.removed.size(), 0);
    QCOMPARE(trafficSpies.changed.size(), 0);
    QCOMPARE(trafficSpies.reset.size(), 0);
    QCOMPARE(traffics.record(0).size, 40);
    QCOMPARE(traffics.record(Records - 1).size, 40 + 4999);
}

QTEST_MAIN(TestConsoleModels)
#include "tst_consolemodels.moc"
