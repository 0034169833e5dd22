// One client connection of the epoll layer, a plain C++ object: HTTP requests first (one of
// them may stay parked, a long-polling GET, as an HttpExchange), then, upgraded in place, a
// WebSocket that is the session's Transport. It keeps bytes only for an
// incomplete request or frame and for output the kernel did not take yet; reads go through
// one buffer shared by the thread.
#pragma once

#include "switchboard/bounds.h"
#include "switchboard/deadlines.h"
#include "switchboard/poller.h"
#include "switchboard/pollingexchange.h"
#include "switchboard/transport.h"
#include "switchboard/websocket.h"

#include <QHostAddress>
#include <QList>

#include <memory>

#include <sys/epoll.h>

namespace switchboard {

class EpollFront;
class HttpRequestParser;
struct HttpRequest;
struct HttpResponse;

class NetConnection : public PollHandler, public Transport, public HttpExchange
{
public:
    NetConnection(EpollFront *front, int fd, const QHostAddress &peer);
    ~NetConnection() override;

    void pollEvent(quint32 events) override;

    void sendText(const QByteArray &utf8) override;
    void send(const WireFrames &frames) override;
    qint64 bufferedBytes() const override { return m_queued; }
    bool congested() override { return m_congested; }
    void dispose(quint16 code, const QString &reason) override;
    void prefetchForSend(int depth) const override;

    // Closes at once (server shutdown of idle HTTP connections, the front going away).
    void abort();
    // The front's end-of-pass write of what send() queued; `now` is DeadlineQueue::now().
    void flushQueued(qint64 now);
    // The front's next-pass call for the rest of what consume() left (a turn's budget spent).
    void serveBacklog();

private:
    enum class Phase : quint8
    {
        Http,
        WebSocket,
        Closing, // our close is queued: flush it, then end
        Dead
    };

    void deliver(const HttpResponse &response) override;
    void onReadable();
    // Feeds what was read (or kept) to the HTTP parser or the WebSocket parser.
    void consume(QByteArrayView data);
    void resumeReading();
    void onPing(const QByteArray &payload);
    // What of `data` was used; the rest is kept for the next read.
    qsizetype processHttp(QByteArrayView data);
    qsizetype processWebSocket(QByteArrayView data);
    void upgrade(const HttpRequest &request);
    void answer(const HttpResponse &response, bool keepAlive, bool head = false);
    void queue(const QByteArray &bytes);
    void flush();
    void deferFlush();
    void updateInterest();
    // The peer is gone or misbehaved: tell the session, stop.
    // `code` 0: the peer is gone (EOF, reset) and gets no close frame.
    void lost(const QString &reason, bool error, quint16 code);
    void closeAfterFlush();
    void destroy();
    void onIdle();

    EpollFront *m_front;
    int m_fd;
    QHostAddress m_peer;
    Phase m_phase = Phase::Http;
    bool m_closeAfterFlush = false;
    bool m_peerGone = false;
    bool m_peerDone = false;        // half-closed by the peer: nothing more to read
    bool m_readPaused = false;      // an HTTP answer is unsent: pipelined requests wait
    bool m_backlogged = false;      // m_input holds more than one turn's worth: the next pass
    bool m_bodyDeadline = false;    // m_idle runs for a request body
    bool m_dirty = false;           // on the front's list of connections to flush
    bool m_congested = false;       // the last flush() left output the kernel refused
    bool m_awaiting = false;        // a request is being answered (or parked) through deliver()
    bool m_answerKeepAlive = false; // how that answer goes out
    bool m_answerHead = false;
    bool m_keepAliveOnceOut = false;           // a keep-alive answer is going out
    bool m_betweenRequests = false;            // m_idle runs the keep-alive timeout
    std::unique_ptr<HttpRequestParser> m_http; // freed once upgraded
    websocket::Parser m_ws;
    QByteArray m_input; // unconsumed bytes: an incomplete request or frame
    QList<QByteArray> m_output;
    qsizetype m_outputOffset = 0; // of m_output.first() already written
    qint64 m_queued = 0;
    static constexpr qint64 NeverWritten = -(1LL << 40);
    qint64 m_lastWrite = NeverWritten;         // DeadlineQueue::now() of the last corked flush
    quint32 m_interest = EPOLLIN | EPOLLRDHUP; // registered with the poller
    qint64 m_owedControlBytes = 0;             // pings received while output was blocked
    qint64 m_closingDrained = 0;               // bytes dropped while closing
    QByteArray m_owedPong;                     // the latest one's payload
    quint16 m_closeCode = 0; // the peer's close code to echo, or a protocol error's
    Deadline m_idle;         // HTTP: no whole request in time; Closing: the peer's close in time
};

} // namespace switchboard
