#include "switchboard/server.h"

#include "switchboard/adapter.h"
#include "switchboard/client.h"
#include "switchboard/epollfront.h"
#include "switchboard/logging.h"
#include "switchboard/qthttpfront.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace switchboard {

namespace {

// '*' stands for any run of characters, '/' included; everything else is literal.
bool globMatch(const QString &pattern, const QString &name)
{
    QStringList parts;
    for (const QString &part : pattern.split(u'*'))
        parts << QRegularExpression::escape(part);
    const QRegularExpression re(
        QRegularExpression::anchoredPattern(parts.join(QStringLiteral(".*"))));
    return re.match(name).hasMatch();
}

// A new session while draining: engine.io's error body (code 4, as its allowRequest refusals)
// with 503, so that a load balancer or the client's reconnection tries another node.
HttpResponse drainingRefusal()
{
    HttpResponse response =
        HttpResponse::json(503, R"({"code":4,"message":"Server is shutting down"})");
    response.headers.append({QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1")});
    return response;
}

} // namespace

Server::Server(ServerOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options)),
      m_http(m_options.transport == TransportKind::Qt
                 ? static_cast<HttpFront *>(new QtHttpFront(this))
                 : static_cast<HttpFront *>(new EpollFront(this))),
      m_adapterFactory([](Namespace *nsp) { return std::make_unique<LocalAdapter>(nsp); }),
      m_startTime(QDateTime::currentDateTimeUtc())
{
    m_http->setEngineIoPath(m_options.path,
                            [this](const HttpRequest &request) { return checkHandshake(request); });
    m_http->setMaxMessageSize(m_options.engine.maxPayload);
    m_http->setMaxBufferedBytes(m_options.engine.maxBufferedBytes);
    HttpLimits limits = m_options.http;
    limits.maxBodyBytes = m_options.engine.maxPayload; // as engine.io's maxHttpBufferSize
    m_http->setLimits(limits);
    m_http->setBounds(&m_traffic.bounds);
    connect(m_http, &HttpFront::transportOpened, this, &Server::onTransport);
    m_http->setEngineIoHandler([this](const HttpRequest &request, HttpExchange *exchange) {
        onPollingRequest(request, exchange);
    });
    m_http->setBodyRefusalHandler([this](const HttpRequest &request) { onBodyRefused(request); });
    m_options.engine.offerUpgrade = m_options.transports.contains(u"websocket");
    of(QStringLiteral("/"));
}

Server::~Server()
{
    // Clients refer to namespaces: they go first.
    qDeleteAll(std::exchange(m_clients, {}));
}

bool Server::listen(const QHostAddress &address, quint16 port)
{
    return m_http->listen(address, port);
}

void Server::setAdapterFactory(AdapterFactory factory)
{
    m_adapterFactory = std::move(factory);
    for (Namespace *nsp : std::as_const(m_namespaces)) {
        if (nsp->sockets().isEmpty())
            nsp->setAdapter(m_adapterFactory(nsp));
        else
            qCWarning(lcServer).noquote() << "namespace" << quoted(nsp->name())
                                          << "keeps its adapter: it already has sockets";
    }
}

Namespace *Server::of(const QString &name)
{
    const QString key = name.startsWith(u'/') ? name : u'/' + name;
    if (Namespace *existing = m_namespaces.value(key))
        return existing;
    auto *nsp = new Namespace(this, key);
    nsp->setAdapter(m_adapterFactory(nsp));
    m_namespaces.insert(key, nsp);
    Q_EMIT namespaceCreated(nsp);
    return nsp;
}

Namespace *Server::namespaceFor(const QString &name)
{
    if (Namespace *existing = existingNamespace(name))
        return existing;
    if (!name.startsWith(u'/'))
        return nullptr;
    for (const QString &pattern : m_options.dynamicNamespaces) {
        if (!globMatch(pattern, name))
            continue;
        if (name.size() > MaxDynamicNamespaceName) {
            m_traffic.bounds.hit(Bound::Namespaces);
            qCInfo(lcServer).noquote()
                << "refusing namespace" << quoted(name, 100) << "- longer than"
                << MaxDynamicNamespaceName << "characters";
            return nullptr;
        }
        if (m_namespaces.size() >= m_options.maxNamespaces) {
            m_traffic.bounds.hit(Bound::Namespaces);
            qCWarning(lcServer).noquote()
                << "refusing namespace" << quoted(name, 100) << "- the limit of"
                << m_options.maxNamespaces << "namespaces is reached (--max-namespaces)";
            return nullptr;
        }
        Namespace *nsp = of(name);
        nsp->m_dynamic = true;
        return nsp;
    }
    return nullptr;
}

void Server::releaseNamespace(Namespace *nsp)
{
    const auto it = m_namespaces.constFind(nsp->name());
    if (it == m_namespaces.cend() || *it != nsp)
        return;
    m_namespaces.erase(it);
    qCDebug(lcServer).noquote() << "namespace" << quoted(nsp->name()) << "is empty: freed";
    nsp->deleteLater();
}

QList<Namespace *> Server::namespaces() const
{
    return m_namespaces.values();
}

std::optional<HttpResponse> Server::checkHandshake(const HttpRequest &request) const
{
    // In engine.io's order.
    const QString eio = request.query.queryItemValue(QStringLiteral("EIO"));
    const QString transport = request.query.queryItemValue(QStringLiteral("transport"));
    if (eio != u"4")
        return engineIoError(EngineIoError::UnsupportedProtocolVersion);
    if (!m_options.transports.contains(transport))
        return engineIoError(EngineIoError::UnknownTransport);
    const QString sid = request.query.queryItemValue(QStringLiteral("sid"));
    if (!sid.isEmpty()) {
        const PollingTransport *polling = m_polling.find(sid);
        if (!polling)
            return engineIoError(EngineIoError::UnknownSid);
        // A WebSocket with a sid is an upgrade of a polling session that is still open.
        if (transport == u"websocket" &&
            (!request.upgrade || !polling->session() || !polling->session()->isPolling()))
            return engineIoError(EngineIoError::BadRequest);
        if (transport == u"polling" && request.upgrade)
            return engineIoError(EngineIoError::BadRequest);
        return std::nullopt;
    }
    if (request.method != "GET")
        return engineIoError(EngineIoError::BadHandshakeMethod);
    if (transport == u"websocket" && !request.upgrade)
        return engineIoError(EngineIoError::BadRequest);
    if (!m_acceptingSessions)
        return drainingRefusal();
    return std::nullopt;
}

int Server::pollingClientCount() const
{
    int polling = 0;
    for (const Client *client : m_clients)
        polling += client->connection()->isPolling() ? 1 : 0;
    return polling;
}

void Server::onPollingRequest(const HttpRequest &request, HttpExchange *exchange)
{
    if (const std::optional<HttpResponse> refusal = checkHandshake(request)) {
        qCInfo(lcHttp).noquote() << "refused" << quoted(request.method, 20) << "from"
                                 << request.peer.toString() << quoted(request.target)
                                 << refusal->status << QString::fromUtf8(refusal->body);
        exchange->reply(*refusal);
        return;
    }
    const QString sid = request.query.queryItemValue(QStringLiteral("sid"));
    if (sid.isEmpty()) {
        // The handshake: its GET takes the open packet.
        auto *transport = new PollingTransport(&m_polling, request);
        auto *connection = new EngineConnection(transport, m_options.engine, &m_traffic, transport);
        transport->attach(connection->sid(), connection);
        addClient(connection);
        transport->onGet(exchange);
        return;
    }
    PollingTransport *transport = m_polling.find(sid);
    if (request.method == "GET") {
        transport->onGet(exchange);
    } else if (request.method == "POST") {
        transport->onPost(request, exchange);
    } else {
        exchange->reply(engineIoError(EngineIoError::BadRequest));
        transport->fail(QStringLiteral("bad request: method %1 on a polling session")
                            .arg(quoted(request.method, 20)));
    }
}

void Server::onBodyRefused(const HttpRequest &request)
{
    const QString sid = request.query.queryItemValue(QStringLiteral("sid"));
    if (PollingTransport *transport = sid.isEmpty() ? nullptr : m_polling.find(sid))
        transport->fail(QStringLiteral("payload larger than maxPayload (%1 bytes)")
                            .arg(m_options.engine.maxPayload));
}

void Server::onTransport(Transport *transport)
{
    const QString sid = QUrlQuery(QUrl::fromEncoded(transport->handshake().target))
                            .queryItemValue(QStringLiteral("sid"));
    if (!sid.isEmpty()) {
        // An upgrade: the session may have ended since its request was checked.
        PollingTransport *polling = m_polling.find(sid);
        EngineConnection *session = polling ? polling->session() : nullptr;
        if (!session || !session->probe(transport)) {
            qCInfo(lcEngineIo).noquote()
                << "refused upgrade of" << quoted(sid, 40) << "from"
                << transport->handshake().address << "- the session is gone or probes already";
            transport->dispose(1000, QStringLiteral("upgrade refused"));
        }
        return;
    }
    addClient(new EngineConnection(transport, m_options.engine, &m_traffic));
}

void Server::addClient(EngineConnection *connection)
{
    auto *client = new Client(this, connection);
    m_clients.insert(client);
}

void Server::close(const QString &reason)
{
    m_http->close();
    closeClients(reason);
}

void Server::closeClients(const QString &reason)
{
    const auto clients = m_clients.values();
    for (Client *client : clients)
        client->close(reason);
}

} // namespace switchboard
