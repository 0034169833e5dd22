// The node under systemd's eyes, for real: a test-made AF_UNIX datagram socket as
// $NOTIFY_SOCKET receives READY=1 once the node listens and STOPPING=1 when SIGTERM drains it
// (with their STATUS= lines); a build without libsystemd must send nothing and generate a
// Type=simple unit. The generated unit passes `systemd-analyze verify`.
#include "nodeprocess.h"

#include <QDir>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <csignal>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// A bound datagram socket that collects what is sent to it.
class NotifySocket
{
public:
    explicit NotifySocket(const QString &path) : m_path(path)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray bytes = QFile::encodeName(path);
        if (m_fd < 0 || size_t(bytes.size()) >= sizeof(address.sun_path))
            return;
        memcpy(address.sun_path, bytes.constData(), size_t(bytes.size()));
        m_bound = ::bind(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) == 0;
    }
    ~NotifySocket()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Q_DISABLE_COPY_MOVE(NotifySocket)

    bool ok() const { return m_bound; }

    // The next datagram within `ms`, or a null array.
    QByteArray next(int ms)
    {
        QByteArray message;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                char buffer[4096];
                const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
                if (n < 0)
                    return false;
                message = QByteArray(buffer, n);
                return true;
            },
            ms));
        return message;
    }

private:
    QString m_path;
    int m_fd = -1;
    bool m_bound = false;
};

QString readUnit()
{
    QFile unit(QStringLiteral(SWITCHBOARD_UNIT_FILE));
    if (!unit.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(unit.readAll());
}

} // namespace

class TestSystemd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void notifications();
    void unitVerifies();
};

void TestSystemd::notifications()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    NotifySocket socket(dir.filePath(QStringLiteral("notify")));
    QVERIFY(socket.ok());
    qputenv("NOTIFY_SOCKET", QFile::encodeName(dir.filePath(QStringLiteral("notify"))));
    NodeProcess node(QStringLiteral("a"), {},
                     {QStringLiteral("--drain-ms"), QStringLiteral("400")});
    const bool started = node.start();
    qunsetenv("NOTIFY_SOCKET");
    QVERIFY2(started, qPrintable(node.error()));

#if SWITCHBOARD_HAVE_SYSTEMD
    QVERIFY2(readUnit().contains(QStringLiteral("\nType=notify\n")),
             "libsystemd build, unit not Type=notify");
    const QByteArray ready = socket.next(3000);
    QCOMPARE(ready, "READY=1\nSTATUS=serving on port " + QByteArray::number(node.port()));
    QVERIFY(::kill(pid_t(node.currentPid()), SIGTERM) == 0);
    const QByteArray draining = socket.next(3000);
    QVERIFY2(draining.startsWith("STOPPING=1\nSTATUS=draining: 0 clients"), draining.constData());
    const QByteArray closing = socket.next(3000);
    QVERIFY2(closing.startsWith("STOPPING=1\nSTATUS=closing 0 clients"), closing.constData());
    QVERIFY(node.waitForExit(3000));
    QCOMPARE(node.exitCode(), 0);
#else
    // Built without libsystemd: nothing is sent, and the unit does not wait for READY=1.
    QVERIFY2(readUnit().contains(QStringLiteral("\nType=simple\n")), "unit not Type=simple");
    QVERIFY(socket.next(500).isNull());
    QVERIFY(::kill(pid_t(node.currentPid()), SIGTERM) == 0);
    QVERIFY(node.waitForExit(3000));
    QVERIFY(socket.next(200).isNull());
#endif
}

void TestSystemd::unitVerifies()
{
    const QString analyze = QStandardPaths::findExecutable(QStringLiteral("systemd-analyze"));
    QVERIFY2(!analyze.isEmpty(), "systemd-analyze not found (Debian package systemd)");
    QString unit = readUnit();
    QVERIFY2(!unit.isEmpty(), SWITCHBOARD_UNIT_FILE);
    QVERIFY(unit.contains(QStringLiteral("KillSignal=SIGTERM")));
    QVERIFY(unit.contains(QStringLiteral("EnvironmentFile=-/etc/default/switchboard-node")));
    // TimeoutStopSec above the default drain.
    const QRegularExpression timeout(QStringLiteral("\nTimeoutStopSec=(\\d+)\n"));
    const QRegularExpression drain(QStringLiteral("\nEnvironment=SWITCHBOARD_DRAIN_MS=(\\d+)\n"));
    QVERIFY(timeout.match(unit).hasMatch() && drain.match(unit).hasMatch());
    QVERIFY(timeout.match(unit).captured(1).toInt() * 1000 >
            drain.match(unit).captured(1).toInt() + 1000);
    // Verified with the binary of this build, as it is not installed.
    const QRegularExpression exec(QStringLiteral("\nExecStart=(\\S+)"));
    QVERIFY(exec.match(unit).hasMatch());
    unit.replace(exec.match(unit).captured(1), NodeProcess::executable());
    QTemporaryDir dir;
    QFile copy(dir.filePath(QStringLiteral("switchboard-node.service")));
    QVERIFY(copy.open(QIODevice::WriteOnly));
    copy.write(unit.toUtf8());
    copy.close();
    QProcess verify;
    verify.setProcessChannelMode(QProcess::MergedChannels);
    verify.start(analyze, {QStringLiteral("verify"), copy.fileName()});
    QVERIFY(verify.waitForFinished(30000));
    // Only what it says of this unit counts: a container without systemd running may warn
    // about the host's own units.
    QStringList problems;
    for (const QString &line : QString::fromUtf8(verify.readAll()).split(u'\n'))
        if (line.contains(QStringLiteral("switchboard-node")))
            problems << line;
    QVERIFY2(verify.exitCode() == 0 && problems.isEmpty(),
             qPrintable(QStringLiteral("exit %1\n").arg(verify.exitCode()) + problems.join(u'\n')));
}

QTEST_GUILESS_MAIN(TestSystemd)
#include "tst_systemd.moc"
