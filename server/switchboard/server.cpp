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

HttpResponse engineIoError(int code, const char *message)
{
    QJsonObject obj{{QStringLiteral("code"), code},
                    {QStringLiteral("message"), QString::fromLatin1(message)}};
    return HttpResponse::json(code == 4 ? 403 : 400,
                              QJsonDocument(obj).toJson(QJsonDocument::Compact));
}

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
    if (Namespace *existing = m_namespaces.value(name))
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
    const QString eio = request.query.queryItemValue(QStringLiteral("EIO"));
    const QString transport = request.query.queryItemValue(QStringLiteral("transport"));
    if (eio != u"4")
        return engineIoError(5, "Unsupported protocol version");
    if (transport != u"websocket")
        return engineIoError(0, "Transport unknown");
    if (request.method != "GET")
        return engineIoError(2, "Bad handshake method");
    if (request.query.hasQueryItem(QStringLiteral("sid")))
        return engineIoError(1, "Session ID unknown");
    if (!request.upgrade)
        return engineIoError(3, "Bad request");
    return std::nullopt;
}

void Server::onTransport(Transport *transport)
{
    auto *connection = new EngineConnection(transport, m_options.engine, &m_traffic);
    auto *client = new Client(this, connection);
    m_clients.insert(client);
}

void Server::close(const QString &reason)
{
    m_http->close();
    const auto clients = m_clients.values();
    for (Client *client : clients)
        client->close(reason);
}

} // namespace switchboard
