// Hostile clients at the Socket.IO layer (issue 11, rows 5 to 8 and rooms per socket), against
// real switchboard-node processes (and a real redis-server where the cluster matters): pending
// acks per socket, nesting depth on the client and the cluster wire, client-chosen strings in
// the log, refused CONNECTs on one connection, rooms per socket. Each case asserts on the
// node's own counters (/healthz "limits"), its log and, where the row is about memory, its RSS
// from /proc; a bystander is served throughout. Every loop is bounded in bytes and seconds.
#include "nodefixture.h"
#include "nodeprocess.h"
#include "peer.h"
#include "rawclient.h"
#include "redisserver.h"

#include "switchboard/namespace.h"
#include "switchboard/socket.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>

#include <memory>
#include <optional>

using namespace switchboard;

namespace {

const QString kToken = QStringLiteral("s3cret");
// What a forged log line would look like: a timestamp no real line of the test carries.
const QString kForged = QStringLiteral("2020-01-01T00:00:00.000 W switchboard.server: FORGED");

qint64 limitHits(const NodeProcess &node, const char *name)
{
    return node.health().value(u"limits").toObject().value(QLatin1String(name)).toInteger(-1);
}

int countLines(const QByteArray &log, const QString &needle)
{
    int count = 0;
    for (const QByteArray &line : log.split('\n'))
        if (QString::fromUtf8(line).contains(needle))
            ++count;
    return count;
}

// `levels` arrays around the number 1: [[...[1]...]].
QString nested(int levels)
{
    return QString(levels, u'[') + u'1' + QString(levels, u']');
}

// A client that keeps asking to join a room and must keep getting {ok:true}.
bool served(Peer &bystander)
{
    return bystander.callJson(QStringLiteral("join"), QStringLiteral("\"bystanders\""))
        .value(QStringLiteral("ok"))
        .toBool();
}

bool startNode(NodeProcess &node)
{
    if (node.start())
        return true;
    qWarning("%s", qPrintable(node.error()));
    return false;
}

// Waits until `count` servers subscribed to the root namespace's request channel.
bool waitSubscribers(const RedisServer &redis, int count)
{
    return QTest::qWaitFor(
        [&] {
            QProcess cli;
            cli.start(QStringLiteral("redis-cli"),
                      {QStringLiteral("-p"), QString::number(redis.port()),
                       QStringLiteral("PUBSUB"), QStringLiteral("NUMSUB"),
                       QStringLiteral("socket.io-request#/#")});
            if (!cli.waitForFinished(3000))
                return false;
            const QStringList lines =
                QString::fromUtf8(cli.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts);
            return lines.value(1).trimmed().toInt() == count;
        },
        10000);
}

} // namespace

class TestHostileSio : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults();
    void pendingAcksPerSocketAreCapped();
    void emitWithAckIsCapped();
    void askedAcksDoNotBlockOwnEmits();
    void depthIsTheSameOnBothWires_data();
    void depthIsTheSameOnBothWires();
    void logsQuoteClientStrings();
    void refusedConnectsCloseTheConnection();
    void roomsPerSocketAreCapped();
};

void TestHostileSio::defaults()
{
    QCOMPARE(ServerOptions{}.maxPendingAcks, 1000);
    QCOMPARE(ServerOptions{}.maxRoomsPerSocket, 1000);
    QCOMPARE(ServerOptions{}.maxAuthFailures, 5);
    QCOMPARE(ServerOptions{}.maxDepth, 32);
}

// Row 5: `send` with ack:true to a room whose members never answer. Past --max-pending-acks
// (default 1000) the sender hears {ok:false, error:"too many pending acks"} at once, nothing
// more is held for it, and the log says so once, not once per packet.
void TestHostileSio::pendingAcksPerSocketAreCapped()
{
    NodeProcess node(u"acks"_qs, {});
    QVERIFY(startNode(node));
    Peer bystander(node.engineUrl());
    QVERIFY(bystander.connect());
    std::vector<std::unique_ptr<Peer>> sinks; // members that read every frame, answer none
    for (int i = 0; i < 3; ++i) {
        sinks.push_back(std::make_unique<Peer>(node.engineUrl()));
        QVERIFY(sinks.back()->connect());
        QCOMPARE(sinks.back()->callJson(u"join"_qs, u"\"sink\""_qs).value(u"ok"_qs),
                 QVariant(true));
    }
    Peer attacker(node.engineUrl());
    QVERIFY(attacker.connect());
    QVERIFY(served(bystander));
    const qint64 before = node.rssKiB();
    QVERIFY(before > 0);

    // 20 000 sends of ~600 bytes (12 MB in all), paced by what the socket has left to write.
    constexpr int Sends = 20000;
    const QString data(500, u'x');
    const QString request =
        QStringLiteral("{\"to\":\"sink\",\"ack\":true,\"timeout\":30000,\"data\":\"%1\"}")
            .arg(data);
    QList<qint64> ids;
    qint64 peak = before;
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < Sends && clock.elapsed() < 60000; ++i) {
        ids << attacker.emitJsonWithAck(u"send"_qs, request);
        if (i % 500 == 499) {
            QVERIFY(QTest::qWaitFor([&] { return attacker.client.socket().bytesToWrite() < 65536; },
                                    10000));
            for (auto &sink : sinks)
                sink->keepAskedIds();
            peak = std::max(peak, node.rssKiB());
        }
        if (i % 5000 == 4999)
            QVERIFY2(served(bystander), "the bystander was not served during the attack");
    }
    QCOMPARE(ids.size(), Sends);

    // Everything past the cap is refused at once.
    int refused = 0;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     attacker.pump();
                     for (auto it = attacker.acks.begin(); it != attacker.acks.end();) {
                         const QVariantMap reply = it->toMap();
                         if (reply.value(u"ok"_qs) == QVariant(false) &&
                             reply.value(u"error"_qs) == u"too many pending acks"_qs)
                             ++refused;
                         it = attacker.acks.erase(it);
                     }
                     return refused >= Sends - 1000;
                 },
                 20000),
             qPrintable(QStringLiteral("%1 of %2 sends refused; log:\n%3")
                            .arg(refused)
                            .arg(Sends)
                            .arg(node.logTail())));
    peak = std::max(peak, node.rssKiB());
    QVERIFY(served(bystander));
    QCOMPARE(limitHits(node, "pending_acks"), qint64(refused));
    const int logged = countLines(node.log(), u"--max-pending-acks"_qs);
    QVERIFY2(logged >= 1 && logged <= 4, qPrintable(node.logTail()));
    const qint64 growthMiB = (peak - before) / 1024;
    qInfo("RSS %lld KiB before, %lld KiB at the peak (+%lld MiB); %d of %d sends refused", before,
          peak, growthMiB, refused, Sends);
    QVERIFY2(NodeProcess::sanitized() || growthMiB < 32,
             qPrintable(QStringLiteral("RSS grew by %1 MiB").arg(growthMiB)));

    // The sinks answer: the accepted broadcasts finish and the sender may ask for acks again.
    int finished = 0;
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (auto &sink : sinks)
                sink->answerAll();
            attacker.pump();
            for (auto it = attacker.acks.begin(); it != attacker.acks.end();) {
                finished += it->toMap().value(u"ok"_qs).toBool() ? 1 : 0;
                it = attacker.acks.erase(it);
            }
            return finished >= 1000;
        },
        20000));
    const QVariantMap again =
        attacker.callJson(u"send"_qs, u"{\"to\":\"nobody\",\"ack\":true,\"timeout\":100}"_qs);
    QCOMPARE(again.value(u"ok"_qs), QVariant(true));
    QVERIFY(served(bystander));
}

// Row 5, the C++ API: Socket::emitWithAck refuses past the cap (false, counted) and takes
// acks again once earlier ones timed out.
void TestHostileSio::emitWithAckIsCapped()
{
    auto node = ::startNode([](NodeConfig &c) { c.server.maxPendingAcks = 10; });
    QVERIFY(node);
    QSignalSpy connections(node->server()->of(u"/"_qs), &Namespace::connection);
    RawClient client(engineUrl(*node)); // never answers
    QVERIFY(!client.handshake().isNull());
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.first().first().value<Socket *>();
    QStringList errors;
    const auto collect = [&errors](const QString &error, const QVariantList &) { errors << error; };
    for (int i = 0; i < 10; ++i)
        QVERIFY(socket->emitWithAck(u"ask"_qs, {i}, collect, 300));
    QCOMPARE(socket->pendingAcks(), 10);
    QVERIFY(!socket->emitWithAck(u"ask"_qs, {10}, collect, 300));
    QVERIFY(!socket->emitWithAck(u"ask"_qs, {11}, collect, 300));
    QCOMPARE(node->server()->bounds().value(Bound::PendingAcks), quint64(2));
    QVERIFY(socket->emit(u"plain"_qs, {1})); // emits without ack are not limited
    QTRY_COMPARE(errors.size(), 10);
    QCOMPARE(errors.first(), u"operation has timed out"_qs);
    QCOMPARE(socket->pendingAcks(), 0);
    QVERIFY(socket->emitWithAck(u"ask"_qs, {12}, collect, 300));
}

// Broadcasts with ack a socket never answers are capped on their own: past the cap it still
// receives them (its ack not awaited), and its own emits with ack are not refused.
void TestHostileSio::askedAcksDoNotBlockOwnEmits()
{
    auto node = ::startNode([](NodeConfig &c) { c.server.maxPendingAcks = 10; });
    QVERIFY(node);
    QSignalSpy connections(node->server()->of(u"/"_qs), &Namespace::connection);
    RawClient victim(engineUrl(*node)); // never answers
    QVERIFY(!victim.handshake().isNull());
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.first().first().value<Socket *>();
    int done = 0;
    QList<int> answered;
    for (int i = 0; i < 15; ++i)
        QVERIFY(node->server()->of(u"/"_qs)->emitWithAck(
            u"asked"_qs, {i},
            [&](const QString &, const QVariantList &responses) {
                ++done;
                answered << int(responses.size());
            },
            60000));
    QCOMPARE(socket->askedAcks(), 10);
    QCOMPARE(socket->pendingAcks(), 0);
    // All 15 reached it.
    const auto received = [&victim] {
        int n = 0;
        for (const QString &text : std::as_const(victim.texts))
            n += text.contains(u"\"asked\""_qs) ? 1 : 0;
        return n;
    };
    QTRY_COMPARE(received(), 15);
    // The five past the cap awaited nobody: done at once, with no responses.
    QTRY_COMPARE(done, 5);
    QCOMPARE(answered, QList<int>(5, 0));
    QVERIFY(node->server()->bounds().value(Bound::PendingAcks) >= 5);
    // Its own emit with ack is not refused.
    QVERIFY(socket->emitWithAck(
        u"own"_qs, {}, [](const QString &, const QVariantList &) {}, 300));
    QCOMPARE(socket->pendingAcks(), 1);
}

void TestHostileSio::depthIsTheSameOnBothWires_data()
{
    QTest::addColumn<int>("maxDepth");
    QTest::addColumn<QStringList>("args");
    QTest::addRow("default 32") << 32 << QStringList{};
    // Beyond the msgpack depth of 64 the cluster wire used to stop at.
    QTest::addRow("--max-depth 70") << 70 << QStringList{u"--max-depth"_qs, u"70"_qs};
}

// Row 6: a `send` whose packet is nested maxDepth levels reaches the members on both nodes
// (with and without acks); one level more closes the sender's connection, counted and logged,
// and reaches nobody.
void TestHostileSio::depthIsTheSameOnBothWires()
{
    QFETCH(int, maxDepth);
    QFETCH(QStringList, args);
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    NodeProcess nodeA(u"deep-a"_qs, redis.url(), args);
    NodeProcess nodeB(u"deep-b"_qs, redis.url(), args);
    QVERIFY(startNode(nodeA));
    QVERIFY(startNode(nodeB));
    QVERIFY(waitSubscribers(redis, 2));

    Peer bystander(nodeA.engineUrl());
    QVERIFY(bystander.connect());
    Peer memberA(nodeA.engineUrl());
    Peer memberB(nodeB.engineUrl());
    for (Peer *member : {&memberA, &memberB}) {
        QVERIFY(member->connect());
        QCOMPARE(member->callJson(u"join"_qs, u"\"deep\""_qs).value(u"ok"_qs), QVariant(true));
    }
    Peer sender(nodeA.engineUrl());
    QVERIFY(sender.connect());

    // ["send", {"to":"deep","data": X}]: two levels around X.
    const QString allowed = nested(maxDepth - 2);
    const QString send = QStringLiteral("{\"to\":\"deep\",\"data\":%1}");
    QCOMPARE(sender.callJson(u"send"_qs, send.arg(allowed)).value(u"ok"_qs), QVariant(true));
    for (Peer *member : {&memberA, &memberB}) {
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         member->pump();
                         return !member->events.isEmpty();
                     },
                     5000),
                 qPrintable(nodeB.logTail()));
        const Frame frame = member->events.takeFirst();
        QCOMPARE(frame.event(), u"message"_qs);
        QVERIFY(frame.text.contains(allowed));
    }

    // With acks: the BROADCAST request travels as msgpack, the members' answers come back.
    const QString sendWithAck =
        QStringLiteral("{\"to\":\"deep\",\"ack\":true,\"timeout\":5000,\"data\":%1}").arg(allowed);
    const qint64 ackId = sender.emitJsonWithAck(u"send"_qs, sendWithAck);
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     memberA.answerAll();
                     memberB.answerAll();
                     sender.pump();
                     return sender.acks.contains(ackId);
                 },
                 8000),
             qPrintable(nodeB.logTail()));
    const QVariantMap reply = sender.acks.take(ackId).toMap();
    QCOMPARE(reply.value(u"ok"_qs), QVariant(true));
    QCOMPARE(reply.value(u"replies"_qs).toList().size(), 2);

    // One level more: refused where it comes in.
    const qint64 deepId = sender.emitJsonWithAck(u"send"_qs, send.arg(nested(maxDepth - 1)));
    QVERIFY2(sender.client.waitClosed(), "the sender of a too deep packet was not closed");
    QVERIFY(!sender.acks.contains(deepId));
    QCOMPARE(limitHits(nodeA, "depth"), qint64(1));
    QVERIFY2(countLines(nodeA.log(), QStringLiteral("nested deeper than %1").arg(maxDepth)) == 1,
             qPrintable(nodeA.logTail()));
    // Nothing reached the members before a fence sent after it (Redis keeps one publisher's
    // order).
    QCOMPARE(
        bystander.callJson(u"send"_qs, u"{\"to\":\"deep\",\"event\":\"fence\"}"_qs).value(u"ok"_qs),
        QVariant(true));
    for (Peer *member : {&memberA, &memberB}) {
        const auto before = member->untilEvent(u"fence"_qs);
        QVERIFY(before);
        QVERIFY2(before->isEmpty(), qPrintable(before->value(0).text.left(200)));
    }
    QVERIFY(served(bystander));
}

// Row 7: namespace names, event names and reasons chosen by clients, with newlines in them and
// hundreds of KB long, each reach the log as one quoted line of a few hundred bytes.
void TestHostileSio::logsQuoteClientStrings()
{
    // Every category at debug level but switchboard.server, whose namespace lines (server.cpp)
    // are outside the Socket.IO layer this covers.
    NodeProcess node(u"quotes"_qs, {},
                     {u"--auth-token"_qs, kToken, u"--namespaces"_qs, u"/,/open*"_qs, u"--log"_qs,
                      u"switchboard.*.debug=true,switchboard.server.debug=false"_qs});
    QVERIFY(startNode(node));
    const QByteArray auth = QByteArrayLiteral("{\"token\":\"s3cret\"}");
    Peer bystander(node.engineUrl());
    QVERIFY(bystander.connect(auth));
    const QString forged = u'\n' + kForged + u'\n';
    const QString padding(300000, u'p');

    // A CONNECT to a namespace that does not exist (answered, the connection stays).
    RawClient unknown(node.engineUrl());
    QVERIFY(unknown.waitConnected());
    QVERIFY(unknown.next().startsWith(u'0'));
    unknown.send(u"40/nope"_qs + forged + padding + u',');
    QVERIFY(unknown.nextStartingWith(u"44/nope"_qs).contains(u"Invalid namespace"));

    // A refused CONNECT (wrong token) to a dynamic namespace with such a name.
    RawClient refused(node.engineUrl());
    QVERIFY(refused.waitConnected());
    QVERIFY(refused.next().startsWith(u'0'));
    // (No newline here: a wildcard does not match one. A terminal escape instead.)
    refused.send(u"40/open\x1b[2J"_qs + padding + u",{\"token\":\"wrong\"}"_qs);
    QVERIFY(!refused.nextStartingWith(u"44/open"_qs).isNull());

    // A packet for a namespace not joined: closes the connection with the name in the reason.
    Peer ghost(node.engineUrl());
    QVERIFY(ghost.connect(auth));
    ghost.client.send(u"42/ghost"_qs + forged + padding + u",[\"x\"]"_qs);
    QVERIFY(ghost.client.waitClosed());

    // An event nobody handles, its name long and broken across lines.
    Peer events(node.engineUrl());
    QVERIFY(events.connect(auth));
    const QString eventName = QString(u"ev"_qs + forged + padding).replace(u"\n"_qs, u"\\n"_qs);
    events.client.send(u"42[\""_qs + eventName + u"\",1]"_qs);
    // A packet type that is a control character.
    RawClient control(node.engineUrl());
    QVERIFY(control.waitConnected());
    control.send(u"4"_qs + forged);
    QVERIFY(control.waitClosed());

    QVERIFY(served(bystander));
    QVERIFY(served(events));
    const QByteArray log = node.log();
    QVERIFY2(log.contains("\\n2020-01-01T00:00:00.000"), "the quoted names are not in the log");
    static const QRegularExpression timestamp(u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d"_qs);
    int longest = 0;
    QString longestStart;
    for (const QByteArray &line : log.split('\n')) {
        if (line.isEmpty())
            continue;
        const QString text = QString::fromUtf8(line);
        if (line.size() > longest) {
            longest = int(line.size());
            longestStart = text.left(200);
        }
        QVERIFY2(!text.startsWith(u"2020-01-01T"), "a forged line reached the log");
        QVERIFY2(
            timestamp.match(text).hasMatch(),
            qPrintable(u"a line of the log that the node did not start: "_qs + text.left(200)));
        for (QChar c : text)
            QVERIFY2(c.unicode() >= 0x20 || c == u'\t', "a control character in the log");
    }
    qInfo("longest log line: %d bytes (%lld bytes of log)", longest, qint64(log.size()));
    QVERIFY2(
        longest <= 1000,
        qPrintable(QStringLiteral("a log line of %1 bytes: %2").arg(longest).arg(longestStart)));
}

// Row 8: 200 CONNECTs with a bad token on one connection: --max-auth-failures (default 5) are
// answered, then the connection is closed with a logged reason, counted.
void TestHostileSio::refusedConnectsCloseTheConnection()
{
    NodeProcess node(u"auth"_qs, {}, {u"--auth-token"_qs, kToken});
    QVERIFY(startNode(node));
    const QByteArray good = QByteArrayLiteral("{\"token\":\"s3cret\"}");
    Peer bystander(node.engineUrl());
    QVERIFY(bystander.connect(good));

    // Four failures and then the right token: that client stays.
    Peer clumsy(node.engineUrl());
    QVERIFY(clumsy.client.waitConnected());
    QVERIFY(clumsy.client.next().startsWith(u'0'));
    for (int i = 0; i < 4; ++i) {
        clumsy.client.send(u"40{\"token\":\"typo\"}"_qs);
        QVERIFY(!clumsy.client.nextStartingWith(u"44"_qs).isNull());
    }
    QVERIFY(!clumsy.client.join(u"/"_qs, good).isNull());

    RawClient attacker(node.engineUrl());
    QVERIFY(attacker.waitConnected());
    QVERIFY(attacker.next().startsWith(u'0'));
    for (int i = 0; i < 200; ++i)
        attacker.send(QStringLiteral("40{\"token\":\"guess-%1\"}").arg(i));
    QVERIFY2(attacker.waitClosed(10000), "the guessing connection was never closed");
    int answered = 0;
    for (const QString &text : std::as_const(attacker.texts))
        answered += text.startsWith(u"44") ? 1 : 0;
    qInfo("%d of 200 bad CONNECTs answered before the close", answered);
    QCOMPARE(answered, 5);
    QCOMPARE(limitHits(node, "auth_failures"), qint64(1));
    QVERIFY2(countLines(node.log(), u"refused CONNECTs"_qs) == 1, qPrintable(node.logTail()));
    QVERIFY(!clumsy.client.closed);
    QVERIFY(served(clumsy));
    QVERIFY(served(bystander));
}

// Rooms per socket: joins past --max-rooms are refused with an ack error (the socket's own
// room counts), counted, logged once; the C++ Socket::join says false.
void TestHostileSio::roomsPerSocketAreCapped()
{
    NodeProcess node(u"rooms"_qs, {}, {u"--max-rooms"_qs, u"50"_qs});
    QVERIFY(startNode(node));
    Peer bystander(node.engineUrl());
    QVERIFY(bystander.connect());
    Peer attacker(node.engineUrl());
    QVERIFY(attacker.connect());
    const auto batch = [](int from, int count) {
        QStringList rooms;
        for (int i = from; i < from + count; ++i)
            rooms << QStringLiteral("\"room-%1\"").arg(i);
        return u'[' + rooms.join(u',') + u']';
    };
    for (int i = 0; i < 4; ++i)
        QCOMPARE(attacker.callJson(u"join"_qs, batch(i * 10, 10)).value(u"ok"_qs), QVariant(true));
    // 41 rooms now (its own included): 10 more would make 51.
    QVariantMap refused = attacker.callJson(u"join"_qs, batch(40, 10));
    QCOMPARE(refused.value(u"ok"_qs), QVariant(false));
    QVERIFY2(refused.value(u"error"_qs).toString().contains(u"50 rooms"),
             qPrintable(refused.value(u"error"_qs).toString()));
    QCOMPARE(attacker.callJson(u"join"_qs, batch(40, 9)).value(u"ok"_qs), QVariant(true));
    QCOMPARE(attacker.callJson(u"join"_qs, batch(0, 10)).value(u"ok"_qs), QVariant(true)); // no new
    // A bounded flood of joins past the cap: each refused, one log line.
    for (int i = 0; i < 200; ++i)
        QCOMPARE(attacker.callJson(u"join"_qs, batch(1000 + i * 100, 100)).value(u"ok"_qs),
                 QVariant(false));
    const QVariantMap left = attacker.callJson(u"leave"_qs, u"\"room-0\""_qs);
    QCOMPARE(left.value(u"rooms"_qs).toList().size(), 49);
    QCOMPARE(attacker.callJson(u"join"_qs, batch(60, 1)).value(u"ok"_qs), QVariant(true));
    QCOMPARE(limitHits(node, "rooms_per_socket"), qint64(201));
    QVERIFY2(countLines(node.log(), u"--max-rooms"_qs) == 1, qPrintable(node.logTail()));
    QVERIFY(served(bystander));

    // The C++ API.
    auto inproc = ::startNode([](NodeConfig &c) { c.server.maxRoomsPerSocket = 3; });
    QVERIFY(inproc);
    QSignalSpy connections(inproc->server()->of(u"/"_qs), &Namespace::connection);
    RawClient client(engineUrl(*inproc));
    QVERIFY(!client.handshake().isNull());
    QTRY_COMPARE(connections.size(), 1);
    auto *socket = connections.first().first().value<Socket *>();
    QVERIFY(socket->join(u"a"_qs));
    QVERIFY(!socket->join(QStringList{u"b"_qs, u"c"_qs}));
    QCOMPARE(socket->rooms().size(), 2);
    QVERIFY(socket->join(QStringList{u"a"_qs, u"b"_qs}));
    QVERIFY(!socket->join(u"c"_qs));
    QCOMPARE(inproc->server()->bounds().value(Bound::RoomsPerSocket), quint64(2));
}

QTEST_GUILESS_MAIN(TestHostileSio)
#include "tst_hostilesio.moc"
