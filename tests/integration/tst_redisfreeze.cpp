// A Redis that stops answering without closing anything: the redis-server process is
// SIGSTOPped (its kernel still accepts connections and bytes) and SIGCONTed later. Real
// switchboard-node processes with a small --redis-timeout; raw Socket.IO clients send across
// them. What must hold: /healthz degrades within the timeout and recovers after; a message sent
// during a pause and delivered late is not counted as lost; a paused Redis keeps the
// subscriptions (no gap), a restarted one is one gap; a publish counted as a failure was really
// not delivered.
//
// The library case drives redis::Connection and redis::Subscriber directly: stalled() and
// resumed() on the same connection, and Reply::outcomeUnknown for a command sent before the
// connection was dropped.
#include "nodeprocess.h"
#include "rawclient.h"
#include "rediscall.h"
#include "redisserver.h"

#include "switchboard/redisclient.h"
#include "switchboard/redissubscriber.h"

#include <QElapsedTimer>
#include <QSignalSpy>

#include <csignal>
#include <memory>
#include <optional>

#include <sys/types.h>

using namespace switchboard;

namespace {

constexpr int kRedisTimeoutMs = 1000; // --redis-timeout of the nodes under test
// Nodes drop a silent command connection at max(5 s, 2 x timeout): a short pause stays below.
constexpr int kShortFreezeMs = 3000;
constexpr int kLongFreezeMs = 10000; // the freeze of issue 11, row 9
constexpr int kSendEveryMs = 100;

// The pid of the server behind `url`, from INFO: the fixture does not expose its process.
qint64 serverPid(const QString &url)
{
    redis::Connection connection(parseUrl(url));
    connection.start();
    if (!QTest::qWaitFor([&] { return connection.isConnected(); }, 5000))
        return 0;
    const redis::Reply info = call(connection, {QByteArrayLiteral("INFO"), "server"});
    for (const QByteArray &line : info.string.split('\n'))
        if (line.startsWith("process_id:"))
            return line.mid(11).trimmed().toLongLong();
    return 0;
}

QJsonObject clusterOf(const QJsonObject &health)
{
    return health.value(u"cluster").toObject();
}

qint64 counter(const QJsonObject &health, const char *name)
{
    return clusterOf(health).value(QLatin1StringView(name)).toInteger();
}

QString describe(const QJsonObject &health)
{
    return QString::fromUtf8(QJsonDocument(health).toJson(QJsonDocument::Compact));
}

// A raw Socket.IO client in "/" that keeps the data of every "message" event it got.
class Member
{
public:
    explicit Member(const QUrl &url) : client(url) {}

    bool connectAndJoin(const QString &room)
    {
        if (client.handshake().isEmpty())
            return false;
        return client.call(QStringLiteral(R"(["join","%1"])").arg(room))
            .contains(QStringLiteral(R"("ok":true)"));
    }

    // Fire and forget: the node acks once handed to the adapter, which is not what is tested.
    void send(const QString &room, const QString &data)
    {
        client.send(QStringLiteral(R"(42["send",{"to":"%1","data":"%2"}])").arg(room, data));
    }

    QStringList received()
    {
        while (!client.texts.isEmpty()) {
            const std::optional<Frame> frame = parseFrame(client.texts.takeFirst());
            if (frame && frame->type == 2 && frame->event() == u"message")
                m_data << frame->payload().value(QStringLiteral("data")).toString();
        }
        return m_data;
    }

    bool waitFor(const QString &data, int ms)
    {
        return QTest::qWaitFor([&] { return received().contains(data); }, ms);
    }

    int countStartingWith(const QString &prefix)
    {
        int n = 0;
        for (const QString &data : received())
            n += data.startsWith(prefix) ? 1 : 0;
        return n;
    }

    RawClient client;

private:
    QStringList m_data;
};

// One redis-server and two node processes (A sends, B receives), both healthy.
class Pair
{
public:
    Pair() = default;
    Q_DISABLE_COPY_MOVE(Pair)
    ~Pair()
    {
        if (QTest::currentTestFailed())
            for (const auto *node : {a.get(), b.get()})
                if (node)
                    qInfo("---- log of %s ----\n%s", qPrintable(node->name()),
                          qPrintable(node->logTail(40)));
    }

    bool start()
    {
        if (!redis.start()) {
            error = redis.error();
            return false;
        }
        redisPid = serverPid(redis.url());
        if (redisPid <= 0) {
            error = QStringLiteral("no process_id in INFO server");
            return false;
        }
        const QStringList args = {QStringLiteral("--redis-timeout"),
                                  QString::number(kRedisTimeoutMs)};
        a = std::make_unique<NodeProcess>(QStringLiteral("freeze-a"), redis.url(), args);
        b = std::make_unique<NodeProcess>(QStringLiteral("freeze-b"), redis.url(), args);
        for (NodeProcess *node : {a.get(), b.get()}) {
            if (!node->start()) {
                error = node->error();
                return false;
            }
        }
        for (NodeProcess *node : {a.get(), b.get()})
            if (!waitStatus(*node, QStringLiteral("ok"), 10000))
                return false;
        sender = std::make_unique<Member>(a->engineUrl());
        receiver = std::make_unique<Member>(b->engineUrl());
        if (!sender->connectAndJoin(QStringLiteral("r")) ||
            !receiver->connectAndJoin(QStringLiteral("r"))) {
            error = QStringLiteral("the clients did not connect and join");
            return false;
        }
        // B's subscription is in place once a message crosses.
        if (!crossing(QStringLiteral("before"), 10000)) {
            error = QStringLiteral("no message crossed from A to B before the freeze");
            return false;
        }
        return true;
    }

    // Sends `data` from A until B got it (a message may be published before B listens).
    bool crossing(const QString &data, int ms)
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < ms) {
            sender->send(QStringLiteral("r"), data);
            if (receiver->waitFor(data, 300))
                return true;
        }
        return false;
    }

    bool waitStatus(NodeProcess &node, const QString &status, qint64 ms)
    {
        QJsonObject health;
        if (QTest::qWaitFor(
                [&] {
                    health = node.health(1000);
                    return health.value(u"status").toString() == status;
                },
                int(std::max<qint64>(ms, 1))))
            return true;
        error = QStringLiteral("%1 not %2 within %3 ms: %4")
                    .arg(node.name(), status)
                    .arg(ms)
                    .arg(describe(health));
        return false;
    }

    RedisServer redis;
    qint64 redisPid = 0;
    std::unique_ptr<NodeProcess> a;
    std::unique_ptr<NodeProcess> b;
    std::unique_ptr<Member> sender;
    std::unique_ptr<Member> receiver;
    QString error;
};

// What happened during a freeze, measured while it lasted.
struct FreezeRun
{
    int sent = 0;
    qint64 degradedAfterMsA = -1; // since SIGSTOP; -1: never during the freeze
    qint64 degradedAfterMsB = -1;
    int receivedDuringFreeze = 0;
};

// Freezes Redis for `ms`, sending one message from A every kSendEveryMs (data "<tag>-<n>")
// while watching both nodes' /healthz.
FreezeRun freezeFor(Pair &f, int ms, const QString &tag)
{
    FreezeRun run;
    Freeze freeze(f.redisPid);
    if (!freeze.ok())
        return run;
    QElapsedTimer sinceSend;
    sinceSend.start();
    f.sender->send(QStringLiteral("r"), QStringLiteral("%1-%2").arg(tag).arg(run.sent++));
    while (freeze.elapsed() < ms) {
        if (sinceSend.elapsed() >= kSendEveryMs) {
            sinceSend.start();
            f.sender->send(QStringLiteral("r"), QStringLiteral("%1-%2").arg(tag).arg(run.sent++));
        }
        if (run.degradedAfterMsA < 0 && f.a->health(500).value(u"status").toString() == u"degraded")
            run.degradedAfterMsA = freeze.elapsed();
        if (run.degradedAfterMsB < 0 && f.b->health(500).value(u"status").toString() == u"degraded")
            run.degradedAfterMsB = freeze.elapsed();
        QTest::qWait(20);
    }
    run.receivedDuringFreeze = f.receiver->countStartingWith(tag + u'-');
    freeze.thaw();
    return run;
}

} // namespace

class TestRedisFreeze : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void idleNodeStaysHealthy();
    void shortFreezeDeliversLate();
    void longFreezeKeepsTheSubscription();
    void restartCountsOneGap();
    void clientStallsAndResumes();
};

// PINGs on an idle connection must not make a healthy Redis look stalled.
void TestRedisFreeze::idleNodeStaysHealthy()
{
    Pair f;
    QVERIFY2(f.start(), qPrintable(f.error));
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 4 * kRedisTimeoutMs) {
        for (NodeProcess *node : {f.a.get(), f.b.get()}) {
            const QJsonObject health = node->health();
            QVERIFY2(health.value(u"status").toString() == u"ok",
                     qPrintable(node->name() + u": "_qs + describe(health)));
        }
        QTest::qWait(200);
    }
    for (NodeProcess *node : {f.a.get(), f.b.get()})
        QCOMPARE(counter(node->health(), "redisStalls"), 0);
}

// A pause shorter than the teardown: degraded within the timeout, ok after, every message
// delivered late, and nothing counted as lost or as a gap.
void TestRedisFreeze::shortFreezeDeliversLate()
{
    Pair f;
    QVERIFY2(f.start(), qPrintable(f.error));
    const FreezeRun run = freezeFor(f, kShortFreezeMs, QStringLiteral("short"));
    QVERIFY(run.sent > 0);
    const QString last = QStringLiteral("short-%1").arg(run.sent - 1);
    const bool allArrived = f.receiver->waitFor(last, 10000);
    QElapsedTimer clock;
    clock.start();
    const bool okA = f.waitStatus(*f.a, QStringLiteral("ok"), 10000);
    const bool okB = f.waitStatus(*f.b, QStringLiteral("ok"), 10000);
    const qint64 okAfterMs = clock.elapsed();
    const QJsonObject healthA = f.a->health(), healthB = f.b->health();
    const int received = f.receiver->countStartingWith(QStringLiteral("short-"));
    qInfo("short freeze (%d ms, --redis-timeout %d): A degraded after %lld ms, B after %lld ms, "
          "ok again %lld ms after SIGCONT; %d sent, %d received during the freeze, %d after; "
          "A: publishFailures %lld, publishesUnconfirmed %lld, publishesLate %lld; gaps A %lld, "
          "B %lld",
          kShortFreezeMs, kRedisTimeoutMs, run.degradedAfterMsA, run.degradedAfterMsB, okAfterMs,
          run.sent, run.receivedDuringFreeze, received, counter(healthA, "publishFailures"),
          counter(healthA, "publishesUnconfirmed"), counter(healthA, "publishesLate"),
          counter(healthA, "subscriptionGaps"), counter(healthB, "subscriptionGaps"));

    QVERIFY2(run.degradedAfterMsA >= 0, "A never said degraded while Redis was stopped");
    QVERIFY2(run.degradedAfterMsB >= 0, "B never said degraded while Redis was stopped");
    QVERIFY2(okA && okB, qPrintable(f.error));
    QCOMPARE(run.receivedDuringFreeze, 0); // a stopped Redis delivers nothing
    QVERIFY2(allArrived,
             qPrintable(QStringLiteral("%1 of %2 arrived").arg(received).arg(run.sent)));
    QCOMPARE(received, run.sent);
    // Late is not lost.
    QCOMPARE(counter(healthA, "publishFailures"), 0);
    QCOMPARE(counter(healthA, "publishesUnconfirmed"), 0);
    QVERIFY2(counter(healthA, "publishesLate") >= 1, qPrintable(describe(healthA)));
    // The subscriptions never went away.
    QCOMPARE(counter(healthA, "subscriptionGaps"), 0);
    QCOMPARE(counter(healthB, "subscriptionGaps"), 0);
    QVERIFY2(counter(healthB, "redisStalls") >= 1, qPrintable(describe(healthB)));
    // One line when it degraded, one when it recovered, with how long.
    for (NodeProcess *node : {f.a.get(), f.b.get()}) {
        QVERIFY2(node->log().contains("degraded: Redis has not answered"),
                 qPrintable(node->logTail()));
        QVERIFY2(node->log().contains("healthy again after"), qPrintable(node->logTail()));
    }
    QVERIFY(f.crossing(QStringLiteral("after"), 5000));
}

// Row 9 of issue 11: a 10 s freeze, longer than the command connection's teardown. What A sent
// before its teardown had been written: unconfirmed, and delivered late through B's subscription,
// which is kept (no gap). What A sent after it never left: failures, and really lost.
void TestRedisFreeze::longFreezeKeepsTheSubscription()
{
    Pair f;
    QVERIFY2(f.start(), qPrintable(f.error));
    const FreezeRun run = freezeFor(f, kLongFreezeMs, QStringLiteral("long"));
    QVERIFY(run.sent > 0);
    const bool okA = f.waitStatus(*f.a, QStringLiteral("ok"), 15000);
    const bool okB = f.waitStatus(*f.b, QStringLiteral("ok"), 15000);
    // Everything A sent before this fence has been delivered or lost by the time it arrives.
    const bool fenced = f.crossing(QStringLiteral("fence"), 10000);
    const QJsonObject healthA = f.a->health(), healthB = f.b->health();
    const int received = f.receiver->countStartingWith(QStringLiteral("long-"));
    const int lost = run.sent - received;
    const qint64 failures = counter(healthA, "publishFailures");
    const qint64 unconfirmed = counter(healthA, "publishesUnconfirmed");
    qInfo("long freeze (%d ms, --redis-timeout %d): A degraded after %lld ms, B after %lld ms; "
          "%d sent, %d delivered (late), %d lost; A: publishFailures %lld, publishesUnconfirmed "
          "%lld, publishesLate %lld; gaps A %lld, B %lld",
          kLongFreezeMs, kRedisTimeoutMs, run.degradedAfterMsA, run.degradedAfterMsB, run.sent,
          received, lost, failures, unconfirmed, counter(healthA, "publishesLate"),
          counter(healthA, "subscriptionGaps"), counter(healthB, "subscriptionGaps"));

    QVERIFY2(run.degradedAfterMsA >= 0 && run.degradedAfterMsA < kLongFreezeMs / 2,
             "A did not say degraded within the first half of the freeze");
    QVERIFY2(run.degradedAfterMsB >= 0 && run.degradedAfterMsB < kLongFreezeMs / 2,
             "B did not say degraded within the first half of the freeze");
    QVERIFY2(okA && okB, qPrintable(f.error));
    QVERIFY(fenced);
    QCOMPARE(run.receivedDuringFreeze, 0);
    // No delivered message is counted as lost, and the losses are counted.
    QVERIFY2(
        failures <= lost,
        qPrintable(QStringLiteral("%1 counted as failed, %2 really lost").arg(failures).arg(lost)));
    QVERIFY2(lost == 0 || failures >= 1, qPrintable(describe(healthA)));
    // Sent before the teardown, confirmed never: delivered late all the same.
    QVERIFY2(
        unconfirmed >= 1 && received >= 1,
        qPrintable(QStringLiteral("%1 unconfirmed, %2 received").arg(unconfirmed).arg(received)));
    // A paused Redis kept the subscriptions.
    QCOMPARE(counter(healthA, "subscriptionGaps"), 0);
    QCOMPARE(counter(healthB, "subscriptionGaps"), 0);
}

// A restarted Redis has forgotten every subscription: one gap per node, counted once.
void TestRedisFreeze::restartCountsOneGap()
{
    Pair f;
    QVERIFY2(f.start(), qPrintable(f.error));
    QVERIFY2(f.redis.restart(), qPrintable(f.redis.error()));
    QVERIFY2(f.waitStatus(*f.a, QStringLiteral("ok"), 15000), qPrintable(f.error));
    QVERIFY2(f.waitStatus(*f.b, QStringLiteral("ok"), 15000), qPrintable(f.error));
    QVERIFY(f.crossing(QStringLiteral("after"), 10000));
    for (NodeProcess *node : {f.a.get(), f.b.get()}) {
        const QJsonObject health = node->health();
        QVERIFY2(counter(health, "subscriptionGaps") == 1,
                 qPrintable(node->name() + u": "_qs + describe(health)));
        QCOMPARE(counter(health, "redisStalls"), 0); // closed, not silent
    }
}

// The client library on its own: a stall is reported on the same connection, which stays; a
// command sent before a teardown has an unknown outcome, one refused while down has not.
void TestRedisFreeze::clientStallsAndResumes()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    const qint64 pid = serverPid(redis.url());
    QVERIFY(pid > 0);
    redis::Options options;
    options.stallTimeoutMs = 400;
    options.commandTimeoutMs = 2500;
    redis::Connection connection(parseUrl(redis.url()), options);
    redis::Subscriber subscriber(parseUrl(redis.url()), options);
    subscriber.subscribe("freeze");
    QSignalSpy up(&connection, &redis::Connection::connected);
    QSignalSpy subscribed(&subscriber, &redis::Subscriber::connected);
    QSignalSpy message(&subscriber, &redis::Subscriber::message);
    QSignalSpy stalled(&connection, &redis::Connection::stalled);
    QSignalSpy resumed(&connection, &redis::Connection::resumed);
    QSignalSpy down(&connection, &redis::Connection::disconnected);
    QSignalSpy subscriberStalled(&subscriber, &redis::Subscriber::stalled);
    QSignalSpy subscriberResumed(&subscriber, &redis::Subscriber::resumed);
    QSignalSpy subscriberDown(&subscriber, &redis::Subscriber::disconnected);
    connection.start();
    subscriber.start();
    QVERIFY(up.wait(5000));
    QTRY_COMPARE_WITH_TIMEOUT(subscribed.size(), 1, 5000);
    QVERIFY(!stalled.wait(3 * options.stallTimeoutMs)); // idle and healthy: no stall

    std::optional<redis::Reply> published;
    {
        Freeze freeze(pid);
        QVERIFY(freeze.ok());
        connection.command({"PUBLISH", "freeze", "late"},
                           [&](const redis::Reply &reply) { published = reply; });
        QTRY_COMPARE_WITH_TIMEOUT(stalled.size(), 1, 2000);
        QTRY_COMPARE_WITH_TIMEOUT(subscriberStalled.size(), 1, 2000);
        QVERIFY(connection.isStalled() && connection.isConnected());
        QVERIFY(subscriber.isStalled() && subscriber.isConnected());
    }
    QTRY_COMPARE_WITH_TIMEOUT(resumed.size(), 1, 2000);
    QTRY_COMPARE_WITH_TIMEOUT(subscriberResumed.size(), 1, 2000);
    QTRY_VERIFY_WITH_TIMEOUT(published.has_value(), 2000);
    QCOMPARE(published->type, redis::Reply::Type::Integer); // 1 receiver: the subscriber
    QCOMPARE(published->integer, 1);
    QTRY_COMPARE_WITH_TIMEOUT(message.size(), 1, 2000);
    QCOMPARE(down.size(), 0);
    QCOMPARE(subscriberDown.size(), 0);
    QVERIFY(!connection.isStalled() && !subscriber.isStalled());

    // Longer than commandTimeoutMs: the command connection is dropped, and the command in
    // flight had been written; the subscriber, whose probe the frozen kernel acknowledged, stays.
    std::optional<redis::Reply> inFlight, whileDown;
    {
        Freeze freeze(pid);
        QVERIFY(freeze.ok());
        connection.command({"PUBLISH", "freeze", "unconfirmed"},
                           [&](const redis::Reply &reply) { inFlight = reply; });
        QTRY_COMPARE_WITH_TIMEOUT(down.size(), 1, 3 * options.commandTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(inFlight.has_value(), 1000);
        connection.command({"PUBLISH", "freeze", "never-sent"},
                           [&](const redis::Reply &reply) { whileDown = reply; });
        QTRY_VERIFY_WITH_TIMEOUT(whileDown.has_value(), 1000);
        QVERIFY(!subscriberDown.wait(options.commandTimeoutMs));
        QVERIFY(subscriber.isStalled() && subscriber.isConnected());
    }
    QVERIFY2(inFlight->isError() && inFlight->outcomeUnknown, inFlight->string.constData());
    QVERIFY2(whileDown->isError() && !whileDown->outcomeUnknown, whileDown->string.constData());
    QTRY_COMPARE_WITH_TIMEOUT(up.size(), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(subscriberResumed.size(), 2, 5000);
    // The unconfirmed one was run by Redis after all, and delivered late.
    QTRY_COMPARE_WITH_TIMEOUT(message.size(), 2, 5000);
    QCOMPARE(message.at(1).at(1).toByteArray(), QByteArray("unconfirmed"));
    QCOMPARE(subscribed.size(), 1);
    QCOMPARE(subscriberDown.size(), 0);
}

QTEST_GUILESS_MAIN(TestRedisFreeze)
#include "tst_redisfreeze.moc"
