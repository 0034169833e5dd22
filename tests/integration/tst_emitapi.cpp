// POST /api/emit end to end: a real redis-server, real switchboard-node processes (two in a
// cluster with --api-token, one single node without), raw Socket.IO clients in rooms, and the
// two kinds of backend: raw HTTP (and Debian's curl) and switchboard-emit.
//
// "Nothing else arrived" is checked without sleeping: after the request under test, node A
// (the one the requests go to) emits a fence to the whole namespace through the API. Node A
// publishes both, Redis keeps the order of one publisher's messages, so whatever the request
// under test caused arrives before the fence.
#include "emitcli.h"
#include "httpreply.h"
#include "nodeprocess.h"
#include "peer.h"
#include "rediscall.h"
#include "redisserver.h"

#include "switchboard/json.h"
#include "switchboard/redisclient.h"

#include <QJsonArray>
#include <QStandardPaths>

#include <memory>

using namespace switchboard;
using namespace Qt::StringLiterals;

namespace {

const QByteArray Token = "t0ken-for-tests";
constexpr int MaxPayload = 4096; // node A's --max-payload: the HTTP body limit

QByteArray bearer(const QByteArray &token = Token)
{
    return "Authorization: Bearer " + token + "\r\n";
}

const QByteArray JsonType = "Content-Type: application/json\r\n";

HttpReply post(quint16 port, const QByteArray &body, const QByteArray &headers,
               const QByteArray &path = "/api/emit", const QByteArray &method = "POST")
{
    return HttpReply::parse(httpExchange(
        port, method + ' ' + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: " +
                  QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body));
}

QByteArray jsonOf(const QVariant &value)
{
    return json::serialize(value);
}

} // namespace

class TestEmitApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void deliveredAcrossNodes_data();
    void deliveredAcrossNodes();
    void referenceForm();
    void toSocketId();
    void except();
    void wholeNamespace();
    void namespaceOnAnotherNodeOnly();
    void authorization_data();
    void authorization();
    void badRequest_data();
    void badRequest();
    void tooLarge();
    void methodNotAllowed_data();
    void methodNotAllowed();
    void noTokenNoEndpoint();
    void countsByStatus();
    void twoBackendsRoundRobin();
    void redisDownIsRefused(); // last: it stops Redis

private:
    // A client of `node` in `nsp`, in `room` when one is given.
    std::unique_ptr<Peer> peerOn(NodeProcess &node, const QString &room = {},
                                 const QString &nsp = u"/"_s)
    {
        return joinedPeer(node.engineUrl(), room, nsp);
    }
    HttpReply emit(const QVariantMap &job, const QByteArray &headers = bearer() + JsonType);
    // Emits a fence to every socket of `nsp` through node A; returns what each peer got before
    // it, or an empty optional (with a failure recorded) when one never got the fence.
    std::optional<QList<QList<Frame>>> fence(const QList<Peer *> &peers,
                                             const QString &nsp = u"/"_s);
    QString freshRoom(const QString &label) { return label + u'-' + QString::number(++m_rooms); }
    QJsonObject counts(NodeProcess &node) { return node.health().value(u"emitApi").toObject(); }

    RedisServer m_redis;
    std::unique_ptr<NodeProcess> m_a, m_b, m_single;
    std::unique_ptr<redis::Connection> m_probe;
    int m_rooms = 0;
};

void TestEmitApi::initTestCase()
{
    QVERIFY2(m_redis.start(), qPrintable(m_redis.error()));
    m_a =
        std::make_unique<NodeProcess>(u"api-a"_s, m_redis.url(),
                                      QStringList{u"--api-token"_s, QString::fromUtf8(Token),
                                                  u"--max-payload"_s, QString::number(MaxPayload)});
    m_b = std::make_unique<NodeProcess>(u"api-b"_s, m_redis.url(),
                                        QStringList{u"--api-token"_s, QString::fromUtf8(Token)});
    m_single = std::make_unique<NodeProcess>(u"api-none"_s, QString());
    for (NodeProcess *node : {m_a.get(), m_b.get(), m_single.get()})
        QVERIFY2(node->start(), qPrintable(node->error()));
    m_probe = std::make_unique<redis::Connection>(parseUrl(m_redis.url()));
    m_probe->start();
    QVERIFY(QTest::qWaitFor([this] { return m_probe->isConnected(); }, 5000));
    // Both nodes serve "/" (their pattern subscription goes before this one).
    QTRY_COMPARE_WITH_TIMEOUT(subscribers(*m_probe, "socket.io-request#/#"), 2, 5000);
}

void TestEmitApi::cleanupTestCase()
{
    m_probe.reset();
}

HttpReply TestEmitApi::emit(const QVariantMap &job, const QByteArray &headers)
{
    return post(m_a->port(), jsonOf(job), headers);
}

std::optional<QList<QList<Frame>>> TestEmitApi::fence(const QList<Peer *> &peers,
                                                      const QString &nsp)
{
    const QString event = u"fence-"_s + QString::number(++m_rooms);
    const HttpReply reply = emit({{u"event"_s, event}, {u"nsp"_s, nsp}});
    if (reply.status != 202) {
        qWarning("fence refused: %d %s", reply.status, reply.body.constData());
        return std::nullopt;
    }
    return framesBefore(peers, event);
}

void TestEmitApi::deliveredAcrossNodes_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addRow("application/json") << JsonType;
    QTest::addRow("application/json; charset=utf-8")
        << "Content-Type: application/json; charset=utf-8\r\n"_ba;
    QTest::addRow("no Content-Type") << QByteArray();
}

void TestEmitApi::deliveredAcrossNodes()
{
    QFETCH(QByteArray, contentType);
    const QString room = freshRoom(u"news"_s);
    auto onA = peerOn(*m_a, room);
    auto onB = peerOn(*m_b, room);
    auto outside = peerOn(*m_b);
    QVERIFY(onA && onB && outside);

    const QVariantMap data{{u"text"_s, u"héllo"_s}, {u"n"_s, 1}, {u"list"_s, QVariantList{true}}};
    const HttpReply reply =
        emit({{u"event"_s, u"news"_s}, {u"to"_s, room}, {u"data"_s, data}}, bearer() + contentType);
    QCOMPARE(reply.status, 202);
    QCOMPARE(reply.body, R"({"ok":true})"_ba);
    QCOMPARE(reply.header("content-type"), "application/json"_ba);

    const auto before = fence({onA.get(), onB.get(), outside.get()});
    QVERIFY(before);
    for (int i : {0, 1}) {
        QCOMPARE(before->at(i).size(), 1);
        QCOMPARE(before->at(i).first().data, (QVariantList{u"news"_s, data}));
    }
    QVERIFY2(before->at(2).isEmpty(), qPrintable(frameTexts(before->at(2))));
}

void TestEmitApi::referenceForm()
{
    const QString room = freshRoom(u"ref"_s);
    auto onA = peerOn(*m_a, room);
    auto onB = peerOn(*m_b, room);
    QVERIFY(onA && onB);
    const HttpReply reply = emit({{u"room"_s, room}, {u"message"_s, u"from the backend"_s}});
    QCOMPARE(reply.status, 202);
    const auto before = fence({onA.get(), onB.get()});
    QVERIFY(before);
    for (const QList<Frame> &frames : *before) {
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.first().data, (QVariantList{u"message"_s, u"from the backend"_s}));
    }
}

void TestEmitApi::toSocketId()
{
    const QString room = freshRoom(u"dm"_s);
    auto target = peerOn(*m_b, room);
    auto sameRoom = peerOn(*m_a, room);
    QVERIFY(target && sameRoom);
    QCOMPARE(
        emit({{u"event"_s, u"dm"_s}, {u"to"_s, QVariantList{target->id}}, {u"data"_s, 7}}).status,
        202);
    const auto before = fence({target.get(), sameRoom.get()});
    QVERIFY(before);
    QCOMPARE(before->at(0).size(), 1);
    QCOMPARE(before->at(0).first().data, (QVariantList{u"dm"_s, 7}));
    QVERIFY2(before->at(1).isEmpty(), qPrintable(frameTexts(before->at(1))));
}

void TestEmitApi::except()
{
    const QString room = freshRoom(u"ex"_s);
    const QString muted = freshRoom(u"muted"_s);
    auto kept = peerOn(*m_b, room);
    auto skippedById = peerOn(*m_a, room);
    auto skippedByRoom = peerOn(*m_b, room);
    QVERIFY(kept && skippedById && skippedByRoom);
    QVERIFY(skippedByRoom->join(muted).value(u"ok"_s).toBool());
    QCOMPARE(emit({{u"event"_s, u"ex"_s},
                   {u"to"_s, room},
                   {u"except"_s, QVariantList{skippedById->id, muted}}})
                 .status,
             202);
    const auto before = fence({kept.get(), skippedById.get(), skippedByRoom.get()});
    QVERIFY(before);
    QCOMPARE(before->at(0).size(), 1);
    QCOMPARE(before->at(0).first().data, QVariantList{u"ex"_s}); // no data: no argument
    QVERIFY2(before->at(1).isEmpty(), qPrintable(frameTexts(before->at(1))));
    QVERIFY2(before->at(2).isEmpty(), qPrintable(frameTexts(before->at(2))));
}

void TestEmitApi::wholeNamespace()
{
    auto onA = peerOn(*m_a);
    auto onB = peerOn(*m_b);
    auto chat = peerOn(*m_b, {}, u"/chat"_s);
    QVERIFY(onA && onB && chat);
    QCOMPARE(emit({{u"event"_s, u"all"_s}, {u"data"_s, u"everyone"_s}}).status, 202);
    const auto before = fence({onA.get(), onB.get()});
    QVERIFY(before);
    for (const QList<Frame> &frames : *before) {
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.first().data, (QVariantList{u"all"_s, u"everyone"_s}));
    }
    const auto chatBefore = fence({chat.get()}, u"/chat"_s);
    QVERIFY(chatBefore);
    QVERIFY2(chatBefore->first().isEmpty(), qPrintable(frameTexts(chatBefore->first())));
}

void TestEmitApi::namespaceOnAnotherNodeOnly()
{
    // /chat lives on B only: A publishes without creating it.
    const QString room = freshRoom(u"chat"_s);
    auto onB = peerOn(*m_b, room, u"/chat"_s);
    QVERIFY(onB);
    QTRY_COMPARE_WITH_TIMEOUT(subscribers(*m_probe, "socket.io-request#/chat#"), 1, 5000);
    QCOMPARE(emit({{u"event"_s, u"chat-news"_s},
                   {u"nsp"_s, u"/chat"_s},
                   {u"to"_s, room},
                   {u"data"_s, u"for /chat"_s}})
                 .status,
             202);
    const auto frame = onB->waitEvent([](const Frame &f) { return f.event() == u"chat-news"; });
    QVERIFY2(frame, qPrintable(frameTexts(onB->events)));
    QCOMPARE(frame->data, (QVariantList{u"chat-news"_s, u"for /chat"_s}));

    // A namespace nobody uses is not made on demand either.
    QCOMPARE(emit({{u"event"_s, u"void"_s}, {u"nsp"_s, u"/nowhere"_s}}).status, 202);
    const QJsonObject sockets = m_a->health().value(u"sockets").toObject();
    QVERIFY2(!sockets.contains(u"/chat") && !sockets.contains(u"/nowhere"),
             QJsonDocument(sockets).toJson().constData());
}

void TestEmitApi::authorization_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("challenge");

    QTest::addRow("no Authorization") << QByteArray() << 401 << R"(Bearer realm="switchboard")"_ba;
    QTest::addRow("wrong token") << bearer("t0ken-for-test5") << 401
                                 << R"(Bearer error="invalid_token")"_ba;
    QTest::addRow("token prefix") << bearer(Token.chopped(1)) << 401
                                  << R"(Bearer error="invalid_token")"_ba;
    QTest::addRow("token and more")
        << bearer(Token + "x") << 401 << R"(Bearer error="invalid_token")"_ba;
    QTest::addRow("empty token") << "Authorization: Bearer \r\n"_ba << 401
                                 << R"(Bearer realm="switchboard")"_ba;
    QTest::addRow("Basic scheme") << "Authorization: Basic " + ("u:" + Token).toBase64() + "\r\n"
                                  << 401 << R"(Bearer realm="switchboard")"_ba;
    QTest::addRow("token without scheme") << "Authorization: " + Token + "\r\n"
                                          << 401 << R"(Bearer realm="switchboard")"_ba;
    QTest::addRow("scheme is case-insensitive") << "Authorization: bEARER " + Token + "\r\n"
                                                << 202 << QByteArray();
}

void TestEmitApi::authorization()
{
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, challenge);
    auto peer = peerOn(*m_b);
    QVERIFY(peer);
    const HttpReply reply = emit({{u"event"_s, u"secret"_s}}, headers + JsonType);
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.header("www-authenticate"), challenge);
    const auto before = fence({peer.get()});
    QVERIFY(before);
    QCOMPARE(before->first().size(), status == 202 ? 1 : 0);
    if (status != 202) {
        QCOMPARE(reply.json().value(u"ok"), QJsonValue(false));
        QVERIFY(!reply.json().value(u"error").toString().isEmpty());
        QVERIFY2(!m_a->log().contains(Token), "the token is in node A's log");
    }
}

void TestEmitApi::badRequest_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QString>("error");

    QByteArray deep = "1";
    for (int i = 0; i < 32; ++i) // --max-depth 32 counts [event, data]: data may nest 31
        deep = '[' + deep + ']';
    const QList<std::tuple<const char *, QByteArray, QString>> rows = {
        {"empty body", ""_ba, u"not JSON: "_s},
        {"bad JSON", R"({"event":"x",})"_ba, u"not JSON: invalid JSON at offset"_s},
        {"an array", R"(["news"])"_ba, u"not a JSON object"_s},
        {"missing event", R"({"to":"r","data":1})"_ba, u"missing field 'event'"_s},
        {"event not a string", R"({"event":3})"_ba, u"event must be a non-empty string"_s},
        {"reserved event", R"({"event":"disconnect"})"_ba,
         u"'disconnect' is a reserved event name"_s},
        {"reserved event connect_error", R"({"event":"connect_error"})"_ba,
         u"'connect_error' is a reserved event name"_s},
        {"nsp without slash", R"({"event":"x","nsp":"chat"})"_ba,
         u"nsp must be a string starting with '/'"_s},
        {"to a number", R"({"event":"x","to":12})"_ba,
         u"to must be a room name or an array of room names"_s},
        {"to with an empty room", R"({"event":"x","to":["a",""]})"_ba,
         u"to: a room name must have 1 to 256 characters"_s},
        {"to empty array", R"({"event":"x","to":[]})"_ba, u"to: an empty array reaches nobody"_s},
        {"except an object", R"({"event":"x","except":{}})"_ba,
         u"except must be a room name or an array of room names"_s},
        {"unknown field", R"({"event":"x","volatile":true})"_ba, u"unknown field 'volatile'"_s},
        {"forms mixed", R"({"event":"x","room":"r"})"_ba,
         u"'room' belongs to the {room, message} form"_s},
        {"data too deep", R"({"event":"x","data":)" + deep + '}',
         u"data nested deeper than 31 levels"_s},
    };
    for (const auto &[name, body, error] : rows)
        QTest::addRow("%s", name) << body << JsonType << error;
    QTest::addRow("text/plain") << R"({"event":"x"})"_ba
                                << "Content-Type: text/plain\r\n"_ba
                                << u"Content-Type is \"text/plain\": the body must be JSON"_s;
    QTest::addRow("form-urlencoded (curl -d without -H)")
        << R"({"event":"x"})"_ba
        << "Content-Type: application/x-www-form-urlencoded\r\n"_ba
        << u"Content-Type is \"application/x-www-form-urlencoded\""_s;
}

void TestEmitApi::badRequest()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(QString, error);
    auto peer = peerOn(*m_b);
    QVERIFY(peer);
    const HttpReply reply = post(m_a->port(), body, bearer() + contentType);
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.json().value(u"ok"), QJsonValue(false));
    const QString said = reply.json().value(u"error").toString();
    QVERIFY2(said.startsWith(error), qPrintable(said));
    const auto before = fence({peer.get()});
    QVERIFY(before);
    QVERIFY2(before->first().isEmpty(), qPrintable(frameTexts(before->first())));
}

void TestEmitApi::tooLarge()
{
    auto peer = peerOn(*m_b);
    QVERIFY(peer);
    const auto job = [](int size) {
        QByteArray body = R"({"event":"big","data":")";
        body += QByteArray(size - body.size() - 2, 'x') + "\"}";
        return body;
    };
    const HttpReply over = post(m_a->port(), job(MaxPayload + 1), bearer() + JsonType);
    QCOMPARE(over.status, 413);
    QCOMPARE(over.header("connection"), "close"_ba);
    const HttpReply at = post(m_a->port(), job(MaxPayload), bearer() + JsonType);
    QCOMPARE(at.status, 202);
    const auto before = fence({peer.get()});
    QVERIFY(before);
    QCOMPARE(before->first().size(), 1);
    QCOMPARE(before->first().first().data.value(1).toString().size(),
             MaxPayload - qsizetype(R"({"event":"big","data":""})"_ba.size()));
}

void TestEmitApi::methodNotAllowed_data()
{
    QTest::addColumn<QByteArray>("method");
    for (const char *method : {"GET", "PUT", "DELETE", "PATCH", "HEAD"})
        QTest::addRow("%s", method) << QByteArray(method);
}

void TestEmitApi::methodNotAllowed()
{
    QFETCH(QByteArray, method);
    const HttpReply reply = post(m_a->port(), {}, bearer(), "/api/emit", method);
    QCOMPARE(reply.status, 405);
    QCOMPARE(reply.header("allow"), "POST"_ba);
}

void TestEmitApi::noTokenNoEndpoint()
{
    const HttpReply api = post(m_single->port(), R"({"event":"x"})", bearer() + JsonType);
    const HttpReply unknown =
        post(m_single->port(), R"({"event":"x"})", bearer() + JsonType, "/api/unknown");
    QCOMPARE(api.status, 404);
    QCOMPARE(api.body, unknown.body);
    QCOMPARE(post(m_single->port(), {}, {}, "/api/emit", "GET").status, 404);
    QVERIFY(!m_single->health().contains(u"emitApi"));
}

void TestEmitApi::countsByStatus()
{
    const QJsonObject start = counts(*m_a);
    QVERIFY2(!start.isEmpty(), "no emitApi counts in node A's /healthz");
    QCOMPARE(emit({{u"event"_s, u"counted"_s}}).status, 202);
    QCOMPARE(emit({{u"event"_s, u"counted"_s}}).status, 202);
    QCOMPARE(emit({{u"event"_s, u"connect"_s}}).status, 400);
    QCOMPARE(emit({{u"event"_s, u"counted"_s}}, JsonType).status, 401);
    QCOMPARE(post(m_a->port(), {}, {}, "/api/emit", "GET").status, 405);
    QCOMPARE(post(m_a->port(), QByteArray(MaxPayload + 1, ' '), bearer()).status, 413);
    const QJsonObject end = counts(*m_a);
    const std::pair<const char *, int> expected[] = {
        {"202", 2}, {"400", 1}, {"401", 1}, {"405", 1}, {"413", 1}};
    for (const auto &[status, added] : expected)
        QVERIFY2(end.value(QLatin1String(status)).toInteger() -
                         start.value(QLatin1String(status)).toInteger() ==
                     added,
                 qPrintable(u"%1: %2 -> %3"_s.arg(QLatin1String(status))
                                .arg(start.value(QLatin1String(status)).toInteger())
                                .arg(end.value(QLatin1String(status)).toInteger())));
}

void TestEmitApi::twoBackendsRoundRobin()
{
    const QString curl = QStandardPaths::findExecutable(u"curl"_s);
    QVERIFY2(!curl.isEmpty(), "curl not found: apt-get install curl");
    const QString room = freshRoom(u"rr"_s);
    auto listener = peerOn(*m_b, room);
    QVERIFY(listener);
    constexpr int Messages = 10;
    for (int i = 0; i < Messages; ++i) {
        const QVariantMap data{{u"n"_s, i}, {u"via"_s, i % 2 ? u"curl"_s : u"cli"_s}};
        const EmitRun run =
            i % 2 ? runProcess(curl,
                               {u"-sS"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s, u"%{http_code}"_s,
                                u"-H"_s, u"Authorization: Bearer "_s + QString::fromUtf8(Token),
                                u"-H"_s, u"Content-Type: application/json"_s, u"--data-binary"_s,
                                QString::fromUtf8(jsonOf(QVariantMap{
                                    {u"event"_s, u"rr"_s}, {u"to"_s, room}, {u"data"_s, data}})),
                                u"http://127.0.0.1:%1/api/emit"_s.arg(m_a->port())})
                  : runEmit({u"--redis"_s, m_redis.url(), u"--to"_s, room, u"rr"_s,
                             QString::fromUtf8(jsonOf(data))});
        QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
        if (i % 2)
            QCOMPARE(run.out, "202"_ba);
    }
    QList<Frame> got;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     listener->pump();
                     got = listener->events;
                     return got.size() >= Messages;
                 },
                 5000),
             qPrintable(frameTexts(listener->events)));
    QCOMPARE(got.size(), Messages);
    for (int i = 0; i < Messages; ++i) {
        QCOMPARE(got.at(i).event(), u"rr"_s);
        QCOMPARE(got.at(i).payload().value(u"n"_s).toInt(), i);
        QCOMPARE(got.at(i).payload().value(u"via"_s).toString(), i % 2 ? u"curl"_s : u"cli"_s);
    }
}

void TestEmitApi::redisDownIsRefused()
{
    m_probe.reset();
    QVERIFY(m_redis.stop());
    QTRY_COMPARE_WITH_TIMEOUT(m_a->health().value(u"status").toString(), u"degraded"_s, 10000);
    const HttpReply reply = emit({{u"event"_s, u"lost"_s}});
    QCOMPARE(reply.status, 503);
    QVERIFY2(reply.json().value(u"error").toString().contains(u"Redis"), reply.body.constData());
}

QTEST_GUILESS_MAIN(TestEmitApi)
#include "tst_emitapi.moc"
