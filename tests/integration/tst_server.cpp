// The Socket.IO server driven by raw WebSocket clients: handshake, namespaces, events, acks
// both ways, binary, disconnects, heartbeat, rooms and broadcasts through the C++ API.
#include "nodefixture.h"
#include "rawclient.h"

#include "switchboard/namespace.h"
#include "switchboard/socket.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>

using namespace switchboard;

class TestServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void openPacket()
    {
        auto node = startNode([](NodeConfig &c) {
            c.server.engine.pingInterval = 1234;
            c.server.engine.pingTimeout = 567;
            c.server.engine.maxPayload = 4321;
        });
        RawClient client(engineUrl(*node));
        QVERIFY(client.waitConnected());
        const QString open = client.next();
        const QRegularExpression shape(
            QStringLiteral(R"(^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":\[\],"pingInterval":1234,)"
                           R"("pingTimeout":567,"maxPayload":4321\}$)"));
        QVERIFY2(shape.match(open).hasMatch(), qPrintable(open));
    }

    void connectRootAndNamespace()
    {
        auto node = startNode();
        QSignalSpy chatConnections(node->server()->of(QStringLiteral("/chat")),
                                   &Namespace::connection);
        RawClient client(engineUrl(*node));
        const QString rootId = client.handshake();
        QCOMPARE(rootId.size(), 20);
        const QString chatId = client.join(QStringLiteral("/chat"), R"({"token":"x"})");
        QCOMPARE(chatId.size(), 20);
        QVERIFY(rootId != chatId);
        QVERIFY(rootId != client.openInfo.value(u"sid").toString());
        QCOMPARE(chatConnections.size(), 1);
        auto *socket = chatConnections.first().first().value<Socket *>();
        QCOMPARE(socket->id(), chatId);
        QCOMPARE(socket->handshake().auth.value(QStringLiteral("token")).toString(), u"x");
        QCOMPARE(socket->handshake().address, u"127.0.0.1");
        QVERIFY(socket->rooms().contains(chatId)); // every socket is in its own room
    }

    void invalidNamespace()
    {
        auto node = startNode([](NodeConfig &c) { c.server.dynamicNamespaces = {u"/chat"_qs}; });
        RawClient client(engineUrl(*node));
        QVERIFY(client.waitConnected());
        client.next();
        client.send(QStringLiteral("40/nope,"));
        QCOMPARE(client.next(), u"44/nope,{\"message\":\"Invalid namespace\"}");
        // The connection stays usable for allowed namespaces.
        QCOMPARE(client.join(QStringLiteral("/chat")).size(), 20);
    }

    void middlewareRefusal()
    {
        auto node = startNode();
        node->server()
            ->of(QStringLiteral("/vip"))
            ->use([](Socket *socket, const Namespace::Next &next) {
                if (socket->handshake().auth.value(QStringLiteral("pass")).toString() == u"ok")
                    next({}, {});
                else
                    next(QStringLiteral("not allowed"), QVariantMap{{QStringLiteral("hint"), 1}});
            });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        client.send(QStringLiteral("40/vip,{\"pass\":\"no\"}"));
        QCOMPARE(client.next(), u"44/vip,{\"data\":{\"hint\":1},\"message\":\"not allowed\"}");
        QCOMPARE(client.join(QStringLiteral("/vip"), R"({"pass":"ok"})").size(), 20);
    }

    void authToken()
    {
        auto node = startNode([](NodeConfig &c) { c.authToken = QStringLiteral("s3cret"); });
        RawClient bad(engineUrl(*node));
        QVERIFY(bad.waitConnected());
        bad.next();
        bad.send(QStringLiteral("40{\"token\":\"guess\"}"));
        QCOMPARE(bad.next(), u"44{\"message\":\"unauthorized\"}");
        RawClient good(engineUrl(*node));
        QCOMPARE(good.handshake(QStringLiteral("/"), R"({"token":"s3cret"})").size(), 20);
    }

    void eventWithAckFromClient()
    {
        auto node = startNode();
        node->server()
            ->of(QStringLiteral("/"))
            ->on(QStringLiteral("sum"),
                 [](Socket *, const QVariantList &args, const Socket::Ack &ack) {
                     ack({args.at(0).toInt() + args.at(1).toInt(), QStringLiteral("done")});
                 });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        client.send(QStringLiteral("4217[\"sum\",2,3]"));
        QCOMPARE(client.next(), u"4317[5,\"done\"]");
        // Without an ack id, no ACK is sent.
        client.send(QStringLiteral("42[\"sum\",2,3]"));
        QVERIFY(client.next(300).isNull());
    }

    void emitWithAckToClient()
    {
        auto node = startNode();
        QSignalSpy connections(node->server()->of(QStringLiteral("/chat")), &Namespace::connection);
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        QVERIFY(!client.join(QStringLiteral("/chat")).isEmpty());
        auto *socket = connections.first().first().value<Socket *>();

        QString error = u"unset"_qs;
        QVariantList reply;
        QVERIFY(socket->emitWithAck(QStringLiteral("question"), {42},
                                    [&](const QString &e, const QVariantList &args) {
                                        error = e;
                                        reply = args;
                                    }));
        const QString frame = client.next();
        const QRegularExpression shape(QStringLiteral(R"(^42/chat,(\d+)\["question",42\]$)"));
        const auto match = shape.match(frame);
        QVERIFY2(match.hasMatch(), qPrintable(frame));
        client.send(QStringLiteral("43/chat,%1[\"answer\",{\"n\":1}]").arg(match.captured(1)));
        QTRY_VERIFY(error.isEmpty());
        QCOMPARE(reply, (QVariantList{u"answer"_qs, QVariantMap{{u"n"_qs, 1}}}));

        // No answer: the callback reports the timeout.
        QString timeoutError;
        socket->emitWithAck(
            QStringLiteral("question"), {},
            [&](const QString &e, const QVariantList &) { timeoutError = e; }, 100);
        QTRY_COMPARE(timeoutError, u"operation has timed out");
    }

    void binaryBothWays()
    {
        auto node = startNode();
        QByteArray received;
        node->server()
            ->of(QStringLiteral("/"))
            ->on(QStringLiteral("upload"),
                 [&](Socket *, const QVariantList &args, const Socket::Ack &ack) {
                     received = args.at(0).toMap().value(QStringLiteral("file")).toByteArray();
                     ack({QByteArray("\x00\xffok", 4)});
                 });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        client.send(QStringLiteral(R"(451-3["upload",{"file":{"_placeholder":true,"num":0}}])"));
        client.sendBinary(QByteArray("\x01\x02\x03", 3));
        QCOMPARE(client.next(), u"461-3[{\"_placeholder\":true,\"num\":0}]");
        QTRY_COMPARE(client.binaries.size(), 1);
        QCOMPARE(client.binaries.first(), QByteArray("\x00\xffok", 4));
        QCOMPARE(received, QByteArray("\x01\x02\x03", 3));

        // Server emit with two binary arguments.
        Socket *socket = node->server()->of(QStringLiteral("/"))->sockets().begin().value();
        socket->emit(QStringLiteral("files"),
                     {QByteArray("a"), QVariantMap{{u"b"_qs, QByteArray("bb")}}});
        QCOMPARE(client.next(), u"452-[\"files\",{\"_placeholder\":true,\"num\":0},{\"b\":{\"_"
                                u"placeholder\":true,\"num\":1}}]");
        QTRY_COMPARE(client.binaries.size(), 3);
        QCOMPARE(client.binaries.at(1), QByteArray("a"));
        QCOMPARE(client.binaries.at(2), QByteArray("bb"));
    }

    void clientDisconnect()
    {
        auto node = startNode();
        QSignalSpy connections(node->server()->of(QStringLiteral("/chat")), &Namespace::connection);
        QSignalSpy gone(node->server()->of(QStringLiteral("/chat")), &Namespace::disconnection);
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        QVERIFY(!client.join(QStringLiteral("/chat")).isEmpty());
        client.send(QStringLiteral("41/chat,"));
        QTRY_COMPARE(gone.size(), 1);
        QCOMPARE(gone.first().at(1).toString(), u"client namespace disconnect");
        QVERIFY(node->server()->of(QStringLiteral("/chat"))->sockets().isEmpty());
        // The root namespace is still connected on the same connection.
        QCOMPARE(node->server()->of(QStringLiteral("/"))->sockets().size(), 1);
        QVERIFY(!client.closed);
    }

    void serverDisconnect()
    {
        auto node = startNode();
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        QVERIFY(!client.join(QStringLiteral("/chat")).isEmpty());
        Socket *chat = node->server()->of(QStringLiteral("/chat"))->sockets().begin().value();
        QSignalSpy disconnected(chat, &Socket::disconnected);
        chat->disconnect();
        QCOMPARE(client.next(), u"41/chat,");
        QCOMPARE(disconnected.size(), 1);
        QCOMPARE(disconnected.first().first().toString(), u"server namespace disconnect");
        QVERIFY(!client.waitClosed(200));

        // disconnect(true) closes the whole connection.
        Socket *root = node->server()->of(QStringLiteral("/"))->sockets().begin().value();
        QSignalSpy rootGone(root, &Socket::disconnected);
        root->disconnect(true);
        QVERIFY(client.waitClosed());
        QCOMPARE(rootGone.first().first().toString(), u"forced close");
    }

    void connectTimeout()
    {
        auto node = startNode([](NodeConfig &c) { c.server.connectTimeout = 150; });
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"connect timeout"_qs));
        RawClient idle(engineUrl(*node));
        QVERIFY(idle.waitConnected());
        QVERIFY(idle.waitClosed(3000));
        RawClient joined(engineUrl(*node));
        QVERIFY(!joined.handshake().isEmpty());
        QVERIFY(!joined.waitClosed(400));
    }

    // As socket.io: the connect timeout only waits for the first namespace.
    void leavingTheOnlyNamespaceIsNoConnectTimeout()
    {
        auto node = startNode([](NodeConfig &c) { c.server.connectTimeout = 200; });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isNull());
        client.send(QStringLiteral("41"));
        QTRY_VERIFY(node->server()->of(u"/"_qs)->sockets().isEmpty());
        QVERIFY(!client.waitClosed(600)); // three connect timeouts later, still open
        QVERIFY(!client.join(u"/"_qs).isNull());
    }

    void reservedEventsRefused()
    {
        auto node = startNode();
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        Socket *socket = node->server()->of(QStringLiteral("/"))->sockets().begin().value();
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"reserved event name.*disconnect"_qs));
        QVERIFY(!socket->emit(QStringLiteral("disconnect")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reserved event name.*connect"_qs));
        QVERIFY(!node->server()->of(QStringLiteral("/"))->emit(QStringLiteral("connect")));
        QVERIFY(client.next(200).isNull());
    }

    void heartbeatKeepsAlive()
    {
        auto node = startNode([](NodeConfig &c) {
            c.server.engine.pingInterval = 100;
            c.server.engine.pingTimeout = 100;
        });
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(client.pingsAnswered >= 4, 3000);
        QVERIFY(!client.closed);
    }

    void heartbeatTimeout()
    {
        auto node = startNode([](NodeConfig &c) {
            c.server.engine.pingInterval = 100;
            c.server.engine.pingTimeout = 100;
        });
        QSignalSpy gone(node->server()->of(QStringLiteral("/")), &Namespace::disconnection);
        RawClient silent(engineUrl(*node), false);
        QVERIFY(!silent.handshake().isEmpty());
        QCOMPARE(silent.next(), u"2");
        QVERIFY(silent.waitClosed(3000));
        QTRY_COMPARE(gone.size(), 1);
        QCOMPARE(gone.first().at(1).toString(), u"ping timeout");
    }

    void roomsAndBroadcasts()
    {
        auto node = startNode();
        Namespace *root = node->server()->of(QStringLiteral("/"));
        RawClient a(engineUrl(*node)), b(engineUrl(*node)), c(engineUrl(*node));
        const QString ida = a.handshake(), idb = b.handshake(), idc = c.handshake();
        QVERIFY(!ida.isEmpty() && !idb.isEmpty() && !idc.isEmpty());
        root->socket(ida)->join(QStringList{u"red"_qs, u"blue"_qs});
        root->socket(idb)->join(u"red"_qs);
        root->socket(idc)->join(u"blue"_qs);

        // Union of two rooms: a is in both and gets the packet once.
        QVERIFY(root->to(QStringList{u"red"_qs, u"blue"_qs}).emit(u"u"_qs, {1}));
        for (RawClient *client : {&a, &b, &c})
            QCOMPARE(client->next(), u"42[\"u\",1]");
        QVERIFY(a.next(200).isNull());

        // except, and a broadcast from a socket skips the sender.
        root->to(u"red"_qs).except(u"blue"_qs).emit(u"e"_qs);
        QCOMPARE(b.next(), u"42[\"e\"]");
        root->socket(ida)->broadcast().emit(u"b"_qs);
        QCOMPARE(b.next(), u"42[\"b\"]");
        QCOMPARE(c.next(), u"42[\"b\"]");
        // Direct message: a socket id is a room.
        root->to(idc).emit(u"dm"_qs, {u"hi"_qs});
        QCOMPARE(c.next(), u"42[\"dm\",\"hi\"]");
        root->socket(ida)->leave(u"blue"_qs);
        root->to(u"blue"_qs).emit(u"after-leave"_qs);
        QCOMPARE(c.next(), u"42[\"after-leave\"]");
        QVERIFY(a.next(200).isNull());
        QVERIFY(b.next(0).isNull());
    }

    // A room past LocalAdapter::ResolveFrom members is delivered from a list of its sockets
    // kept between broadcasts: each change of its membership must reach the next broadcast
    // (join, leave, a member's disconnect, a member that joined while its connect was held by
    // a middleware), and except (by socket id or by room) still applies.
    void busyRoomFollowsItsMembers()
    {
        auto node = startNode();
        Namespace *root = node->server()->of(QStringLiteral("/"));
        // A client with early=1 joins "big" at once, while its connect waits for the test.
        Namespace::Next held;
        root->use([&held](Socket *socket, const Namespace::Next &next) {
            if (QUrlQuery(socket->handshake().url).queryItemValue(u"early"_qs) != u"1")
                return next({}, {});
            socket->join(u"big"_qs);
            held = next;
        });
        constexpr int Members = 24; // past LocalAdapter::ResolveFrom (16)
        std::vector<std::unique_ptr<RawClient>> clients;
        QStringList ids;
        for (int i = 0; i < Members + 1; ++i) {
            clients.push_back(std::make_unique<RawClient>(engineUrl(*node)));
            ids.append(clients.back()->handshake());
            QVERIFY(!ids.back().isEmpty());
        }
        for (int i = 0; i < Members; ++i)
            root->socket(ids.at(i))->join(u"big"_qs);
        QSet<int> big;
        for (int i = 0; i < Members; ++i)
            big.insert(i);
        // Emits `event` to "big" (or what `emit` does) and checks that exactly `reached` got it.
        const auto check = [&](const QString &event, const QSet<int> &reached,
                               const std::function<void()> &emit = {}) {
            if (emit)
                emit();
            else
                root->to(u"big"_qs).emit(event);
            const QString frame = QStringLiteral("42[\"%1\"]").arg(event);
            for (int i : reached)
                if (const QString got = clients.at(i)->next(); got != frame)
                    return QStringLiteral("client %1: %2 instead of %3").arg(i).arg(got, frame);
            bool waited = false;
            for (int i = 0; i < int(clients.size()); ++i) {
                if (reached.contains(i))
                    continue;
                if (!clients.at(i)->next(std::exchange(waited, true) ? 0 : 200).isNull())
                    return QStringLiteral("client %1 got %2").arg(i).arg(event);
            }
            return QString();
        };
        QCOMPARE(check(u"first"_qs, big), QString());
        QCOMPARE(check(u"again"_qs, big), QString()); // from the kept list: nothing changed

        root->socket(ids.at(0))->leave(u"big"_qs);
        big.remove(0);
        QCOMPARE(check(u"after-leave"_qs, big), QString());
        root->socket(ids.at(Members))->join(u"big"_qs);
        big.insert(Members);
        QCOMPARE(check(u"after-join"_qs, big), QString());
        // A closed member: a kept list would still point at its freed socket (ASan's part).
        clients.at(1)->socket().close();
        QTRY_VERIFY(root->socket(ids.at(1)) == nullptr);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        big.remove(1);
        QCOMPARE(check(u"after-close"_qs, big), QString());

        // Except a socket id, except a room, and a socket's broadcast skipping itself.
        root->socket(ids.at(3))->join(u"quiet"_qs);
        QCOMPARE(
            check(u"except"_qs, big - QSet<int>{2, 3},
                  [&] {
                      root->to(u"big"_qs).except(ids.at(2)).except(u"quiet"_qs).emit(u"except"_qs);
                  }),
            QString());
        QCOMPARE(check(u"from-4"_qs, big - QSet<int>{4},
                       [&] { root->socket(ids.at(4))->to(u"big"_qs).emit(u"from-4"_qs); }),
                 QString());

        // Joined while its connect was held: a broadcast meanwhile does not reach it (it is
        // not connected), the first one after its connect does.
        clients.push_back(std::make_unique<RawClient>(
            engineUrl(*node, QStringLiteral("EIO=4&transport=websocket&early=1"))));
        RawClient &early = *clients.back();
        QVERIFY(early.waitConnected());
        QVERIFY(early.next().startsWith(u'0'));
        early.send(QStringLiteral("40"));
        QTRY_VERIFY(held);
        QCOMPARE(check(u"while-held"_qs, big), QString());
        std::exchange(held, {})({}, {});
        QVERIFY(early.nextStartingWith(QStringLiteral("40")).startsWith(u"40{"));
        big.insert(int(clients.size()) - 1);
        QCOMPARE(check(u"after-connect"_qs, big), QString());

        // A whole-namespace broadcast reaches every connected socket once.
        QSet<int> everyone;
        for (int i = 0; i < int(clients.size()); ++i)
            if (i != 1)
                everyone.insert(i);
        QCOMPARE(check(u"all"_qs, everyone, [&] { root->emit(u"all"_qs); }), QString());
    }

    void broadcastWithAck()
    {
        auto node = startNode();
        Namespace *root = node->server()->of(QStringLiteral("/"));
        RawClient a(engineUrl(*node)), b(engineUrl(*node));
        QVERIFY(!a.handshake().isEmpty() && !b.handshake().isEmpty());
        QString error = u"unset"_qs;
        QVariantList responses;
        root->emitWithAck(u"poll"_qs, {}, [&](const QString &e, const QVariantList &r) {
            error = e;
            responses = r;
        });
        const QRegularExpression shape(QStringLiteral(R"(^42(\d+)\["poll"\]$)"));
        const auto ma = shape.match(a.next()), mb = shape.match(b.next());
        QVERIFY(ma.hasMatch() && mb.hasMatch());
        QCOMPARE(ma.captured(1), mb.captured(1)); // encoded once for everyone
        a.send(QStringLiteral("43%1[\"from-a\"]").arg(ma.captured(1)));
        QVERIFY(!QTest::qWaitFor([&] { return error != u"unset"; }, 200));
        b.send(QStringLiteral("43%1[\"from-b\"]").arg(mb.captured(1)));
        QTRY_VERIFY(error.isEmpty());
        QCOMPARE(responses.size(), 2);
        QVERIFY(responses.contains(u"from-a"_qs) && responses.contains(u"from-b"_qs));
    }

    void shutdownDisconnectsEveryone()
    {
        auto node = startNode();
        RawClient client(engineUrl(*node));
        QVERIFY(!client.handshake().isEmpty());
        QSignalSpy gone(node->server()->of(QStringLiteral("/")), &Namespace::disconnection);
        node->shutdown(QStringLiteral("server shutting down"));
        QVERIFY(client.waitClosed());
        QCOMPARE(gone.first().at(1).toString(), u"server shutting down");
    }
};

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
