#include "switchboard/httpfront.h"

#include "switchboard/logging.h"

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
    case 500:
        return "Internal Server Error";
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

QByteArray HttpResponse::serialize(bool keepAlive, bool head) const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!head)
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

HttpResponse HttpFront::respond(const HttpRequest &request) const
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
    qCDebug(lcHttp) << request.method << request.url.toString().left(200) << response.status;
    return response;
}

} // namespace switchboard
