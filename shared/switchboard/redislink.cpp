#include "switchboard/redislink.h"

#include "switchboard/logging.h"

#include <QFile>
#include <QHostAddress>
#include <QHostInfo>
#include <QPointer>
#include <QRandomGenerator>
#include <QVarLengthArray>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace switchboard::redis::detail {

namespace {

Reply toReply(const redisReply *reply)
{
    Reply out;
    if (!reply)
        return out;
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        out.type = Reply::Type::String;
        out.string = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_STATUS:
        out.type = Reply::Type::Status;
        out.string = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_ERROR:
        out.type = Reply::Type::Error;
        out.string = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_INTEGER:
        out.type = Reply::Type::Integer;
        out.integer = reply->integer;
        break;
    case REDIS_REPLY_ARRAY:
        out.type = Reply::Type::Array;
        out.elements.reserve(qsizetype(reply->elements));
        for (size_t i = 0; i < reply->elements; ++i)
            out.elements.append(toReply(reply->element[i]));
        break;
    default: // REDIS_REPLY_NIL
        break;
    }
    return out;
}

// Commands that would break the one-reply-per-command order hiredis and Link rely on, or whose
// effect a reconnect would silently undo.
QString refusal(const QList<QByteArray> &args)
{
    if (args.isEmpty())
        return QStringLiteral("empty Redis command");
    const QByteArray name = args.first().toUpper();
    static const QByteArrayList pubsub = {"SUBSCRIBE",   "PSUBSCRIBE",   "SSUBSCRIBE",
                                          "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
                                          "MONITOR"};
    if (pubsub.contains(name))
        return QStringLiteral("%1 is not allowed on a command connection (use redis::Subscriber)")
            .arg(QString::fromLatin1(name));
    const QByteArray sub = args.size() > 1 ? args.at(1).toUpper() : QByteArray();
    if (name == "CLIENT" && sub == "REPLY")
        return QStringLiteral("CLIENT REPLY is not allowed: every command must get its reply");
    if (name == "HELLO" && sub == "3")
        return QStringLiteral("HELLO 3 is not allowed: hiredis 0.14 speaks RESP2 only");
    if (name == "SELECT" || name == "RESET")
        return QStringLiteral("%1 is not allowed: a reconnect would undo it (put the database in "
                              "the URL)")
            .arg(QString::fromLatin1(name));
    return {};
}

QByteArray heartbeatChannel()
{
    return QByteArrayLiteral("__switchboard:heartbeat:") +
           QByteArray::number(QRandomGenerator::global()->generate64(), 16);
}

bool isConfirmation(const Reply &push)
{
    if (push.type != Reply::Type::Array || push.elements.isEmpty())
        return false;
    const QByteArray &kind = push.elements.first().string;
    return kind == "subscribe" || kind == "unsubscribe" || kind == "psubscribe" ||
           kind == "punsubscribe";
}

} // namespace

Link::Link(QObject *owner, const Url &url, const Options &options, Kind kind)
    : m_owner(owner), m_url(url), m_options(options), m_kind(kind), m_role([&] {
          const QString role =
              kind == Kind::Commands ? QStringLiteral("commands") : QStringLiteral("subscriber");
          return options.clientName.isEmpty()
                     ? role
                     : QStringLiteral("%1 '%2'").arg(role, QString::fromUtf8(options.clientName));
      }()),
      m_heartbeatChannel(kind == Kind::Subscriber ? heartbeatChannel() : QByteArray()),
      m_adapter([this](redisAsyncContext *context) { contextFreed(context); })
{
    m_clock.start();
    for (QTimer *timer : {&m_connectTimer, &m_commandTimer, &m_livenessTimer, &m_reconnectTimer})
        timer->setSingleShot(true);
    QObject::connect(&m_connectTimer, &QTimer::timeout, m_owner, [this] { onConnectTimeout(); });
    QObject::connect(&m_commandTimer, &QTimer::timeout, m_owner,
                     [this] { checkCommandDeadline(); });
    QObject::connect(&m_livenessTimer, &QTimer::timeout, m_owner, [this] { checkLiveness(); });
    QObject::connect(&m_reconnectTimer, &QTimer::timeout, m_owner, [this] { connectNow(); });
}

Link::~Link()
{
    // Pending callbacks are dropped, not called: their owner is going away.
    m_destroying = true;
    Q_ASSERT(!m_adapter.isDispatching());
    if (m_context)
        redisAsyncFree(m_context);
}

void Link::start()
{
    if (m_state != State::Stopped)
        return;
    qCDebug(lcRedis).noquote() << prefix() << "starting:" << m_url.redacted();
    m_attempt = 0;
    connectNow();
}

void Link::stop()
{
    if (m_state == State::Stopped)
        return;
    qCDebug(lcRedis).noquote() << prefix() << "stopping";
    m_state = State::Stopped;
    ++m_generation;
    m_connectTimer.stop();
    m_reconnectTimer.stop();
    m_livenessTimer.stop();
    m_stalled = false;
    drop(QStringLiteral("stopped"));
}

void Link::connectNow()
{
    m_state = State::Connecting;
    const quint64 generation = ++m_generation;
    m_connectTimer.start(std::max(1, m_options.connectTimeoutMs));
    QHostAddress literal;
    if (m_url.isUnix() || literal.setAddress(m_url.host)) {
        open(m_url.isUnix() ? m_url.unixPath : m_url.host);
        return;
    }
    // hiredis would resolve with a blocking getaddrinfo(); Qt resolves on a worker thread.
    // No context object: Qt 6.4 leaks the callback of a lookup whose context died first, so
    // the owner is checked by hand.
    qCDebug(lcRedis).noquote() << prefix() << "resolving" << m_url.host;
    QHostInfo::lookupHost(
        m_url.host, [this, owner = QPointer<QObject>(m_owner), generation](const QHostInfo &info) {
            if (!owner)
                return;
            if (generation != m_generation || m_state != State::Connecting || m_context)
                return;
            const QList<QHostAddress> addresses = info.addresses();
            // IPv4 first, as hiredis itself tries: "localhost" may list ::1 while Redis listens on
            // 127.0.0.1 only.
            const auto v4 = std::find_if(addresses.cbegin(), addresses.cend(), [](const auto &a) {
                return a.protocol() == QAbstractSocket::IPv4Protocol;
            });
            if (addresses.isEmpty())
                attemptFailed(
                    QStringLiteral("cannot resolve %1: %2").arg(m_url.host, info.errorString()));
            else
                open((v4 != addresses.cend() ? *v4 : addresses.first()).toString());
        });
}

void Link::open(const QString &address)
{
    redisAsyncContext *context =
        m_url.isUnix() ? redisAsyncConnectUnix(QFile::encodeName(address).constData())
                       : redisAsyncConnect(address.toLatin1().constData(), m_url.port);
    if (!context) {
        attemptFailed(QStringLiteral("out of memory"));
        return;
    }
    QString error;
    if (context->err)
        error = QString::fromLocal8Bit(context->errstr);
    // Keepalive is what notices a dead peer on a quiet subscriber connection.
    else if (!m_url.isUnix() && redisEnableKeepAlive(&context->c) != REDIS_OK)
        error = QString::fromLocal8Bit(context->c.errstr);
    // With stall detection, a probe unanswered by a peer whose kernel does not even acknowledge
    // it (dead host, lost route) ends the connection; a Redis that merely stopped (its kernel
    // still acknowledges) keeps it, subscriptions included.
    else if (!m_url.isUnix() && m_options.stallTimeoutMs > 0) {
        const unsigned int userTimeout = unsigned(std::max(1, m_options.commandTimeoutMs));
        if (setsockopt(context->c.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &userTimeout,
                       sizeof userTimeout) != 0)
            error = QStringLiteral("cannot set TCP_USER_TIMEOUT: %1")
                        .arg(QString::fromLocal8Bit(strerror(errno)));
    }
    if (!error.isEmpty()) {
        redisAsyncFree(context); // never attached: no callbacks, no hooks
        attemptFailed(error);
        return;
    }
    context->data = this;
    m_context = context;
    m_bytesQueued = 0;
    m_adapter.attach(context);
    redisAsyncSetConnectCallback(context, &Link::onConnect);
    qCDebug(lcRedis).noquote() << prefix() << "connecting to" << address;
    handshake();
}

void Link::handshake()
{
    // Pipelined before the socket is even connected: hiredis buffers them. The PING comes last
    // so that a server that accepts and never answers cannot look like a connection.
    struct Step
    {
        QString name;
        QList<QByteArray> args;
    };
    QList<Step> steps;
    if (!m_url.user.isEmpty())
        steps.append(
            {QStringLiteral("AUTH"), {"AUTH", m_url.user.toUtf8(), m_url.password.toUtf8()}});
    else if (!m_url.password.isEmpty())
        steps.append({QStringLiteral("AUTH"), {"AUTH", m_url.password.toUtf8()}});
    if (m_url.db != 0)
        steps.append(
            {QStringLiteral("SELECT %1").arg(m_url.db), {"SELECT", QByteArray::number(m_url.db)}});
    if (!m_options.clientName.isEmpty())
        steps.append(
            {QStringLiteral("CLIENT SETNAME"), {"CLIENT", "SETNAME", m_options.clientName}});
    steps.append({QStringLiteral("PING"), {"PING"}});

    const quint64 generation = m_generation;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const bool last = i == steps.size() - 1;
        Connection::Callback callback = [this, generation, last,
                                         name = steps.at(i).name](const Reply &reply) {
            if (generation != m_generation || m_state != State::Connecting || !m_context)
                return;
            if (reply.isError())
                drop(QStringLiteral("Redis refused %1: %2")
                         .arg(name, QString::fromUtf8(reply.string)));
            else if (last)
                becomeReady();
        };
        if (!send(steps.at(i).args, callback)) {
            drop(QStringLiteral("cannot queue %1").arg(steps.at(i).name));
            return;
        }
    }
}

void Link::becomeReady()
{
    m_state = State::Ready;
    m_connectTimer.stop();
    m_attempt = 0;
    m_lastError.clear();
    m_announced = true;
    m_stalled = false;
    m_lastHeardMs = now();
    if (m_options.stallTimeoutMs > 0)
        m_livenessTimer.start(std::max(1, m_options.stallTimeoutMs / 4));
    qCInfo(lcRedis).noquote()
        << QStringLiteral("connected to Redis at %1 (%2)").arg(m_url.redacted(), m_role);
    if (m_handlers.ready)
        m_handlers.ready(); // may delete the owner, and this with it
}

void Link::attemptFailed(const QString &reason)
{
    m_connectTimer.stop();
    m_state = State::Waiting;
    noteFailure(reason);
    scheduleReconnect();
}

void Link::noteFailure(const QString &reason)
{
    // A Redis that stays down would otherwise log once per backoff period.
    if (reason != m_lastError)
        qCInfo(lcRedis).noquote() << QStringLiteral(
                                         "cannot connect to Redis at %1 (%2), retrying: %3")
                                         .arg(m_url.redacted(), m_role, reason);
    else
        qCDebug(lcRedis).noquote() << prefix() << "still cannot connect:" << reason;
    m_lastError = reason;
}

void Link::contextFreed(redisAsyncContext *context)
{
    // Inside hiredis, which frees the context right after: bookkeeping only.
    const QString reason = failureReason(context);
    m_confirmations.clear();
    m_commandTimer.stop();
    m_livenessTimer.stop();
    m_stalled = false; // lost, which is reported below, ends the stall
    if (m_destroying) {
        m_context = nullptr;
        return;
    }
    // hiredis ran every pending callback before this; anything left never had a reply. The
    // context is still readable here (what was written is told by its output buffer).
    m_dropReason = reason;
    while (!m_pending.empty())
        replyArrived(context, nullptr);
    m_context = nullptr;
    m_dropReason.clear();
    const State previous = m_state;
    if (m_announced) {
        m_announced = false;
        m_lastError = reason;
        qCInfo(lcRedis).noquote() << QStringLiteral("disconnected from Redis at %1 (%2): %3")
                                         .arg(m_url.redacted(), m_role, reason);
        post([this, reason] {
            if (m_handlers.lost)
                m_handlers.lost(reason);
        });
    }
    if (previous == State::Stopped)
        return;
    if (previous == State::Connecting)
        noteFailure(reason);
    m_connectTimer.stop();
    m_state = State::Waiting;
    scheduleReconnect();
}

void Link::drop(const QString &reason)
{
    if (!m_context)
        return;
    Q_ASSERT(!m_adapter.isDispatching()); // freeing from inside hiredis is a use-after-free
    qCDebug(lcRedis).noquote() << prefix() << "dropping the connection:" << reason;
    m_dropReason = reason;
    // Runs the pending callbacks with no reply and the cleanup hook, so contextFreed() has run
    // when this returns.
    redisAsyncFree(m_context);
}

void Link::scheduleReconnect()
{
    const qint64 initial = std::max(1, m_options.backoffInitialMs);
    const qint64 max = std::max<qint64>(initial, m_options.backoffMaxMs);
    const qint64 cap = std::min(max, initial << std::min(m_attempt, 30));
    // "Equal jitter": between half the cap and the cap, so retries of many nodes spread out.
    const int delay = int(cap / 2) + QRandomGenerator::global()->bounded(int(cap - cap / 2) + 1);
    ++m_attempt;
    qCDebug(lcRedis).noquote() << prefix() << "reconnecting in" << delay << "ms";
    m_reconnectTimer.start(delay);
}

void Link::onConnectTimeout()
{
    if (m_state != State::Connecting)
        return;
    const QString reason =
        QStringLiteral("no answer within %1 ms (connect timeout)").arg(m_options.connectTimeoutMs);
    if (m_context) {
        drop(reason);
        return;
    }
    ++m_generation; // forget the host lookup
    attemptFailed(reason);
}

qint64 Link::oldestDueMs(bool probes) const
{
    qint64 oldest = -1;
    if (!m_pending.empty())
        oldest = m_pending.front().sentAtMs;
    for (const Confirmation &confirmation : m_confirmations) {
        if (confirmation.probe && !probes)
            continue; // at most one probe is due at a time: this ends at the next entry
        oldest = oldest < 0 ? confirmation.sentAtMs : std::min(oldest, confirmation.sentAtMs);
        break;
    }
    return oldest;
}

void Link::checkCommandDeadline()
{
    if (!m_context)
        return;
    // A subscriber's own probe is left to TCP_USER_TIMEOUT: dropping a connection to a Redis
    // that only paused would turn what it delivers late into a gap.
    const qint64 oldest = oldestDueMs(false);
    if (oldest < 0)
        return;
    const qint64 timeout = std::max(1, m_options.commandTimeoutMs);
    const qint64 age = now() - oldest;
    if (age >= timeout) {
        drop(QStringLiteral("no reply within %1 ms (command timeout)").arg(timeout));
        return;
    }
    m_commandTimer.start(int(timeout - age));
}

void Link::checkLiveness()
{
    const qint64 timeout = m_options.stallTimeoutMs;
    if (timeout <= 0 || m_state != State::Ready || !m_context || m_stalled)
        return;
    const qint64 quiet = std::max<qint64>(1, timeout / 4);
    qint64 due = oldestDueMs(true);
    if (due < 0) {
        // Pushes alone prove nothing once they stop: an idle or receive-only connection asks.
        const qint64 silent = now() - m_lastHeardMs;
        if (silent < quiet) {
            m_livenessTimer.start(int(quiet - silent));
            return;
        }
        if (!probe())
            return; // hiredis is closing the context; contextFreed() follows
        due = now();
    }
    // Silent for the whole timeout while a reply is due; the oldest request must also have had
    // half of it, so that a late timer of ours (a busy loop) does not look like a silent Redis.
    const qint64 wait = std::max(m_lastHeardMs + timeout, due + timeout / 2) - now();
    if (wait > 0) {
        m_livenessTimer.start(int(wait));
        return;
    }
    m_stalled = true;
    qCDebug(lcRedis).noquote() << prefix() << "nothing from Redis for" << now() - m_lastHeardMs
                               << "ms while a reply is due: stalled";
    post([this] {
        if (m_handlers.stall)
            m_handlers.stall(true);
    });
}

bool Link::probe()
{
    if (m_kind == Kind::Subscriber)
        return subscription(QByteArrayLiteral("SUBSCRIBE"), {m_heartbeatChannel}, true);
    Connection::Callback none;
    return send({QByteArrayLiteral("PING")}, none);
}

void Link::heard()
{
    // Inside hiredis: bookkeeping, a timer and a queued handler only.
    const qint64 at = now();
    const qint64 silence = at - m_lastHeardMs;
    m_lastHeardMs = at;
    if (!m_stalled)
        return;
    m_stalled = false;
    qCDebug(lcRedis).noquote() << prefix() << "Redis answers again after" << silence
                               << "ms of silence";
    m_livenessTimer.start(std::max(1, m_options.stallTimeoutMs / 4));
    post([this] {
        if (m_handlers.stall)
            m_handlers.stall(false);
    });
}

qint64 Link::queued(size_t before) const
{
    return qint64(sdslen(m_context->c.obuf)) - qint64(before);
}

bool Link::send(const QList<QByteArray> &args, Connection::Callback &callback)
{
    QVarLengthArray<const char *, 8> argv;
    QVarLengthArray<size_t, 8> lengths;
    for (const QByteArray &arg : args) {
        argv.append(arg.constData());
        lengths.append(size_t(arg.size()));
    }
    m_pending.push_back({std::move(callback), now(), 0});
    const size_t before = sdslen(m_context->c.obuf);
    if (redisAsyncCommandArgv(m_context, &Link::onReply, this, int(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
        callback = std::move(m_pending.back().callback);
        m_pending.pop_back();
        return false;
    }
    m_bytesQueued += queued(before);
    m_pending.back().endOffset = m_bytesQueued;
    if (!m_commandTimer.isActive())
        m_commandTimer.start(std::max(1, m_options.commandTimeoutMs));
    return true;
}

void Link::command(const QList<QByteArray> &args, Connection::Callback callback)
{
    QString error = m_state == State::Ready && m_context ? refusal(args) : notConnectedMessage();
    if (error.isEmpty()) {
        if (send(args, callback))
            return;
        error = QStringLiteral("cannot queue the command for Redis at %1").arg(m_url.redacted());
    }
    if (callback)
        post([callback = std::move(callback), error] { callback(Reply::error(error)); });
}

bool Link::subscription(const QByteArray &verb, const QList<QByteArray> &names, bool probe)
{
    if (m_state != State::Ready || !m_context || names.isEmpty())
        return false;
    QVarLengthArray<const char *, 8> argv;
    QVarLengthArray<size_t, 8> lengths;
    argv.append(verb.constData());
    lengths.append(size_t(verb.size()));
    for (const QByteArray &name : names) {
        argv.append(name.constData());
        lengths.append(size_t(name.size()));
    }
    // hiredis keeps this callback per channel or pattern and calls it for the confirmation,
    // every message, the unsubscribe confirmation and, with no reply, when it frees the context.
    const size_t before = sdslen(m_context->c.obuf);
    if (redisAsyncCommandArgv(m_context, &Link::onPush, this, int(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK)
        return false;
    m_bytesQueued += queued(before);
    m_confirmations.insert(m_confirmations.end(), size_t(names.size()), {now(), probe});
    if (!m_commandTimer.isActive())
        m_commandTimer.start(std::max(1, m_options.commandTimeoutMs));
    return true;
}

void Link::onReply(redisAsyncContext *context, void *reply, void *link)
{
    static_cast<Link *>(link)->replyArrived(context, reply);
}

void Link::onPush(redisAsyncContext *, void *reply, void *link)
{
    static_cast<Link *>(link)->pushArrived(reply);
}

void Link::onConnect(const redisAsyncContext *context, int status)
{
    const auto *link = static_cast<const Link *>(context->data);
    if (status == REDIS_OK)
        qCDebug(lcRedis).noquote() << link->prefix() << "socket connected, logging in";
    else // hiredis frees the context next; the cleanup hook reports it
        qCDebug(lcRedis).noquote()
            << link->prefix() << "connect failed:" << QString::fromLocal8Bit(context->c.errstr);
}

void Link::replyArrived(redisAsyncContext *context, const void *reply)
{
    // hiredis 0.14 may hand a stale callback a reply it could not route; never underflow.
    if (m_pending.empty())
        return;
    Pending pending = std::move(m_pending.front());
    m_pending.pop_front();
    if (m_destroying)
        return;
    if (reply) {
        m_lastRoundTripMs = now() - pending.sentAtMs;
        heard();
    }
    if (!pending.callback)
        return;
    Reply result = reply ? toReply(static_cast<const redisReply *>(reply))
                         : Reply::error(QStringLiteral("connection to Redis at %1 lost: %2")
                                            .arg(m_url.redacted(),
                                                 context ? failureReason(context) : m_dropReason));
    // What hiredis still holds in its output buffer never left; everything before it did.
    if (!reply && context)
        result.outcomeUnknown =
            pending.endOffset <= m_bytesQueued - qint64(sdslen(context->c.obuf));
    post(
        [callback = std::move(pending.callback), result = std::move(result)] { callback(result); });
}

void Link::pushArrived(const void *reply)
{
    if (!reply || m_destroying) // no reply: the context is being freed
        return;
    heard();
    Reply push = toReply(static_cast<const redisReply *>(reply));
    if (isConfirmation(push) && !m_confirmations.empty())
        m_confirmations.pop_front();
    // The probe's confirmations (and anything published to its channel) stay in here.
    if (m_kind == Kind::Subscriber && push.elements.size() >= 2 &&
        push.elements.at(1).string == m_heartbeatChannel)
        return;
    post([this, push = std::move(push)] {
        if (m_handlers.push)
            m_handlers.push(push);
    });
}

QString Link::failureReason(const redisAsyncContext *context) const
{
    if (!m_dropReason.isEmpty())
        return m_dropReason;
    if (context->err)
        return QString::fromLocal8Bit(context->errstr);
    if (context->c.err)
        return QString::fromLocal8Bit(context->c.errstr);
    return QStringLiteral("connection closed");
}

QString Link::notConnectedMessage() const
{
    QString why = m_lastError;
    if (m_state == State::Stopped)
        why = m_generation == 0 ? QStringLiteral("not started") : QStringLiteral("stopped");
    else if (why.isEmpty())
        why = QStringLiteral("connecting");
    return QStringLiteral("not connected to Redis at %1 (%2)").arg(m_url.redacted(), why);
}

void Link::post(std::function<void()> delivery)
{
    m_deliveries.push_back(std::move(delivery));
    if (m_drainPosted)
        return;
    m_drainPosted = true;
    // Queued to the owner: if the owner is deleted first, Qt discards the call.
    QMetaObject::invokeMethod(
        m_owner, [this] { drain(); }, Qt::QueuedConnection);
}

void Link::drain()
{
    m_drainPosted = false;
    const QPointer<QObject> owner(m_owner);
    std::deque<std::function<void()>> batch;
    batch.swap(m_deliveries);
    for (const std::function<void()> &delivery : batch) {
        delivery();
        if (!owner)
            return; // deleted by that delivery; so is this
    }
}

} // namespace switchboard::redis::detail
