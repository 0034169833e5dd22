// One Engine.IO v4 session: the open packet, the server-driven heartbeat, message framing,
// the upgrade from long-polling to WebSocket, and closing with a reason that is logged once.
// It moves packets through a Transport; only the upgrade knows that one polls.
#pragma once

#include "switchboard/bounds.h"
#include "switchboard/deadlines.h"
#include "switchboard/engineio.h"
#include "switchboard/transport.h"

#include <QObject>

namespace switchboard {

struct EngineOptions
{
    int pingInterval = 25000;
    int pingTimeout = 20000;
    qint64 maxPayload = 1000000;
    // A peer that reads slower than we write is cut off past this many queued bytes.
    qint64 maxBufferedBytes = 1024 * 1024;
    // A polling session offers the WebSocket upgrade (`upgrades:["websocket"]`).
    bool offerUpgrade = true;
    // How long a WebSocket probe may take to send its upgrade packet (engine.io's).
    int upgradeTimeout = 10000;
};

class PollingTransport;

// Totals over every connection of a server, for presence and metrics.
struct TrafficCounters
{
    quint64 messagesIn = 0;
    quint64 messagesOut = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    BoundCounters bounds; // the limits clients ran into, counted by every layer
};

class EngineConnection : public QObject, private TransportHandler
{
    Q_OBJECT
public:
    // Takes `transport` over; `polling` is the same transport when the session polls.
    EngineConnection(Transport *transport, const EngineOptions &options, TrafficCounters *traffic,
                     PollingTransport *polling = nullptr, QObject *parent = nullptr);
    ~EngineConnection() override;

    const QString &sid() const { return m_sid; }
    bool isOpen() const { return m_open; }
    const HandshakeRecord &handshake() const { return m_handshake; }
    // Output queued and not yet written to the peer.
    qint64 bufferedBytes() const { return m_transport ? m_transport->bufferedBytes() : 0; }
    // Transport::congested().
    bool congested() const { return m_transport && m_transport->congested(); }

    void send(const WireFrames &frames);
    // The prefetch steps of a broadcast's walk (LocalAdapter::deliverLocally): `prefetch`
    // asks the cache for the fields send() reads, without reading any; `prefetchNext(0)`
    // (this object cached by then) for the transport's, deeper steps for what it points to.
    static void prefetch(const EngineConnection *connection)
    {
        __builtin_prefetch(&connection->m_open);
        __builtin_prefetch(&connection->m_transport);
        __builtin_prefetch(&connection->m_options.maxBufferedBytes);
    }
    void prefetchNext(int depth) const
    {
        if (!m_transport)
            return;
        if (depth == 0)
            __builtin_prefetch(m_transport);
        else
            m_transport->prefetchForSend(depth - 1);
    }
    // A WebSocket opened with this session's sid: it becomes the transport once it probed
    // ("2probe", "3probe") and asked for the switch ("5"). False (the caller disposes of it)
    // when this session does not poll or probes already.
    bool probe(Transport *websocket);
    bool isPolling() const { return m_polling != nullptr; }
    // Closes the WebSocket; `reason` is what `closed` reports. `error` logs it as a warning.
    void close(const QString &reason, bool error = false);

Q_SIGNALS:
    void message(const QByteArray &data, bool binary);
    void closed(const QString &reason);

private:
    // Receives what the probing WebSocket sends before the switch.
    class Probe final : public TransportHandler
    {
    public:
        explicit Probe(EngineConnection *session) : m_session(session) {}
        void transportText(const QByteArray &utf8) override;
        void transportBinary(const QByteArray &) override;
        void transportClosed(const QString &reason, bool error) override;

    private:
        EngineConnection *m_session;
    };

    void transportText(const QByteArray &utf8) override;
    void transportBinary(const QByteArray &data) override;
    void transportClosed(const QString &reason, bool error) override;
    void sendRaw(const QByteArray &engineText);
    void onHeartbeat();
    // The one way a session ends, whoever ended it; `code` is what the transport closes with.
    void end(const QString &reason, bool error, quint16 code);
    void switchToProbe();
    // The probe failed or is no longer wanted: polling goes on.
    void dropProbe(const QString &why, quint16 code);

    Transport *m_transport;
    PollingTransport *m_polling; // m_transport while it polls, else null
    Transport *m_probe = nullptr;
    bool m_probed = false; // the probe answered "3probe"
    Probe m_probeHandler{this};
    Deadline m_upgradeTimeout;
    HandshakeRecord m_handshake;
    EngineOptions m_options;
    QString m_sid;
    Deadline m_heartbeat; // the next ping, or the pong's deadline
    bool m_awaitingPong = false;
    bool m_open = true;
    TrafficCounters *m_traffic;
};

} // namespace switchboard
