// What operators and load balancers see of real switchboard-node processes on a real
// redis-server: GET /readyz (ready, not while Redis is frozen or gone, not while draining),
// GET /metrics (valid for Debian's promtool, counters that follow the traffic the test sent),
// and the drain on SIGTERM: existing clients served, new sessions refused with 503, then every
// client closed at the Engine.IO level (no Socket.IO DISCONNECT), the departure announced on
// Redis, exit code 0.
#include "metricsscrape.h"
#include "nodeprocess.h"
#include "peer.h"
#include "pollingclient.h"
#include "rediscall.h"
#include "redisserver.h"

#include "switchboard/clusterwire.h"
#include "switchboard/presence.h"
#include "switchboard/redissubscriber.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>

#include <csignal>
#include <memory>

using namespace switchboard;

namespace {

constexpr int kRedisTimeoutMs = 500; // --redis-timeout of the nodes here
constexpr int kDrainMs = 1500;       // --drain-ms of the drain cases

polling::Reply get(const NodeProcess &node, const QByteArray &target)
{
    return polling::Call(node.port(), "GET", target).reply();
}

bool signalNode(const NodeProcess &node, int signal)
{
    return node.currentPid() > 0 && ::kill(pid_t(node.currentPid()), signal) == 0;
}

QHash<QString, double> scrape(const NodeProcess &node)
{
    const polling::Reply reply = get(node, "/metrics");
    if (reply.status != 200)
        return {};
    return samplesOf(reply.body);
}

QString clusterUid(const NodeProcess &node)
{
    return node.health().value(u"cluster").toObject().value(u"uid").toString();
}

// A raw WebSocket upgrade without a sid: the status line of the answer.
QByteArray websocketHandshakeStatus(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(3000))
        return "no connection";
    socket.write(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray answer;
    static_cast<void>(QTest::qWaitFor(
        [&] {
            answer += socket.readAll();
            return answer.contains("\r\n\r\n") ||
                   socket.state() == QAbstractSocket::UnconnectedState;
        },
        3000));
    return answer.left(answer.indexOf("\r\n"));
}

// The relay's send to `to` (a room or a socket id), fire and forget: no ack adds a write.
void relaySend(Peer &sender, const QString &to, const QString &data)
{
    sender.emitJson(QStringLiteral("send"),
                    QStringLiteral(R"({"to":"%1","data":"%2"})").arg(to, data));
}

// A node of its own started with `args`, a sender and a member of room "r" on it: the write
// coalescing cases.
struct RoomStream
{
    explicit RoomStream(const QStringList &args) : node(QStringLiteral("c"), {}, args) {}

    // Empty when all is up, else what failed.
    QString start()
    {
        if (!node.start())
            return node.error();
        sender = joinedPeer(node.engineUrl());
        member = joinedPeer(node.engineUrl(), QStringLiteral("r"));
        return sender && member ? QString() : QStringLiteral("no CONNECT, or the join refused");
    }

    void send(const QString &data) { relaySend(*sender, QStringLiteral("r"), data); }

    NodeProcess node;
    std::unique_ptr<Peer> sender;
    std::unique_ptr<Peer> member;
};

} // namespace

class TestOps : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readySingleNode();
    void readyFollowsRedis();
    void metricsFormat();
    void metricsFollowTraffic();
    void writeCoalesce_data();
    void writeCoalesce();
    void writeCoalesceFollowsTheRate();
    void writeCoalesceLeavesHttpAlone();
    void drain();
    void secondSignalEndsDrain_data();
    void secondSignalEndsDrain();
};

void TestOps::readySingleNode()
{
    NodeProcess node(QStringLiteral("solo"), {});
    QVERIFY2(node.start(), qPrintable(node.error()));
    const polling::Reply ready = get(node, "/readyz");
    QCOMPARE(ready.status, 200);
    QCOMPARE(ready.body, QByteArray(R"({"ready":true})"));
    QCOMPARE(ready.header("content-type"), QByteArray("application/json"));
    QCOMPARE(ready.header("cache-control"), QByteArray("no-store"));
}

void TestOps::readyFollowsRedis()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    NodeProcess node(QStringLiteral("a"), redis.url(),
                     {QStringLiteral("--redis-timeout"), QString::number(kRedisTimeoutMs)});
    QVERIFY2(node.start(), qPrintable(node.error()));
    QTRY_COMPARE_WITH_TIMEOUT(get(node, "/readyz").status, 200, 5000);

    {
        Freeze freeze(redis.pid());
        QVERIFY(freeze.ok());
        // Stalled once Redis was silent for the timeout (PINGs every timeout/2 or so).
        QTRY_COMPARE_WITH_TIMEOUT(get(node, "/readyz").status, 503, 4 * kRedisTimeoutMs);
        const polling::Reply stalled = get(node, "/readyz");
        QCOMPARE(stalled.json().value(u"ready").toBool(true), false);
        QCOMPARE(stalled.json().value(u"reason").toString(), QStringLiteral("redis stalled"));
        // Liveness is not readiness: the node is alive and says so.
        QCOMPARE(get(node, "/healthz").json().value(u"status").toString(),
                 QStringLiteral("degraded"));
        QCOMPARE(scrape(node).value(QStringLiteral("switchboard_redis_up"), -1), 0.0);
    }
    QTRY_COMPARE_WITH_TIMEOUT(get(node, "/readyz").status, 200, 5000);
    QVERIFY(scrape(node).value(QStringLiteral("switchboard_redis_stalls_total")) >= 1);

    QVERIFY(redis.stop());
    QTRY_COMPARE_WITH_TIMEOUT(get(node, "/readyz").status, 503, 5000);
    QCOMPARE(get(node, "/readyz").json().value(u"reason").toString(),
             QStringLiteral("redis unreachable"));
    QCOMPARE(get(node, "/healthz").status, 200);
    const double reconnectsBefore =
        scrape(node).value(QStringLiteral("switchboard_redis_reconnects_total"), -1);
    QVERIFY2(redis.restart(), qPrintable(redis.error()));
    QTRY_COMPARE_WITH_TIMEOUT(get(node, "/readyz").status, 200, 10000);
    QCOMPARE(get(node, "/readyz").body, QByteArray(R"({"ready":true})"));
    // Both connections came back, and the subscription's loss is one gap.
    const QHash<QString, double> after = scrape(node);
    QCOMPARE(after.value(QStringLiteral("switchboard_redis_reconnects_total")),
             reconnectsBefore + 2);
    QCOMPARE(after.value(QStringLiteral("switchboard_redis_subscription_gaps_total")), 1.0);
}

void TestOps::metricsFormat()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    NodeProcess node(QStringLiteral("a"), redis.url());
    QVERIFY2(node.start(), qPrintable(node.error()));
    // A namespace whose name needs escaping in a label value: a quote and a backslash.
    const QString odd = QStringLiteral(R"(/we"ird\name)");
    Peer peer(node.engineUrl(), odd);
    QVERIFY(peer.connect());

    const polling::Reply reply = get(node, "/metrics");
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.header("content-type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    const QString problems = promtoolProblems(reply.body);
    QVERIFY2(problems.isEmpty(), qPrintable(problems + u'\n' + QString::fromUtf8(reply.body)));
    QVERIFY2(reply.body.contains(R"(switchboard_sockets{namespace="/we\"ird\\name"} 1)"),
             reply.body.constData());

    // One HELP and one TYPE a family, right before its samples; every family documented.
    QFile doc(QStringLiteral(SWITCHBOARD_SOURCE_DIR "/docs/operations.md"));
    QVERIFY2(doc.open(QIODevice::ReadOnly), qPrintable(doc.fileName()));
    const QByteArray docs = doc.readAll();
    QSet<QByteArray> families;
    const QList<QByteArray> lines = reply.body.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (!lines.at(i).startsWith("# HELP "))
            continue;
        const QByteArray name = lines.at(i).split(' ').value(2);
        QVERIFY2(!families.contains(name), name.constData());
        families.insert(name);
        QVERIFY2(lines.value(i + 1).startsWith("# TYPE " + name + ' '), name.constData());
        QVERIFY2(
            docs.contains('`' + name + '`'),
            qPrintable(
                QStringLiteral("%1 is not in docs/operations.md").arg(QString::fromLatin1(name))));
    }
    QVERIFY(families.contains("switchboard_redis_broadcasts_received_total"));
    QVERIFY(families.contains("switchboard_limits_hit_total"));
}

void TestOps::metricsFollowTraffic()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    NodeProcess a(QStringLiteral("a"), redis.url());
    NodeProcess b(QStringLiteral("b"), redis.url());
    QVERIFY2(a.start(), qPrintable(a.error()));
    QVERIFY2(b.start(), qPrintable(b.error()));
    QTRY_COMPARE_WITH_TIMEOUT(get(a, "/readyz").status, 200, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(get(b, "/readyz").status, 200, 5000);

    Peer sender(a.engineUrl(), QStringLiteral("/x"));
    Peer second(a.engineUrl(), QStringLiteral("/x"));
    Peer remote(b.engineUrl(), QStringLiteral("/x"));
    QVERIFY(sender.connect());
    QVERIFY(second.connect());
    QVERIFY(remote.connect());
    const QHash<QString, double> before = scrape(a);
    QCOMPARE(before.value(QStringLiteral(R"(switchboard_sockets{namespace="/x"})")), 2.0);
    QCOMPARE(before.value(QStringLiteral(R"(switchboard_connections{transport="websocket"})")),
             3.0 - 1); // the remote peer is on b
    QCOMPARE(before.value(QStringLiteral(R"(switchboard_connections{transport="polling"})")), 0.0);

    // N messages in, M bytes: events nobody handles, each frame counted as sent.
    constexpr int N = 7;
    qint64 bytes = 0;
    for (int i = 0; i < N; ++i) {
        const QString frame =
            QStringLiteral(R"(42/x,["noise",%1,"%2"])").arg(i).arg(QString(i, u'z'));
        bytes += frame.toUtf8().size();
        sender.client.send(frame);
    }
    // A fence the node answers: everything before it was counted.
    const QString fence = QStringLiteral(R"(42/x,99["join","fence"])");
    bytes += fence.toUtf8().size();
    sender.client.send(fence);
    QVERIFY(!sender.client.nextStartingWith(QStringLiteral("43/x,99[")).isNull());
    const QHash<QString, double> mid = scrape(a);
    QCOMPARE(mid.value(QStringLiteral("switchboard_messages_received_total")) -
                 before.value(QStringLiteral("switchboard_messages_received_total")),
             double(N + 1));
    QCOMPARE(mid.value(QStringLiteral("switchboard_received_bytes_total")) -
                 before.value(QStringLiteral("switchboard_received_bytes_total")),
             double(bytes));

    // One broadcast across the two nodes: published by a, received by b.
    QVERIFY(sender.send({{QStringLiteral("data"), QStringLiteral("across")}})
                .value(QStringLiteral("ok"))
                .toBool());
    QVERIFY(remote.untilMessage(QStringLiteral("across")));
    QVERIFY(second.untilMessage(QStringLiteral("across")));

    const QHash<QString, double> after = scrape(a);
    const auto delta = [&](const QString &name) { return after.value(name) - mid.value(name); };
    QCOMPARE(delta(QStringLiteral("switchboard_redis_broadcasts_published_total")), 1.0);
    QTRY_COMPARE_WITH_TIMEOUT(
        scrape(b).value(QStringLiteral("switchboard_redis_broadcasts_received_total")), 1.0, 3000);
    // a's own publish comes back to a: dropped by uid, not counted as received.
    QCOMPARE(after.value(QStringLiteral("switchboard_redis_broadcasts_received_total")), 0.0);
    // The ack of the send and the message to `second`.
    QCOMPARE(delta(QStringLiteral("switchboard_messages_sent_total")), 2.0);

    // A limit hit moves its own series and no other.
    const QString depthSeries = QStringLiteral(R"(switchboard_limits_hit_total{limit="depth"})");
    const QString payloadSeries =
        QStringLiteral(R"(switchboard_limits_hit_total{limit="payload"})");
    Peer deep(a.engineUrl(), QStringLiteral("/x"));
    QVERIFY(deep.connect());
    deep.client.send(QStringLiteral("42/x,[\"deep\",") + QString(40, u'[') + QString(40, u']') +
                     u']');
    QVERIFY(deep.client.waitClosed());
    const QHash<QString, double> limited = scrape(a);
    QCOMPARE(limited.value(depthSeries) - after.value(depthSeries), 1.0);
    QCOMPARE(limited.value(payloadSeries), after.value(payloadSeries));
}

void TestOps::writeCoalesce_data()
{
    QTest::addColumn<int>("coalesceMs");
    QTest::addColumn<QStringList>("above");
    QTest::addColumn<bool>("held");
    QTest::addRow("every pass writes") << 0 << QStringList{} << false;
    QTest::addRow("--write-coalesce 1000 --write-coalesce-above 0")
        << 1000 << QStringList{QStringLiteral("--write-coalesce-above"), QStringLiteral("0")}
        << true;
    // 100 messages a second, far below the default rate: nothing waits.
    QTest::addRow("--write-coalesce 1000 below the default rate") << 1000 << QStringList{} << false;
}

// A dense stream to one member shares writes with --write-coalesce over the rate; the message
// after a quiet spell goes out at once all the same. Counted by the node's own write counter,
// not timed.
void TestOps::writeCoalesce()
{
    QFETCH(int, coalesceMs);
    QFETCH(QStringList, above);
    QFETCH(bool, held);
    const bool qtLayer = qEnvironmentVariable("SWITCHBOARD_TRANSPORT") == u"qt";
    RoomStream stream(QStringList{QStringLiteral("--write-coalesce"), QString::number(coalesceMs)} +
                      above);
    const QString failed = stream.start();
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    const NodeProcess &node = stream.node;
    Peer &member = *stream.member;
    const QString writes = QStringLiteral("switchboard_websocket_writes_total");
    const QHash<QString, double> before = scrape(node);
    QVERIFY(!before.isEmpty());
    // Qt's layer writes through QWebSocket: it has no such counter, and ignores the option.
    QCOMPARE(before.contains(writes), !qtLayer);

    constexpr int N = 8;
    const auto emitOne = [&](int i) { stream.send(QStringLiteral("m%1").arg(i)); };
    // The first after a quiet spell (the join's ack was the member's last write): received
    // before a 1 s tick could have sent it.
    QTest::qWait(coalesceMs + 200);
    emitOne(0);
    QVERIFY(member.untilMessage(QStringLiteral("m0"), 800));
    // The rest one by one, each in a pass of its own (10 ms apart), all within the 1 s.
    for (int i = 1; i < N; ++i) {
        QTest::qWait(10);
        emitOne(i);
    }
    for (int i = 1; i < N; ++i)
        QVERIFY2(member.untilMessage(QStringLiteral("m%1").arg(i), 10000),
                 qPrintable(QString::number(i)));
    if (qtLayer)
        return;
    const double made = scrape(node).value(writes) - before.value(writes);
    if (!held)
        QVERIFY2(made >= N / 2, qPrintable(QString::number(made))); // a stalled pass may join two
    else
        QVERIFY2(made >= 2 && made <= 3, qPrintable(QString::number(made))); // m0, then the tick
}

// Holding writes back follows the node's rate of messages: off at first, on once a stream
// runs over --write-coalesce-above (the gauge says so, and the stream's later messages share
// writes), off again after a quiet spell, whose first message goes out at once (the member
// written longer than the window ago).
void TestOps::writeCoalesceFollowsTheRate()
{
    const bool qtLayer = qEnvironmentVariable("SWITCHBOARD_TRANSPORT") == u"qt";
    RoomStream stream({QStringLiteral("--write-coalesce"), QStringLiteral("1000"),
                       QStringLiteral("--write-coalesce-above"), QStringLiteral("10")});
    const QString failed = stream.start();
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    const NodeProcess &node = stream.node;
    Peer &member = *stream.member;
    const QString writes = QStringLiteral("switchboard_websocket_writes_total");
    const QString gauge = QStringLiteral("switchboard_websocket_write_coalescing");
    QTest::qWait(1200); // the join's messages a window behind
    const QHash<QString, double> before = scrape(node);
    QVERIFY(!before.isEmpty());
    QCOMPARE(before.contains(gauge), !qtLayer); // the epoll layer's; Qt's ignores the options
    QCOMPARE(before.value(gauge), 0.0);

    // 40 messages 10 ms apart: over 10 a second unless each turn of this loop takes 100 ms.
    constexpr int N = 40;
    for (int i = 0; i < N; ++i) {
        stream.send(QStringLiteral("m%1").arg(i));
        QTest::qWait(10);
    }
    const QHash<QString, double> during = scrape(node);
    for (int i = 0; i < N; ++i)
        QVERIFY2(member.untilMessage(QStringLiteral("m%1").arg(i), 10000),
                 qPrintable(QString::number(i)));
    if (!qtLayer) {
        QCOMPARE(during.value(gauge), 1.0);
        const double made = scrape(node).value(writes) - before.value(writes);
        // The first window's messages (about 25) each had their write; the rest waited for
        // the tick. Written at once, they would have taken N writes.
        QVERIFY2(made <= N - 8, qPrintable(QString::number(made)));
    }

    QTest::qWait(1500);
    if (!qtLayer) // the gauge of a node gone quiet, before anything else is sent
        QCOMPARE(scrape(node).value(gauge), 0.0);
    stream.send(QStringLiteral("after"));
    QVERIFY(member.untilMessage(QStringLiteral("after"), 800)); // before a 1 s tick could
    if (!qtLayer)
        QCOMPARE(scrape(node).value(gauge), 0.0);
}

// Only WebSocket messages wait for the coalescing tick: two long-polling answers on one
// keep-alive connection, 1 s of --write-coalesce at every rate, the second answered at once.
void TestOps::writeCoalesceLeavesHttpAlone()
{
    NodeProcess node(QStringLiteral("c"), {},
                     {QStringLiteral("--write-coalesce"), QStringLiteral("1000"),
                      QStringLiteral("--write-coalesce-above"), QStringLiteral("0")});
    QVERIFY2(node.start(), qPrintable(node.error()));
    polling::Poller poller(node.port());
    const QString pollerId = poller.connect();
    QVERIFY(!pollerId.isEmpty());
    Peer sender(node.engineUrl());
    QVERIFY(sender.connect());

    QTcpSocket keepAlive;
    keepAlive.connectToHost(QHostAddress::LocalHost, node.port());
    QVERIFY(keepAlive.waitForConnected(5000));
    QByteArray got;
    // Parks a GET, has a message sent to the polling session and waits `ms` for the answer.
    const auto answered = [&](const QString &data, int ms) {
        keepAlive.write("GET " + poller.target() + " HTTP/1.1\r\nHost: x\r\n\r\n");
        QTest::qWait(50); // parked
        relaySend(sender, pollerId, data);
        return QTest::qWaitFor(
            [&] {
                got += keepAlive.readAll();
                return got.contains(data.toUtf8());
            },
            ms);
    };
    QVERIFY(answered(QStringLiteral("first"), 5000));
    QVERIFY(answered(QStringLiteral("second"), 700)); // a 1 s tick would be later
}

void TestOps::drain()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    NodeProcess a(QStringLiteral("a"), redis.url(),
                  {QStringLiteral("--drain-ms"), QString::number(kDrainMs)});
    NodeProcess b(QStringLiteral("b"), redis.url());
    QVERIFY2(a.start(), qPrintable(a.error()));
    QVERIFY2(b.start(), qPrintable(b.error()));
    QTRY_COMPARE_WITH_TIMEOUT(get(a, "/readyz").status, 200, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(get(b, "/readyz").status, 200, 5000);
    const QString uidA = clusterUid(a);
    QVERIFY(!uidA.isEmpty());

    // Who watches the presence channel sees the last record of a.
    redis::Subscriber presence(parseUrl(redis.url()));
    bool sawLeaving = false;
    connect(&presence, &redis::Subscriber::message, this,
            [&](const QByteArray &, const QByteArray &payload) {
                const Decoded<cluster::NodePresence> record = cluster::decodePresence(payload);
                if (record && record->uid == uidA && record->leaving)
                    sawLeaving = true;
            });
    presence.subscribe(cluster::Channels(QStringLiteral("socket.io")).presence());
    QSignalSpy subscribed(&presence, &redis::Subscriber::connected);
    presence.start();
    QVERIFY(subscribed.wait(5000));

    Peer websocket(a.engineUrl());
    QVERIFY(websocket.connect());
    polling::Poller poller(a.port());
    QVERIFY(!poller.connect().isEmpty());
    polling::Poller upgrading(a.port()); // upgrades to WebSocket during the drain
    QVERIFY(!upgrading.connect().isEmpty());
    Peer remote(b.engineUrl());
    QVERIFY(remote.connect());
    QTRY_COMPARE_WITH_TIMEOUT(
        scrape(a).value(QStringLiteral(R"(switchboard_connections{transport="polling"})")), 2.0,
        3000);

    QElapsedTimer sinceTerm;
    sinceTerm.start();
    QVERIFY(signalNode(a, SIGTERM));
    // Unready at once; alive all the same.
    QTRY_COMPARE_WITH_TIMEOUT(get(a, "/readyz").status, 503, 1000);
    QCOMPARE(get(a, "/readyz").json().value(u"reason").toString(), QStringLiteral("draining"));
    const QJsonObject health = get(a, "/healthz").json();
    QCOMPARE(health.value(u"drain").toObject().value(u"phase").toString(),
             QStringLiteral("draining"));
    QCOMPARE(health.value(u"drain").toObject().value(u"clientsAtStart").toInt(), 3);
    QCOMPARE(scrape(a).value(QStringLiteral("switchboard_draining")), 1.0);

    // New sessions are refused, both ways, with engine.io's error body and 503.
    const polling::Reply handshake = get(a, "/socket.io/?EIO=4&transport=polling");
    QCOMPARE(handshake.status, 503);
    QCOMPARE(handshake.json().value(u"code").toInt(-1), 4);
    QCOMPARE(handshake.json().value(u"message").toString(),
             QStringLiteral("Server is shutting down"));
    QCOMPARE(websocketHandshakeStatus(a.port()), QByteArray("HTTP/1.1 503 Service Unavailable"));

    // Existing clients are served: a broadcast from b reaches both of a's clients, and the
    // polling client's own POSTs still work.
    QVERIFY(remote.send({{QStringLiteral("data"), QStringLiteral("during")}})
                .value(QStringLiteral("ok"))
                .toBool());
    QVERIFY(websocket.untilMessage(QStringLiteral("during")));
    const QByteArrayList polled = poller.call(5, R"(["join","still-here"])");
    QVERIFY2(polled.first().startsWith("42[\"message\",") && polled.first().contains("\"during\""),
             polled.join(' ').constData());
    QVERIFY2(polled.last().startsWith("435["), polled.join(' ').constData());
    QVERIFY(websocket.client.socket().state() == QAbstractSocket::ConnectedState);
    // An existing polling session may still upgrade: its WebSocket carries a sid.
    auto parked = upgrading.startGet();
    RawClient upgraded(a.engineUrl(QStringLiteral("EIO=4&transport=websocket&sid=") +
                                   QString::fromLatin1(upgrading.sid)));
    QVERIFY(upgraded.waitConnected());
    upgraded.send(QStringLiteral("2probe"));
    QCOMPARE(upgraded.next(), QStringLiteral("3probe"));
    QVERIFY(parked->wait());
    upgraded.send(QStringLiteral("5"));
    upgraded.send(QStringLiteral(R"(427["join","upgraded"])"));
    QVERIFY(upgraded.nextStartingWith(QStringLiteral("437[{\"ok\":true")).size() > 0);

    // After the drain: closed at the Engine.IO level, no Socket.IO DISCONNECT first.
    QVERIFY(websocket.client.waitClosed(kDrainMs + 3000));
    QVERIFY(upgraded.waitClosed());
    QCOMPARE(upgraded.socket().closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QVERIFY(!upgraded.texts.contains(QStringLiteral("41")));
    QVERIFY2(sinceTerm.elapsed() >= kDrainMs - 100,
             qPrintable(QString::number(sinceTerm.elapsed())));
    QCOMPARE(websocket.client.socket().closeCode(), QWebSocketProtocol::CloseCodeNormal);
    websocket.pump();
    QCOMPARE(websocket.disconnects, 0);
    // The polling session's next GET takes the close packet (no 41 before it).
    const QByteArrayList last = poller.get();
    QVERIFY2(!last.isEmpty() && last.last() == "1", last.join(' ').constData());
    QVERIFY2(!last.contains("41"), last.join(' ').constData());

    QVERIFY(a.waitForExit(3000));
    QCOMPARE(a.exitStatus(), QProcess::NormalExit);
    QCOMPARE(a.exitCode(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(sawLeaving, 3000);
    const QByteArray log = a.log();
    QVERIFY2(log.contains("draining: 3 clients (1 websocket, 2 polling)"), log.constData());
    QVERIFY2(log.contains("closing 3 clients (2 websocket, 1 polling)"), log.constData());
    // A progress line a second (a quarter of the drain, at least 1 s) while it lasts.
    static const QRegularExpression progress(
        QStringLiteral(R"(draining: 3 clients \(\d websocket, \d polling\) left, \d+ ms to go)"));
    QVERIFY2(progress.match(QString::fromUtf8(log)).hasMatch(), log.constData());
    // b stays ready and serving.
    QCOMPARE(get(b, "/readyz").status, 200);
}

void TestOps::secondSignalEndsDrain_data()
{
    QTest::addColumn<int>("second");
    QTest::addRow("SIGTERM again") << int(SIGTERM);
    QTest::addRow("SIGINT") << int(SIGINT);
}

void TestOps::secondSignalEndsDrain()
{
    QFETCH(int, second);
    NodeProcess node(QStringLiteral("a"), {},
                     {QStringLiteral("--drain-ms"), QStringLiteral("60000")});
    QVERIFY2(node.start(), qPrintable(node.error()));
    Peer peer(node.engineUrl());
    QVERIFY(peer.connect());
    QVERIFY(signalNode(node, SIGTERM));
    QTRY_COMPARE_WITH_TIMEOUT(get(node, "/readyz").status, 503, 1000);
    QVERIFY(!peer.client.waitClosed(300)); // served while draining
    QElapsedTimer clock;
    clock.start();
    QVERIFY(signalNode(node, second));
    QVERIFY(peer.client.waitClosed(2000));
    QCOMPARE(peer.client.socket().closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QVERIFY(node.waitForExit(2000));
    QCOMPARE(node.exitStatus(), QProcess::NormalExit);
    QCOMPARE(node.exitCode(), 0);
    QVERIFY2(node.log().contains("during the drain: ending it now"), node.log().constData());
}

QTEST_GUILESS_MAIN(TestOps)
#include "tst_ops.moc"
