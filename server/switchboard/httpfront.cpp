#include "switchboard/httpfront.h"

#include "switchboard/logging.h"
#include "switchboard/pollingexchange.h"
#include "switchboard/websocket.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

bool hasToken(const QByteArray &header, QByteArrayView token)
{
    for (const QByteArray &part : header.split(','))
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

// What RFC 6455 (4.2.1) asks of an opening handshake, or why it is not one.
QString handshakeProblem(const HttpRequest &request)
{
    if (request.method != "GET")
        return QStringLiteral("method is not GET");
    if (request.httpMajor < 1 || (request.httpMajor == 1 && request.httpMinor < 1))
        return QStringLiteral("HTTP/%1.%2, not 1.1").arg(request.httpMajor).arg(request.httpMinor);
    if (request.header("host").isEmpty())
        return QStringLiteral("no Host header");
    if (!hasToken(request.header("connection"), "upgrade"))
        return QStringLiteral("Connection header without 'Upgrade'");
    if (request.header("sec-websocket-version") != "13")
        return QStringLiteral("Sec-WebSocket-Version is not 13");
    if (!websocket::isValidKey(request.header("sec-websocket-key")))
        return QStringLiteral("Sec-WebSocket-Key is not 16 bytes in base64");
    return {};
}

// Whether an If-None-Match value names `etag` (quoted), weakly or strongly, or is "*".
bool matchesEtag(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    for (QByteArray tag : ifNoneMatch.split(',')) {
        tag = tag.trimmed();
        if (tag.startsWith("W/"))
            tag.remove(0, 2);
        if (tag == etag || tag == "*")
            return true;
    }
    return false;
}

void addHeader(HttpResponse &response, const QByteArray &name, const QByteArray &value)
{
    response.headers.append(qMakePair(name, value));
}

// The methods a preflight allows: the node's routes and Engine.IO's GET and POST.
constexpr QByteArrayView CorsMethods = "GET, HEAD, POST, OPTIONS";

} // namespace

std::optional<CorsOptions> CorsOptions::parse(const QString &text, QString &error)
{
    CorsOptions cors;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
        const QString origin = part.trimmed();
        if (origin == u"*") {
            cors.origins << "*";
            continue;
        }
        const QUrl url(origin, QUrl::StrictMode);
        if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty() ||
            !url.path().isEmpty() || url.hasQuery() || url.hasFragment() ||
            !url.userInfo().isEmpty()) {
            error = QStringLiteral("'%1' is not an origin such as https://app.example.com:8443")
                        .arg(origin);
            return std::nullopt;
        }
        // Browsers send the scheme and host in lower case.
        cors.origins << origin.toLower().toUtf8();
    }
    if (cors.origins.contains("*") && cors.origins.size() > 1) {
        error = QStringLiteral("'*' stands for every origin: list origins or give '*' alone");
        return std::nullopt;
    }
    return cors;
}

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers)
        if (key == name)
            return value;
    return {};
}

QByteArray HttpResponse::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers)
        if (QByteArrayView(key).compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

HttpResponse HttpResponse::cached(const HttpRequest &request, const QByteArray &contentType,
                                  const QByteArray &body, const QByteArray &etag,
                                  const QByteArray &cacheControl)
{
    // Per RFC 7232 an entity tag is quoted.
    const QByteArray quoted = '"' + etag + '"';
    HttpResponse response{
        200, contentType, body, {{"ETag", quoted}, {"Cache-Control", cacheControl}}};
    if (const QByteArray given = request.header("if-none-match");
        !given.isEmpty() && matchesEtag(given, quoted)) {
        response.status = 304;
        response.body.clear();
    }
    return response;
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

QByteArray HttpResponse::serialize(bool keepAlive, bool head) const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    // 204 and 304 have no body, and no length or type for one (RFC 9110, 8.6 and 15.4.5).
    if (status != 204 && status != 304) {
        out += "Content-Type: " + contentType + "\r\n";
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    }
    if (header("cache-control").isNull())
        out += "Cache-Control: no-store\r\n";
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!head && status != 204 && status != 304)
        out += body;
    return out;
}

HttpFront::HttpFront(QObject *parent) : QObject(parent) {}

HttpFront::~HttpFront() = default;

void HttpFront::route(const QByteArray &method, const QString &path, Handler handler)
{
    m_routes[path].insert(method, std::move(handler));
}

void HttpFront::setEngineIoPath(const QString &path, UpgradeCheck check)
{
    m_engineIoPath = path.endsWith(u'/') ? path : path + u'/';
    m_upgradeCheck = std::move(check);
}

void HttpFront::setLimits(const HttpLimits &limits)
{
    m_limits = limits;
    m_bodyBudget.setLimit(limits.maxBodiesBytes);
}

void HttpFront::addCorsHeaders(HttpResponse &response, const HttpRequest &request) const
{
    if (!m_cors.enabled())
        return;
    if (m_cors.anyOrigin()) {
        addHeader(response, "Access-Control-Allow-Origin", "*");
        return;
    }
    // The answer depends on the Origin: a cache must not hand one origin's answer to another.
    addHeader(response, "Vary", "Origin");
    const QByteArray origin = request.header("origin");
    if (!origin.isEmpty() && m_cors.origins.contains(origin.toLower())) {
        addHeader(response, "Access-Control-Allow-Origin", origin);
        addHeader(response, "Access-Control-Allow-Credentials", "true");
    }
}

std::optional<HttpResponse> HttpFront::checkUpgrade(const HttpRequest &request) const
{
    const bool websocket = request.header("upgrade").compare("websocket", Qt::CaseInsensitive) == 0;
    std::optional<HttpResponse> refusal;
    QString why;
    if (!websocket || (request.path != m_engineIoPath && request.path + u'/' != m_engineIoPath)) {
        refusal = HttpResponse::error(404, QStringLiteral("Not found"));
    } else if (why = handshakeProblem(request); !why.isEmpty()) {
        refusal = HttpResponse::error(400, QStringLiteral("Bad request"));
        refusal->headers.append(qMakePair(QByteArray("Sec-WebSocket-Version"), QByteArray("13")));
        why = QStringLiteral("not an RFC 6455 handshake: ") + why;
    } else if (m_upgradeCheck) {
        refusal = m_upgradeCheck(request);
    }
    if (refusal) {
        addCorsHeaders(*refusal, request);
        qCInfo(lcHttp).noquote() << "refused upgrade from" << request.peer.toString()
                                 << quoted(request.target) << refusal->status
                                 << (why.isEmpty() ? QString::fromUtf8(refusal->body) : why);
    }
    return refusal;
}

void HttpFront::handle(const HttpRequest &request, HttpExchange *exchange) const
{
    const bool engineIo = request.path == m_engineIoPath || request.path + u'/' == m_engineIoPath;
    // Preflights and other methods without an Engine.IO meaning are respond()'s.
    if (!engineIo || !m_engineHandler || request.method == "OPTIONS") {
        exchange->reply(respond(request));
        return;
    }
    // Every answer to it carries the CORS headers, a parked GET's too.
    HttpResponse cors;
    addCorsHeaders(cors, request);
    exchange->setHeaders(std::move(cors.headers));
    qCDebug(lcHttp).noquote() << quoted(request.method, 20) << quoted(request.target);
    m_engineHandler(request, exchange);
}

void HttpFront::bodyRefused(const HttpRequest &request) const
{
    const bool engineIo = request.path == m_engineIoPath || request.path + u'/' == m_engineIoPath;
    if (engineIo && m_bodyRefusal)
        m_bodyRefusal(request);
    else if (const auto handler = m_routeBodyRefusals.constFind(request.path);
             handler != m_routeBodyRefusals.cend())
        (*handler)(request);
}

HttpResponse HttpFront::refuseRequest(Bound bound, int status, const QHostAddress &peer) const
{
    m_bounds->hit(bound);
    QString why, message;
    if (status == 431) {
        why = QStringLiteral("request head over %1 bytes or %2 headers")
                  .arg(m_limits.maxHeaderBytes)
                  .arg(m_limits.maxHeaders);
        message = QStringLiteral("Request header fields too large");
    } else if (status == 413) {
        why = QStringLiteral("body over %1 bytes").arg(m_limits.maxBodyBytes);
        message = QStringLiteral("Payload too large");
    } else {
        why = QStringLiteral("the bodies in flight fill their budget of %1 bytes")
                  .arg(m_limits.maxBodiesBytes);
        message = QStringLiteral("Service unavailable");
    }
    qCInfo(lcHttp).noquote() << "refused HTTP request from" << peer.toString() << "with" << status
                             << "-" << why;
    return HttpResponse::error(status, message);
}

HttpResponse HttpFront::respond(const HttpRequest &request) const
{
    HttpResponse response;
    const bool engineIo = request.path == m_engineIoPath || request.path + u'/' == m_engineIoPath;
    if (m_cors.enabled() && request.method == "OPTIONS" &&
        !request.header("access-control-request-method").isEmpty()) {
        // A browser's preflight, on any path: what a cross-origin request may do. Allowed or
        // not, it is a 204; an origin not listed gets no Access-Control-Allow-Origin.
        response = HttpResponse{204, {}, {}, {}};
        addHeader(response, "Access-Control-Allow-Methods", CorsMethods.toByteArray());
        if (const QByteArray asked = request.header("access-control-request-headers");
            !asked.isEmpty()) {
            addHeader(response, "Access-Control-Allow-Headers", asked);
            addHeader(response, "Vary", "Access-Control-Request-Headers");
        }
        addHeader(response, "Access-Control-Max-Age", QByteArray::number(m_cors.maxAgeSeconds));
    } else if (engineIo && m_upgradeCheck) {
        // A plain request at the Engine.IO path: report what is wrong with it, as Engine.IO does.
        response = m_upgradeCheck(request).value_or(
            HttpResponse::error(400, QStringLiteral("Bad request")));
    } else if (const auto route = m_routes.constFind(request.path); route != m_routes.cend()) {
        auto handler = route->constFind(request.method == "HEAD" ? "GET" : request.method);
        if (handler == route->cend())
            handler = route->constFind("*");
        if (handler == route->cend()) {
            response = HttpResponse::error(405, QStringLiteral("Method not allowed"));
            response.headers.append({"Allow", route->keys().join(", ")});
        } else {
            response = (*handler)(request);
        }
    } else {
        response = HttpResponse::error(404, QStringLiteral("Not found"));
    }
    addCorsHeaders(response, request);
    qCDebug(lcHttp).noquote() << quoted(request.method, 20) << quoted(request.target)
                              << response.status;
    return response;
}

} // namespace switchboard
