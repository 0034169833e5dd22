// switchboard-node settings: defaults, precedence (command line > environment > INI file),
// and the exit outcomes for --help and bad settings.
#include "switchboard/nodeconfig.h"

#include <QDateTime>
#include <QFile>
#include <QHostInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using switchboard::NodeConfig;

namespace {

// What a row expects of the parsed config; the defaults are the documented ones.
struct Expected
{
    quint16 port = 3000;
    QString host = u"any"_s; // "any", or an address as QHostAddress::toString() gives it
    QString redisUrl;
    QString name; // empty: "<local host name>:<port>"
    QString authToken;
    QString apiToken;
    QString logRules;
    int pingInterval = 25000;
    int pingTimeout = 20000;
    qint64 maxPayload = 1000000;
    int connectTimeout = 45000;
    QStringList namespaces{u"*"_s};
    QString path = u"/socket.io/"_s;
    int maxNamespaces = 100;
    int maxAttachments = 10;
    qint64 maxAttachmentBytes = 1000000;
    qint64 maxBuffered = 1024 * 1024;
    QStringList redact{u"token"_s, u"password"_s, u"secret"_s, u"jwt"_s};
    QStringList secrets; // the auth token, when there is one
    QList<QByteArray> corsOrigins;
    int drainMs = 10000;
    int writeCoalesceMs = 10;
    qint64 writeCoalesceAbove = 150000;
};

template <typename Change> Expected expect(Change change)
{
    Expected e;
    change(e);
    return e;
}

Expected defaults()
{
    return Expected{};
}

QProcessEnvironment environment(const QStringList &pairs)
{
    QProcessEnvironment env; // empty, not the system's: rows say everything they depend on
    for (const QString &pair : pairs)
        env.insert(pair.section(u'=', 0, 0), pair.section(u'=', 1));
    return env;
}

} // namespace

Q_DECLARE_METATYPE(Expected)

class TestNodeConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void parse_data();
    void parse();
    void rejects_data();
    void rejects();
    void help_data();
    void help();
    void queue_data();
    void queue();
    void reloadLogRules_data();
    void reloadLogRules();

private:
    // Writes `contents` as an INI file and returns its path (empty contents: no file).
    QString writeIni(const QByteArray &contents);
    NodeConfig::Outcome run(QStringList args, const QStringList &env, const QByteArray &ini);

    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestNodeConfig::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
}

QString TestNodeConfig::writeIni(const QByteArray &contents)
{
    if (contents.isEmpty())
        return {};
    const QString path = m_dir.filePath(u"node-%1.ini"_s.arg(++m_files));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

NodeConfig::Outcome TestNodeConfig::run(QStringList args, const QStringList &env,
                                        const QByteArray &ini)
{
    if (const QString path = writeIni(ini); !path.isEmpty())
        args << u"--config"_s << path;
    args.prepend(u"switchboard-node"_s);
    return NodeConfig::parse(args, environment(env));
}

void TestNodeConfig::parse_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QByteArray>("ini");
    QTest::addColumn<Expected>("expected");

    const QStringList none;
    const QByteArray noIni;

    QTest::addRow("defaults") << none << none << noIni << defaults();
    QTest::addRow("--port") << QStringList{u"--port"_s, u"4000"_s} << none << noIni
                            << expect([](Expected &e) { e.port = 4000; });
    QTest::addRow("--port=") << QStringList{u"--port=4001"_s} << none << noIni
                             << expect([](Expected &e) { e.port = 4001; });
    QTest::addRow("--port 0 picks a free port") << QStringList{u"--port"_s, u"0"_s} << none << noIni
                                                << expect([](Expected &e) { e.port = 0; });
    QTest::addRow("--port 65535") << QStringList{u"--port"_s, u"65535"_s} << none << noIni
                                  << expect([](Expected &e) { e.port = 65535; });
    QTest::addRow("PORT") << none << QStringList{u"PORT=5000"_s} << noIni
                          << expect([](Expected &e) { e.port = 5000; });
    QTest::addRow("REDIS_URL") << none << QStringList{u"REDIS_URL=redis://r:6379/2"_s} << noIni
                               << expect([](Expected &e) { e.redisUrl = u"redis://r:6379/2"_s; });
    QTest::addRow("--redis beats REDIS_URL")
        << QStringList{u"--redis"_s, u"redis://cli:1"_s}
        << QStringList{u"REDIS_URL=redis://env:2"_s}
        << QByteArray("[node]\nredis=\"redis://ini:3\"\n")
        << expect([](Expected &e) { e.redisUrl = u"redis://cli:1"_s; });
    QTest::addRow("REDIS_URL beats INI")
        << none << QStringList{u"REDIS_URL=redis://env:2"_s}
        << QByteArray("[node]\nredis=\"redis://ini:3\"\n")
        << expect([](Expected &e) { e.redisUrl = u"redis://env:2"_s; });
    QTest::addRow("unrelated environment is ignored")
        << none << QStringList{u"PING_INTERVAL=1"_s, u"NAMESPACES=chat"_s, u"port=1"_s} << noIni
        << defaults();
    QTest::addRow("--host") << QStringList{u"--host"_s, u"127.0.0.1"_s} << none << noIni
                            << expect([](Expected &e) { e.host = u"127.0.0.1"_s; });
    QTest::addRow("--host localhost") << QStringList{u"--host"_s, u"localhost"_s} << none << noIni
                                      << expect([](Expected &e) { e.host = u"127.0.0.1"_s; });
    QTest::addRow("--host ipv6") << QStringList{u"--host"_s, u"::1"_s} << none << noIni
                                 << expect([](Expected &e) { e.host = u"::1"_s; });
    QTest::addRow("HOST") << none << QStringList{u"HOST=10.1.2.3"_s} << noIni
                          << expect([](Expected &e) { e.host = u"10.1.2.3"_s; });
    QTest::addRow("--name") << QStringList{u"--name"_s, u"node-a"_s} << none << noIni
                            << expect([](Expected &e) { e.name = u"node-a"_s; });
    QTest::addRow("SWITCHBOARD_NAME") << none << QStringList{u"SWITCHBOARD_NAME=node-b"_s} << noIni
                                      << expect([](Expected &e) { e.name = u"node-b"_s; });
    QTest::addRow("default name follows the port")
        << QStringList{u"--port"_s, u"4321"_s} << none << noIni
        << expect([](Expected &e) { e.port = 4321; });
    QTest::addRow("--drain-ms") << QStringList{u"--drain-ms"_s, u"2500"_s} << none << noIni
                                << expect([](Expected &e) { e.drainMs = 2500; });
    QTest::addRow("--drain-ms 0 closes at once")
        << QStringList{u"--drain-ms"_s, u"0"_s} << none << noIni
        << expect([](Expected &e) { e.drainMs = 0; });
    QTest::addRow("SWITCHBOARD_DRAIN_MS")
        << none << QStringList{u"SWITCHBOARD_DRAIN_MS=30000"_s} << noIni
        << expect([](Expected &e) { e.drainMs = 30000; });
    QTest::addRow("SWITCHBOARD_AUTH_TOKEN")
        << none << QStringList{u"SWITCHBOARD_AUTH_TOKEN=s3cret"_s} << noIni
        << expect([](Expected &e) {
               e.authToken = u"s3cret"_s;
               e.secrets = {u"s3cret"_s};
           });
    QTest::addRow("SWITCHBOARD_API_TOKEN")
        << none << QStringList{u"SWITCHBOARD_API_TOKEN=ap1"_s} << noIni << expect([](Expected &e) {
               e.apiToken = u"ap1"_s;
               e.secrets = {u"ap1"_s};
           });
    QTest::addRow("--api-token beats SWITCHBOARD_API_TOKEN, both tokens secret")
        << QStringList{u"--api-token"_s, u"cli"_s, u"--auth-token"_s, u"au"_s}
        << QStringList{u"SWITCHBOARD_API_TOKEN=env"_s} << noIni << expect([](Expected &e) {
               e.apiToken = u"cli"_s;
               e.authToken = u"au"_s;
               e.secrets = {u"au"_s, u"cli"_s};
           });
    QTest::addRow("limits") << QStringList{u"--max-namespaces"_s,       u"7"_s,
                                           u"--max-attachments"_s,      u"0"_s,
                                           u"--max-attachment-bytes"_s, u"5000"_s,
                                           u"--max-buffered"_s,         u"65536"_s}
                            << none << noIni << expect([](Expected &e) {
                                   e.maxNamespaces = 7;
                                   e.maxAttachments = 0;
                                   e.maxAttachmentBytes = 5000;
                                   e.maxBuffered = 65536;
                               });
    QTest::addRow("write coalescing")
        << QStringList{u"--write-coalesce"_s, u"40"_s, u"--write-coalesce-above=0"_s} << none
        << noIni << expect([](Expected &e) {
               e.writeCoalesceMs = 40;
               e.writeCoalesceAbove = 0;
           });
    QTest::addRow("write coalescing off") << QStringList{u"--write-coalesce=0"_s} << none << noIni
                                          << expect([](Expected &e) { e.writeCoalesceMs = 0; });
    QTest::addRow("--redact") << QStringList{u"--redact"_s, u"token, apiKey,,session"_s} << none
                              << noIni << expect([](Expected &e) {
                                     e.redact = {u"token"_s, u"apiKey"_s, u"session"_s};
                                 });
    QTest::addRow("--log") << QStringList{u"--log"_s, u"switchboard.*.debug=true"_s} << none
                           << noIni << expect([](Expected &e) {
                                  e.logRules = u"switchboard.*.debug=true"_s;
                              });
    QTest::addRow("timings") << QStringList{u"--ping-interval"_s,   u"1000"_s,
                                            u"--ping-timeout"_s,    u"500"_s,
                                            u"--max-payload"_s,     u"2048"_s,
                                            u"--connect-timeout"_s, u"3000"_s}
                             << none << noIni << expect([](Expected &e) {
                                    e.pingInterval = 1000;
                                    e.pingTimeout = 500;
                                    e.maxPayload = 2048;
                                    e.connectTimeout = 3000;
                                });
    QTest::addRow("lowest accepted values")
        << QStringList{u"--ping-interval"_s, u"10"_s, u"--ping-timeout"_s,    u"10"_s,
                       u"--max-payload"_s,   u"64"_s, u"--connect-timeout"_s, u"10"_s}
        << none << noIni << expect([](Expected &e) {
               e.pingInterval = 10;
               e.pingTimeout = 10;
               e.maxPayload = 64;
               e.connectTimeout = 10;
           });
    QTest::addRow("highest accepted values")
        << QStringList{u"--ping-interval"_s, u"3600000"_s,       u"--ping-timeout"_s,
                       u"3600000"_s,         u"--max-payload"_s, u"1073741824"_s}
        << none << noIni << expect([](Expected &e) {
               e.pingInterval = 3600000;
               e.pingTimeout = 3600000;
               e.maxPayload = Q_INT64_C(1073741824);
           });
    QTest::addRow("--namespaces list") << QStringList{u"--namespaces"_s, u"/chat,/admin"_s} << none
                                       << noIni << expect([](Expected &e) {
                                              e.namespaces = {u"/chat"_s, u"/admin"_s};
                                          });
    QTest::addRow("--namespaces trimmed, empty parts skipped")
        << QStringList{u"--namespaces"_s, u" /chat , /org-*,,*"_s} << none << noIni
        << expect([](Expected &e) {
               e.namespaces = {u"/chat"_s, u"/org-*"_s, u"*"_s};
           });
    QTest::addRow("--path") << QStringList{u"--path"_s, u"/ws/"_s} << none << noIni
                            << expect([](Expected &e) { e.path = u"/ws/"_s; });
    QTest::addRow("INI file [node] group")
        << none << none
        << QByteArray("[node]\nport=6000\nhost=127.0.0.1\nredis=\"redis://ini:3\"\nname=ini-node\n"
                      "ping-interval=1000\nping-timeout=500\nmax-payload=2048\n"
                      "connect-timeout=3000\nnamespaces=/chat\npath=/ws/\nauth-token=t0k\n")
        << expect([](Expected &e) {
               e.port = 6000;
               e.host = u"127.0.0.1"_s;
               e.redisUrl = u"redis://ini:3"_s;
               e.name = u"ini-node"_s;
               e.pingInterval = 1000;
               e.pingTimeout = 500;
               e.maxPayload = 2048;
               e.connectTimeout = 3000;
               e.namespaces = {u"/chat"_s};
               e.path = u"/ws/"_s;
               e.authToken = u"t0k"_s;
               e.secrets = {u"t0k"_s};
           });
    QTest::addRow("INI keys outside [node] are ignored")
        << none << none << QByteArray("port=6000\n[other]\nport=6001\n") << defaults();
    QTest::addRow("environment beats INI")
        << none << QStringList{u"PORT=5000"_s} << QByteArray("[node]\nport=6000\n")
        << expect([](Expected &e) { e.port = 5000; });
    QTest::addRow("command line beats environment beats INI")
        << QStringList{u"--port"_s, u"4000"_s} << QStringList{u"PORT=5000"_s}
        << QByteArray("[node]\nport=6000\n") << expect([](Expected &e) { e.port = 4000; });
    QTest::addRow("command line beats INI")
        << QStringList{u"--ping-interval"_s, u"100"_s} << none
        << QByteArray("[node]\nping-interval=200\nping-timeout=300\n") << expect([](Expected &e) {
               e.pingInterval = 100;
               e.pingTimeout = 300;
           });
    QTest::addRow("each setting from its own source")
        << QStringList{u"--port"_s, u"4000"_s} << QStringList{u"REDIS_URL=redis://env:2"_s}
        << QByteArray("[node]\nport=6000\nname=from-ini\nping-timeout=300\n")
        << expect([](Expected &e) {
               e.port = 4000;
               e.redisUrl = u"redis://env:2"_s;
               e.name = u"from-ini"_s;
               e.pingTimeout = 300;
           });
    // The option help says "comma-separated", and the INI takes the same keys as the options.
    QTest::addRow("INI namespaces list")
        << none << none << QByteArray("[node]\nnamespaces=/chat,/admin\n")
        << expect([](Expected &e) {
               e.namespaces = {u"/chat"_s, u"/admin"_s};
           });
    QTest::addRow("--cors-origin *") << QStringList{u"--cors-origin"_s, u"*"_s} << none << noIni
                                     << expect([](Expected &e) { e.corsOrigins = {"*"}; });
    QTest::addRow("--cors-origin list")
        << QStringList{u"--cors-origin"_s, u"https://App.example, http://localhost:8080"_s} << none
        << noIni << expect([](Expected &e) {
               e.corsOrigins = {"https://app.example", "http://localhost:8080"};
           });
    QTest::addRow("SWITCHBOARD_CORS_ORIGIN")
        << none << QStringList{u"SWITCHBOARD_CORS_ORIGIN=http://a.example"_s} << noIni
        << expect([](Expected &e) { e.corsOrigins = {"http://a.example"}; });
    QTest::addRow("INI cors-origin list")
        << none << none << QByteArray("[node]\ncors-origin=http://a.example,http://b.example\n")
        << expect([](Expected &e) {
               e.corsOrigins = {"http://a.example", "http://b.example"};
           });
    // main.cpp turns commas in the rules into line breaks, so lists are the normal case.
    QTest::addRow("INI log rules list")
        << none << none
        << QByteArray("[node]\nlog=switchboard.*.debug=true,switchboard.redis.debug=false\n")
        << expect([](Expected &e) {
               e.logRules = u"switchboard.*.debug=true,switchboard.redis.debug=false"_s;
           });
}

void TestNodeConfig::parse()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QByteArray, ini);
    QFETCH(Expected, expected);

    const NodeConfig::Outcome outcome = run(args, env, ini);
    QVERIFY2(!outcome.exitNow, qPrintable(outcome.message));
    QCOMPARE(outcome.exitCode, 0);
    QCOMPARE(outcome.message, QString());

    const NodeConfig &config = outcome.config;
    QCOMPARE(config.port, expected.port);
    if (expected.host == u"any")
        QCOMPARE(config.host, QHostAddress(QHostAddress::Any));
    else
        QCOMPARE(config.host.toString(), expected.host);
    QCOMPARE(config.redisUrl, expected.redisUrl);
    const QString name = expected.name.isEmpty()
                             ? u"%1:%2"_s.arg(QHostInfo::localHostName()).arg(expected.port)
                             : expected.name;
    QCOMPARE(config.name, name);
    QCOMPARE(config.authToken, expected.authToken);
    QCOMPARE(config.apiToken, expected.apiToken);
    QCOMPARE(config.logRules, expected.logRules);
    QCOMPARE(config.server.engine.pingInterval, expected.pingInterval);
    QCOMPARE(config.server.engine.pingTimeout, expected.pingTimeout);
    QCOMPARE(config.server.engine.maxPayload, expected.maxPayload);
    QCOMPARE(config.server.connectTimeout, expected.connectTimeout);
    QCOMPARE(config.server.dynamicNamespaces, expected.namespaces);
    QCOMPARE(config.server.path, expected.path);
    QCOMPARE(config.server.maxNamespaces, expected.maxNamespaces);
    QCOMPARE(config.server.maxAttachments, expected.maxAttachments);
    QCOMPARE(config.server.maxAttachmentBytes, expected.maxAttachmentBytes);
    QCOMPARE(config.server.engine.maxBufferedBytes, expected.maxBuffered);
    QCOMPARE(config.redaction.authFields, expected.redact);
    QCOMPARE(config.redaction.secrets, expected.secrets);
    QCOMPARE(config.cors.origins, expected.corsOrigins);
    QCOMPARE(config.drainMs, expected.drainMs);
    QCOMPARE(config.server.http.writeCoalesceMs, expected.writeCoalesceMs);
    QCOMPARE(config.server.http.writeCoalesceAbove, expected.writeCoalesceAbove);
    QCOMPARE(config.configFile.isEmpty(), ini.isEmpty());
}

void TestNodeConfig::queue_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("key");
    QTest::addColumn<int>("leaseMs");
    QTest::addColumn<int>("batch");

    const QStringList redis{u"--redis"_s, u"redis://r:6379"_s};
    QTest::addRow("off by default") << redis << QStringList{} << QString() << 5000 << 256;
    QTest::addRow("--queue") << redis + QStringList{u"--queue"_s, u"jobs"_s} << QStringList{}
                             << u"jobs"_s << 5000 << 256;
    QTest::addRow("SWITCHBOARD_QUEUE")
        << QStringList{} << QStringList{u"REDIS_URL=redis://r"_s, u"SWITCHBOARD_QUEUE=q:1"_s}
        << u"q:1"_s << 5000 << 256;
    QTest::addRow("--queue beats SWITCHBOARD_QUEUE")
        << redis + QStringList{u"--queue"_s, u"a"_s} << QStringList{u"SWITCHBOARD_QUEUE=b"_s}
        << u"a"_s << 5000 << 256;
    QTest::addRow("empty SWITCHBOARD_QUEUE is off")
        << QStringList{} << QStringList{u"SWITCHBOARD_QUEUE="_s} << QString() << 5000 << 256;
    QTest::addRow("lease and batch")
        << redis + QStringList{u"--queue"_s, u"jobs"_s,          u"--queue-lease"_s,
                               u"200"_s,     u"--queue-batch"_s, u"4096"_s}
        << QStringList{} << u"jobs"_s << 200 << 4096;
}

void TestNodeConfig::queue()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QString, key);
    QFETCH(int, leaseMs);
    QFETCH(int, batch);

    const NodeConfig::Outcome outcome = run(args, env, {});
    QVERIFY2(!outcome.exitNow, qPrintable(outcome.message));
    QCOMPARE(outcome.config.queueKey, key);
    QCOMPARE(outcome.config.queueLeaseMs, leaseMs);
    QCOMPARE(outcome.config.queueBatch, batch);
}

void TestNodeConfig::rejects_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QByteArray>("ini");
    QTest::addColumn<QString>("mentions"); // the message must name the offending option

    const QStringList none;
    const QByteArray noIni;

    QTest::addRow("port not a number")
        << QStringList{u"--port"_s, u"abc"_s} << none << noIni << u"--port"_s;
    QTest::addRow("port too large")
        << QStringList{u"--port"_s, u"65536"_s} << none << noIni << u"--port"_s;
    QTest::addRow("port negative") << QStringList{u"--port=-1"_s} << none << noIni << u"--port"_s;
    QTest::addRow("max-buffered too small")
        << QStringList{u"--max-buffered=100"_s} << none << noIni << u"--max-buffered"_s;
    QTest::addRow("write-coalesce over a second")
        << QStringList{u"--write-coalesce=1001"_s} << none << noIni << u"--write-coalesce"_s;
    QTest::addRow("write-coalesce-above negative") << QStringList{u"--write-coalesce-above=-1"_s}
                                                   << none << noIni << u"--write-coalesce-above"_s;
    QTest::addRow("--queue without --redis")
        << QStringList{u"--queue"_s, u"jobs"_s} << none << noIni << u"--queue"_s;
    QTest::addRow("SWITCHBOARD_QUEUE without REDIS_URL")
        << none << QStringList{u"SWITCHBOARD_QUEUE=jobs"_s} << noIni << u"--redis"_s;
    QTest::addRow("queue-batch zero")
        << QStringList{u"--redis"_s, u"redis://r"_s, u"--queue"_s, u"jobs"_s, u"--queue-batch=0"_s}
        << none << noIni << u"--queue-batch"_s;
    QTest::addRow("queue-lease too short")
        << QStringList{u"--queue-lease=100"_s} << none << noIni << u"--queue-lease"_s;
    QTest::addRow("max-namespaces zero")
        << QStringList{u"--max-namespaces=0"_s} << none << noIni << u"--max-namespaces"_s;
    QTest::addRow("port empty") << QStringList{u"--port="_s} << none << noIni << u"--port"_s;
    QTest::addRow("port with unit")
        << QStringList{u"--port"_s, u"80tcp"_s} << none << noIni << u"--port"_s;
    QTest::addRow("drain-ms negative")
        << QStringList{u"--drain-ms=-1"_s} << none << noIni << u"--drain-ms"_s;
    QTest::addRow("drain-ms over an hour")
        << QStringList{u"--drain-ms=3600001"_s} << none << noIni << u"--drain-ms"_s;
    QTest::addRow("SWITCHBOARD_DRAIN_MS not a number")
        << none << QStringList{u"SWITCHBOARD_DRAIN_MS=10s"_s} << noIni << u"--drain-ms"_s;
    QTest::addRow("PORT not a number")
        << none << QStringList{u"PORT=http"_s} << noIni << u"--port"_s;
    QTest::addRow("INI port not a number")
        << none << none << QByteArray("[node]\nport=abc\n") << u"--port"_s;
    QTest::addRow("ping-interval not a number")
        << QStringList{u"--ping-interval"_s, u"fast"_s} << none << noIni << u"--ping-interval"_s;
    QTest::addRow("ping-interval fraction")
        << QStringList{u"--ping-interval"_s, u"2.5"_s} << none << noIni << u"--ping-interval"_s;
    QTest::addRow("ping-interval below 10")
        << QStringList{u"--ping-interval"_s, u"9"_s} << none << noIni << u"--ping-interval"_s;
    QTest::addRow("ping-interval above an hour")
        << QStringList{u"--ping-interval"_s, u"3600001"_s} << none << noIni << u"--ping-interval"_s;
    QTest::addRow("INI ping-interval not a number")
        << none << none << QByteArray("[node]\nping-interval=soon\n") << u"--ping-interval"_s;
    QTest::addRow("ping-timeout zero")
        << QStringList{u"--ping-timeout"_s, u"0"_s} << none << noIni << u"--ping-timeout"_s;
    QTest::addRow("max-payload below 64")
        << QStringList{u"--max-payload"_s, u"63"_s} << none << noIni << u"--max-payload"_s;
    QTest::addRow("max-payload above 1 GiB")
        << QStringList{u"--max-payload"_s, u"1073741825"_s} << none << noIni << u"--max-payload"_s;
    QTest::addRow("connect-timeout not a number")
        << QStringList{u"--connect-timeout"_s, u"x"_s} << none << noIni << u"--connect-timeout"_s;
    QTest::addRow("namespaces pattern without slash")
        << QStringList{u"--namespaces"_s, u"chat"_s} << none << noIni << u"--namespaces"_s;
    QTest::addRow("namespaces second pattern without slash")
        << QStringList{u"--namespaces"_s, u"/ok,chat"_s} << none << noIni << u"--namespaces"_s;
    QTest::addRow("INI namespaces pattern without slash")
        << none << none << QByteArray("[node]\nnamespaces=chat\n") << u"--namespaces"_s;
    QTest::addRow("path without slash")
        << QStringList{u"--path"_s, u"socket.io"_s} << none << noIni << u"--path"_s;
    QTest::addRow("cors-origin with a path")
        << QStringList{u"--cors-origin"_s, u"https://app.example/chat"_s} << none << noIni
        << u"--cors-origin"_s;
    QTest::addRow("cors-origin without a scheme")
        << QStringList{u"--cors-origin"_s, u"app.example"_s} << none << noIni << u"--cors-origin"_s;
    QTest::addRow("cors-origin * among origins")
        << QStringList{u"--cors-origin"_s, u"*,https://app.example"_s} << none << noIni
        << u"--cors-origin"_s;
    QTest::addRow("host not an address")
        << QStringList{u"--host"_s, u"not-an-ip"_s} << none << noIni << u"--host"_s;
    QTest::addRow("unknown option") << QStringList{u"--bogus"_s} << none << noIni << u"bogus"_s;
    QTest::addRow("unknown option with value")
        << QStringList{u"--porrt"_s, u"4000"_s} << none << noIni << u"porrt"_s;
    QTest::addRow("missing value") << QStringList{u"--port"_s} << none << noIni << u"port"_s;
    QTest::addRow("positional argument") << QStringList{u"extra"_s} << none << noIni << u"extra"_s;
    QTest::addRow("config file missing")
        << QStringList{u"--config"_s, u"/nonexistent/switchboard/node.ini"_s} << none << noIni
        << u"/nonexistent/switchboard/node.ini"_s;
    // A directory passes a readability check but holds no settings: silently running on
    // defaults would hide the typo.
    QTest::addRow("config path is a directory")
        << QStringList{u"--config"_s, m_dir.path()} << none << noIni << m_dir.path();
}

void TestNodeConfig::rejects()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QByteArray, ini);
    QFETCH(QString, mentions);

    const NodeConfig::Outcome outcome = run(args, env, ini);
    QVERIFY2(outcome.exitNow, qPrintable(u"accepted: "_s + args.join(u' ')));
    QCOMPARE(outcome.exitCode, 2);
    QVERIFY2(outcome.message.contains(mentions), qPrintable(outcome.message));
}

void TestNodeConfig::help_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("mentions");

    const QStringList options{u"--port"_s,           u"--host"_s,        u"--redis"_s,
                              u"--name"_s,           u"--config"_s,      u"--ping-interval"_s,
                              u"--ping-timeout"_s,   u"--max-payload"_s, u"--namespaces"_s,
                              u"--connect-timeout"_s};
    QTest::addRow("--help") << QStringList{u"--help"_s} << options;
    QTest::addRow("-h") << QStringList{u"-h"_s} << options;
    QTest::addRow("--help wins over a bad value")
        << QStringList{u"--port"_s, u"abc"_s, u"--help"_s} << options;
    QTest::addRow("--version") << QStringList{u"--version"_s}
                               << QStringList{u"switchboard-node"_s,
                                              QString::fromLatin1(SWITCHBOARD_VERSION)};
}

void TestNodeConfig::help()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, mentions);

    const NodeConfig::Outcome outcome = run(args, {}, {});
    QVERIFY(outcome.exitNow);
    QCOMPARE(outcome.exitCode, 0);
    for (const QString &text : mentions)
        QVERIFY2(outcome.message.contains(text), qPrintable(text + u" in:\n"_s + outcome.message));
}

void TestNodeConfig::reloadLogRules_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("iniBefore"); // empty: no config file
    QTest::addColumn<QByteArray>("iniAfter");  // what the file holds when SIGHUP arrives
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");

    QTest::addRow("no config file keeps --log")
        << QStringList{u"--log"_s, u"a.debug=true"_s} << QByteArray() << QByteArray()
        << u"a.debug=true"_s << u"a.debug=true"_s;
    QTest::addRow("edited config file")
        << QStringList{} << QByteArray("[node]\nlog=a.debug=true\n")
        << QByteArray("[node]\nlog=b.debug=true\n") << u"a.debug=true"_s << u"b.debug=true"_s;
    QTest::addRow("log added to the config file")
        << QStringList{} << QByteArray("[node]\nport=3000\n")
        << QByteArray("[node]\nport=3000\nlog=b.debug=true\n") << QString() << u"b.debug=true"_s;
    // Removing the line and reloading returns to the default rules, as a restart would.
    QTest::addRow("log removed from the config file restores the defaults")
        << QStringList{} << QByteArray("[node]\nlog=a.debug=true\n")
        << QByteArray("[node]\nport=3000\n") << u"a.debug=true"_s << QString();
    QTest::addRow("edited config file with a rules list")
        << QStringList{} << QByteArray("[node]\nport=3000\n")
        << QByteArray("[node]\nlog=a.debug=true,b.debug=false\n") << QString()
        << u"a.debug=true,b.debug=false"_s;
    // Command line beats INI file, on SIGHUP as at start-up.
    QTest::addRow("--log still beats the config file")
        << QStringList{u"--log"_s, u"cli.debug=true"_s} << QByteArray("[node]\nlog=a.debug=true\n")
        << QByteArray("[node]\nlog=b.debug=true\n") << u"cli.debug=true"_s << u"cli.debug=true"_s;
}

void TestNodeConfig::reloadLogRules()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, iniBefore);
    QFETCH(QByteArray, iniAfter);
    QFETCH(QString, before);
    QFETCH(QString, after);

    const NodeConfig::Outcome outcome = run(args, {}, iniBefore);
    QVERIFY2(!outcome.exitNow, qPrintable(outcome.message));
    QCOMPARE(outcome.config.logRules, before);
    if (!iniBefore.isEmpty()) {
        QFile file(outcome.config.configFile);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(file.write(iniAfter), qint64(iniAfter.size()));
        QVERIFY(file.flush());
        // An operator edits the file long after start-up; QSettings tells files apart by size
        // and modification time, so an edit within the same millisecond would go unseen.
        QVERIFY(file.setFileTime(QDateTime::currentDateTime().addSecs(60),
                                 QFileDevice::FileModificationTime));
    }
    QCOMPARE(outcome.config.reloadLogRules(), after);
}

QTEST_GUILESS_MAIN(TestNodeConfig)
#include "tst_nodeconfig.moc"
