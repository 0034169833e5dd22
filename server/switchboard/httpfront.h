// One TCP port for plain HTTP routes and WebSocket upgrades at the Engine.IO path.
// Requests are parsed with Debian's http-parser; upgrades are handed, unread, to
// QWebSocketServer::handleConnection.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace switchboard {

struct HttpRequest
{
    QByteArray method;
    QUrl url;
    QString path;
    QUrlQuery query;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray body;
    QHostAddress peer;
    bool upgrade = false;

    QByteArray header(QByteArrayView name) const;
};

struct HttpResponse
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;

    static HttpResponse json(int status, const QByteArray &body);
    static HttpResponse error(int status, const QString &message);
};

class HttpFront : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<HttpResponse(const HttpRequest &)>;
    // Checks an upgrade request for the Engine.IO path: an empty optional accepts it.
    using UpgradeCheck = std::function<std::optional<HttpResponse>(const HttpRequest &)>;

    explicit HttpFront(QObject *parent = nullptr);
    ~HttpFront() override;

    bool listen(const QHostAddress &address, quint16 port);
    void close();
    quint16 serverPort() const;
    QString errorString() const;

    // An HTTP connection with no whole request for this long is closed (default 30 s).
    void setIdleTimeout(int ms) { m_idleTimeout = ms; }
    int idleTimeout() const { return m_idleTimeout; }

    void route(const QByteArray &method, const QString &path, Handler handler);
    void setEngineIoPath(const QString &path, UpgradeCheck check);

    QWebSocketServer *webSocketServer() const { return m_ws; }

Q_SIGNALS:
    void webSocketConnected(QWebSocket *socket);

private:
    friend class HttpConnection;
    void onNewConnection();
    void dispatch(QTcpSocket *socket, const HttpRequest &request, bool keepAlive);
    // Why an upgrade request is refused (404 off the Engine.IO path, Engine.IO's 400s).
    std::optional<HttpResponse> checkUpgrade(const HttpRequest &request) const;
    void adoptWebSocket(QTcpSocket *socket);
    static void write(QTcpSocket *socket, const HttpResponse &response, bool keepAlive,
                      bool head = false);

    QTcpServer *m_tcp = nullptr;
    QWebSocketServer *m_ws = nullptr;
    QHash<QString, QHash<QByteArray, Handler>> m_routes;
    QString m_engineIoPath;
    UpgradeCheck m_upgradeCheck;
    int m_idleTimeout = 30000;
};

} // namespace switchboard
