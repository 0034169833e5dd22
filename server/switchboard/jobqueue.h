// Consumes the producers' Redis list (--queue): each job delivered once cluster-wide, in push
// order, through the adapter's own broadcast channels; malformed jobs moved to `<key>:dead`.
// One node consumes at a time (a fenced lease); the others take over when it goes.
// Design and failure cases: docs/queue.md.
#pragma once

#include "switchboard/clusterwire.h"
#include "switchboard/decoded.h"
#include "switchboard/redisclient.h"
#include "switchboard/redisurl.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QVariantMap>

#include <functional>

namespace switchboard {

struct JobQueueOptions
{
    redis::Url url;
    redis::Options redis; // as the node's cluster connections
    QString key;          // the list producers RPUSH onto
    cluster::Channels channels;
    QString uid;  // the node's cluster uid: names its processing list and its lease tokens
    QString name; // the node's name, in dead-letter records
    int leaseMs = 5000;
    int batchSize = 256;          // jobs taken (and delivered) by one script call
    qint64 maxJobBytes = 1000000; // larger: dead-lettered without being parsed
    int depthIntervalMs = 1000;   // LLEN sampling
    // After the queue's connection came back (Redis restarted, the network failed), the node
    // waits this long before it consumes again, so that the other nodes' subscriptions, which
    // reconnect on their own backoff (at most redis.backoffMaxMs), are back to receive.
    int reconnectGraceMs = 2000;
};

class JobQueue : public QObject
{
    Q_OBJECT
public:
    // A job's bytes to the broadcast it asks for, or the reason it is malformed.
    using Decoder = std::function<Decoded<cluster::BroadcastMessage>(QByteArrayView job)>;

    struct Stats
    {
        qint64 consumed = 0;     // jobs published by this node
        qint64 deadLettered = 0; // jobs this node moved to <key>:dead
        qint64 reclaimed = 0;    // jobs this node moved back from processing lists at takeover
        // Jobs of delivery scripts whose reply never came (the connection went): delivered
        // again later if the script had not run, else published, maybe not to every node.
        qint64 unconfirmed = 0;
        qint64 depth = -1;      // LLEN <key> at the last sample, -1 before the first one
        bool consuming = false; // this node holds the lease
    };

    JobQueue(JobQueueOptions options, Decoder decoder, QObject *parent = nullptr);
    ~JobQueue() override;

    // Consumes only while `ready` says so (the node's own cluster connections are up, so that
    // its own clients get what it publishes); the lease lapses otherwise and another node
    // takes over.
    void setGate(std::function<bool()> ready) { m_gate = std::move(ready); }

    void start();
    // Stops consuming; the jobs this node holds go back to the head of the list and the lease
    // is released, so that another node takes over at once.
    void stop();

    Stats stats() const { return m_stats; }
    QVariantMap status() const;

    QByteArray processingKey() const;
    QByteArray leaseKey() const;
    QByteArray deadKey() const;
    QByteArray consumersKey() const;

Q_SIGNALS:
    void consumingChanged(bool consuming);

private:
    void tryAcquire();
    void step();
    void awaitJobs();
    void retryLater();
    void loseLease(const QString &why);
    void take(const QList<redis::Reply> &jobs);
    void warn(const QString &message);
    void logDeadLetter(QByteArrayView job, const QString &error);
    void flushDeadLetterLog();
    bool mayConsume() const;

    const JobQueueOptions m_options;
    const QByteArray m_key;
    Decoder m_decoder;
    std::function<bool()> m_gate;
    redis::Connection *m_commands;
    redis::Connection *m_blocking; // BLMOVE waits for jobs here, never holding up the commands
    QTimer m_acquireTimer;
    QTimer m_depthTimer;
    QTimer m_retryTimer;
    QByteArray m_token;        // the lease's value while this node holds it
    QByteArray m_pendingToken; // of an acquire whose outcome is unknown (connection lost)
    quint64 m_tokens = 0;
    // The jobs of the processing list, decoded: (channel, payload) pairs, channel empty for a
    // dead letter (payload = its record). Committed by the next step.
    QList<QByteArray> m_decoded;
    qint64 m_decodedDead = 0;
    bool m_busy = false; // an acquire or a step awaits its reply
    bool m_waiting = false;
    bool m_started = false;
    bool m_connectedOnce = false;
    bool m_stopped = false;
    Stats m_stats;
    QString m_lastError;
    QElapsedTimer m_lastWarning;
    QElapsedTimer m_deadLogWindow;
    int m_deadLogged = 0;          // in the current second
    qint64 m_deadUnlogged = 0;     // past the per-second allowance, told as a count
    QElapsedTimer m_reconnectedAt; // invalid until a connection after the first one
};

} // namespace switchboard
