// The emit job shared by POST /api/emit, the --queue list and switchboard-emit: every accepted
// form, every rejection reason, the JSON form read back, and the broadcast it becomes (byte for
// byte what @socket.io/redis-emitter publishes).
#include "switchboard/emitjob.h"

#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using switchboard::EmitJob;
namespace cluster = switchboard::cluster;

#include "testvalues.h"

Q_DECLARE_METATYPE(switchboard::EmitJob)

namespace switchboard {

char *toString(const EmitJob &job)
{
    return qstrdup(u"EmitJob(nsp=%1 to=[%2] except=[%3] event=%4 args=%5)"_s
                       .arg(job.nsp, job.to.join(u','), job.except.join(u','), job.event,
                            testvalues::describe(job.args))
                       .toUtf8());
}

} // namespace switchboard

namespace {

constexpr int MaxDepth = 4; // the node's --max-depth: [event, data] may nest 4 levels

EmitJob job(const QString &event, QVariantList args = {}, QStringList to = {},
            QStringList except = {}, const QString &nsp = u"/"_s)
{
    EmitJob j;
    j.event = event;
    j.args = std::move(args);
    j.to = std::move(to);
    j.except = std::move(except);
    j.nsp = nsp;
    return j;
}

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

} // namespace

class TestEmitJob : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accepted_data();
    void accepted();
    void rejected_data();
    void rejected();
    void jsonRoundTrip_data();
    void jsonRoundTrip();
    void emitterBytes();
    void channel();
};

void TestEmitJob::accepted_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<EmitJob>("expected");

    QTest::addRow("event only") << R"({"event":"ev"})"_ba << job(u"ev"_s);
    QTest::addRow("data string") << R"({"event":"ev","data":"hi"})"_ba << job(u"ev"_s, {u"hi"_s});
    QTest::addRow("data null is an argument")
        << R"({"event":"ev","data":null})"_ba << job(u"ev"_s, {null()});
    QTest::addRow("data object") << R"({"event":"ev","data":{"a":[1,2]}})"_ba
                                 << job(u"ev"_s, {QVariantMap{{u"a"_s, QVariantList{1, 2}}}});
    QTest::addRow("to string") << R"({"event":"ev","to":"room1"})"_ba
                               << job(u"ev"_s, {}, {u"room1"_s});
    QTest::addRow("to array, duplicates dropped")
        << R"({"event":"ev","to":["a","b","a"]})"_ba << job(u"ev"_s, {}, {u"a"_s, u"b"_s});
    QTest::addRow("except string")
        << R"({"event":"ev","except":"x"})"_ba << job(u"ev"_s, {}, {}, {u"x"_s});
    QTest::addRow("except empty array") << R"({"event":"ev","except":[]})"_ba << job(u"ev"_s);
    QTest::addRow("nsp") << R"({"event":"ev","nsp":"/chat","to":["r"],"except":["s"]})"_ba
                         << job(u"ev"_s, {}, {u"r"_s}, {u"s"_s}, u"/chat"_s);
    QTest::addRow("null nsp/to/except are absent")
        << R"({"event":"ev","nsp":null,"to":null,"except":null})"_ba << job(u"ev"_s);
    QTest::addRow("message is not reserved") << R"({"event":"message"})"_ba << job(u"message"_s);
    QTest::addRow("data at the depth limit")
        << R"({"event":"ev","data":[[[1]]]})"_ba
        << job(u"ev"_s, {QVariantList{QVariantList{QVariantList{1}}}});
    QTest::addRow("room length 256") << (R"({"event":"ev","to":")" + QByteArray(256, 'r') + "\"}")
                                     << job(u"ev"_s, {}, {QString(256, u'r')});
    QTest::addRow("reference form") << R"({"room":"lobby","message":"hello"})"_ba
                                    << job(u"message"_s, {u"hello"_s}, {u"lobby"_s});
    QTest::addRow("reference form, object message")
        << R"({"room":"lobby","message":{"text":"hi"}})"_ba
        << job(u"message"_s, {QVariantMap{{u"text"_s, u"hi"_s}}}, {u"lobby"_s});
    QTest::addRow("reference form without message")
        << R"({"room":"lobby"})"_ba << job(u"message"_s, {}, {u"lobby"_s});
    QTest::addRow("reference form, rooms array")
        << R"({"room":["a","b"],"message":1})"_ba << job(u"message"_s, {1}, {u"a"_s, u"b"_s});
}

void TestEmitJob::accepted()
{
    QFETCH(QByteArray, json);
    QFETCH(EmitJob, expected);
    const auto decoded = switchboard::parseEmitJob(json, MaxDepth);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(*decoded, expected);
    // The kinds of the leaves too (QVariant's == converts 1 and "1").
    QCOMPARE(testvalues::describe(decoded->args), testvalues::describe(expected.args));
}

void TestEmitJob::rejected_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("reason");

    QTest::addRow("empty") << ""_ba << u"not JSON: "_s;
    QTest::addRow("truncated") << R"({"event":"ev")"_ba << u"not JSON: invalid JSON at offset"_s;
    QTest::addRow("garbage") << "hello"_ba << u"not JSON: "_s;
    QTest::addRow("array") << R"(["ev"])"_ba << u"not a JSON object"_s;
    QTest::addRow("string") << R"("ev")"_ba << u"not a JSON object"_s;
    QTest::addRow("missing event") << R"({"data":1})"_ba << u"missing field 'event'"_s;
    QTest::addRow("empty object") << "{}"_ba << u"missing field 'event'"_s;
    QTest::addRow("event number") << R"({"event":1})"_ba << u"event must be a non-empty string"_s;
    QTest::addRow("event null") << R"({"event":null})"_ba << u"event must be a non-empty string"_s;
    QTest::addRow("event empty") << R"({"event":""})"_ba << u"event must be a non-empty string"_s;
    for (const char *reserved : {"connect", "connect_error", "disconnect", "disconnecting",
                                 "newListener", "removeListener"})
        QTest::addRow("reserved %s", reserved)
            << (R"({"event":")" + QByteArray(reserved) + "\"}")
            << u"'%1' is a reserved event name"_s.arg(QLatin1String(reserved));
    QTest::addRow("nsp without slash")
        << R"({"event":"ev","nsp":"chat"})"_ba << u"nsp must be a string starting with '/'"_s;
    QTest::addRow("nsp empty") << R"({"event":"ev","nsp":""})"_ba
                               << u"nsp must be a string starting with '/'"_s;
    QTest::addRow("nsp number") << R"({"event":"ev","nsp":1})"_ba
                                << u"nsp must be a string starting with '/'"_s;
    QTest::addRow("nsp too long") << (R"({"event":"ev","nsp":"/)" + QByteArray(256, 'n') + "\"}")
                                  << u"nsp: longer than 256 characters"_s;
    QTest::addRow("to number") << R"({"event":"ev","to":5})"_ba
                               << u"to must be a room name or an array of room names"_s;
    QTest::addRow("to object") << R"({"event":"ev","to":{"r":1}})"_ba
                               << u"to must be a room name or an array of room names"_s;
    QTest::addRow("to array of numbers")
        << R"({"event":"ev","to":["a",2]})"_ba << u"to: every room must be a string"_s;
    QTest::addRow("to empty string")
        << R"({"event":"ev","to":""})"_ba << u"to: a room name must have 1 to 256 characters"_s;
    QTest::addRow("to empty room in array") << R"({"event":"ev","to":["a",""]})"_ba
                                            << u"to: a room name must have 1 to 256 characters"_s;
    QTest::addRow("to room too long") << (R"({"event":"ev","to":")" + QByteArray(257, 'r') + "\"}")
                                      << u"to: a room name must have 1 to 256 characters"_s;
    QTest::addRow("to empty array")
        << R"({"event":"ev","to":[]})"_ba << u"to: an empty array reaches nobody"_s;
    QByteArray many = R"({"event":"ev","to":[)"_ba;
    for (int i = 0; i <= switchboard::MaxEmitRooms; ++i)
        many += (i ? ",\"r" : "\"r") + QByteArray::number(i) + '"';
    QTest::addRow("to too many rooms") << many + "]}" << u"to: more than 1000 rooms"_s;
    QTest::addRow("except number") << R"({"event":"ev","except":true})"_ba
                                   << u"except must be a room name or an array of room names"_s;
    QTest::addRow("except array of arrays")
        << R"({"event":"ev","except":[["a"]]})"_ba << u"except: every room must be a string"_s;
    QTest::addRow("except empty room") << R"({"event":"ev","except":[""]})"_ba
                                       << u"except: a room name must have 1 to 256 characters"_s;
    QTest::addRow("unknown field")
        << R"({"event":"ev","rooms":["a"]})"_ba << u"unknown field 'rooms'"_s;
    QTest::addRow("forms mixed: event and room")
        << R"({"event":"ev","room":"a"})"_ba
        << u"'room' belongs to the {room, message} form and cannot be used with 'event'"_s;
    QTest::addRow("forms mixed: message and to")
        << R"({"message":"m","to":"a"})"_ba
        << u"'to' cannot be used with 'room'/'message' (the {room, message} form)"_s;
    QTest::addRow("reference form without room")
        << R"({"message":"m"})"_ba << u"missing field 'room' (the {room, message} form)"_s;
    QTest::addRow("reference form, room null")
        << R"({"room":null,"message":"m"})"_ba
        << u"missing field 'room' (the {room, message} form)"_s;
    QTest::addRow("reference form, room number")
        << R"({"room":3,"message":"m"})"_ba
        << u"room must be a room name or an array of room names"_s;
    QTest::addRow("reference form, room empty array")
        << R"({"room":[],"message":"m"})"_ba << u"room: no room given"_s;
    QTest::addRow("data too deep")
        << R"({"event":"ev","data":[[[[1]]]]})"_ba << u"data nested deeper than 3 levels"_s;
    QTest::addRow("message too deep") << R"({"room":"r","message":{"a":{"b":{"c":{}}}}})"_ba
                                      << u"data nested deeper than 3 levels"_s;
}

void TestEmitJob::rejected()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, reason);
    const auto decoded = switchboard::parseEmitJob(json, MaxDepth);
    if (decoded.ok()) {
        const std::unique_ptr<char[]> accepted(switchboard::toString(*decoded));
        QFAIL(accepted.get());
    }
    QVERIFY2(decoded.error().startsWith(reason), qPrintable(decoded.error()));
}

void TestEmitJob::jsonRoundTrip_data()
{
    QTest::addColumn<EmitJob>("job");
    QTest::addColumn<QByteArray>("json");

    QTest::addRow("minimal") << job(u"ev"_s) << R"({"event":"ev"})"_ba;
    QTest::addRow("everything") << job(u"ev"_s, {QVariantMap{{u"n"_s, 1}}}, {u"a"_s, u"b"_s},
                                       {u"x"_s}, u"/chat"_s)
                                << R"({"data":{"n":1},"event":"ev","except":["x"],"nsp":"/chat",)"
                                   R"("to":["a","b"]})"_ba;
    QTest::addRow("data null") << job(u"ev"_s, {null()}) << R"({"data":null,"event":"ev"})"_ba;
}

void TestEmitJob::jsonRoundTrip()
{
    QFETCH(EmitJob, job);
    QFETCH(QByteArray, json);
    QCOMPARE(switchboard::emitJobToJson(job), json);
    const auto back = switchboard::parseEmitJob(json, MaxDepth);
    QVERIFY2(back.ok(), qPrintable(back.error()));
    QCOMPARE(*back, job);
}

void TestEmitJob::emitterBytes()
{
    // io.emit("hello", "world") of @socket.io/redis-emitter 5.1 in "/", as encoded by
    // notepack.io with the maps' keys sorted (tst_clusterwire's EmitterBroadcastSortedHex).
    const auto decoded = switchboard::parseEmitJob(R"({"event":"hello","data":"world"})", 32);
    QVERIFY(decoded.ok());
    const cluster::BroadcastMessage message = switchboard::toBroadcast(*decoded);
    QCOMPARE(message.uid, u"emitter"_s);
    QCOMPARE(cluster::encodeBroadcast(message).toHex(),
             QByteArray("93a7656d697474657283a46461746192a568656c6c6fa5776f726c64a36e7370a12fa474"
                        "7970650283a665786365707490a5666c61677380a5726f6f6d7390"));

    // Rooms, except and nsp come through, and nothing is added when data is absent.
    const cluster::BroadcastMessage targeted =
        switchboard::toBroadcast(job(u"ev"_s, {}, {u"a"_s, u"b"_s}, {u"x"_s}, u"/chat"_s));
    QCOMPARE(targeted.nsp, u"/chat"_s);
    QCOMPARE(targeted.data, QVariantList{u"ev"_s});
    QCOMPARE(targeted.rooms, (QStringList{u"a"_s, u"b"_s}));
    QCOMPARE(targeted.except, QStringList{u"x"_s});
    QCOMPARE(targeted.packetType, 2);
    QVERIFY(targeted.flags.isEmpty());
    const auto back = cluster::decodeBroadcast(cluster::encodeBroadcast(targeted));
    QVERIFY2(back.ok(), qPrintable(back.error()));
    QCOMPARE(back->data, targeted.data);
    QCOMPARE(back->rooms, targeted.rooms);
}

void TestEmitJob::channel()
{
    const cluster::Channels channels(u"app"_s);
    const auto channelOf = [&](const EmitJob &j) {
        return switchboard::broadcastChannel(channels, switchboard::toBroadcast(j));
    };
    QCOMPARE(channelOf(job(u"ev"_s)), "app#/#"_ba);
    QCOMPARE(channelOf(job(u"ev"_s, {}, {u"r1"_s}, {}, u"/chat"_s)), "app#/chat#r1#"_ba);
    QCOMPARE(channelOf(job(u"ev"_s, {}, {u"r1"_s, u"r2"_s})), "app#/#"_ba);
    QCOMPARE(channelOf(job(u"ev"_s, {}, {}, {u"x"_s})), "app#/#"_ba);
}

QTEST_GUILESS_MAIN(TestEmitJob)
#include "tst_emitjob.moc"
