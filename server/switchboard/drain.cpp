#include "switchboard/drain.h"

#include "switchboard/logging.h"
#include "switchboard/server.h"

#include <csignal>

namespace switchboard {

Drain::Drain(Server *server, int drainMs, std::function<void()> leave, QObject *parent)
    : QObject(parent), m_server(server), m_drainMs(drainMs), m_leave(std::move(leave))
{
    m_deadline.setSingleShot(true);
    // Clients are served at least --drain-ms: a coarse timer may fire 5 % early.
    m_deadline.setTimerType(Qt::PreciseTimer);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        closeClients(QStringLiteral("the drain time of %1 ms is over").arg(m_drainMs));
    });
    m_progress.setInterval(progressMs(drainMs));
    connect(&m_progress, &QTimer::timeout, this, &Drain::onProgress);
}

void Drain::stop(bool graceful, const QString &why)
{
    switch (m_phase) {
    case Phase::Serving:
        if (graceful && m_drainMs > 0) {
            begin(why);
            return;
        }
        m_since.start();
        m_clientsAtStart = m_server->clientCount();
        m_server->setAcceptingSessions(false);
        closeClients(why);
        return;
    case Phase::Draining:
        closeClients(why + QStringLiteral(" during the drain: ending it now"));
        return;
    case Phase::Closing:
        qCInfo(lcServer).noquote() << why << "- closing already";
        return;
    }
}

void Drain::begin(const QString &why)
{
    m_phase = Phase::Draining;
    m_since.start();
    m_server->setAcceptingSessions(false);
    m_clientsAtStart = m_server->clientCount();
    const QString status = QStringLiteral("draining: %1; serving them for %2 ms, new sessions "
                                          "refused (503), /readyz 503")
                               .arg(clientCounts())
                               .arg(m_drainMs);
    qCInfo(lcServer).noquote() << why << "-" << status;
    Q_EMIT phaseChanged(m_phase, status);
    m_deadline.start(m_drainMs);
    m_progress.start();
}

void Drain::onProgress()
{
    const QString status = QStringLiteral("draining: %1 left, %2 ms to go")
                               .arg(clientCounts())
                               .arg(qMax(0, m_deadline.remainingTime()));
    qCInfo(lcServer).noquote() << status;
    Q_EMIT phaseChanged(m_phase, status);
}

void Drain::closeClients(const QString &why)
{
    if (m_phase == Phase::Closing)
        return;
    m_phase = Phase::Closing;
    m_deadline.stop();
    m_progress.stop();
    const QString status =
        QStringLiteral("closing %1 at the transport level (clients reconnect elsewhere)")
            .arg(clientCounts());
    qCInfo(lcServer).noquote() << why << "-" << status;
    Q_EMIT phaseChanged(m_phase, status);
    m_server->closeClients(QStringLiteral("server shutting down"));
    if (m_leave)
        m_leave();
    QTimer::singleShot(FlushMs, this, [this] {
        m_server->close();
        qCInfo(lcServer) << "stopped:" << m_server->clientCount() << "clients left; exiting";
        Q_EMIT finished();
    });
}

QString Drain::signalName(int signal)
{
    const char *name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "?";
    return QStringLiteral("signal %1 (%2)").arg(signal).arg(QLatin1String(name));
}

QString Drain::clientCounts() const
{
    const int all = m_server->clientCount();
    const int polling = m_server->pollingClientCount();
    return QStringLiteral("%1 clients (%2 websocket, %3 polling)")
        .arg(all)
        .arg(all - polling)
        .arg(polling);
}

QVariantMap Drain::status() const
{
    static constexpr const char *names[] = {"serving", "draining", "closing"};
    QVariantMap status{{QStringLiteral("phase"), QLatin1String(names[int(m_phase)])},
                       {QStringLiteral("drainMs"), m_drainMs}};
    if (m_phase != Phase::Serving && m_since.isValid()) {
        status.insert(QStringLiteral("elapsedMs"), m_since.elapsed());
        status.insert(QStringLiteral("remainingMs"),
                      m_phase == Phase::Draining ? qMax<qint64>(0, m_deadline.remainingTime())
                                                 : qint64(0));
        status.insert(QStringLiteral("clientsAtStart"), m_clientsAtStart);
    }
    return status;
}

} // namespace switchboard
