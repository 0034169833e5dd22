// The HTTP side of the node's single port: routes, errors, Engine.IO handshake refusals, the
// client bundle and CORS.
#include "httpreply.h"
#include "nodefixture.h"
#include "rawclient.h"

#include "switchboard/epollfront.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <zlib.h>

using namespace switchboard;

namespace {

using Reply = HttpReply;

Reply get(quint16 port, const QByteArray &target, const QByteArray &extra = {})
{
    return HttpReply::parse(httpExchange(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\n" +
                                                   extra + "Connection: close\r\n\r\n"));
}

Reply request(quint16 port, const QByteArray &method, const QByteArray &target,
              const QByteArray &extra = {})
{
    return HttpReply::parse(httpExchange(port, method + ' ' + target + " HTTP/1.1\r\nHost: x\r\n" +
                                                   extra + "Connection: close\r\n\r\n"));
}

// The client version in the bundle's banner ("Socket.IO v4.8.1"): what the ETag must be.
QByteArray bannerVersion(const QByteArray &bundle)
{
    const QRegularExpressionMatch match =
        QRegularExpression(QStringLiteral("Socket\\.IO v(\\d+\\.\\d+\\.\\d+)"))
            .match(QString::fromUtf8(bundle.left(200)));
    return match.hasMatch() ? match.captured(1).toUtf8() : QByteArray();
}

// The CORS nodes' limits, small enough that the refusal rows reach each: a body budget under
// one body's limit (503 between the two) and a short body deadline (408).
void refusalLimits(NodeConfig &config)
{
    config.server.http.maxBodiesBytes = 64 * 1024;
    config.server.http.bodyTimeoutMs = 300;
}

// Whether a reply's Vary header names `name` among the others.
bool variesBy(const Reply &reply, QByteArrayView name)
{
    for (const QByteArray &token : reply.header("vary").split(','))
        if (token.trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

// What a gzip body holds (RFC 1952), or an empty array if it is not one.
QByteArray gunzip(const QByteArray &data)
{
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
        return {};
    QByteArray out;
    QByteArray chunk(64 * 1024, Qt::Uninitialized);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = uInt(data.size());
    int result = Z_OK;
    while (result == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef *>(chunk.data());
        stream.avail_out = uInt(chunk.size());
        result = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk.constData(), chunk.size() - qsizetype(stream.avail_out));
    }
    inflateEnd(&stream);
    return result == Z_STREAM_END ? out : QByteArray();
}

const QByteArray ListedOrigin = "http://app.example";
const QByteArray OtherListedOrigin = "https://other.example:8443";

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
        m_anyOrigin = startNode([](NodeConfig &config) {
            QString error;
            config.cors = *CorsOptions::parse(QStringLiteral("*"), error);
            refusalLimits(config);
        });
        QVERIFY(m_anyOrigin);
        m_listed = startNode([](NodeConfig &config) {
            QString error;
            config.cors = *CorsOptions::parse(
                QString::fromLatin1(ListedOrigin + ", " + OtherListedOrigin), error);
            refusalLimits(config);
        });
        QVERIFY(m_listed);
    }

    void indexPage()
    {
        const Reply reply = get(m_port, "/");
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.headers.contains("Content-Type: text/html"));
        QVERIFY(reply.body.contains("<title>Switchboard node</title>"));
        // The demo page uses the bundle the node serves, with the client's default options.
        QVERIFY(reply.body.contains("<script src=\"/socket.io/socket.io.js\"></script>"));
        QVERIFY(reply.body.contains("io()"));
    }

    void indexPageFollowsThePath()
    {
        const auto node =
            startNode([](NodeConfig &config) { config.server.path = QStringLiteral("/rt/"); });
        QVERIFY(node);
        const quint16 port = node->server()->serverPort();
        const Reply page = get(port, "/");
        QVERIFY(page.body.contains("<script src=\"/rt/socket.io.js\"></script>"));
        QCOMPARE(get(port, "/rt/socket.io.js").status, 200);
        QCOMPARE(get(port, "/socket.io/socket.io.js").status, 404);
    }

    // As socket.io serves its client: beside the Engine.IO path, revalidated on every use.
    void clientBundle_data()
    {
        QTest::addColumn<QByteArray>("file");
        QTest::addColumn<QByteArray>("type");
        for (const char *name : {"socket.io.js", "socket.io.min.js", "socket.io.esm.min.js"}) {
            QTest::addRow("%s", name)
                << QByteArray(name) << QByteArray("application/javascript; charset=utf-8");
            QTest::addRow("%s.map", name)
                << QByteArray(name) + ".map" << QByteArray("application/json; charset=utf-8");
        }
    }

    void clientBundle()
    {
        QFETCH(QByteArray, file);
        QFETCH(QByteArray, type);
        const QByteArray version = bannerVersion(get(m_port, "/socket.io/socket.io.js").body);
        QVERIFY2(!version.isEmpty(), "no version in the banner of socket.io.js");
        const QByteArray etag = '"' + version + '"';

        const Reply reply = get(m_port, "/socket.io/" + file);
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("content-type"), type);
        QCOMPARE(reply.header("cache-control"), "public, max-age=0");
        QCOMPARE(reply.header("etag"), etag);
        QCOMPARE(reply.header("content-length"), QByteArray::number(reply.body.size()));
        if (file.endsWith(".map")) {
            const QJsonObject map = QJsonDocument::fromJson(reply.body).object();
            QCOMPARE(map.value(u"version").toInt(), 3);
            QVERIFY(!map.value(u"sources").toArray().isEmpty());
        } else {
            QCOMPARE(bannerVersion(reply.body), version);
            QVERIFY(reply.body.trimmed().endsWith("//# sourceMappingURL=" + file + ".map"));
        }

        // A query string (a cache buster) names the same file.
        QCOMPARE(get(m_port, "/socket.io/" + file + "?v=" + version).body, reply.body);
        const Reply head = request(m_port, "HEAD", "/socket.io/" + file);
        QCOMPARE(head.status, 200);
        QCOMPARE(head.header("etag"), etag);
        QVERIFY(head.body.isEmpty());
    }

    // Compressed when the client takes gzip, as socket.io serves it (browsers all do).
    void clientBundleCompressed_data()
    {
        QTest::addColumn<QByteArray>("acceptEncoding");
        QTest::addColumn<bool>("compressed");
        QTest::addRow("gzip") << QByteArray("gzip") << true;
        QTest::addRow("a browser's") << QByteArray("gzip, deflate, br, zstd") << true;
        QTest::addRow("weighted") << QByteArray("br;q=1.0, GZIP;q=0.5") << true;
        QTest::addRow("any") << QByteArray("*") << true;
        QTest::addRow("refused") << QByteArray("gzip;q=0") << false;
        QTest::addRow("refused over any") << QByteArray("*, gzip;q=0.0") << false;
        QTest::addRow("others only") << QByteArray("deflate, br") << false;
        QTest::addRow("identity") << QByteArray("identity") << false;
        QTest::addRow("none") << QByteArray() << false;
    }

    void clientBundleCompressed()
    {
        QFETCH(QByteArray, acceptEncoding);
        QFETCH(bool, compressed);
        const Reply plain = get(m_port, "/socket.io/socket.io.min.js");
        QCOMPARE(plain.status, 200);
        const QByteArray etag = plain.header("etag");
        const QByteArray header =
            acceptEncoding.isNull() ? QByteArray() : "Accept-Encoding: " + acceptEncoding + "\r\n";
        const Reply reply = get(m_port, "/socket.io/socket.io.min.js", header);
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("vary"), "Accept-Encoding");
        QCOMPARE(reply.header("content-length"), QByteArray::number(reply.body.size()));
        if (!compressed) {
            QVERIFY(reply.header("content-encoding").isNull());
            QCOMPARE(reply.body, plain.body);
            QCOMPARE(reply.header("etag"), etag);
            return;
        }
        QCOMPARE(reply.header("content-encoding"), "gzip");
        QVERIFY2(reply.body.size() < plain.body.size() / 2,
                 QByteArray::number(reply.body.size()).constData());
        QCOMPARE(gunzip(reply.body), plain.body);
        // Another representation, another entity tag; each revalidates as itself.
        const QByteArray gzipEtag = reply.header("etag");
        QCOMPARE(gzipEtag, etag.chopped(1) + "-gzip\"");
        QCOMPARE(get(m_port, "/socket.io/socket.io.min.js",
                     header + "If-None-Match: " + gzipEtag + "\r\n")
                     .status,
                 304);
    }

    void clientBundleNotModified_data()
    {
        QTest::addColumn<QByteArray>("ifNoneMatch"); // "%" stands for the version
        QTest::addColumn<int>("status");
        QTest::addRow("strong") << QByteArray("\"%\"") << 304;
        QTest::addRow("weak") << QByteArray("W/\"%\"") << 304;
        QTest::addRow("in a list") << QByteArray("\"0.0.1\", W/\"%\"") << 304;
        QTest::addRow("any") << QByteArray("*") << 304;
        QTest::addRow("another version") << QByteArray("\"0.0.1\"") << 200;
        QTest::addRow("unquoted") << QByteArray("%") << 200;
    }

    void clientBundleNotModified()
    {
        QFETCH(QByteArray, ifNoneMatch);
        QFETCH(int, status);
        const QByteArray version = bannerVersion(get(m_port, "/socket.io/socket.io.js").body);
        QVERIFY(!version.isEmpty());
        for (const char *file : {"socket.io.min.js", "socket.io.min.js.map"}) {
            const Reply reply =
                get(m_port, QByteArray("/socket.io/") + file,
                    "If-None-Match: " + QByteArray(ifNoneMatch).replace('%', version) + "\r\n");
            QCOMPARE(reply.status, status);
            QCOMPARE(reply.header("etag"), '"' + version + '"');
            QCOMPARE(reply.header("cache-control"), "public, max-age=0");
            if (status == 304) {
                QVERIFY(reply.body.isEmpty());
                QVERIFY(reply.header("content-length").isNull());
            } else {
                QVERIFY(!reply.body.isEmpty());
            }
        }
    }

    void clientBundleOnlyItsFiles()
    {
        QCOMPARE(get(m_port, "/socket.io/socket.io.msgpack.min.js").status, 404);
        QCOMPARE(get(m_port, "/socket.io/package.json").status, 404);
        QCOMPARE(request(m_port, "POST", "/socket.io/socket.io.js").status, 405);
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
        const Reply reply = HttpReply::parse(httpExchange(
            m_port, "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        QCOMPARE(reply.status, 405);
        QVERIFY(reply.headers.contains("Allow: GET"));
    }

    void headHasNoBody()
    {
        const Reply reply = HttpReply::parse(
            httpExchange(m_port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.body.isEmpty());
    }

    void keepAlivePipelining()
    {
        const QByteArray raw = httpExchange(m_port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                                    "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: "
                                                    "close\r\n\r\n");
        QCOMPARE(raw.count("HTTP/1.1 200 OK"), 1);
        QCOMPARE(raw.count("HTTP/1.1 404 Not Found"), 1);
    }

    void malformedRequest()
    {
        const Reply reply = HttpReply::parse(httpExchange(m_port, "GARBAGE\r\n\r\n"));
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
        QTest::addRow("polling, unknown sid")
            << QByteArray("/socket.io/?EIO=4&transport=polling&sid=abc") << QByteArray() << 1
            << u"Session ID unknown"_qs;
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
        const Reply reply =
            HttpReply::parse(httpExchange(m_port, "POST /healthz HTTP/1.1\r\nHost: x\r\n"
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

    // A client that pipelines 2 000 requests in one write is served a slice per pass of the
    // event loop, not in one go that holds every other client (on the epoll layer it was all
    // in one pass, about 0.25 s here, 2.3 s under ASan): requests counted per pass, not timed.
    void pipelinedRequestsTakeTurns()
    {
        const auto node = startNode();
        QVERIFY(node);
        int pass = 0;
        QTimer ticker; // a zero timer fires once per pass
        ticker.setInterval(0);
        connect(&ticker, &QTimer::timeout, &ticker, [&pass] { ++pass; });
        QHash<int, int> perPass;
        node->server()->http()->route("GET", QStringLiteral("/probe"), [&](const HttpRequest &) {
            ++perPass[pass];
            return HttpResponse::json(200, "{}");
        });
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, node->server()->serverPort());
        QVERIFY(socket.waitForConnected(3000));
        constexpr int N = 2000;
        QByteArray requests;
        for (int i = 0; i < N; ++i)
            requests += "GET /probe HTTP/1.1\r\nHost: x\r\n\r\n";
        socket.write(requests);
        QVERIFY(socket.waitForBytesWritten(3000)); // all in the kernel before the node reads
        ticker.start();
        QByteArray in;
        QVERIFY(QTest::qWaitFor(
            [&] {
                in += socket.readAll();
                return in.count("HTTP/1.1 200") == N;
            },
            20000));
        int most = 0;
        for (const int count : std::as_const(perPass))
            most = std::max(most, count);
        QVERIFY2(most <= N / 8, qPrintable(QStringLiteral("%1 requests in one pass").arg(most)));
        QVERIFY(perPass.size() >= 8);
    }

    // After an answer a keep-alive connection waits --keepalive-timeout for the next request,
    // as Node does (5 s), and no longer the idle timeout: a long-polling client's POST
    // connection is not held between its pings. A request begun, or none yet, has the idle
    // timeout.
    void keepAliveTimeout()
    {
        const auto node = startNode([](NodeConfig &config) {
            config.server.http.keepAliveTimeoutMs = 300;
            config.server.http.idleTimeoutMs = 30000;
        });
        QVERIFY(node);
        const quint16 port = node->server()->serverPort();
        const auto connected = [port](QTcpSocket &socket) {
            socket.connectToHost(QHostAddress::LocalHost, port);
            return socket.waitForConnected(3000);
        };
        const auto answered = [](QTcpSocket &socket) {
            socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            QByteArray in;
            const bool whole = QTest::qWaitFor(
                [&] {
                    in += socket.readAll();
                    return in.contains("\r\n\r\n") && in.endsWith("}");
                },
                3000);
            return whole && in.startsWith("HTTP/1.1 200");
        };
        const auto closedWithin = [](QTcpSocket &socket, int ms) {
            return QTest::qWaitFor(
                [&] {
                    socket.readAll();
                    return socket.state() == QAbstractSocket::UnconnectedState;
                },
                ms);
        };

        // Answered, then nothing: closed at the keep-alive timeout, far under the idle one.
        QTcpSocket kept;
        QVERIFY(connected(kept));
        QVERIFY(answered(kept));
        QVERIFY2(closedWithin(kept, 5000), "a keep-alive connection outlived its timeout");

        // Requests in a row each restart it; a request begun stops it.
        QTcpSocket busy;
        QVERIFY(connected(busy));
        for (int i = 0; i < 3; ++i) {
            QVERIFY(answered(busy));
            QTest::qWait(100);
        }
        busy.write("GET /healthz HTTP/1.1\r\n"); // a slow head: the idle timeout's business
        QVERIFY(!closedWithin(busy, 900));
        QVERIFY(busy.state() == QAbstractSocket::ConnectedState);
        busy.write("Host: x\r\nConnection: close\r\n\r\n");
        QVERIFY(closedWithin(busy, 3000));

        // A new connection with no request yet: the idle timeout too.
        QTcpSocket fresh;
        QVERIFY(connected(fresh));
        QVERIFY(!closedWithin(fresh, 900));
        QVERIFY(answered(fresh));
        QVERIFY(closedWithin(fresh, 5000));
    }

    // Without --cors-origin a node answers as before: no CORS header, no preflight.
    void noCorsByDefault()
    {
        const Reply reply = get(m_port, "/healthz", "Origin: " + ListedOrigin + "\r\n");
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.header("access-control-allow-origin").isNull());
        QVERIFY(reply.header("vary").isNull());
        const Reply preflight =
            request(m_port, "OPTIONS", "/socket.io/?EIO=4&transport=polling",
                    "Origin: " + ListedOrigin + "\r\nAccess-Control-Request-Method: POST\r\n");
        QVERIFY(preflight.status != 204);
        QVERIFY(preflight.header("access-control-allow-origin").isNull());
    }

    // Every answer carries the CORS headers, errors included, so that a browser lets the page
    // read why it was refused.
    void corsOnEveryAnswer_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("extra");
        QTest::addColumn<int>("status");
        const QByteArray none;
        QTest::addRow("GET /healthz") << QByteArray("GET") << QByteArray("/healthz") << none << 200;
        QTest::addRow("GET /") << QByteArray("GET") << QByteArray("/") << none << 200;
        QTest::addRow("client bundle")
            << QByteArray("GET") << QByteArray("/socket.io/socket.io.js") << none << 200;
        QTest::addRow("client bundle 304")
            << QByteArray("GET") << QByteArray("/socket.io/socket.io.js")
            << QByteArray("If-None-Match: *\r\n") << 304;
        QTest::addRow("404") << QByteArray("GET") << QByteArray("/nope") << none << 404;
        QTest::addRow("405") << QByteArray("DELETE") << QByteArray("/healthz") << none << 405;
        QTest::addRow("Engine.IO 400 unsupported version")
            << QByteArray("GET") << QByteArray("/socket.io/?EIO=3&transport=polling") << none
            << 400;
        QTest::addRow("Engine.IO 400 unknown transport")
            << QByteArray("GET") << QByteArray("/socket.io/?EIO=4&transport=carrier-pigeon") << none
            << 400;
        QTest::addRow("refused upgrade 400")
            << QByteArray("GET") << QByteArray("/socket.io/?EIO=4&transport=websocket&sid=nope")
            << QByteArray("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
            << 400;
        // Refused by the connection layer before the request is whole.
        QTest::addRow("431 head too large") << QByteArray("GET") << QByteArray("/healthz")
                                            << "X-Big: " + QByteArray(20000, 'a') + "\r\n"
                                            << 431;
        QTest::addRow("413 body too large")
            << QByteArray("POST") << QByteArray("/socket.io/?EIO=4&transport=polling&sid=x")
            << QByteArray("Content-Length: 2000000\r\n") << 413;
        QTest::addRow("503 bodies' budget spent")
            << QByteArray("POST") << QByteArray("/socket.io/?EIO=4&transport=polling&sid=x")
            << QByteArray("Content-Length: 100000\r\n") << 503;
        QTest::addRow("408 body not whole in time") << QByteArray("POST") << QByteArray("/healthz")
                                                    << QByteArray("Content-Length: 10\r\n") << 408;
        QTest::addRow("400 malformed head") << QByteArray("GET") << QByteArray("/healthz")
                                            << QByteArray("Not a header line\r\n") << 400;
    }

    void corsOnEveryAnswer()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, extra);
        QFETCH(int, status);
        const quint16 any = m_anyOrigin->server()->serverPort();
        const quint16 listed = m_listed->server()->serverPort();

        // '*': any origin, never with credentials (a browser refuses the two together).
        Reply reply = request(any, method, target, "Origin: http://anywhere.example\r\n" + extra);
        QCOMPARE(reply.status, status);
        QCOMPARE(reply.header("access-control-allow-origin"), "*");
        QVERIFY(reply.header("access-control-allow-credentials").isNull());

        // Listed origins: the request's own, with credentials, and a Vary for caches.
        for (const QByteArray &origin : {ListedOrigin, OtherListedOrigin}) {
            reply = request(listed, method, target, "Origin: " + origin + "\r\n" + extra);
            QCOMPARE(reply.status, status);
            QCOMPARE(reply.header("access-control-allow-origin"), origin);
            QCOMPARE(reply.header("access-control-allow-credentials"), "true");
            QVERIFY2(variesBy(reply, "Origin"), reply.header("vary").constData());
        }

        // An origin not listed, or none: the answer, but nothing that lets a page read it.
        for (const QByteArray &header :
             {QByteArray("Origin: http://evil.example\r\n"),
              QByteArray("Origin: http://app.example:8080\r\n"), QByteArray()}) {
            reply = request(listed, method, target, header + extra);
            QCOMPARE(reply.status, status);
            QVERIFY(reply.header("access-control-allow-origin").isNull());
            QVERIFY(reply.header("access-control-allow-credentials").isNull());
            QVERIFY2(variesBy(reply, "Origin"), reply.header("vary").constData());
        }
    }

    void corsPreflight_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addRow("Engine.IO path") << QByteArray("/socket.io/?EIO=4&transport=polling&t=x");
        QTest::addRow("a route") << QByteArray("/healthz");
        QTest::addRow("no such path") << QByteArray("/nope");
    }

    void corsPreflight()
    {
        QFETCH(QByteArray, target);
        const QByteArray asks = "Access-Control-Request-Method: POST\r\n"
                                "Access-Control-Request-Headers: content-type, x-token\r\n";
        Reply reply = request(m_listed->server()->serverPort(), "OPTIONS", target,
                              "Origin: " + ListedOrigin + "\r\n" + asks);
        QCOMPARE(reply.status, 204);
        QVERIFY(reply.body.isEmpty());
        QCOMPARE(reply.header("access-control-allow-origin"), ListedOrigin);
        QCOMPARE(reply.header("access-control-allow-credentials"), "true");
        QCOMPARE(reply.header("access-control-allow-methods"), "GET, HEAD, POST, OPTIONS");
        QCOMPARE(reply.header("access-control-allow-headers"), "content-type, x-token");
        QVERIFY(reply.header("access-control-max-age").toInt() > 0);
        QVERIFY(reply.header("vary").contains("Origin"));

        reply = request(m_anyOrigin->server()->serverPort(), "OPTIONS", target,
                        "Origin: http://anywhere.example\r\n" + asks);
        QCOMPARE(reply.status, 204);
        QCOMPARE(reply.header("access-control-allow-origin"), "*");
        QVERIFY(reply.header("access-control-allow-credentials").isNull());
        QCOMPARE(reply.header("access-control-allow-methods"), "GET, HEAD, POST, OPTIONS");

        // A preflight from an origin not listed is answered without leave to go on.
        reply = request(m_listed->server()->serverPort(), "OPTIONS", target,
                        "Origin: http://evil.example\r\n" + asks);
        QCOMPARE(reply.status, 204);
        QVERIFY(reply.header("access-control-allow-origin").isNull());
        QVERIFY(reply.header("access-control-allow-credentials").isNull());
    }

    // An OPTIONS that is no preflight is an ordinary request (and an ordinary 405 or 404).
    void optionsWithoutPreflight()
    {
        const Reply reply = request(m_listed->server()->serverPort(), "OPTIONS", "/healthz",
                                    "Origin: " + ListedOrigin + "\r\n");
        QCOMPARE(reply.status, 405);
        QCOMPARE(reply.header("access-control-allow-origin"), ListedOrigin);
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
    std::unique_ptr<Node> m_anyOrigin; // --cors-origin '*'
    std::unique_ptr<Node> m_listed;    // --cors-origin with two origins
    quint16 m_port = 0;
};

QTEST_GUILESS_MAIN(TestHttp)
#include "tst_http.moc"
