// One Engine.IO v4 session over a WebSocket: the open packet, the server-driven heartbeat,
// message framing, and closing with a reason that is logged once.
#pragma once

#include "switchboard/engineio.h"

#include <QObject>
#include <QPointer>
#include <QWebSocket>

namespace switchboard {

struct EngineOptions
{
    int pingInterval = 25000;
    int pingTimeout = 20000;
    qint64 maxPayload = 1000000;
    // A peer that reads slower than we write is cut off past this many queued bytes.
    qint64 maxBufferedBytes = 1024 * 1024;
};

// Totals over every connection of a server, for presence and metrics.
struct TrafficCounters
{
    quint64 messagesIn = 0;
    quint64 messagesOut = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
};

// A Socket.IO packet framed for Engine.IO: the "4..." text frame and raw binary frames.
struct WireFrames
{
    QString text;
    QList<QByteArray> binaries;
};

class EngineConnection : public QObject
{
    Q_OBJECT
public:
    EngineConnection(QWebSocket *socket, const EngineOptions &options, TrafficCounters *traffic,
                     QObject *parent = nullptr);
    ~EngineConnection() override;

    const QString &sid() const { return m_sid; }
    QWebSocket *webSocket() const { return m_socket; }
    bool isOpen() const { return m_open; }

    void send(const WireFrames &frames);
    // Closes the WebSocket; `reason` is what `closed` reports. `error` logs it as a warning.
    void close(const QString &reason, bool error = false);

Q_SIGNALS:
    void message(const QByteArray &data, bool binary);
    void closed(const QString &reason);

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    void onText(const QString &text);
    void onBinary(const QByteArray &data);
    void onDisconnected();
    void sendRaw(const QByteArray &engineText);
    void armHeartbeat(int ms);

    QPointer<QWebSocket> m_socket;
    EngineOptions m_options;
    QString m_sid;
    QString m_closeReason;
    int m_heartbeatTimer = 0;
    bool m_awaitingPong = false;
    bool m_open = true;
    TrafficCounters *m_traffic;
};

} // namespace switchboard
