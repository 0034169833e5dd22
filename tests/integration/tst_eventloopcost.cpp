// What the Qt event loop watches does not grow with idle connections: one node holds 10 000
// WebSocket clients (sbload, a child process: one process cannot hold both ends within the
// open files limit) while two RawClients exchange messages through the relay, and a counting
// event dispatcher reports the socket notifiers and timers registered with the loop at 10 and
// at 10 010 connections. The same measurement on `--transport qt` must see them grow, or it
// proves nothing.
#include "nodefixture.h"
#include "rawclient.h"

#include "switchboard/deadlines.h"
#include "switchboard/namespace.h"

#include <QtCore/private/qeventdispatcher_unix_p.h>

#include <QFile>
#include <QMap>
#include <QSet>
#include <QSocketNotifier>
#include <QTemporaryDir>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unordered_map>

extern char **environ;

using namespace switchboard;

namespace {

// What the loop watches at one moment: live registrations, and what they belong to.
struct LoopCounts
{
    int notifiers = 0;
    int timers = 0;
    QMap<QString, int> census; // "notifier Read of QNativeSocketEngine/QTcpSocket" -> count

    bool operator==(const LoopCounts &) const = default;
    QString text() const
    {
        QStringList lines;
        for (auto it = census.cbegin(); it != census.cend(); ++it)
            lines << QStringLiteral("  %1 x %2").arg(it.value()).arg(it.key());
        return QStringLiteral("%1 notifiers, %2 timers:\n%3")
            .arg(notifiers)
            .arg(timers)
            .arg(lines.join(u'\n'));
    }
};

QString owner(const QObject *object)
{
    QStringList chain;
    for (int depth = 0; object && depth < 3; ++depth, object = object->parent())
        chain << QString::fromLatin1(object->metaObject()->className());
    return chain.join(u'/');
}

QString describe(const QSocketNotifier *notifier)
{
    static const char *const types[] = {"Read", "Write", "Exception"};
    return QStringLiteral("notifier %1 of %2")
        .arg(QLatin1StringView(types[int(notifier->type())]), owner(notifier->parent()));
}

QString describeTimer(const QObject *object)
{
    return QStringLiteral("timer of %1").arg(owner(object));
}

// Qt's own dispatcher (QEventDispatcherUNIX) behind a front that counts what is registered
// with it. Its registration functions are final, so this wraps it instead of subclassing.
class CountingDispatcher : public QAbstractEventDispatcher
{
public:
    CountingDispatcher() : m_inner(new QEventDispatcherUNIX(this))
    {
        connect(m_inner, &QAbstractEventDispatcher::aboutToBlock, this,
                &QAbstractEventDispatcher::aboutToBlock);
        connect(m_inner, &QAbstractEventDispatcher::awake, this, &QAbstractEventDispatcher::awake);
    }

    LoopCounts counts() const
    {
        LoopCounts counts{int(m_notifiers.size()), int(m_timers.size()), {}};
        for (const QSocketNotifier *notifier : m_notifiers)
            ++counts.census[describe(notifier)];
        for (const auto &[id, object] : m_timers)
            ++counts.census[describeTimer(object)];
        return counts;
    }

    // Notifiers and timer owners never registered before, since the last mark(): what a
    // connection would create even if it unregistered it again before a measurement.
    void mark() { m_newcomers.clear(); }

    // True the first time `object` registers anything. Forgotten when it is destroyed: a new
    // object at a freed one's address is a newcomer too.
    bool see(QObject *object)
    {
        if (m_seen.contains(object))
            return false;
        m_seen.insert(object);
        connect(
            object, &QObject::destroyed, this, [this](QObject *gone) { m_seen.remove(gone); },
            Qt::DirectConnection);
        return true;
    }
    const QMap<QString, int> &newcomers() const { return m_newcomers; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override
    {
        return m_inner->processEvents(flags);
    }
    void registerSocketNotifier(QSocketNotifier *notifier) override
    {
        m_notifiers.insert(notifier);
        if (see(notifier))
            ++m_newcomers[describe(notifier)];
        m_inner->registerSocketNotifier(notifier);
    }
    void unregisterSocketNotifier(QSocketNotifier *notifier) override
    {
        m_notifiers.remove(notifier);
        m_inner->unregisterSocketNotifier(notifier);
    }
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override
    {
        m_timers[timerId] = object;
        if (see(object))
            ++m_newcomers[describeTimer(object)];
        m_inner->registerTimer(timerId, interval, timerType, object);
    }
    bool unregisterTimer(int timerId) override
    {
        m_timers.erase(timerId);
        return m_inner->unregisterTimer(timerId);
    }
    bool unregisterTimers(QObject *object) override
    {
        std::erase_if(m_timers, [object](const auto &entry) { return entry.second == object; });
        return m_inner->unregisterTimers(object);
    }
    QList<TimerInfo> registeredTimers(QObject *object) const override
    {
        return m_inner->registeredTimers(object);
    }
    int remainingTime(int timerId) override { return m_inner->remainingTime(timerId); }
    void wakeUp() override { m_inner->wakeUp(); }
    void interrupt() override { m_inner->interrupt(); }
    void startingUp() override { m_inner->startingUp(); }
    void closingDown() override { m_inner->closingDown(); }

private:
    QEventDispatcherUNIX *m_inner;
    QSet<QSocketNotifier *> m_notifiers;
    std::unordered_map<int, QObject *> m_timers;
    QSet<const void *> m_seen;
    QMap<QString, int> m_newcomers;
};

CountingDispatcher *dispatcher = nullptr;

// The counts once the loop is at rest: a client's write notifier is registered only while its
// bytes wait for the kernel, and the DeadlineQueue's single-shot timer is re-armed from its
// own timeout, so two samples 100 ms apart must agree (a heartbeat answered in between just
// takes another sample).
LoopCounts settled()
{
    LoopCounts last = dispatcher->counts();
    for (int i = 0; i < 50; ++i) {
        QTest::qWait(100);
        LoopCounts now = dispatcher->counts();
        if (now == last)
            return now;
        last = std::move(now);
    }
    return last;
}

// `sbload --mode idle`: `count` Socket.IO clients held, answering pings, until stop().
class IdleLoad
{
public:
    IdleLoad(const QString &dir, int index)
        : m_log(QStringLiteral("%1/sbload-%2").arg(dir).arg(index))
    {}
    ~IdleLoad()
    {
        if (running()) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, &m_status, 0);
        }
    }
    IdleLoad(const IdleLoad &) = delete;
    IdleLoad &operator=(const IdleLoad &) = delete;

    bool start(quint16 port, int count)
    {
        const QByteArray program = SBLOAD_PATH;
        const QByteArray out = QFile::encodeName(m_log + QStringLiteral(".out"));
        const QByteArray err = QFile::encodeName(m_log + QStringLiteral(".err"));
        QList<QByteArray> args{program,
                               "--mode",
                               "idle",
                               "--ports",
                               QByteArray::number(port),
                               "--count",
                               QByteArray::number(count)};
        // A child left behind by a crashed test still goes away by itself.
        args << "--hold"
             << "120"
             << "--connect-timeout"
             << "30";
        std::vector<char *> argv;
        for (QByteArray &arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t files;
        posix_spawn_file_actions_init(&files);
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&files, 1, out.constData(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_addopen(&files, 2, err.constData(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        const int rc =
            posix_spawn(&m_pid, program.constData(), &files, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&files);
        if (rc != 0)
            m_pid = -1;
        return rc == 0;
    }

    bool running()
    {
        if (m_pid > 0 && waitpid(m_pid, &m_status, WNOHANG) == m_pid)
            m_pid = -1;
        return m_pid > 0;
    }

    // SIGTERM, then its exit status (0: every connection was made and none was lost).
    int stop()
    {
        if (m_pid > 0)
            kill(m_pid, SIGTERM);
        if (!QTest::qWaitFor([this] { return !running(); }, 10000)) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, &m_status, 0);
            m_pid = -1;
            return -1;
        }
        return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
    }

    QString output() const
    {
        QString text;
        for (const char *suffix : {".out", ".err"}) {
            QFile file(m_log + QLatin1StringView(suffix));
            if (file.open(QIODevice::ReadOnly))
                text += QString::fromUtf8(file.readAll());
        }
        return text;
    }

private:
    QString m_log;
    pid_t m_pid = -1;
    int m_status = 0;
};

// Both clients send to each other through the relay and read what the other sent.
void exchange(RawClient &a, const QString &aId, RawClient &b, const QString &bId, int round)
{
    for (int i = 0; i < 3; ++i) {
        const bool forth = i % 2 == 0;
        RawClient &sender = forth ? a : b;
        RawClient &receiver = forth ? b : a;
        const QString &from = forth ? aId : bId;
        const QString &to = forth ? bId : aId;
        QCOMPARE(sender.call(QStringLiteral(R"(["send",{"to":"%1","data":{"round":%2,"n":%3}}])")
                                 .arg(to)
                                 .arg(round)
                                 .arg(i)),
                 u"[{\"ok\":true}]");
        const auto frame = parseFrame(receiver.nextStartingWith(QStringLiteral("42[\"message\"")));
        QVERIFY(frame);
        QCOMPARE(frame->payload().value(QStringLiteral("from")).toString(), from);
        const QVariantMap data = frame->payload().value(QStringLiteral("data")).toMap();
        QCOMPARE(data.value(QStringLiteral("round")).toInt(), round);
        QCOMPARE(data.value(QStringLiteral("n")).toInt(), i);
    }
}

} // namespace

class TestEventLoopCost : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void idleConnections_data()
    {
        QTest::addColumn<bool>("qtTransport");
        QTest::addColumn<int>("idle"); // connections added between the two measurements
        QTest::addRow("epoll: 10 and 10010 connections") << false << 10000;
        QTest::addRow("qt: 10 and 210 connections") << true << 200;
    }

    void idleConnections()
    {
        QFETCH(bool, qtTransport);
        QFETCH(int, idle);
        rlimit files{};
        QVERIFY(getrlimit(RLIMIT_NOFILE, &files) == 0);
        QVERIFY2(files.rlim_cur >= rlim_t(idle + 100),
                 "the node holds a descriptor per connection: raise the open files limit");
        // Heartbeats every second: the crowd is pinged, and answers, while it is measured.
        auto node = startNode([qtTransport](NodeConfig &c) {
            c.server.transport = qtTransport ? TransportKind::Qt : TransportKind::Epoll;
            c.server.engine.pingInterval = 1000;
            c.server.engine.pingTimeout = 5000;
        });
        QVERIFY(node);
        const Namespace *root = node->server()->of(QStringLiteral("/"));
        const quint16 port = node->server()->serverPort();
        QTemporaryDir logs;
        QVERIFY(logs.isValid());

        // 10 connections: the two talkers and 8 held by a first sbload.
        RawClient a(engineUrl(*node));
        RawClient b(engineUrl(*node));
        const QString aId = a.handshake();
        const QString bId = b.handshake();
        QVERIFY(!aId.isEmpty() && !bId.isEmpty());
        IdleLoad few(logs.path(), 1);
        QVERIFY(few.start(port, 8));
        QVERIFY2(
            QTest::qWaitFor([&] { return root->sockets().size() == 10 || !few.running(); }, 20000),
            qPrintable(few.output()));
        QCOMPARE(root->sockets().size(), 10);
        exchange(a, aId, b, bId, 1);
        if (QTest::currentTestFailed())
            return;
        const LoopCounts small = settled();
        dispatcher->mark();

        // The idle crowd, then the same conversation while it is held.
        IdleLoad crowd(logs.path(), 2);
        QVERIFY(crowd.start(port, idle));
        const qsizetype all = 10 + idle;
        QVERIFY2(QTest::qWaitFor([&] { return root->sockets().size() == all || !crowd.running(); },
                                 45000),
                 qPrintable(QStringLiteral("%1 of %2 connected\n%3")
                                .arg(root->sockets().size())
                                .arg(all)
                                .arg(crowd.output())));
        // Two more pings of the talkers: a whole heartbeat round of the crowd went by too.
        const int pingsA = a.pingsAnswered;
        const int pingsB = b.pingsAnswered;
        QVERIFY(QTest::qWaitFor(
            [&] { return a.pingsAnswered >= pingsA + 2 && b.pingsAnswered >= pingsB + 2; }, 10000));
        exchange(a, aId, b, bId, 2);
        if (QTest::currentTestFailed())
            return;
        const LoopCounts large = settled();
        QCOMPARE(root->sockets().size(), all);
        // Every connection's heartbeat is armed, all of them on the one timer counted.
        const int deadlines = DeadlineQueue::instance()->armed();
        QVERIFY2(deadlines >= all, qPrintable(QString::number(deadlines)));
        const QMap<QString, int> created = dispatcher->newcomers();
        qInfo().noquote() << "at 10 connections:" << small.text();
        qInfo().noquote() << "at" << all << "connections:" << large.text();
        qInfo().noquote() << "first registered in between:" << created;
        qInfo() << "deadlines armed:" << deadlines;

        // Every held connection was made and none was lost.
        QVERIFY2(crowd.stop() == 0, qPrintable(crowd.output()));
        QVERIFY2(few.stop() == 0, qPrintable(few.output()));

        if (qtTransport) {
            // One QTcpSocket each, with its read notifier. The live timers do not grow at rest
            // (QWebSocketServer's handshake timeout per connection ends with the handshake), but
            // each connection registered one on the way, and a write notifier.
            QVERIFY2(large.notifiers >= small.notifiers + idle, qPrintable(large.text()));
            int timerOwners = 0;
            for (auto it = created.cbegin(); it != created.cend(); ++it)
                if (it.key().startsWith(u"timer"))
                    timerOwners += it.value();
            QVERIFY2(timerOwners >= idle, qPrintable(QDebug::toString(created)));
        } else {
            QVERIFY2(large == small, qPrintable(QStringLiteral("at 10: %1\nat %2: %3")
                                                    .arg(small.text())
                                                    .arg(all)
                                                    .arg(large.text())));
            // Nor was anything registered on the way and dropped again before the measurement.
            QVERIFY2(created.isEmpty(), qPrintable(QDebug::toString(created)));
        }
    }
};

int main(int argc, char *argv[])
{
    // The node holds one descriptor per connection.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    dispatcher = new CountingDispatcher; // owned by the application from here on
    QCoreApplication::setEventDispatcher(dispatcher);
    QCoreApplication app(argc, argv);
    TestEventLoopCost test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_eventloopcost.moc"
