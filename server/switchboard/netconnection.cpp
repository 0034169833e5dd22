#include "switchboard/netconnection.h"

#include "switchboard/epollfront.h"
#include "switchboard/httprequestparser.h"
#include "switchboard/logging.h"

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace switchboard {

namespace {

// Every connection of the thread reads into this; a connection keeps only the unused tail.
constexpr qsizetype ReadBufferSize = 64 * 1024;
thread_local char readBuffer[ReadBufferSize];
// Bytes read per readiness report: one busy client cannot hold the loop.
constexpr qsizetype ReadBudget = 4 * ReadBufferSize;
// How long a closing WebSocket waits for the peer's close frame before it is cut off.
constexpr int CloseGraceMs = 2000;
// What a closing peer may still send before it is cut off without waiting for its close frame.
constexpr qint64 ClosingDrainBytes = 64 * 1024;
constexpr int MaxIovecs = 64;

} // namespace

NetConnection::NetConnection(EpollFront *front, int fd, const QHostAddress &peer)
    : m_front(front), m_fd(fd), m_peer(peer),
      m_http(std::make_unique<HttpRequestParser>(front->limits(), front->bodyBudget())),
      m_ws(websocket::Parser::Limits{front->maxMessageSize()}), m_idle([this] { onIdle(); })
{
    m_front->poller()->add(fd, this, m_interest);
    m_idle.arm(front->idleTimeout());
}

NetConnection::~NetConnection()
{
    if (std::exchange(m_awaiting, false))
        abandon();
    if (m_fd >= 0) {
        m_front->poller()->remove(m_fd);
        ::close(m_fd);
    }
}

void NetConnection::pollEvent(quint32 events)
{
    if (m_phase == Phase::Dead)
        return;
    if (m_awaiting && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        // The client of a parked GET closed or went: engine.io ends the session then.
        return lost(QStringLiteral("transport close"), false, 0);
    }
    if (events & EPOLLOUT)
        flush();
    if (m_phase != Phase::Dead && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        onReadable();
}

void NetConnection::onReadable()
{
    qsizetype total = 0;
    while (m_phase != Phase::Dead && !m_readPaused && !m_backlogged && total < ReadBudget) {
        const ssize_t got = ::recv(m_fd, readBuffer, size_t(ReadBufferSize), 0);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            return lost(QStringLiteral("transport error: %1")
                            .arg(QString::fromLocal8Bit(std::strerror(errno))),
                        false, 0);
        }
        if (got == 0) {
            // A half-close after a request still gets its answer.
            if (m_phase == Phase::Http && !m_output.isEmpty()) {
                closeAfterFlush();
                m_peerDone = true;
                updateInterest(); // nothing more to read
                return;
            }
            return lost(QStringLiteral("transport close"), false, 0);
        }
        total += got;
        consume(QByteArrayView(readBuffer, got));
        // A short read emptied the socket: asking again would only return EAGAIN, one more
        // system call per pong or message. Epoll is level-triggered: what arrives later, or
        // the peer's FIN, is reported again.
        if (got < ReadBufferSize)
            return;
    }
}

void NetConnection::consume(QByteArrayView data)
{
    if (m_phase == Phase::Closing || (m_phase == Phase::Http && m_closeAfterFlush)) {
        // Our close or its last answer is on the way: what it still sends is dropped, up to a
        // bound.
        m_closingDrained += data.size();
        if (m_closingDrained > ClosingDrainBytes)
            destroy();
        return;
    }
    // Straight from the shared buffer when nothing is pending; else behind the tail.
    if (!m_input.isEmpty()) {
        m_input.append(data);
        data = m_input;
    }
    qsizetype used = 0;
    int steps = 0;
    while ((m_phase == Phase::Http && !m_readPaused) || m_phase == Phase::WebSocket) {
        const Phase before = m_phase;
        const qsizetype step = m_phase == Phase::Http ? processHttp(data.sliced(used))
                                                      : processWebSocket(data.sliced(used));
        used += step;
        if (step == 0 && m_phase == before)
            break;
        if (++steps == HttpFront::StepsPerTurn && used < data.size() && m_phase != Phase::Dead) {
            m_backlogged = true; // the rest in the next pass (EpollFront::serveBacklog)
            break;
        }
    }
    if (m_phase == Phase::Dead)
        return;
    if (data.constData() == m_input.constData())
        m_input.remove(0, used);
    else
        m_input = data.sliced(used).toByteArray();
    if (m_input.capacity() > 2 * m_input.size() + 1024)
        m_input.squeeze();
    if (m_backlogged) {
        updateInterest(); // nothing more is read until the backlog is served
        m_front->backlog(this);
    }
}

void NetConnection::serveBacklog()
{
    if (!std::exchange(m_backlogged, false))
        return;
    if (m_phase == Phase::Http && m_readPaused)
        return updateInterest(); // paused since (an answer unsent): flush() resumes it
    consume({});
    if (m_phase != Phase::Dead)
        updateInterest();
}

void NetConnection::resumeReading()
{
    m_readPaused = false;
    if (!m_input.isEmpty() && !m_backlogged)
        consume(std::exchange(m_input, {}));
    if (m_phase != Phase::Dead)
        updateInterest();
}

qsizetype NetConnection::processHttp(QByteArrayView data)
{
    if (data.isEmpty() || m_closeAfterFlush)
        return 0;
    if (std::exchange(m_betweenRequests, false))
        m_idle.arm(m_front->idleTimeout()); // a next request began
    const qsizetype used = qsizetype(m_http->feed(data.constData(), size_t(data.size())));
    switch (m_http->state()) {
    case HttpRequestParser::State::NeedMore:
        // A body has its own deadline from the end of the headers, whatever the idle time.
        if (m_http->inBody() && !m_bodyDeadline) {
            m_bodyDeadline = true;
            m_idle.arm(m_front->limits().bodyTimeoutMs);
        }
        return used;
    case HttpRequestParser::State::Upgrade:
        upgrade(m_http->take(m_peer));
        return used;
    case HttpRequestParser::State::HeadersTooLarge:
        answer(m_front->refuseRequest(HttpFront::Refusal::HeadTooLarge, m_http->take(m_peer)),
               false);
        return data.size();
    case HttpRequestParser::State::TooLarge: {
        const HttpRequest partial = m_http->take(m_peer);
        m_front->bodyRefused(partial); // a polling session closes with its POST
        answer(m_front->refuseRequest(HttpFront::Refusal::BodyTooLarge, partial), false);
        return data.size();
    }
    case HttpRequestParser::State::NoRoom:
        answer(m_front->refuseRequest(HttpFront::Refusal::NoRoom, m_http->take(m_peer)), false);
        return data.size();
    case HttpRequestParser::State::Error: {
        const QByteArray why = m_http->errorText();
        answer(m_front->refuseRequest(HttpFront::Refusal::Malformed, m_http->take(m_peer), why),
               false);
        return data.size();
    }
    case HttpRequestParser::State::Request: {
        m_answerKeepAlive = m_http->keepAlive();
        const HttpRequest request = m_http->take(m_peer);
        m_answerHead = request.method == "HEAD";
        m_bodyDeadline = false;
        m_awaiting = true;
        m_front->handle(request, this); // answered through deliver(), now or later
        if (m_awaiting) {
            // Parked (a long-polling GET): nothing more is read until it is answered, and the
            // session's heartbeat, not the idle timeout, bounds the wait.
            m_idle.disarm();
            m_readPaused = true;
            updateInterest();
        }
        return used;
    }
    }
    return used;
}

void NetConnection::deliver(const HttpResponse &response)
{
    if (!std::exchange(m_awaiting, false) || m_phase != Phase::Http)
        return;
    if (m_readPaused) {
        // A parked request, answered from elsewhere (another connection's POST, a timer): the
        // bytes go out at the end of the pass, and reading resumes once they are out.
        queue(response.serialize(m_answerKeepAlive, m_answerHead));
        if (!m_answerKeepAlive || m_peerDone) {
            closeAfterFlush();
        } else {
            m_idle.arm(m_front->idleTimeout());
            m_keepAliveOnceOut = true;
        }
        deferFlush();
        return;
    }
    if (m_answerKeepAlive) {
        // Until the answer is out the idle timeout runs (a slow download is not idle); then the
        // keep-alive timeout (flush()).
        m_idle.arm(m_front->idleTimeout());
        m_keepAliveOnceOut = true;
    }
    answer(response, m_answerKeepAlive, m_answerHead);
    if (m_phase != Phase::Http)
        return;
    // Pipelined requests wait while an answer is unsent: a client that never reads holds
    // one answer and one read of requests, never more.
    if (!m_output.isEmpty() && !m_closeAfterFlush) {
        m_readPaused = true;
        updateInterest();
    }
}

void NetConnection::answer(const HttpResponse &response, bool keepAlive, bool head)
{
    queue(response.serialize(keepAlive, head));
    if (!keepAlive)
        closeAfterFlush();
    flush();
}

void NetConnection::upgrade(const HttpRequest &request)
{
    if (const std::optional<HttpResponse> refusal = m_front->checkUpgrade(request))
        return answer(*refusal, false);
    const QByteArray key = request.header("sec-websocket-key");
    queue("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: " +
          websocket::acceptKey(key) + "\r\n\r\n");
    m_phase = Phase::WebSocket;
    m_http.reset();
    m_idle.disarm(); // the session's heartbeat watches it from now on
    m_handshake.headers = request.headers;
    m_handshake.target = request.target;
    m_handshake.address = m_peer.toString();
    flush();
    m_front->opened(this); // the server makes the session, which sends the open packet
}

qsizetype NetConnection::processWebSocket(QByteArrayView data)
{
    const websocket::Parser::Result result = m_ws.parse(data);
    switch (result.event) {
    case websocket::Parser::Event::NeedMore:
        break;
    case websocket::Parser::Event::Message:
        if (m_handler) {
            if (result.binary)
                m_handler->transportBinary(result.payload);
            else
                m_handler->transportText(result.payload);
        }
        break;
    case websocket::Parser::Event::Ping:
        onPing(result.payload);
        break;
    case websocket::Parser::Event::Pong:
        break;
    case websocket::Parser::Event::Close:
        lost(QStringLiteral("transport close"), false, result.closeCode);
        break;
    case websocket::Parser::Event::Error:
        if (result.closeCode == 1009)
            m_front->bounds()->hit(Bound::Payload);
        // The same words as the Qt transport for the limit every client may hit.
        lost(result.closeCode == 1009
                 ? QStringLiteral("transport error: message larger than maxPayload (%1)")
                       .arg(result.error)
                 : QStringLiteral("transport error: %1").arg(result.error),
             true, result.closeCode);
        break;
    }
    return result.consumed;
}

void NetConnection::onPing(const QByteArray &payload)
{
    if (m_output.isEmpty()) {
        queue(websocket::frame(websocket::Opcode::Pong, payload));
        flush();
        return;
    }
    // Output is blocked: only the latest ping is answered once it drains (RFC 6455 5.5.3), and
    // what the peer asks for meanwhile counts against the slow-consumer limit.
    m_owedPong = payload;
    m_owedControlBytes += payload.size() + 2;
    if (m_queued + m_owedControlBytes <= m_front->maxBufferedBytes())
        return;
    m_front->bounds()->hit(Bound::WsControl);
    qCInfo(lcEngineIo).noquote() << "closing WebSocket from" << m_peer.toString()
                                 << "- control frames while" << m_queued
                                 << "bytes of output are unread, over max-buffered ("
                                 << m_front->maxBufferedBytes() << "bytes)";
    lost(QStringLiteral("transport error: slow consumer (control frames while output is blocked)"),
         true, 1008);
}

void NetConnection::sendText(const QByteArray &utf8)
{
    if (m_phase != Phase::WebSocket)
        return;
    queue(websocket::frame(websocket::Opcode::Text, utf8));
    ++m_front->m_messagesQueued;
    deferFlush();
}

void NetConnection::send(const WireFrames &frames)
{
    if (m_phase != Phase::WebSocket)
        return;
    // Built by the first recipient of a broadcast; the others write the same bytes.
    QByteArray &wire = *frames.wire;
    if (wire.isEmpty()) {
        wire = websocket::frame(websocket::Opcode::Text, frames.text);
        for (const QByteArray &binary : frames.binaries)
            wire += websocket::frame(websocket::Opcode::Binary, binary);
    }
    queue(wire);
    ++m_front->m_messagesQueued;
    deferFlush();
}

void NetConnection::prefetchForSend(int depth) const
{
    if (depth == 0) {
        __builtin_prefetch(&m_phase);
        __builtin_prefetch(&m_dirty);
        __builtin_prefetch(&m_output);
        __builtin_prefetch(&m_lastWrite);
    } else {
        __builtin_prefetch(m_output.constData() + m_output.size(), 1);
    }
}

void NetConnection::deferFlush()
{
    if (m_dirty)
        return;
    m_dirty = true;
    // Only a WebSocket's messages may wait for the coalescing tick: an HTTP answer (a parked
    // long-polling GET's among them) goes out with the pass, as if nothing were written before.
    m_front->markDirty(this, m_phase == Phase::WebSocket ? m_lastWrite : NeverWritten);
}

void NetConnection::flushQueued(qint64 now)
{
    m_dirty = false;
    m_lastWrite = now;
    flush();
}

void NetConnection::queue(const QByteArray &bytes)
{
    m_output.append(bytes);
    m_queued += bytes.size();
}

void NetConnection::flush()
{
    while (!m_output.isEmpty() && m_fd >= 0) {
        iovec vectors[MaxIovecs];
        int count = 0;
        for (qsizetype i = 0; i < m_output.size() && count < MaxIovecs; ++i, ++count) {
            const QByteArray &chunk = m_output.at(i);
            const qsizetype skip = i == 0 ? m_outputOffset : 0;
            vectors[count].iov_base = const_cast<char *>(chunk.constData() + skip);
            vectors[count].iov_len = size_t(chunk.size() - skip);
        }
        msghdr message{};
        message.msg_iov = vectors;
        message.msg_iovlen = size_t(count);
        const ssize_t written = ::sendmsg(m_fd, &message, MSG_NOSIGNAL);
        if (m_phase != Phase::Http)
            ++m_front->m_webSocketWrites;
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            m_output.clear();
            m_queued = 0;
            m_outputOffset = 0;
            return lost(QStringLiteral("transport error: %1")
                            .arg(QString::fromLocal8Bit(std::strerror(errno))),
                        false, 0);
        }
        m_queued -= written;
        qsizetype left = written;
        while (left > 0) {
            const qsizetype rest = m_output.first().size() - m_outputOffset;
            if (left < rest) {
                m_outputOffset += left;
                break;
            }
            left -= rest;
            m_output.removeFirst();
            m_outputOffset = 0;
        }
    }
    m_congested = !m_output.isEmpty();
    if (m_output.isEmpty() && m_owedControlBytes && m_phase == Phase::WebSocket) {
        m_owedControlBytes = 0;
        queue(websocket::frame(websocket::Opcode::Pong, std::exchange(m_owedPong, {})));
        return flush();
    }
    if (m_output.isEmpty() && m_phase == Phase::Http && !m_closeAfterFlush &&
        std::exchange(m_keepAliveOnceOut, false)) {
        m_betweenRequests = true;
        m_idle.arm(m_front->keepAliveTimeout());
    }
    if (m_output.isEmpty() && m_readPaused && m_phase == Phase::Http && !m_closeAfterFlush) {
        resumeReading();
        return;
    }
    if (m_output.isEmpty() && m_closeAfterFlush) {
        if (m_phase == Phase::Http) {
            destroy();
            return;
        }
        // Our close frame is out: the peer answers with its own, or is cut off.
        ::shutdown(m_fd, SHUT_WR);
    }
    updateInterest();
}

void NetConnection::updateInterest()
{
    if (m_fd < 0)
        return;
    // A parked request watches only for its client going away.
    const quint32 interest =
        (m_readPaused || m_backlogged || m_peerDone ? 0u : quint32(EPOLLIN | EPOLLRDHUP)) |
        (m_awaiting ? quint32(EPOLLRDHUP) : 0u) | (m_output.isEmpty() ? 0u : quint32(EPOLLOUT));
    if (interest == m_interest)
        return;
    m_interest = interest;
    m_front->poller()->modify(m_fd, this, interest);
}

void NetConnection::lost(const QString &reason, bool error, quint16 code)
{
    if (m_phase != Phase::WebSocket) {
        destroy();
        return;
    }
    // A close frame or a protocol error gets a close frame back (the peer's code echoed, or
    // the error's); a peer that is simply gone does not.
    m_closeCode = code;
    m_peerGone = code == 0;
    if (TransportHandler *handler = std::exchange(m_handler, nullptr))
        handler->transportClosed(reason, error); // the session answers with dispose()
    else
        dispose(code ? code : 1000, reason);
}

void NetConnection::dispose(quint16 code, const QString &reason)
{
    m_handler = nullptr;
    if (m_phase == Phase::Dead || m_phase == Phase::Closing)
        return;
    if (m_phase == Phase::Http || m_peerGone) {
        destroy();
        return;
    }
    m_phase = Phase::Closing;
    if (m_closeCode)
        code = m_closeCode;
    queue(websocket::closeFrame(code, reason.toUtf8()));
    closeAfterFlush();
    m_idle.arm(CloseGraceMs);
    flush();
}

void NetConnection::closeAfterFlush()
{
    m_closeAfterFlush = true;
    // No more requests: a body's share of the budget is given back now.
    if (m_phase == Phase::Http)
        m_http.reset();
}

void NetConnection::onIdle()
{
    if (m_closeAfterFlush && m_phase == Phase::Http)
        return destroy(); // its last answer was not read in time
    if (m_phase == Phase::Http && m_bodyDeadline) {
        m_bodyDeadline = false;
        HttpRequest partial = m_http ? m_http->take(m_peer) : HttpRequest{};
        partial.peer = m_peer;
        answer(m_front->refuseRequest(HttpFront::Refusal::BodyTimeout, partial), false);
        if (m_phase != Phase::Dead)
            m_idle.arm(CloseGraceMs);
        return;
    }
    if (m_phase == Phase::Http && m_readPaused && !m_output.isEmpty()) {
        m_front->bounds()->hit(Bound::HttpPipeline);
        qCInfo(lcHttp).noquote() << "closing HTTP connection from" << m_peer.toString() << "-"
                                 << m_queued << "bytes of answers unread for"
                                 << m_front->idleTimeout() << "ms";
    } else if (m_phase == Phase::Http) {
        qCDebug(lcHttp) << "closing idle HTTP connection from" << m_peer.toString()
                        << (m_betweenRequests ? "(keep-alive timeout)" : "");
    }
    destroy();
}

void NetConnection::abort()
{
    destroy();
}

void NetConnection::destroy()
{
    if (m_phase == Phase::Dead)
        return;
    const bool hadSession = m_handler != nullptr;
    m_phase = Phase::Dead;
    if (std::exchange(m_awaiting, false))
        abandon();
    m_http.reset(); // a body's share of the budget goes back now, not when the object is reaped
    m_idle.disarm();
    if (m_fd >= 0) {
        m_front->poller()->remove(m_fd);
        ::close(m_fd);
        m_fd = -1;
    }
    m_output.clear();
    m_queued = 0;
    if (TransportHandler *handler = std::exchange(m_handler, nullptr); hadSession && handler)
        handler->transportClosed(QStringLiteral("transport close"), false);
    m_dirty = false;
    m_front->forget(this);
    m_front->poller()->retire(this);
}

} // namespace switchboard
