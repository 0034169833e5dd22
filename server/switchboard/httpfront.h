// The node's one TCP port: plain HTTP routes and WebSocket upgrades at the Engine.IO path.
// This base holds what does not depend on the connection layer (routes, the upgrade check,
// response bytes); EpollFront (the default) and QtHttpFront (`--transport qt`) do the I/O and
// hand every accepted WebSocket on as a Transport.
#pragma once

#include "switchboard/bounds.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <functional>
#include <optional>

namespace switchboard {

// What one HTTP connection of the front may hold, and for how long.
struct HttpLimits
{
    int idleTimeoutMs = 30000; // no whole request for this long
    // Keep-alive: from an answer's last byte out to the next request's first byte in, as
    // Node's keepAliveTimeout (5 s); a polling client's POST connection is not held between
    // its pings.
    int keepAliveTimeoutMs = 5000;
    qint64 maxHeaderBytes = 16384; // request line and headers
    int maxHeaders = 200;
    qint64 maxBodyBytes = 1024 * 1024; // one request's body
    int bodyTimeoutMs = 10000;         // from the end of the headers to the end of the body
    // Body bytes held by all connections together: the budget a crowd of slow uploads shares.
    qint64 maxBodiesBytes = 32LL << 20;
    // Epoll layer: while the node sends more than writeCoalesceAbove WebSocket messages a
    // second (0: always), a WebSocket written less than writeCoalesceMs ago waits out the rest
    // of it, so that the messages of a dense stream (a busy room) share one write; a message
    // after a quiet spell goes out at once. writeCoalesceMs 0: every pass of the event loop
    // writes. Below the rate nothing waits: a write costs a few microseconds of system time
    // (docs/benchmarks.md), so at 150 000 a second the writes alone take a third of a core.
    int writeCoalesceMs = 10;
    qint64 writeCoalesceAbove = 150000;
};

// The body bytes every connection of a front holds, against HttpLimits::maxBodiesBytes.
class BodyBudget
{
public:
    void setLimit(qint64 bytes) { m_limit = bytes; }
    qint64 limit() const { return m_limit; }
    qint64 used() const { return m_used; }
    bool take(qint64 bytes)
    {
        if (bytes > m_limit - m_used)
            return false;
        m_used += bytes;
        return true;
    }
    void give(qint64 bytes) { m_used -= bytes; }

private:
    qint64 m_limit = 32LL << 20;
    qint64 m_used = 0;
};

// Which browser origins may read the node's answers (CORS), as socket.io's `cors` option.
struct CorsOptions
{
    // Empty: no CORS headers at all. {"*"}: any origin, without credentials. Listed origins
    // ("https://app.example.com"): the request's Origin echoed when listed, with credentials.
    QList<QByteArray> origins;
    int maxAgeSeconds = 600; // how long a browser may cache a preflight's answer

    bool enabled() const { return !origins.isEmpty(); }
    bool anyOrigin() const { return origins.size() == 1 && origins.first() == "*"; }
    // Parses `--cors-origin`: "*" or a comma-separated list of scheme://host[:port]; on a
    // bad value returns nullopt with `error` set.
    static std::optional<CorsOptions> parse(const QString &text, QString &error);
};

class HttpExchange;
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
    quint16 httpMajor = 1;
    quint16 httpMinor = 1;

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
    // 304 for an If-None-Match that names `etag`, else 200 with `body`; both carry the ETag
    // and `cacheControl`.
    static HttpResponse cached(const HttpRequest &request, const QByteArray &contentType,
                               const QByteArray &body, const QByteArray &etag,
                               const QByteArray &cacheControl = "public, max-age=0");
    // cached() for a body also held gzip-compressed: the compressed form when the request's
    // Accept-Encoding takes gzip (its own ETag, `etag` + "-gzip"), both with Vary:
    // Accept-Encoding, as socket.io serves its client bundle.
    static HttpResponse cachedCompressed(const HttpRequest &request, const QByteArray &contentType,
                                         const QByteArray &body, const QByteArray &gzipped,
                                         const QByteArray &etag);
    QByteArray header(QByteArrayView name) const; // case-insensitive
    // Status line, headers and (unless `head`) body.
    QByteArray serialize(bool keepAlive, bool head = false) const;
};

// `data` in the gzip format (RFC 1952), at the best compression; empty if zlib fails.
QByteArray gzip(QByteArrayView data);
// Whether an Accept-Encoding header takes `coding` (RFC 9110 12.5.3): named or "*", with a q
// other than 0.
bool acceptsEncoding(const QByteArray &acceptEncoding, QByteArrayView coding);

class HttpFront : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<HttpResponse(const HttpRequest &)>;
    // Requests (and on the epoll layer WebSocket frames) one connection gets per pass of the
    // event loop: a client that pipelines thousands in one write waits for the next pass with
    // the rest, and every other client is served in between.
    static constexpr int StepsPerTurn = 64;
    // Checks an upgrade request for the Engine.IO path: an empty optional accepts it.
    using UpgradeCheck = std::function<std::optional<HttpResponse>(const HttpRequest &)>;

    explicit HttpFront(QObject *parent = nullptr);
    ~HttpFront() override;

    virtual bool listen(const QHostAddress &address, quint16 port) = 0;
    virtual void close() = 0;
    virtual quint16 serverPort() const = 0;
    virtual QString errorString() const = 0;

    void setLimits(const HttpLimits &limits);
    const HttpLimits &limits() const { return m_limits; }
    BodyBudget *bodyBudget() { return &m_bodyBudget; }
    // An HTTP connection with no whole request for this long is closed (default 30 s).
    void setIdleTimeout(int ms) { m_limits.idleTimeoutMs = ms; }
    int idleTimeout() const { return m_limits.idleTimeoutMs; }
    // How long a keep-alive connection waits for its next request once an answer is out:
    // --keepalive-timeout, never longer than the idle timeout.
    int keepAliveTimeout() const
    {
        return std::min(m_limits.keepAliveTimeoutMs, m_limits.idleTimeoutMs);
    }
    // Unsent bytes one connection may hold (its WebSocket's output and the control frames it
    // owes) before it is cut off as a slow consumer.
    void setMaxBufferedBytes(qint64 bytes) { m_maxBufferedBytes = bytes; }
    qint64 maxBufferedBytes() const { return m_maxBufferedBytes; }
    // Write system calls made to WebSocket clients, by a front that makes its own (the epoll
    // layer; -1 for Qt's): with messagesOut, how many messages share a write.
    virtual qint64 webSocketWrites() const { return -1; }
    // Whether that front holds writes back now (HttpLimits::writeCoalesceAbove): 1 or 0, -1
    // for Qt's.
    virtual int writeCoalescing() const { return -1; }
    // The largest WebSocket message accepted (larger: close 1009).
    void setMaxMessageSize(qint64 bytes) { m_maxMessageSize = bytes; }
    qint64 maxMessageSize() const { return m_maxMessageSize; }
    // Where the connections count the limits they enforce (the server's); never null.
    void setBounds(BoundCounters *bounds) { m_bounds = bounds; }
    BoundCounters *bounds() const { return m_bounds; }

    // Preflights answered and CORS headers on every answer, errors included (default: none).
    void setCors(const CorsOptions &cors) { m_cors = cors; }
    const CorsOptions &cors() const { return m_cors; }
    // Adds the CORS headers `request` earns to `response`; respond() and checkUpgrade() do it,
    // an answer made elsewhere (a parked poll) must too.
    void addCorsHeaders(HttpResponse &response, const HttpRequest &request) const;

    // `method` "*" takes every method the path has no handler of its own for.
    void route(const QByteArray &method, const QString &path, Handler handler);
    void setEngineIoPath(const QString &path, UpgradeCheck check);
    // Requests at the Engine.IO path that are not upgrades (long-polling) go to `handler`,
    // which answers through the exchange at once or later (a parked GET).
    using EngineHandler = std::function<void(const HttpRequest &, HttpExchange *)>;
    void setEngineIoHandler(EngineHandler handler) { m_engineHandler = std::move(handler); }
    // A request at the Engine.IO path refused for its body (413) goes to `handler`, so that
    // the session it was for is closed.
    using BodyRefusal = std::function<void(const HttpRequest &)>;
    void setBodyRefusalHandler(BodyRefusal handler) { m_bodyRefusal = std::move(handler); }
    // A request at a route's `path` refused for its size (413) goes to `handler` (which
    // may count it: the route's handler never sees it).
    void setRouteBodyRefusalHandler(const QString &path, BodyRefusal handler)
    {
        m_routeBodyRefusals.insert(path, std::move(handler));
    }
    // Answers a whole request that is not an upgrade through `exchange`, now or later.
    void handle(const HttpRequest &request, HttpExchange *exchange) const;
    void bodyRefused(const HttpRequest &request) const;

    // The answer to a whole request that is not an upgrade; logged at debug level.
    HttpResponse respond(const HttpRequest &request) const;
    // Why an upgrade request is refused: not an RFC 6455 handshake (400), off the Engine.IO
    // path (404), Engine.IO's 400s. A refusal is logged with the peer's address.
    std::optional<HttpResponse> checkUpgrade(const HttpRequest &request) const;
    // Why a connection layer refuses a request before it is whole.
    enum class Refusal
    {
        HeadTooLarge, // 431: over maxHeaderBytes or maxHeaders
        BodyTooLarge, // 413: over maxBodyBytes
        NoRoom,       // 503: the bodies' budget is spent
        BodyTimeout,  // 408: the body was not whole within bodyTimeoutMs
        Malformed,    // 400: not HTTP; `detail` is the parser's reason
    };
    // The answer to such a request: counts the bound it hit, logs the refusal with the peer's
    // address, and carries the CORS headers that what was read of its head earns, so that a
    // browser can read the reason.
    HttpResponse refuseRequest(Refusal refusal, const HttpRequest &partial,
                               const QByteArray &detail = {}) const;

Q_SIGNALS:
    // A WebSocket at the Engine.IO path was accepted: the receiver takes the transport over.
    void transportOpened(switchboard::Transport *transport);

private:
    QHash<QString, QHash<QByteArray, Handler>> m_routes;
    QString m_engineIoPath;
    UpgradeCheck m_upgradeCheck;
    EngineHandler m_engineHandler;
    BodyRefusal m_bodyRefusal;
    QHash<QString, BodyRefusal> m_routeBodyRefusals;
    CorsOptions m_cors;
    HttpLimits m_limits;
    BodyBudget m_bodyBudget;
    qint64 m_maxBufferedBytes = 1024 * 1024;
    qint64 m_maxMessageSize = 1000000;
    BoundCounters m_ownBounds;
    BoundCounters *m_bounds = &m_ownBounds;
};

} // namespace switchboard
