// A node's graceful stop (SIGTERM): unready at once, new Engine.IO sessions refused with 503
// while the port still answers (probes, existing polling sessions, upgrades), existing clients
// served for the drain period, then every client closed at the Engine.IO level (a transport
// close, from which the official clients reconnect, to another node behind the load balancer),
// the departure announced, and `finished` for main() to exit 0.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <QVariantMap>

#include <functional>

namespace switchboard {

class Server;

class Drain : public QObject
{
    Q_OBJECT
public:
    enum class Phase
    {
        Serving,
        Draining, // unready, no new sessions, existing clients served
        Closing   // clients closed, their last frames flushed, then finished
    };
    Q_ENUM(Phase)

    // How long the closed clients' last frames (a polling session's close packet waits for its
    // next GET) and the departure record get before `finished`.
    static constexpr int FlushMs = 300;
    // How often a drain logs how many clients are left: a quarter of it, 1 s to 5 s.
    static int progressMs(int drainMs) { return qBound(1000, drainMs / 4, 5000); }

    // `leave` announces the departure to the cluster (nothing in a single node).
    Drain(Server *server, int drainMs, std::function<void()> leave, QObject *parent = nullptr);

    // A stop request: a graceful one while serving starts the drain (drainMs 0: closes at
    // once); any other (SIGINT, a second SIGTERM) ends a drain at once. Later ones are ignored.
    // The drain lasts drainMs even when every client left: it is also the time a load balancer
    // needs to see /readyz fail and send new clients elsewhere.
    void stop(bool graceful, const QString &why);

    // "signal 15 (SIGTERM)", for the log line of stop().
    static QString signalName(int signal);

    Phase phase() const { return m_phase; }
    bool isDraining() const { return m_phase != Phase::Serving; }
    int drainMs() const { return m_drainMs; }
    // For /healthz: {phase, drainMs, and while draining elapsedMs, remainingMs, clientsAtStart}.
    QVariantMap status() const;

Q_SIGNALS:
    // `status`: one line with counts, as logged (also systemd's STATUS=); while draining, again
    // every progressMs().
    void phaseChanged(switchboard::Drain::Phase phase, const QString &status);
    void finished();

private:
    void begin(const QString &why);
    void closeClients(const QString &why);
    void onProgress();
    QString clientCounts() const;

    Server *m_server;
    int m_drainMs;
    std::function<void()> m_leave;
    Phase m_phase = Phase::Serving;
    QElapsedTimer m_since;
    QTimer m_deadline;
    QTimer m_progress;
    int m_clientsAtStart = 0;
};

} // namespace switchboard
