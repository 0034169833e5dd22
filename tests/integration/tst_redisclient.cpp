// The Redis client against a real redis-server: replies, auth, databases, unix sockets,
// pub/sub, timeouts, Redis going away and coming back, and deletion from inside callbacks.
#include "rediscall.h"
#include "redisserver.h"

#include "switchboard/redisclient.h"
#include "switchboard/redissubscriber.h"

#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <memory>
#include <optional>

using switchboard::redis::Connection;
using switchboard::redis::Options;
using switchboard::redis::Reply;
using switchboard::redis::Subscriber;
using switchboard::redis::Url;

namespace {

Reply status(const char *text)
{
    Reply reply;
    reply.type = Reply::Type::Status;
    reply.string = text;
    return reply;
}

Reply string(const QByteArray &bytes)
{
    Reply reply;
    reply.type = Reply::Type::String;
    reply.string = bytes;
    return reply;
}

Reply integer(qint64 value)
{
    Reply reply;
    reply.type = Reply::Type::Integer;
    reply.integer = value;
    return reply;
}

QByteArray describe(const Reply &reply)
{
    static const char *const types[] = {"Nil", "Status", "Error", "Integer", "String", "Array"};
    QByteArray text = QByteArray("Reply(") + types[int(reply.type)];
    if (reply.type == Reply::Type::Integer)
        text += ", " + QByteArray::number(reply.integer);
    else if (reply.type == Reply::Type::Array)
        text += ", " + QByteArray::number(reply.elements.size()) + " elements";
    else if (reply.type != Reply::Type::Nil)
        text += ", \"" + reply.string.left(200).toPercentEncoding(" :.*()") + '"';
    return text + ')';
}

bool same(const Reply &a, const Reply &b)
{
    if (a.type != b.type || a.string != b.string || a.integer != b.integer ||
        a.elements.size() != b.elements.size())
        return false;
    for (qsizetype i = 0; i < a.elements.size(); ++i) {
        if (!same(a.elements.at(i), b.elements.at(i)))
            return false;
    }
    return true;
}

QByteArray allBytes()
{
    QByteArray bytes;
    for (int i = 0; i < 256; ++i)
        bytes += char(i);
    return bytes;
}

// Started and connected, or null (with a warning) if it did not connect within 5 s.
template <typename Client>
std::unique_ptr<Client> connectedClient(const QString &url, const Options &options = {},
                                        const std::function<void(Client &)> &before = {})
{
    auto client = std::make_unique<Client>(parseUrl(url), options);
    if (before)
        before(*client);
    QSignalSpy connected(client.get(), &Client::connected);
    client->start();
    if (!connected.wait(5000)) {
        qWarning("%s did not connect: %s", qPrintable(url), qPrintable(client->lastError()));
        return nullptr;
    }
    return client;
}

// Accepts TCP connections and never says a word: a Redis that hangs.
class SilentServer : public QTcpServer
{
public:
    SilentServer()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = nextPendingConnection()) {
                socket->setParent(this);
                ++accepted;
            }
        });
    }
    int accepted = 0;
};

} // namespace

#define QCOMPARE_REPLY(actual, expected)                                                           \
    do {                                                                                           \
        const Reply actualReply = (actual);                                                        \
        const Reply expectedReply = (expected);                                                    \
        QVERIFY2(same(actualReply, expectedReply),                                                 \
                 (describe(actualReply) + " instead of " + describe(expectedReply)).constData());  \
    } while (false)

class TestRedisClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void binarySafeValues();
    void replyTypes();
    void pipelinedOrder();
    void largeValue();
    void lastRoundTrip();
    void refusedCommands();
    void clientName();
    void passwordAuth();
    void aclUserAuth();
    void selectDb();
    void unixSocket();
    void publishSubscribe();
    void unsubscribe();
    void subscribeWhileConnected();
    void unsubscribeDropsMessagesInFlight();
    void commandsWhileDown();
    void connectTimeout();
    void commandTimeout();
    void reconnectAfterRestart();
    void deleteConnectionInReplyCallback();
    void deleteConnectionInSignals();
    void deleteSubscriberInMessageHandler();
    void deleteAtAnyMoment();
    void stopStart();
    void subscriberStopStart();

private:
    std::unique_ptr<RedisServer> m_redis; // shared by the tests that need nothing special
};

void TestRedisClient::initTestCase()
{
    QVERIFY2(!RedisServer::executable().isEmpty(),
             "redis-server not found: install Debian's redis-server package");
    m_redis = std::make_unique<RedisServer>();
    QVERIFY2(m_redis->start(), qPrintable(m_redis->error()));
}

void TestRedisClient::cleanupTestCase()
{
    m_redis.reset();
}

void TestRedisClient::binarySafeValues()
{
    auto connection = connectedClient<Connection>(m_redis->url());
    QVERIFY(connection);
    const QByteArray key = QByteArray("bin\0key\xff", 8);
    const QByteArray value = allBytes() + allBytes();
    QCOMPARE_REPLY(call(*connection, {"SET", key, value}), status("OK"));
    QCOMPARE_REPLY(call(*connection, {"GET", key}), string(value));
    QCOMPARE_REPLY(call(*connection, {"SET", key, QByteArray()}), status("OK"));
    QCOMPARE_REPLY(call(*connection, {"GET", key}), string(QByteArray()));
    QCOMPARE(call(*connection, {"GET", key}).string.isNull(), false);
}

void TestRedisClient::replyTypes()
{
    auto connection = connectedClient<Connection>(m_redis->url());
    QVERIFY(connection);
    Connection &c = *connection;
    QCOMPARE(call(c, {"DEL", "types:n", "types:l", "types:s"}).type, Reply::Type::Integer);
    QCOMPARE_REPLY(call(c, {"INCRBY", "types:n", "-42"}), integer(-42));
    QCOMPARE_REPLY(call(c, {"GET", "types:missing"}), Reply());
    QCOMPARE_REPLY(call(c, {"SET", "types:s", "v"}), status("OK"));
    QCOMPARE_REPLY(call(c, {"PING"}), status("PONG"));

    QCOMPARE_REPLY(call(c, {"RPUSH", "types:l", "a", "", "c"}), integer(3));
    Reply list;
    list.type = Reply::Type::Array;
    list.elements = {string("a"), string(""), string("c")};
    QCOMPARE_REPLY(call(c, {"LRANGE", "types:l", "0", "-1"}), list);

    Reply withNil;
    withNil.type = Reply::Type::Array;
    withNil.elements = {string("v"), Reply()};
    QCOMPARE_REPLY(call(c, {"MGET", "types:s", "types:missing"}), withNil);

    Reply empty;
    empty.type = Reply::Type::Array;
    QCOMPARE_REPLY(call(c, {"LRANGE", "types:nolist", "0", "-1"}), empty);

    // Nested: SCAN answers [cursor, [keys...]].
    const Reply scan = call(c, {"SCAN", "0", "MATCH", "types:s", "COUNT", "1000"});
    QCOMPARE(scan.type, Reply::Type::Array);
    QCOMPARE(scan.elements.size(), 2);
    QCOMPARE(scan.elements.at(1).type, Reply::Type::Array);

    const Reply wrongType = call(c, {"GET", "types:l"});
    QVERIFY(wrongType.isError());
    QVERIFY2(wrongType.string.startsWith("WRONGTYPE"), wrongType.string);
    const Reply unknown = call(c, {"NOSUCHCOMMAND", "x"});
    QVERIFY(unknown.isError());
    QVERIFY2(unknown.string.contains("unknown command"), unknown.string);
    // An error reply is only that command's failure; the connection carries on.
    QVERIFY(c.isConnected());
    QCOMPARE_REPLY(call(c, {"GET", "types:s"}), string("v"));
}

void TestRedisClient::pipelinedOrder()
{
    auto connection = connectedClient<Connection>(m_redis->url());
    QVERIFY(connection);
    QCOMPARE(call(*connection, {"DEL", "pipeline"}).type, Reply::Type::Integer);
    constexpr int count = 5000;
    QList<qint64> lengths;
    for (int i = 0; i < count; ++i) {
        connection->command({"RPUSH", "pipeline", QByteArray::number(i)},
                            [&lengths](const Reply &reply) { lengths.append(reply.integer); });
    }
    QTRY_COMPARE_WITH_TIMEOUT(lengths.size(), count, 10000);
    for (int i = 0; i < count; ++i)
        QCOMPARE(lengths.at(i), i + 1);
    const Reply last = call(*connection, {"LINDEX", "pipeline", "-1"});
    QCOMPARE_REPLY(last, string(QByteArray::number(count - 1)));
}

void TestRedisClient::largeValue()
{
    // Several reads and writes per command: the notifiers are switched on and off repeatedly.
    auto connection = connectedClient<Connection>(m_redis->url());
    QVERIFY(connection);
    QByteArray big;
    for (int i = 0; i < 8 * 1024; ++i)
        big += allBytes();
    QCOMPARE_REPLY(call(*connection, {"SET", "big", big}), status("OK"));
    QCOMPARE_REPLY(call(*connection, {"GET", "big"}), string(big));
}

void TestRedisClient::lastRoundTrip()
{
    Connection connection(parseUrl(m_redis->url()));
    QCOMPARE(connection.lastRoundTripMs(), -1);
    QSignalSpy connected(&connection, &Connection::connected);
    connection.start();
    QVERIFY(connected.wait(5000));
    QCOMPARE_REPLY(call(connection, {"PING"}), status("PONG"));
    QVERIFY(connection.lastRoundTripMs() >= 0);
}

void TestRedisClient::refusedCommands()
{
    auto connection = connectedClient<Connection>(m_redis->url());
    QVERIFY(connection);
    const QList<QList<QByteArray>> refused = {
        {"SUBSCRIBE", "x"}, {"psubscribe", "x*"},       {"UNSUBSCRIBE"}, {"MONITOR"},
        {"SELECT", "2"},    {"CLIENT", "REPLY", "OFF"}, {"HELLO", "3"},  {}};
    for (const QList<QByteArray> &args : refused) {
        const Reply reply = call(*connection, args);
        QVERIFY2(reply.isError() &&
                     (reply.string.contains("not allowed") || reply.string.contains("empty")),
                 reply.string);
    }
    QVERIFY(connection->isConnected());
    QCOMPARE_REPLY(call(*connection, {"PING"}), status("PONG"));
}

void TestRedisClient::clientName()
{
    Options options;
    options.clientName = "switchboard-test";
    auto connection = connectedClient<Connection>(m_redis->url(), options);
    QVERIFY(connection);
    QCOMPARE_REPLY(call(*connection, {"CLIENT", "GETNAME"}), string("switchboard-test"));
}

void TestRedisClient::passwordAuth()
{
    RedisServer redis({QStringLiteral("--requirepass"), QStringLiteral("s3cret")});
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    const QString good = QStringLiteral("redis://:s3cret@127.0.0.1:%1").arg(redis.port());
    auto connection = connectedClient<Connection>(good);
    QVERIFY(connection);
    QCOMPARE_REPLY(call(*connection, {"SET", "k", "v"}), status("OK"));
    QCOMPARE_REPLY(call(*connection, {"GET", "k"}), string("v"));

    Connection wrong(parseUrl(QStringLiteral("redis://:nope@127.0.0.1:%1").arg(redis.port())));
    QSignalSpy wrongConnected(&wrong, &Connection::connected);
    wrong.start();
    QTRY_VERIFY2(wrong.lastError().contains(QStringLiteral("WRONGPASS")),
                 qPrintable(wrong.lastError()));
    QVERIFY2(wrong.lastError().contains(QStringLiteral("AUTH")), qPrintable(wrong.lastError()));
    const Reply refused = call(wrong, {"GET", "k"});
    QVERIFY(refused.isError());
    QVERIFY2(refused.string.startsWith(
                 QStringLiteral("not connected to Redis at redis://:***@127.0.0.1:%1")
                     .arg(redis.port())
                     .toUtf8()),
             refused.string);
    QVERIFY2(refused.string.contains("WRONGPASS"), refused.string);
    QVERIFY2(!refused.string.contains("nope"), refused.string);
    QVERIFY(!wrongConnected.wait(500)); // it keeps trying, and keeps failing
    QVERIFY(!wrong.isConnected());

    Connection none(parseUrl(redis.url()));
    none.start();
    QTRY_VERIFY2(none.lastError().contains(QStringLiteral("NOAUTH")), qPrintable(none.lastError()));
    QVERIFY(!none.isConnected());
}

void TestRedisClient::aclUserAuth()
{
    // The password holds characters that must be percent-encoded in the URL.
    RedisServer redis({QStringLiteral("--user"), QStringLiteral("alice"), QStringLiteral("on"),
                       QStringLiteral(">p@ss:w/rd"), QStringLiteral("~*"), QStringLiteral("&*"),
                       QStringLiteral("+@all")});
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    auto connection = connectedClient<Connection>(
        QStringLiteral("redis://alice:p%40ss%3Aw%2Frd@127.0.0.1:%1").arg(redis.port()));
    QVERIFY(connection);
    QCOMPARE_REPLY(call(*connection, {"ACL", "WHOAMI"}), string("alice"));

    Connection wrong(
        parseUrl(QStringLiteral("redis://alice:wrong@127.0.0.1:%1").arg(redis.port())));
    wrong.start();
    QTRY_VERIFY2(wrong.lastError().contains(QStringLiteral("WRONGPASS")),
                 qPrintable(wrong.lastError()));
    const Reply refused = call(wrong, {"PING"});
    QVERIFY(refused.isError());
    QVERIFY2(refused.string.startsWith("not connected to Redis at redis://alice:***@"),
             refused.string);

    Connection nobody(parseUrl(QStringLiteral("redis://bob:x@127.0.0.1:%1").arg(redis.port())));
    nobody.start();
    QTRY_VERIFY2(nobody.lastError().contains(QStringLiteral("WRONGPASS")),
                 qPrintable(nobody.lastError()));
    QVERIFY(!nobody.isConnected());
}

void TestRedisClient::selectDb()
{
    auto db0 = connectedClient<Connection>(m_redis->url());
    auto db3 = connectedClient<Connection>(m_redis->url() + QStringLiteral("/3"));
    QVERIFY(db0 && db3);
    QCOMPARE(call(*db0, {"DEL", "dbkey"}).type, Reply::Type::Integer);
    QCOMPARE(call(*db3, {"DEL", "dbkey"}).type, Reply::Type::Integer);
    QCOMPARE_REPLY(call(*db3, {"SET", "dbkey", "three"}), status("OK"));
    QCOMPARE_REPLY(call(*db3, {"GET", "dbkey"}), string("three"));
    QCOMPARE_REPLY(call(*db0, {"GET", "dbkey"}), Reply());
    QVERIFY(call(*db3, {"CLIENT", "INFO"}).string.contains(" db=3 "));

    auto missing = std::make_unique<Connection>(parseUrl(m_redis->url() + QStringLiteral("/999")));
    missing->start();
    QTRY_VERIFY2(missing->lastError().contains(QStringLiteral("SELECT 999")),
                 qPrintable(missing->lastError()));
    QVERIFY(!missing->isConnected());
}

void TestRedisClient::unixSocket()
{
    RedisServer redis({}, RedisServer::UnixSocket::Yes);
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    auto connection = connectedClient<Connection>(redis.unixUrl() + QStringLiteral("?db=2"));
    QVERIFY(connection);
    QCOMPARE_REPLY(call(*connection, {"PING"}), status("PONG"));
    const QByteArray info = call(*connection, {"CLIENT", "INFO"}).string;
    QVERIFY2(info.contains(" db=2 ") && info.contains("redis.sock"), info);

    Subscriber subscriber(parseUrl(redis.unixUrl()));
    subscriber.subscribe("over-unix");
    QSignalSpy connected(&subscriber, &Subscriber::connected);
    QSignalSpy messages(&subscriber, &Subscriber::message);
    subscriber.start();
    QVERIFY(connected.wait(5000));
    QCOMPARE_REPLY(call(*connection, {"PUBLISH", "over-unix", "hi"}), integer(1));
    QTRY_COMPARE(messages.size(), 1);
    QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("hi"));
}

void TestRedisClient::publishSubscribe()
{
    auto publisher = connectedClient<Connection>(m_redis->url());
    QVERIFY(publisher);
    const QByteArray binaryChannel = QByteArray("chan\0\xfe", 6);
    // Subscriptions made before start() take effect on connect.
    auto subscriber = connectedClient<Subscriber>(m_redis->url(), {}, [&](Subscriber &s) {
        s.subscribe("plain");
        s.subscribe(binaryChannel);
        s.psubscribe("news.*");
    });
    QVERIFY(subscriber);
    QVERIFY(subscriber->isConnected());
    QSignalSpy messages(subscriber.get(), &Subscriber::message);
    QSignalSpy pmessages(subscriber.get(), &Subscriber::pmessage);

    const QByteArray payload = allBytes();
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "plain", payload}), integer(1));
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", binaryChannel, "b"}), integer(1));
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "news.sport", payload + "!"}), integer(1));
    QTRY_COMPARE(messages.size(), 2);
    QCOMPARE(messages.at(0).at(0).toByteArray(), QByteArray("plain"));
    QCOMPARE(messages.at(0).at(1).toByteArray(), payload);
    QCOMPARE(messages.at(1).at(0).toByteArray(), binaryChannel);
    QCOMPARE(messages.at(1).at(1).toByteArray(), QByteArray("b"));
    QTRY_COMPARE(pmessages.size(), 1);
    QCOMPARE(pmessages.at(0).at(0).toByteArray(), QByteArray("news.*"));
    QCOMPARE(pmessages.at(0).at(1).toByteArray(), QByteArray("news.sport"));
    QCOMPARE(pmessages.at(0).at(2).toByteArray(), payload + "!");

    // Subscribing twice is one subscription: one receiver, one message.
    subscriber->subscribe("plain");
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "plain", "once"}), integer(1));
    QTRY_COMPARE(messages.size(), 3);
    QVERIFY(!messages.wait(200));
}

void TestRedisClient::unsubscribe()
{
    auto publisher = connectedClient<Connection>(m_redis->url());
    QVERIFY(publisher);
    auto subscriber = connectedClient<Subscriber>(m_redis->url(), {}, [](Subscriber &s) {
        s.subscribe("u1");
        s.subscribe("u2");
        s.psubscribe("up.*");
    });
    QVERIFY(subscriber);
    QSignalSpy messages(subscriber.get(), &Subscriber::message);
    QSignalSpy pmessages(subscriber.get(), &Subscriber::pmessage);

    subscriber->unsubscribe("u1");
    subscriber->punsubscribe("up.*");
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "u1", "x"}).integer, 0);
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "up.x", "x"}).integer, 0);
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "u2", "still"}), integer(1));
    QTRY_COMPARE(messages.size(), 1);
    QCOMPARE(messages.at(0).at(0).toByteArray(), QByteArray("u2"));
    QCOMPARE(pmessages.size(), 0);

    // The last one: hiredis leaves subscribe mode; subscribing again must still work.
    subscriber->unsubscribe("u2");
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "u2", "x"}).integer, 0);
    subscriber->subscribe("u1");
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "u1", "back"}).integer, 1);
    QTRY_VERIFY(!messages.isEmpty() && messages.last().at(1).toByteArray() == "back");
    QCOMPARE(subscriber->channels(), QSet<QByteArray>{"u1"});
    QVERIFY(subscriber->patterns().isEmpty());
    QVERIFY(subscriber->isConnected());
}

void TestRedisClient::subscribeWhileConnected()
{
    auto publisher = connectedClient<Connection>(m_redis->url());
    auto subscriber = connectedClient<Subscriber>(m_redis->url());
    QVERIFY(publisher && subscriber);
    QSignalSpy messages(subscriber.get(), &Subscriber::message);
    QSignalSpy pmessages(subscriber.get(), &Subscriber::pmessage);
    subscriber->subscribe("late");
    subscriber->psubscribe("late.*");
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "late", "1"}).integer, 1);
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "late.x", "2"}).integer, 1);
    QTRY_VERIFY(messages.size() >= 1 && pmessages.size() >= 1);
    // Unsubscribe then subscribe again before the confirmations arrive.
    subscriber->unsubscribe("late");
    subscriber->subscribe("late");
    subscriber->unsubscribe("late");
    subscriber->subscribe("late");
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "late", "3"}), integer(1));
    QTRY_VERIFY(messages.last().at(1).toByteArray() == "3");
    QVERIFY(subscriber->isConnected());
}

void TestRedisClient::unsubscribeDropsMessagesInFlight()
{
    auto publisher = connectedClient<Connection>(m_redis->url());
    auto subscriber = connectedClient<Subscriber>(m_redis->url(), {}, [](Subscriber &s) {
        s.subscribe("flood");
        s.psubscribe("flood.*");
    });
    QVERIFY(publisher && subscriber);
    int messages = 0;
    int pmessages = 0;
    connect(subscriber.get(), &Subscriber::message, this, [&] {
        ++messages;
        subscriber->unsubscribe("flood");
    });
    connect(subscriber.get(), &Subscriber::pmessage, this, [&] {
        ++pmessages;
        subscriber->punsubscribe("flood.*");
    });
    for (int i = 0; i < 50; ++i) {
        publisher->command({"PUBLISH", "flood", QByteArray::number(i)});
        publisher->command({"PUBLISH", "flood.x", QByteArray::number(i)});
    }
    QCOMPARE(call(*publisher, {"PING"}).string, QByteArray("PONG"));
    QTRY_VERIFY(messages == 1 && pmessages == 1);
    QVERIFY(!QTest::qWaitFor([&] { return messages > 1 || pmessages > 1; }, 300));
}

void TestRedisClient::commandsWhileDown()
{
    const quint16 closedPort = RedisServer::freePort();
    Connection connection(parseUrl(QStringLiteral("redis://127.0.0.1:%1").arg(closedPort)));

    std::optional<Reply> beforeStart;
    connection.command({"PING"}, [&](const Reply &reply) { beforeStart = reply; });
    QVERIFY(!beforeStart); // queued, never from inside command()
    QTRY_VERIFY(beforeStart.has_value());
    QVERIFY(beforeStart->isError());
    QCOMPARE(beforeStart->string,
             QStringLiteral("not connected to Redis at redis://127.0.0.1:%1 (not started)")
                 .arg(closedPort)
                 .toUtf8());

    QSignalSpy connected(&connection, &Connection::connected);
    connection.start();
    QTRY_VERIFY(!connection.lastError().isEmpty());
    QElapsedTimer clock;
    clock.start();
    std::optional<Reply> whileDown;
    connection.command({"PING"}, [&](const Reply &reply) { whileDown = reply; });
    QVERIFY(!whileDown);
    QTRY_VERIFY_WITH_TIMEOUT(whileDown.has_value(), 1000);
    QVERIFY(clock.elapsed() < 1000);
    QVERIFY(whileDown->isError());
    QVERIFY2(whileDown->string.startsWith(
                 QStringLiteral("not connected to Redis at redis://127.0.0.1:%1 (")
                     .arg(closedPort)
                     .toUtf8()),
             whileDown->string);
    QVERIFY2(whileDown->string.contains("refused"), whileDown->string);
    QCOMPARE(connected.size(), 0);
}

void TestRedisClient::connectTimeout()
{
    SilentServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    Options options;
    options.connectTimeoutMs = 300;
    options.commandTimeoutMs = 500;
    Connection connection(parseUrl(QStringLiteral("redis://127.0.0.1:%1").arg(silent.serverPort())),
                          options);
    QSignalSpy connected(&connection, &Connection::connected);
    connection.start();
    QVERIFY(!connected.wait(1500));
    QVERIFY(!connection.isConnected());
    // Each hanging attempt was abandoned and another one made.
    QVERIFY2(silent.accepted >= 2, qPrintable(QString::number(silent.accepted)));
    QVERIFY2(connection.lastError().contains(QStringLiteral("connect timeout")),
             qPrintable(connection.lastError()));

    QElapsedTimer clock;
    clock.start();
    const Reply reply = call(connection, {"PING"});
    QVERIFY(clock.elapsed() < options.commandTimeoutMs);
    QVERIFY(reply.isError());
    QVERIFY2(reply.string.startsWith("not connected to Redis at"), reply.string);
    QVERIFY2(reply.string.contains("connect timeout"), reply.string);
}

void TestRedisClient::commandTimeout()
{
    RedisServer redis({QStringLiteral("--enable-debug-command"), QStringLiteral("local")});
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    Options options;
    options.commandTimeoutMs = 300;
    options.connectTimeoutMs = 5000; // the reconnect waits for the end of the sleep
    auto connection = connectedClient<Connection>(redis.url(), options);
    QVERIFY(connection);
    QSignalSpy disconnected(connection.get(), &Connection::disconnected);
    QSignalSpy connected(connection.get(), &Connection::connected);

    std::optional<Reply> sleepReply, behindReply;
    QElapsedTimer clock;
    clock.start();
    connection->command({"DEBUG", "SLEEP", "2"}, [&](const Reply &reply) { sleepReply = reply; });
    connection->command({"PING"}, [&](const Reply &reply) { behindReply = reply; });
    QTRY_VERIFY_WITH_TIMEOUT(sleepReply.has_value(), 1500);
    QVERIFY2(clock.elapsed() < 1500, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(sleepReply->isError());
    QVERIFY2(sleepReply->string.contains("command timeout"), sleepReply->string);
    // Every pending command fails with it.
    QTRY_VERIFY(behindReply.has_value());
    QVERIFY2(behindReply->isError() && behindReply->string.contains("command timeout"),
             behindReply->string);
    QTRY_COMPARE(disconnected.size(), 1);
    QVERIFY(disconnected.at(0).at(0).toString().contains(QStringLiteral("command timeout")));

    QTRY_COMPARE_WITH_TIMEOUT(connected.size(), 1, 6000);
    QCOMPARE_REPLY(call(*connection, {"PING"}), status("PONG"));
}

void TestRedisClient::reconnectAfterRestart()
{
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.error()));
    auto connection = connectedClient<Connection>(redis.url());
    auto subscriber = connectedClient<Subscriber>(redis.url(), {}, [](Subscriber &s) {
        s.subscribe("restart");
        s.psubscribe("restart.*");
    });
    QVERIFY(connection && subscriber);
    QSignalSpy connectionDown(connection.get(), &Connection::disconnected);
    QSignalSpy subscriberDown(subscriber.get(), &Subscriber::disconnected);
    QSignalSpy connectionUp(connection.get(), &Connection::connected);
    QSignalSpy subscriberUp(subscriber.get(), &Subscriber::connected);
    QSignalSpy messages(subscriber.get(), &Subscriber::message);
    QSignalSpy pmessages(subscriber.get(), &Subscriber::pmessage);

    QVERIFY(redis.stop());
    QTRY_COMPARE(connectionDown.size(), 1);
    QTRY_COMPARE(subscriberDown.size(), 1);
    QVERIFY(!connection->isConnected());
    QVERIFY(!subscriber->isConnected());
    const Reply down = call(*connection, {"PING"});
    QVERIFY2(down.isError() && down.string.startsWith("not connected to Redis at"), down.string);

    // Down long enough for the backoff to reach its cap.
    QVERIFY(!connectionUp.wait(2000));
    QVERIFY(redis.restart());
    QElapsedTimer clock;
    clock.start();
    QTRY_VERIFY_WITH_TIMEOUT(connection->isConnected() && subscriber->isConnected(), 2500);
    qDebug() << "both reconnected" << clock.elapsed() << "ms after Redis answered again";
    QCOMPARE(connectionUp.size(), 1);
    QCOMPARE(subscriberUp.size(), 1);

    // The earlier subscriptions, without being asked again.
    QCOMPARE_REPLY(call(*connection, {"PUBLISH", "restart", "again"}), integer(1));
    QCOMPARE_REPLY(call(*connection, {"PUBLISH", "restart.x", "again"}), integer(1));
    QTRY_COMPARE(messages.size(), 1);
    QTRY_COMPARE(pmessages.size(), 1);
    QCOMPARE(pmessages.at(0).at(1).toByteArray(), QByteArray("restart.x"));
}

void TestRedisClient::deleteConnectionInReplyCallback()
{
    auto *connection = connectedClient<Connection>(m_redis->url()).release();
    QVERIFY(connection);
    QPointer<Connection> guard(connection);
    int replies = 0;
    for (int i = 0; i < 10; ++i) {
        connection->command({"PING"}, [&](const Reply &) {
            ++replies;
            delete connection;
        });
    }
    QTRY_VERIFY(guard.isNull());
    QVERIFY(!QTest::qWaitFor([&] { return replies > 1; }, 300));
    QCOMPARE(replies, 1);

    // The same with the error reply of a connection that is down.
    auto *down = new Connection(
        parseUrl(QStringLiteral("redis://127.0.0.1:%1").arg(RedisServer::freePort())));
    QPointer<Connection> downGuard(down);
    down->start();
    for (int i = 0; i < 3; ++i)
        down->command({"PING"}, [&down](const Reply &) { delete down; });
    QTRY_VERIFY(downGuard.isNull());
}

void TestRedisClient::deleteConnectionInSignals()
{
    auto *connection = new Connection(parseUrl(m_redis->url()));
    QPointer<Connection> guard(connection);
    bool queued = false;
    connect(connection, &Connection::connected, this, [&] {
        // A command in flight, then the connection goes.
        connection->command({"PING"}, [&](const Reply &) { queued = true; });
        delete connection;
    });
    connection->start();
    QTRY_VERIFY(guard.isNull());
    QVERIFY(!QTest::qWaitFor([&] { return queued; }, 200));

    auto *stopped = connectedClient<Connection>(m_redis->url()).release();
    QVERIFY(stopped);
    QPointer<Connection> stoppedGuard(stopped);
    connect(stopped, &Connection::disconnected, this, [&] { delete stopped; });
    stopped->command({"PING"}, [](const Reply &) {});
    stopped->stop();
    QTRY_VERIFY(stoppedGuard.isNull());
}

void TestRedisClient::deleteSubscriberInMessageHandler()
{
    auto publisher = connectedClient<Connection>(m_redis->url());
    QVERIFY(publisher);
    auto *subscriber = connectedClient<Subscriber>(m_redis->url(), {}, [](Subscriber &s) {
                           s.subscribe("doomed");
                           s.psubscribe("doomed*");
                       }).release();
    QVERIFY(subscriber);
    QPointer<Subscriber> guard(subscriber);
    int received = 0;
    connect(subscriber, &Subscriber::message, this, [&] {
        ++received;
        delete subscriber;
    });
    connect(subscriber, &Subscriber::pmessage, this, [&] { ++received; });
    // Several messages arrive in one read: the first handler deletes the subscriber.
    for (int i = 0; i < 5; ++i)
        publisher->command({"PUBLISH", "doomed", QByteArray::number(i)});
    QTRY_VERIFY(guard.isNull());
    QVERIFY(!QTest::qWaitFor([&] { return received > 1; }, 300));
    QCOMPARE(received, 1);
}

void TestRedisClient::deleteAtAnyMoment()
{
    // Right after start (connecting), with commands in flight, and while waiting to reconnect.
    delete connectedClient<Connection>(m_redis->url()).release();
    {
        Connection connecting(parseUrl(m_redis->url()));
        connecting.start();
    }
    {
        auto busy = connectedClient<Connection>(m_redis->url());
        QVERIFY(busy);
        for (int i = 0; i < 100; ++i)
            busy->command({"INCR", "busy"}, [](const Reply &) { QFAIL("called after delete"); });
    }
    {
        Subscriber subscribing(parseUrl(m_redis->url()));
        subscribing.subscribe("x");
        subscribing.start();
        QVERIFY(QTest::qWaitFor([&] { return subscribing.isConnected(); }, 5000));
        subscribing.subscribe("y");
    }
    {
        Connection waiting(
            parseUrl(QStringLiteral("redis://127.0.0.1:%1").arg(RedisServer::freePort())));
        waiting.start();
        QTRY_VERIFY(!waiting.lastError().isEmpty());
    }
    {
        Connection resolving(parseUrl(QStringLiteral("redis://localhost:%1").arg(m_redis->port())));
        resolving.start();
    }
    auto viaName =
        connectedClient<Connection>(QStringLiteral("redis://localhost:%1").arg(m_redis->port()));
    QVERIFY(viaName);
    QCOMPARE_REPLY(call(*viaName, {"PING"}), status("PONG"));
}

void TestRedisClient::stopStart()
{
    auto connection = connectedClient<Connection>(m_redis->url());
    QVERIFY(connection);
    QSignalSpy disconnected(connection.get(), &Connection::disconnected);
    QSignalSpy connected(connection.get(), &Connection::connected);
    std::optional<Reply> inFlight;
    connection->command({"PING"}, [&](const Reply &reply) { inFlight = reply; });
    connection->stop();
    QVERIFY(!connection->isConnected());
    QVERIFY(!inFlight); // queued, never from inside stop()
    QTRY_VERIFY(inFlight.has_value());
    QVERIFY2(inFlight->isError() && inFlight->string.contains("stopped"), inFlight->string);
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("stopped"));
    const Reply stopped = call(*connection, {"PING"});
    QVERIFY2(stopped.isError() && stopped.string.endsWith("(stopped)"), stopped.string);
    QVERIFY(!connected.wait(300)); // no reconnect after stop()

    connection->start();
    QVERIFY(connected.wait(5000));
    QCOMPARE_REPLY(call(*connection, {"PING"}), status("PONG"));

    // stop() and start() back to back.
    connection->stop();
    connection->start();
    QVERIFY(connected.wait(5000));
    QCOMPARE_REPLY(call(*connection, {"PING"}), status("PONG"));
}

void TestRedisClient::subscriberStopStart()
{
    auto publisher = connectedClient<Connection>(m_redis->url());
    auto subscriber = connectedClient<Subscriber>(m_redis->url(), {},
                                                  [](Subscriber &s) { s.subscribe("stopstart"); });
    QVERIFY(publisher && subscriber);
    QSignalSpy disconnected(subscriber.get(), &Subscriber::disconnected);
    QSignalSpy connected(subscriber.get(), &Subscriber::connected);
    QSignalSpy messages(subscriber.get(), &Subscriber::message);
    subscriber->stop();
    QTRY_COMPARE(disconnected.size(), 1);
    QTRY_COMPARE(call(*publisher, {"PUBLISH", "stopstart", "lost"}).integer, 0);
    subscriber->subscribe("while-stopped");
    subscriber->start();
    QVERIFY(connected.wait(5000));
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "stopstart", "1"}), integer(1));
    QCOMPARE_REPLY(call(*publisher, {"PUBLISH", "while-stopped", "2"}), integer(1));
    QTRY_COMPARE(messages.size(), 2);
    QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("1"));
    QCOMPARE(messages.at(1).at(0).toByteArray(), QByteArray("while-stopped"));
}

QTEST_GUILESS_MAIN(TestRedisClient)
#include "tst_redisclient.moc"
