// A Redis connection for commands on the Qt event loop (hiredis async underneath) that logs in,
// selects its database, times out commands and reconnects on its own until stopped.
#pragma once

#include "switchboard/redisreply.h"
#include "switchboard/redisurl.h"

#include <QObject>

#include <functional>
#include <memory>

namespace switchboard::redis {

namespace detail {
class Link;
}

struct Options
{
    int connectTimeoutMs = 2000; // TCP connect + AUTH/SELECT/CLIENT SETNAME/PING
    int commandTimeoutMs = 5000; // a reply later than this: the connection is treated as dead
    // > 0: a connection quiet for a quarter of this probes Redis (see Connection::isStalled()),
    // and reports itself stalled once Redis has sent nothing for this long while a reply was
    // due. Keep it below commandTimeoutMs. TCP connections then also get TCP_USER_TIMEOUT =
    // commandTimeoutMs, and a Subscriber's probe is exempt from commandTimeoutMs: a subscriber
    // connection is kept while the server's kernel acknowledges what is sent (Redis paused)
    // and dropped when nothing is acknowledged for that long (dead host). 0: no probes.
    int stallTimeoutMs = 0;
    int backoffInitialMs = 50; // reconnect delays double from here, with jitter,
    int backoffMaxMs = 1000;   // up to this
    QByteArray clientName;     // CLIENT SETNAME when set
};

// Replies, connected() and disconnected() are delivered from this object's own queued event,
// never from inside hiredis and never re-entrantly from command()/stop(): a callback or slot may
// issue commands, stop() or delete the Connection. stop() fails the commands in flight with an
// error reply; after deletion, no callback runs at all.
class Connection : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const Reply &reply)>;

    explicit Connection(const Url &url, const Options &options = {}, QObject *parent = nullptr);
    ~Connection() override;

    void start();
    void stop();
    bool isConnected() const;

    // Binary-safe argv. While not connected (also before connected() after start()) the
    // callback gets Reply::error("not connected to Redis at <redacted url> (<last error>)").
    // A command without a reply within commandTimeoutMs fails with an error reply, and so does
    // every other pending command: the connection is dropped and made again.
    // Refused with an error reply: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, MONITOR, CLIENT REPLY and
    // HELLO 3, which break the one-reply-per-command order (use Subscriber for pub/sub), and
    // SELECT and RESET, which a reconnect would silently undo (put the db in the URL).
    // An error reply with Reply::outcomeUnknown: the command had been sent when the connection
    // went, so Redis may have run it.
    void command(const QList<QByteArray> &args, Callback callback = {});

    // With Options::stallTimeoutMs: true while Redis leaves a reply (a command's or an idle
    // connection's PING) unanswered and has sent nothing for that long. The connection is kept:
    // a Redis that only paused (SIGSTOP, a slow fork or fsync, a long script) answers everything
    // late. Only commandTimeoutMs drops it.
    bool isStalled() const;

    qint64 lastRoundTripMs() const; // of the latest reply (login PING included); -1: none yet
    QString lastError() const;      // why the last connect attempt or connection failed
    const Url &url() const;

Q_SIGNALS:
    void connected(); // after AUTH, SELECT and CLIENT SETNAME (as configured) and a PING
    void disconnected(const QString &reason);
    void stalled();
    void resumed(); // Redis answered again, on the same connection

private:
    std::unique_ptr<detail::Link> m_link;
};

} // namespace switchboard::redis
