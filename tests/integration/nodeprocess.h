// Runs a real switchboard-node executable as a child process for cluster tests: starts it on
// an ephemeral loopback port, reads the port it prints, keeps its log (stderr), answers
// /healthz, reports its RSS, and kills it (SIGKILL) when the object goes, also when a test
// failed half-way.
#pragma once

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>
#include <QUrl>

#include <memory>

class NodeProcess
{
public:
    // `name` goes to --name; `redisUrl` to --redis (empty: single node).
    NodeProcess(QString name, QString redisUrl, QStringList extraArgs = {})
        : m_name(std::move(name)), m_redisUrl(std::move(redisUrl)),
          m_extraArgs(std::move(extraArgs))
    {}

    ~NodeProcess() { kill(); }

    Q_DISABLE_COPY_MOVE(NodeProcess)

    // $SWITCHBOARD_NODE (set by CTest), else the binary of the build tree this test is in.
    static QString executable()
    {
        const QString fromEnv = qEnvironmentVariable("SWITCHBOARD_NODE");
        if (!fromEnv.isEmpty())
            return fromEnv;
        return QFileInfo(QCoreApplication::applicationDirPath() +
                         QStringLiteral("/../../server/switchboard-node"))
            .absoluteFilePath();
    }

    // Starts the process and waits until it printed the address it listens on.
    bool start(int timeoutMs = 10000)
    {
        m_error.clear();
        const QString program = executable();
        if (!QFileInfo(program).isExecutable()) {
            m_error = QStringLiteral("switchboard-node not found at %1 (set SWITCHBOARD_NODE)")
                          .arg(program);
            return false;
        }
        m_process = std::make_unique<QProcess>();
        QProcess *process = m_process.get();
        // Nothing from the test's own environment may change the node's settings.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name :
             {"PORT", "HOST", "REDIS_URL", "SWITCHBOARD_NAME", "SWITCHBOARD_LOG",
              "SWITCHBOARD_AUTH_TOKEN", "SWITCHBOARD_DRAIN_MS", "SWITCHBOARD_API_TOKEN",
              "SWITCHBOARD_QUEUE", "QT_LOGGING_RULES", "QT_MESSAGE_PATTERN"})
            env.remove(QString::fromLatin1(name));
        process->setProcessEnvironment(env);
        QObject::connect(process, &QProcess::readyReadStandardError, process, [this, process] {
            m_log += process->readAllStandardError();
            if (m_log.size() > 4 * 1024 * 1024)
                m_log = m_log.right(2 * 1024 * 1024);
        });
        QObject::connect(process, &QProcess::readyReadStandardOutput, process, [this, process] {
            m_stdout += process->readAllStandardOutput();
            parseListeningLine();
        });
        QStringList args = {QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
                            QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--name"),
                            m_name, QStringLiteral("--log"),
                            QStringLiteral("switchboard.cluster.debug=true"),
                            // SIGTERM (terminate()) stops at once unless a test asks for a drain.
                            QStringLiteral("--drain-ms"), QStringLiteral("0")};
        if (!m_redisUrl.isEmpty())
            args << QStringLiteral("--redis") << m_redisUrl;
        args << m_extraArgs;
        process->start(program, args);
        if (!process->waitForStarted(timeoutMs)) {
            m_error = QStringLiteral("cannot run %1: %2").arg(program, process->errorString());
            return false;
        }
        m_pid = process->processId();
        const bool listening = QTest::qWaitFor(
            [this, process] { return m_port != 0 || process->state() == QProcess::NotRunning; },
            timeoutMs);
        if (!listening || m_port == 0) {
            m_error = QStringLiteral("%1 did not report its port (state %2, exit %3):\nstdout: "
                                     "%4\nstderr: %5")
                          .arg(m_name)
                          .arg(int(process->state()))
                          .arg(process->exitCode())
                          .arg(QString::fromUtf8(m_stdout), QString::fromUtf8(m_log.right(3000)));
            kill();
            return false;
        }
        return true;
    }

    // SIGKILL and wait for the end; true when the process is not running any more.
    bool kill(int timeoutMs = 5000)
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return true;
        m_process->kill();
        return waitForExit(timeoutMs);
    }

    // SIGTERM (a clean shutdown) and wait for the end.
    bool terminate(int timeoutMs = 5000)
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return true;
        m_process->terminate();
        return waitForExit(timeoutMs);
    }

    bool waitForExit(int timeoutMs)
    {
        QProcess *process = m_process.get();
        const bool ended = QTest::qWaitFor(
            [process] { return process->state() == QProcess::NotRunning; }, timeoutMs);
        if (ended) {
            m_log += process->readAllStandardError();
            m_stdout += process->readAllStandardOutput();
        }
        return ended;
    }

    bool isRunning() const { return m_process && m_process->state() == QProcess::Running; }
    // The pid it was started with (still known after it ended).
    qint64 pid() const { return m_pid; }
    // The pid of the running process now (0 when not running).
    qint64 currentPid() const { return m_process ? m_process->processId() : 0; }
    QProcess::ExitStatus exitStatus() const { return m_process->exitStatus(); }
    int exitCode() const { return m_process->exitCode(); }
    quint16 port() const { return m_port; }
    const QString &name() const { return m_name; }
    QString error() const { return m_error; }
    QByteArray log() const { return m_log; }
    QByteArray standardOutput() const { return m_stdout; }

    QUrl engineUrl(const QString &query = QStringLiteral("EIO=4&transport=websocket")) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/socket.io/?%2").arg(m_port).arg(query));
    }

    // GET /healthz as a JSON object; empty when the node did not answer in time.
    QJsonObject health(int timeoutMs = 3000) const
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_port);
        if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; },
                             timeoutMs))
            return {};
        socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        QByteArray all;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                all += socket.readAll();
                return socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs));
        all += socket.readAll();
        const qsizetype split = all.indexOf("\r\n\r\n");
        if (split < 0 || !all.startsWith("HTTP/1.1 200"))
            return {};
        return QJsonDocument::fromJson(all.mid(split + 4)).object();
    }

    // A sanitizer build runs this (tests/sanitize/run-asan.sh sets SWITCHBOARD_SANITIZED):
    // ASan's quarantine and redzones make RSS say nothing of the node's own memory, so the
    // bounds on RSS growth are checked by the plain build only; everything else still is.
    static bool sanitized() { return qEnvironmentVariableIsSet("SWITCHBOARD_SANITIZED"); }

    // VmRSS in KiB from /proc, -1 when unreadable (the process is gone).
    qint64 rssKiB() const
    {
        QFile status(QStringLiteral("/proc/%1/status").arg(m_pid));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').value(0).toLongLong();
        return -1;
    }

    // The last lines of the log, for failure messages.
    QString logTail(int lines = 40) const
    {
        QList<QByteArray> all = m_log.split('\n');
        if (all.size() > lines)
            all = all.mid(all.size() - lines);
        return QString::fromUtf8(all.join('\n'));
    }

private:
    void parseListeningLine()
    {
        if (m_port != 0)
            return;
        static const QRegularExpression line(
            QStringLiteral(R"(switchboard-node (.+) listening on http://([^/\s]+):(\d+)/)"));
        const auto match = line.match(QString::fromUtf8(m_stdout));
        if (match.hasMatch())
            m_port = quint16(match.captured(3).toUInt());
    }

    QString m_name;
    QString m_redisUrl;
    QStringList m_extraArgs;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_log;
    QByteArray m_stdout;
    QString m_error;
    qint64 m_pid = 0;
    quint16 m_port = 0;
};
