// The HTTP side of the node's single port: routes, errors, Engine.IO handshake refusals.
#include "nodefixture.h"
#include "rawclient.h"

#include "switchboard/epollfront.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

using namespace switchboard;

namespace {

struct Reply
{
    int status = 0;
    QByteArray headers;
    QByteArray body;
};

// Sends raw request bytes and reads responses until the server closes the connection.
// The server runs in this thread, so every wait spins the event loop.
QByteArray exchange(quint16 port, const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000))
        return {};
    socket.write(request);
    QByteArray all;
    const bool closed = QTest::qWaitFor(
        [&] {
            all += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        5000);
    if (!closed)
        qWarning("server did not close the connection within 5 s");
    return all + socket.readAll();
}

Reply parse(const QByteArray &raw)
{
    Reply reply;
    const qsizetype split = raw.indexOf("\r\n\r\n");
    if (split < 0)
        return reply;
    reply.headers = raw.left(split);
    reply.body = raw.mid(split + 4);
    reply.status = raw.mid(9, 3).toInt();
    return reply;
}

Reply get(quint16 port, const QByteArray &target, const QByteArray &extra = {})
{
    return parse(exchange(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra +
                                    "Connection: close\r\n\r\n"));
}

} // namespace

class TestHttp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_node = startNode();
        QVERIFY(m_node);
        m_port = m_node->server()->serverPort();
    }

    void indexPage()
    {
        const Reply reply = get(m_port, "/");
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.headers.contains("Content-Type: text/html"));
        QVERIFY(reply.body.contains("<title>Switchboard node</title>"));
    }

    void health()
    {
        const Reply reply = get(m_port, "/healthz");
        QCOMPARE(reply.status, 200);
        const QJsonObject obj = QJsonDocument::fromJson(reply.body).object();
        QCOMPARE(obj.value(u"status").toString(), u"ok");
        QCOMPARE(obj.value(u"name").toString(), u"test-node");
        QCOMPARE(obj.value(u"clients").toInt(-1), 0);
    }

    void healthCountsClients()
    {
        RawClient client(engineUrl(*m_node));
        QVERIFY(!client.handshake().isEmpty());
        const QJsonObject obj = QJsonDocument::fromJson(get(m_port, "/healthz").body).object();
        QCOMPARE(obj.value(u"clients").toInt(), 1);
        QCOMPARE(obj.value(u"sockets").toObject().value(u"/").toInt(), 1);
    }

    void notFound()
    {
        const Reply reply = get(m_port, "/nope");
        QCOMPARE(reply.status, 404);
        QCOMPARE(QJsonDocument::fromJson(reply.body).object().value(u"message").toString(),
                 u"Not found");
    }

    void methodNotAllowed()
    {
        const Reply reply = parse(
            exchange(m_port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        QCOMPARE(reply.status, 405);
        QVERIFY(reply.headers.contains("Allow: GET"));
    }

    void headHasNoBody()
    {
        const Reply reply = parse(
            exchange(m_port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.body.isEmpty());
    }

    void keepAlivePipelining()
    {
        const QByteArray raw = exchange(m_port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                                "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: "
                                                "close\r\n\r\n");
        QCOMPARE(raw.count("HTTP/1.1 200 OK"), 1);
        QCOMPARE(raw.count("HTTP/1.1 404 Not Found"), 1);
    }

    void malformedRequest()
    {
        const Reply reply = parse(exchange(m_port, "GARBAGE\r\n\r\n"));
        QCOMPARE(reply.status, 400);
    }

    void handshakeErrors_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Version: 13\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        QTest::addRow("EIO 3") << QByteArray("/socket.io/?EIO=3&transport=websocket") << upgrade
                               << 5 << u"Unsupported protocol version"_qs;
        QTest::addRow("no EIO") << QByteArray("/socket.io/?transport=websocket") << upgrade << 5
                                << u"Unsupported protocol version"_qs;
        QTest::addRow("unknown transport")
            << QByteArray("/socket.io/?EIO=4&transport=carrier-pigeon") << upgrade << 0
            << u"Transport unknown"_qs;
        QTest::addRow("polling not served") << QByteArray("/socket.io/?EIO=4&transport=polling")
                                            << QByteArray() << 0 << u"Transport unknown"_qs;
        QTest::addRow("unknown sid") << QByteArray("/socket.io/?EIO=4&transport=websocket&sid=abc")
                                     << upgrade << 1 << u"Session ID unknown"_qs;
        QTest::addRow("websocket without upgrade")
            << QByteArray("/socket.io/?EIO=4&transport=websocket") << QByteArray() << 3
            << u"Bad request"_qs;
    }

    void handshakeErrors()
    {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, headers);
        QFETCH(int, code);
        QFETCH(QString, message);
        const Reply reply = get(m_port, target, headers);
        QCOMPARE(reply.status, 400);
        const QJsonObject obj = QJsonDocument::fromJson(reply.body).object();
        QCOMPARE(obj.value(u"code").toInt(-1), code);
        QCOMPARE(obj.value(u"message").toString(), message);
    }

    void upgradeElsewhereIsNotFound()
    {
        const Reply reply = get(m_port, "/elsewhere/?EIO=4&transport=websocket",
                                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                                "dGhlIHNhbXBsZSBub25jZQ==\r\n");
        QCOMPARE(reply.status, 404);
    }

    // Every refused upgrade used to stay a child of the QTcpServer until shutdown (20 000 of
    // them: +160 MB). Its TCP socket must be gone once the answer is out.
    void refusedUpgradesFreeTheirSockets_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<int>("status");
        QTest::addRow("EIO=3") << QByteArray("/socket.io/?EIO=3&transport=websocket") << 400;
        QTest::addRow("unknown sid")
            << QByteArray("/socket.io/?EIO=4&transport=websocket&sid=nope") << 400;
        QTest::addRow("off the Engine.IO path")
            << QByteArray("/elsewhere/?EIO=4&transport=websocket") << 404;
    }

    void refusedUpgradesFreeTheirSockets()
    {
        QFETCH(QByteArray, target);
        QFETCH(int, status);
        QTRY_COMPARE(liveConnections(), 0);
        constexpr int Upgrades = 50;
        for (int i = 0; i < Upgrades; ++i) {
            const Reply reply = get(m_port, target,
                                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                                    "dGhlIHNhbXBsZSBub25jZQ==\r\n");
            QCOMPARE(reply.status, status);
        }
        QTRY_COMPARE(liveConnections(), 0);
    }

    // The control: an accepted upgrade is a live socket while its client is connected.
    void acceptedUpgradeIsCounted()
    {
        QTRY_COMPARE(liveConnections(), 0);
        {
            RawClient client(engineUrl(*m_node));
            QVERIFY(!client.handshake().isNull());
            QCOMPARE(liveConnections(), 1);
        }
        QTRY_COMPARE(liveConnections(), 0);
    }

    void oversizedBodyRefused()
    {
        const Reply reply = parse(exchange(m_port, "POST /healthz HTTP/1.1\r\nHost: x\r\n"
                                                   "Content-Length: 99999999\r\n\r\n"));
        QCOMPARE(reply.status, 413);
    }

    void idleConnectionClosed()
    {
        m_node->server()->http()->setIdleTimeout(200);
        QTcpSocket idle;
        idle.connectToHost(QHostAddress::LocalHost, m_port);
        QVERIFY(QTest::qWaitFor([&] { return idle.state() == QAbstractSocket::ConnectedState; }));
        idle.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"); // never finished
        QVERIFY(QTest::qWaitFor([&] { return idle.state() == QAbstractSocket::UnconnectedState; },
                                3000));
        m_node->server()->http()->setIdleTimeout(30000);
    }

private:
    // TCP connections the node holds: its QTcpSockets on the Qt layer (LeakSanitizer cannot
    // see them, they are reachable), its NetConnections on the epoll layer.
    qsizetype liveConnections() const
    {
        if (auto *epoll = qobject_cast<EpollFront *>(m_node->server()->http()))
            return epoll->connectionCount();
        return m_node->findChildren<QTcpSocket *>().size();
    }

    std::unique_ptr<Node> m_node;
    quint16 m_port = 0;
};

QTEST_GUILESS_MAIN(TestHttp)
#include "tst_http.moc"
