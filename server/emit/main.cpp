// switchboard-emit: one emit from a shell script or cron, through Redis. It publishes the
// broadcast @socket.io/redis-emitter would (every node of the cluster delivers it), or with
// --enqueue pushes the job onto the list the nodes' --queue consumes. Synchronous hiredis: one
// connection, one command, an exit code that says how it went.
#include "switchboard/emitjob.h"
#include "switchboard/json.h"
#include "switchboard/redisurl.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QProcessEnvironment>

#include <hiredis/hiredis.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

using namespace switchboard;

namespace {

enum Exit : int
{
    Sent = 0,
    Usage = 2,      // bad arguments, bad JSON, a job the nodes would refuse
    RedisError = 3, // Redis unreachable, or it refused the command
};

// What the node refuses by default (--max-depth 32): a job it would drop is refused here.
constexpr int NodeMaxDepth = 32;

const char *const Description =
    "Emits one Socket.IO event to a Switchboard (or any @socket.io/redis-adapter) cluster "
    "through Redis, as @socket.io/redis-emitter does, or pushes it onto the nodes' --queue "
    "list with --enqueue.\n"
    "\n"
    "DATA is one JSON value (the event's one argument), or '-' to read it from stdin; "
    "without DATA the event has no argument.\n"
    "\n"
    "Exit codes:\n"
    "  0  sent (published, or pushed onto the queue)\n"
    "  2  usage error: unknown option, bad JSON, a reserved event name, a bad --nsp/--to\n"
    "  3  Redis unreachable, or it refused the command (authentication, wrong key type)\n"
    "\n"
    "Examples:\n"
    "  switchboard-emit --to lobby message '{\"text\":\"hello\"}'\n"
    "  echo '[1,2,3]' | switchboard-emit --redis redis://:pw@db:6379/0 --nsp /chat "
    "--to room1 --except SOCKETID numbers -\n"
    "  switchboard-emit --enqueue --queue-key jobs --to lobby message '\"hi\"'";

struct Options
{
    redis::Url url;
    QString redisUrl;
    QString key;
    bool enqueue = false;
    QString queueKey;
    int timeoutMs = 5000;
    EmitJob job;
};

struct RedisFree
{
    void operator()(redisContext *c) const { redisFree(c); }
    void operator()(redisReply *r) const { freeReplyObject(r); }
};

int fail(int code, const QString &message)
{
    std::fprintf(stderr, "switchboard-emit: %s\n", qPrintable(message));
    return code;
}

// Parses the command line into `options`; on failure returns the exit code with the error
// printed (or 0 after --help/--version).
std::optional<int> parse(const QStringList &arguments, const QProcessEnvironment &env,
                         Options &options)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(Description));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption redisOption(
        QStringLiteral("redis"),
        QStringLiteral("Redis URL, as the node's --redis: redis://[user:password@]host[:port][/db]"
                       " or unix:///path.sock (default: $REDIS_URL, else redis://127.0.0.1:6379)."),
        QStringLiteral("url"));
    const QCommandLineOption keyOption(
        {QStringLiteral("key"), QStringLiteral("redis-key")},
        QStringLiteral("The adapter's key, the nodes' --redis-key (default: $REDIS_KEY, else "
                       "socket.io)."),
        QStringLiteral("prefix"));
    const QCommandLineOption nspOption(QStringLiteral("nsp"),
                                       QStringLiteral("Namespace (default /)."),
                                       QStringLiteral("namespace"));
    const QCommandLineOption toOption(
        QStringLiteral("to"),
        QStringLiteral("A room or socket id to reach; repeatable (default: the whole "
                       "namespace)."),
        QStringLiteral("room"));
    const QCommandLineOption exceptOption(
        QStringLiteral("except"), QStringLiteral("A room or socket id to leave out; repeatable."),
        QStringLiteral("room"));
    const QCommandLineOption enqueueOption(
        QStringLiteral("enqueue"),
        QStringLiteral("RPUSH the job's JSON onto the queue list instead of publishing it: the "
                       "nodes started with --queue deliver it once, even when none is up now."));
    const QCommandLineOption queueKeyOption(
        QStringLiteral("queue-key"),
        QStringLiteral("The list --enqueue pushes onto, the nodes' --queue (default: "
                       "$SWITCHBOARD_QUEUE; no other default, so that a job never lands on a "
                       "list nobody reads)."),
        QStringLiteral("key"));
    const QCommandLineOption timeoutOption(
        QStringLiteral("timeout"),
        QStringLiteral("Milliseconds to connect and for each command (default 5000)."),
        QStringLiteral("ms"));
    parser.addOptions({redisOption, keyOption, nspOption, toOption, exceptOption, enqueueOption,
                       queueKeyOption, timeoutOption});
    parser.addPositionalArgument(QStringLiteral("EVENT"), QStringLiteral("The event name."));
    parser.addPositionalArgument(QStringLiteral("DATA"),
                                 QStringLiteral("Its argument as JSON, or '-' for stdin."),
                                 QStringLiteral("[DATA]"));

    if (!parser.parse(arguments))
        return fail(Usage, parser.errorText() + QStringLiteral(" (try --help)"));
    if (parser.isSet(help)) {
        std::printf("%s", qPrintable(parser.helpText()));
        return Sent;
    }
    if (parser.isSet(version)) {
        std::printf("switchboard-emit %s\n", SWITCHBOARD_VERSION);
        return Sent;
    }

    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return fail(Usage, QStringLiteral("missing EVENT (try --help)"));
    if (positional.size() > 2)
        return fail(Usage, QStringLiteral("unexpected argument '%1': DATA is one JSON value "
                                          "(quote it)")
                               .arg(positional.at(2)));

    options.redisUrl =
        parser.isSet(redisOption)
            ? parser.value(redisOption)
            : env.value(QStringLiteral("REDIS_URL"), QStringLiteral("redis://127.0.0.1:6379"));
    const Decoded<redis::Url> url = redis::Url::parse(options.redisUrl);
    if (!url)
        return fail(Usage, QStringLiteral("invalid --redis: %1").arg(url.error()));
    options.url = *url;
    options.key = parser.isSet(keyOption)
                      ? parser.value(keyOption)
                      : env.value(QStringLiteral("REDIS_KEY"), QStringLiteral("socket.io"));
    if (options.key.isEmpty() || options.key.contains(u'#'))
        return fail(Usage, QStringLiteral("invalid --key: must be non-empty and without '#'"));
    options.enqueue = parser.isSet(enqueueOption);
    options.queueKey = parser.isSet(queueKeyOption)
                           ? parser.value(queueKeyOption)
                           : env.value(QStringLiteral("SWITCHBOARD_QUEUE"));
    if (options.enqueue && options.queueKey.isEmpty())
        return fail(Usage, QStringLiteral("--enqueue needs --queue-key (or SWITCHBOARD_QUEUE): "
                                          "the list the nodes' --queue consumes"));
    if (parser.isSet(timeoutOption)) {
        bool ok = false;
        options.timeoutMs = parser.value(timeoutOption).toInt(&ok);
        if (!ok || options.timeoutMs < 1 || options.timeoutMs > 600000)
            return fail(Usage, QStringLiteral("invalid --timeout: expected 1..600000 ms"));
    }

    // The job as the API would get it, checked by the same rules the nodes apply.
    QVariantMap object{{QStringLiteral("event"), positional.first()}};
    if (parser.isSet(nspOption))
        object.insert(QStringLiteral("nsp"), parser.value(nspOption));
    if (parser.isSet(toOption))
        object.insert(QStringLiteral("to"), parser.values(toOption));
    if (parser.isSet(exceptOption))
        object.insert(QStringLiteral("except"), parser.values(exceptOption));
    if (positional.size() == 2) {
        QByteArray text = positional.at(1).toUtf8();
        if (text == "-") {
            QFile in;
            if (!in.open(stdin, QIODevice::ReadOnly))
                return fail(Usage, QStringLiteral("cannot read DATA from stdin"));
            text = in.readAll();
        }
        const Decoded<QVariant> data = json::parse(text.trimmed());
        if (!data)
            return fail(Usage, QStringLiteral("DATA is not JSON: %1").arg(data.error()));
        object.insert(QStringLiteral("data"), *data);
    }
    const Decoded<EmitJob> job = parseEmitJob(json::serialize(object), NodeMaxDepth);
    if (!job) {
        // The job's field names are the options' names here.
        QString error = job.error();
        if (error.startsWith(QLatin1String("to")) || error.startsWith(QLatin1String("except")) ||
            error.startsWith(QLatin1String("nsp")))
            error.prepend(QStringLiteral("--"));
        return fail(Usage, error);
    }
    options.job = *job;
    return std::nullopt;
}

int run(const Options &options)
{
    const timeval timeout{options.timeoutMs / 1000, (options.timeoutMs % 1000) * 1000};
    const QString where = options.url.redacted();
    std::unique_ptr<redisContext, RedisFree> context(
        options.url.isUnix()
            ? redisConnectUnixWithTimeout(options.url.unixPath.toLocal8Bit().constData(), timeout)
            : redisConnectWithTimeout(options.url.host.toUtf8().constData(), options.url.port,
                                      timeout));
    if (!context)
        return fail(RedisError, QStringLiteral("cannot connect to %1: out of memory").arg(where));
    if (context->err)
        return fail(RedisError, QStringLiteral("cannot connect to %1: %2")
                                    .arg(where, QString::fromLocal8Bit(context->errstr)));
    redisSetTimeout(context.get(), timeout);

    // One command and its reply; an error reply or a lost connection ends the run.
    auto command = [&](const QList<QByteArray> &args, const QString &what,
                       long long *integer = nullptr) -> std::optional<int> {
        std::vector<const char *> argv;
        std::vector<size_t> lengths;
        for (const QByteArray &arg : args) {
            argv.push_back(arg.constData());
            lengths.push_back(size_t(arg.size()));
        }
        std::unique_ptr<redisReply, RedisFree> reply(static_cast<redisReply *>(
            redisCommandArgv(context.get(), int(argv.size()), argv.data(), lengths.data())));
        if (!reply)
            return fail(RedisError, QStringLiteral("%1 on %2 failed: %3")
                                        .arg(what, where, QString::fromLocal8Bit(context->errstr)));
        if (reply->type == REDIS_REPLY_ERROR)
            return fail(RedisError, QStringLiteral("Redis at %1 refused %2: %3")
                                        .arg(where, what,
                                             QString::fromUtf8(reply->str, qsizetype(reply->len))));
        if (integer)
            *integer = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
        return std::nullopt;
    };

    if (!options.url.password.isEmpty()) {
        QList<QByteArray> auth{"AUTH"};
        if (!options.url.user.isEmpty())
            auth << options.url.user.toUtf8();
        auth << options.url.password.toUtf8();
        if (auto code = command(auth, QStringLiteral("AUTH")))
            return *code;
    }
    if (options.url.db != 0) {
        if (auto code = command({"SELECT", QByteArray::number(options.url.db)},
                                QStringLiteral("SELECT %1").arg(options.url.db)))
            return *code;
    }

    if (options.enqueue) {
        const QByteArray key = options.queueKey.toUtf8();
        if (auto code = command({"RPUSH", key, emitJobToJson(options.job)},
                                QStringLiteral("RPUSH %1").arg(options.queueKey)))
            return *code;
        return Sent;
    }
    const cluster::BroadcastMessage message = toBroadcast(options.job);
    const QByteArray channel = broadcastChannel(cluster::Channels(options.key), message);
    long long receivers = 0;
    if (auto code =
            command({"PUBLISH", channel, cluster::encodeBroadcast(message)},
                    QStringLiteral("PUBLISH %1").arg(QString::fromUtf8(channel)), &receivers))
        return *code;
    // Sent all the same (a node may be restarting); worth a word to whoever runs the script.
    if (receivers == 0)
        std::fprintf(stderr,
                     "switchboard-emit: warning: no server subscribes to %s on %s: nobody "
                     "received it (wrong --key or --redis?)\n",
                     channel.constData(), qPrintable(where));
    return Sent;
}

} // namespace

int main(int argc, char *argv[])
{
    // Redis closing the connection mid-command is an exit code 3, not a death by SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("switchboard-emit"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION));
    Options options;
    if (const std::optional<int> exit =
            parse(QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment(), options))
        return *exit;
    return run(options);
}
