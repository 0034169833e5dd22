#include "switchboard/httpfront.h"

#include "switchboard/logging.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimerEvent>
#include <QWebSocket>
#include <QWebSocketServer>

#include <http_parser.h>

namespace switchboard {

namespace {
constexpr qint64 MaxBodyBytes = 1024 * 1024;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}
} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers)
        if (key == name)
            return value;
    return {};
}

HttpResponse HttpResponse::json(int status, const QByteArray &body)
{
    return HttpResponse{status, "application/json", body, {}};
}

HttpResponse HttpResponse::error(int status, const QString &message)
{
    QJsonObject obj{{QStringLiteral("code"), status}, {QStringLiteral("message"), message}};
    return json(status, QJsonDocument(obj).toJson(QJsonDocument::Compact));
}

// Parses requests from one TCP connection. Bytes are peeked, not read, until a request is
// known not to be an upgrade, so an upgrade reaches QWebSocketServer untouched.
class HttpConnection : public QObject
{
public:
    HttpConnection(HttpFront *front, QTcpSocket *socket)
        : QObject(socket), m_front(front), m_socket(socket)
    {
        m_settings.on_url = &HttpConnection::onUrl;
        m_settings.on_header_field = &HttpConnection::onHeaderField;
        m_settings.on_header_value = &HttpConnection::onHeaderValue;
        m_settings.on_headers_complete = &HttpConnection::onHeadersComplete;
        m_settings.on_body = &HttpConnection::onBody;
        m_settings.on_message_complete = &HttpConnection::onMessageComplete;
        resetParser();
        connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        m_idleTimer = startTimer(m_front->idleTimeout());
    }

    void timerEvent(QTimerEvent *event) override
    {
        if (event->timerId() != m_idleTimer)
            return QObject::timerEvent(event);
        // Nothing whole arrived for a while: a slow or idle client holds no connection forever.
        // One that was already told to go and still has not: cut off.
        if (m_handedOff) {
            killTimer(m_idleTimer);
            m_socket->abort();
            return;
        }
        m_handedOff = true;
        qCDebug(lcHttp) << "closing idle HTTP connection from"
                        << m_socket->peerAddress().toString();
        m_socket->disconnectFromHost();
    }

    void onReadyRead()
    {
        while (m_socket && !m_handedOff) {
            const QByteArray pending = m_socket->peek(m_socket->bytesAvailable());
            if (pending.size() <= m_fed)
                return;
            const char *start = pending.constData() + m_fed;
            const size_t length = size_t(pending.size() - m_fed);
            const size_t parsed = http_parser_execute(&m_parser, &m_settings, start, length);
            m_fed += qsizetype(parsed);
            const auto err = HTTP_PARSER_ERRNO(&m_parser);
            if (m_upgradeReady) {
                m_handedOff = true;
                const HttpRequest request = takeRequest();
                if (const auto refusal = m_front->checkUpgrade(request)) {
                    // Refused: the socket stays ours (and goes with `disconnected`) until the
                    // answer is out, or the idle timer cuts off a peer that never closes.
                    HttpFront::write(m_socket, *refusal, false);
                    return;
                }
                // QWebSocketServer takes the socket over: none of our connections may outlive
                // this, and this object is a child of the socket no more.
                QTcpSocket *socket = m_socket;
                QObject::disconnect(socket, nullptr, nullptr, nullptr);
                killTimer(m_idleTimer);
                setParent(nullptr);
                deleteLater();
                m_front->adoptWebSocket(socket);
                return;
            }
            if (m_tooLarge) {
                HttpFront::write(
                    m_socket, HttpResponse::error(413, QStringLiteral("Payload too large")), false);
                m_handedOff = true;
                return;
            }
            if (err == HPE_PAUSED) {
                // One whole request: consume its bytes, answer it, go on with the next.
                m_socket->read(m_fed);
                m_fed = 0;
                const bool keepAlive = http_should_keep_alive(&m_parser) != 0;
                HttpRequest request = takeRequest();
                resetParser();
                m_front->dispatch(m_socket, request, keepAlive);
                killTimer(m_idleTimer);
                m_idleTimer = startTimer(m_front->idleTimeout());
                if (!keepAlive)
                    return;
                continue;
            }
            if (err != HPE_OK) {
                qCInfo(lcHttp) << "bad HTTP request from" << m_socket->peerAddress().toString()
                               << http_errno_description(err);
                HttpFront::write(m_socket, HttpResponse::error(400, QStringLiteral("Bad request")),
                                 false);
                m_socket->read(m_socket->bytesAvailable());
                m_handedOff = true;
                return;
            }
            return; // need more bytes
        }
    }

private:
    void resetParser()
    {
        http_parser_init(&m_parser, HTTP_REQUEST);
        m_parser.data = this;
        m_request = {};
        m_url.clear();
        m_field.clear();
        m_lastWasValue = false;
        m_upgradeReady = false;
    }

    HttpRequest takeRequest()
    {
        HttpRequest request = std::move(m_request);
        request.method = http_method_str(http_method(m_parser.method));
        request.url = QUrl::fromEncoded(m_url);
        request.path = request.url.path();
        request.query = QUrlQuery(request.url);
        request.peer = m_socket->peerAddress();
        return request;
    }

    static HttpConnection *self(http_parser *p) { return static_cast<HttpConnection *>(p->data); }

    static int onUrl(http_parser *p, const char *at, size_t length)
    {
        self(p)->m_url.append(at, qsizetype(length));
        return 0;
    }
    static int onHeaderField(http_parser *p, const char *at, size_t length)
    {
        auto *c = self(p);
        if (c->m_lastWasValue || c->m_request.headers.isEmpty()) {
            c->m_request.headers.append({QByteArray(at, qsizetype(length)).toLower(), {}});
        } else {
            c->m_request.headers.last().first.append(QByteArray(at, qsizetype(length)).toLower());
        }
        c->m_lastWasValue = false;
        return 0;
    }
    static int onHeaderValue(http_parser *p, const char *at, size_t length)
    {
        auto *c = self(p);
        if (c->m_request.headers.isEmpty())
            return 1;
        c->m_request.headers.last().second.append(at, qsizetype(length));
        c->m_lastWasValue = true;
        return 0;
    }
    static int onHeadersComplete(http_parser *p)
    {
        auto *c = self(p);
        c->m_request.upgrade = p->upgrade;
        if (p->upgrade) {
            c->m_upgradeReady = true;
            http_parser_pause(p, 1);
        }
        if (p->content_length != ULLONG_MAX && p->content_length > quint64(MaxBodyBytes)) {
            c->m_tooLarge = true;
            http_parser_pause(p, 1);
        }
        return 0;
    }
    static int onBody(http_parser *p, const char *at, size_t length)
    {
        auto *c = self(p);
        if (c->m_request.body.size() + qsizetype(length) > MaxBodyBytes) {
            c->m_tooLarge = true;
            http_parser_pause(p, 1);
            return 0;
        }
        c->m_request.body.append(at, qsizetype(length));
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        if (!self(p)->m_upgradeReady)
            http_parser_pause(p, 1);
        return 0;
    }

    HttpFront *m_front;
    QTcpSocket *m_socket;
    http_parser m_parser{};
    http_parser_settings m_settings{};
    HttpRequest m_request;
    QByteArray m_url;
    QByteArray m_field;
    qsizetype m_fed = 0;
    bool m_lastWasValue = false;
    bool m_upgradeReady = false;
    bool m_tooLarge = false;
    bool m_handedOff = false;
    int m_idleTimer = 0;
};

HttpFront::HttpFront(QObject *parent)
    : QObject(parent), m_tcp(new QTcpServer(this)),
      m_ws(new QWebSocketServer(QStringLiteral("switchboard"), QWebSocketServer::NonSecureMode,
                                this))
{
    // Qt's default of 30 pending connections would refuse bursts of clients.
    m_ws->setMaxPendingConnections(1 << 20);
    m_tcp->setMaxPendingConnections(1 << 20);
    connect(m_tcp, &QTcpServer::newConnection, this, &HttpFront::onNewConnection);
    connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *socket = m_ws->nextPendingConnection())
            Q_EMIT webSocketConnected(socket);
    });
}

HttpFront::~HttpFront() = default;

bool HttpFront::listen(const QHostAddress &address, quint16 port)
{
    return m_tcp->listen(address, port);
}

void HttpFront::close()
{
    m_tcp->close();
}

quint16 HttpFront::serverPort() const
{
    return m_tcp->serverPort();
}

QString HttpFront::errorString() const
{
    return m_tcp->errorString();
}

void HttpFront::route(const QByteArray &method, const QString &path, Handler handler)
{
    m_routes[path].insert(method, std::move(handler));
}

void HttpFront::setEngineIoPath(const QString &path, UpgradeCheck check)
{
    m_engineIoPath = path.endsWith(u'/') ? path : path + u'/';
    m_upgradeCheck = std::move(check);
}

void HttpFront::onNewConnection()
{
    while (QTcpSocket *socket = m_tcp->nextPendingConnection())
        new HttpConnection(this, socket);
}

std::optional<HttpResponse> HttpFront::checkUpgrade(const HttpRequest &request) const
{
    const bool websocket = request.header("upgrade").compare("websocket", Qt::CaseInsensitive) == 0;
    std::optional<HttpResponse> refusal;
    if (!websocket || (request.path != m_engineIoPath && request.path + u'/' != m_engineIoPath))
        refusal = HttpResponse::error(404, QStringLiteral("Not found"));
    else if (m_upgradeCheck)
        refusal = m_upgradeCheck(request);
    if (refusal)
        qCInfo(lcHttp) << "refused upgrade from" << request.peer.toString()
                       << request.url.toString().left(200) << refusal->status << refusal->body;
    return refusal;
}

void HttpFront::adoptWebSocket(QTcpSocket *socket)
{
    m_ws->handleConnection(socket);
}

void HttpFront::dispatch(QTcpSocket *socket, const HttpRequest &request, bool keepAlive)
{
    HttpResponse response;
    const bool engineIo = request.path == m_engineIoPath || request.path + u'/' == m_engineIoPath;
    if (engineIo && m_upgradeCheck) {
        // A plain request at the Engine.IO path: report what is wrong with it, as Engine.IO does.
        response = m_upgradeCheck(request).value_or(
            HttpResponse::error(400, QStringLiteral("Bad request")));
    } else if (const auto route = m_routes.constFind(request.path); route != m_routes.cend()) {
        const auto handler = route->constFind(request.method == "HEAD" ? "GET" : request.method);
        if (handler == route->cend()) {
            response = HttpResponse::error(405, QStringLiteral("Method not allowed"));
            response.headers.append({"Allow", route->keys().join(", ")});
        } else {
            response = (*handler)(request);
        }
    } else {
        response = HttpResponse::error(404, QStringLiteral("Not found"));
    }
    write(socket, response, keepAlive, request.method == "HEAD");
    qCDebug(lcHttp) << request.method << request.url.toString() << response.status;
}

void HttpFront::write(QTcpSocket *socket, const HttpResponse &response, bool keepAlive, bool head)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' +
                     reasonPhrase(response.status) + "\r\n";
    out += "Content-Type: " + response.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    for (const auto &[name, value] : response.headers)
        out += name + ": " + value + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!head)
        out += response.body;
    socket->write(out);
    if (!keepAlive)
        socket->disconnectFromHost();
}

} // namespace switchboard
