#include "switchboard/engineconnection.h"

#include "switchboard/ids.h"
#include "switchboard/logging.h"

namespace switchboard {

EngineConnection::EngineConnection(Transport *transport, const EngineOptions &options,
                                   TrafficCounters *traffic, QObject *parent)
    : QObject(parent), m_transport(transport), m_handshake(transport->handshake()),
      m_options(options), m_sid(randomId()), m_heartbeat([this] { onHeartbeat(); }),
      m_traffic(traffic)
{
    transport->setHandler(this);
    engineio::OpenInfo open;
    open.sid = m_sid;
    open.pingInterval = options.pingInterval;
    open.pingTimeout = options.pingTimeout;
    open.maxPayload = options.maxPayload;
    sendRaw(engineio::encodeOpen(open));
    m_heartbeat.arm(options.pingInterval);
    qCDebug(lcEngineIo) << "open" << m_sid << m_handshake.address;
}

EngineConnection::~EngineConnection()
{
    if (Transport *transport = std::exchange(m_transport, nullptr))
        transport->dispose(1001, QStringLiteral("server going away"));
}

void EngineConnection::onHeartbeat()
{
    if (m_awaitingPong) {
        close(QStringLiteral("ping timeout"));
        return;
    }
    m_awaitingPong = true;
    sendRaw(engineio::encodeText(engineio::PacketType::Ping));
    m_heartbeat.arm(m_options.pingTimeout);
}

void EngineConnection::sendRaw(const QByteArray &engineText)
{
    if (!m_open || !m_transport)
        return;
    m_traffic->bytesOut += quint64(engineText.size());
    m_transport->sendText(engineText);
}

void EngineConnection::send(const WireFrames &frames)
{
    if (!m_open || !m_transport)
        return;
    if (m_transport->bufferedBytes() > m_options.maxBufferedBytes) {
        m_traffic->bounds.hit(Bound::SlowConsumer);
        close(QStringLiteral("slow consumer: more than %1 bytes queued")
                  .arg(m_options.maxBufferedBytes),
              true);
        return;
    }
    ++m_traffic->messagesOut;
    m_traffic->bytesOut += quint64(frames.text.size());
    for (const QByteArray &binary : frames.binaries)
        m_traffic->bytesOut += quint64(binary.size());
    m_transport->send(frames);
}

void EngineConnection::transportText(const QByteArray &utf8)
{
    if (!m_open)
        return;
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
            m_heartbeat.arm(m_options.pingInterval);
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

void EngineConnection::transportBinary(const QByteArray &data)
{
    if (!m_open)
        return;
    m_traffic->bytesIn += quint64(data.size());
    Q_EMIT message(data, true);
}

void EngineConnection::close(const QString &reason, bool error)
{
    end(reason, error, error ? 1002 : 1000);
}

void EngineConnection::transportClosed(const QString &reason, bool error)
{
    // The transport answers the peer's close frame (or a protocol error) with its own code.
    end(reason, error, 1000);
}

void EngineConnection::end(const QString &reason, bool error, quint16 code)
{
    if (!m_open)
        return;
    m_open = false;
    m_heartbeat.disarm();
    // Reasons may quote what the client sent: one line, capped.
    if (error)
        qCWarning(lcEngineIo).noquote()
            << "closing" << m_sid << "from" << m_handshake.address << "-" << quoted(reason, 300);
    else
        qCDebug(lcEngineIo).noquote()
            << "closing" << m_sid << "from" << m_handshake.address << "-" << quoted(reason, 300);
    if (Transport *transport = std::exchange(m_transport, nullptr))
        transport->dispose(code, reason);
    Q_EMIT closed(reason);
}

} // namespace switchboard
