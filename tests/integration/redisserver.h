// Runs Debian's redis-server on a free loopback port in a temporary directory, for tests that
// talk to a real Redis: start, stop, restart on the same port, killed when the fixture goes.
#pragma once

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

#include <sys/types.h>

// Usage: RedisServer redis; QVERIFY2(redis.start(), qPrintable(redis.error()));
// A missing redis-server is an error, never a skip: these tests are the point of the suite.
class RedisServer
{
public:
    enum class UnixSocket
    {
        No,
        Yes // also listen on unixSocketPath(), mode 700
    };

    explicit RedisServer(const QStringList &extraArgs = {}, UnixSocket unixSocket = UnixSocket::No)
        : m_extraArgs(extraArgs), m_unixSocket(unixSocket == UnixSocket::Yes),
          m_dir(QDir::tempPath() + QStringLiteral("/sb-redis-XXXXXX"))
    {}

    ~RedisServer()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            if (!waitForExit(m_process.get(), 5000))
                qWarning("redis-server (port %d) did not die", int(m_port));
        }
    }

    Q_DISABLE_COPY_MOVE(RedisServer)

    static QString executable()
    {
        QString path = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
        if (path.isEmpty())
            path = QStandardPaths::findExecutable(
                QStringLiteral("redis-server"),
                {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
        return path;
    }

    // Picks a free port (again, if another process took it first) and waits for a PING answer.
    bool start()
    {
        m_error.clear();
        if (executable().isEmpty()) {
            m_error = QStringLiteral("redis-server not found in PATH or /usr/bin: install Debian's "
                                     "redis-server package (apt-get install redis-server)");
            return false;
        }
        if (!m_dir.isValid()) {
            m_error = QStringLiteral("cannot create a temporary directory: ") + m_dir.errorString();
            return false;
        }
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_port = freePort();
            if (m_port == 0) {
                m_error = QStringLiteral("no free loopback port");
                return false;
            }
            if (launch())
                return true;
        }
        return false;
    }

    // SIGTERM, then waits for the exit (SIGKILL after 10 s).
    bool stop()
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return true;
        m_process->terminate();
        if (waitForExit(m_process.get(), 10000))
            return true;
        m_process->kill();
        return waitForExit(m_process.get(), 5000);
    }

    // Stops and starts again on the same port, so that clients can reconnect.
    bool restart()
    {
        if (!stop()) {
            m_error = QStringLiteral("redis-server did not stop");
            return false;
        }
        for (int attempt = 0; attempt < 3; ++attempt) {
            if (launch())
                return true;
        }
        return false;
    }

    bool isRunning() const { return m_process && m_process->state() == QProcess::Running; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    QString error() const { return m_error; }
    QByteArray output() const { return m_output; }
    quint16 port() const { return m_port; }
    QString dir() const { return m_dir.path(); }
    QString unixSocketPath() const { return m_dir.filePath(QStringLiteral("redis.sock")); }
    QString url() const { return QStringLiteral("redis://127.0.0.1:%1").arg(m_port); }
    QString unixUrl() const { return QStringLiteral("unix://") + unixSocketPath(); }

    static quint16 freePort()
    {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return 0;
        const quint16 port = probe.serverPort();
        probe.close();
        return port;
    }

private:
    // Runs the event loop until the process ended; false on timeout.
    static bool waitForExit(QProcess *process, int timeoutMs)
    {
        return QTest::qWaitFor([process] { return process->state() == QProcess::NotRunning; },
                               timeoutMs);
    }

    bool launch()
    {
        m_output.clear();
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        QProcess *process = m_process.get();
        QObject::connect(process, &QProcess::readyRead, process, [this, process] {
            m_output += process->readAll();
            if (m_output.size() > 64 * 1024)
                m_output = m_output.right(32 * 1024);
        });
        QStringList args = {QStringLiteral("--save"),       QString(),
                            QStringLiteral("--appendonly"), QStringLiteral("no"),
                            QStringLiteral("--bind"),       QStringLiteral("127.0.0.1"),
                            QStringLiteral("--port"),       QString::number(m_port),
                            QStringLiteral("--dir"),        m_dir.path(),
                            QStringLiteral("--daemonize"),  QStringLiteral("no")};
        if (m_unixSocket)
            args << QStringLiteral("--unixsocket") << unixSocketPath()
                 << QStringLiteral("--unixsocketperm") << QStringLiteral("700");
        args << m_extraArgs;
        process->start(executable(), args);
        const bool started =
            QTest::qWaitFor([process] { return process->state() != QProcess::Starting; }, 10000);
        if (!started || process->state() != QProcess::Running) {
            m_error = QStringLiteral("cannot run %1: %2").arg(executable(), process->errorString());
            return false;
        }
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 10000) {
            if (answersPing())
                return true;
            // A bind race or a bad argument ends the process; give it a moment to say so.
            if (waitForExit(process, 50))
                break;
        }
        m_output += process->readAll();
        m_error = QStringLiteral("redis-server on port %1 did not answer PING (exit code %2):\n%3")
                      .arg(m_port)
                      .arg(process->exitCode())
                      .arg(QString::fromLocal8Bit(m_output.right(2000)));
        process->kill();
        if (!waitForExit(process, 5000))
            qWarning("redis-server (port %d) did not die", int(m_port));
        return false;
    }

    // Any answer but LOADING counts: with --requirepass, PING gets -NOAUTH, which is fine here.
    bool answersPing()
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_port);
        const bool settled = QTest::qWaitFor(
            [&socket] {
                return socket.state() == QAbstractSocket::ConnectedState ||
                       socket.state() == QAbstractSocket::UnconnectedState;
            },
            2000);
        if (!settled || socket.state() != QAbstractSocket::ConnectedState)
            return false;
        socket.write("PING\r\n");
        const bool answered = QTest::qWaitFor(
            [&socket] {
                return socket.canReadLine() || socket.state() != QAbstractSocket::ConnectedState;
            },
            2000);
        if (!answered)
            return false;
        const QByteArray line = socket.readLine();
        return line.startsWith("+PONG") || (line.startsWith('-') && !line.startsWith("-LOADING"));
    }

    QStringList m_extraArgs;
    bool m_unixSocket = false;
    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_output;
    QString m_error;
    quint16 m_port = 0;
};

// SIGSTOP now, SIGCONT on thaw() or when it goes (also when a test fails half-way).
class Freeze
{
public:
    explicit Freeze(qint64 pid) : m_pid(pid)
    {
        m_ok = ::kill(pid_t(m_pid), SIGSTOP) == 0;
        m_clock.start();
    }
    ~Freeze() { thaw(); }
    Q_DISABLE_COPY_MOVE(Freeze)

    bool ok() const { return m_ok; }
    qint64 elapsed() const { return m_clock.elapsed(); }
    void thaw()
    {
        if (m_ok && !m_thawed)
            m_thawed = ::kill(pid_t(m_pid), SIGCONT) == 0;
    }

private:
    qint64 m_pid;
    bool m_ok = false;
    bool m_thawed = false;
    QElapsedTimer m_clock;
};
