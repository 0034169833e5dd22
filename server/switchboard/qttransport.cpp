#include "switchboard/qttransport.h"

#include "switchboard/logging.h"

#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>

namespace switchboard {

QtTransport::QtTransport(QWebSocket *socket, qint64 maxPayload, BoundCounters *bounds)
    : m_socket(socket), m_bounds(bounds)
{
    socket->setParent(this);
    socket->setMaxAllowedIncomingMessageSize(quint64(maxPayload));
    socket->setMaxAllowedIncomingFrameSize(quint64(maxPayload));
    const QNetworkRequest request = socket->request();
    for (const QByteArray &name : request.rawHeaderList())
        m_handshake.headers.append({name.toLower(), request.rawHeader(name)});
    // The request target as the client sent it; Qt makes the URL absolute from the Host header.
    const QUrl url = request.url();
    m_handshake.target = url.path(QUrl::FullyEncoded).toUtf8();
    if (url.hasQuery())
        m_handshake.target += '?' + url.query(QUrl::FullyEncoded).toUtf8();
    m_handshake.address = socket->peerAddress().toString();
    connect(socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        if (m_handler)
            m_handler->transportText(text.toUtf8());
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &data) {
        if (m_handler)
            m_handler->transportBinary(data);
    });
    connect(socket, &QWebSocket::disconnected, this, &QtTransport::onDisconnected);
}

QtTransport::~QtTransport() = default;

void QtTransport::sendText(const QByteArray &utf8)
{
    if (m_socket)
        m_socket->sendTextMessage(QString::fromUtf8(utf8));
}

void QtTransport::send(const WireFrames &frames)
{
    if (!m_socket)
        return;
    // QWebSocket takes text as UTF-16 and encodes it again per call: this path's known cost.
    m_socket->sendTextMessage(QString::fromUtf8(frames.text));
    for (const QByteArray &binary : frames.binaries)
        m_socket->sendBinaryMessage(binary);
}

qint64 QtTransport::bufferedBytes() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

bool QtTransport::congested()
{
    // QWebSocket keeps what it was given until the next pass of the event loop: written now,
    // what is left is what the kernel refused.
    if (!m_socket || m_socket->bytesToWrite() == 0)
        return false;
    m_socket->flush();
    return m_socket->bytesToWrite() > 0;
}

void QtTransport::onDisconnected()
{
    TransportHandler *handler = std::exchange(m_handler, nullptr);
    if (!handler)
        return;
    QString reason = QStringLiteral("transport close");
    bool error = false;
    const auto code = m_socket->closeCode();
    if (code == QWebSocketProtocol::CloseCodeTooMuchData) {
        reason = QStringLiteral("transport error: message larger than maxPayload");
        error = true;
        m_bounds->hit(Bound::Payload);
    } else if (code != QWebSocketProtocol::CloseCodeNormal &&
               code != QWebSocketProtocol::CloseCodeGoingAway) {
        qCInfo(lcEngineIo).noquote()
            << "connection from" << m_handshake.address << "closed with code" << int(code)
            << quoted(m_socket->closeReason(), 120);
    }
    handler->transportClosed(reason, error);
}

void QtTransport::dispose(quint16 code, const QString &reason)
{
    m_handler = nullptr;
    QWebSocket *socket = m_socket;
    if (!socket || socket->state() == QAbstractSocket::UnconnectedState) {
        deleteLater();
        return;
    }
    // The socket outlives the session long enough to finish the close handshake; a peer that
    // never answers it is cut off.
    disconnect(socket, &QWebSocket::disconnected, this, &QtTransport::onDisconnected);
    connect(socket, &QWebSocket::disconnected, this, &QObject::deleteLater);
    QTimer::singleShot(2000, socket, &QWebSocket::abort);
    socket->close(QWebSocketProtocol::CloseCode(code), reason.left(120));
}

} // namespace switchboard
