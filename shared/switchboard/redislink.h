// The engine under Connection and Subscriber (internal): one hiredis async context at a time,
// connect timeout, AUTH/SELECT/CLIENT SETNAME/PING, command timeouts, stall detection, reconnect
// with backoff.
#pragma once

#include "switchboard/qtredisadapter.h"
#include "switchboard/redisclient.h"

#include <QElapsedTimer>
#include <QTimer>

#include <deque>

namespace switchboard::redis::detail {

// Code runs in three places, and keeping them apart is what makes the lifetimes simple:
// - inside hiredis (its reply, connect and cleanup callbacks): only bookkeeping and queueing;
//   never a call back into hiredis, never user code;
// - our timers, stop(), the destructor: may free the context (hiredis is not on the stack);
// - the owner's queued drain: runs user callbacks, signals and the handshake steps, one by one,
//   and stops as soon as the owner was deleted by one of them.
class Link
{
public:
    enum class Kind
    {
        Commands,
        Subscriber
    };

    struct Handlers
    {
        std::function<void()> ready;                     // handshake done
        std::function<void(const QString &reason)> lost; // only after ready
        std::function<void(const Reply &push)> push;     // subscribe-mode replies
        std::function<void(bool stalled)> stall;         // only while ready; lost ends a stall
    };

    Link(QObject *owner, const Url &url, const Options &options, Kind kind);
    ~Link();
    Q_DISABLE_COPY_MOVE(Link)

    void setHandlers(Handlers handlers) { m_handlers = std::move(handlers); }
    void start();
    void stop();
    bool isReady() const { return m_state == State::Ready; }
    bool isStalled() const { return m_stalled; }

    void command(const QList<QByteArray> &args, Connection::Callback callback);
    // (P)SUBSCRIBE / (P)UNSUBSCRIBE: each name is confirmed by one push. False if not ready.
    bool subscription(const QByteArray &verb, const QList<QByteArray> &names, bool probe = false);

    qint64 lastRoundTripMs() const { return m_lastRoundTripMs; }
    QString lastError() const { return m_lastError; }
    const Url &url() const { return m_url; }

private:
    enum class State
    {
        Stopped,
        Waiting,    // for the reconnect timer
        Connecting, // resolving, connecting, handshaking
        Ready
    };

    struct Pending
    {
        Connection::Callback callback;
        qint64 sentAtMs = 0;
        qint64 endOffset = 0; // in the bytes queued on this context: written once that many are
    };

    struct Confirmation
    {
        qint64 sentAtMs = 0;
        bool probe = false; // of the heartbeat channel
    };

    static void onReply(redisAsyncContext *context, void *reply, void *link);
    static void onPush(redisAsyncContext *context, void *reply, void *link);
    static void onConnect(const redisAsyncContext *context, int status);

    void connectNow();
    void open(const QString &address);
    void handshake();
    void becomeReady();
    void attemptFailed(const QString &reason);
    void noteFailure(const QString &reason);
    void contextFreed(redisAsyncContext *context);
    void drop(const QString &reason);
    void scheduleReconnect();
    void onConnectTimeout();
    void checkCommandDeadline();
    void checkLiveness();
    bool probe();
    void heard();
    // When the oldest awaited reply was asked for (a subscriber's probes counted or not); -1: none.
    qint64 oldestDueMs(bool probes) const;
    qint64 queued(size_t before) const;
    bool send(const QList<QByteArray> &args, Connection::Callback &callback);
    void replyArrived(redisAsyncContext *context, const void *reply);
    void pushArrived(const void *reply);
    QString failureReason(const redisAsyncContext *context) const;
    QString notConnectedMessage() const;
    void post(std::function<void()> delivery);
    void drain();
    qint64 now() const { return m_clock.elapsed(); }
    QString prefix() const { return QStringLiteral("Redis %1:").arg(m_role); }

    QObject *const m_owner;
    const Url m_url;
    const Options m_options;
    const Kind m_kind;
    const QString m_role;
    // A Subscriber's probe is a SUBSCRIBE of this channel of its own, which Redis confirms even
    // when already subscribed: hiredis 0.14 cannot route the ["pong", ""] of a PING in subscribe
    // mode (it looks "" up as a pattern, then drops the reply or hands it to the callback of
    // the previous reply) and keeps a callback per such PING until the context is freed.
    const QByteArray m_heartbeatChannel;
    Handlers m_handlers;
    QtRedisAdapter m_adapter;
    redisAsyncContext *m_context = nullptr;
    State m_state = State::Stopped;
    quint64 m_generation = 0; // per connect attempt; stale lookups and handshake replies check it
    int m_attempt = 0;        // failed attempts since the last success, for the backoff
    bool m_announced = false; // ready was reported, so lost will be
    bool m_destroying = false;
    QString m_dropReason; // why we freed the context ourselves
    QString m_lastError;
    qint64 m_lastRoundTripMs = -1;
    qint64 m_lastHeardMs = 0; // latest reply or push of any kind
    qint64 m_bytesQueued = 0; // appended to hiredis's output buffer on this context
    bool m_stalled = false;
    QElapsedTimer m_clock;
    std::deque<Pending> m_pending;            // normal commands, in hiredis's reply order
    std::deque<Confirmation> m_confirmations; // unconfirmed (un)subscriptions
    QTimer m_connectTimer;
    QTimer m_commandTimer;
    QTimer m_livenessTimer;
    QTimer m_reconnectTimer;
    std::deque<std::function<void()>> m_deliveries;
    bool m_drainPosted = false;
};

} // namespace switchboard::redis::detail
