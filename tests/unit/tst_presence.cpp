// Switchboard's presence protocol (docs/cluster-protocol.md, part 2): presence records,
// socket records, socket event batches and socket list pages, all JSON. The field names are
// a public contract (the console, redis-cli users and the docs read them), so they are
// checked exactly.
#include "switchboard/presence.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <limits>

using namespace Qt::StringLiterals;
using switchboard::cluster::NodePresence;
using switchboard::cluster::SocketEvent;
using switchboard::cluster::SocketEventBatch;
using switchboard::cluster::SocketListPage;
using switchboard::cluster::SocketRecord;
namespace cluster = switchboard::cluster;

Q_DECLARE_METATYPE(switchboard::cluster::NodePresence)
Q_DECLARE_METATYPE(switchboard::cluster::SocketRecord)
Q_DECLARE_METATYPE(switchboard::cluster::SocketEvent)
Q_DECLARE_METATYPE(switchboard::cluster::SocketListPage)

namespace {

// Every member, spelled out here rather than through the code under test.
QString fields(const NodePresence &p)
{
    QStringList connections;
    for (auto it = p.connections.cbegin(); it != p.connections.cend(); ++it)
        connections << it.key() + u'=' + QString::number(it.value());
    return QStringList{
        u"uid="_s + p.uid,
        u"name="_s + p.name,
        u"address="_s + p.address,
        u"version="_s + p.version,
        u"pid="_s + QString::number(p.pid),
        u"startedAt="_s + QString::number(p.startedAt),
        u"time="_s + QString::number(p.time),
        u"intervalMs="_s + QString::number(p.intervalMs),
        u"leaving="_s + (p.leaving ? u"true"_s : u"false"_s),
        u"connections={"_s + connections.join(u',') + u'}',
        u"clients="_s + QString::number(p.clients),
        u"rooms="_s + QString::number(p.rooms),
        u"messagesInPerSec="_s + QString::number(p.messagesInPerSec, 'g', 17),
        u"messagesOutPerSec="_s + QString::number(p.messagesOutPerSec, 'g', 17),
        u"bytesInPerSec="_s + QString::number(p.bytesInPerSec, 'g', 17),
        u"bytesOutPerSec="_s + QString::number(p.bytesOutPerSec, 'g', 17),
        u"rssBytes="_s + QString::number(p.rssBytes),
        u"redisRoundTripMs="_s + QString::number(p.redisRoundTripMs, 'g', 17),
        u"publishFailures="_s + QString::number(p.publishFailures),
        u"subscriptionGaps="_s + QString::number(p.subscriptionGaps),
        u"queue="_s + (p.queue ? QStringList{p.queue->key, QString::number(p.queue->depth),
                                             QString::number(p.queue->consumed),
                                             QString::number(p.queue->deadLettered),
                                             QString::number(p.queue->reclaimed),
                                             p.queue->consuming ? u"consuming"_s : u"idle"_s}
                                     .join(u',')
                               : u"none"_s),
    }
        .join(u"; "_s);
}

QString fields(const SocketRecord &r)
{
    return QStringList{
        u"id="_s + r.id,
        u"nsp="_s + r.nsp,
        u"rooms=["_s + r.rooms.join(u',') + u']',
        u"address="_s + r.address,
        u"connectedAt="_s + QString::number(r.connectedAt),
        u"url="_s + r.url,
        u"userAgent="_s + r.userAgent,
        u"authKeys=["_s + r.authKeys.join(u',') + u']',
    }
        .join(u"; "_s);
}

QString kindName(SocketEvent::Kind kind)
{
    switch (kind) {
    case SocketEvent::Kind::Connect:
        return u"connect"_s;
    case SocketEvent::Kind::Disconnect:
        return u"disconnect"_s;
    case SocketEvent::Kind::Join:
        return u"join"_s;
    case SocketEvent::Kind::Leave:
        return u"leave"_s;
    }
    return u"?"_s;
}

QString fields(const SocketEvent &e)
{
    return QStringList{
        u"kind="_s + kindName(e.kind),
        u"nsp="_s + e.nsp,
        u"id="_s + e.id,
        u"room="_s + e.room,
        u"reason="_s + e.reason,
        u"socket={"_s + fields(e.socket) + u'}',
    }
        .join(u"; "_s);
}

QString fields(const QList<SocketEvent> &events)
{
    QStringList out;
    for (const SocketEvent &e : events)
        out << u'(' + fields(e) + u')';
    return out.join(u' ');
}

QString fields(const SocketListPage &page)
{
    QStringList sockets;
    for (const SocketRecord &r : page.sockets)
        sockets << u'(' + fields(r) + u')';
    return QStringList{
        u"requestId="_s + page.requestId,
        u"uid="_s + page.uid,
        u"name="_s + page.name,
        u"seq="_s + QString::number(page.seq),
        u"last="_s + (page.last ? u"true"_s : u"false"_s),
        u"sockets=["_s + sockets.join(u' ') + u']',
    }
        .join(u"; "_s);
}

QJsonObject parseObject(const QByteArray &json)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("not a JSON object: %s", json.constData());
    return doc.object();
}

QStringList sortedKeys(const QJsonObject &object)
{
    QStringList keys = object.keys();
    keys.sort();
    return keys;
}

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

NodePresence fullPresence()
{
    NodePresence p;
    p.uid = u"x7Kp2Q"_s;
    p.name = u"node-a"_s;
    p.address = u"host:3000"_s;
    p.version = u"0.1.0"_s;
    p.pid = 4242;
    p.startedAt = 1795312800000;
    p.time = 1795312888828;
    p.intervalMs = 1000;
    p.leaving = false;
    p.connections = {{u"/"_s, 120}, {u"/chat"_s, 7}};
    p.clients = 121;
    p.rooms = 14;
    p.messagesInPerSec = 35.2;
    p.messagesOutPerSec = 410.0;
    p.bytesInPerSec = 2048.5;
    p.bytesOutPerSec = 40960.0;
    p.rssBytes = 23592960;
    p.redisRoundTripMs = 0.4;
    p.publishFailures = 0;
    p.subscriptionGaps = 0;
    return p;
}

SocketRecord fullSocket()
{
    SocketRecord r;
    r.id = u"Yj2wUtSerFDWwD_ZF5oC"_s;
    r.nsp = u"/chat"_s;
    r.rooms = {u"lobby"_s};
    r.address = u"127.0.0.1"_s;
    r.connectedAt = 1795312888828;
    r.url = u"/socket.io/"_s;
    r.userAgent = u"node"_s;
    r.authKeys = {u"token"_s};
    return r;
}

SocketEvent makeEvent(SocketEvent::Kind kind, const QString &nsp, const QString &id)
{
    SocketEvent e;
    e.kind = kind;
    e.nsp = nsp;
    e.id = id;
    return e;
}

const QStringList PresenceFieldNames = {
    u"uid"_s,       u"name"_s,  u"address"_s,    u"version"_s,         u"pid"_s,
    u"startedAt"_s, u"time"_s,  u"interval"_s,   u"leaving"_s,         u"connections"_s,
    u"clients"_s,   u"rooms"_s, u"messagesIn"_s, u"messagesOut"_s,     u"bytesIn"_s,
    u"bytesOut"_s,  u"rss"_s,   u"redisRtt"_s,   u"publishFailures"_s, u"subscriptionGaps"_s,
};

const QStringList SocketFieldNames = {u"id"_s,          u"nsp"_s, u"rooms"_s,     u"address"_s,
                                      u"connectedAt"_s, u"url"_s, u"userAgent"_s, u"authKeys"_s};

} // namespace

class TestPresence : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void presenceRoundTrip_data();
    void presenceRoundTrip();
    void presenceFieldNames();
    void presenceDocExample();
    void presenceDefaults();
    void presenceNonFiniteRates();
    void presenceRejects_data();
    void presenceRejects();

    void socketRecordRoundTrip_data();
    void socketRecordRoundTrip();
    void socketRecordFieldNames();

    void socketEventsRoundTrip_data();
    void socketEventsRoundTrip();
    void socketEventFieldNames_data();
    void socketEventFieldNames();
    void socketEventsExactText();
    void socketEventsDocExample();
    void socketEventsSkipsUnknown();
    void socketEventsRejects_data();
    void socketEventsRejects();

    void socketListPageRoundTrip_data();
    void socketListPageRoundTrip();
    void socketListPageFieldNames();
    void socketListPageDefaults();
    void socketListPageRejects_data();
    void socketListPageRejects();
};

void TestPresence::presenceRoundTrip_data()
{
    QTest::addColumn<NodePresence>("presence");

    QTest::addRow("defaults with uid") << [] {
        NodePresence p;
        p.uid = u"a"_s;
        return p;
    }();
    QTest::addRow("full") << fullPresence();
    QTest::addRow("leaving") << [] {
        NodePresence p = fullPresence();
        p.leaving = true;
        p.connections.clear();
        p.clients = 0;
        return p;
    }();
    QTest::addRow("utf-8 and big numbers") << [] {
        NodePresence p = fullPresence();
        p.name = QString::fromUtf8("n\xc5\x93ud \xe2\x9c\x93");
        p.connections = {{QString::fromUtf8("/caf\xc3\xa9"), 2147483647}, {u"/"_s, 0}};
        p.pid = 4194304;
        p.rssBytes = 17179869184; // 16 GiB, past 32 bits
        p.publishFailures = 9007199254740991;
        p.subscriptionGaps = 3;
        p.redisRoundTripMs = -1;
        p.messagesInPerSec = 0.1;
        p.bytesOutPerSec = 1e12;
        p.intervalMs = 250;
        return p;
    }();
    QTest::addRow("with a queue") << [] {
        NodePresence p = fullPresence();
        p.queue = NodePresence::Queue{u"jobs"_s, 12, 9007199254740991, 3, 256, true};
        return p;
    }();
    QTest::addRow("with a queue not sampled yet") << [] {
        NodePresence p = fullPresence();
        p.queue = NodePresence::Queue{u"jobs"_s, -1, 0, 0, 0, false};
        return p;
    }();
}

void TestPresence::presenceRoundTrip()
{
    QFETCH(NodePresence, presence);

    const QByteArray json = cluster::encodePresence(presence);
    const auto decoded = cluster::decodePresence(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(fields(*decoded), fields(presence));
    // toVariant / fromVariant agree with the JSON functions.
    QCOMPARE(fields(NodePresence::fromVariant(presence.toVariant())), fields(presence));
}

void TestPresence::presenceFieldNames()
{
    const NodePresence p = fullPresence();
    const QJsonObject o = parseObject(cluster::encodePresence(p));
    QCOMPARE(sortedKeys(o), sorted(PresenceFieldNames));
    QCOMPARE(sorted(p.toVariant().keys()), sorted(PresenceFieldNames));

    QCOMPARE(o.value(u"uid"_s).toString(), u"x7Kp2Q"_s);
    QCOMPARE(o.value(u"name"_s).toString(), u"node-a"_s);
    QCOMPARE(o.value(u"address"_s).toString(), u"host:3000"_s);
    QCOMPARE(o.value(u"version"_s).toString(), u"0.1.0"_s);
    QCOMPARE(o.value(u"pid"_s).toInteger(), 4242);
    QCOMPARE(o.value(u"startedAt"_s).toInteger(), 1795312800000);
    QCOMPARE(o.value(u"time"_s).toInteger(), 1795312888828);
    QCOMPARE(o.value(u"interval"_s).toInteger(), 1000);
    QVERIFY(o.value(u"leaving"_s).isBool());
    QCOMPARE(o.value(u"leaving"_s).toBool(), false);
    QCOMPARE(o.value(u"connections"_s).toObject(), (QJsonObject{{u"/"_s, 120}, {u"/chat"_s, 7}}));
    QCOMPARE(o.value(u"clients"_s).toInteger(), 121);
    QCOMPARE(o.value(u"rooms"_s).toInteger(), 14);
    QCOMPARE(o.value(u"messagesIn"_s).toDouble(), 35.2);
    QCOMPARE(o.value(u"messagesOut"_s).toDouble(), 410.0);
    QCOMPARE(o.value(u"bytesIn"_s).toDouble(), 2048.5);
    QCOMPARE(o.value(u"bytesOut"_s).toDouble(), 40960.0);
    QCOMPARE(o.value(u"rss"_s).toInteger(), 23592960);
    QCOMPARE(o.value(u"redisRtt"_s).toDouble(), 0.4);
    QCOMPARE(o.value(u"publishFailures"_s).toInteger(), 0);
    QCOMPARE(o.value(u"subscriptionGaps"_s).toInteger(), 0);
}

void TestPresence::presenceDocExample()
{
    // docs/cluster-protocol.md, "Presence record".
    const QByteArray json =
        R"({"uid":"x7Kp2Q","name":"node-a","address":"host:3000","version":"0.1.0","pid":4242,
 "startedAt":1795312800000,"time":1795312888828,"interval":1000,"leaving":false,
 "connections":{"/":120,"/chat":7},"clients":121,"rooms":14,
 "messagesIn":35.2,"messagesOut":410.0,"bytesIn":2048.5,"bytesOut":40960.0,
 "rss":23592960,"redisRtt":0.4,"publishFailures":0,"subscriptionGaps":0})";
    const auto decoded = cluster::decodePresence(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(fields(*decoded), fields(fullPresence()));
}

void TestPresence::presenceDefaults()
{
    // A record with only a uid: the documented defaults (interval 1000, redisRtt -1 unknown).
    const auto decoded = cluster::decodePresence(R"({"uid":"x7Kp2Q"})");
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    NodePresence expected;
    expected.uid = u"x7Kp2Q"_s;
    QCOMPARE(fields(*decoded), fields(expected));
    QCOMPARE(decoded->intervalMs, cluster::PresenceIntervalMs);
    QCOMPARE(decoded->redisRoundTripMs, -1.0);

    // Unknown fields are ignored.
    const auto extra = cluster::decodePresence(R"({"uid":"u","future":{"x":1},"name":"n"})");
    QVERIFY2(extra.ok(), qPrintable(extra.error()));
    QCOMPARE(extra->name, u"n"_s);
}

void TestPresence::presenceNonFiniteRates()
{
    // A rate computed over an empty interval must not make the record unreadable.
    NodePresence p = fullPresence();
    p.messagesInPerSec = std::numeric_limits<double>::infinity();
    p.bytesOutPerSec = std::numeric_limits<double>::quiet_NaN();
    const QByteArray json = cluster::encodePresence(p);
    const auto decoded = cluster::decodePresence(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error() + u' ' + QString::fromUtf8(json)));
    QCOMPARE(decoded->uid, p.uid);
    QCOMPARE(decoded->clients, p.clients);
}

void TestPresence::presenceRejects_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("no uid") << QByteArray(R"({"name":"node-a","pid":1})");
    QTest::addRow("empty uid") << QByteArray(R"({"uid":"","name":"node-a"})");
    QTest::addRow("null uid") << QByteArray(R"({"uid":null})");
    QTest::addRow("empty object") << QByteArray("{}");
    QTest::addRow("array") << QByteArray(R"([{"uid":"x"}])");
    QTest::addRow("string") << QByteArray(R"("x7Kp2Q")");
    QTest::addRow("number") << QByteArray("42");
    QTest::addRow("not JSON") << QByteArray("uid=x7Kp2Q");
    QTest::addRow("truncated") << QByteArray(R"({"uid":"x7Kp2Q","name":)");
    QTest::addRow("msgpack") << QByteArray::fromHex("81a3756964a6783748703251");
}

void TestPresence::presenceRejects()
{
    QFETCH(QByteArray, json);

    const auto decoded = cluster::decodePresence(json);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
}

void TestPresence::socketRecordRoundTrip_data()
{
    QTest::addColumn<SocketRecord>("record");

    QTest::addRow("empty") << SocketRecord{};
    QTest::addRow("full") << fullSocket();
    QTest::addRow("several rooms and auth keys") << [] {
        SocketRecord r = fullSocket();
        r.rooms = {u"a"_s, u"b"_s, QString::fromUtf8("caf\xc3\xa9"), u"with space"_s};
        r.authKeys = {u"token"_s, u"user"_s};
        r.address = u"::ffff:10.0.0.7"_s;
        r.url = u"/socket.io/?EIO=4&transport=websocket&x=\"q\""_s;
        r.userAgent = u"Mozilla/5.0 (X11; Linux x86_64)"_s;
        return r;
    }();
    QTest::addRow("no rooms") << [] {
        SocketRecord r = fullSocket();
        r.rooms.clear();
        r.authKeys.clear();
        return r;
    }();
}

void TestPresence::socketRecordRoundTrip()
{
    QFETCH(SocketRecord, record);

    QCOMPARE(fields(SocketRecord::fromVariant(record.toVariant())), fields(record));
    QVERIFY(SocketRecord::fromVariant(record.toVariant()) == record);

    // Through JSON, inside a list page.
    SocketListPage page;
    page.uid = u"u"_s;
    page.sockets = {record};
    const auto decoded = cluster::decodeSocketListPage(cluster::encodeSocketListPage(page));
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->sockets.size(), 1);
    QCOMPARE(fields(decoded->sockets.first()), fields(record));
}

void TestPresence::socketRecordFieldNames()
{
    const SocketRecord r = fullSocket();
    QCOMPARE(sorted(r.toVariant().keys()), sorted(SocketFieldNames));

    SocketListPage page;
    page.uid = u"u"_s;
    page.sockets = {r};
    const QJsonObject o = parseObject(cluster::encodeSocketListPage(page))
                              .value(u"sockets"_s)
                              .toArray()
                              .at(0)
                              .toObject();
    QCOMPARE(sortedKeys(o), sorted(SocketFieldNames));
    QCOMPARE(o.value(u"id"_s).toString(), u"Yj2wUtSerFDWwD_ZF5oC"_s);
    QCOMPARE(o.value(u"nsp"_s).toString(), u"/chat"_s);
    QCOMPARE(o.value(u"rooms"_s).toArray(), (QJsonArray{u"lobby"_s}));
    QCOMPARE(o.value(u"address"_s).toString(), u"127.0.0.1"_s);
    QCOMPARE(o.value(u"connectedAt"_s).toInteger(), 1795312888828);
    QCOMPARE(o.value(u"url"_s).toString(), u"/socket.io/"_s);
    QCOMPARE(o.value(u"userAgent"_s).toString(), u"node"_s);
    QCOMPARE(o.value(u"authKeys"_s).toArray(), (QJsonArray{u"token"_s}));

    // The docs' socket record reads back to the same record.
    const auto fromDoc = SocketRecord::fromVariant(
        QJsonDocument::fromJson(
            R"({"id":"Yj2wUtSerFDWwD_ZF5oC","nsp":"/chat","rooms":["lobby"],"address":"127.0.0.1",
 "connectedAt":1795312888828,"url":"/socket.io/","userAgent":"node","authKeys":["token"]})")
            .object()
            .toVariantMap());
    QCOMPARE(fields(fromDoc), fields(r));
}

void TestPresence::socketEventsRoundTrip_data()
{
    QTest::addColumn<QString>("uid");
    QTest::addColumn<QList<SocketEvent>>("events");

    SocketEvent connect =
        makeEvent(SocketEvent::Kind::Connect, u"/chat"_s, u"Yj2wUtSerFDWwD_ZF5oC"_s);
    connect.socket = fullSocket();
    SocketEvent join = makeEvent(SocketEvent::Kind::Join, u"/chat"_s, u"Yj2wUtSerFDWwD_ZF5oC"_s);
    join.room = u"lobby"_s;
    SocketEvent leave = makeEvent(SocketEvent::Kind::Leave, u"/chat"_s, u"Yj2wUtSerFDWwD_ZF5oC"_s);
    leave.room = QString::fromUtf8("caf\xc3\xa9");
    SocketEvent disconnect =
        makeEvent(SocketEvent::Kind::Disconnect, u"/chat"_s, u"Yj2wUtSerFDWwD_ZF5oC"_s);
    disconnect.reason = u"transport close"_s;

    QTest::addRow("no events") << u"x7Kp2Q"_s << QList<SocketEvent>{};
    QTest::addRow("connect") << u"x7Kp2Q"_s << QList<SocketEvent>{connect};
    QTest::addRow("join") << u"x7Kp2Q"_s << QList<SocketEvent>{join};
    QTest::addRow("leave") << u"x7Kp2Q"_s << QList<SocketEvent>{leave};
    QTest::addRow("disconnect") << u"x7Kp2Q"_s << QList<SocketEvent>{disconnect};
    QTest::addRow("a socket's life, in order")
        << u"x7Kp2Q"_s << QList<SocketEvent>{connect, join, leave, join, disconnect};
}

void TestPresence::socketEventsRoundTrip()
{
    QFETCH(QString, uid);
    QFETCH(QList<SocketEvent>, events);

    const auto decoded = cluster::decodeSocketEvents(cluster::encodeSocketEvents(uid, events));
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->uid, uid);
    QCOMPARE(fields(decoded->events), fields(events));

    for (const SocketEvent &e : events) {
        const auto back = SocketEvent::fromVariant(e.toVariant());
        QVERIFY(back.has_value());
        QCOMPARE(fields(*back), fields(e));
    }
}

void TestPresence::socketEventFieldNames_data()
{
    QTest::addColumn<SocketEvent>("event");
    QTest::addColumn<QString>("e");
    QTest::addColumn<QStringList>("keys");

    SocketEvent connect = makeEvent(SocketEvent::Kind::Connect, u"/"_s, u"sid1"_s);
    connect.socket = fullSocket();
    SocketEvent disconnect = makeEvent(SocketEvent::Kind::Disconnect, u"/"_s, u"sid1"_s);
    disconnect.reason = u"client namespace disconnect"_s;
    SocketEvent join = makeEvent(SocketEvent::Kind::Join, u"/"_s, u"sid1"_s);
    join.room = u"lobby"_s;
    SocketEvent leave = makeEvent(SocketEvent::Kind::Leave, u"/"_s, u"sid1"_s);
    leave.room = u"lobby"_s;

    QTest::addRow("connect") << connect << u"connect"_s
                             << QStringList{u"e"_s, u"nsp"_s, u"id"_s, u"socket"_s};
    QTest::addRow("disconnect") << disconnect << u"disconnect"_s
                                << QStringList{u"e"_s, u"nsp"_s, u"id"_s, u"reason"_s};
    QTest::addRow("join") << join << u"join"_s << QStringList{u"e"_s, u"nsp"_s, u"id"_s, u"room"_s};
    QTest::addRow("leave") << leave << u"leave"_s
                           << QStringList{u"e"_s, u"nsp"_s, u"id"_s, u"room"_s};
}

void TestPresence::socketEventFieldNames()
{
    QFETCH(SocketEvent, event);
    QFETCH(QString, e);
    QFETCH(QStringList, keys);

    const QJsonObject batch = parseObject(cluster::encodeSocketEvents(u"x7Kp2Q"_s, {event}));
    QCOMPARE(sortedKeys(batch), sorted({u"uid"_s, u"events"_s}));
    QCOMPARE(batch.value(u"uid"_s).toString(), u"x7Kp2Q"_s);
    const QJsonArray events = batch.value(u"events"_s).toArray();
    QCOMPARE(events.size(), 1);
    const QJsonObject o = events.at(0).toObject();
    QCOMPARE(sortedKeys(o), sorted(keys));
    QCOMPARE(o.value(u"e"_s).toString(), e);
    QCOMPARE(o.value(u"nsp"_s).toString(), u"/"_s);
    QCOMPARE(o.value(u"id"_s).toString(), u"sid1"_s);
    if (o.contains(u"socket"_s))
        QCOMPARE(sortedKeys(o.value(u"socket"_s).toObject()), sorted(SocketFieldNames));
    if (o.contains(u"room"_s))
        QCOMPARE(o.value(u"room"_s).toString(), u"lobby"_s);
    if (o.contains(u"reason"_s))
        QCOMPARE(o.value(u"reason"_s).toString(), u"client namespace disconnect"_s);
}

void TestPresence::socketEventsExactText()
{
    SocketEvent join = makeEvent(SocketEvent::Kind::Join, u"/"_s, u"Yj2wUtSerFDWwD_ZF5oC"_s);
    join.room = u"lobby"_s;
    SocketEvent disconnect =
        makeEvent(SocketEvent::Kind::Disconnect, u"/"_s, u"Yj2wUtSerFDWwD_ZF5oC"_s);
    disconnect.reason = u"transport close"_s;
    QCOMPARE(
        cluster::encodeSocketEvents(u"x7Kp2Q"_s, {join, disconnect}),
        QByteArray(
            R"({"events":[{"e":"join","id":"Yj2wUtSerFDWwD_ZF5oC","nsp":"/","room":"lobby"},)"
            R"({"e":"disconnect","id":"Yj2wUtSerFDWwD_ZF5oC","nsp":"/","reason":"transport close"}],)"
            R"("uid":"x7Kp2Q"})"));
}

void TestPresence::socketEventsDocExample()
{
    // docs/cluster-protocol.md, "Socket events", with the socket record of the docs inlined.
    const QByteArray json = R"({"uid":"x7Kp2Q","events":[
  {"e":"connect","nsp":"/","id":"Yj2wUtSerFDWwD_ZF5oC","socket":{"id":"Yj2wUtSerFDWwD_ZF5oC","nsp":"/chat","rooms":["lobby"],"address":"127.0.0.1",
 "connectedAt":1795312888828,"url":"/socket.io/","userAgent":"node","authKeys":["token"]}},
  {"e":"join","nsp":"/","id":"Yj2wUtSerFDWwD_ZF5oC","room":"lobby"},
  {"e":"leave","nsp":"/","id":"Yj2wUtSerFDWwD_ZF5oC","room":"lobby"},
  {"e":"disconnect","nsp":"/","id":"Yj2wUtSerFDWwD_ZF5oC","reason":"transport close"}]})";
    const auto decoded = cluster::decodeSocketEvents(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->uid, u"x7Kp2Q"_s);

    const QString id = u"Yj2wUtSerFDWwD_ZF5oC"_s;
    SocketEvent connect = makeEvent(SocketEvent::Kind::Connect, u"/"_s, id);
    connect.socket = fullSocket();
    SocketEvent join = makeEvent(SocketEvent::Kind::Join, u"/"_s, id);
    join.room = u"lobby"_s;
    SocketEvent leave = makeEvent(SocketEvent::Kind::Leave, u"/"_s, id);
    leave.room = u"lobby"_s;
    SocketEvent disconnect = makeEvent(SocketEvent::Kind::Disconnect, u"/"_s, id);
    disconnect.reason = u"transport close"_s;
    QCOMPARE(fields(decoded->events), fields(QList<SocketEvent>{connect, join, leave, disconnect}));
}

void TestPresence::socketEventsSkipsUnknown()
{
    // Unknown kinds (a newer node), events without an id and non-objects are skipped; the
    // rest of the batch is kept in order.
    const QByteArray json = R"({"uid":"x7Kp2Q","events":[
  {"e":"join","nsp":"/","id":"s1","room":"a"},
  {"e":"rename","nsp":"/","id":"s1","name":"b"},
  {"e":"JOIN","nsp":"/","id":"s1","room":"c"},
  {"nsp":"/","id":"s1","room":"d"},
  {"e":"leave","nsp":"/","room":"e"},
  {"e":"leave","nsp":"/","id":"","room":"f"},
  "join",
  42,
  null,
  {"e":"leave","nsp":"/","id":"s1","room":"a"}]})";
    const auto decoded = cluster::decodeSocketEvents(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    SocketEvent join = makeEvent(SocketEvent::Kind::Join, u"/"_s, u"s1"_s);
    join.room = u"a"_s;
    SocketEvent leave = makeEvent(SocketEvent::Kind::Leave, u"/"_s, u"s1"_s);
    leave.room = u"a"_s;
    QCOMPARE(fields(decoded->events), fields(QList<SocketEvent>{join, leave}));

    QVERIFY(!SocketEvent::fromVariant({{u"e"_s, u"rename"_s}, {u"id"_s, u"s1"_s}}).has_value());
    QVERIFY(!SocketEvent::fromVariant({}).has_value());

    // A batch without an events array is an empty batch.
    const auto empty = cluster::decodeSocketEvents(R"({"uid":"x7Kp2Q"})");
    QVERIFY2(empty.ok(), qPrintable(empty.error()));
    QVERIFY(empty->events.isEmpty());
    const auto notArray = cluster::decodeSocketEvents(R"({"uid":"x7Kp2Q","events":{"e":"join"}})");
    QVERIFY2(notArray.ok(), qPrintable(notArray.error()));
    QVERIFY(notArray->events.isEmpty());
}

void TestPresence::socketEventsRejects_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("no uid") << QByteArray(
        R"({"events":[{"e":"join","nsp":"/","id":"s","room":"r"}]})");
    QTest::addRow("empty uid") << QByteArray(R"({"uid":"","events":[]})");
    QTest::addRow("array") << QByteArray(R"([{"e":"join","nsp":"/","id":"s","room":"r"}])");
    QTest::addRow("not JSON") << QByteArray("join s r");
    QTest::addRow("truncated") << QByteArray(R"({"uid":"x7Kp2Q","events":[{"e":"join")");
}

void TestPresence::socketEventsRejects()
{
    QFETCH(QByteArray, json);

    const auto decoded = cluster::decodeSocketEvents(json);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
}

void TestPresence::socketListPageRoundTrip_data()
{
    QTest::addColumn<SocketListPage>("page");

    QTest::addRow("last, empty") << [] {
        SocketListPage p;
        p.requestId = u"a1b2c3"_s;
        p.uid = u"x7Kp2Q"_s;
        p.name = u"node-a"_s;
        return p;
    }();
    QTest::addRow("first of several") << [] {
        SocketListPage p;
        p.requestId = u"a1b2c3"_s;
        p.uid = u"x7Kp2Q"_s;
        p.name = u"node-a"_s;
        p.seq = 0;
        p.last = false;
        SocketRecord other = fullSocket();
        other.id = u"Zz9_otherSocketId000"_s;
        other.nsp = u"/"_s;
        other.rooms.clear();
        p.sockets = {fullSocket(), other};
        return p;
    }();
    QTest::addRow("later page") << [] {
        SocketListPage p;
        p.requestId = QString(64, u'r');
        p.uid = u"x7Kp2Q"_s;
        p.name = QString::fromUtf8("n\xc5\x93ud");
        p.seq = 7;
        p.last = true;
        p.sockets = {fullSocket()};
        return p;
    }();
}

void TestPresence::socketListPageRoundTrip()
{
    QFETCH(SocketListPage, page);

    const auto decoded = cluster::decodeSocketListPage(cluster::encodeSocketListPage(page));
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(fields(*decoded), fields(page));
}

void TestPresence::socketListPageFieldNames()
{
    SocketListPage page;
    page.requestId = u"a1b2c3"_s;
    page.uid = u"x7Kp2Q"_s;
    page.name = u"node-a"_s;
    page.seq = 2;
    page.last = false;
    page.sockets = {fullSocket()};
    const QJsonObject o = parseObject(cluster::encodeSocketListPage(page));
    QCOMPARE(sortedKeys(o),
             sorted({u"requestId"_s, u"uid"_s, u"name"_s, u"seq"_s, u"last"_s, u"sockets"_s}));
    QCOMPARE(o.value(u"requestId"_s).toString(), u"a1b2c3"_s);
    QCOMPARE(o.value(u"uid"_s).toString(), u"x7Kp2Q"_s);
    QCOMPARE(o.value(u"name"_s).toString(), u"node-a"_s);
    QCOMPARE(o.value(u"seq"_s).toInteger(), 2);
    QVERIFY(o.value(u"last"_s).isBool());
    QCOMPARE(o.value(u"last"_s).toBool(), false);
    QCOMPARE(o.value(u"sockets"_s).toArray().size(), 1);

    // The docs' page.
    const auto fromDoc = cluster::decodeSocketListPage(
        R"({"requestId":"a1b2c3","uid":"x7Kp2Q","name":"node-a","seq":0,"last":false,"sockets":[]})");
    QVERIFY2(fromDoc.ok(), qPrintable(fromDoc.error()));
    QCOMPARE(fromDoc->requestId, u"a1b2c3"_s);
    QCOMPARE(fromDoc->seq, 0);
    QCOMPARE(fromDoc->last, false);
    QVERIFY(fromDoc->sockets.isEmpty());
}

void TestPresence::socketListPageDefaults()
{
    // `last` defaults to true and `seq` to 0 when absent.
    const auto decoded = cluster::decodeSocketListPage(R"({"uid":"x7Kp2Q","requestId":"r"})");
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->seq, 0);
    QCOMPARE(decoded->last, true);
    QVERIFY(decoded->sockets.isEmpty());
}

void TestPresence::socketListPageRejects_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("no uid") << QByteArray(
        R"({"requestId":"a1b2c3","seq":0,"last":true,"sockets":[]})");
    QTest::addRow("empty uid") << QByteArray(R"({"requestId":"a1b2c3","uid":""})");
    QTest::addRow("array") << QByteArray("[]");
    QTest::addRow("not JSON") << QByteArray("page 0");
    QTest::addRow("truncated") << QByteArray(R"({"uid":"x7Kp2Q","sockets":[)");
}

void TestPresence::socketListPageRejects()
{
    QFETCH(QByteArray, json);

    const auto decoded = cluster::decodeSocketListPage(json);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
}

QTEST_GUILESS_MAIN(TestPresence)
#include "tst_presence.moc"
