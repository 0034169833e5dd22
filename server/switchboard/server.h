// The Socket.IO server: owns the HTTP front, the Engine.IO connections and the namespaces.
#pragma once

#include "switchboard/engineconnection.h"
#include "switchboard/httpfront.h"
#include "switchboard/namespace.h"
#include "switchboard/pollingtransport.h"

#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>

namespace switchboard {

class Adapter;
class Client;

// Which connection layer serves the port.
enum class TransportKind
{
    Epoll, // our own epoll layer: the default, cost independent of idle connections
    Qt     // QTcpServer + QWebSocketServer: the reference path
};

struct ServerOptions
{
    TransportKind transport = TransportKind::Epoll;
    EngineOptions engine;
    int connectTimeout = 45000;
    QString path = QStringLiteral("/socket.io/");
    // The Engine.IO transports clients may use: "polling" (long-polling, then the upgrade) and
    // "websocket", as engine.io's `transports`.
    QStringList transports = {QStringLiteral("polling"), QStringLiteral("websocket")};
    // Glob patterns ("*", "/org-*") of namespaces created on a client's first CONNECT.
    // Empty: only namespaces made with Server::of() exist.
    QStringList dynamicNamespaces;
    // Namespaces alive at once; one a pattern created is freed with its last socket.
    int maxNamespaces = 100;
    // Binary attachments in one packet (socket.io-parser's default) and their total bytes.
    int maxAttachments = 10;
    qint64 maxAttachmentBytes = 1000000;
    // Acks one socket awaits at once (its emitWithAck and its broadcasts with acks); past it
    // the emit fails at once with an ack error.
    int maxPendingAcks = 1000;
    int maxRoomsPerSocket = 1000;
    // Refused CONNECTs (middleware errors) one connection may make before it is closed.
    int maxAuthFailures = 5;
    // Nesting of arrays and objects in a packet's data, the same on the client and the cluster
    // wire: deeper packets are refused where they come in.
    int maxDepth = 32;
    HttpLimits http;
};

class Server : public QObject
{
    Q_OBJECT
public:
    using AdapterFactory = std::function<std::unique_ptr<Adapter>(Namespace *)>;
    // Longest name a dynamic namespace may have (clients choose them).
    static constexpr qsizetype MaxDynamicNamespaceName = 256;

    explicit Server(ServerOptions options = {}, QObject *parent = nullptr);
    ~Server() override;

    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);
    quint16 serverPort() const { return m_http->serverPort(); }
    QString errorString() const { return m_http->errorString(); }

    // The namespace called `name`, created if needed ("/" always exists).
    Namespace *of(const QString &name);
    // An existing namespace, or one a dynamic pattern allows; null when refused.
    Namespace *namespaceFor(const QString &name);
    QList<Namespace *> namespaces() const;
    // An existing namespace, never created; null when there is none of that name.
    Namespace *existingNamespace(const QString &name) const { return m_namespaces.value(name); }

    // Used for namespaces created from now on, and for existing ones without sockets.
    void setAdapterFactory(AdapterFactory factory);

    HttpFront *http() const { return m_http; }
    const ServerOptions &options() const { return m_options; }
    int clientCount() const { return int(m_clients.size()); }
    QDateTime startTime() const { return m_startTime; }
    const TrafficCounters &traffic() const { return m_traffic; }
    // The limits clients ran into; every layer of this server counts into it.
    BoundCounters &bounds() { return m_traffic.bounds; }
    const BoundCounters &bounds() const { return m_traffic.bounds; }

    // Engine.IO sessions open now on long-polling (not upgraded yet); the rest are WebSockets.
    int pollingClientCount() const;
    // Off: new Engine.IO sessions (handshakes, WebSockets without a sid) are refused with 503
    // while the port still answers HTTP, existing sessions and their upgrades go on (draining).
    void setAcceptingSessions(bool accepting) { m_acceptingSessions = accepting; }
    bool acceptsSessions() const { return m_acceptingSessions; }

    // Disconnects every client with `reason` and stops accepting new ones.
    void close(const QString &reason = QStringLiteral("server shutting down"));
    // Closes every client's Engine.IO connection with `reason` (a WebSocket close frame, a
    // polling session's close packet: clients see "transport close" and reconnect); the port
    // stays open.
    void closeClients(const QString &reason);

Q_SIGNALS:
    void namespaceCreated(Namespace *nsp);

private:
    friend class Client;
    friend class Namespace;
    // Forgets an emptied dynamic namespace (and its adapter's subscriptions) once the event
    // loop is back: the caller may be inside its adapter.
    void releaseNamespace(Namespace *nsp);
    void onTransport(Transport *transport);
    // A request at the Engine.IO path that is not an upgrade: a polling handshake, GET or POST.
    void onPollingRequest(const HttpRequest &request, HttpExchange *exchange);
    void onBodyRefused(const HttpRequest &request);
    void addClient(EngineConnection *connection);
    std::optional<HttpResponse> checkHandshake(const HttpRequest &request) const;
    void serveHealth();

    ServerOptions m_options;
    HttpFront *m_http;
    AdapterFactory m_adapterFactory;
    QHash<QString, Namespace *> m_namespaces;
    QSet<Client *> m_clients;
    PollingRegistry m_polling; // the polling sessions by sid
    QDateTime m_startTime;
    TrafficCounters m_traffic;
    bool m_acceptingSessions = true;
};

} // namespace switchboard
