#include "switchboard/nodeconfig.h"

#include "switchboard/redisurl.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QHostInfo>
#include <QSettings>

namespace switchboard {

namespace {

struct Setting
{
    const char *key; // command-line option and INI key of the [node] group
    const char *env; // environment variable, or nullptr
    const char *valueName;
    const char *help;
};

// One table drives the parser, the INI lookup and the environment lookup.
constexpr Setting settings[] = {
    {"port", "PORT", "port", "TCP port for HTTP and WebSocket (default 3000)."},
    {"transport", "SWITCHBOARD_TRANSPORT", "epoll|qt",
     "Connection layer: epoll (default: one epoll set for every client) or qt "
     "(QWebSocketServer, the reference path)."},
    {"host", "HOST", "address", "Address to listen on (default: all interfaces)."},
    {"redis", "REDIS_URL", "url",
     "Redis URL to join a cluster: redis://[user:password@]host[:port][/db] or "
     "unix:///path.sock (absent: single node, in memory)."},
    {"redis-key", "REDIS_KEY", "prefix",
     "Channel prefix shared with the other servers, the adapter's `key` (default socket.io)."},
    {"requests-timeout", nullptr, "ms",
     "How long cluster requests wait for other servers' answers (default 5000)."},
    {"name", "SWITCHBOARD_NAME", "name", "Name shown in the console (default host:port)."},
    {"ping-interval", nullptr, "ms", "Engine.IO pingInterval in milliseconds (default 25000)."},
    {"ping-timeout", nullptr, "ms", "Engine.IO pingTimeout in milliseconds (default 20000)."},
    {"max-payload", nullptr, "bytes", "Largest accepted message in bytes (default 1000000)."},
    {"connect-timeout", nullptr, "ms", "Time a client has to join a namespace (default 45000)."},
    {"namespaces", nullptr, "patterns",
     "Comma-separated namespaces clients may use; '*' is a wildcard (default '*')."},
    {"path", nullptr, "path", "Engine.IO path (default /socket.io/)."},
    {"transports", nullptr, "list",
     "Engine.IO transports clients may use, comma-separated: polling (HTTP long-polling, "
     "upgraded to WebSocket) and websocket (default polling,websocket)."},
    {"cors-origin", "SWITCHBOARD_CORS_ORIGIN", "origins",
     "Browser origins allowed cross-origin (CORS): '*' for any (without credentials), or a "
     "comma-separated list such as https://app.example.com (with credentials) (default: "
     "none, same origin only)."},
    {"auth-token", "SWITCHBOARD_AUTH_TOKEN", "token",
     "Require CONNECT auth {token} equal to this (default: no authentication)."},
    {"api-token", "SWITCHBOARD_API_TOKEN", "token",
     "Serve POST /api/emit to backends sending Authorization: Bearer <token> (default: no "
     "such endpoint). Prefer the environment variable: any local user can read a command line."},
    {"redact", nullptr, "fields",
     "Comma-separated auth and query fields whose values never leave the node in cluster "
     "replies (default token,password,secret,jwt)."},
    {"max-namespaces", nullptr, "count",
     "Most namespaces alive at once; dynamic ones are freed when empty (default 100)."},
    {"max-attachments", nullptr, "count",
     "Most binary attachments in one packet (default 10, as socket.io-parser)."},
    {"max-attachment-bytes", nullptr, "bytes",
     "Most bytes of binary attachments in one packet (default 1000000)."},
    {"max-buffered", nullptr, "bytes",
     "Unsent bytes a client may have queued before it is cut off as a slow consumer "
     "(default 1048576)."},
    {"max-pending-acks", nullptr, "count",
     "Acks one socket may await at once; more are refused with an ack error (default 1000)."},
    {"max-rooms", nullptr, "count", "Rooms one socket may be in (default 1000)."},
    {"max-auth-failures", nullptr, "count",
     "Refused CONNECTs one connection may make before it is closed (default 5)."},
    {"max-depth", nullptr, "levels",
     "Deepest nesting of arrays and objects in a packet's data (default 32)."},
    {"max-header-bytes", nullptr, "bytes",
     "Largest HTTP request line plus headers (default 16384)."},
    {"body-timeout", nullptr, "ms",
     "Time an HTTP request body has to arrive whole once its headers are in (default 10000)."},
    {"max-bodies-bytes", nullptr, "bytes",
     "HTTP request body bytes held at once by all connections together; past it new bodies "
     "get 503 (default 33554432)."},
    {"idle-timeout", nullptr, "ms",
     "Time an HTTP connection may stay without a whole request (default 30000)."},
    {"keepalive-timeout", nullptr, "ms",
     "Time a keep-alive HTTP connection is kept after an answer for the next request, as "
     "Node's keepAliveTimeout (default 5000)."},
    {"write-coalesce", nullptr, "ms",
     "While the node sends more WebSocket messages a second than --write-coalesce-above, "
     "clients written less than this long ago wait out the rest of it, so that a busy room's "
     "messages share one write: fewer system calls per delivery, at most that much added "
     "latency; a message after a quiet spell goes out at once (default 10; 0: never wait). "
     "Not with --transport qt."},
    {"write-coalesce-above", nullptr, "messages/s",
     "The node-wide rate of WebSocket messages over which --write-coalesce applies (default "
     "150000; 0: always, whatever the rate)."},
    {"redis-timeout", nullptr, "ms",
     "A Redis server silent this long (PINGs unanswered) is treated as down: /healthz says "
     "degraded (default 3000)."},
    {"drain-ms", "SWITCHBOARD_DRAIN_MS", "ms",
     "After SIGTERM: unready and refusing new sessions, the node serves its clients this long, "
     "then closes them so that they reconnect elsewhere; 0 closes at once (default 10000)."},
    {"queue", "SWITCHBOARD_QUEUE", "key",
     "Redis list producers RPUSH JSON jobs onto; the cluster's nodes consume it together, each "
     "job delivered once, in push order (needs --redis; default: no queue). See docs/queue.md."},
    {"queue-lease", nullptr, "ms",
     "How long the consuming node's lease on the queue lasts unrenewed: another node takes over "
     "that long after it died (default 5000)."},
    {"queue-batch", nullptr, "count",
     "Most jobs one Redis script call takes and delivers (default 256)."},
    {"log", "SWITCHBOARD_LOG", "rules",
     "Qt logging rules, e.g. 'switchboard.*.debug=true' (default: info and above)."},
};

// QSettings reads an unquoted value with commas as a list; the node's values are plain text.
QString iniString(const QSettings &ini, const QString &key)
{
    const QVariant value = ini.value(key);
    return value.typeId() == QMetaType::QStringList ? value.toStringList().join(u',')
                                                    : value.toString();
}

bool toInt(const QString &text, qint64 min, qint64 max, qint64 &out)
{
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value < min || value > max)
        return false;
    out = value;
    return true;
}

} // namespace

NodeConfig::Outcome NodeConfig::parse(const QStringList &arguments, const QProcessEnvironment &env)
{
    Outcome outcome;
    NodeConfig &config = outcome.config;

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Switchboard node: a Socket.IO v4 server that clusters over Redis."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"),
                                          QStringLiteral("INI file with a [node] group of the "
                                                         "same keys as these options."),
                                          QStringLiteral("file.ini"));
    parser.addOption(configOption);
    for (const Setting &s : settings)
        parser.addOption(QCommandLineOption(QString::fromLatin1(s.key), QString::fromLatin1(s.help),
                                            QString::fromLatin1(s.valueName)));

    if (!parser.parse(arguments)) {
        outcome.message = parser.errorText() + QStringLiteral("\nTry --help.");
        outcome.exitNow = true;
        outcome.exitCode = 2;
        return outcome;
    }
    if (parser.isSet(help) || parser.isSet(version)) {
        outcome.message = parser.isSet(help)
                              ? parser.helpText()
                              : QStringLiteral("switchboard-node " SWITCHBOARD_VERSION);
        outcome.exitNow = true;
        return outcome;
    }
    if (!parser.positionalArguments().isEmpty()) {
        outcome.message = QStringLiteral("unexpected argument '%1'. Try --help.")
                              .arg(parser.positionalArguments().first());
        outcome.exitNow = true;
        outcome.exitCode = 2;
        return outcome;
    }

    config.configFile = parser.value(configOption);
    std::unique_ptr<QSettings> ini;
    if (!config.configFile.isEmpty()) {
        const QFileInfo file(config.configFile);
        if (!file.isFile() || !file.isReadable()) {
            outcome.message = QStringLiteral("cannot read config file '%1'").arg(config.configFile);
            outcome.exitNow = true;
            outcome.exitCode = 2;
            return outcome;
        }
        ini = std::make_unique<QSettings>(config.configFile, QSettings::IniFormat);
        ini->beginGroup(QStringLiteral("node"));
    }

    QHash<QString, QString> values;
    for (const Setting &s : settings) {
        const QString key = QString::fromLatin1(s.key);
        if (parser.isSet(key))
            values.insert(key, parser.value(key));
        else if (s.env && env.contains(QString::fromLatin1(s.env)))
            values.insert(key, env.value(QString::fromLatin1(s.env)));
        else if (ini && ini->contains(key))
            values.insert(key, iniString(*ini, key));
    }

    auto bad = [&outcome](const QString &key, const QString &why) {
        outcome.message = QStringLiteral("invalid --%1: %2").arg(key, why);
        outcome.exitNow = true;
        outcome.exitCode = 2;
        return outcome;
    };
    qint64 number = 0;
    if (values.contains(QStringLiteral("port"))) {
        if (!toInt(values.value(QStringLiteral("port")), 0, 65535, number))
            return bad(QStringLiteral("port"), QStringLiteral("expected 0..65535"));
        config.port = quint16(number);
    }
    if (values.contains(QStringLiteral("host"))) {
        const QString host = values.value(QStringLiteral("host"));
        if (host == u"localhost")
            config.host = QHostAddress::LocalHost;
        else if (!config.host.setAddress(host))
            return bad(QStringLiteral("host"),
                       QStringLiteral("'%1' is not an IP address").arg(host));
    }
    struct IntSetting
    {
        const char *key;
        qint64 min, max;
        std::function<void(qint64)> apply;
    };
    ServerOptions &server = config.server;
    const IntSetting ints[] = {
        {"ping-interval", 10, 3600000, [&](qint64 v) { server.engine.pingInterval = int(v); }},
        {"ping-timeout", 10, 3600000, [&](qint64 v) { server.engine.pingTimeout = int(v); }},
        {"max-payload", 64, 1LL << 30, [&](qint64 v) { server.engine.maxPayload = v; }},
        {"connect-timeout", 10, 3600000, [&](qint64 v) { server.connectTimeout = int(v); }},
        {"requests-timeout", 10, 600000, [&](qint64 v) { config.requestsTimeoutMs = int(v); }},
        {"max-namespaces", 1, 1000000, [&](qint64 v) { server.maxNamespaces = int(v); }},
        {"max-attachments", 0, 1000, [&](qint64 v) { server.maxAttachments = int(v); }},
        {"max-attachment-bytes", 0, 1LL << 30, [&](qint64 v) { server.maxAttachmentBytes = v; }},
        {"max-buffered", 4096, 1LL << 30, [&](qint64 v) { server.engine.maxBufferedBytes = v; }},
        {"max-pending-acks", 1, 1000000, [&](qint64 v) { server.maxPendingAcks = int(v); }},
        {"max-rooms", 1, 1000000, [&](qint64 v) { server.maxRoomsPerSocket = int(v); }},
        {"max-auth-failures", 1, 1000000, [&](qint64 v) { server.maxAuthFailures = int(v); }},
        {"max-depth", 2, 1000, [&](qint64 v) { server.maxDepth = int(v); }},
        {"max-header-bytes", 1024, 1LL << 20, [&](qint64 v) { server.http.maxHeaderBytes = v; }},
        {"body-timeout", 10, 3600000, [&](qint64 v) { server.http.bodyTimeoutMs = int(v); }},
        {"max-bodies-bytes", 1024, 1LL << 34, [&](qint64 v) { server.http.maxBodiesBytes = v; }},
        {"idle-timeout", 10, 3600000, [&](qint64 v) { server.http.idleTimeoutMs = int(v); }},
        {"keepalive-timeout", 10, 3600000,
         [&](qint64 v) { server.http.keepAliveTimeoutMs = int(v); }},
        {"write-coalesce", 0, 1000, [&](qint64 v) { server.http.writeCoalesceMs = int(v); }},
        {"write-coalesce-above", 0, 1LL << 40,
         [&](qint64 v) { server.http.writeCoalesceAbove = v; }},
        {"redis-timeout", 100, 600000, [&](qint64 v) { config.redisTimeoutMs = int(v); }},
        {"drain-ms", 0, 3600000, [&](qint64 v) { config.drainMs = int(v); }},
        {"queue-lease", 200, 600000, [&](qint64 v) { config.queueLeaseMs = int(v); }},
        {"queue-batch", 1, 4096, [&](qint64 v) { config.queueBatch = int(v); }},
    };
    for (const IntSetting &s : ints) {
        const QString key = QString::fromLatin1(s.key);
        if (!values.contains(key))
            continue;
        if (!toInt(values.value(key), s.min, s.max, number))
            return bad(key, QStringLiteral("expected an integer in %1..%2").arg(s.min).arg(s.max));
        s.apply(number);
    }
    server.dynamicNamespaces = values.value(QStringLiteral("namespaces"), QStringLiteral("*"))
                                   .split(u',', Qt::SkipEmptyParts);
    for (QString &pattern : server.dynamicNamespaces) {
        pattern = pattern.trimmed();
        if (!pattern.startsWith(u'/') && pattern != u"*")
            return bad(QStringLiteral("namespaces"),
                       QStringLiteral("'%1' must start with '/' or be '*'").arg(pattern));
    }
    if (values.contains(QStringLiteral("transport"))) {
        const QString transport = values.value(QStringLiteral("transport"));
        if (transport == u"epoll")
            server.transport = TransportKind::Epoll;
        else if (transport == u"qt")
            server.transport = TransportKind::Qt;
        else
            return bad(QStringLiteral("transport"),
                       QStringLiteral("'%1' is not epoll or qt").arg(transport));
    }
    if (values.contains(QStringLiteral("transports"))) {
        server.transports.clear();
        for (const QString &part :
             values.value(QStringLiteral("transports")).split(u',', Qt::SkipEmptyParts)) {
            const QString name = part.trimmed();
            if (name != u"polling" && name != u"websocket")
                return bad(QStringLiteral("transports"),
                           QStringLiteral("'%1' is not polling or websocket").arg(name));
            if (!server.transports.contains(name))
                server.transports << name;
        }
        if (server.transports.isEmpty())
            return bad(QStringLiteral("transports"), QStringLiteral("names no transport"));
    }
    if (values.contains(QStringLiteral("path"))) {
        server.path = values.value(QStringLiteral("path"));
        if (!server.path.startsWith(u'/'))
            return bad(QStringLiteral("path"), QStringLiteral("must start with '/'"));
    }
    if (values.contains(QStringLiteral("cors-origin"))) {
        QString error;
        const auto cors = CorsOptions::parse(values.value(QStringLiteral("cors-origin")), error);
        if (!cors)
            return bad(QStringLiteral("cors-origin"), error);
        config.cors = *cors;
    }
    config.redisUrl = values.value(QStringLiteral("redis"));
    if (!config.redisUrl.isEmpty()) {
        const Decoded<redis::Url> url = redis::Url::parse(config.redisUrl);
        if (!url)
            return bad(QStringLiteral("redis"), url.error());
    }
    config.redisKey = values.value(QStringLiteral("redis-key"), QStringLiteral("socket.io"));
    if (config.redisKey.isEmpty() || config.redisKey.contains(u'#'))
        return bad(QStringLiteral("redis-key"),
                   QStringLiteral("must be non-empty and without '#'"));
    config.queueKey = values.value(QStringLiteral("queue"));
    if (!config.queueKey.isEmpty() && config.redisUrl.isEmpty())
        return bad(QStringLiteral("queue"),
                   QStringLiteral("the queue is a Redis list: it needs --redis (or REDIS_URL)"));
    config.authToken = values.value(QStringLiteral("auth-token"));
    if (values.contains(QStringLiteral("redact"))) {
        config.redaction.authFields.clear();
        for (const QString &field :
             values.value(QStringLiteral("redact")).split(u',', Qt::SkipEmptyParts))
            config.redaction.authFields << field.trimmed();
    }
    config.redaction.secrets.clear();
    if (!config.authToken.isEmpty())
        config.redaction.secrets << config.authToken;
    config.apiToken = values.value(QStringLiteral("api-token"));
    if (!config.apiToken.isEmpty())
        config.redaction.secrets << config.apiToken;
    config.logRules = values.value(QStringLiteral("log"));
    config.logRulesFromFile = ini && !parser.isSet(QStringLiteral("log")) &&
                              !env.contains(QStringLiteral("SWITCHBOARD_LOG"));
    config.name = values.value(QStringLiteral("name"));
    if (config.name.isEmpty())
        config.name = QStringLiteral("%1:%2").arg(QHostInfo::localHostName()).arg(config.port);
    return outcome;
}

QString NodeConfig::reloadLogRules() const
{
    // The command line and the environment still win over the file, as at start-up.
    if (configFile.isEmpty() || !logRulesFromFile)
        return logRules;
    QSettings ini(configFile, QSettings::IniFormat);
    ini.beginGroup(QStringLiteral("node"));
    return ini.contains(QStringLiteral("log")) ? iniString(ini, QStringLiteral("log")) : QString();
}

} // namespace switchboard
