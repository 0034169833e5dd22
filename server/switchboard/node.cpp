#include "switchboard/node.h"

#include "switchboard/cluster.h"
#include "switchboard/drain.h"
#include "switchboard/emitapi.h"
#include "switchboard/emitjob.h"
#include "switchboard/jobqueue.h"
#include "switchboard/logging.h"
#include "switchboard/nodeannouncer.h"
#include "switchboard/nodemetrics.h"
#include "switchboard/readiness.h"
#include "switchboard/relayservice.h"
#include "switchboard/server.h"

#include <QCoreApplication>
#include <QFile>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QResource>

#include <sys/resource.h>

namespace switchboard {

namespace {

// The official client bundle (resources/client, compiled in by server/CMakeLists.txt), as
// socket.io serves it beside its Engine.IO path. The msgpack build is left out: this node
// speaks the default parser only.
constexpr const char *ClientFiles[] = {
    "socket.io.js",         "socket.io.js.map",     "socket.io.min.js",
    "socket.io.min.js.map", "socket.io.esm.min.js", "socket.io.esm.min.js.map",
};

} // namespace

qint64 raiseOpenFilesLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    constexpr rlim_t Low = 16384;
    if (limit.rlim_cur < Low)
        qCWarning(lcServer) << "open files limit is" << quint64(limit.rlim_cur) << "(hard limit"
                            << quint64(limit.rlim_max)
                            << "): the node cannot hold more connections than that; raise it "
                               "with `ulimit -Hn` or LimitNOFILE= in the systemd unit";
    else
        qCInfo(lcServer) << "open files limit:" << quint64(limit.rlim_cur);
    return qint64(limit.rlim_cur);
}

Node::Node(NodeConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_server(new Server(m_config.server, this)),
      m_relay(new RelayService(m_server, this))
{
    // The departure is announced once the drain closed the clients (m_announcer: after start());
    // the queue was handed over when the drain began (consumeQueue()).
    m_drain = new Drain(
        m_server, m_config.drainMs,
        [this] {
            if (m_announcer)
                m_announcer->leave();
        },
        this);
    addRoutes();
    addWhois();
    addAuthentication();
    if (!m_config.redisUrl.isEmpty())
        joinCluster();
    addNodeMetrics(m_metrics, m_server, m_cluster, m_drain);
    if (!m_config.apiToken.isEmpty()) {
        m_emitApi = new EmitApi(m_server, m_cluster, m_config.apiToken, this);
        addApiMetrics(m_metrics, m_emitApi);
    }
}

Node::~Node()
{
    // Adapters unsubscribe from the cluster when they go: the server goes first.
    delete m_server;
    m_server = nullptr;
}

void Node::joinCluster()
{
    ClusterOptions options;
    options.url = *redis::Url::parse(m_config.redisUrl);
    options.key = m_config.redisKey;
    options.requestsTimeoutMs = m_config.requestsTimeoutMs;
    options.redaction = m_config.redaction;
    options.redis.clientName =
        QStringLiteral("switchboard-%1").arg(m_config.name).toUtf8().replace(' ', '_');
    // Silent this long: degraded. The command connection is dropped at twice that (at least the
    // 5 s command timeout); the subscription is kept while Redis's kernel still acknowledges,
    // so that a Redis that merely paused delivers late instead of opening a gap.
    options.redis.stallTimeoutMs = m_config.redisTimeoutMs;
    options.redis.commandTimeoutMs =
        qMax(options.redis.commandTimeoutMs, 2 * m_config.redisTimeoutMs);
    m_cluster = new Cluster(options, this);
    m_server->setAdapterFactory(m_cluster->adapterFactory());

    // Built-in server-side event: any server may ask who is out there.
    auto whois = [this](const QVariantList &, const Ack &ack) {
        ack({QVariantMap{{QStringLiteral("uid"), m_cluster->uid()},
                         {QStringLiteral("name"), m_config.name},
                         {QStringLiteral("pid"), QCoreApplication::applicationPid()}}});
    };
    for (Namespace *nsp : m_server->namespaces())
        nsp->onServerSideEmit(QStringLiteral("switchboard:whois"), whois);
    connect(m_server, &Server::namespaceCreated, this, [whois](Namespace *nsp) {
        nsp->onServerSideEmit(QStringLiteral("switchboard:whois"), whois);
    });
}

QString Node::start()
{
    if (!m_server->listen(m_config.host, m_config.port))
        return QStringLiteral("cannot listen on %1:%2: %3")
            .arg(m_config.host.toString())
            .arg(m_config.port)
            .arg(m_server->errorString());
    if (m_cluster) {
        const QString host =
            m_config.host == QHostAddress::Any || m_config.host == QHostAddress::AnyIPv6
                ? QHostInfo::localHostName()
                : m_config.host.toString();
        m_announcer =
            new NodeAnnouncer(m_server, m_cluster, m_config.name,
                              QStringLiteral("%1:%2").arg(host).arg(m_server->serverPort()), this);
        m_cluster->start();
        m_announcer->start();
        if (!m_config.queueKey.isEmpty())
            consumeQueue();
    }
    return {};
}

void Node::consumeQueue()
{
    JobQueueOptions options;
    options.url = m_cluster->options().url;
    options.redis = m_cluster->options().redis;
    options.key = m_config.queueKey;
    options.channels = m_cluster->channels();
    options.uid = m_cluster->uid();
    options.name = m_config.name;
    options.leaseMs = m_config.queueLeaseMs;
    options.batchSize = m_config.queueBatch;
    options.maxJobBytes = m_config.server.engine.maxPayload;
    const int maxDepth = m_config.server.maxDepth;
    m_queue = new JobQueue(
        options,
        [maxDepth](QByteArrayView job) -> Decoded<cluster::BroadcastMessage> {
            const Decoded<EmitJob> parsed = parseEmitJob(job, maxDepth);
            if (!parsed)
                return Decoded<cluster::BroadcastMessage>::failure(parsed.error());
            return toBroadcast(*parsed);
        },
        this);
    m_announcer->setDecorator([queue = m_queue, key = options.key](cluster::NodePresence &p) {
        const JobQueue::Stats stats = queue->stats();
        p.queue = cluster::NodePresence::Queue{
            key, stats.depth, stats.consumed, stats.deadLettered, stats.reclaimed, stats.consuming};
    });
    // The node's own clients get what it publishes only while its subscription is up.
    m_queue->setGate([cluster = m_cluster] { return cluster->isConnected(); });
    addQueueMetrics(m_metrics, m_queue);
    // A draining node hands the queue over at once (its batch back to the head, the lease
    // released): another node consumes while this one's clients are served for --drain-ms.
    connect(m_drain, &Drain::phaseChanged, m_queue, [queue = m_queue](Drain::Phase phase) {
        if (phase != Drain::Phase::Serving)
            queue->stop();
    });
    m_queue->start();
}

void Node::shutdown(const QString &reason)
{
    if (m_queue)
        m_queue->stop();
    if (m_announcer)
        m_announcer->leave();
    m_server->close(reason);
}

QVariantMap Node::health() const
{
    QVariantMap namespaces;
    for (const Namespace *nsp : m_server->namespaces())
        namespaces.insert(nsp->name(), nsp->sockets().size());
    QVariantMap health{
        // Redis down: local clients are still served, other nodes are not reached.
        {QStringLiteral("status"), !m_cluster || m_cluster->isConnected()
                                       ? QStringLiteral("ok")
                                       : QStringLiteral("degraded")},
        {QStringLiteral("name"), m_config.name},
        {QStringLiteral("version"), QStringLiteral(SWITCHBOARD_VERSION)},
        {QStringLiteral("pid"), QCoreApplication::applicationPid()},
        {QStringLiteral("uptime"), m_server->startTime().secsTo(QDateTime::currentDateTimeUtc())},
        {QStringLiteral("clients"), m_server->clientCount()},
        {QStringLiteral("sockets"), namespaces},
        {QStringLiteral("limits"), m_server->bounds().toMap()},
        {QStringLiteral("cluster"),
         m_cluster ? QVariant(m_cluster->status()) : QVariant(QStringLiteral("single node"))},
        {QStringLiteral("drain"), m_drain->status()},
    };
    if (m_queue)
        health.insert(QStringLiteral("queue"), m_queue->status());
    if (m_emitApi) {
        // POST /api/emit's answers by status: {"202": n, "400": n, ...}.
        QVariantMap byStatus;
        const QMap<int, quint64> &counts = m_emitApi->requestsByStatus();
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            byStatus.insert(QString::number(it.key()), it.value());
        health.insert(QStringLiteral("emitApi"), byStatus);
    }
    return health;
}

void Node::addRoutes()
{
    HttpFront *http = m_server->http();
    http->route("GET", QStringLiteral("/healthz"), [this](const HttpRequest &) {
        return HttpResponse::json(
            200,
            QJsonDocument(QJsonObject::fromVariantMap(health())).toJson(QJsonDocument::Compact));
    });
    // Readiness and metrics: what a load balancer and Prometheus ask (docs/operations.md).
    http->route("GET", QStringLiteral("/readyz"), [this](const HttpRequest &) {
        return Readiness::of(*m_drain, m_cluster).response();
    });
    http->route("GET", QStringLiteral("/metrics"), [this](const HttpRequest &) {
        return HttpResponse{200, MetricsRegistry::ContentType, m_metrics.render(), {}};
    });
    http->setCors(m_config.cors);
    QString engineIoPath = m_server->options().path;
    if (!engineIoPath.endsWith(u'/'))
        engineIoPath += u'/';
    http->route("GET", QStringLiteral("/"), [engineIoPath](const HttpRequest &) {
        QFile file(QStringLiteral(":/switchboard/public/index.html"));
        if (!file.open(QIODevice::ReadOnly))
            return HttpResponse::error(500, QStringLiteral("page missing from this build"));
        QByteArray page = file.readAll();
        // The page loads the bundle from beside the Engine.IO path and connects to that path.
        page.replace("src=\"/socket.io/socket.io.js\"",
                     "src=\"" + engineIoPath.toUtf8() + "socket.io.js\"");
        return HttpResponse{200, "text/html; charset=utf-8", page, {}};
    });
    for (const char *name : ClientFiles) {
        // Stored uncompressed (server/CMakeLists.txt): the body refers to the binary's bytes.
        const QResource resource(QStringLiteral(":/switchboard/client/") + QLatin1String(name));
        const QByteArray body = resource.uncompressedData();
        if (body.isEmpty()) {
            qCWarning(lcServer) << "client bundle file" << name << "missing from this build";
            continue;
        }
        const QByteArray type = QByteArrayView(name).endsWith(".map")
                                    ? "application/json; charset=utf-8"
                                    : "application/javascript; charset=utf-8";
        // socket.io's ETag is the client's version: a new build of the node with the same
        // client keeps browsers' copies valid.
        // Compressed once here, as socket.io compresses each answer: about a third of the bytes.
        const QByteArray gzipped = gzip(body);
        http->route("GET", engineIoPath + QLatin1String(name),
                    [type, body, gzipped](const HttpRequest &r) {
                        return HttpResponse::cachedCompressed(r, type, body, gzipped,
                                                              SWITCHBOARD_CLIENT_VERSION);
                    });
    }
}

void Node::addWhois()
{
    // A client may ask which node it is on (the demo page shows it): {name} and, in a
    // cluster, the node's uid as its peers know it.
    auto whois = [this](Socket *, const QVariantList &, const Socket::Ack &ack) {
        if (!ack)
            return;
        QVariantMap reply{{QStringLiteral("name"), m_config.name}};
        if (m_cluster)
            reply.insert(QStringLiteral("uid"), m_cluster->uid());
        ack({reply});
    };
    for (Namespace *nsp : m_server->namespaces())
        nsp->on(QStringLiteral("switchboard:whois"), whois);
    connect(m_server, &Server::namespaceCreated, this,
            [whois](Namespace *nsp) { nsp->on(QStringLiteral("switchboard:whois"), whois); });
}

void Node::addAuthentication()
{
    if (m_config.authToken.isEmpty())
        return;
    const QByteArray token = m_config.authToken.toUtf8();
    auto check = [token](Socket *socket, const Namespace::Next &next) {
        const QByteArray given =
            socket->handshake().auth.value(QStringLiteral("token")).toString().toUtf8();
        if (sameSecret(given, token))
            next({}, {});
        else
            next(QStringLiteral("unauthorized"), {});
    };
    for (Namespace *nsp : m_server->namespaces())
        nsp->use(check);
    connect(m_server, &Server::namespaceCreated, this,
            [check](Namespace *nsp) { nsp->use(check); });
}

} // namespace switchboard
