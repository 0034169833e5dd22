// HTTP long-polling, Engine.IO v4 (engine.io's Polling transport): what the session sends
// waits in a queue until the client's GET takes it; a POST's payload is handed to the session
// packet by packet. It owns no connection: a parked GET is the HTTP layer's HttpExchange,
// answered as soon as packets are queued (the server's ping included).
#pragma once

#include "switchboard/deadlines.h"
#include "switchboard/pollingexchange.h"
#include "switchboard/transport.h"

#include <QHash>
#include <QObject>

#include <vector>

namespace switchboard {

class EngineConnection;
class PollingTransport;

// Engine.IO's HTTP error codes; 4 is answered with 403, the others with 400.
enum class EngineIoError
{
    UnknownTransport = 0,
    UnknownSid,
    BadHandshakeMethod,
    BadRequest,
    Forbidden,
    UnsupportedProtocolVersion
};
// `{"code":N,"message":"..."}` as engine.io words it.
HttpResponse engineIoError(EngineIoError code);

// The polling transports of one server by sid, O(1); it deletes them.
class PollingRegistry : public QObject
{
    Q_OBJECT
public:
    explicit PollingRegistry(QObject *parent = nullptr);
    ~PollingRegistry() override;

    PollingTransport *find(const QString &sid) const { return m_transports.value(sid); }
    int size() const { return int(m_transports.size()); }

private:
    friend class PollingTransport;
    // Forgets `transport` and deletes it once the event loop is back (it may be on the stack).
    void retire(PollingTransport *transport);
    void reap();

    QHash<QString, PollingTransport *> m_transports;
    std::vector<PollingTransport *> m_retired;
    bool m_reapQueued = false;
};

class PollingTransport : public Transport, private ExchangeWaiter
{
public:
    // How long a closed session keeps its last packets (and its close packet) for a GET.
    static constexpr int CloseTimeoutMs = 30000;

    // The handshake request is the first GET: it takes the open packet.
    PollingTransport(PollingRegistry *registry, const HttpRequest &handshake);
    ~PollingTransport() override;

    // Registers the transport under its session's sid.
    void attach(const QString &sid, EngineConnection *session);
    // Null once the session ended or moved to another transport.
    EngineConnection *session() const { return m_session; }

    void sendText(const QByteArray &utf8) override;
    void send(const WireFrames &frames) override;
    qint64 bufferedBytes() const override { return m_queuedBytes; }
    void dispose(quint16 code, const QString &reason) override;

    void onGet(HttpExchange *exchange);
    void onPost(const HttpRequest &request, HttpExchange *exchange);
    // A request for this session that it does not take (wrong method, a body over the
    // limit): the session is closed with `reason`.
    void fail(const QString &reason);

    // While the client probes a WebSocket: a GET gets a noop at once when nothing waits, so
    // that the client can pause polling.
    void setUpgrading(bool upgrading);
    // The session moved to another transport: what was not taken yet goes there, in order;
    // a parked GET is released with a noop, and this transport goes.
    QList<WireFrames> discard();

private:
    friend class PollingRegistry;
    void exchangeGone(HttpExchange *exchange) override;
    void queue(WireFrames frames);
    void flush();
    void release(); // unregisters and deletes itself soon

    PollingRegistry *m_registry;
    EngineConnection *m_session = nullptr;
    QString m_sid;
    HttpExchange *m_parked = nullptr;
    QList<WireFrames> m_queue; // text packets ("4...", "2") with the binaries that follow them
    qint64 m_queuedBytes = 0;
    bool m_upgrading = false;
    bool m_closed = false; // the session ended: the next GET takes the rest and a close packet
    bool m_released = false;
    Deadline m_closeTimeout;
};

} // namespace switchboard
