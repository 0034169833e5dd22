// Namespace middleware that answers later (as socket.io's async middleware does), and the rule
// that a client has at most one socket, pending or connected, per namespace: socket.io's
// middleware cases, and the second CONNECT that used to leave a freed Client's socket in the
// namespace and the adapter's rooms.
#include "nodefixture.h"
#include "rawclient.h"

#include "switchboard/adapter.h"
#include "switchboard/namespace.h"
#include "switchboard/socket.h"

#include <QRegularExpression>
#include <QSignalSpy>

using namespace switchboard;

namespace {

// A middleware that holds every next() until the test releases it.
struct HeldMiddleware
{
    QList<Namespace::Next> held;
    int calls = 0;

    void install(Namespace *nsp)
    {
        nsp->use([this](Socket *, const Namespace::Next &next) {
            ++calls;
            held.append(next);
        });
    }
};

} // namespace

class TestMiddleware : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_node = startNode();
        QVERIFY(m_node);
        m_chat = m_node->server()->of(QStringLiteral("/chat"));
        m_middleware = std::make_unique<HeldMiddleware>();
        m_middleware->install(m_chat);
    }

    void cleanup()
    {
        m_middleware.reset();
        m_node.reset();
    }

    void delayedNextConnects()
    {
        QSignalSpy connections(m_chat, &Namespace::connection);
        RawClient client(engineUrl(*m_node));
        QVERIFY(client.waitConnected());
        QVERIFY(client.next().startsWith(u'0'));
        client.send(QStringLiteral("40/chat,"));
        QTRY_COMPARE(m_middleware->calls, 1);
        QVERIFY(client.nextStartingWith(QStringLiteral("40/chat,"), 250).isNull()); // not yet
        QCOMPARE(connections.size(), 0);
        m_middleware->held.takeFirst()({}, {});
        QVERIFY(!client.nextStartingWith(QStringLiteral("40/chat,{\"sid\"")).isNull());
        QCOMPARE(connections.size(), 1);
        QCOMPARE(m_chat->sockets().size(), 1);
    }

    // socket.io's "next() after the client left" and "client closing during middleware".
    void answerAfterTheClientLeftIsIgnored_data()
    {
        QTest::addColumn<QString>("error");
        QTest::addRow("next(err)") << u"too late"_qs;
        QTest::addRow("next()") << QString();
    }

    void answerAfterTheClientLeftIsIgnored()
    {
        QFETCH(QString, error);
        QSignalSpy connections(m_chat, &Namespace::connection);
        {
            RawClient client(engineUrl(*m_node));
            QVERIFY(client.waitConnected());
            client.send(QStringLiteral("40/chat,"));
            QTRY_COMPARE(m_middleware->calls, 1);
        }
        QTRY_COMPARE(m_node->server()->clientCount(), 0);
        m_middleware->held.takeFirst()(error, {});
        QCoreApplication::processEvents();
        QCOMPARE(connections.size(), 0);
        QVERIFY(m_chat->sockets().isEmpty());
        QVERIFY(m_chat->adapter()->rooms().isEmpty());
    }

    // The defect: two sockets for one namespace; the Client remembered only the last, so the
    // first stayed in the namespace and its rooms after the Client was freed, and the next
    // broadcast touched freed memory.
    void secondConnectDuringMiddlewareClosesTheConnection()
    {
        QSignalSpy connections(m_chat, &Namespace::connection);
        RawClient client(engineUrl(*m_node));
        QVERIFY(client.waitConnected());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("invalid state: CONNECT to /chat")));
        client.send(QStringLiteral("40/chat,"));
        client.send(QStringLiteral("40/chat,"));
        QVERIFY(client.waitClosed());
        QCOMPARE(m_middleware->calls, 1); // the second never reached the middleware
        QTRY_COMPARE(m_node->server()->clientCount(), 0);
        for (const Namespace::Next &next : std::exchange(m_middleware->held, {}))
            next({}, {});
        QCoreApplication::processEvents();
        QCOMPARE(connections.size(), 0);
        QVERIFY(m_chat->sockets().isEmpty());
        QVERIFY(m_chat->adapter()->rooms().isEmpty());
        m_chat->emit(QStringLiteral("anyone"), {1}); // reaches nobody, touches nothing freed
    }

    void secondConnectWhenConnectedClosesTheConnection()
    {
        RawClient client(engineUrl(*m_node));
        QVERIFY(client.waitConnected());
        client.send(QStringLiteral("40/chat,"));
        QTRY_COMPARE(m_middleware->calls, 1);
        m_middleware->held.takeFirst()({}, {});
        QVERIFY(!client.nextStartingWith(QStringLiteral("40/chat,{\"sid\"")).isNull());
        QCOMPARE(m_chat->sockets().size(), 1);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "invalid state: CONNECT to /chat, which this "
                                               "connection has joined")));
        client.send(QStringLiteral("40/chat,"));
        QVERIFY(client.waitClosed());
        QCOMPARE(m_middleware->calls, 1);
        QTRY_VERIFY(m_chat->sockets().isEmpty());
    }

    void eventBeforeTheConnectIsAnsweredClosesTheConnection()
    {
        RawClient client(engineUrl(*m_node));
        QVERIFY(client.waitConnected());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("not joined")));
        client.send(QStringLiteral("40/chat,"));
        client.send(QStringLiteral("42/chat,[\"early\"]"));
        QVERIFY(client.waitClosed());
        m_middleware->held.takeFirst()({}, {});
        QCoreApplication::processEvents();
        QVERIFY(m_chat->sockets().isEmpty());
    }

    // A socket deleted by server code, not closed, leaves every room and the namespace.
    void deletedSocketLeavesRoomsAndNamespace()
    {
        RawClient client(engineUrl(*m_node));
        QVERIFY(client.waitConnected());
        client.send(QStringLiteral("40/chat,"));
        QTRY_COMPARE(m_middleware->calls, 1);
        m_middleware->held.takeFirst()({}, {});
        QTRY_COMPARE(m_chat->sockets().size(), 1);
        Socket *socket = m_chat->sockets().begin().value();
        socket->join(QStringLiteral("room"));
        QVERIFY(m_chat->adapter()->rooms().contains(QStringLiteral("room")));
        delete socket;
        QVERIFY(m_chat->sockets().isEmpty());
        QVERIFY(m_chat->adapter()->rooms().isEmpty());
        m_chat->to(QStringLiteral("room")).emit(QStringLiteral("x"), {});
        // The client may join again: the namespace slot was freed too.
        client.send(QStringLiteral("40/chat,"));
        QTRY_COMPARE(m_middleware->calls, 2);
    }

    // Rooms joined by a middleware before it refuses (or before the client goes) are left with
    // the socket: they used to stay in the adapter for good.
    void refusedSocketLeavesTheRoomsItJoined_data()
    {
        QTest::addColumn<bool>("refused");
        QTest::addRow("next(err)") << true;
        QTest::addRow("client left") << false;
    }

    void refusedSocketLeavesTheRoomsItJoined()
    {
        QFETCH(bool, refused);
        Namespace *joiner = m_node->server()->of(QStringLiteral("/joiner"));
        Namespace::Next held;
        QString id;
        joiner->use([&held, &id](Socket *socket, const Namespace::Next &next) {
            socket->join(QStringLiteral("early"));
            id = socket->id();
            held = next;
        });
        RawClient client(engineUrl(*m_node));
        QVERIFY(client.waitConnected());
        client.send(QStringLiteral("40/joiner,"));
        QTRY_VERIFY(held);
        QVERIFY(joiner->adapter()->rooms().contains(QStringLiteral("early")));
        QVERIFY(joiner->adapter()->socketRooms(id).contains(QStringLiteral("early")));
        if (refused) {
            std::exchange(held, {})(QStringLiteral("no"), {});
            QVERIFY(!client.nextStartingWith(QStringLiteral("44/joiner,")).isNull());
        } else {
            client.socket().close();
            QTRY_COMPARE(m_node->server()->clientCount(), 0);
        }
        QTRY_VERIFY(joiner->adapter()->rooms().isEmpty());
        QVERIFY(joiner->adapter()->socketRooms(id).isEmpty());
    }

private:
    std::unique_ptr<Node> m_node;
    Namespace *m_chat = nullptr;
    std::unique_ptr<HeldMiddleware> m_middleware;
};

QTEST_GUILESS_MAIN(TestMiddleware)
#include "tst_middleware.moc"
