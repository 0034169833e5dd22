#include "switchboard/qthttpfront.h"

#include "switchboard/httprequestparser.h"
#include "switchboard/logging.h"
#include "switchboard/qttransport.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimerEvent>
#include <QWebSocket>
#include <QWebSocketServer>

namespace switchboard {

namespace {

void write(QTcpSocket *socket, const HttpResponse &response, bool keepAlive, bool head = false)
{
    socket->write(response.serialize(keepAlive, head));
    if (!keepAlive)
        socket->disconnectFromHost();
}
} // namespace

// Parses requests from one TCP connection. Bytes are peeked, not read, until a request is
// known not to be an upgrade, so an upgrade reaches QWebSocketServer untouched.
class HttpConnection : public QObject
{
public:
    HttpConnection(QtHttpFront *front, QTcpSocket *socket)
        : QObject(socket), m_front(front), m_socket(socket)
    {
        connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        m_idleTimer = startTimer(m_front->idleTimeout());
    }

    void timerEvent(QTimerEvent *event) override
    {
        if (event->timerId() != m_idleTimer)
            return QObject::timerEvent(event);
        // Nothing whole arrived for a while: a slow or idle client holds no connection forever.
        // One that was already told to go and still has not: cut off.
        if (m_handedOff) {
            killTimer(m_idleTimer);
            m_socket->abort();
            return;
        }
        m_handedOff = true;
        qCDebug(lcHttp) << "closing idle HTTP connection from"
                        << m_socket->peerAddress().toString();
        m_socket->disconnectFromHost();
    }

    void onReadyRead()
    {
        while (m_socket && !m_handedOff) {
            const QByteArray pending = m_socket->peek(m_socket->bytesAvailable());
            if (pending.size() <= m_fed)
                return;
            m_fed += qsizetype(
                m_parser.feed(pending.constData() + m_fed, size_t(pending.size() - m_fed)));
            switch (m_parser.state()) {
            case HttpRequestParser::State::NeedMore:
                return;
            case HttpRequestParser::State::Upgrade:
                return upgrade(m_parser.take(m_socket->peerAddress()));
            case HttpRequestParser::State::TooLarge:
                write(m_socket, HttpResponse::error(413, QStringLiteral("Payload too large")),
                      false);
                m_handedOff = true;
                return;
            case HttpRequestParser::State::Error:
                qCInfo(lcHttp) << "bad HTTP request from" << m_socket->peerAddress().toString()
                               << m_parser.errorText();
                write(m_socket, HttpResponse::error(400, QStringLiteral("Bad request")), false);
                m_socket->read(m_socket->bytesAvailable());
                m_handedOff = true;
                return;
            case HttpRequestParser::State::Request: {
                // One whole request: consume its bytes, answer it, go on with the next.
                m_socket->read(m_fed);
                m_fed = 0;
                const bool keepAlive = m_parser.keepAlive();
                const HttpRequest request = m_parser.take(m_socket->peerAddress());
                write(m_socket, m_front->respond(request), keepAlive, request.method == "HEAD");
                killTimer(m_idleTimer);
                m_idleTimer = startTimer(m_front->idleTimeout());
                if (!keepAlive)
                    return;
                continue;
            }
            }
        }
    }

private:
    void upgrade(const HttpRequest &request)
    {
        m_handedOff = true;
        if (const auto refusal = m_front->checkUpgrade(request)) {
            // Refused: the socket stays ours (and goes with `disconnected`) until the answer is
            // out, or the idle timer cuts off a peer that never closes.
            write(m_socket, *refusal, false);
            return;
        }
        // QWebSocketServer takes the socket over: none of our connections may outlive this,
        // and this object is a child of the socket no more.
        QTcpSocket *socket = m_socket;
        QObject::disconnect(socket, nullptr, nullptr, nullptr);
        killTimer(m_idleTimer);
        setParent(nullptr);
        deleteLater();
        m_front->adoptWebSocket(socket);
    }

    QtHttpFront *m_front;
    QTcpSocket *m_socket;
    HttpRequestParser m_parser;
    qsizetype m_fed = 0;
    bool m_handedOff = false;
    int m_idleTimer = 0;
};

QtHttpFront::QtHttpFront(QObject *parent)
    : HttpFront(parent), m_tcp(new QTcpServer(this)),
      m_ws(new QWebSocketServer(QStringLiteral("switchboard"), QWebSocketServer::NonSecureMode,
                                this))
{
    // Qt's default of 30 pending connections would refuse bursts of clients.
    m_ws->setMaxPendingConnections(1 << 20);
    m_tcp->setMaxPendingConnections(1 << 20);
    m_tcp->setListenBacklogSize(4096);
    connect(m_tcp, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_tcp->nextPendingConnection())
            new HttpConnection(this, socket);
    });
    connect(m_ws, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *socket = m_ws->nextPendingConnection())
            Q_EMIT transportOpened(new QtTransport(socket, maxMessageSize()));
    });
}

QtHttpFront::~QtHttpFront() = default;

bool QtHttpFront::listen(const QHostAddress &address, quint16 port)
{
    return m_tcp->listen(address, port);
}

void QtHttpFront::close()
{
    m_tcp->close();
}

quint16 QtHttpFront::serverPort() const
{
    return m_tcp->serverPort();
}

QString QtHttpFront::errorString() const
{
    return m_tcp->errorString();
}

void QtHttpFront::adoptWebSocket(QTcpSocket *socket)
{
    m_ws->handleConnection(socket);
}

} // namespace switchboard
