// Bad input closes only the offending connection, with a logged reason, while another
// client keeps exchanging messages. A flood from one client does not starve another.
#include "nodefixture.h"
#include "rawclient.h"

#include "switchboard/namespace.h"

#include <QRegularExpression>

#include <algorithm>

using namespace switchboard;

class TestBadInput : public QObject
{
    Q_OBJECT

    struct Frame
    {
        QByteArray data;
        bool binary = false;
    };

    // Connects a bystander and an offender, sends `frames` from the offender and checks that
    // the offender alone is closed, with `reason` logged, and the bystander is still served.
    void offenderAlone(const QList<Frame> &frames, const QString &reason,
                       const std::function<void(NodeConfig &)> &tweak = {})
    {
        auto node = startNode(tweak);
        QVERIFY(node);
        RawClient bystander(engineUrl(*node)), offender(engineUrl(*node));
        QVERIFY(!bystander.handshake().isEmpty());
        QVERIFY(!offender.handshake().isEmpty());
        QVERIFY(bystander.call(QStringLiteral(R"(["join","lobby"])")).contains(u"\"ok\":true"));

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QRegularExpression::escape(reason)));
        for (const Frame &frame : frames) {
            if (frame.binary)
                offender.sendBinary(frame.data);
            else
                offender.send(QString::fromUtf8(frame.data));
        }
        QVERIFY2(offender.waitClosed(), "the offending connection was not closed");
        QVERIFY(!bystander.closed);
        QCOMPARE(node->server()->clientCount(), 1);
        // The bystander still gets answers and broadcasts.
        QVERIFY(bystander.call(QStringLiteral(R"(["join","after"])")).contains(u"\"ok\":true"));
        node->server()->of(u"/"_qs)->to(u"lobby"_qs).emit(u"still-here"_qs);
        QCOMPARE(bystander.nextStartingWith(u"42"_qs), u"42[\"still-here\"]");
    }

private Q_SLOTS:
    void garbageText()
    {
        offenderAlone({{"hello world"}}, u"unknown Engine.IO packet type 'h'"_qs);
    }

    void emptyFrame() { offenderAlone({{""}}, u"empty Engine.IO packet"_qs); }

    void unknownSocketIoPacketType()
    {
        offenderAlone({{"49[\"x\"]"}}, u"unknown Socket.IO packet type '9'"_qs);
    }

    void badJson() { offenderAlone({{"42[\"ev\",{\"a\":"}}, u"invalid JSON"_qs); }

    void eventNotAnArray()
    {
        offenderAlone({{"42{\"ev\":1}"}}, u"EVENT payload must be an array"_qs);
    }

    void reservedEventFromClient()
    {
        offenderAlone({{"42[\"disconnect\"]"}}, u"reserved event name 'disconnect'"_qs);
    }

    void truncatedBinarySequence()
    {
        offenderAlone(
            {{R"(452-["ev",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"},
             {"first", true},
             {"42[\"next\"]"}},
            u"text packet while awaiting binary attachments"_qs);
    }

    void placeholderOutOfRange()
    {
        offenderAlone({{R"(451-["ev",{"_placeholder":true,"num":3}])"}, {"x", true}},
                      u"placeholder refers to missing attachment"_qs);
    }

    void binaryWithoutPacket()
    {
        offenderAlone({{"\x01\x02", true}}, u"binary frame without a binary packet"_qs);
    }

    void namespaceNotJoined()
    {
        offenderAlone({{"42/other,[\"x\"]"}}, u"EVENT packet for namespace /other not joined"_qs);
    }

    void clientPing() { offenderAlone({{"2"}}, u"invalid heartbeat direction"_qs); }

    void oversizedFrame()
    {
        offenderAlone({{QByteArray("42[\"big\",\"") + QByteArray(5000, 'x') + "\"]"}},
                      u"message larger than maxPayload"_qs,
                      [](NodeConfig &c) { c.server.engine.maxPayload = 1000; });
    }

    void oversizedFrameCloseCode()
    {
        auto node = startNode([](NodeConfig &c) { c.server.engine.maxPayload = 1000; });
        RawClient offender(engineUrl(*node));
        QVERIFY(!offender.handshake().isEmpty());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"larger than maxPayload"_qs));
        offender.send(QStringLiteral("42[\"big\",\"%1\"]").arg(QString(2000, u'y')));
        QVERIFY(offender.waitClosed());
        QCOMPARE(offender.socket().closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
    }

    void floodDoesNotStarveOthers()
    {
        auto node = startNode();
        Namespace *root = node->server()->of(u"/"_qs);
        int flooded = 0;
        root->on(u"flood"_qs,
                 [&](Socket *, const QVariantList &, const Socket::Ack &) { ++flooded; });
        // How many flood events the server had handled when it took up each probe.
        QList<int> probedAt;
        root->on(u"probe"_qs, [&](Socket *, const QVariantList &, const Socket::Ack &ack) {
            probedAt.append(flooded);
            ack({true});
        });
        RawClient flooder(engineUrl(*node)), other(engineUrl(*node));
        QVERIFY(!flooder.handshake().isEmpty());
        QVERIFY(!other.handshake().isEmpty());

        constexpr int Events = 10000;
        constexpr int Probes = 20;
        for (int i = 0; i < Events; ++i)
            flooder.send(QStringLiteral("42[\"flood\",%1,\"%2\"]").arg(i).arg(QString(64, u'z')));
        // Sent after the whole flood: a server that drains one connection before reading the
        // next handles every probe after the last flood event.
        for (int i = 0; i < Probes; ++i)
            QCOMPARE(other.call(QStringLiteral(R"(["probe"])"), 10000), u"[true]"_qs);
        QTRY_COMPARE_WITH_TIMEOUT(flooded, Events, 30000);
        QVERIFY(!flooder.closed);
        // The server took up the other connection while flood events were still to handle.
        const int firstProbe = probedAt.value(0, Events);
        QVERIFY2(firstProbe < Events, "the other client was served only after the whole flood");
        const auto duringFlood = std::count_if(probedAt.cbegin(), probedAt.cend(),
                                               [](int handled) { return handled < Events; });
        qInfo("%d of %d probes were handled during the flood, the first after %d flood events",
              int(duringFlood), Probes, firstProbe);
    }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_badinput.moc"
