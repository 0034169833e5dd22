// The bounds of a public port, each triggered: binary attachments per packet and their bytes,
// the unsent output a client may leave queued, and dynamic namespaces (freed, with their Redis
// subscriptions, once empty; capped in number).
#include "nodefixture.h"
#include "rawclient.h"
#include "redisserver.h"

#include "switchboard/client.h"
#include "switchboard/engineconnection.h"
#include "switchboard/namespace.h"
#include "switchboard/socket.h"

#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>

using namespace switchboard;

namespace {

// A binary event with `count` attachments of `bytes` bytes each.
void sendBinaryEvent(RawClient &client, int count, int bytes)
{
    QString placeholders;
    for (int i = 0; i < count; ++i)
        placeholders += QStringLiteral(",{\"_placeholder\":true,\"num\":%1}").arg(i);
    client.send(QStringLiteral("45%1-0[\"files\"%2]").arg(count).arg(placeholders));
    for (int i = 0; i < count; ++i)
        client.sendBinary(QByteArray(bytes, char('a' + i % 26)));
}

// A WebSocket client made by hand on a QTcpSocket, so that it can stop reading: Qt then
// stops taking bytes from the kernel, and the server's output backs up.
class StalledClient
{
public:
    explicit StalledClient(quint16 port) { m_socket.connectToHost(QHostAddress::LocalHost, port); }

    bool upgradeAndJoin()
    {
        if (!m_socket.waitForConnected(5000))
            return false;
        m_socket.write("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        QByteArray got;
        if (!QTest::qWaitFor(
                [&] {
                    got += m_socket.readAll();
                    return got.contains("\r\n\r\n") && got.contains("\"sid\"");
                },
                5000))
            return false;
        sendMaskedText("40");
        return true;
    }

    // Reads nothing from now on.
    void stall() { m_socket.setReadBufferSize(1); }

private:
    void sendMaskedText(const QByteArray &text)
    {
        const char mask[4] = {1, 2, 3, 4};
        QByteArray frame;
        frame.append(char(0x81)).append(char(0x80 | text.size())).append(mask, 4);
        for (qsizetype i = 0; i < text.size(); ++i)
            frame.append(char(text.at(i) ^ mask[i % 4]));
        m_socket.write(frame);
    }

    QTcpSocket m_socket;
};

// What `redis-cli` answers, one line per reply element.
QStringList redisCli(quint16 port, const QStringList &args)
{
    QProcess cli;
    cli.start(QStringLiteral("redis-cli"),
              QStringList{QStringLiteral("-p"), QString::number(port)} + args);
    if (!cli.waitForFinished(5000))
        return {QStringLiteral("redis-cli did not answer")};
    return QString::fromUtf8(cli.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts);
}

} // namespace

class TestLimits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults()
    {
        QCOMPARE(EngineOptions{}.maxBufferedBytes, 1024 * 1024);
        QCOMPARE(ServerOptions{}.maxAttachments, 10);
        QCOMPARE(ServerOptions{}.maxAttachmentBytes, 1000000);
        QCOMPARE(ServerOptions{}.maxNamespaces, 100);
    }

    void attachmentsUpToTheLimitArrive()
    {
        auto node = startNode();
        QSignalSpy connections(node->server()->of(u"/"_qs), &Namespace::connection);
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        QVariantList received;
        connections.first().first().value<Socket *>()->on(
            u"files"_qs,
            [&received](Socket *, const QVariantList &args, const Ack &) { received = args; });
        sendBinaryEvent(client, 10, 100);
        QTRY_COMPARE(received.size(), 10);
        QVERIFY(!client.closed);
    }

    void tooManyAttachmentsCloseTheConnection()
    {
        auto node = startNode();
        RawClient bystander(engineUrl(*node));
        QVERIFY(!bystander.handshake().isNull());
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"11 attachments in one packet, more than the "
                                                u"limit of 10"_qs));
        client.send(u"4511-[\"files\"]"_qs);
        QVERIFY(client.waitClosed());
        QVERIFY(!bystander.closed);
        QCOMPARE(node->server()->clientCount(), 1);
    }

    void attachmentBytesOverTheLimitCloseTheConnection()
    {
        auto node = startNode([](NodeConfig &c) { c.server.maxAttachmentBytes = 1000; });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"attachments of one packet over the limit of "
                                                u"1000 bytes"_qs));
        sendBinaryEvent(client, 3, 400); // the third frame crosses 1000 bytes
        QVERIFY(client.waitClosed());
    }

    void slowConsumerIsCutOffAtOneMebibyte()
    {
        auto node = startNode();
        RawClient bystander(engineUrl(*node));
        QVERIFY(!bystander.handshake().isNull());
        QSignalSpy connections(node->server()->of(u"/"_qs), &Namespace::connection);
        StalledClient client(node->server()->serverPort());
        QVERIFY(client.upgradeAndJoin());
        QTRY_COMPARE(connections.size(), 1);
        auto *socket = connections.first().first().value<Socket *>();
        QString reason;
        connect(socket, &Socket::disconnected, this, [&reason](const QString &r) { reason = r; });
        client.stall();
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"slow consumer: more than 1048576 bytes"_qs));
        // Bounded: 64 MB at most, far beyond the kernel's buffers and the limit.
        const QString chunk(64 * 1024, u'x');
        for (int i = 0; i < 1024 && reason.isEmpty(); ++i) {
            socket->emit(u"bulk"_qs, {chunk});
            QCoreApplication::processEvents();
        }
        QVERIFY2(reason.startsWith(u"slow consumer"), qPrintable(reason));
        QTRY_COMPARE(node->server()->clientCount(), 1); // the bystander alone
        const QString served = bystander.call(u"[\"join\",\"r\"]"_qs);
        QVERIFY2(served.startsWith(u"[{\"ok\":true"), qPrintable(served));
    }

    // A volatile message is dropped only for a client that is behind (output the kernel has not
    // taken, volatileIsDroppedForAClientBehind), not because an earlier message waits for the
    // end of the same pass or, with write coalescing, for the tick (before, both dropped it).
    void volatileIsDroppedOnlyWhileTheClientIsBehind_data()
    {
        QTest::addColumn<int>("coalesceMs");
        QTest::addRow("defaults") << 0;
        QTest::addRow("coalescing at every rate") << 1000; // the epoll layer's
    }

    void volatileIsDroppedOnlyWhileTheClientIsBehind()
    {
        QFETCH(int, coalesceMs);
        auto node = startNode([coalesceMs](NodeConfig &c) {
            if (coalesceMs > 0) {
                c.server.http.writeCoalesceMs = coalesceMs;
                c.server.http.writeCoalesceAbove = 0;
            }
        });
        QSignalSpy connections(node->server()->of(u"/"_qs), &Namespace::connection);
        RawClient reader(engineUrl(*node));
        QVERIFY(!reader.handshake().isNull());
        QTRY_COMPARE(connections.size(), 1);
        auto *socket = connections.first().first().value<Socket *>();
        const BroadcastOperator toReader = node->server()->of(u"/"_qs)->to(socket->id());
        QVERIFY(socket->emit(u"a"_qs));
        QVERIFY(toReader.volatile_().emit(u"b"_qs));
        QVERIFY(toReader.volatile_().emit(u"c"_qs));
        QCOMPARE(reader.next(), u"42[\"a\"]"_qs);
        QCOMPARE(reader.next(), u"42[\"b\"]"_qs);
        QCOMPARE(reader.next(), u"42[\"c\"]"_qs);
    }

    void volatileIsDroppedForAClientBehind()
    {
        auto node = startNode();
        QSignalSpy connections(node->server()->of(u"/"_qs), &Namespace::connection);
        StalledClient stalled(node->server()->serverPort());
        QVERIFY(stalled.upgradeAndJoin());
        QTRY_COMPARE(connections.size(), 1);
        auto *behind = connections.first().first().value<Socket *>();
        EngineConnection *connection = behind->client()->connection();
        stalled.stall();
        // Until the kernel refuses (its buffers, well under the 1 MiB of max-buffered after).
        const QString chunk(64 * 1024, u'x');
        for (int i = 0; i < 1024 && !connection->congested(); ++i) {
            QVERIFY(behind->emit(u"bulk"_qs, {chunk}));
            QCoreApplication::processEvents();
        }
        QVERIFY(connection->congested());
        const qint64 queued = connection->bufferedBytes();
        const BroadcastOperator toBehind = node->server()->of(u"/"_qs)->to(behind->id());
        QVERIFY(toBehind.volatile_().emit(u"v"_qs, {chunk}));
        QCOMPARE(connection->bufferedBytes(), queued); // dropped
        QVERIFY(behind->emit(u"plain"_qs, {chunk}));
        QVERIFY(connection->bufferedBytes() > queued); // queued, as any message
    }

    void dynamicNamespaceIsFreedWhenEmpty()
    {
        auto node = startNode();
        Server *server = node->server();
        Namespace *fixed = server->of(u"/fixed"_qs);
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        QVERIFY(!client.join(u"/dyn"_qs).isNull());
        QVERIFY(!client.join(u"/fixed"_qs).isNull());
        QPointer<Namespace> dyn = server->namespaceFor(u"/dyn"_qs);
        QVERIFY(dyn);
        client.send(u"41/dyn,"_qs);
        client.send(u"41/fixed,"_qs);
        QTRY_VERIFY(!dyn);
        QCOMPARE(server->of(u"/fixed"_qs), fixed); // made with of(): stays
        // And it comes back on the next CONNECT.
        QVERIFY(!client.join(u"/dyn"_qs).isNull());
    }

    void namespaceRefusedByMiddlewareIsFreed()
    {
        auto node = startNode([](NodeConfig &c) { c.authToken = u"s3cret"_qs; });
        RawClient client(engineUrl(*node));
        QVERIFY(client.waitConnected());
        client.send(u"40/nobody-home,{\"token\":\"wrong\"}"_qs);
        QVERIFY(!client.nextStartingWith(u"44/nobody-home,"_qs).isNull());
        QTRY_COMPARE(node->server()->namespaces().size(), 1); // "/" alone
    }

    void namespaceCountIsCapped()
    {
        auto node = startNode([](NodeConfig &c) { c.server.maxNamespaces = 3; });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        QVERIFY(!client.join(u"/a"_qs).isNull());
        QVERIFY(!client.join(u"/b"_qs).isNull());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"refusing namespace \"/c\" - the limit of 3"_qs));
        client.send(u"40/c,"_qs);
        const QString refusal = client.nextStartingWith(u"44/c,"_qs);
        QVERIFY2(refusal.contains(u"Invalid namespace"), qPrintable(refusal));
        QCOMPARE(node->server()->namespaces().size(), 3);
        // Once one is free again, a new one may come.
        client.send(u"41/a,"_qs);
        QTRY_COMPARE(node->server()->namespaces().size(), 2);
        QVERIFY(!client.join(u"/c"_qs).isNull());
    }

    void freedNamespaceLeavesItsRedisChannels()
    {
        RedisServer redis;
        QVERIFY2(redis.start(), qPrintable(redis.error()));
        auto node = startNode([&redis](NodeConfig &c) { c.redisUrl = redis.url(); });
        QVERIFY(node);
        const QStringList pattern{u"PUBSUB"_qs, u"CHANNELS"_qs, u"socket.io-request#/dyn-*"_qs};
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        QVERIFY(!client.join(u"/dyn-1"_qs).isNull());
        QTRY_COMPARE(redisCli(redis.port(), pattern), QStringList{u"socket.io-request#/dyn-1#"_qs});
        const QStringList numpat{u"PUBSUB"_qs, u"NUMPAT"_qs};
        const int patterns = redisCli(redis.port(), numpat).value(0).toInt();
        QVERIFY(patterns >= 2); // "/" and "/dyn-1"
        client.send(u"41/dyn-1,"_qs);
        QTRY_COMPARE(redisCli(redis.port(), pattern), QStringList{});
        QTRY_COMPARE(redisCli(redis.port(), numpat).value(0).toInt(), patterns - 1);
    }
};

QTEST_GUILESS_MAIN(TestLimits)
#include "tst_limits.moc"
