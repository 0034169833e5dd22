#include "switchboard/node.h"

#include "switchboard/logging.h"
#include "switchboard/relayservice.h"
#include "switchboard/server.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard {

namespace {

bool sameSecret(const QByteArray &a, const QByteArray &b)
{
    // Constant time in the length of the expected token.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (qsizetype i = 0; i < b.size(); ++i)
        diff |= static_cast<unsigned char>(b.at(i) ^ (i < a.size() ? a.at(i) : 0));
    return diff == 0;
}

} // namespace

Node::Node(NodeConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_server(new Server(m_config.server, this)),
      m_relay(new RelayService(m_server, this))
{
    addRoutes();
    addAuthentication();
}

Node::~Node() = default;

QString Node::start()
{
    if (!m_server->listen(m_config.host, m_config.port))
        return QStringLiteral("cannot listen on %1:%2: %3")
            .arg(m_config.host.toString())
            .arg(m_config.port)
            .arg(m_server->errorString());
    return {};
}

void Node::shutdown(const QString &reason)
{
    m_server->close(reason);
}

QVariantMap Node::health() const
{
    QVariantMap namespaces;
    for (const Namespace *nsp : m_server->namespaces())
        namespaces.insert(nsp->name(), nsp->sockets().size());
    return {
        {QStringLiteral("status"), QStringLiteral("ok")},
        {QStringLiteral("name"), m_config.name},
        {QStringLiteral("version"), QStringLiteral(SWITCHBOARD_VERSION)},
        {QStringLiteral("pid"), QCoreApplication::applicationPid()},
        {QStringLiteral("uptime"), m_server->startTime().secsTo(QDateTime::currentDateTimeUtc())},
        {QStringLiteral("clients"), m_server->clientCount()},
        {QStringLiteral("sockets"), namespaces},
        {QStringLiteral("cluster"),
         m_config.redisUrl.isEmpty() ? QStringLiteral("single node") : QStringLiteral("redis")},
    };
}

void Node::addRoutes()
{
    HttpFront *http = m_server->http();
    http->route("GET", QStringLiteral("/healthz"), [this](const HttpRequest &) {
        return HttpResponse::json(
            200,
            QJsonDocument(QJsonObject::fromVariantMap(health())).toJson(QJsonDocument::Compact));
    });
    http->route("GET", QStringLiteral("/"), [](const HttpRequest &) {
        QFile page(QStringLiteral(":/switchboard/public/index.html"));
        if (!page.open(QIODevice::ReadOnly))
            return HttpResponse::error(500, QStringLiteral("page missing from this build"));
        return HttpResponse{200, "text/html; charset=utf-8", page.readAll(), {}};
    });
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
