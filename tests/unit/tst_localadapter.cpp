// LocalAdapter room bookkeeping, driven through the adapter a real Server gives its namespaces,
// and what one broadcast hands to real loopback clients.
#include "switchboard/adapter.h"
#include "switchboard/server.h"

#include <QTest>
#include <QWebSocket>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using switchboard::Adapter;

namespace {

using Ids = QSet<QString>;

QStringList sorted(QStringList list)
{
    std::sort(list.begin(), list.end());
    return list;
}

QStringList sorted(const Ids &set)
{
    return sorted(QStringList(set.cbegin(), set.cend()));
}

// Every socket sits in the room named by its own id, as Socket does on connect.
void join(Adapter *adapter, const QString &id, const QStringList &rooms = {})
{
    Ids all(rooms.cbegin(), rooms.cend());
    all.insert(id);
    adapter->addAll(id, all);
}

// Runs "add <id> <room>...", "del <id> <room>" and "delAll <id>" against the adapter.
void apply(Adapter *adapter, const QStringList &ops)
{
    for (const QString &op : ops) {
        const QStringList words = op.split(u' ', Qt::SkipEmptyParts);
        if (words.value(0) == u"add")
            adapter->addAll(words.at(1), Ids(words.cbegin() + 2, words.cend()));
        else if (words.value(0) == u"del")
            adapter->del(words.at(1), words.at(2));
        else if (words.value(0) == u"delAll")
            adapter->delAll(words.at(1));
        else
            QFAIL(qPrintable(u"bad operation: "_s + op));
    }
}

// A payload value that JSON encoding turns into text through a registered QMetaType
// converter: counts how often a packet carrying it is encoded.
struct EncodeProbe
{
    static inline int encodes = 0;
};

// A bare Socket.IO client on the loopback: what one recipient of a broadcast receives.
class Peer
{
public:
    explicit Peer(quint16 port)
    {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, &m_socket,
                         [this](const QString &text) { texts.append(text); });
        QObject::connect(&m_socket, &QWebSocket::binaryMessageReceived, &m_socket,
                         [this](const QByteArray &data) { binaries.append(data); });
        m_socket.open(QUrl(u"ws://127.0.0.1:%1/socket.io/?EIO=4&transport=websocket"_s.arg(port)));
    }

    // Reads the Engine.IO open packet and CONNECTs to `nsp`; true once the server accepted.
    bool connectTo(const QString &nsp)
    {
        const QString connect = nsp == u"/" ? u"40"_s : u"40%1,"_s.arg(nsp);
        if (!nextText().startsWith(u'0'))
            return false;
        m_socket.sendTextMessage(connect);
        return nextText().startsWith(connect + u'{');
    }

    QStringList texts;
    QByteArrayList binaries;

private:
    QString nextText()
    {
        if (!QTest::qWaitFor([this] { return !texts.isEmpty(); }))
            return {};
        return texts.takeFirst();
    }

    QWebSocket m_socket;
};

} // namespace

class TestLocalAdapter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void startsEmpty();
    void namespacesHaveTheirOwnAdapter();
    void bookkeeping_data();
    void bookkeeping();
    void sockets_data();
    void sockets();
    void unionReturnsSharedMemberOnce();
    void socketRoomsIsACopy();
    void broadcastWithoutLiveSockets();
    void prepareEncodesOnce_data();
    void prepareEncodesOnce();
    void joinedSlotJoinsOthers();
    void joinedSlotRemovesTheSocket();
    void leftSlotJoinsOthers();
    void addSocketsWithJoiningSlot();

private:
    std::unique_ptr<switchboard::Server> m_server;
    Adapter *m_adapter = nullptr;
};

void TestLocalAdapter::initTestCase()
{
    // JSON encoding (QJsonValue::fromVariant) writes an unknown type through its string
    // conversion.
    const bool registered =
        QMetaType::registerConverter<EncodeProbe, QString>([](const EncodeProbe &) {
            ++EncodeProbe::encodes;
            return u"probe"_s;
        });
    QVERIFY(registered);
}

void TestLocalAdapter::init()
{
    m_server = std::make_unique<switchboard::Server>();
    m_adapter = m_server->of(u"/"_s)->adapter();
    QVERIFY(m_adapter);
}

void TestLocalAdapter::cleanup()
{
    m_adapter = nullptr;
    m_server.reset();
}

void TestLocalAdapter::startsEmpty()
{
    QVERIFY(qobject_cast<switchboard::LocalAdapter *>(m_adapter));
    QCOMPARE(m_adapter->nsp(), m_server->of(u"/"_s));
    QCOMPARE(m_adapter->rooms(), QStringList());
    QCOMPARE(m_adapter->sockets({}), Ids());
    QCOMPARE(m_adapter->sockets({u"r1"_s}), Ids());
    QCOMPARE(m_adapter->socketRooms(u"nobody"_s), Ids());
}

void TestLocalAdapter::namespacesHaveTheirOwnAdapter()
{
    Adapter *chat = m_server->of(u"/chat"_s)->adapter();
    QVERIFY(chat);
    QVERIFY(chat != m_adapter);
    join(chat, u"a"_s, {u"r1"_s});
    QCOMPARE(sorted(chat->rooms()), (QStringList{u"a"_s, u"r1"_s}));
    QCOMPARE(m_adapter->rooms(), QStringList());
    QCOMPARE(m_adapter->sockets({}), Ids());
}

void TestLocalAdapter::bookkeeping_data()
{
    QTest::addColumn<QStringList>("ops");
    QTest::addColumn<QStringList>("rooms");      // rooms() afterwards, sorted
    QTest::addColumn<QStringList>("membership"); // "<id>:<rooms, sorted, comma-separated>"

    QTest::addRow("addAll one socket")
        << QStringList{u"add a a r1 r2"_s} << QStringList{u"a"_s, u"r1"_s, u"r2"_s}
        << QStringList{u"a:a,r1,r2"_s};
    QTest::addRow("addAll accumulates")
        << QStringList{u"add a a"_s, u"add a r1"_s, u"add a r2 r1"_s}
        << QStringList{u"a"_s, u"r1"_s, u"r2"_s} << QStringList{u"a:a,r1,r2"_s};
    QTest::addRow("two sockets share a room")
        << QStringList{u"add a a r1"_s, u"add b b r1"_s} << QStringList{u"a"_s, u"b"_s, u"r1"_s}
        << QStringList{u"a:a,r1"_s, u"b:b,r1"_s};
    QTest::addRow("del one room") << QStringList{u"add a a r1 r2"_s, u"del a r1"_s}
                                  << QStringList{u"a"_s, u"r2"_s} << QStringList{u"a:a,r2"_s};
    QTest::addRow("del keeps a room that still has members")
        << QStringList{u"add a a r1"_s, u"add b b r1"_s, u"del a r1"_s}
        << QStringList{u"a"_s, u"b"_s, u"r1"_s} << QStringList{u"a:a"_s, u"b:b,r1"_s};
    QTest::addRow("last member leaving removes the room")
        << QStringList{u"add a a r1"_s, u"add b b r1"_s, u"del a r1"_s, u"del b r1"_s}
        << QStringList{u"a"_s, u"b"_s} << QStringList{u"a:a"_s, u"b:b"_s};
    QTest::addRow("del twice") << QStringList{u"add a a r1"_s, u"del a r1"_s, u"del a r1"_s}
                               << QStringList{u"a"_s} << QStringList{u"a:a"_s};
    QTest::addRow("del a room the socket is not in")
        << QStringList{u"add a a r1"_s, u"add b b r2"_s, u"del a r2"_s}
        << QStringList{u"a"_s, u"b"_s, u"r1"_s, u"r2"_s} << QStringList{u"a:a,r1"_s, u"b:b,r2"_s};
    QTest::addRow("del for an unknown socket")
        << QStringList{u"add a a r1"_s, u"del zz r1"_s, u"del zz nowhere"_s}
        << QStringList{u"a"_s, u"r1"_s} << QStringList{u"a:a,r1"_s, u"zz:"_s};
    QTest::addRow("delAll") << QStringList{u"add a a r1 r2"_s, u"add b b r1"_s, u"delAll a"_s}
                            << QStringList{u"b"_s, u"r1"_s} << QStringList{u"a:"_s, u"b:b,r1"_s};
    QTest::addRow("delAll every socket")
        << QStringList{u"add a a r1"_s, u"add b b r1"_s, u"delAll a"_s, u"delAll b"_s}
        << QStringList{} << QStringList{u"a:"_s, u"b:"_s};
    QTest::addRow("delAll unknown socket")
        << QStringList{u"add a a r1"_s, u"delAll zz"_s} << QStringList{u"a"_s, u"r1"_s}
        << QStringList{u"a:a,r1"_s, u"zz:"_s};
    QTest::addRow("delAll twice") << QStringList{u"add a a r1"_s, u"delAll a"_s, u"delAll a"_s}
                                  << QStringList{} << QStringList{u"a:"_s};
    QTest::addRow("rejoin after delAll")
        << QStringList{u"add a a r1"_s, u"delAll a"_s, u"add a a r2"_s}
        << QStringList{u"a"_s, u"r2"_s} << QStringList{u"a:a,r2"_s};
    QTest::addRow("room named like another socket")
        << QStringList{u"add a a b"_s, u"add b b"_s, u"delAll b"_s} << QStringList{u"a"_s, u"b"_s}
        << QStringList{u"a:a,b"_s, u"b:"_s};
    QTest::addRow("a socket leaves its own room")
        << QStringList{u"add a a r1"_s, u"add b b"_s, u"del a a"_s} << QStringList{u"b"_s, u"r1"_s}
        << QStringList{u"a:r1"_s, u"b:b"_s};
    QTest::addRow("a socket joins another's own room")
        << QStringList{u"add a a"_s, u"add b b a r1"_s} << QStringList{u"a"_s, u"b"_s, u"r1"_s}
        << QStringList{u"a:a"_s, u"b:a,b,r1"_s};
}

void TestLocalAdapter::bookkeeping()
{
    QFETCH(QStringList, ops);
    QFETCH(QStringList, rooms);
    QFETCH(QStringList, membership);

    apply(m_adapter, ops);
    QCOMPARE(sorted(m_adapter->rooms()), rooms);
    // roomCount(): the listed rooms that are not the own room of a socket in it, counted
    // without the walk over rooms() and the sockets that the base class makes.
    int made = 0;
    for (const QString &room : rooms)
        made += !m_adapter->socketRooms(room).contains(room);
    QCOMPARE(m_adapter->roomCount(), made);
    QCOMPARE(m_adapter->roomCount(), m_adapter->Adapter::roomCount());
    for (const QString &line : membership) {
        const QString id = line.section(u':', 0, 0);
        const QStringList expected = line.section(u':', 1).split(u',', Qt::SkipEmptyParts);
        QCOMPARE(sorted(m_adapter->socketRooms(id)), expected);
    }
    // The two indexes agree: every member of a listed room lists that room, and no room is
    // listed empty.
    for (const QString &room : m_adapter->rooms()) {
        const Ids members = m_adapter->sockets({room});
        QVERIFY2(!members.isEmpty(), qPrintable(room));
        for (const QString &id : members)
            QVERIFY2(m_adapter->socketRooms(id).contains(room), qPrintable(id + u" in "_s + room));
    }
}

void TestLocalAdapter::sockets_data()
{
    QTest::addColumn<QStringList>("rooms");
    QTest::addColumn<QStringList>("except");
    QTest::addColumn<QStringList>("expected"); // sorted

    // Fixture: a in r1+r2, b in r1, c in r2, d in no shared room.
    const QStringList everyone{u"a"_s, u"b"_s, u"c"_s, u"d"_s};
    QTest::addRow("empty rooms means everyone") << QStringList{} << QStringList{} << everyone;
    QTest::addRow("one room") << QStringList{u"r1"_s} << QStringList{}
                              << QStringList{u"a"_s, u"b"_s};
    QTest::addRow("other room") << QStringList{u"r2"_s} << QStringList{}
                                << QStringList{u"a"_s, u"c"_s};
    QTest::addRow("union of two rooms")
        << QStringList{u"r1"_s, u"r2"_s} << QStringList{} << QStringList{u"a"_s, u"b"_s, u"c"_s};
    QTest::addRow("socket id as a room")
        << QStringList{u"d"_s} << QStringList{} << QStringList{u"d"_s};
    QTest::addRow("room and socket id")
        << QStringList{u"r1"_s, u"d"_s} << QStringList{} << QStringList{u"a"_s, u"b"_s, u"d"_s};
    QTest::addRow("unknown room") << QStringList{u"nowhere"_s} << QStringList{} << QStringList{};
    QTest::addRow("unknown room and known room")
        << QStringList{u"nowhere"_s, u"r2"_s} << QStringList{} << QStringList{u"a"_s, u"c"_s};
    QTest::addRow("everyone except the sender")
        << QStringList{} << QStringList{u"a"_s} << QStringList{u"b"_s, u"c"_s, u"d"_s};
    QTest::addRow("everyone except a room")
        << QStringList{} << QStringList{u"r1"_s} << QStringList{u"c"_s, u"d"_s};
    QTest::addRow("everyone except two rooms")
        << QStringList{} << QStringList{u"r1"_s, u"r2"_s} << QStringList{u"d"_s};
    QTest::addRow("room except a member")
        << QStringList{u"r1"_s} << QStringList{u"b"_s} << QStringList{u"a"_s};
    QTest::addRow("room except the shared member")
        << QStringList{u"r1"_s} << QStringList{u"a"_s} << QStringList{u"b"_s};
    QTest::addRow("union except the shared member")
        << QStringList{u"r1"_s, u"r2"_s} << QStringList{u"a"_s} << QStringList{u"b"_s, u"c"_s};
    QTest::addRow("union except a room")
        << QStringList{u"r1"_s, u"r2"_s} << QStringList{u"r2"_s} << QStringList{u"b"_s};
    QTest::addRow("room except itself")
        << QStringList{u"r1"_s} << QStringList{u"r1"_s} << QStringList{};
    QTest::addRow("except an unknown room")
        << QStringList{} << QStringList{u"nowhere"_s} << everyone;
    QTest::addRow("except a non-member")
        << QStringList{u"r2"_s} << QStringList{u"d"_s} << QStringList{u"a"_s, u"c"_s};
}

void TestLocalAdapter::sockets()
{
    QFETCH(QStringList, rooms);
    QFETCH(QStringList, except);
    QFETCH(QStringList, expected);

    join(m_adapter, u"a"_s, {u"r1"_s, u"r2"_s});
    join(m_adapter, u"b"_s, {u"r1"_s});
    join(m_adapter, u"c"_s, {u"r2"_s});
    join(m_adapter, u"d"_s);

    const Ids result =
        m_adapter->sockets(Ids(rooms.cbegin(), rooms.cend()), Ids(except.cbegin(), except.cend()));
    QCOMPARE(sorted(result), expected);
    if (except.isEmpty()) // the default argument means "except nobody"
        QCOMPARE(m_adapter->sockets(Ids(rooms.cbegin(), rooms.cend())), result);
}

void TestLocalAdapter::unionReturnsSharedMemberOnce()
{
    // A member of both rooms is reached exactly once; the count is what a broadcast delivers.
    join(m_adapter, u"both"_s, {u"r1"_s, u"r2"_s});
    join(m_adapter, u"only1"_s, {u"r1"_s});
    join(m_adapter, u"only2"_s, {u"r2"_s});
    const Ids result = m_adapter->sockets({u"r1"_s, u"r2"_s});
    QCOMPARE(result.size(), 3);
    QCOMPARE(sorted(result).count(u"both"_s), 1);
    QCOMPARE(sorted(result), (QStringList{u"both"_s, u"only1"_s, u"only2"_s}));
}

void TestLocalAdapter::socketRoomsIsACopy()
{
    join(m_adapter, u"a"_s, {u"r1"_s});
    Ids rooms = m_adapter->socketRooms(u"a"_s);
    rooms.insert(u"r9"_s);
    QCOMPARE(sorted(m_adapter->socketRooms(u"a"_s)), (QStringList{u"a"_s, u"r1"_s}));
    QCOMPARE(m_adapter->sockets({u"r9"_s}), Ids());
}

void TestLocalAdapter::broadcastWithoutLiveSockets()
{
    // Ids with no Socket object behind them (as after a race with a disconnect) are skipped.
    join(m_adapter, u"ghost"_s, {u"r1"_s});
    switchboard::BroadcastOptions options;
    options.rooms = {u"r1"_s};
    m_adapter->broadcast(switchboard::prepare(switchboard::socketio::Packet{
                             switchboard::socketio::PacketType::Event, u"/"_s,
                             switchboard::socketio::NoAck, QVariantList{u"ev"_s}}),
                         options);
    QCOMPARE(sorted(m_adapter->sockets({u"r1"_s})), QStringList{u"ghost"_s});
}

void TestLocalAdapter::prepareEncodesOnce_data()
{
    QTest::addColumn<QVariantList>("args");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArrayList>("binaries");

    const QVariant probe = QVariant::fromValue(EncodeProbe{});
    QTest::addRow("event") << QVariantList{1, probe} << u"/"_s << u"42[\"ev\",1,\"probe\"]"_s
                           << QByteArrayList{};
    QTest::addRow("event in namespace")
        << QVariantList{probe} << u"/chat"_s << u"42/chat,[\"ev\",\"probe\"]"_s << QByteArrayList{};
    QTest::addRow("utf-8 payload")
        << QVariantList{u"caf\u00e9 \u2713"_s, probe} << u"/"_s
        << u"42[\"ev\",\"caf\u00e9 \u2713\",\"probe\"]"_s << QByteArrayList{};
    QTest::addRow("binary payload") << QVariantList{QByteArray("\x01\x02"), probe} << u"/"_s
                                    << u"451-[\"ev\",{\"_placeholder\":true,\"num\":0},\"probe\"]"_s
                                    << QByteArrayList{QByteArray("\x01\x02")};
}

void TestLocalAdapter::prepareEncodesOnce()
{
    QFETCH(QVariantList, args);
    QFETCH(QString, nsp);
    QFETCH(QString, text);
    QFETCH(QByteArrayList, binaries);

    const switchboard::socketio::Packet packet{switchboard::socketio::PacketType::Event, nsp,
                                               switchboard::socketio::NoAck,
                                               QVariantList{u"ev"_s} + args};
    const switchboard::OutgoingPacket out = switchboard::prepare(packet);
    QCOMPARE(QString::fromUtf8(out.frames().text), text);
    QCOMPARE(out.frames().binaries, binaries);
    QCOMPARE(out.packet, packet);

    // A broadcast to several real clients: one encode, and each gets exactly these frames.
    switchboard::Namespace *space = m_server->of(nsp);
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    std::vector<std::unique_ptr<Peer>> peers;
    for (int i = 0; i < 3; ++i) {
        peers.push_back(std::make_unique<Peer>(m_server->serverPort()));
        QVERIFY(peers.back()->connectTo(nsp));
    }
    EncodeProbe::encodes = 0;
    QVERIFY(space->emit(u"ev"_s, args));
    for (const auto &peer : peers) {
        QTRY_COMPARE(peer->texts, QStringList{text});
        QTRY_COMPARE(peer->binaries, binaries);
    }
    QCOMPARE(EncodeProbe::encodes, 1);

    // No local recipient (a room nobody here is in, or everyone excepted): nothing is
    // JSON-encoded at all.
    EncodeProbe::encodes = 0;
    QVERIFY(space->to(u"nobody-here"_s).emit(u"ev"_s, args));
    QVERIFY(space->except(space->sockets().keys()).emit(u"ev"_s, args));
    QCOMPARE(EncodeProbe::encodes, 0);
}

// Presence and user code react to `joined` and `left`. A slot that makes other sockets join
// grows the adapter's hashes, and a rehash moves every node: nothing of the adapter's may be
// held across the signal.
void TestLocalAdapter::joinedSlotJoinsOthers()
{
    constexpr int Crowd = 512; // per room: enough to rehash both maps several times
    Adapter *adapter = m_adapter;
    connect(adapter, &Adapter::joined, this, [adapter](const QString &id, const QString &room) {
        if (id != u"a")
            return;
        for (int i = 0; i < Crowd; ++i)
            join(adapter, u"%1-%2"_s.arg(room).arg(i), {room});
    });
    const QStringList rooms{u"r1"_s, u"r2"_s, u"r3"_s, u"r4"_s, u"r5"_s, u"r6"_s};
    join(adapter, u"a"_s, rooms);

    QCOMPARE(sorted(adapter->socketRooms(u"a"_s)), sorted(rooms + QStringList{u"a"_s}));
    for (const QString &room : rooms) {
        QCOMPARE(adapter->sockets({room}).size(), Crowd + 1);
        QVERIFY(adapter->sockets({room}).contains(u"a"_s));
    }
    QCOMPARE(adapter->sockets({}).size(), 1 + Crowd * rooms.size());
}

void TestLocalAdapter::joinedSlotRemovesTheSocket()
{
    // A slot may drop the socket that just joined (a policy, a kick): addAll must not put a
    // removed socket back into the rooms still to come.
    Adapter *adapter = m_adapter;
    connect(adapter, &Adapter::joined, this,
            [adapter](const QString &id, const QString &) { adapter->delAll(id); });
    join(adapter, u"a"_s, {u"r1"_s, u"r2"_s, u"r3"_s, u"r4"_s});

    QCOMPARE(adapter->socketRooms(u"a"_s), Ids());
    QCOMPARE(adapter->rooms(), QStringList());
    QCOMPARE(adapter->sockets({}), Ids());
}

void TestLocalAdapter::leftSlotJoinsOthers()
{
    constexpr int Crowd = 512;
    Adapter *adapter = m_adapter;
    const QStringList rooms{u"r1"_s, u"r2"_s, u"r3"_s, u"r4"_s};
    join(adapter, u"a"_s, rooms);
    join(adapter, u"b"_s, rooms);
    QStringList leaves;
    connect(adapter, &Adapter::left, this,
            [adapter, &leaves](const QString &id, const QString &room) {
                leaves << id + u':' + room;
                for (int i = 0; i < Crowd; ++i)
                    join(adapter, u"%1-%2"_s.arg(room).arg(i), {room});
            });
    // delSockets walks the sockets of a room and each of their rooms, emitting `left`.
    switchboard::BroadcastOptions options;
    options.rooms = {u"r1"_s};
    adapter->delSockets(options, rooms);

    QStringList expected;
    for (const QString &id : {u"a"_s, u"b"_s})
        for (const QString &room : rooms)
            expected << id + u':' + room;
    QCOMPARE(sorted(leaves), sorted(expected));
    QCOMPARE(sorted(adapter->socketRooms(u"a"_s)), QStringList{u"a"_s});
    QCOMPARE(sorted(adapter->socketRooms(u"b"_s)), QStringList{u"b"_s});
    for (const QString &room : rooms)
        QCOMPARE(adapter->sockets({room}).size(), Crowd);
}

void TestLocalAdapter::addSocketsWithJoiningSlot()
{
    // addSockets walks the matching sockets and joins each: sockets that join from a slot on
    // the way are not part of the request, and every socket that was is in the room.
    constexpr int Crowd = 512;
    Adapter *adapter = m_adapter;
    for (const QString &id : {u"a"_s, u"b"_s, u"c"_s})
        join(adapter, id, {u"lobby"_s});
    connect(adapter, &Adapter::joined, this, [adapter](const QString &id, const QString &room) {
        if (room != u"stage")
            return;
        for (int i = 0; i < Crowd; ++i)
            join(adapter, u"%1-%2"_s.arg(id).arg(i), {u"lobby"_s});
    });
    switchboard::BroadcastOptions options;
    options.rooms = {u"lobby"_s};
    adapter->addSockets(options, {u"stage"_s});

    QCOMPARE(sorted(adapter->sockets({u"stage"_s})), (QStringList{u"a"_s, u"b"_s, u"c"_s}));
    for (const QString &id : {u"a"_s, u"b"_s, u"c"_s})
        QCOMPARE(sorted(adapter->socketRooms(id)), (QStringList{id, u"lobby"_s, u"stage"_s}));
    QCOMPARE(adapter->sockets({u"lobby"_s}).size(), 3 + 3 * Crowd);
}

QTEST_GUILESS_MAIN(TestLocalAdapter)
#include "tst_localadapter.moc"
