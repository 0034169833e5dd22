// The node's one TCP port: plain HTTP routes and WebSocket upgrades at the Engine.IO path.
// This base holds what does not depend on the connection layer (routes, the upgrade check,
// response bytes); EpollFront (the default) and QtHttpFront (`--transport qt`) do the I/O and
// hand every accepted WebSocket on as a Transport.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>

#include <functional>
#include <optional>

namespace switchboard {

class Transport;

struct HttpRequest
{
    QByteArray method;
    QUrl url;
    QByteArray target; // as sent: path and query
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
    // Status line, headers and (unless `head`) body.
    QByteArray serialize(bool keepAlive, bool head = false) const;
};

class HttpFront : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<HttpResponse(const HttpRequest &)>;
    // Checks an upgrade request for the Engine.IO path: an empty optional accepts it.
    using UpgradeCheck = std::function<std::optional<HttpResponse>(const HttpRequest &)>;

    // Bodies larger than this are refused with 413.
    static constexpr qint64 MaxBodyBytes = 1024 * 1024;

    explicit HttpFront(QObject *parent = nullptr);
    ~HttpFront() override;

    virtual bool listen(const QHostAddress &address, quint16 port) = 0;
    virtual void close() = 0;
    virtual quint16 serverPort() const = 0;
    virtual QString errorString() const = 0;

    // An HTTP connection with no whole request for this long is closed (default 30 s).
    void setIdleTimeout(int ms) { m_idleTimeout = ms; }
    int idleTimeout() const { return m_idleTimeout; }
    // The largest WebSocket message accepted (larger: close 1009).
    void setMaxMessageSize(qint64 bytes) { m_maxMessageSize = bytes; }
    qint64 maxMessageSize() const { return m_maxMessageSize; }

    void route(const QByteArray &method, const QString &path, Handler handler);
    void setEngineIoPath(const QString &path, UpgradeCheck check);

    // The answer to a whole request that is not an upgrade; logged at debug level.
    HttpResponse respond(const HttpRequest &request) const;
    // Why an upgrade request is refused (404 off the Engine.IO path, Engine.IO's 400s); a
    // refusal is logged with the peer's address.
    std::optional<HttpResponse> checkUpgrade(const HttpRequest &request) const;

Q_SIGNALS:
    // A WebSocket at the Engine.IO path was accepted: the receiver takes the transport over.
    void transportOpened(switchboard::Transport *transport);

private:
    QHash<QString, QHash<QByteArray, Handler>> m_routes;
    QString m_engineIoPath;
    UpgradeCheck m_upgradeCheck;
    int m_idleTimeout = 30000;
    qint64 m_maxMessageSize = 1000000;
};

} // namespace switchboard
