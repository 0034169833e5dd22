#include "switchboard/engineconnection.h"

#include "switchboard/ids.h"
#include "switchboard/logging.h"
#include "switchboard/pollingtransport.h"

namespace switchboard {

EngineConnection::EngineConnection(Transport *transport, const EngineOptions &options,
                                   TrafficCounters *traffic, PollingTransport *polling,
                                   QObject *parent)
    : QObject(parent), m_transport(transport), m_polling(polling),
      m_upgradeTimeout([this] { dropProbe(QStringLiteral("upgrade timeout"), 1000); }),
      m_handshake(transport->handshake()), m_options(options), m_sid(randomId()),
      m_heartbeat([this] { onHeartbeat(); }), m_traffic(traffic)
{
    transport->setHandler(this);
    engineio::OpenInfo open;
    open.sid = m_sid;
    if (polling && options.offerUpgrade)
        open.upgrades = QStringList{QStringLiteral("websocket")};
    open.pingInterval = options.pingInterval;
    open.pingTimeout = options.pingTimeout;
    open.maxPayload = options.maxPayload;
    sendRaw(engineio::encodeOpen(open));
    m_heartbeat.arm(options.pingInterval);
    qCDebug(lcEngineIo) << "open" << m_sid << m_handshake.address;
}

EngineConnection::~EngineConnection()
{
    if (Transport *probe = std::exchange(m_probe, nullptr))
        probe->dispose(1001, QStringLiteral("server going away"));
    if (Transport *transport = std::exchange(m_transport, nullptr))
        transport->dispose(1001, QStringLiteral("server going away"));
}

bool EngineConnection::probe(Transport *websocket)
{
    if (!m_open || !m_polling || m_probe)
        return false;
    m_probe = websocket;
    m_probed = false;
    websocket->setHandler(&m_probeHandler);
    m_upgradeTimeout.arm(m_options.upgradeTimeout);
    qCDebug(lcEngineIo) << "probe" << m_sid << websocket->handshake().address;
    return true;
}

void EngineConnection::Probe::transportText(const QByteArray &utf8)
{
    EngineConnection *s = m_session;
    s->m_traffic->bytesIn += quint64(utf8.size());
    if (utf8 == "2probe" && !s->m_probed) {
        s->m_probed = true;
        s->m_traffic->bytesOut += 6;
        s->m_probe->sendText(QByteArrayLiteral("3probe"));
        // The parked GET is answered with a noop, so that the client can pause polling.
        s->m_polling->setUpgrading(true);
    } else if (utf8 == "5" && s->m_probed) {
        s->switchToProbe();
    } else {
        s->dropProbe(QStringLiteral("unexpected %1 on the probe").arg(quoted(utf8, 40)), 1002);
    }
}

void EngineConnection::Probe::transportBinary(const QByteArray &)
{
    m_session->dropProbe(QStringLiteral("binary frame on the probe"), 1002);
}

void EngineConnection::Probe::transportClosed(const QString &reason, bool)
{
    // The transport is gone or answers with its own close: disposed all the same.
    m_session->dropProbe(reason, 1000);
}

void EngineConnection::dropProbe(const QString &why, quint16 code)
{
    m_upgradeTimeout.disarm();
    Transport *probe = std::exchange(m_probe, nullptr);
    if (!probe)
        return;
    qCDebug(lcEngineIo).noquote() << "upgrade of" << m_sid << "abandoned -" << quoted(why, 200);
    probe->dispose(code, why);
    if (m_polling)
        m_polling->setUpgrading(false);
}

void EngineConnection::switchToProbe()
{
    m_upgradeTimeout.disarm();
    Transport *websocket = std::exchange(m_probe, nullptr);
    // What polling had not handed over yet goes first, in order: nothing lost, nothing twice.
    const QList<WireFrames> unsent = std::exchange(m_polling, nullptr)->discard();
    m_transport = websocket;
    websocket->setHandler(this);
    for (const WireFrames &frames : unsent) {
        if (frames.binaries.isEmpty())
            websocket->sendText(frames.text);
        else
            websocket->send(frames);
    }
    qCDebug(lcEngineIo) << "upgraded" << m_sid << "to websocket," << unsent.size()
                        << "queued packets moved";
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
    m_upgradeTimeout.disarm();
    if (Transport *probe = std::exchange(m_probe, nullptr))
        probe->dispose(code, reason);
    // Reasons may quote what the client sent: one line, capped.
    if (error)
        qCWarning(lcEngineIo).noquote()
            << "closing" << m_sid << "from" << m_handshake.address << "-" << quoted(reason, 300);
    else
        qCDebug(lcEngineIo).noquote()
            << "closing" << m_sid << "from" << m_handshake.address << "-" << quoted(reason, 300);
    m_polling = nullptr;
    if (Transport *transport = std::exchange(m_transport, nullptr))
        transport->dispose(code, reason);
    Q_EMIT closed(reason);
}

} // namespace switchboard
