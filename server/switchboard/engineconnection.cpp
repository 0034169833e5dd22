#include "switchboard/engineconnection.h"

#include "switchboard/ids.h"
#include "switchboard/logging.h"

#include <QTimer>
#include <QTimerEvent>

namespace switchboard {

EngineConnection::EngineConnection(QWebSocket *socket, const EngineOptions &options,
                                   TrafficCounters *traffic, QObject *parent)
    : QObject(parent), m_socket(socket), m_options(options), m_sid(randomId()), m_traffic(traffic)
{
    socket->setParent(this);
    socket->setMaxAllowedIncomingMessageSize(quint64(options.maxPayload));
    socket->setMaxAllowedIncomingFrameSize(quint64(options.maxPayload));
    connect(socket, &QWebSocket::textMessageReceived, this, &EngineConnection::onText);
    connect(socket, &QWebSocket::binaryMessageReceived, this, &EngineConnection::onBinary);
    connect(socket, &QWebSocket::disconnected, this, &EngineConnection::onDisconnected);

    engineio::OpenInfo open;
    open.sid = m_sid;
    open.pingInterval = options.pingInterval;
    open.pingTimeout = options.pingTimeout;
    open.maxPayload = options.maxPayload;
    sendRaw(engineio::encodeOpen(open));
    armHeartbeat(options.pingInterval);
    qCDebug(lcEngineIo) << "open" << m_sid << socket->peerAddress().toString();
}

EngineConnection::~EngineConnection() = default;

void EngineConnection::armHeartbeat(int ms)
{
    if (m_heartbeatTimer)
        killTimer(m_heartbeatTimer);
    m_heartbeatTimer = startTimer(ms);
}

void EngineConnection::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_heartbeatTimer)
        return QObject::timerEvent(event);
    if (m_awaitingPong) {
        close(QStringLiteral("ping timeout"));
        return;
    }
    m_awaitingPong = true;
    sendRaw(engineio::encodeText(engineio::PacketType::Ping));
    armHeartbeat(m_options.pingTimeout);
}

void EngineConnection::sendRaw(const QByteArray &engineText)
{
    if (!m_open || !m_socket)
        return;
    m_traffic->bytesOut += quint64(engineText.size());
    m_socket->sendTextMessage(QString::fromUtf8(engineText));
}

void EngineConnection::send(const WireFrames &frames)
{
    if (!m_open || !m_socket)
        return;
    if (m_socket->bytesToWrite() > m_options.maxBufferedBytes) {
        close(QStringLiteral("slow consumer: more than %1 bytes queued")
                  .arg(m_options.maxBufferedBytes),
              true);
        return;
    }
    ++m_traffic->messagesOut;
    m_traffic->bytesOut += quint64(frames.text.size());
    m_socket->sendTextMessage(frames.text);
    for (const QByteArray &binary : frames.binaries) {
        m_traffic->bytesOut += quint64(binary.size());
        m_socket->sendBinaryMessage(binary);
    }
}

void EngineConnection::onText(const QString &text)
{
    if (!m_open)
        return;
    const QByteArray utf8 = text.toUtf8();
    m_traffic->bytesIn += quint64(utf8.size());
    const Decoded<engineio::Packet> packet = engineio::decodeText(utf8);
    if (!packet) {
        close(QStringLiteral("parse error: %1").arg(packet.error()), true);
        return;
    }
    switch (packet->type) {
    case engineio::PacketType::Message:
        ++m_traffic->messagesIn;
        Q_EMIT message(packet->data, false);
        break;
    case engineio::PacketType::Pong:
        if (m_awaitingPong) {
            m_awaitingPong = false;
            armHeartbeat(m_options.pingInterval);
        }
        break;
    case engineio::PacketType::Ping:
        // v4 heartbeats go from server to client; "2probe" only belongs to a transport upgrade.
        close(QStringLiteral("parse error: invalid heartbeat direction"), true);
        break;
    case engineio::PacketType::Close:
        close(QStringLiteral("transport close"));
        break;
    case engineio::PacketType::Noop:
        break;
    case engineio::PacketType::Open:
    case engineio::PacketType::Upgrade:
        close(QStringLiteral("parse error: unexpected %1 packet")
                  .arg(QLatin1String(engineio::typeName(packet->type))),
              true);
        break;
    }
}

void EngineConnection::onBinary(const QByteArray &data)
{
    if (!m_open)
        return;
    m_traffic->bytesIn += quint64(data.size());
    Q_EMIT message(data, true);
}

void EngineConnection::close(const QString &reason, bool error)
{
    if (!m_open)
        return;
    m_open = false;
    m_closeReason = reason;
    if (m_heartbeatTimer) {
        killTimer(m_heartbeatTimer);
        m_heartbeatTimer = 0;
    }
    const QString peer = m_socket ? m_socket->peerAddress().toString() : QString();
    if (error)
        qCWarning(lcEngineIo).noquote() << "closing" << m_sid << "from" << peer << "-" << reason;
    else
        qCDebug(lcEngineIo).noquote() << "closing" << m_sid << "from" << peer << "-" << reason;
    if (QWebSocket *socket = m_socket) {
        // The socket outlives this session long enough to finish the close handshake; a peer
        // that never answers it is cut off.
        socket->disconnect(this);
        socket->setParent(nullptr);
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(2000, socket, &QWebSocket::abort);
        const auto code = error ? QWebSocketProtocol::CloseCodeProtocolError
                                : QWebSocketProtocol::CloseCodeNormal;
        socket->close(code, reason.left(120));
        m_socket = nullptr;
    }
    Q_EMIT closed(reason);
}

void EngineConnection::onDisconnected()
{
    if (!m_open)
        return;
    m_open = false;
    if (m_heartbeatTimer) {
        killTimer(m_heartbeatTimer);
        m_heartbeatTimer = 0;
    }
    QString reason = QStringLiteral("transport close");
    if (m_socket && m_socket->closeCode() == QWebSocketProtocol::CloseCodeTooMuchData) {
        reason = QStringLiteral("transport error: message larger than maxPayload");
        qCWarning(lcEngineIo).noquote() << "closing" << m_sid << "-" << reason;
    } else if (m_socket && m_socket->closeCode() != QWebSocketProtocol::CloseCodeNormal &&
               m_socket->closeCode() != QWebSocketProtocol::CloseCodeGoingAway) {
        qCInfo(lcEngineIo).noquote() << "connection" << m_sid << "closed with code"
                                     << int(m_socket->closeCode()) << m_socket->closeReason();
    }
    Q_EMIT closed(reason);
}

} // namespace switchboard
