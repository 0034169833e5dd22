// The cluster end to end: a real redis-server per test, real switchboard-node processes and,
// where the C++ API is needed, one in-process Node as one more member. Raw Engine.IO /
// Socket.IO clients drive the relay events (join / leave / send) on the node processes.
//
// "Nothing else arrived" is checked without sleeping: after the message under test, the
// sender's node broadcasts a fence to the whole namespace. Redis keeps the order of one
// publisher's messages to one subscriber, so every frame the message under test could have
// caused arrives before the fence.
#include "nodefixture.h"
#include "nodeprocess.h"
#include "peer.h"
#include "rawclient.h"
#include "rediscall.h"
#include "redisserver.h"

#include "switchboard/cluster.h"
#include "switchboard/json.h"
#include "switchboard/namespace.h"
#include "switchboard/presence.h"
#include "switchboard/redisclient.h"
#include "switchboard/redissubscriber.h"
#include "switchboard/socket.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>

#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

using namespace switchboard;

namespace {

const QString kRoot = QStringLiteral("/");
const QString kChat = QStringLiteral("/chat");
const QByteArray kPresenceChannel = QByteArrayLiteral("socket.io-switchboard#presence#");
const QByteArray kEventsChannel = QByteArrayLiteral("socket.io-switchboard#events#");
const QByteArray kControlChannel = QByteArrayLiteral("socket.io-switchboard#request#");

QByteArray presenceKey(const QString &uid)
{
    return QByteArrayLiteral("socket.io-switchboard#node#") + uid.toUtf8();
}

QSet<QString> stringSet(const QVariantList &list)
{
    QSet<QString> out;
    for (const QVariant &item : list)
        out.insert(item.toString());
    return out;
}

QSet<QString> stringSet(const QStringList &list)
{
    return QSet<QString>(list.cbegin(), list.cend());
}

QString sorted(const QSet<QString> &set)
{
    QStringList list(set.cbegin(), set.cend());
    list.sort();
    return u'{' + list.join(u", ") + u'}';
}

// "message" events of `frames` whose data is `data`.
QList<Frame> messagesWith(const QList<Frame> &frames, const QString &data)
{
    QList<Frame> out;
    for (const Frame &frame : frames)
        if (frame.event() == u"message" &&
            frame.payload().value(QStringLiteral("data")).toString() == data)
            out << frame;
    return out;
}

QString texts(const QList<Frame> &frames)
{
    QStringList out;
    for (const Frame &frame : frames)
        out << frame.text;
    return out.join(u" | ");
}

QVariantMap sendTo(const QVariant &to, const QString &data, const QVariantMap &extra = {})
{
    QVariantMap request = extra;
    if (to.isValid())
        request.insert(QStringLiteral("to"), to);
    request.insert(QStringLiteral("data"), data);
    return request;
}

QVariantMap fence(const QString &data)
{
    return {{QStringLiteral("data"), data}, {QStringLiteral("self"), true}};
}

bool isOk(const QVariantMap &ack)
{
    return ack.value(QStringLiteral("ok")).toBool();
}

QByteArray acked(const QVariantMap &ack)
{
    return toJson(ack).toUtf8();
}

// Empty when `peer` got the message `data` exactly `expected` times before the fence `fenceData`;
// otherwise says what it got. The matching frames go to `found`.
QString receivedTimes(Peer &peer, const QString &fenceData, const QString &data, int expected,
                      QList<Frame> *found = nullptr)
{
    const std::optional<QList<Frame>> before = peer.untilMessage(fenceData);
    if (!before)
        return QStringLiteral("socket %1 (%2) never received the fence '%3'; inbox: %4")
            .arg(peer.id, peer.nsp(), fenceData, texts(peer.events));
    const QList<Frame> matching = messagesWith(*before, data);
    if (found)
        *found = matching;
    if (matching.size() != expected)
        return QStringLiteral("socket %1 (%2) received '%3' %4 times, expected %5; frames before "
                              "the fence: %6")
            .arg(peer.id, peer.nsp(), data)
            .arg(matching.size())
            .arg(expected)
            .arg(texts(*before));
    return {};
}

#define EXPECT_RECEIVED(peer, fenceData, data, expected)                                           \
    do {                                                                                           \
        const QString why_ = receivedTimes(peer, fenceData, data, expected);                       \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                \
    } while (false)

#define SEND_OK(peer, request)                                                                     \
    do {                                                                                           \
        const QVariantMap ack_ = (peer).send(request);                                             \
        QVERIFY2(isOk(ack_), acked(ack_).constData());                                             \
    } while (false)

#define JOIN_OK(peer, rooms)                                                                       \
    do {                                                                                           \
        const QVariantMap ack_ = (peer).join(rooms);                                               \
        QVERIFY2(isOk(ack_), acked(ack_).constData());                                             \
    } while (false)

struct Fetched
{
    bool done = false;
    QString error;
    QList<RemoteSocket> sockets;
};

Fetched fetch(const BroadcastOperator &op, int timeoutMs = 8000)
{
    auto state = std::make_shared<Fetched>();
    op.fetchSockets([state](const QString &error, const QList<RemoteSocket> &sockets) {
        state->done = true;
        state->error = error;
        state->sockets = sockets;
    });
    static_cast<void>(QTest::qWaitFor([&state] { return state->done; }, timeoutMs));
    return *state;
}

QSet<QString> idsOf(const QList<RemoteSocket> &sockets)
{
    QSet<QString> ids;
    for (const RemoteSocket &socket : sockets)
        ids.insert(socket.id);
    return ids;
}

int serverCount(const Namespace *nsp, int timeoutMs = 5000)
{
    auto count = std::make_shared<int>(-1);
    nsp->serverCount([count](int servers) { *count = servers; });
    static_cast<void>(QTest::qWaitFor([&count] { return *count >= 0; }, timeoutMs));
    return *count;
}

// One Redis server, switchboard-node processes and optionally an in-process Node, all in one
// cluster; everything is killed when it goes, and the nodes' logs are printed if the test failed.
class ClusterFixture
{
public:
    ClusterFixture() = default;
    Q_DISABLE_COPY_MOVE(ClusterFixture)

    ~ClusterFixture()
    {
        if (QTest::currentTestFailed())
            dumpLogs();
        inproc.reset();
        probe.reset();
        nodes.clear(); // SIGKILL
    }

    // Starts Redis, one node process per name and, with `inProcess`, an in-process Node;
    // returns once every member is subscribed.
    bool start(const QStringList &names, bool inProcess = false)
    {
        if (!redis.start()) {
            error = redis.error();
            return false;
        }
        probe = std::make_unique<redis::Connection>(parseUrl(redis.url()));
        probe->start();
        for (const QString &name : names)
            if (!launch(name))
                return false;
        if (inProcess) {
            inproc = startNode([this](NodeConfig &config) {
                config.redisUrl = redis.url();
                config.name = QStringLiteral("in-process");
                config.requestsTimeoutMs = 3000;
            });
            if (!inproc) {
                error = QStringLiteral("the in-process node did not start");
                return false;
            }
        }
        if (!QTest::qWaitFor([this] { return probe->isConnected(); }, 5000)) {
            error = QStringLiteral("the test's own Redis connection did not connect: ") +
                    probe->lastError();
            return false;
        }
        return waitReady();
    }

    // Starts one more node process and waits until it is subscribed.
    NodeProcess *addNode(const QString &name)
    {
        if (!launch(name) || !waitReady())
            return nullptr;
        return nodes.back().get();
    }

    NodeProcess &node(int index) { return *nodes.at(size_t(index)); }

    int servers() const
    {
        int count = inproc ? 1 : 0;
        for (const auto &node : nodes)
            count += node->isRunning() ? 1 : 0;
        return count;
    }

    // PUBSUB NUMSUB of the request channel of `nsp`: how many servers serve it.
    int subscribers(const QString &nsp)
    {
        const redis::Reply reply =
            call(*probe, {QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("NUMSUB"),
                          QByteArrayLiteral("socket.io-request#") + nsp.toUtf8() + '#'});
        if (reply.elements.size() < 2)
            return -1;
        return int(reply.elements.at(1).integer);
    }

    bool waitSubscribers(const QString &nsp, int expected, int timeoutMs = 5000)
    {
        int last = -1;
        if (QTest::qWaitFor([&] { return (last = subscribers(nsp)) == expected; }, timeoutMs))
            return true;
        error = QStringLiteral("%1 servers subscribed to %2, expected %3")
                    .arg(last)
                    .arg(nsp)
                    .arg(expected);
        return false;
    }

    // The adapter uid of a node process, from its /healthz.
    QString uid(int index)
    {
        return node(index).health().value(u"cluster").toObject().value(u"uid").toString();
    }

    bool exists(const QByteArray &key)
    {
        return call(*probe, {QByteArrayLiteral("EXISTS"), key}).integer == 1;
    }

    void dumpLogs() const
    {
        for (const auto &node : nodes)
            qInfo("---- last lines of the log of %s (pid %lld) ----\n%s", qPrintable(node->name()),
                  node->pid(), qPrintable(node->logTail(30)));
    }

    RedisServer redis;
    std::vector<std::unique_ptr<NodeProcess>> nodes;
    std::unique_ptr<Node> inproc;
    std::unique_ptr<redis::Connection> probe;
    QString error;

private:
    bool launch(const QString &name)
    {
        auto node = std::make_unique<NodeProcess>(name, redis.url());
        if (!node->start()) {
            error = node->error();
            return false;
        }
        nodes.push_back(std::move(node));
        return true;
    }

    bool waitReady(int timeoutMs = 10000)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (const auto &node : nodes) {
            if (!node->isRunning())
                continue;
            QJsonObject health;
            const bool connected = QTest::qWaitFor(
                [&] {
                    health = node->health(1000);
                    return health.value(u"cluster").toObject().value(u"connected").toBool();
                },
                int(deadline.remainingTime()));
            if (!connected) {
                error = QStringLiteral("%1 did not connect to Redis: %2\n%3")
                            .arg(node->name(), QString::fromUtf8(QJsonDocument(health).toJson()),
                                 node->logTail());
                return false;
            }
        }
        if (inproc && !QTest::qWaitFor([this] { return inproc->cluster()->isConnected(); },
                                       int(deadline.remainingTime()))) {
            error = QStringLiteral("the in-process node did not connect to Redis");
            return false;
        }
        return waitSubscribers(kRoot, servers(),
                               int(std::max<qint64>(deadline.remainingTime(), 1)));
    }
};

// Collects what arrives on some channels (subscribed before it reports ready).
class ChannelWatch : public QObject
{
public:
    ChannelWatch(const QString &redisUrl, const QList<QByteArray> &channels)
        : m_subscriber(parseUrl(redisUrl))
    {
        for (const QByteArray &channel : channels)
            m_subscriber.subscribe(channel);
        clock.start();
        connect(&m_subscriber, &redis::Subscriber::message, this,
                [this](const QByteArray &channel, const QByteArray &payload) {
                    messages.append({clock.elapsed(), channel, payload});
                });
    }

    bool start()
    {
        QSignalSpy up(&m_subscriber, &redis::Subscriber::connected);
        m_subscriber.start();
        return up.wait(5000);
    }

    struct Message
    {
        qint64 at; // ms since the watch was made
        QByteArray channel;
        QByteArray payload;
    };
    QList<Message> messages;
    QElapsedTimer clock;

private:
    redis::Subscriber m_subscriber;
};

QList<cluster::NodePresence> presenceOf(const ChannelWatch &watch, const QString &uid,
                                        QList<qint64> *arrivals = nullptr)
{
    QList<cluster::NodePresence> out;
    for (const ChannelWatch::Message &message : watch.messages) {
        const auto decoded = cluster::decodePresence(message.payload);
        if (decoded && decoded->uid == uid) {
            out << *decoded;
            if (arrivals)
                *arrivals << message.at;
        }
    }
    return out;
}

QList<cluster::SocketEvent> socketEventsOf(const ChannelWatch &watch, const QString &uid)
{
    QList<cluster::SocketEvent> out;
    for (const ChannelWatch::Message &message : watch.messages) {
        const auto decoded = cluster::decodeSocketEvents(message.payload);
        if (decoded && decoded->uid == uid)
            out << decoded->events;
    }
    return out;
}

QString describe(const cluster::SocketEvent &event)
{
    static const char *const kinds[] = {"connect", "disconnect", "join", "leave"};
    QString text = QString::fromLatin1(kinds[int(event.kind)]) + u' ' + event.nsp + u' ' + event.id;
    if (!event.room.isEmpty())
        text += QStringLiteral(" room=") + event.room;
    if (!event.reason.isEmpty())
        text += QStringLiteral(" reason=") + event.reason;
    return text;
}

QString describe(const QList<cluster::SocketEvent> &events)
{
    QStringList out;
    for (const cluster::SocketEvent &event : events)
        out << describe(event);
    return out.join(u" | ");
}

} // namespace

class TestCluster : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void directMessageAcrossNodes();
    void roomAcrossThreeNodes();
    void exceptAcrossNodes();
    void twoRoomUnionOnRemoteNode();
    void namespaceIsolation();
    void remoteJoinLeaveDisconnect();
    void fetchSocketsAcrossNodes();
    void serverSideEmitWithAck();
    void broadcastWithAcks();
    void serverCountFollowsMembers();
    void presenceAnnounced();
    void presenceAfterKillAndShutdown();
    void socketEventsStream();
    void listSockets();
    void redisRestart();
};

void TestCluster::directMessageAcrossNodes()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"dm-a"_qs, u"dm-b"_qs}), qPrintable(f.error));
    Peer a(f.node(0).engineUrl()), d(f.node(0).engineUrl());
    Peer b(f.node(1).engineUrl()), c(f.node(1).engineUrl());
    for (Peer *peer : {&a, &b, &c, &d})
        QVERIFY(peer->connect());

    SEND_OK(a, sendTo(b.id, u"dm"_qs));
    SEND_OK(a, fence(u"fence-1"_qs));
    QList<Frame> got;
    const QString why = receivedTimes(b, u"fence-1"_qs, u"dm"_qs, 1, &got);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(got.first().payload().value(u"from"_qs).toString(), a.id);
    QCOMPARE(got.first().payload().value(u"to"_qs).toString(), b.id);
    for (Peer *peer : {&a, &c, &d})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"dm"_qs, 0);

    // And back, from B to A.
    SEND_OK(b, sendTo(a.id, u"dm-back"_qs));
    SEND_OK(b, fence(u"fence-2"_qs));
    EXPECT_RECEIVED(a, u"fence-2"_qs, u"dm-back"_qs, 1);
    for (Peer *peer : {&b, &c, &d})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"dm-back"_qs, 0);
}

void TestCluster::roomAcrossThreeNodes()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"room-a"_qs, u"room-b"_qs, u"room-c"_qs}), qPrintable(f.error));
    Peer a1(f.node(0).engineUrl()), a2(f.node(0).engineUrl());
    Peer b(f.node(1).engineUrl()), outsider(f.node(1).engineUrl());
    Peer c(f.node(2).engineUrl());
    for (Peer *peer : {&a1, &a2, &b, &outsider, &c})
        QVERIFY(peer->connect());
    for (Peer *peer : {&a1, &a2, &b, &c})
        JOIN_OK(*peer, u"r"_qs);

    SEND_OK(a1, sendTo(u"r"_qs, u"hi"_qs));
    SEND_OK(a1, fence(u"fence-1"_qs));
    QList<Frame> got;
    const QString why = receivedTimes(c, u"fence-1"_qs, u"hi"_qs, 1, &got);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(got.first().payload().value(u"from"_qs).toString(), a1.id);
    QCOMPARE(got.first().payload().value(u"to"_qs).toString(), u"r");
    for (Peer *peer : {&a2, &b})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"hi"_qs, 1);
    // The sender is excluded although it is a member; a non-member gets nothing.
    for (Peer *peer : {&a1, &outsider})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"hi"_qs, 0);

    // self: true includes the sender, still once.
    SEND_OK(a1, sendTo(u"r"_qs, u"hi-self"_qs, {{u"self"_qs, true}}));
    SEND_OK(a1, fence(u"fence-2"_qs));
    for (Peer *peer : {&a1, &a2, &b, &c})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"hi-self"_qs, 1);
    EXPECT_RECEIVED(outsider, u"fence-2"_qs, u"hi-self"_qs, 0);
}

void TestCluster::exceptAcrossNodes()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"ex-a"_qs, u"ex-b"_qs, u"ex-c"_qs}), qPrintable(f.error));
    Peer a(f.node(0).engineUrl()), a2(f.node(0).engineUrl());
    Peer b1(f.node(1).engineUrl()), b2(f.node(1).engineUrl());
    Peer c1(f.node(2).engineUrl()), c2(f.node(2).engineUrl());
    for (Peer *peer : {&a, &a2, &b1, &b2, &c1, &c2}) {
        QVERIFY(peer->connect());
        JOIN_OK(*peer, u"r"_qs);
    }
    JOIN_OK(c1, u"vip"_qs);

    // Except a room (with a member on C) and a socket id (on B).
    SEND_OK(a, sendTo(u"r"_qs, u"ex-1"_qs, {{u"except"_qs, QVariantList{u"vip"_qs, b1.id}}}));
    SEND_OK(a, fence(u"fence-1"_qs));
    for (Peer *peer : {&a2, &b2, &c2})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"ex-1"_qs, 1);
    for (Peer *peer : {&a, &b1, &c1})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"ex-1"_qs, 0);

    // The whole namespace except one remote socket.
    SEND_OK(a, sendTo(QVariant(), u"ex-2"_qs, {{u"except"_qs, c2.id}}));
    SEND_OK(a, fence(u"fence-2"_qs));
    for (Peer *peer : {&a2, &b1, &b2, &c1})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"ex-2"_qs, 1);
    for (Peer *peer : {&a, &c2})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"ex-2"_qs, 0);
}

void TestCluster::twoRoomUnionOnRemoteNode()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"union-a"_qs, u"union-b"_qs}), qPrintable(f.error));
    Peer a(f.node(0).engineUrl()), a2(f.node(0).engineUrl());
    Peer both(f.node(1).engineUrl()), only1(f.node(1).engineUrl()), only2(f.node(1).engineUrl()),
        none(f.node(1).engineUrl());
    for (Peer *peer : {&a, &a2, &both, &only1, &only2, &none})
        QVERIFY(peer->connect());
    JOIN_OK(a2, (QVariantList{u"r1"_qs, u"r2"_qs}));
    JOIN_OK(both, (QVariantList{u"r1"_qs, u"r2"_qs}));
    JOIN_OK(only1, u"r1"_qs);
    JOIN_OK(only2, u"r2"_qs);

    SEND_OK(a, sendTo(QVariantList{u"r1"_qs, u"r2"_qs}, u"u-1"_qs));
    SEND_OK(a, fence(u"fence-1"_qs));
    QList<Frame> got;
    const QString why = receivedTimes(both, u"fence-1"_qs, u"u-1"_qs, 1, &got);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(got.first().payload().value(u"to"_qs).toList(), (QVariantList{u"r1"_qs, u"r2"_qs}));
    for (Peer *peer : {&a2, &only1, &only2})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"u-1"_qs, 1);
    for (Peer *peer : {&a, &none})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"u-1"_qs, 0);

    // A room and socket ids mixed: `both` is in r1 and named, `none` only named.
    SEND_OK(a, sendTo(QVariantList{u"r1"_qs, both.id, none.id}, u"u-2"_qs));
    SEND_OK(a, fence(u"fence-2"_qs));
    for (Peer *peer : {&a2, &both, &only1, &none})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"u-2"_qs, 1);
    for (Peer *peer : {&a, &only2})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"u-2"_qs, 0);
}

void TestCluster::namespaceIsolation()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"nsp-a"_qs, u"nsp-b"_qs}), qPrintable(f.error));
    Peer rootA(f.node(0).engineUrl()), chatA(f.node(0).engineUrl(), kChat);
    Peer rootB(f.node(1).engineUrl()), chatB(f.node(1).engineUrl(), kChat);
    for (Peer *peer : {&rootA, &chatA, &rootB, &chatB}) {
        QVERIFY(peer->connect());
        JOIN_OK(*peer, u"room"_qs);
    }
    // /chat is made on a client's first CONNECT: both nodes must serve it before it is used.
    QVERIFY2(f.waitSubscribers(kChat, 2), qPrintable(f.error));

    SEND_OK(rootA, sendTo(u"room"_qs, u"root-msg"_qs));
    SEND_OK(chatA, sendTo(u"room"_qs, u"chat-msg"_qs));
    SEND_OK(rootA, fence(u"fence-root"_qs));
    SEND_OK(chatA, fence(u"fence-chat"_qs));

    // Each socket got its own namespace's message once and nothing of the other namespace.
    const QList<std::tuple<Peer *, QString, QString, int>> checks{
        {&rootB, u"fence-root"_qs, u"root-msg"_qs, 1},
        {&rootB, QString(), u"chat-msg"_qs, 0},
        {&chatB, u"fence-chat"_qs, u"chat-msg"_qs, 1},
        {&chatB, QString(), u"root-msg"_qs, 0},
        {&rootA, u"fence-root"_qs, u"chat-msg"_qs, 0},
        {&chatA, u"fence-chat"_qs, u"root-msg"_qs, 0}};
    QList<Frame> before;
    for (const auto &[peer, fenceData, data, expected] : checks) {
        if (!fenceData.isEmpty()) {
            const std::optional<QList<Frame>> frames = peer->untilMessage(fenceData);
            QVERIFY2(frames, qPrintable(peer->id + u" never got "_qs + fenceData));
            before = *frames;
        }
        const QList<Frame> found = messagesWith(before, data);
        QVERIFY2(found.size() == expected,
                 qPrintable(QStringLiteral("%1 (%2) got '%3' %4 times: %5")
                                .arg(peer->id, peer->nsp(), data)
                                .arg(found.size())
                                .arg(texts(before))));
        for (const Frame &frame : found)
            QCOMPARE(frame.nsp, peer->nsp());
    }
    // Peers keep frames of a namespace they did not join apart: there must be none.
    for (Peer *peer : {&rootA, &chatA, &rootB, &chatB})
        QVERIFY2(peer->others.isEmpty(), qPrintable(peer->others.join(u" | ")));
}

void TestCluster::remoteJoinLeaveDisconnect()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"remote-a"_qs, u"remote-b"_qs}, true), qPrintable(f.error));
    Peer sender(f.node(0).engineUrl()), m1(f.node(0).engineUrl());
    Peer m2(f.node(1).engineUrl()), other(f.node(1).engineUrl());
    for (Peer *peer : {&sender, &m1, &m2, &other})
        QVERIFY(peer->connect());
    JOIN_OK(m1, u"src"_qs);
    JOIN_OK(m2, u"src"_qs);
    Namespace *nsp = f.inproc->server()->of(kRoot);

    // Remote join. A fetch published after the join by the same node is answered after it
    // was applied: it is the barrier before sending.
    nsp->to(u"src"_qs).socketsJoin({u"dst"_qs});
    Fetched inDst = fetch(nsp->to(u"dst"_qs));
    QVERIFY(inDst.done);
    QVERIFY2(inDst.error.isEmpty(), qPrintable(inDst.error));
    QCOMPARE(sorted(idsOf(inDst.sockets)), sorted({m1.id, m2.id}));
    SEND_OK(sender, sendTo(u"dst"_qs, u"dst-1"_qs));
    SEND_OK(sender, fence(u"fence-1"_qs));
    for (Peer *peer : {&m1, &m2})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"dst-1"_qs, 1);
    for (Peer *peer : {&sender, &other})
        EXPECT_RECEIVED(*peer, u"fence-1"_qs, u"dst-1"_qs, 0);

    // Remote leave of one socket on B.
    nsp->to(m2.id).socketsLeave({u"dst"_qs});
    inDst = fetch(nsp->to(u"dst"_qs));
    QVERIFY(inDst.done);
    QVERIFY2(inDst.error.isEmpty(), qPrintable(inDst.error));
    QCOMPARE(sorted(idsOf(inDst.sockets)), sorted({m1.id}));
    SEND_OK(sender, sendTo(u"dst"_qs, u"dst-2"_qs));
    SEND_OK(sender, fence(u"fence-2"_qs));
    EXPECT_RECEIVED(m1, u"fence-2"_qs, u"dst-2"_qs, 1);
    for (Peer *peer : {&m2, &sender, &other})
        EXPECT_RECEIVED(*peer, u"fence-2"_qs, u"dst-2"_qs, 0);

    // Remote disconnect without close: the client sees DISCONNECT, its connection stays.
    nsp->to(m2.id).disconnectSockets(false);
    QVERIFY2(m2.waitDisconnectPacket(), qPrintable(texts(m2.events)));
    QVERIFY(!m2.client.closed);
    // With close: the whole connection of every socket in "src" (m1 on A) goes.
    nsp->to(u"src"_qs).disconnectSockets(true);
    QVERIFY(m1.client.waitClosed());
    const Fetched left = fetch(BroadcastOperator(nsp));
    QVERIFY(left.done);
    QVERIFY2(left.error.isEmpty(), qPrintable(left.error));
    QCOMPARE(sorted(idsOf(left.sockets)), sorted({sender.id, other.id}));
    QVERIFY(!sender.client.closed);
    QVERIFY(!other.client.closed);
    QVERIFY(!m2.client.closed);
}

void TestCluster::fetchSocketsAcrossNodes()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"fetch-a"_qs, u"fetch-b"_qs}, true), qPrintable(f.error));
    Peer a1(f.node(0).engineUrl());
    Peer b1(f.node(1).engineUrl()), b2(f.node(1).engineUrl());
    Peer local(engineUrl(*f.inproc));
    QVERIFY(a1.connect(R"({"token":"ta","user":"ua"})"));
    QVERIFY(b1.connect(R"({"token":"tb","user":"ub"})"));
    QVERIFY(b2.connect());
    QVERIFY(local.connect());
    JOIN_OK(a1, u"x"_qs);
    JOIN_OK(b1, (QVariantList{u"x"_qs, u"y"_qs}));
    JOIN_OK(local, u"x"_qs);
    Namespace *nsp = f.inproc->server()->of(kRoot);

    const Fetched all = fetch(BroadcastOperator(nsp));
    QVERIFY(all.done);
    QVERIFY2(all.error.isEmpty(), qPrintable(all.error));
    QCOMPARE(all.sockets.size(), 4); // each socket once
    QCOMPARE(sorted(idsOf(all.sockets)), sorted({a1.id, b1.id, b2.id, local.id}));
    const QHash<QString, QSet<QString>> rooms{{a1.id, {a1.id, u"x"_qs}},
                                              {b1.id, {b1.id, u"x"_qs, u"y"_qs}},
                                              {b2.id, {b2.id}},
                                              {local.id, {local.id, u"x"_qs}}};
    // Other nodes name a credential but never publish its value; other fields pass.
    const QHash<QString, QString> tokens{{a1.id, u"[redacted]"_qs}, {b1.id, u"[redacted]"_qs}};
    const QHash<QString, QString> users{{a1.id, u"ua"_qs}, {b1.id, u"ub"_qs}};
    for (const RemoteSocket &socket : all.sockets) {
        QCOMPARE(sorted(stringSet(socket.rooms)), sorted(rooms.value(socket.id)));
        QCOMPARE(socket.handshake.value(u"address"_qs).toString(), u"127.0.0.1");
        QCOMPARE(socket.handshake.value(u"auth"_qs).toMap().value(u"token"_qs).toString(),
                 tokens.value(socket.id));
        QCOMPARE(socket.handshake.value(u"auth"_qs).toMap().value(u"user"_qs).toString(),
                 users.value(socket.id));
        QCOMPARE(socket.handshake.value(u"query"_qs).toMap().value(u"transport"_qs).toString(),
                 u"websocket");
    }

    const Fetched inY = fetch(nsp->to(u"y"_qs));
    QVERIFY2(inY.done && inY.error.isEmpty(), qPrintable(inY.error));
    QCOMPARE(sorted(idsOf(inY.sockets)), sorted({b1.id}));
    const Fetched inX = fetch(nsp->to(u"x"_qs));
    QVERIFY2(inX.done && inX.error.isEmpty(), qPrintable(inX.error));
    QCOMPARE(sorted(idsOf(inX.sockets)), sorted({a1.id, b1.id, local.id}));
    const Fetched notX = fetch(nsp->except(u"x"_qs));
    QVERIFY2(notX.done && notX.error.isEmpty(), qPrintable(notX.error));
    QCOMPARE(sorted(idsOf(notX.sockets)), sorted({b2.id}));
}

void TestCluster::serverSideEmitWithAck()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"who-a"_qs, u"who-b"_qs, u"who-c"_qs}, true), qPrintable(f.error));
    struct State
    {
        bool done = false;
        QString error;
        QVariantList responses;
    };
    auto state = std::make_shared<State>();
    QVERIFY(f.inproc->server()->of(kRoot)->serverSideEmitWithAck(
        u"switchboard:whois"_qs, {}, [state](const QString &error, const QVariantList &responses) {
            state->done = true;
            state->error = error;
            state->responses = responses;
        }));
    QVERIFY(QTest::qWaitFor([&] { return state->done; }, 8000));
    QVERIFY2(state->error.isEmpty(), qPrintable(state->error));
    QCOMPARE(state->responses.size(), 3); // one per node process

    QHash<QString, QVariantMap> byName;
    for (const QVariant &response : std::as_const(state->responses)) {
        const QVariantMap map = response.toMap();
        byName.insert(map.value(u"name"_qs).toString(), map);
    }
    QSet<QString> uids;
    for (int i = 0; i < 3; ++i) {
        NodeProcess &node = f.node(i);
        QVERIFY2(byName.contains(node.name()), qPrintable(toJson(state->responses)));
        const QVariantMap whois = byName.value(node.name());
        QCOMPARE(whois.value(u"pid"_qs).toLongLong(), node.pid());
        QCOMPARE(whois.value(u"uid"_qs).toString(), f.uid(i));
        QCOMPARE(whois.value(u"uid"_qs).toString().size(), 6);
        uids.insert(whois.value(u"uid"_qs).toString());
    }
    QCOMPARE(uids.size(), 3);
    QVERIFY(!uids.contains(f.inproc->cluster()->uid()));
}

void TestCluster::broadcastWithAcks()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"ack-a"_qs, u"ack-b"_qs, u"ack-c"_qs}, true), qPrintable(f.error));
    Peer a(f.node(0).engineUrl()), a2(f.node(0).engineUrl());
    Peer b(f.node(1).engineUrl()), c(f.node(2).engineUrl());
    for (Peer *peer : {&a, &a2, &b, &c}) {
        QVERIFY(peer->connect());
        JOIN_OK(*peer, u"room"_qs);
    }
    const QList<std::pair<Peer *, QString>> answering{
        {&a2, u"a2"_qs}, {&b, u"b"_qs}, {&c, u"c"_qs}};
    auto request = [](const QString &round) {
        return QVariantMap{{u"to"_qs, u"room"_qs},
                           {u"event"_qs, u"q"_qs},
                           {u"ack"_qs, true},
                           {u"timeout"_qs, 2000},
                           {u"data"_qs, round}};
    };
    auto isQuestion = [](const QString &round) {
        return [round](const Frame &frame) {
            return frame.event() == u"q" && frame.id >= 0 &&
                   frame.payload().value(u"data"_qs).toString() == round;
        };
    };

    // Round 1: every recipient on A, B and C answers.
    qint64 ackId = a.emitWithAck(u"send"_qs, request(u"round-1"_qs));
    for (const auto &[peer, name] : answering) {
        const std::optional<Frame> question = peer->waitEvent(isQuestion(u"round-1"_qs));
        QVERIFY2(question, qPrintable(name + u": "_qs + texts(peer->events)));
        QCOMPARE(question->payload().value(u"from"_qs).toString(), a.id);
        peer->answer(*question, {QStringLiteral("ans-") + name});
    }
    std::optional<QVariant> reply = a.ackOf(ackId, 5000);
    QVERIFY2(reply, "the sender got no ack");
    QVariantMap map = reply->toMap();
    QVERIFY2(isOk(map), acked(map).constData());
    QCOMPARE(map.value(u"replies"_qs).toList().size(), 3);
    QCOMPARE(sorted(stringSet(map.value(u"replies"_qs).toList())),
             sorted({u"ans-a2"_qs, u"ans-b"_qs, u"ans-c"_qs}));
    a.pump();
    QVERIFY2(!a.waitEvent(isQuestion(u"round-1"_qs), 0), "the sender was asked too");

    // Round 2: c stays silent; after the timeout the sender gets the replies that came.
    ackId = a.emitWithAck(u"send"_qs, request(u"round-2"_qs));
    for (const auto &[peer, name] : answering) {
        const std::optional<Frame> question = peer->waitEvent(isQuestion(u"round-2"_qs));
        QVERIFY2(question, qPrintable(name + u": "_qs + texts(peer->events)));
        if (peer != &c)
            peer->answer(*question, {QStringLiteral("ans2-") + name});
    }
    reply = a.ackOf(ackId, 6000);
    QVERIFY2(reply, "the sender got no ack after the timeout");
    map = reply->toMap();
    QVERIFY2(!isOk(map), acked(map).constData());
    QCOMPARE(map.value(u"error"_qs).toString(), u"operation has timed out");
    QCOMPARE(sorted(stringSet(map.value(u"replies"_qs).toList())),
             sorted({u"ans2-a2"_qs, u"ans2-b"_qs}));
    QCOMPARE(map.value(u"replies"_qs).toList().size(), 2);

    // Round 3: the C++ API of the in-process node collects every client of the cluster.
    struct State
    {
        bool done = false;
        QString error;
        QVariantList responses;
    };
    auto state = std::make_shared<State>();
    QVERIFY(f.inproc->server()
                ->of(kRoot)
                ->to(u"room"_qs)
                .emitWithAck(
                    u"q"_qs, {u"round-3"_qs},
                    [state](const QString &error, const QVariantList &responses) {
                        state->done = true;
                        state->error = error;
                        state->responses = responses;
                    },
                    4000));
    const QList<std::pair<Peer *, QString>> everyone{
        {&a, u"a"_qs}, {&a2, u"a2"_qs}, {&b, u"b"_qs}, {&c, u"c"_qs}};
    for (const auto &[peer, name] : everyone) {
        const std::optional<Frame> question = peer->waitEvent([](const Frame &frame) {
            return frame.event() == u"q" && frame.data.value(1).toString() == u"round-3";
        });
        QVERIFY2(question, qPrintable(name + u": "_qs + texts(peer->events)));
        QVERIFY2(question->id >= 0, qPrintable(question->text));
        peer->answer(*question, {QStringLiteral("ans3-") + name});
    }
    QVERIFY(QTest::qWaitFor([&] { return state->done; }, 6000));
    QVERIFY2(state->error.isEmpty(), qPrintable(state->error + u' ' + toJson(state->responses)));
    QCOMPARE(sorted(stringSet(state->responses)),
             sorted({u"ans3-a"_qs, u"ans3-a2"_qs, u"ans3-b"_qs, u"ans3-c"_qs}));
    QCOMPARE(state->responses.size(), 4);
}

void TestCluster::serverCountFollowsMembers()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"count-a"_qs, u"count-b"_qs}, true), qPrintable(f.error));
    const Namespace *nsp = f.inproc->server()->of(kRoot);
    QCOMPARE(serverCount(nsp), 3);
    NodeProcess *third = f.addNode(u"count-c"_qs);
    QVERIFY2(third, qPrintable(f.error));
    QCOMPARE(serverCount(nsp), 4);
    QVERIFY(third->kill());
    QTRY_COMPARE_WITH_TIMEOUT(serverCount(nsp), 3, 5000);
}

void TestCluster::presenceAnnounced()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"pres-a"_qs, u"pres-b"_qs}), qPrintable(f.error));
    ChannelWatch watch(f.redis.url(), {kPresenceChannel});
    QVERIFY(watch.start());
    const QStringList uids{f.uid(0), f.uid(1)};
    QVERIFY(!uids.at(0).isEmpty() && !uids.at(1).isEmpty());

    const bool enough = QTest::qWaitFor(
        [&] {
            return presenceOf(watch, uids.at(0)).size() >= 4 &&
                   presenceOf(watch, uids.at(1)).size() >= 4;
        },
        8000);
    QVERIFY2(enough, qPrintable(QStringLiteral("records: %1 from %2, %3 from %4")
                                    .arg(presenceOf(watch, uids.at(0)).size())
                                    .arg(uids.at(0))
                                    .arg(presenceOf(watch, uids.at(1)).size())
                                    .arg(uids.at(1))));
    for (int i = 0; i < 2; ++i) {
        NodeProcess &node = f.node(i);
        QList<qint64> arrivals;
        const QList<cluster::NodePresence> records = presenceOf(watch, uids.at(i), &arrivals);
        for (const cluster::NodePresence &record : records) {
            QCOMPARE(record.name, node.name());
            QCOMPARE(record.pid, node.pid());
            QCOMPARE(record.address, QStringLiteral("127.0.0.1:%1").arg(node.port()));
            QCOMPARE(record.intervalMs, 1000);
            QVERIFY(!record.leaving);
        }
        // At least once a second (with slack for a busy machine).
        for (qsizetype k = 1; k < arrivals.size(); ++k)
            QVERIFY2(arrivals.at(k) - arrivals.at(k - 1) <= 2500,
                     qPrintable(QStringLiteral("%1: %2 ms between two records")
                                    .arg(node.name())
                                    .arg(arrivals.at(k) - arrivals.at(k - 1))));

        // The key: the same record, with a TTL of at most 5 s.
        const redis::Reply value =
            call(*f.probe, {QByteArrayLiteral("GET"), presenceKey(uids.at(i))});
        QCOMPARE(int(value.type), int(redis::Reply::Type::String));
        const auto stored = cluster::decodePresence(value.string);
        QVERIFY2(stored, value.string.constData());
        QCOMPARE(stored->name, node.name());
        QCOMPARE(stored->uid, uids.at(i));
        QCOMPARE(stored->pid, node.pid());
        const redis::Reply ttl =
            call(*f.probe, {QByteArrayLiteral("PTTL"), presenceKey(uids.at(i))});
        QVERIFY2(ttl.integer > 0 && ttl.integer <= 5000, QByteArray::number(ttl.integer));
    }
    // Only the two nodes announce.
    QSet<QString> seen;
    for (const ChannelWatch::Message &message : std::as_const(watch.messages))
        if (const auto record = cluster::decodePresence(message.payload))
            seen.insert(record->uid);
        else
            QFAIL(
                qPrintable(u"malformed presence record: "_qs + QString::fromUtf8(message.payload)));
    QCOMPARE(sorted(seen), sorted(stringSet(uids)));
}

void TestCluster::presenceAfterKillAndShutdown()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"life-a"_qs, u"life-b"_qs}), qPrintable(f.error));
    ChannelWatch watch(f.redis.url(), {kPresenceChannel});
    QVERIFY(watch.start());
    const QString uidA = f.uid(0), uidB = f.uid(1);
    QVERIFY(!uidA.isEmpty() && !uidB.isEmpty());
    QVERIFY(QTest::qWaitFor(
        [&] { return f.exists(presenceKey(uidA)) && f.exists(presenceKey(uidB)); }, 3000));

    // SIGKILL: no goodbye; the key expires within its TTL (5 s).
    QElapsedTimer sinceKill;
    QVERIFY(f.node(1).kill());
    sinceKill.start();
    QVERIFY2(QTest::qWaitFor([&] { return !f.exists(presenceKey(uidB)); }, 7000),
             "the key of a killed node did not expire");
    QVERIFY2(sinceKill.elapsed() <= 6000, QByteArray::number(sinceKill.elapsed()));
    for (const cluster::NodePresence &record : presenceOf(watch, uidB))
        QVERIFY2(!record.leaving, "a killed node cannot have said goodbye");
    QVERIFY(f.exists(presenceKey(uidA)));

    // SIGTERM: a last record with leaving: true, and the key goes at once.
    QVERIFY(f.node(0).terminate());
    QCOMPARE(f.node(0).exitStatus(), QProcess::NormalExit);
    QCOMPARE(f.node(0).exitCode(), 0);
    const auto leavingRecord = [&]() -> std::optional<cluster::NodePresence> {
        for (const cluster::NodePresence &record : presenceOf(watch, uidA))
            if (record.leaving)
                return record;
        return std::nullopt;
    };
    QVERIFY2(QTest::qWaitFor([&] { return leavingRecord().has_value(); }, 3000),
             "no record with leaving: true after SIGTERM");
    QCOMPARE(leavingRecord()->name, u"life-a");
    QCOMPARE(leavingRecord()->pid, f.node(0).pid());
    QVERIFY2(QTest::qWaitFor([&] { return !f.exists(presenceKey(uidA)); }, 1500),
             "the key of a node that shut down cleanly was not deleted");
}

void TestCluster::socketEventsStream()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"events-a"_qs, u"events-b"_qs}), qPrintable(f.error));
    ChannelWatch watch(f.redis.url(), {kEventsChannel});
    QVERIFY(watch.start());
    const QString uidA = f.uid(0), uidB = f.uid(1);

    Peer a(f.node(0).engineUrl());
    QVERIFY(a.connect(R"({"token":"secret"})"));
    JOIN_OK(a, u"lobby"_qs);
    const QVariantMap left = a.leave(u"lobby"_qs);
    QVERIFY2(isOk(left), acked(left).constData());
    a.client.send(QStringLiteral("41"));

    Peer b(f.node(1).engineUrl(), kChat);
    QVERIFY(b.connect());
    JOIN_OK(b, u"x"_qs);
    b.client.socket().close();

    using Kind = cluster::SocketEvent::Kind;
    const auto ended = [](const QList<cluster::SocketEvent> &events) {
        return !events.isEmpty() && events.last().kind == Kind::Disconnect;
    };
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     return ended(socketEventsOf(watch, uidA)) &&
                            ended(socketEventsOf(watch, uidB));
                 },
                 5000),
             qPrintable(u"A: "_qs + describe(socketEventsOf(watch, uidA)) + u"\nB: "_qs +
                        describe(socketEventsOf(watch, uidB))));

    const QList<cluster::SocketEvent> onA = socketEventsOf(watch, uidA);
    QCOMPARE(describe(onA),
             QStringList({u"connect / "_qs + a.id, u"join / "_qs + a.id + u" room=lobby"_qs,
                          u"leave / "_qs + a.id + u" room=lobby"_qs,
                          u"disconnect / "_qs + a.id + u" reason=client namespace disconnect"_qs})
                 .join(u" | "));
    const cluster::SocketRecord &record = onA.first().socket;
    QCOMPARE(record.id, a.id);
    QCOMPARE(record.nsp, kRoot);
    QCOMPARE(record.address, u"127.0.0.1");
    QCOMPARE(record.authKeys, QStringList{u"token"_qs});
    QVERIFY2(record.rooms.isEmpty(), qPrintable(record.rooms.join(u',')));

    // On B: connect, join, (a leave of x on the way out is acceptable), disconnect.
    QList<cluster::SocketEvent> onB = socketEventsOf(watch, uidB);
    if (onB.size() == 4 && onB.at(2).kind == Kind::Leave && onB.at(2).room == u"x")
        onB.removeAt(2);
    QCOMPARE(describe(onB),
             QStringList({u"connect /chat "_qs + b.id, u"join /chat "_qs + b.id + u" room=x"_qs,
                          u"disconnect /chat "_qs + b.id + u" reason=transport close"_qs})
                 .join(u" | "));
    QCOMPARE(onB.first().socket.nsp, kChat);

    // docs/cluster-protocol.md, "Socket record": the path the client asked for, no scheme,
    // host or query.
    QCOMPARE(record.url, u"/socket.io/");
}

void TestCluster::listSockets()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"list-a"_qs, u"list-b"_qs}), qPrintable(f.error));
    const QString uidA = f.uid(0), uidB = f.uid(1);
    Peer a1(f.node(0).engineUrl()), a2(f.node(0).engineUrl(), kChat);
    Peer b1(f.node(1).engineUrl());
    QVERIFY(a1.connect(R"({"token":"t","user":"u"})"));
    QVERIFY(a2.connect());
    QVERIFY(b1.connect());
    JOIN_OK(a1, u"lobby"_qs);

    const QByteArray all = "req-all-1", chat = "req-chat-1";
    ChannelWatch watch(f.redis.url(), {"socket.io-switchboard#response#" + all + '#',
                                       "socket.io-switchboard#response#" + chat + '#'});
    QVERIFY(watch.start());

    // Pages of one request, per node uid, once every node sent its last page.
    const auto pages = [&](const QString &requestId) {
        QHash<QString, QList<cluster::SocketListPage>> byUid;
        for (const ChannelWatch::Message &message : std::as_const(watch.messages)) {
            const auto page = cluster::decodeSocketListPage(message.payload);
            if (page && page->requestId == requestId)
                byUid[page->uid] << *page;
        }
        return byUid;
    };
    const auto complete = [&](const QString &requestId) {
        const auto byUid = pages(requestId);
        for (const QString &uid : {uidA, uidB})
            if (byUid.value(uid).isEmpty() || !byUid.value(uid).last().last)
                return false;
        return true;
    };
    const auto listed = [&](const QString &requestId, const QString &uid) {
        QHash<QString, cluster::SocketRecord> records;
        const QList<cluster::SocketListPage> nodePages = pages(requestId).value(uid);
        for (qsizetype seq = 0; seq < nodePages.size(); ++seq) {
            if (nodePages.at(seq).seq != seq)
                qWarning("page %lld of %s came as seq %d", static_cast<long long>(seq),
                         qPrintable(uid), nodePages.at(seq).seq);
            for (const cluster::SocketRecord &record : nodePages.at(seq).sockets)
                records.insert(record.id, record);
        }
        return records;
    };

    redis::Reply published =
        call(*f.probe, {QByteArrayLiteral("PUBLISH"), kControlChannel,
                        R"({"type":"list-sockets","requestId":")" + all + R"("})"});
    QCOMPARE(published.integer, qint64(2)); // both nodes listen
    QVERIFY2(
        QTest::qWaitFor([&] { return complete(QString::fromUtf8(all)); }, 5000),
        qPrintable(
            QStringLiteral("pages from %1 node(s)").arg(pages(QString::fromUtf8(all)).size())));
    QCOMPARE(pages(QString::fromUtf8(all)).size(), 2);
    QCOMPARE(pages(QString::fromUtf8(all)).value(uidA).first().name, u"list-a");
    QCOMPARE(pages(QString::fromUtf8(all)).value(uidB).first().name, u"list-b");
    const auto onA = listed(QString::fromUtf8(all), uidA);
    const auto onB = listed(QString::fromUtf8(all), uidB);
    QCOMPARE(sorted(QSet<QString>(onA.keyBegin(), onA.keyEnd())), sorted({a1.id, a2.id}));
    QCOMPARE(sorted(QSet<QString>(onB.keyBegin(), onB.keyEnd())), sorted({b1.id}));
    const cluster::SocketRecord first = onA.value(a1.id);
    QCOMPARE(first.nsp, kRoot);
    QCOMPARE(first.rooms, QStringList{u"lobby"_qs});
    QCOMPARE(first.address, u"127.0.0.1");
    QCOMPARE(sorted(stringSet(first.authKeys)), sorted({u"token"_qs, u"user"_qs}));
    QCOMPARE(onA.value(a2.id).nsp, kChat);
    QCOMPARE(onB.value(b1.id).nsp, kRoot);

    // Restricted to /chat: A lists a2, B answers with an empty last page.
    published =
        call(*f.probe, {QByteArrayLiteral("PUBLISH"), kControlChannel,
                        R"({"type":"list-sockets","requestId":")" + chat + R"(","nsp":"/chat"})"});
    QCOMPARE(published.integer, qint64(2));
    QVERIFY(QTest::qWaitFor([&] { return complete(QString::fromUtf8(chat)); }, 5000));
    const auto chatA = listed(QString::fromUtf8(chat), uidA);
    QCOMPARE(sorted(QSet<QString>(chatA.keyBegin(), chatA.keyEnd())), sorted({a2.id}));
    QVERIFY(listed(QString::fromUtf8(chat), uidB).isEmpty());
}

void TestCluster::redisRestart()
{
    ClusterFixture f;
    QVERIFY2(f.start({u"restart-a"_qs, u"restart-b"_qs}), qPrintable(f.error));
    NodeProcess &nodeA = f.node(0);
    NodeProcess &nodeB = f.node(1);
    const qint64 pidA = nodeA.pid(), pidB = nodeB.pid();
    Peer a(nodeA.engineUrl()), b(nodeB.engineUrl());
    QVERIFY(a.connect());
    QVERIFY(b.connect());
    JOIN_OK(a, u"r"_qs);
    JOIN_OK(b, u"r"_qs);
    SEND_OK(a, sendTo(u"r"_qs, u"before"_qs));
    QVERIFY(b.waitEvent([](const Frame &frame) {
        return frame.payload().value(u"data"_qs).toString() == u"before";
    }));

    // Redis goes away: the node notices, keeps serving its clients, counts what it loses.
    QVERIFY(f.redis.stop());
    QJsonObject health;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     health = nodeA.health();
                     return health.value(u"status").toString() == u"degraded";
                 },
                 5000),
             QJsonDocument(health).toJson().constData());
    const QVariantMap whileDown = a.send(sendTo(u"r"_qs, u"while-down"_qs));
    QVERIFY2(isOk(whileDown), acked(whileDown).constData());
    QVERIFY(nodeA.isRunning());
    QCOMPARE(nodeA.currentPid(), pidA);
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     health = nodeA.health();
                     return health.value(u"cluster").toObject().value(u"publishFailures").toInt() >
                            0;
                 },
                 3000),
             QJsonDocument(health).toJson().constData());
    QCOMPARE(health.value(u"status").toString(), u"degraded");
    QVERIFY2(QTest::qWaitFor([&] { return nodeA.log().contains("could not publish"); }, 3000),
             qPrintable(nodeA.logTail()));

    // Redis comes back on the same port: within 5 s a cross-node message gets through again.
    QVERIFY2(f.redis.restart(), qPrintable(f.redis.error()));
    QElapsedTimer sinceRestart;
    sinceRestart.start();
    bool delivered = false;
    int attempts = 0;
    while (!delivered && sinceRestart.elapsed() < 5000) {
        a.emitEvent(u"send"_qs, sendTo(u"r"_qs, QStringLiteral("after-%1").arg(attempts++)));
        delivered =
            b.waitEvent(
                 [](const Frame &frame) {
                     return frame.payload().value(u"data"_qs).toString().startsWith(u"after-");
                 },
                 200)
                .has_value();
    }
    QVERIFY2(delivered, qPrintable(QStringLiteral("nothing delivered %1 ms after the restart (%2 "
                                                  "attempts)\nA: %3\nB: %4")
                                       .arg(sinceRestart.elapsed())
                                       .arg(attempts)
                                       .arg(nodeA.logTail(15), nodeB.logTail(15))));

    // The gap is reported, and the nodes are healthy again, in the same processes.
    for (NodeProcess *node : {&nodeA, &nodeB}) {
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         health = node->health();
                         const QJsonObject cluster = health.value(u"cluster").toObject();
                         return health.value(u"status").toString() == u"ok" &&
                                cluster.value(u"subscriptionGaps").toInt() >= 1;
                     },
                     5000),
                 qPrintable(node->name() + u": "_qs +
                            QString::fromUtf8(QJsonDocument(health).toJson())));
        QVERIFY(node->isRunning());
    }
    QCOMPARE(nodeA.currentPid(), pidA);
    QCOMPARE(nodeB.currentPid(), pidB);
    QCOMPARE(qint64(nodeA.health().value(u"pid").toInteger()), pidA);
    QCOMPARE(qint64(nodeB.health().value(u"pid").toInteger()), pidB);
}

QTEST_GUILESS_MAIN(TestCluster)
#include "tst_cluster.moc"
