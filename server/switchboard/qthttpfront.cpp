#include "switchboard/qthttpfront.h"

#include "switchboard/httprequestparser.h"
#include "switchboard/logging.h"
#include "switchboard/pollingexchange.h"
#include "switchboard/qttransport.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimerEvent>
#include <QWebSocket>
#include <QWebSocketServer>

namespace switchboard {

namespace {

// Bytes Qt may read ahead of the parser: a request head at its limit plus one read.
constexpr qint64 ReadAhead = 64 * 1024;
constexpr int CloseGraceMs = 2000;

} // namespace

// Parses requests from one TCP connection. Bytes are peeked, not read, until a request is
// known not to be an upgrade, so an upgrade reaches QWebSocketServer untouched. Qt reads no
// more than the parser can use: while an answer is unsent, pipelined requests wait in the
// socket.
class HttpConnection : public QObject, public HttpExchange
{
public:
    HttpConnection(QtHttpFront *front, QTcpSocket *socket)
        : QObject(socket), m_front(front), m_socket(socket),
          m_parser(front->limits(), front->bodyBudget())
    {
        socket->setReadBufferSize(front->limits().maxHeaderBytes + ReadAhead);
        connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
        connect(socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
        // The client of a parked GET went: its session is told at once.
        connect(socket, &QTcpSocket::disconnected, this, [this] {
            if (std::exchange(m_awaiting, false))
                abandon();
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        m_idleTimer = startTimer(m_front->idleTimeout());
    }

    ~HttpConnection() override
    {
        if (std::exchange(m_awaiting, false))
            abandon();
    }

    void timerEvent(QTimerEvent *event) override
    {
        if (event->timerId() != m_idleTimer)
            return QObject::timerEvent(event);
        killTimer(m_idleTimer);
        m_idleTimer = 0;
        // One that was already told to go and still has not: cut off.
        if (m_handedOff) {
            m_socket->abort();
            return;
        }
        if (m_bodyDeadline)
            return refuse(HttpFront::Refusal::BodyTimeout);
        if (m_paused && m_socket->bytesToWrite() > 0) {
            m_front->bounds()->hit(Bound::HttpPipeline);
            qCInfo(lcHttp).noquote()
                << "closing HTTP connection from" << peer() << "-" << m_socket->bytesToWrite()
                << "bytes of answers unread for" << m_front->idleTimeout() << "ms";
            m_socket->abort();
            return;
        }
        // Nothing whole arrived for a while: a slow or idle client holds no connection forever.
        m_handedOff = true;
        qCDebug(lcHttp) << "closing idle HTTP connection from" << peer();
        m_socket->disconnectFromHost();
        m_idleTimer = startTimer(CloseGraceMs);
    }

    void onBytesWritten()
    {
        if (m_keepAliveOnceOut && !m_handedOff && m_socket->bytesToWrite() == 0)
            betweenRequests();
        if (m_paused && m_socket->bytesToWrite() == 0) {
            m_paused = false;
            onReadyRead();
        }
    }

    void onReadyRead()
    {
        int served = 0;
        while (m_socket && !m_handedOff && !m_paused) {
            if (served == HttpFront::StepsPerTurn) {
                // The rest waits in the socket for the next pass of the event loop.
                if (!std::exchange(m_turnQueued, true))
                    QMetaObject::invokeMethod(
                        this,
                        [this] {
                            m_turnQueued = false;
                            onReadyRead();
                        },
                        Qt::QueuedConnection);
                return;
            }
            const QByteArray pending = m_socket->peek(m_socket->bytesAvailable());
            if (pending.size() <= m_fed)
                return;
            if (std::exchange(m_betweenRequests, false))
                restartTimer(m_front->idleTimeout()); // a next request began
            m_fed += qsizetype(
                m_parser.feed(pending.constData() + m_fed, size_t(pending.size() - m_fed)));
            switch (m_parser.state()) {
            case HttpRequestParser::State::NeedMore:
                if (m_parser.inBody()) {
                    // Not an upgrade: what the parser took may leave the socket.
                    m_socket->skip(m_fed);
                    m_fed = 0;
                    if (!m_bodyDeadline) {
                        m_bodyDeadline = true;
                        restartTimer(m_front->limits().bodyTimeoutMs);
                    }
                }
                return;
            case HttpRequestParser::State::Upgrade:
                return upgrade(m_parser.take(m_socket->peerAddress()));
            case HttpRequestParser::State::HeadersTooLarge:
                return refuse(HttpFront::Refusal::HeadTooLarge);
            case HttpRequestParser::State::TooLarge: {
                const HttpRequest partial = m_parser.take(m_socket->peerAddress());
                m_front->bodyRefused(partial);
                return finish(m_front->refuseRequest(HttpFront::Refusal::BodyTooLarge, partial));
            }
            case HttpRequestParser::State::NoRoom:
                return refuse(HttpFront::Refusal::NoRoom);
            case HttpRequestParser::State::Error:
                return refuse(HttpFront::Refusal::Malformed, m_parser.errorText());
            case HttpRequestParser::State::Request: {
                // One whole request: consume its bytes, answer it, go on with the next.
                m_socket->skip(m_fed);
                m_fed = 0;
                m_bodyDeadline = false;
                m_answerKeepAlive = m_parser.keepAlive();
                const HttpRequest request = m_parser.take(m_socket->peerAddress());
                m_answerHead = request.method == "HEAD";
                m_awaiting = true;
                ++served;
                m_front->handle(request, this); // answered through deliver(), now or later
                if (m_awaiting) {
                    // Parked (a long-polling GET): nothing more is read until it is answered,
                    // and the session's heartbeat bounds the wait.
                    m_parked = true;
                    m_paused = true;
                    if (m_idleTimer)
                        killTimer(std::exchange(m_idleTimer, 0));
                    return;
                }
                if (!m_answerKeepAlive)
                    return;
                answeredKeepAlive();
                // The next request waits until this answer is out.
                m_paused = m_socket->bytesToWrite() > 0;
                continue;
            }
            }
        }
    }

private:
    QString peer() const { return m_socket->peerAddress().toString(); }

    void deliver(const HttpResponse &response) override
    {
        if (!std::exchange(m_awaiting, false) || m_handedOff)
            return;
        if (!std::exchange(m_parked, false)) {
            write(response, m_answerKeepAlive, m_answerHead);
            return;
        }
        // Answered from elsewhere: Qt writes it from the event loop, and reading resumes once it
        // is out (onBytesWritten).
        m_socket->write(response.serialize(m_answerKeepAlive, m_answerHead));
        if (!m_answerKeepAlive) {
            m_handedOff = true;
            m_socket->disconnectFromHost();
            restartTimer(CloseGraceMs);
            return;
        }
        answeredKeepAlive();
    }

    // A keep-alive answer was written: the idle timeout runs until it is out (a slow download
    // is not idle), then the keep-alive timeout until the next request begins.
    void answeredKeepAlive()
    {
        if (m_socket->bytesToWrite() > 0) {
            restartTimer(m_front->idleTimeout());
            m_keepAliveOnceOut = true;
        } else {
            betweenRequests();
        }
    }

    void betweenRequests()
    {
        m_keepAliveOnceOut = false;
        m_betweenRequests = true;
        restartTimer(m_front->keepAliveTimeout());
    }

    void restartTimer(int ms)
    {
        if (m_idleTimer)
            killTimer(m_idleTimer);
        m_idleTimer = startTimer(ms);
    }

    void write(const HttpResponse &response, bool keepAlive, bool head = false)
    {
        m_socket->write(response.serialize(keepAlive, head));
        // Handed to the kernel now: a peer that half-closed after its request still gets it.
        m_socket->flush();
        if (!keepAlive)
            m_socket->disconnectFromHost();
    }

    // Refuses the request being read (what was read of its head decides the CORS headers).
    void refuse(HttpFront::Refusal refusal, const QByteArray &detail = {})
    {
        finish(m_front->refuseRequest(refusal, m_parser.take(m_socket->peerAddress()), detail));
    }

    // The last answer on this connection; what else the peer sends is not read.
    void finish(const HttpResponse &response)
    {
        m_parser.abandon();
        m_handedOff = true;
        m_bodyDeadline = false;
        write(response, false);
        restartTimer(CloseGraceMs);
    }

    void upgrade(const HttpRequest &request)
    {
        if (const auto refusal = m_front->checkUpgrade(request)) {
            // Refused: the socket stays ours (and goes with `disconnected`) until the answer is
            // out, or the timer cuts off a peer that never closes.
            finish(*refusal);
            return;
        }
        m_handedOff = true;
        // QWebSocketServer takes the socket over: none of our connections may outlive this,
        // and this object is a child of the socket no more.
        QTcpSocket *socket = m_socket;
        QObject::disconnect(socket, nullptr, nullptr, nullptr);
        if (m_idleTimer)
            killTimer(m_idleTimer);
        setParent(nullptr);
        deleteLater();
        socket->setReadBufferSize(0);
        m_front->adoptWebSocket(socket);
    }

    QtHttpFront *m_front;
    QTcpSocket *m_socket;
    HttpRequestParser m_parser;
    qsizetype m_fed = 0;
    bool m_handedOff = false;
    bool m_paused = false;     // an answer is unsent: the next request waits
    bool m_turnQueued = false; // this turn's requests served: onReadyRead() again next pass
    bool m_awaiting = false;   // a request is being answered through deliver()
    bool m_parked = false;     // ... later: a long-polling GET
    bool m_answerKeepAlive = false;
    bool m_answerHead = false;
    bool m_bodyDeadline = false; // the timer runs for a request body
    int m_idleTimer = 0;
    bool m_keepAliveOnceOut = false; // a keep-alive answer is going out
    bool m_betweenRequests = false;  // the timer runs the keep-alive timeout
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
            Q_EMIT transportOpened(new QtTransport(socket, maxMessageSize(), bounds()));
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
    // Qt answers pings itself, even while the peer reads nothing: what the peer makes us owe
    // is checked as its bytes arrive.
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
        if (socket->bytesToWrite() <= maxBufferedBytes())
            return;
        bounds()->hit(Bound::WsControl);
        qCInfo(lcEngineIo).noquote()
            << "closing WebSocket from" << socket->peerAddress().toString() << "-"
            << socket->bytesToWrite() << "bytes of output unread while it keeps sending, over"
            << "max-buffered (" << maxBufferedBytes() << "bytes)";
        socket->abort();
    });
    m_ws->handleConnection(socket);
}

} // namespace switchboard
