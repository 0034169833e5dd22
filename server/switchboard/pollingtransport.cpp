#include "switchboard/pollingtransport.h"

#include "switchboard/engineio.h"
#include "switchboard/logging.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard {

namespace {

HttpResponse payloadResponse(const QByteArray &payload)
{
    return HttpResponse{200, "text/plain; charset=UTF-8", payload, {}};
}

WireFrames textPacket(engineio::PacketType type)
{
    return WireFrames{engineio::encodeText(type), {}, nullptr};
}

} // namespace

HttpResponse engineIoError(EngineIoError code)
{
    static constexpr const char *messages[] = {
        "Transport unknown", "Session ID unknown", "Bad handshake method",
        "Bad request",       "Forbidden",          "Unsupported protocol version"};
    const QJsonObject obj{{QStringLiteral("code"), int(code)},
                          {QStringLiteral("message"), QLatin1String(messages[int(code)])}};
    return HttpResponse::json(code == EngineIoError::Forbidden ? 403 : 400,
                              QJsonDocument(obj).toJson(QJsonDocument::Compact));
}

PollingRegistry::PollingRegistry(QObject *parent) : QObject(parent) {}

PollingRegistry::~PollingRegistry()
{
    reap();
    for (PollingTransport *transport : std::exchange(m_transports, {}))
        delete transport;
}

void PollingRegistry::retire(PollingTransport *transport)
{
    const auto it = m_transports.constFind(transport->m_sid);
    if (it != m_transports.cend() && *it == transport)
        m_transports.erase(it);
    m_retired.push_back(transport);
    if (!m_reapQueued) {
        m_reapQueued = true;
        QMetaObject::invokeMethod(this, &PollingRegistry::reap, Qt::QueuedConnection);
    }
}

void PollingRegistry::reap()
{
    m_reapQueued = false;
    for (PollingTransport *transport : std::exchange(m_retired, {}))
        delete transport;
}

PollingTransport::PollingTransport(PollingRegistry *registry, const HttpRequest &handshake)
    : m_registry(registry), m_closeTimeout([this] { release(); })
{
    m_handshake.headers = handshake.headers;
    m_handshake.target = handshake.target;
    m_handshake.address = handshake.peer.toString();
}

PollingTransport::~PollingTransport()
{
    // Only when the server goes: a GET still parked gets the close packet.
    if (HttpExchange *exchange = std::exchange(m_parked, nullptr))
        exchange->reply(payloadResponse(engineio::encodeText(engineio::PacketType::Close)));
}

void PollingTransport::attach(const QString &sid, EngineConnection *session)
{
    m_sid = sid;
    m_session = session;
    m_registry->m_transports.insert(sid, this);
}

void PollingTransport::queue(WireFrames frames)
{
    m_queuedBytes += frames.text.size();
    for (const QByteArray &binary : frames.binaries)
        m_queuedBytes += binary.size();
    m_queue.append(std::move(frames));
    flush();
}

void PollingTransport::sendText(const QByteArray &utf8)
{
    if (!m_closed)
        queue(WireFrames{utf8, {}, nullptr});
}

void PollingTransport::send(const WireFrames &frames)
{
    if (!m_closed)
        queue(frames);
}

void PollingTransport::flush()
{
    if (!m_parked || m_queue.isEmpty())
        return;
    // Binary packets travel in base64: a polling payload is text.
    QByteArray payload;
    for (const WireFrames &frames : std::as_const(m_queue)) {
        engineio::appendTextToPayload(payload, frames.text);
        for (const QByteArray &binary : frames.binaries)
            engineio::appendToPayload(
                payload, engineio::Packet{engineio::PacketType::Message, binary, true});
    }
    m_queue.clear();
    m_queuedBytes = 0;
    std::exchange(m_parked, nullptr)->reply(payloadResponse(payload));
}

void PollingTransport::onGet(HttpExchange *exchange)
{
    if (m_parked) {
        // As engine.io: a second GET while one is parked is a broken client; the session ends
        // and the parked GET takes the close packet.
        exchange->reply(engineIoError(EngineIoError::BadRequest));
        fail(QStringLiteral("overlap from client: a second GET while one is pending"));
        return;
    }
    m_parked = exchange;
    exchange->setWaiter(this);
    if (m_closed) {
        flush();
        release();
    } else if (!m_queue.isEmpty()) {
        flush();
    } else if (m_upgrading) {
        queue(textPacket(engineio::PacketType::Noop));
    }
}

void PollingTransport::onPost(const HttpRequest &request, HttpExchange *exchange)
{
    const HttpResponse ok{200, "text/html", "ok", {}};
    if (m_closed || !m_handler) {
        exchange->reply(ok); // what a closed session is still sent is dropped
        return;
    }
    const Decoded<QList<engineio::Packet>> packets = engineio::decodePayload(request.body);
    if (!packets) {
        exchange->reply(engineIoError(EngineIoError::BadRequest));
        fail(QStringLiteral("parse error: %1").arg(packets.error()));
        return;
    }
    exchange->reply(ok);
    // The session may end on any packet (a close, a bad one): `this` stays, the handler goes.
    for (const engineio::Packet &packet : *packets) {
        if (!m_handler)
            break;
        if (packet.binary)
            m_handler->transportBinary(packet.data);
        else
            m_handler->transportText(engineio::encode(packet));
    }
}

void PollingTransport::fail(const QString &reason)
{
    if (TransportHandler *handler = std::exchange(m_handler, nullptr))
        handler->transportClosed(reason, true); // the session answers with dispose()
}

void PollingTransport::exchangeGone(HttpExchange *exchange)
{
    if (exchange != m_parked)
        return;
    m_parked = nullptr;
    if (TransportHandler *handler = std::exchange(m_handler, nullptr))
        handler->transportClosed(
            QStringLiteral("transport error: poll connection closed prematurely"), false);
}

void PollingTransport::setUpgrading(bool upgrading)
{
    m_upgrading = upgrading;
    if (upgrading && m_parked)
        queue(textPacket(engineio::PacketType::Noop));
}

QList<WireFrames> PollingTransport::discard()
{
    m_handler = nullptr;
    m_session = nullptr;
    m_closed = true;
    QList<WireFrames> rest = std::exchange(m_queue, {});
    m_queuedBytes = 0;
    if (m_parked) {
        m_queue.append(textPacket(engineio::PacketType::Noop));
        flush();
    }
    release();
    return rest;
}

void PollingTransport::dispose(quint16, const QString &)
{
    m_handler = nullptr;
    m_session = nullptr;
    if (m_closed)
        return;
    // The client learns of the end from a close packet after what was still queued: now if a
    // GET is parked, else with its next GET, or never if it does not come in time.
    queue(textPacket(engineio::PacketType::Close));
    m_closed = true;
    if (!m_queue.isEmpty())
        m_closeTimeout.arm(CloseTimeoutMs);
    else
        release();
}

void PollingTransport::release()
{
    if (std::exchange(m_released, true))
        return;
    m_closeTimeout.disarm();
    if (HttpExchange *exchange = std::exchange(m_parked, nullptr))
        exchange->setWaiter(nullptr);
    m_registry->retire(this);
}

} // namespace switchboard
