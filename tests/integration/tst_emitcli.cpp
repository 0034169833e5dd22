// switchboard-emit, a real child process, against a real redis-server and two real
// switchboard-node processes: its exit codes for every class of error, its emits reaching
// clients on both nodes, and exactly what --enqueue pushes onto the queue list.
//
// "Nothing else arrived": after the emit under test, a second switchboard-emit run publishes a
// fence to the whole namespace. The first run got Redis's reply to its PUBLISH before it
// exited, so Redis had handed its message to the nodes before the fence.
#include "emitcli.h"
#include "nodeprocess.h"
#include "peer.h"
#include "rediscall.h"
#include "redisserver.h"

#include "switchboard/emitjob.h"
#include "switchboard/redisclient.h"

#include <memory>

using namespace switchboard;
using namespace Qt::StringLiterals;

class TestEmitCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void helpAndVersion();
    void exitCodes_data();
    void exitCodes();
    void redisRefuses_data();
    void redisRefuses();
    void reachesClientsOnTwoNodes();
    void namespaceExceptAndStdin();
    void noSubscriberIsAWarning();
    void enqueue();

private:
    std::unique_ptr<Peer> peerOn(NodeProcess &node, const QString &room = {},
                                 const QString &nsp = u"/"_s)
    {
        return joinedPeer(node.engineUrl(), room, nsp);
    }
    // Publishes a fence to every socket of `nsp` with the CLI; what each peer got before it.
    std::optional<QList<QList<Frame>>> fence(const QList<Peer *> &peers,
                                             const QString &nsp = u"/"_s);
    QStringList redisArgs() const { return {u"--redis"_s, m_redis.url()}; }

    RedisServer m_redis;
    std::unique_ptr<NodeProcess> m_a, m_b;
    std::unique_ptr<redis::Connection> m_probe;
    int m_fences = 0;
};

void TestEmitCli::initTestCase()
{
    QVERIFY2(m_redis.start(), qPrintable(m_redis.error()));
    m_a = std::make_unique<NodeProcess>(u"cli-a"_s, m_redis.url());
    m_b = std::make_unique<NodeProcess>(u"cli-b"_s, m_redis.url());
    for (NodeProcess *node : {m_a.get(), m_b.get()})
        QVERIFY2(node->start(), qPrintable(node->error()));
    m_probe = std::make_unique<redis::Connection>(parseUrl(m_redis.url()));
    m_probe->start();
    QVERIFY(QTest::qWaitFor([this] { return m_probe->isConnected(); }, 5000));
    QTRY_COMPARE_WITH_TIMEOUT(subscribers(*m_probe, "socket.io-request#/#"), 2, 5000);
}

void TestEmitCli::cleanupTestCase()
{
    m_probe.reset();
}

std::optional<QList<QList<Frame>>> TestEmitCli::fence(const QList<Peer *> &peers,
                                                      const QString &nsp)
{
    const QString event = u"fence-"_s + QString::number(++m_fences);
    const EmitRun run = runEmit(redisArgs() + QStringList{u"--nsp"_s, nsp, event});
    if (run.exitCode != 0) {
        qWarning("fence not sent: %s", qPrintable(run.describe()));
        return std::nullopt;
    }
    return framesBefore(peers, event);
}

void TestEmitCli::helpAndVersion()
{
    const EmitRun help = runEmit({u"--help"_s});
    QCOMPARE(help.exitCode, 0);
    for (const char *part : {"--redis", "--key", "--nsp", "--to", "--except", "--enqueue",
                             "--queue-key", "Exit codes", "EVENT", "DATA"})
        QVERIFY2(help.out.contains(part), part);
    const EmitRun version = runEmit({u"--version"_s});
    QCOMPARE(version.exitCode, 0);
    QCOMPARE(version.out, "switchboard-emit " SWITCHBOARD_VERSION "\n"_ba);
}

void TestEmitCli::exitCodes_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("message");

    const QString closed = u"redis://127.0.0.1:%1"_s.arg(RedisServer::freePort());
    QTest::addRow("no Redis there") << QStringList{u"--redis"_s, closed, u"ev"_s} << 3
                                    << "cannot connect to " + closed.toUtf8() + ": ";
    QTest::addRow("no Redis socket")
        << QStringList{u"--redis"_s, u"unix:///nonexistent/r.sock"_s, u"ev"_s} << 3
        << "cannot connect to unix:///nonexistent/r.sock"_ba;
    QTest::addRow("bad JSON") << QStringList{u"ev"_s, u"{\"a\":"_s} << 2 << "DATA is not JSON: "_ba;
    QTest::addRow("bad JSON on stdin")
        << QStringList{u"ev"_s, u"-"_s} << 2 << "DATA is not JSON: "_ba;
    QTest::addRow("unknown option")
        << QStringList{u"--room"_s, u"r"_s, u"ev"_s} << 2 << "Unknown option 'room'"_ba;
    QTest::addRow("no event") << QStringList{} << 2 << "missing EVENT"_ba;
    QTest::addRow("two DATA") << QStringList{u"ev"_s, u"1"_s, u"2"_s} << 2
                              << "unexpected argument '2'"_ba;
    QTest::addRow("reserved event")
        << QStringList{u"disconnecting"_s} << 2 << "'disconnecting' is a reserved event name"_ba;
    QTest::addRow("empty --to") << QStringList{u"--to"_s, QString(), u"ev"_s} << 2
                                << "--to: a room name must have 1 to 256 characters"_ba;
    QTest::addRow("--nsp without slash") << QStringList{u"--nsp"_s, u"chat"_s, u"ev"_s} << 2
                                         << "--nsp must be a string starting with '/'"_ba;
    QTest::addRow("bad --redis") << QStringList{u"--redis"_s, u"rediss://h"_s, u"ev"_s} << 2
                                 << "invalid --redis: "_ba;
    QTest::addRow("bad --key") << QStringList{u"--key"_s, u"a#b"_s, u"ev"_s} << 2
                               << "invalid --key"_ba;
    QTest::addRow("bad --timeout")
        << QStringList{u"--timeout"_s, u"0"_s, u"ev"_s} << 2 << "invalid --timeout"_ba;
    QTest::addRow("--enqueue without a key")
        << QStringList{u"--enqueue"_s, u"ev"_s} << 2 << "--enqueue needs --queue-key"_ba;
}

void TestEmitCli::exitCodes()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, message);
    const EmitRun run = runEmit(args, "{not json");
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.describe()));
    QVERIFY2(run.err.startsWith("switchboard-emit: " + message), qPrintable(run.describe()));
    QVERIFY(run.out.isEmpty());
}

void TestEmitCli::redisRefuses_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("url"); // %1: the port of a Redis that wants the password "pw"
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("message");

    QTest::addRow("no password") << QStringList{u"ev"_s} << u"redis://127.0.0.1:%1"_s << 3
                                 << "refused PUBLISH socket.io#/#: NOAUTH"_ba;
    QTest::addRow("wrong password") << QStringList{u"ev"_s} << u"redis://:nope@127.0.0.1:%1"_s << 3
                                    << "refused AUTH: WRONGPASS"_ba;
    QTest::addRow("db out of range") << QStringList{u"ev"_s} << u"redis://:pw@127.0.0.1:%1/99"_s
                                     << 3 << "refused SELECT 99: "_ba;
    QTest::addRow("queue key of another type")
        << QStringList{u"--enqueue"_s, u"--queue-key"_s, u"a-string"_s, u"ev"_s}
        << u"redis://:pw@127.0.0.1:%1"_s << 3 << "refused RPUSH a-string: WRONGTYPE"_ba;
    QTest::addRow("right password") << QStringList{u"ev"_s} << u"redis://:pw@127.0.0.1:%1"_s << 0
                                    << "warning: no server subscribes"_ba;
}

void TestEmitCli::redisRefuses()
{
    QFETCH(QStringList, args);
    QFETCH(QString, url);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, message);
    RedisServer locked({u"--requirepass"_s, u"pw"_s});
    QVERIFY2(locked.start(), qPrintable(locked.error()));
    redis::Connection admin(parseUrl(u"redis://:pw@127.0.0.1:%1"_s.arg(locked.port())));
    admin.start();
    QVERIFY(QTest::qWaitFor([&admin] { return admin.isConnected(); }, 5000));
    QCOMPARE(call(admin, {"SET", "a-string", "x"}).string, "OK"_ba);
    const EmitRun run = runEmit(QStringList{u"--redis"_s, url.arg(locked.port())} + args);
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.describe()));
    QVERIFY2(run.err.contains(message), qPrintable(run.describe()));
    QVERIFY2(!run.err.contains(":pw@"), "the password is in the error");
}

void TestEmitCli::reachesClientsOnTwoNodes()
{
    auto onA = peerOn(*m_a, u"cli-room"_s);
    auto onB = peerOn(*m_b, u"cli-room"_s);
    auto outside = peerOn(*m_b);
    QVERIFY(onA && onB && outside);
    const EmitRun run = runEmit(redisArgs() + QStringList{u"--to"_s, u"cli-room"_s, u"news"_s,
                                                          uR"({"a":[1,2],"t":"é"})"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.err.isEmpty(), qPrintable(run.describe()));
    const auto before = fence({onA.get(), onB.get(), outside.get()});
    QVERIFY(before);
    const QVariantList expected{u"news"_s,
                                QVariantMap{{u"a"_s, QVariantList{1, 2}}, {u"t"_s, u"é"_s}}};
    for (int i : {0, 1}) {
        QCOMPARE(before->at(i).size(), 1);
        QCOMPARE(before->at(i).first().data, expected);
    }
    QVERIFY2(before->at(2).isEmpty(), qPrintable(frameTexts(before->at(2))));
}

void TestEmitCli::namespaceExceptAndStdin()
{
    auto kept = peerOn(*m_b, u"cli-chat"_s, u"/chat"_s);
    auto skipped = peerOn(*m_a, u"cli-chat"_s, u"/chat"_s);
    auto other = peerOn(*m_a, u"cli-other"_s, u"/chat"_s);
    auto rootMember = peerOn(*m_a, u"cli-chat"_s); // same room name in "/"
    QVERIFY(kept && skipped && other && rootMember);
    QTRY_COMPARE_WITH_TIMEOUT(subscribers(*m_probe, "socket.io-request#/chat#"), 2, 5000);
    const EmitRun run = runEmit(
        redisArgs() + QStringList{u"--nsp"_s, u"/chat"_s, u"--to"_s, u"cli-chat"_s, u"--to"_s,
                                  u"cli-other"_s, u"--except"_s, skipped->id, u"chat"_s, u"-"_s},
        "[true, null, \"from stdin\"]\n");
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    const auto before = fence({kept.get(), skipped.get(), other.get()}, u"/chat"_s);
    QVERIFY(before);
    const QVariantList expected{u"chat"_s,
                                QVariantList{true, QVariant::fromValue(nullptr), u"from stdin"_s}};
    QCOMPARE(before->at(0).size(), 1);
    QCOMPARE(before->at(0).first().data, expected);
    QVERIFY2(before->at(1).isEmpty(), qPrintable(frameTexts(before->at(1))));
    QCOMPARE(before->at(2).size(), 1);
    const auto rootBefore = fence({rootMember.get()});
    QVERIFY(rootBefore);
    QVERIFY2(rootBefore->first().isEmpty(), qPrintable(frameTexts(rootBefore->first())));
}

void TestEmitCli::noSubscriberIsAWarning()
{
    const EmitRun run = runEmit(redisArgs() + QStringList{u"--key"_s, u"elsewhere"_s, u"ev"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    QVERIFY2(run.err.contains("warning: no server subscribes to elsewhere#/# on"),
             qPrintable(run.describe()));
}

void TestEmitCli::enqueue()
{
    const QByteArray key = "cli-jobs";
    QCOMPARE(call(*m_probe, {"DEL", key}).type, redis::Reply::Type::Integer);
    EmitRun run = runEmit(redisArgs() + QStringList{u"--enqueue"_s, u"--queue-key"_s, u"cli-jobs"_s,
                                                    u"--nsp"_s, u"/chat"_s, u"--to"_s, u"a"_s,
                                                    u"--to"_s, u"b"_s, u"--except"_s, u"c"_s,
                                                    u"ev"_s, uR"({"x": 1})"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
    // The key from the node's own variable; the reference form's event name; no data.
    run = runEmit(redisArgs() + QStringList{u"--enqueue"_s, u"--to"_s, u"lobby"_s, u"message"_s},
                  {}, {u"SWITCHBOARD_QUEUE=cli-jobs"_s});
    QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));

    const redis::Reply list = call(*m_probe, {"LRANGE", key, "0", "-1"});
    QCOMPARE(list.elements.size(), 2);
    QCOMPARE(list.elements.at(0).string,
             R"({"data":{"x":1},"event":"ev","except":["c"],"nsp":"/chat","to":["a","b"]})"_ba);
    QCOMPARE(list.elements.at(1).string, R"({"event":"message","to":["lobby"]})"_ba);
    // What a node's queue consumer reads back.
    const auto job = parseEmitJob(list.elements.at(0).string, 32);
    QVERIFY2(job.ok(), qPrintable(job.error()));
    QCOMPARE(job->except, QStringList{u"c"_s});
    // Nothing was published: nobody is told of a queued job but its consumer.
    QVERIFY(!run.err.contains("warning"));
}

QTEST_GUILESS_MAIN(TestEmitCli)
#include "tst_emitcli.moc"
