// Engine.IO v4 HTTP long-polling with raw HTTP: the handshake, parked GETs, POSTs, binary in
// base64, every error status, bad input closing only the offender, and the upgrade to
// WebSocket without a packet lost or sent twice.
#include "httpreply.h"
#include "nodefixture.h"
#include "pollingclient.h"
#include "rawclient.h"

#include "switchboard/namespace.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

using namespace switchboard;

using namespace polling;

namespace {

void verifyEngineError(const Reply &reply, int status, int code, const QString &message)
{
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.header("content-type"), QByteArray("application/json"));
    QCOMPARE(reply.json().value(u"code").toInt(-1), code);
    QCOMPARE(reply.json().value(u"message").toString(), message);
}

} // namespace

class TestPolling : public QObject
{
    Q_OBJECT

    // A bystander polls and joins; `offend` misbehaves on its own session; the bystander is
    // served as before and the node holds one client more than the offenders left.
    void offenderAlone(const std::function<void(quint16 port)> &offend, const QString &logged,
                       const std::function<void(NodeConfig &)> &tweak = {})
    {
        auto node = startNode(tweak);
        QVERIFY(node);
        const quint16 port = node->server()->serverPort();
        Poller bystander(port);
        QVERIFY(!bystander.connect().isEmpty());
        QVERIFY(bystander.call(1, R"(["join","lobby"])").last().contains("\"ok\":true"));
        if (!logged.isEmpty())
            QTest::ignoreMessage(QtWarningMsg,
                                 QRegularExpression(QRegularExpression::escape(logged)));
        offend(port);
        if (QTest::currentTestFailed())
            return;
        QTRY_COMPARE(node->server()->clientCount(), 1);
        QVERIFY(bystander.call(2, R"(["join","after"])").last().contains("\"ok\":true"));
        node->server()->of(u"/"_qs)->to(u"lobby"_qs).emit(u"still-here"_qs);
        QCOMPARE(bystander.get(), QByteArrayList{"42[\"still-here\"]"});
    }

private Q_SLOTS:
    void handshake()
    {
        auto node = startNode();
        QVERIFY(node);
        const Reply reply = Call(node->server()->serverPort(), "GET", Base).reply();
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("content-type"), QByteArray("text/plain; charset=UTF-8"));
        QVERIFY(reply.body.startsWith("0{\"sid\":\""));
        const QJsonObject open = QJsonDocument::fromJson(reply.body.mid(1)).object();
        QVERIFY(QRegularExpression(u"^[A-Za-z0-9_-]{20}$"_qs)
                    .match(open.value(u"sid").toString())
                    .hasMatch());
        QCOMPARE(open.value(u"upgrades").toArray(), QJsonArray{u"websocket"_qs});
        QCOMPARE(open.value(u"pingInterval").toInt(), 25000);
        QCOMPARE(open.value(u"pingTimeout").toInt(), 20000);
        QCOMPARE(open.value(u"maxPayload").toInt(), 1000000);
        QCOMPARE(node->server()->clientCount(), 1);
    }

    void connectEventAck()
    {
        auto node = startNode();
        Poller client(node->server()->serverPort());
        QVERIFY(!client.open().isEmpty());
        const Reply ok = client.post("40");
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.body, QByteArray("ok"));
        QCOMPARE(ok.header("content-type"), QByteArray("text/html"));
        const QByteArrayList connected = client.get();
        QCOMPARE(connected.size(), 1);
        QVERIFY(connected.first().startsWith("40{\"sid\":\""));
        const QString id =
            QJsonDocument::fromJson(connected.first().mid(2)).object().value(u"sid").toString();
        const QByteArray joined = client.call(7, R"(["join","room"])").last();
        QVERIFY2(joined.startsWith("437[{\"ok\":true,\"rooms\":["), joined.constData());
        QVERIFY(joined.contains('"' + id.toLatin1() + '"'));
        QVERIFY(joined.contains("\"room\""));
    }

    void twoNamespacesInOnePayload()
    {
        auto node = startNode();
        Poller client(node->server()->serverPort());
        QVERIFY(!client.open().isEmpty());
        QCOMPARE(client
                     .post("40\x1e"
                           "40/chat,")
                     .body,
                 QByteArray("ok"));
        QByteArrayList packets = client.get();
        if (packets.size() < 2)
            packets += client.get();
        QCOMPARE(packets.size(), 2);
        QVERIFY(packets.at(0).startsWith("40{\"sid\":"));
        QVERIFY(packets.at(1).startsWith("40/chat,{\"sid\":"));
    }

    void parkedGetFlushedWhenPacketsArrive()
    {
        auto node = startNode();
        Poller client(node->server()->serverPort());
        QVERIFY(!client.connect().isEmpty());
        auto get = client.startGet();
        QVERIFY(!get->wait(300)); // parked: nothing to send
        node->server()->of(u"/"_qs)->emit(u"news"_qs, {1});
        QVERIFY(get->wait());
        QCOMPARE(get->reply().status, 200);
        QCOMPARE(get->reply().body, QByteArray("42[\"news\",1]"));
    }

    void packetsQueuedBetweenGetsGoTogether()
    {
        auto node = startNode();
        Poller client(node->server()->serverPort());
        QVERIFY(!client.connect().isEmpty());
        for (int i = 0; i < 3; ++i)
            node->server()->of(u"/"_qs)->emit(u"n"_qs, {i});
        QCOMPARE(client.get(), (QByteArrayList{"42[\"n\",0]", "42[\"n\",1]", "42[\"n\",2]"}));
    }

    void parkedGetFlushedAtPingTime()
    {
        auto node = startNode([](NodeConfig &c) {
            c.server.engine.pingInterval = 200;
            c.server.engine.pingTimeout = 2000;
        });
        Poller client(node->server()->serverPort());
        QVERIFY(!client.connect().isEmpty());
        for (int ping = 0; ping < 3; ++ping) {
            auto get = client.startGet();
            QVERIFY(get->wait(2000));
            QCOMPARE(get->reply().body, QByteArray("2"));
            QCOMPARE(client.post("3").body, QByteArray("ok"));
        }
        QCOMPARE(node->server()->clientCount(), 1);
    }

    void heartbeatTimeout()
    {
        // The first ping must come after connect()'s own GET (the CONNECT reply), or that GET
        // takes it: 100 ms was too short on a loaded machine (the ping rode on the CONNECT
        // reply and the next GET saw only the close).
        auto node = startNode([](NodeConfig &c) {
            c.server.engine.pingInterval = 600;
            c.server.engine.pingTimeout = 100;
        });
        Poller client(node->server()->serverPort());
        QVERIFY(!client.connect().isEmpty());
        auto get = client.startGet();
        QVERIFY(get->wait());
        QCOMPARE(get->reply().body, QByteArray("2"));
        // No pong: the session ends; the next GET takes the close packet.
        QTRY_COMPARE(node->server()->clientCount(), 0);
        QCOMPARE(Call(node->server()->serverPort(), "GET", client.target()).reply().body,
                 QByteArray("1"));
    }

    void binaryBothWays()
    {
        auto node = startNode();
        Poller client(node->server()->serverPort());
        const QString id = client.connect();
        QVERIFY(!id.isEmpty());
        // An event with one attachment, sent to itself through the relay; bytes 01 02 03 ff.
        QCOMPARE(client
                     .post(R"(451-3["send",{"self":true,"data":{"_placeholder":true,"num":0}}])"
                           "\x1e"
                           "bAQID/w==")
                     .body,
                 QByteArray("ok"));
        QByteArrayList packets;
        for (int round = 0; round < 5 && !packets.contains("433[{\"ok\":true}]"); ++round)
            packets += client.get();
        QVERIFY2(packets.contains("433[{\"ok\":true}]"), packets.join(" | ").constData());
        const qsizetype event = packets.indexOf(
            "451-[\"message\",{\"data\":{\"_placeholder\":true,\"num\":0},\"from\":\"" +
            id.toLatin1() + "\",\"to\":null}]");
        QVERIFY2(event >= 0, packets.join(" | ").constData());
        QCOMPARE(packets.value(event + 1), QByteArray("bAQID/w=="));
    }

    void clientCloses()
    {
        auto node = startNode();
        Poller client(node->server()->serverPort());
        QVERIFY(!client.connect().isEmpty());
        auto get = client.startGet();
        QVERIFY(!get->wait(100));
        QCOMPARE(client.post("1").body, QByteArray("ok"));
        QVERIFY(get->wait());
        QCOMPARE(get->reply().body, QByteArray("1"));
        QTRY_COMPARE(node->server()->clientCount(), 0);
        verifyEngineError(Call(node->server()->serverPort(), "GET", client.target()).reply(), 400,
                          1, u"Session ID unknown"_qs);
    }

    void errorStatuses_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::addRow("0 unknown transport")
            << QByteArray("GET") << QByteArray("/socket.io/?EIO=4&transport=carrier-pigeon") << 400
            << 0 << u"Transport unknown"_qs;
        QTest::addRow("0 no transport") << QByteArray("GET") << QByteArray("/socket.io/?EIO=4")
                                        << 400 << 0 << u"Transport unknown"_qs;
        QTest::addRow("1 unknown sid, GET")
            << QByteArray("GET") << QByteArray(Base + "&sid=AAAAAAAAAAAAAAAAAAAA") << 400 << 1
            << u"Session ID unknown"_qs;
        QTest::addRow("1 unknown sid, POST") << QByteArray("POST") << QByteArray(Base + "&sid=nope")
                                             << 400 << 1 << u"Session ID unknown"_qs;
        QTest::addRow("2 POST handshake")
            << QByteArray("POST") << Base << 400 << 2 << u"Bad handshake method"_qs;
        QTest::addRow("2 PUT handshake")
            << QByteArray("PUT") << Base << 400 << 2 << u"Bad handshake method"_qs;
        QTest::addRow("3 websocket without upgrade")
            << QByteArray("GET") << QByteArray("/socket.io/?EIO=4&transport=websocket") << 400 << 3
            << u"Bad request"_qs;
        QTest::addRow("5 EIO 3") << QByteArray("GET")
                                 << QByteArray("/socket.io/?EIO=3&transport=polling") << 400 << 5
                                 << u"Unsupported protocol version"_qs;
        QTest::addRow("5 no EIO") << QByteArray("GET")
                                  << QByteArray("/socket.io/?transport=polling") << 400 << 5
                                  << u"Unsupported protocol version"_qs;
    }

    void errorStatuses()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(int, status);
        QFETCH(int, code);
        QFETCH(QString, message);
        auto node = startNode();
        verifyEngineError(Call(node->server()->serverPort(), method, target).reply(), status, code,
                          message);
        QCOMPARE(node->server()->clientCount(), 0);
    }

    void errorForAPollingSessionUpgradedAlready()
    {
        // A sid given to the wrong transport: 400, code 3 (the session stays).
        auto node = startNode();
        Poller client(node->server()->serverPort());
        QVERIFY(!client.connect().isEmpty());
        const QByteArray target = "/socket.io/?EIO=4&transport=websocket&sid=" + client.sid;
        verifyEngineError(Call(node->server()->serverPort(), "GET", target).reply(), 400, 3,
                          u"Bad request"_qs);
        QCOMPARE(node->server()->clientCount(), 1);
    }

    void transportsOption_data()
    {
        QTest::addColumn<QStringList>("transports");
        QTest::addRow("polling only") << QStringList{u"polling"_qs};
        QTest::addRow("websocket only") << QStringList{u"websocket"_qs};
    }

    void transportsOption()
    {
        QFETCH(QStringList, transports);
        auto node = startNode([&](NodeConfig &c) { c.server.transports = transports; });
        const quint16 port = node->server()->serverPort();
        RawClient websocket(engineUrl(*node));
        const Reply polling = Call(port, "GET", Base).reply();
        if (transports.contains(u"polling"_qs)) {
            QCOMPARE(polling.status, 200);
            // Nothing to upgrade to.
            QCOMPARE(QJsonDocument::fromJson(polling.body.mid(1)).object().value(u"upgrades"),
                     QJsonArray());
            QVERIFY(!websocket.waitConnected(1000));
        } else {
            verifyEngineError(polling, 400, 0, u"Transport unknown"_qs);
            QVERIFY(!websocket.handshake().isEmpty());
        }
    }

    void transportsOptionParsed()
    {
        const auto parsed = [](const QString &value) {
            return NodeConfig::parse({u"switchboard-node"_qs, u"--transports"_qs, value},
                                     QProcessEnvironment());
        };
        QCOMPARE(NodeConfig{}.server.transports, (QStringList{u"polling"_qs, u"websocket"_qs}));
        QCOMPARE(parsed(u"websocket"_qs).config.server.transports, QStringList{u"websocket"_qs});
        QCOMPARE(parsed(u" polling , websocket"_qs).config.server.transports,
                 (QStringList{u"polling"_qs, u"websocket"_qs}));
        QVERIFY(parsed(u"carrier-pigeon"_qs).exitNow);
        QVERIFY(parsed(u","_qs).exitNow);
    }

    // Bad input over polling, each closing only the offender.
    void garbageBody()
    {
        offenderAlone(
            [](quint16 port) {
                Poller offender(port);
                QVERIFY(!offender.connect().isEmpty());
                verifyEngineError(offender.post("hello world"), 400, 3, u"Bad request"_qs);
                QVERIFY(offender.closed());
            },
            u"parse error: unknown Engine.IO packet type 'h' at index 0 of the payload"_qs);
    }

    void emptyPacketInPayload()
    {
        offenderAlone(
            [](quint16 port) {
                Poller offender(port);
                QVERIFY(!offender.connect().isEmpty());
                verifyEngineError(offender.post("42[\"a\"]\x1e\x1e"), 400, 3, u"Bad request"_qs);
                QVERIFY(offender.closed());
            },
            u"empty packet at index 1"_qs);
    }

    void unknownSid()
    {
        offenderAlone(
            [](quint16 port) {
                verifyEngineError(Call(port, "GET", Base + "&sid=forged").reply(), 400, 1,
                                  u"Session ID unknown"_qs);
                verifyEngineError(Call(port, "POST", Base + "&sid=forged", "40").reply(), 400, 1,
                                  u"Session ID unknown"_qs);
            },
            {});
    }

    void postWithoutSid()
    {
        offenderAlone(
            [](quint16 port) {
                verifyEngineError(Call(port, "POST", Base, "40").reply(), 400, 2,
                                  u"Bad handshake method"_qs);
            },
            {});
    }

    void wrongMethod()
    {
        offenderAlone(
            [](quint16 port) {
                Poller offender(port);
                QVERIFY(!offender.connect().isEmpty());
                verifyEngineError(Call(port, "PUT", offender.target(), "40").reply(), 400, 3,
                                  u"Bad request"_qs);
                QVERIFY(offender.closed());
            },
            u"on a polling session"_qs);
    }

    void payloadOverTheLimit()
    {
        offenderAlone(
            [](quint16 port) {
                Poller offender(port);
                QVERIFY(!offender.connect().isEmpty());
                const QByteArray big = "42[\"big\",\"" + QByteArray(3000, 'x') + "\"]";
                const Reply reply = offender.post(big);
                QCOMPARE(reply.status, 413);
                QVERIFY(offender.closed());
            },
            u"payload larger than maxPayload (1000 bytes)"_qs,
            [](NodeConfig &c) { c.server.engine.maxPayload = 1000; });
    }

    void secondParkedGet()
    {
        offenderAlone(
            [](quint16 port) {
                Poller offender(port);
                QVERIFY(!offender.connect().isEmpty());
                auto first = offender.startGet();
                QVERIFY(!first->wait(200));
                verifyEngineError(offender.startGet()->reply(), 400, 3, u"Bad request"_qs);
                // The first GET takes the close packet, as engine.io closes the session.
                QVERIFY(first->wait());
                QCOMPARE(first->reply().body, QByteArray("1"));
                verifyEngineError(Call(port, "GET", offender.target()).reply(), 400, 1,
                                  u"Session ID unknown"_qs);
            },
            u"overlap from client"_qs);
    }

    void parkedGetDisconnected()
    {
        offenderAlone(
            [](quint16 port) {
                Poller offender(port);
                QVERIFY(!offender.connect().isEmpty());
                {
                    auto get = offender.startGet();
                    QVERIFY(!get->wait(200));
                } // the connection goes with its GET parked
                QVERIFY(offender.closed());
            },
            {});
    }

    // The upgrade: probe, noop for the parked GET, switch, and packets queued in between
    // arrive once, over the WebSocket.
    void upgrade()
    {
        auto node = startNode();
        const quint16 port = node->server()->serverPort();
        Poller client(port);
        const QString id = client.connect();
        QVERIFY(!id.isEmpty());
        auto parked = client.startGet();
        QVERIFY(!parked->wait(100));
        node->server()->of(u"/"_qs)->emit(u"n"_qs, {0});
        QVERIFY(parked->wait());
        QCOMPARE(parked->reply().body, QByteArray("42[\"n\",0]"));

        parked = client.startGet();
        QVERIFY(!parked->wait(100));
        RawClient websocket(engineUrl(*node, u"EIO=4&transport=websocket&sid="_qs +
                                                 QString::fromLatin1(client.sid)));
        QVERIFY(websocket.waitConnected());
        websocket.send(u"2probe"_qs);
        QCOMPARE(websocket.next(), u"3probe"_qs);
        QVERIFY(parked->wait());
        QCOMPARE(parked->reply().body, QByteArray("6"));
        // The client pauses polling; what the server sends now waits for the switch.
        node->server()->of(u"/"_qs)->emit(u"n"_qs, {1});
        node->server()->of(u"/"_qs)->emit(u"n"_qs, {2});
        QVERIFY(!websocket.next(100).startsWith(u'4'));
        websocket.send(u"5"_qs);
        QCOMPARE(websocket.next(), u"42[\"n\",1]"_qs);
        QCOMPARE(websocket.next(), u"42[\"n\",2]"_qs);
        node->server()->of(u"/"_qs)->emit(u"n"_qs, {3});
        QCOMPARE(websocket.next(), u"42[\"n\",3]"_qs);
        // The same session and socket, now on the WebSocket.
        websocket.send(u"421[\"join\",\"upgraded\"]"_qs);
        const QString joined = websocket.nextStartingWith(u"431"_qs);
        QVERIFY2(joined.startsWith(u"431[{\"ok\":true"_qs), qPrintable(joined));
        QVERIFY(joined.contains(u'"' + id + u'"'));
        QCOMPARE(node->server()->clientCount(), 1);
        // Polling is over for this sid.
        verifyEngineError(Call(port, "GET", client.target()).reply(), 400, 1,
                          u"Session ID unknown"_qs);
        QVERIFY(!websocket.closed);
    }

    void upgradeProbeFails()
    {
        auto node = startNode();
        const quint16 port = node->server()->serverPort();
        Poller client(port);
        QVERIFY(!client.connect().isEmpty());
        {
            RawClient websocket(engineUrl(*node, u"EIO=4&transport=websocket&sid="_qs +
                                                     QString::fromLatin1(client.sid)));
            QVERIFY(websocket.waitConnected());
            websocket.send(u"2probe"_qs);
            QCOMPARE(websocket.next(), u"3probe"_qs);
            // A first GET while probing is answered at once with a noop.
            QCOMPARE(client.startGet()->reply().body, QByteArray("6"));
            // Anything but the upgrade packet ends the probe, not the session.
            websocket.send(u"4hello"_qs);
            QVERIFY(websocket.waitClosed());
        }
        node->server()->of(u"/"_qs)->emit(u"n"_qs, {9});
        QCOMPARE(client.get(), QByteArrayList{"42[\"n\",9]"});
        QCOMPARE(node->server()->clientCount(), 1);
    }

    void upgradeOfAnUnknownSid()
    {
        auto node = startNode();
        RawClient websocket(
            engineUrl(*node, u"EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA"_qs));
        QVERIFY(!websocket.waitConnected(1000));
        QCOMPARE(node->server()->clientCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestPolling)
#include "tst_polling.moc"
