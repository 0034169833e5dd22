// The cluster wire of @socket.io/redis-adapter 8.3 / @socket.io/redis-emitter 5.1: channel
// names, broadcast messages [uid, packet, opts] and requests (JSON or msgpack).
//
// The broadcast and msgpack request bytes below were produced under Node 20 by notepack.io
// 3.0.1 (tests/interop/node_modules), doing what RedisAdapter.broadcast,
// RedisAdapter.broadcastWithAck, RedisAdapter.onrequest (BROADCAST_ACK) and
// BroadcastOperator.emit of the emitter do. The JSON requests are JSON.stringify of the
// objects those files publish, field order included.
#include "switchboard/clusterwire.h"
#include "switchboard/msgpackvariant.h"

#include <QTest>

using namespace Qt::StringLiterals;
using switchboard::cluster::BroadcastMessage;
using switchboard::cluster::Channels;
namespace cluster = switchboard::cluster;

#include "testvalues.h"

using namespace testvalues;

namespace {

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

QVariant integer(qint64 n)
{
    return QVariant(n);
}

// The uid and requestId used in the generated vectors.
const QString Uid = u"Ab3xY9"_s;
const QString RequestId = u"Rq1234"_s;

// notepack.encode([uid, {type: 2, data: ["ev", 1, {a: "b"}, Buffer.from([1, 2, 3])],
// nsp: "/chat"}, {rooms: ["r1", "r2"], except: ["x"], flags: {volatile: true}}]),
// as RedisAdapter.broadcast builds it (packet.nsp set after type and data).
const char *const AdapterBroadcastHex =
    "93a641623378593983a47479706502a46461746194a265760181a161a162c403010203a36e7370a52f6368"
    "617483a5726f6f6d7392a27231a27232a665786365707491a178a5666c61677381a8766f6c6174696c65c3";

// The same value with every map's keys in alphabetical order (QVariantMap's order).
const char *const AdapterBroadcastSortedHex =
    "93a641623378593983a46461746194a265760181a161a162c403010203a36e7370a52f63686174a4747970"
    "650283a665786365707491a178a5666c61677381a8766f6c6174696c65c3a5726f6f6d7392a27231a27232";

// Emitter: io.emit("hello", "world") in "/": ["emitter", {type, data, nsp},
// {rooms: [], flags: {}, except: []}].
const char *const EmitterBroadcastHex =
    "93a7656d697474657283a47479706502a46461746192a568656c6c6fa5776f726c64a36e7370a12f83a572"
    "6f6f6d7390a5666c61677380a665786365707490";
const char *const EmitterBroadcastSortedHex =
    "93a7656d697474657283a46461746192a568656c6c6fa5776f726c64a36e7370a12fa4747970650283a665"
    "786365707490a5666c61677380a5726f6f6d7390";

BroadcastMessage adapterMessage()
{
    BroadcastMessage m;
    m.uid = Uid;
    m.nsp = u"/chat"_s;
    m.packetType = 2;
    m.data = {u"ev"_s, 1, QVariantMap{{u"a"_s, u"b"_s}}, hex("010203")};
    m.rooms = {u"r1"_s, u"r2"_s};
    m.except = {u"x"_s};
    m.flags = {{u"volatile"_s, true}};
    return m;
}

BroadcastMessage emitterMessage()
{
    BroadcastMessage m;
    m.uid = cluster::EmitterUid.toString();
    m.nsp = u"/"_s;
    m.data = {u"hello"_s, u"world"_s};
    return m;
}

} // namespace

Q_DECLARE_METATYPE(std::optional<QString>)

class TestClusterWire : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void channels_data();
    void channels();
    void defaultKey();
    void roomOf_data();
    void roomOf();
    void namespaceOf_data();
    void namespaceOf();
    void decodeBroadcast_data();
    void decodeBroadcast();
    void encodeBroadcast_data();
    void encodeBroadcast();
    void broadcastRoundTrip();
    void decodeBroadcastRejects_data();
    void decodeBroadcastRejects();
    void decodeRequest_data();
    void decodeRequest();
    void broadcastRequest();
    void broadcastAckResponse();
    void decodeRequestRejects_data();
    void decodeRequestRejects();
    void dataDepth_data();
    void dataDepth();
    void encodeJson();
};

void TestClusterWire::channels_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QString>("arg");
    QTest::addColumn<QByteArray>("channel");

    struct Row
    {
        const char *kind;
        QString arg;
        const char *pattern; // %k key, %n namespace
    };
    const QList<Row> rows = {
        {"broadcast", {}, "%k#%n#"},
        {"broadcastRoom", u"room1"_s, "%k#%n#room1#"},
        {"broadcastRoom", u"a#b"_s, "%k#%n#a#b#"},
        {"broadcastPattern", {}, "%k#%n#*"},
        {"request", {}, "%k-request#%n#"},
        {"response", {}, "%k-response#%n#"},
        {"specificResponse", u"Ab3xY9"_s, "%k-response#%n#Ab3xY9#"},
        {"presence", {}, "%k-switchboard#presence#"},
        {"presenceKey", u"Ab3xY9"_s, "%k-switchboard#node#Ab3xY9"},
        {"presenceKeyPattern", {}, "%k-switchboard#node#*"},
        {"socketEvents", {}, "%k-switchboard#events#"},
        {"control", {}, "%k-switchboard#request#"},
        {"controlReply", u"Rq1234"_s, "%k-switchboard#response#Rq1234#"},
    };
    for (const QString &key : {u"socket.io"_s, u"my-app"_s}) {
        for (const QString &nsp : {u"/"_s, u"/chat"_s}) {
            for (const Row &row : rows) {
                QByteArray channel(row.pattern);
                channel.replace("%k", key.toUtf8()).replace("%n", nsp.toUtf8());
                QTest::addRow("%s %s %s %s", qPrintable(key), qPrintable(nsp), row.kind,
                              qPrintable(row.arg))
                    << key << QString::fromLatin1(row.kind) << nsp << row.arg << channel;
            }
        }
    }
    QTest::addRow("utf-8 room") << u"socket.io"_s << u"broadcastRoom"_s << u"/"_s
                                << QString::fromUtf8("caf\xc3\xa9")
                                << QByteArray("socket.io#/#caf\xc3\xa9#");
}

void TestClusterWire::channels()
{
    QFETCH(QString, key);
    QFETCH(QString, kind);
    QFETCH(QString, nsp);
    QFETCH(QString, arg);
    QFETCH(QByteArray, channel);

    const Channels c(key);
    QCOMPARE(c.key(), key);
    QByteArray actual;
    if (kind == u"broadcast")
        actual = c.broadcast(nsp);
    else if (kind == u"broadcastRoom")
        actual = c.broadcastRoom(nsp, arg);
    else if (kind == u"broadcastPattern")
        actual = c.broadcastPattern(nsp);
    else if (kind == u"request")
        actual = c.request(nsp);
    else if (kind == u"response")
        actual = c.response(nsp);
    else if (kind == u"specificResponse")
        actual = c.specificResponse(nsp, arg);
    else if (kind == u"presence")
        actual = c.presence();
    else if (kind == u"presenceKey")
        actual = c.presenceKey(arg);
    else if (kind == u"presenceKeyPattern")
        actual = c.presenceKeyPattern();
    else if (kind == u"socketEvents")
        actual = c.socketEvents();
    else if (kind == u"control")
        actual = c.control();
    else if (kind == u"controlReply")
        actual = c.controlReply(arg);
    else
        QFAIL("unknown channel kind in the table");
    QCOMPARE(actual, channel);
}

void TestClusterWire::defaultKey()
{
    const Channels c;
    QCOMPARE(c.key(), u"socket.io"_s);
    QCOMPARE(c.broadcast(u"/"_s), QByteArray("socket.io#/#"));
    QCOMPARE(c.request(u"/"_s), QByteArray("socket.io-request#/#"));
    QCOMPARE(cluster::EmitterUid.toString(), u"emitter"_s);
}

void TestClusterWire::roomOf_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QByteArray>("channel");
    QTest::addColumn<std::optional<QString>>("room");

    const std::optional<QString> none;
    // The reference: room = channel.slice(prefix.length, -1) when channel starts with prefix.
    QTest::addRow("namespace channel") << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/#")
                                       << std::optional<QString>(QString());
    QTest::addRow("room channel") << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/#room1#")
                                  << std::optional<QString>(u"room1"_s);
    QTest::addRow("socket id room")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/#Yj2wUtSerFDWwD_ZF5oC#")
        << std::optional<QString>(u"Yj2wUtSerFDWwD_ZF5oC"_s);
    QTest::addRow("room with #") << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/#a#b#")
                                 << std::optional<QString>(u"a#b"_s);
    QTest::addRow("empty room segment") << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/##")
                                        << std::optional<QString>(QString());
    QTest::addRow("room that is #") << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/####")
                                    << std::optional<QString>(u"##"_s);
    QTest::addRow("utf-8 room") << u"socket.io"_s << u"/"_s
                                << QByteArray("socket.io#/#caf\xc3\xa9#")
                                << std::optional<QString>(QString::fromUtf8("caf\xc3\xa9"));
    QTest::addRow("chat namespace channel")
        << u"socket.io"_s << u"/chat"_s << QByteArray("socket.io#/chat#")
        << std::optional<QString>(QString());
    QTest::addRow("chat room channel")
        << u"socket.io"_s << u"/chat"_s << QByteArray("socket.io#/chat#r1#")
        << std::optional<QString>(u"r1"_s);
    QTest::addRow("custom key") << u"my-app"_s << u"/"_s << QByteArray("my-app#/#r1#")
                                << std::optional<QString>(u"r1"_s);
    QTest::addRow("other namespace")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/chat#r1#") << none;
    QTest::addRow("namespace that extends ours")
        << u"socket.io"_s << u"/chat"_s << QByteArray("socket.io#/chatroom#") << none;
    QTest::addRow("other key") << u"socket.io"_s << u"/"_s << QByteArray("other#/#r1#") << none;
    QTest::addRow("default key vs custom")
        << u"my-app"_s << u"/"_s << QByteArray("socket.io#/#r1#") << none;
    QTest::addRow("request channel")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io-request#/#") << none;
    QTest::addRow("response channel")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io-response#/#") << none;
    QTest::addRow("no trailing #")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/#room") << none;
    QTest::addRow("prefix cut short")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io#/") << none;
    QTest::addRow("empty channel") << u"socket.io"_s << u"/"_s << QByteArray() << none;
    QTest::addRow("presence channel")
        << u"socket.io"_s << u"/"_s << QByteArray("socket.io-switchboard#presence#") << none;
}

void TestClusterWire::roomOf()
{
    QFETCH(QString, key);
    QFETCH(QString, nsp);
    QFETCH(QByteArray, channel);
    QFETCH(std::optional<QString>, room);

    const std::optional<QString> actual = Channels(key).roomOf(nsp, channel);
    QCOMPARE(actual.has_value(), room.has_value());
    if (room)
        QCOMPARE(*actual, *room);
}

void TestClusterWire::namespaceOf_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("channel");
    QTest::addColumn<std::optional<QString>>("nsp");

    const std::optional<QString> none;
    QTest::addRow("broadcast /") << u"socket.io"_s << QByteArray("socket.io#/#")
                                 << std::optional<QString>(u"/"_s);
    QTest::addRow("broadcast room /chat") << u"socket.io"_s << QByteArray("socket.io#/chat#r1#")
                                          << std::optional<QString>(u"/chat"_s);
    QTest::addRow("broadcast room with #") << u"socket.io"_s << QByteArray("socket.io#/chat#a#b#")
                                           << std::optional<QString>(u"/chat"_s);
    QTest::addRow("request /") << u"socket.io"_s << QByteArray("socket.io-request#/#")
                               << std::optional<QString>(u"/"_s);
    QTest::addRow("request /chat") << u"socket.io"_s << QByteArray("socket.io-request#/chat#")
                                   << std::optional<QString>(u"/chat"_s);
    QTest::addRow("response /chat") << u"socket.io"_s << QByteArray("socket.io-response#/chat#")
                                    << std::optional<QString>(u"/chat"_s);
    QTest::addRow("specific response")
        << u"socket.io"_s << QByteArray("socket.io-response#/#Ab3xY9#")
        << std::optional<QString>(u"/"_s);
    QTest::addRow("custom key") << u"my-app"_s << QByteArray("my-app-request#/admin#")
                                << std::optional<QString>(u"/admin"_s);
    QTest::addRow("utf-8 namespace") << u"socket.io"_s << QByteArray("socket.io#/caf\xc3\xa9#")
                                     << std::optional<QString>(QString::fromUtf8("/caf\xc3\xa9"));
    QTest::addRow("other key") << u"socket.io"_s << QByteArray("other#/#") << none;
    QTest::addRow("key is a prefix of another key")
        << u"socket"_s << QByteArray("socket.io#/#") << none;
    QTest::addRow("custom key, default channel")
        << u"my-app"_s << QByteArray("socket.io#/#") << none;
    QTest::addRow("presence channel")
        << u"socket.io"_s << QByteArray("socket.io-switchboard#presence#") << none;
    QTest::addRow("control channel")
        << u"socket.io"_s << QByteArray("socket.io-switchboard#request#") << none;
    QTest::addRow("empty namespace") << u"socket.io"_s << QByteArray("socket.io##") << none;
    QTest::addRow("no namespace") << u"socket.io"_s << QByteArray("socket.io#") << none;
    QTest::addRow("namespace not closed")
        << u"socket.io"_s << QByteArray("socket.io#/chat") << none;
    QTest::addRow("key only") << u"socket.io"_s << QByteArray("socket.io") << none;
    QTest::addRow("empty") << u"socket.io"_s << QByteArray() << none;
}

void TestClusterWire::namespaceOf()
{
    QFETCH(QString, key);
    QFETCH(QByteArray, channel);
    QFETCH(std::optional<QString>, nsp);

    const std::optional<QString> actual = Channels(key).namespaceOf(channel);
    QCOMPARE(actual.has_value(), nsp.has_value());
    if (nsp)
        QCOMPARE(*actual, *nsp);
}

void TestClusterWire::decodeBroadcast_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("uid");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<int>("packetType");
    QTest::addColumn<QVariantList>("data");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QStringList>("rooms");
    QTest::addColumn<QStringList>("except");
    QTest::addColumn<QVariantMap>("flags");

    QTest::addRow("adapter broadcast")
        << hex(AdapterBroadcastHex) << Uid << u"/chat"_s << 2
        << QVariantList{u"ev"_s, integer(1), QVariantMap{{u"a"_s, u"b"_s}}, hex("010203")}
        << qint64(-1) << QStringList{u"r1"_s, u"r2"_s} << QStringList{u"x"_s}
        << QVariantMap{{u"volatile"_s, true}};
    QTest::addRow("adapter broadcast, keys sorted")
        << hex(AdapterBroadcastSortedHex) << Uid << u"/chat"_s << 2
        << QVariantList{u"ev"_s, integer(1), QVariantMap{{u"a"_s, u"b"_s}}, hex("010203")}
        << qint64(-1) << QStringList{u"r1"_s, u"r2"_s} << QStringList{u"x"_s}
        << QVariantMap{{u"volatile"_s, true}};
    QTest::addRow("emitter to namespace") << hex(EmitterBroadcastHex) << u"emitter"_s << u"/"_s << 2
                                          << QVariantList{u"hello"_s, u"world"_s} << qint64(-1)
                                          << QStringList{} << QStringList{} << QVariantMap{};
    // emitter.of("/chat").to("room1").except("sid1").compress(false)
    //     .emit("bin", Buffer.from([0, 255]))
    QTest::addRow("emitter to one room with binary")
        << hex("93a7656d697474657283a47479706502a46461746192a362696ec40200ffa36e7370a52f636861"
               "7483a5726f6f6d7391a5726f6f6d31a5666c61677381a8636f6d7072657373c2a66578636570"
               "7491a473696431")
        << u"emitter"_s << u"/chat"_s << 2 << QVariantList{u"bin"_s, hex("00ff")} << qint64(-1)
        << QStringList{u"room1"_s} << QStringList{u"sid1"_s} << QVariantMap{{u"compress"_s, false}};
    // The reference receiver sets nsp "/" when the packet has none.
    QTest::addRow("packet without nsp, opts without flags")
        << hex("93a641623378593982a47479706502a46461746191a2657682a5726f6f6d7390a665786365707490")
        << Uid << u"/"_s << 2 << QVariantList{u"ev"_s} << qint64(-1) << QStringList{}
        << QStringList{} << QVariantMap{};
    // Numeric rooms (socket.io accepts them) match as their text.
    QTest::addRow("empty nsp, numeric rooms")
        << hex("93a641623378593983a47479706502a46461746191a26576a36e7370a083a5726f6f6d739201a1"
               "72a66578636570749102a5666c61677380")
        << Uid << u"/"_s << 2 << QVariantList{u"ev"_s} << qint64(-1) << QStringList{u"1"_s, u"r"_s}
        << QStringList{u"2"_s} << QVariantMap{};
    QTest::addRow("with ack id and timeout")
        << hex("93a641623378593984a46461746191a26576a2696407a36e7370a12fa4747970650283a665786365"
               "707490a5666c61677381a774696d656f7574cd1388a5726f6f6d7391a27231")
        << Uid << u"/"_s << 2 << QVariantList{u"ev"_s} << qint64(7) << QStringList{u"r1"_s}
        << QStringList{} << QVariantMap{{u"timeout"_s, integer(5000)}};
}

void TestClusterWire::decodeBroadcast()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, uid);
    QFETCH(QString, nsp);
    QFETCH(int, packetType);
    QFETCH(QVariantList, data);
    QFETCH(qint64, id);
    QFETCH(QStringList, rooms);
    QFETCH(QStringList, except);
    QFETCH(QVariantMap, flags);

    const auto decoded = cluster::decodeBroadcast(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->uid, uid);
    QCOMPARE(decoded->nsp, nsp);
    QCOMPARE(decoded->packetType, packetType);
    QCOMPARE(describe(decoded->data), describe(data));
    QCOMPARE(decoded->id, id);
    QCOMPARE(decoded->rooms, rooms);
    QCOMPARE(decoded->except, except);
    QCOMPARE(describe(decoded->flags), describe(flags));
}

void TestClusterWire::encodeBroadcast_data()
{
    QTest::addColumn<QString>("uid");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QVariantList>("data");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QStringList>("rooms");
    QTest::addColumn<QStringList>("except");
    QTest::addColumn<QVariantMap>("flags");
    QTest::addColumn<QByteArray>("bytes");

    // Expected: notepack.encode of the reference's structure with keys in alphabetical order;
    // notepack.decode of these bytes deep-equals its decode of the reference's own bytes.
    const BroadcastMessage a = adapterMessage();
    QTest::addRow("adapter broadcast") << a.uid << a.nsp << a.data << a.id << a.rooms << a.except
                                       << a.flags << hex(AdapterBroadcastSortedHex);
    const BroadcastMessage e = emitterMessage();
    QTest::addRow("emitter broadcast") << e.uid << e.nsp << e.data << e.id << e.rooms << e.except
                                       << e.flags << hex(EmitterBroadcastSortedHex);
    QTest::addRow("with ack id and timeout")
        << Uid << u"/"_s << QVariantList{u"ev"_s} << qint64(7) << QStringList{u"r1"_s}
        << QStringList{} << QVariantMap{{u"timeout"_s, 5000}}
        << hex("93a641623378593984a46461746191a26576a2696407a36e7370a12fa4747970650283a665786365"
               "707490a5666c61677381a774696d656f7574cd1388a5726f6f6d7391a27231");
}

void TestClusterWire::encodeBroadcast()
{
    QFETCH(QString, uid);
    QFETCH(QString, nsp);
    QFETCH(QVariantList, data);
    QFETCH(qint64, id);
    QFETCH(QStringList, rooms);
    QFETCH(QStringList, except);
    QFETCH(QVariantMap, flags);
    QFETCH(QByteArray, bytes);

    BroadcastMessage m;
    m.uid = uid;
    m.nsp = nsp;
    m.data = data;
    m.id = id;
    m.rooms = rooms;
    m.except = except;
    m.flags = flags;
    QCOMPARE(cluster::encodeBroadcast(m).toHex(), bytes.toHex());
}

void TestClusterWire::broadcastRoundTrip()
{
    BroadcastMessage m = adapterMessage();
    m.data.append(QVariantList{2.5, null(), QString::fromUtf8("\xe2\x9c\x93")});
    m.packetType = 5;
    m.id = 123456789012;
    const auto decoded = cluster::decodeBroadcast(cluster::encodeBroadcast(m));
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->uid, m.uid);
    QCOMPARE(decoded->nsp, m.nsp);
    QCOMPARE(decoded->packetType, m.packetType);
    QCOMPARE(describe(decoded->data), describe(m.data));
    QCOMPARE(decoded->id, m.id);
    QCOMPARE(decoded->rooms, m.rooms);
    QCOMPARE(decoded->except, m.except);
    QCOMPARE(describe(decoded->flags), describe(m.flags));

    // packetToWire / optionsToWire are the maps inside the array.
    const QVariantMap packet = cluster::packetToWire(m);
    QCOMPARE(packet.keys(), (QStringList{u"data"_s, u"id"_s, u"nsp"_s, u"type"_s}));
    QCOMPARE(cluster::packetToWire(adapterMessage()).keys(),
             (QStringList{u"data"_s, u"nsp"_s, u"type"_s}));
    QCOMPARE(cluster::optionsToWire(m).keys(), (QStringList{u"except"_s, u"flags"_s, u"rooms"_s}));
    const auto fromWire = cluster::broadcastFromWire(Uid, packet, cluster::optionsToWire(m));
    QVERIFY2(fromWire.ok(), qPrintable(fromWire.error()));
    QCOMPARE(fromWire->id, m.id);
    QCOMPARE(describe(fromWire->data), describe(m.data));
}

void TestClusterWire::decodeBroadcastRejects_data()
{
    QTest::addColumn<QByteArray>("bytes");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("not msgpack") << hex("c1");
    QTest::addRow("truncated") << hex(AdapterBroadcastHex).chopped(3);
    QTest::addRow("trailing byte") << hex(AdapterBroadcastHex) + hex("c0");
    QTest::addRow("nil") << hex("c0");
    QTest::addRow("map instead of array") << hex("81a161c0");
    QTest::addRow("two elements") << hex("92a6416233785939") +
                                         hex("82a47479706502a46461746191a26576");
    // [uid, "packet", {}]
    QTest::addRow("packet is a string") << hex("93a6416233785939a67061636b657480");
    // [uid, {data: ["ev"]}, {}]: no type
    QTest::addRow("packet without type") << hex("93a641623378593981a46461746191a2657680");
    // [uid, {type: "two", data: ["ev"]}, {}]
    QTest::addRow("packet type not a number")
        << hex("93a641623378593982a474797065a374776fa46461746191a2657680");
    // [uid, {type: 2, data: []}, {}]
    QTest::addRow("empty data") << hex("93a641623378593982a47479706502a4646174619080");
    // [uid, {type: 2}, {}]
    QTest::addRow("no data") << hex("93a641623378593981a4747970650280");
    // [uid, {type: 2, data: "ev"}, {}]
    QTest::addRow("data not an array") << hex("93a641623378593982a47479706502a464617461a2657680");
    QTest::addRow("JSON text") << QByteArray(R"(["Ab3xY9",{"type":2,"data":["ev"]},{}])");
}

void TestClusterWire::decodeBroadcastRejects()
{
    QFETCH(QByteArray, bytes);

    const auto decoded = cluster::decodeBroadcast(bytes);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
}

void TestClusterWire::dataDepth_data()
{
    QTest::addColumn<int>("maxDataDepth");
    QTest::addColumn<int>("dataDepth");
    QTest::addColumn<bool>("accepted");

    QTest::addRow("default 62") << cluster::DefaultMaxDataDepth << 62 << true;
    QTest::addRow("default 63") << cluster::DefaultMaxDataDepth << 63 << false;
    QTest::addRow("32 of 32") << 32 << 32 << true;
    QTest::addRow("33 of 32") << 32 << 33 << false;
    QTest::addRow("70 of 70, past msgpack's usual 64") << 70 << 70 << true;
    QTest::addRow("71 of 70") << 70 << 71 << false;
}

// What a node accepts from its clients (data nested maxDepth levels, the [event, ...] array
// included) its peers decode, as a broadcast and as a BROADCAST request.
void TestClusterWire::dataDepth()
{
    QFETCH(int, maxDataDepth);
    QFETCH(int, dataDepth);
    QFETCH(bool, accepted);

    QVariant arg = 1;
    for (int i = 1; i < dataDepth; ++i)
        arg = QVariantList{arg};
    cluster::BroadcastMessage message;
    message.uid = Uid;
    message.data = {u"deep"_s, arg};
    message.id = 7;
    const auto broadcast =
        cluster::decodeBroadcast(cluster::encodeBroadcast(message), maxDataDepth);
    QVERIFY2(broadcast.ok() == accepted, qPrintable(broadcast.error()));
    if (accepted)
        QCOMPARE(broadcast->data, message.data);

    const QVariantMap request{{u"uid"_s, Uid},
                              {u"requestId"_s, RequestId},
                              {u"type"_s, 7},
                              {u"packet"_s, cluster::packetToWire(message)},
                              {u"opts"_s, cluster::optionsToWire(message)}};
    const auto decoded =
        cluster::decodeRequest(switchboard::msgpack::encode(request), maxDataDepth);
    QVERIFY2(decoded.ok() == accepted, qPrintable(decoded.error()));
}

void TestClusterWire::decodeRequest_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QVariantMap>("request");

    const QVariant uid(Uid);
    const QVariant requestId(RequestId);
    const auto strings = [](std::initializer_list<QString> list) {
        QVariantList out;
        for (const QString &s : list)
            out.append(s);
        return QVariant(out);
    };
    const auto opts = [&](std::initializer_list<QString> rooms,
                          std::initializer_list<QString> except) {
        return QVariant(QVariantMap{{u"rooms"_s, strings(rooms)}, {u"except"_s, strings(except)}});
    };

    // RedisAdapter (8.3) requests.
    QTest::addRow("0 SOCKETS")
        << QByteArray(R"({"uid":"Ab3xY9","requestId":"Rq1234","type":0,"rooms":["r1"]})")
        << QVariantMap{{u"uid"_s, uid},
                       {u"requestId"_s, requestId},
                       {u"type"_s, integer(0)},
                       {u"rooms"_s, strings({u"r1"_s})}};
    QTest::addRow("1 ALL_ROOMS") << QByteArray(R"({"uid":"Ab3xY9","requestId":"Rq1234","type":1})")
                                 << QVariantMap{{u"uid"_s, uid},
                                                {u"requestId"_s, requestId},
                                                {u"type"_s, integer(1)}};
    QTest::addRow("2 REMOTE_JOIN")
        << QByteArray(
               R"({"uid":"Ab3xY9","type":2,"opts":{"rooms":["r1"],"except":["x"]},"rooms":["r2","r3"]})")
        << QVariantMap{{u"uid"_s, uid},
                       {u"type"_s, integer(2)},
                       {u"opts"_s, opts({u"r1"_s}, {u"x"_s})},
                       {u"rooms"_s, strings({u"r2"_s, u"r3"_s})}};
    QTest::addRow("2 REMOTE_JOIN, one socket (legacy)")
        << QByteArray(R"({"requestId":"Rq1234","type":2,"sid":"sid1","room":"r9"})")
        << QVariantMap{{u"requestId"_s, requestId},
                       {u"type"_s, integer(2)},
                       {u"sid"_s, u"sid1"_s},
                       {u"room"_s, u"r9"_s}};
    QTest::addRow("3 REMOTE_LEAVE")
        << QByteArray(R"({"uid":"Ab3xY9","type":3,"opts":{"rooms":[],"except":[]},"rooms":["r2"]})")
        << QVariantMap{{u"uid"_s, uid},
                       {u"type"_s, integer(3)},
                       {u"opts"_s, opts({}, {})},
                       {u"rooms"_s, strings({u"r2"_s})}};
    QTest::addRow("4 REMOTE_DISCONNECT")
        << QByteArray(
               R"({"uid":"Ab3xY9","type":4,"opts":{"rooms":["r1"],"except":[]},"close":true})")
        << QVariantMap{{u"uid"_s, uid},
                       {u"type"_s, integer(4)},
                       {u"opts"_s, opts({u"r1"_s}, {})},
                       {u"close"_s, true}};
    QTest::addRow("4 REMOTE_DISCONNECT, one socket (legacy)")
        << QByteArray(R"({"requestId":"Rq1234","type":4,"sid":"sid1","close":false})")
        << QVariantMap{{u"requestId"_s, requestId},
                       {u"type"_s, integer(4)},
                       {u"sid"_s, u"sid1"_s},
                       {u"close"_s, false}};
    QTest::addRow("5 REMOTE_FETCH")
        << QByteArray(
               R"({"uid":"Ab3xY9","requestId":"Rq1234","type":5,"opts":{"rooms":["r1"],"except":["x"]}})")
        << QVariantMap{{u"uid"_s, uid},
                       {u"requestId"_s, requestId},
                       {u"type"_s, integer(5)},
                       {u"opts"_s, opts({u"r1"_s}, {u"x"_s})}};
    QTest::addRow("6 SERVER_SIDE_EMIT")
        << QByteArray(R"({"uid":"Ab3xY9","type":6,"data":["hello",{"a":1},2.5]})")
        << QVariantMap{
               {u"uid"_s, uid},
               {u"type"_s, integer(6)},
               {u"data"_s, QVariantList{u"hello"_s, QVariantMap{{u"a"_s, integer(1)}}, 2.5}}};
    QTest::addRow("6 SERVER_SIDE_EMIT with ack")
        << QByteArray(R"({"uid":"Ab3xY9","requestId":"Rq1234","type":6,"data":["ping"]})")
        << QVariantMap{{u"uid"_s, uid},
                       {u"requestId"_s, requestId},
                       {u"type"_s, integer(6)},
                       {u"data"_s, strings({u"ping"_s})}};

    // RedisEmitter (5.1) requests: no uid for 2/3/4, "emitter" for 6.
    QTest::addRow("emitter 2 socketsJoin")
        << QByteArray(R"({"type":2,"opts":{"rooms":["r1"],"except":[]},"rooms":["r2"]})")
        << QVariantMap{{u"type"_s, integer(2)},
                       {u"opts"_s, opts({u"r1"_s}, {})},
                       {u"rooms"_s, strings({u"r2"_s})}};
    QTest::addRow("emitter 3 socketsLeave")
        << QByteArray(R"({"type":3,"opts":{"rooms":[],"except":["x"]},"rooms":["r2"]})")
        << QVariantMap{{u"type"_s, integer(3)},
                       {u"opts"_s, opts({}, {u"x"_s})},
                       {u"rooms"_s, strings({u"r2"_s})}};
    QTest::addRow("emitter 4 disconnectSockets")
        << QByteArray(R"({"type":4,"opts":{"rooms":["r1"],"except":[]},"close":false})")
        << QVariantMap{
               {u"type"_s, integer(4)}, {u"opts"_s, opts({u"r1"_s}, {})}, {u"close"_s, false}};
    QTest::addRow("emitter 6 serverSideEmit")
        << QByteArray(R"({"uid":"emitter","type":6,"data":["ev",1]})")
        << QVariantMap{{u"uid"_s, u"emitter"_s},
                       {u"type"_s, integer(6)},
                       {u"data"_s, QVariantList{u"ev"_s, integer(1)}}};

    // Responses, same decoder.
    QTest::addRow("response SOCKETS")
        << QByteArray(R"({"requestId":"Rq1234","sockets":["sid1","sid2"]})")
        << QVariantMap{{u"requestId"_s, requestId},
                       {u"sockets"_s, strings({u"sid1"_s, u"sid2"_s})}};
    QTest::addRow("response ALL_ROOMS")
        << QByteArray(R"({"requestId":"Rq1234","rooms":["r1","sid1"]})")
        << QVariantMap{{u"requestId"_s, requestId}, {u"rooms"_s, strings({u"r1"_s, u"sid1"_s})}};
    QTest::addRow("response REMOTE_JOIN (legacy)")
        << QByteArray(R"({"requestId":"Rq1234"})") << QVariantMap{{u"requestId"_s, requestId}};
    QTest::addRow("response REMOTE_FETCH")
        << QByteArray(
               R"({"requestId":"Rq1234","sockets":[{"id":"sid1","handshake":{"headers":{"host":"localhost:3000"},"time":"Tue Nov 14 2023","address":"::1","xdomain":false,"secure":false,"issued":1700000000000,"url":"/socket.io/?EIO=4&transport=websocket","query":{"EIO":"4","transport":"websocket"},"auth":{}},"rooms":["sid1","r1"],"data":{}}]})")
        << QVariantMap{
               {u"requestId"_s, requestId},
               {u"sockets"_s,
                QVariantList{QVariantMap{
                    {u"id"_s, u"sid1"_s},
                    {u"handshake"_s,
                     QVariantMap{{u"headers"_s, QVariantMap{{u"host"_s, u"localhost:3000"_s}}},
                                 {u"time"_s, u"Tue Nov 14 2023"_s},
                                 {u"address"_s, u"::1"_s},
                                 {u"xdomain"_s, false},
                                 {u"secure"_s, false},
                                 {u"issued"_s, integer(1700000000000)},
                                 {u"url"_s, u"/socket.io/?EIO=4&transport=websocket"_s},
                                 {u"query"_s, QVariantMap{{u"EIO"_s, u"4"_s},
                                                          {u"transport"_s, u"websocket"_s}}},
                                 {u"auth"_s, QVariantMap{}}}},
                    {u"rooms"_s, strings({u"sid1"_s, u"r1"_s})},
                    {u"data"_s, QVariantMap{}}}}}};
    QTest::addRow("response SERVER_SIDE_EMIT")
        << QByteArray(R"({"type":6,"requestId":"Rq1234","data":"pong"})")
        << QVariantMap{
               {u"type"_s, integer(6)}, {u"requestId"_s, requestId}, {u"data"_s, u"pong"_s}};
    QTest::addRow("response 8 BROADCAST_CLIENT_COUNT")
        << QByteArray(R"({"type":8,"requestId":"Rq1234","clientCount":3})")
        << QVariantMap{{u"type"_s, integer(8)},
                       {u"requestId"_s, requestId},
                       {u"clientCount"_s, integer(3)}};
    QTest::addRow("JSON with spaces after the brace")
        << QByteArray("{ \"type\" : 1 ,\n \"requestId\":\"Rq1234\" }")
        << QVariantMap{{u"type"_s, integer(1)}, {u"requestId"_s, requestId}};

    // msgpack: 7 BROADCAST and 9 BROADCAST_ACK, see broadcastRequest / broadcastAckResponse.
    QTest::addRow("msgpack map") << hex("82a47479706501a9726571756573744964a6527131323334")
                                 << QVariantMap{{u"type"_s, integer(1)},
                                                {u"requestId"_s, requestId}};
}

void TestClusterWire::decodeRequest()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QVariantMap, request);

    const auto decoded = cluster::decodeRequest(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(describe(*decoded), describe(request));
}

void TestClusterWire::broadcastRequest()
{
    // RedisAdapter.broadcastWithAck: parser.encode({uid, requestId, type: 7, packet, opts}),
    // packet {type: 2, data: ["ev", Buffer.from([9])], nsp: "/"} (no id: the adapter encodes
    // before the in-memory adapter assigns it), opts {rooms: ["r1"], except: [],
    // flags: {timeout: 5000}}.
    const QByteArray bytes =
        hex("85a3756964a6416233785939a9726571756573744964a6527131323334a47479706507a67061636b6574"
            "83a47479706502a46461746192a26576c40109a36e7370a12fa46f70747383a5726f6f6d7391a27231a6"
            "65786365707490a5666c61677381a774696d656f7574cd1388");
    const auto decoded = cluster::decodeRequest(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(
        describe(*decoded),
        describe(QVariantMap{
            {u"uid"_s, Uid},
            {u"requestId"_s, RequestId},
            {u"type"_s, integer(7)},
            {u"packet"_s, QVariantMap{{u"type"_s, integer(2)},
                                      {u"data"_s, QVariantList{u"ev"_s, hex("09")}},
                                      {u"nsp"_s, u"/"_s}}},
            {u"opts"_s, QVariantMap{{u"rooms"_s, QVariantList{u"r1"_s}},
                                    {u"except"_s, QVariantList{}},
                                    {u"flags"_s, QVariantMap{{u"timeout"_s, integer(5000)}}}}}}));
    QCOMPARE(decoded->value(u"type"_s).toInt(), int(cluster::RequestType::Broadcast));

    const auto message =
        cluster::broadcastFromWire(decoded->value(u"uid"_s).toString(), decoded->value(u"packet"_s),
                                   decoded->value(u"opts"_s));
    QVERIFY2(message.ok(), qPrintable(message.error()));
    QCOMPARE(message->uid, Uid);
    QCOMPARE(message->nsp, u"/"_s);
    QCOMPARE(message->packetType, 2);
    QCOMPARE(describe(message->data), describe(QVariantList{u"ev"_s, hex("09")}));
    QCOMPARE(message->id, qint64(-1));
    QCOMPARE(message->rooms, QStringList{u"r1"_s});
    QCOMPARE(message->except, QStringList{});
    QCOMPARE(describe(message->flags), describe(QVariantMap{{u"timeout"_s, integer(5000)}}));
}

void TestClusterWire::broadcastAckResponse()
{
    // RedisAdapter.onrequest, BROADCAST: parser.encode({type: 9, requestId, packet: arg}),
    // arg = ["ok", Buffer.from([1])].
    const QByteArray bytes =
        hex("83a47479706509a9726571756573744964a6527131323334a67061636b657492a26f6bc40101");
    const auto decoded = cluster::decodeRequest(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(describe(*decoded),
             describe(QVariantMap{{u"type"_s, integer(9)},
                                  {u"requestId"_s, RequestId},
                                  {u"packet"_s, QVariantList{u"ok"_s, hex("01")}}}));
    QCOMPARE(decoded->value(u"type"_s).toInt(), int(cluster::RequestType::BroadcastAck));
}

void TestClusterWire::decodeRequestRejects_data()
{
    QTest::addColumn<QByteArray>("bytes");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("lone brace") << QByteArray("{");
    QTest::addRow("truncated JSON") << QByteArray(R"({"type":1,"requestId":"Rq)");
    QTest::addRow("JSON with garbage after") << QByteArray(R"({"type":1}x)");
    QTest::addRow("JSON with a second object") << QByteArray(R"({"type":1}{"type":2})");
    QTest::addRow("JSON array (read as msgpack)") << QByteArray(R"([1,2])");
    QTest::addRow("JSON null (read as msgpack)") << QByteArray("null");
    QTest::addRow("space before the brace (read as msgpack)") << QByteArray(R"( {"type":1})");
    QTest::addRow("msgpack array") << hex("9101");
    QTest::addRow("msgpack nil") << hex("c0");
    QTest::addRow("msgpack string") << hex("a3616263");
    QTest::addRow("msgpack integer") << hex("07");
    QTest::addRow("msgpack truncated map") << hex("82a474797065");
    QTest::addRow("msgpack map with trailing byte") << hex("81a47479706501c0");
    QTest::addRow("msgpack reserved byte") << hex("c1");
}

void TestClusterWire::decodeRequestRejects()
{
    QFETCH(QByteArray, bytes);

    const auto decoded = cluster::decodeRequest(bytes);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
}

void TestClusterWire::encodeJson()
{
    // Responses Switchboard publishes; the reference parses them with JSON.parse.
    QCOMPARE(cluster::encodeJson(QVariantMap{{u"requestId"_s, RequestId},
                                             {u"rooms"_s, QStringList{u"r1"_s, u"sid1"_s}}}),
             QByteArray(R"({"requestId":"Rq1234","rooms":["r1","sid1"]})"));
    QCOMPARE(cluster::encodeJson(
                 QVariantMap{{u"type"_s, 8}, {u"requestId"_s, RequestId}, {u"clientCount"_s, 3}}),
             QByteArray(R"({"clientCount":3,"requestId":"Rq1234","type":8})"));
    const auto back = cluster::decodeRequest(cluster::encodeJson(QVariantMap{
        {u"type"_s, 6}, {u"requestId"_s, RequestId}, {u"data"_s, QVariantList{1, u"a"_s}}}));
    QVERIFY2(back.ok(), qPrintable(back.error()));
    QCOMPARE(describe(*back), describe(QVariantMap{{u"type"_s, integer(6)},
                                                   {u"requestId"_s, RequestId},
                                                   {u"data"_s, QVariantList{integer(1), u"a"_s}}}));
}

QTEST_GUILESS_MAIN(TestClusterWire)
#include "tst_clusterwire.moc"
