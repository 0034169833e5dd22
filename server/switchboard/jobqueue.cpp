#include "switchboard/jobqueue.h"

#include "switchboard/emitjob.h"
#include "switchboard/json.h"
#include "switchboard/logging.h"

#include <QDateTime>

namespace switchboard {

namespace {

// Every script checks the lease token first: a node that lost the lease (it stalled, Redis
// restarted, another node took over) can neither deliver nor take, so at any time only the
// holder's processing list is not empty and publishes happen in the list's order.

// Takes the lease when nobody holds it, and moves every processing list back to the head of
// the queue (the previous holder's, at most one of them holds jobs; in their order).
// KEYS: queue, lease, consumers, processing. ARGV: token, lease ms.
// Returns the number of jobs moved back, nil when another node holds the lease.
constexpr char AcquireScript[] = R"lua(
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] then return 0 end
if holder then return false end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local reclaimed = 0
for _, list in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  while redis.call('LMOVE', list, KEYS[1], 'RIGHT', 'LEFT') do reclaimed = reclaimed + 1 end
end
redis.call('DEL', KEYS[3])
redis.call('SADD', KEYS[3], KEYS[4])
return reclaimed
)lua";

// Delivers the first m jobs of the processing list (PUBLISH, or RPUSH of a dead-letter record)
// and removes them in the same atomic step, renews the lease, then moves up to `batch` jobs
// from the head of the queue to the processing list when it is empty.
// KEYS: queue, lease, processing, dead. ARGV: token, lease ms, batch, m, m (channel, payload)
// pairs, channel '' for a dead letter. Returns {LLEN queue, the processing list}.
constexpr char StepScript[] = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return redis.error_reply('LEASE this node does not hold the queue lease')
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local m = tonumber(ARGV[4])
if m > redis.call('LLEN', KEYS[3]) then
  return redis.error_reply('MISMATCH the processing list is shorter than the batch')
end
for i = 1, m do
  local channel = ARGV[3 + 2 * i]
  if channel == '' then
    redis.call('RPUSH', KEYS[4], ARGV[4 + 2 * i])
  else
    redis.call('PUBLISH', channel, ARGV[4 + 2 * i])
  end
end
if m > 0 then redis.call('LTRIM', KEYS[3], m, -1) end
if redis.call('LLEN', KEYS[3]) == 0 then
  local jobs = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
  if #jobs > 0 then
    redis.call('LTRIM', KEYS[1], #jobs, -1)
    redis.call('RPUSH', KEYS[3], unpack(jobs))
  end
end
return {redis.call('LLEN', KEYS[1]), redis.call('LRANGE', KEYS[3], 0, -1)}
)lua";

// Gives the held jobs back to the head of the queue and the lease up, if still held.
// KEYS: queue, lease, processing. ARGV: token. Returns the number of jobs given back.
constexpr char ReleaseScript[] = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local n = 0
while redis.call('LMOVE', KEYS[3], KEYS[1], 'RIGHT', 'LEFT') do n = n + 1 end
redis.call('DEL', KEYS[2])
return n
)lua";

constexpr int RetryMs = 250;
constexpr int WarningIntervalMs = 5000;
constexpr int DeadLettersLoggedPerSecond = 5;

// CLIENT LIST tells the queue's connections from the adapter's.
redis::Options named(redis::Options options, const char *suffix)
{
    if (!options.clientName.isEmpty())
        options.clientName += suffix;
    return options;
}

redis::Options blockingOptions(redis::Options options, int blockMs)
{
    // A BLMOVE owes its reply for up to blockMs: neither a stall nor a timeout.
    options.stallTimeoutMs = 0;
    options.commandTimeoutMs += blockMs;
    return named(options, "-queue-wait");
}

QByteArray number(qint64 value)
{
    return QByteArray::number(value);
}

} // namespace

JobQueue::JobQueue(JobQueueOptions options, Decoder decoder, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_key(m_options.key.toUtf8()),
      m_decoder(std::move(decoder)),
      m_commands(new redis::Connection(m_options.url, named(m_options.redis, "-queue"), this)),
      m_blocking(new redis::Connection(
          m_options.url, blockingOptions(m_options.redis, m_options.leaseMs / 4), this))
{
    // Someone else's lease expires within leaseMs (or is released at once by a node that
    // stops): look a few times per lease, and at least every second.
    m_acquireTimer.setInterval(qBound(50, m_options.leaseMs / 5, 1000));
    connect(&m_acquireTimer, &QTimer::timeout, this, &JobQueue::tryAcquire);
    m_depthTimer.setInterval(m_options.depthIntervalMs);
    connect(&m_depthTimer, &QTimer::timeout, this, [this] {
        flushDeadLetterLog();
        m_commands->command({"LLEN", m_key}, [this](const redis::Reply &reply) {
            if (reply.type == redis::Reply::Type::Integer)
                m_stats.depth = reply.integer;
        });
    });
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(RetryMs);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] {
        if (m_token.isEmpty())
            tryAcquire();
        else
            step();
    });
    connect(m_commands, &redis::Connection::disconnected, this,
            [this] { m_reconnectedAt.invalidate(); });
    connect(m_commands, &redis::Connection::connected, this, [this] {
        if (m_connectedOnce)
            m_reconnectedAt.start();
        m_connectedOnce = true;
        if (m_token.isEmpty())
            tryAcquire();
        else
            step();
    });
    m_lastWarning.invalidate();
}

JobQueue::~JobQueue() = default;

QByteArray JobQueue::processingKey() const
{
    return m_key + ":processing:" + m_options.uid.toUtf8();
}

QByteArray JobQueue::leaseKey() const
{
    return m_key + ":lease";
}

QByteArray JobQueue::deadKey() const
{
    return m_key + ":dead";
}

QByteArray JobQueue::consumersKey() const
{
    return m_key + ":consumers";
}

void JobQueue::start()
{
    if (m_started)
        return;
    m_started = true;
    qCInfo(lcQueue).noquote() << "consuming the Redis list" << quoted(m_options.key)
                              << "together with the other nodes (processing list"
                              << QString::fromUtf8(processingKey()) << ")";
    m_commands->start();
    m_blocking->start();
    m_acquireTimer.start();
    m_depthTimer.start();
}

void JobQueue::stop()
{
    if (!m_started || m_stopped)
        return;
    m_stopped = true;
    m_acquireTimer.stop();
    m_depthTimer.stop();
    m_retryTimer.stop();
    m_blocking->stop();
    flushDeadLetterLog();
    if (m_token.isEmpty())
        return;
    // Sent after any step in flight, on the same connection: whatever that step took goes back.
    m_commands->command({"EVAL", ReleaseScript, "3", m_key, leaseKey(), processingKey(), m_token},
                        [](const redis::Reply &reply) {
                            if (reply.isError())
                                qCWarning(lcQueue).noquote()
                                    << "could not release the queue lease (another node takes "
                                       "over when it expires):"
                                    << QString::fromUtf8(reply.string);
                            else
                                qCInfo(lcQueue) << "released the queue lease," << reply.integer
                                                << "jobs given back";
                        });
    m_token.clear();
    m_decoded.clear();
    m_stats.consuming = false;
    Q_EMIT consumingChanged(false);
}

QVariantMap JobQueue::status() const
{
    return {
        {QStringLiteral("key"), m_options.key},
        {QStringLiteral("consuming"), m_stats.consuming},
        {QStringLiteral("connected"), m_commands->isConnected()},
        {QStringLiteral("depth"), m_stats.depth},
        {QStringLiteral("consumed"), m_stats.consumed},
        {QStringLiteral("deadLettered"), m_stats.deadLettered},
        {QStringLiteral("reclaimed"), m_stats.reclaimed},
        {QStringLiteral("unconfirmed"), m_stats.unconfirmed},
        {QStringLiteral("lastError"), m_lastError},
    };
}

void JobQueue::warn(const QString &message)
{
    m_lastError = message;
    if (m_lastWarning.isValid() && m_lastWarning.elapsed() < WarningIntervalMs)
        return;
    m_lastWarning.start();
    qCWarning(lcQueue).noquote() << message;
}

bool JobQueue::mayConsume() const
{
    if (!m_commands->isConnected() || (m_gate && !m_gate()))
        return false;
    return !m_reconnectedAt.isValid() || m_reconnectedAt.elapsed() >= m_options.reconnectGraceMs;
}

void JobQueue::retryLater()
{
    if (!m_stopped && !m_retryTimer.isActive())
        m_retryTimer.start();
}

void JobQueue::tryAcquire()
{
    if (m_stopped || m_busy || !m_token.isEmpty() || !mayConsume())
        return;
    // The same token again after an attempt whose outcome is unknown: if it did take the
    // lease, the script recognises it.
    if (m_pendingToken.isEmpty())
        m_pendingToken = m_options.uid.toUtf8() + ':' +
                         number(QDateTime::currentMSecsSinceEpoch()) + ':' + number(++m_tokens);
    m_busy = true;
    m_commands->command(
        {"EVAL", AcquireScript, "4", m_key, leaseKey(), consumersKey(), processingKey(),
         m_pendingToken, number(m_options.leaseMs)},
        [this](const redis::Reply &reply) {
            m_busy = false;
            if (m_stopped)
                return;
            if (reply.isError()) {
                if (!reply.outcomeUnknown)
                    m_pendingToken.clear();
                warn(QStringLiteral("queue %1: cannot take the lease: %2")
                         .arg(quoted(m_options.key), QString::fromUtf8(reply.string)));
                return;
            }
            if (reply.type != redis::Reply::Type::Integer)
                return; // another node consumes
            m_token = std::exchange(m_pendingToken, {});
            m_stats.reclaimed += reply.integer;
            m_stats.consuming = true;
            qCInfo(lcQueue).noquote().nospace()
                << "this node now consumes " << quoted(m_options.key)
                << (reply.integer ? QStringLiteral(" (%1 jobs a previous consumer held were put "
                                                   "back at the head of the list)")
                                        .arg(reply.integer)
                                  : QString());
            Q_EMIT consumingChanged(true);
            step();
        });
}

void JobQueue::loseLease(const QString &why)
{
    qCInfo(lcQueue).noquote() << "this node no longer consumes" << quoted(m_options.key) << "("
                              << why << ")";
    m_token.clear();
    m_decoded.clear();
    m_decodedDead = 0;
    m_stats.consuming = false;
    Q_EMIT consumingChanged(false);
}

void JobQueue::step()
{
    if (m_stopped || m_busy || m_waiting || m_token.isEmpty())
        return;
    if (!mayConsume()) {
        retryLater(); // the lease lapses if this lasts; the decoded batch is kept meanwhile
        return;
    }
    QList<QByteArray> args{"EVAL",
                           StepScript,
                           "4",
                           m_key,
                           leaseKey(),
                           processingKey(),
                           deadKey(),
                           m_token,
                           number(m_options.leaseMs),
                           number(m_options.batchSize),
                           number(m_decoded.size() / 2)};
    args += m_decoded;
    const qint64 committed = m_decoded.size() / 2;
    const qint64 dead = m_decodedDead;
    m_busy = true;
    m_commands->command(args, [this, committed, dead](const redis::Reply &reply) {
        m_busy = false;
        if (m_stopped)
            return;
        if (reply.isError()) {
            if (reply.string.startsWith("LEASE")) {
                loseLease(QStringLiteral("its lease expired: another node may have taken over"));
                return;
            }
            // The processing list is the truth: the next step starts from what it holds
            // (this batch again if the script did not run, the next one if it did).
            m_decoded.clear();
            m_decodedDead = 0;
            if (reply.outcomeUnknown && committed > dead) {
                // If it ran as Redis went down, its messages may never have left Redis.
                m_stats.unconfirmed += committed - dead;
                qCWarning(lcQueue).noquote()
                    << "queue" << quoted(m_options.key) << ": the connection went while the"
                    << "delivery of" << (committed - dead)
                    << "jobs awaited its reply: delivered again if the script did not run; if "
                       "it ran just before Redis stopped, the subscribers may have missed them";
            }
            warn(QStringLiteral("queue %1: %2")
                     .arg(quoted(m_options.key), QString::fromUtf8(reply.string)));
            retryLater();
            return;
        }
        m_stats.consumed += committed - dead;
        m_stats.deadLettered += dead;
        if (reply.type != redis::Reply::Type::Array || reply.elements.size() != 2) {
            m_decoded.clear();
            m_decodedDead = 0;
            warn(QStringLiteral("queue %1: unexpected reply to the step script")
                     .arg(quoted(m_options.key)));
            retryLater();
            return;
        }
        m_stats.depth = reply.elements.at(0).integer;
        take(reply.elements.at(1).elements);
        if (m_decoded.isEmpty())
            awaitJobs();
        else
            step();
    });
}

void JobQueue::take(const QList<redis::Reply> &jobs)
{
    m_decoded.clear();
    m_decodedDead = 0;
    m_decoded.reserve(jobs.size() * 2);
    for (const redis::Reply &job : jobs) {
        const QByteArray &bytes = job.string;
        Decoded<cluster::BroadcastMessage> message =
            bytes.size() > m_options.maxJobBytes
                ? Decoded<cluster::BroadcastMessage>::failure(
                      QStringLiteral("job of %1 bytes, over the limit of %2 (--max-payload)")
                          .arg(bytes.size())
                          .arg(m_options.maxJobBytes))
                : m_decoder(bytes);
        if (message) {
            m_decoded << broadcastChannel(m_options.channels, *message)
                      << cluster::encodeBroadcast(*message);
            continue;
        }
        ++m_decodedDead;
        const QVariantMap record{
            {QStringLiteral("job"), QString::fromUtf8(bytes)},
            {QStringLiteral("error"), message.error()},
            {QStringLiteral("node"), m_options.name},
            {QStringLiteral("uid"), m_options.uid},
            {QStringLiteral("time"), QDateTime::currentMSecsSinceEpoch()},
        };
        m_decoded << QByteArray() << json::serialize(record);
        logDeadLetter(bytes, message.error());
    }
}

void JobQueue::logDeadLetter(QByteArrayView job, const QString &error)
{
    // A producer gone wrong may push thousands: a few lines a second, then a count.
    if (!m_deadLogWindow.isValid() || m_deadLogWindow.elapsed() >= 1000) {
        flushDeadLetterLog();
        m_deadLogWindow.start();
        m_deadLogged = 0;
    }
    if (m_deadLogged++ >= DeadLettersLoggedPerSecond) {
        ++m_deadUnlogged;
        return;
    }
    qCWarning(lcQueue).noquote() << "job" << quoted(job, 120) << "moved to"
                                 << QString::fromUtf8(deadKey()) + u':' << error;
}

void JobQueue::flushDeadLetterLog()
{
    if (m_deadUnlogged == 0)
        return;
    qCWarning(lcQueue).noquote() << m_deadUnlogged << "more jobs moved to"
                                 << QString::fromUtf8(deadKey())
                                 << "(not logged one by one; each record holds its reason)";
    m_deadUnlogged = 0;
}

void JobQueue::awaitJobs()
{
    if (!m_blocking->isConnected()) {
        retryLater(); // polls until the blocking connection is back
        return;
    }
    // A blocking peek: moving the head of the list to its own head changes nothing, and
    // returns as soon as the list has a job. Taking stays with the fenced step script. The
    // timeout keeps renewing the lease while the list is empty.
    m_waiting = true;
    const QByteArray seconds = QByteArray::number(m_options.leaseMs / 4 / 1000.0, 'f', 3);
    m_blocking->command(
        {"BLMOVE", m_key, m_key, "LEFT", "LEFT", seconds}, [this](const redis::Reply &reply) {
            m_waiting = false;
            if (m_stopped)
                return;
            if (reply.isError()) {
                warn(QStringLiteral("queue %1: waiting for jobs: %2")
                         .arg(quoted(m_options.key), QString::fromUtf8(reply.string)));
                retryLater();
                return;
            }
            step();
        });
}

} // namespace switchboard
