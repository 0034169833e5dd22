// The admin console's real window, shown offscreen and connected through its ClusterWatcher to
// a private redis-server, with real switchboard-node processes and, for the mixed cluster, the
// reference Node.js socket.io server with @socket.io/redis-adapter (nodejs-server.js). Raw
// Socket.IO clients on the nodes drive the relay events (join / leave / send); every check is
// made through the window's widgets and models, found by objectName.
//
// "Nothing else arrived" is checked without sleeping, with a fence: after the message under
// test, the same publisher sends a fence to the whole namespace; Redis keeps the order of one
// publisher's messages, so whatever the message under test caused arrives before the fence.
#include "nodeprocess.h"
#include "rawclient.h"
#include "redisserver.h"

#include "switchboard/console/clusterwatcher.h"
#include "switchboard/console/connectdialog.h"
#include "switchboard/console/connectionstatus.h"
#include "switchboard/console/consoleoptions.h"
#include "switchboard/console/injectdialog.h"
#include "switchboard/console/mainwindow.h"
#include "switchboard/console/nodesmodel.h"
#include "switchboard/console/roomsview.h"
#include "switchboard/console/socketsmodel.h"
#include "switchboard/console/socketsview.h"
#include "switchboard/console/tableviews.h"
#include "switchboard/console/trafficmodel.h"
#include "switchboard/console/trafficview.h"
#include "switchboard/json.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFontMetrics>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

using namespace Qt::StringLiterals;
using switchboard::console::ClusterWatcher;
using switchboard::console::ConsoleOptions;
using switchboard::console::InjectDialog;
using switchboard::console::MainWindow;
using switchboard::console::NodesModel;
using switchboard::console::RoomsModel;
using switchboard::console::SocketsModel;
using switchboard::console::SocketsView;
using switchboard::console::TrafficModel;

namespace {

const QString kRoot = u"/"_s;

// What an inject with acks reported.
struct AckOutcome
{
    bool done = false;
    QString error;
    int clients = -1;
    QVariantList replies;
};

// Asks every socket of "/" the event "question" with acks, through the console's watcher.
std::shared_ptr<AckOutcome> injectQuestion(ClusterWatcher *watcher)
{
    auto outcome = std::make_shared<AckOutcome>();
    watcher->injectWithAck(kRoot, {}, {}, u"question"_s, {u"ready?"_s}, 4000,
                           [outcome](const QString &error, int clients, const QVariantList &r) {
                               *outcome = {true, error, clients, r};
                           });
    return outcome;
}

// The project's own compact JSON writer.
QString toJson(const QVariant &value)
{
    return QString::fromUtf8(switchboard::json::serialize(value));
}

QString sortedJoined(QStringList list)
{
    list.sort();
    return list.join(u", ");
}

// ---- model and widget helpers ----------------------------------------------------------

QString cell(const QAbstractItemModel *model, int row, int column)
{
    return model->index(row, column).data().toString();
}

// The first row whose `column` shows `value`, or -1.
int rowWhere(const QAbstractItemModel *model, int column, const QString &value)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (cell(model, r, column) == value)
            return r;
    return -1;
}

// The cell of `column` in the row whose `keyColumn` shows `key`; a null string without one.
QString cellOf(const QAbstractItemModel *model, int keyColumn, const QString &key, int column)
{
    const int r = rowWhere(model, keyColumn, key);
    return r < 0 ? QString() : cell(model, r, column);
}

QStringList columnValues(const QAbstractItemModel *model, int column)
{
    QStringList out;
    for (int r = 0; r < model->rowCount(); ++r)
        out << cell(model, r, column);
    return out;
}

// The whole table as text, for failure messages.
QString dump(const QAbstractItemModel *model)
{
    QStringList rows;
    for (int r = 0; r < model->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < model->columnCount(); ++c)
            cells << cell(model, r, c);
        rows << cells.join(u" | ");
    }
    return u"["_s + rows.join(u" ;; "_s) + u"]"_s;
}

// Selects the rows of `view` whose column `column` shows one of `values`; the number selected.
int selectRows(QTableView *view, int column, const QStringList &values)
{
    QItemSelectionModel *selection = view->selectionModel();
    selection->clearSelection();
    int selected = 0;
    for (int r = 0; r < view->model()->rowCount(); ++r) {
        if (!values.contains(cell(view->model(), r, column)))
            continue;
        selection->select(view->model()->index(r, 0),
                          QItemSelectionModel::Select | QItemSelectionModel::Rows);
        ++selected;
    }
    return selected;
}

// Answers the next application-modal dialog (QInputDialog::getItem, a QMessageBox) while the
// action that opened it runs its exec(): `answer` returns false for a dialog it does not expect,
// which is then rejected so that nothing hangs.
class ModalAnswerer
{
public:
    explicit ModalAnswerer(std::function<bool(QWidget *)> answer) : m_answer(std::move(answer))
    {
        m_timer.setInterval(20);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            QWidget *modal = QApplication::activeModalWidget();
            if (!modal || !modal->isVisible())
                return;
            m_timer.stop();
            m_seen = QString::fromLatin1(modal->metaObject()->className());
            m_answered = m_answer(modal);
            if (!m_answered)
                if (auto *dialog = qobject_cast<QDialog *>(modal))
                    dialog->reject();
        });
        m_timer.start();
    }
    bool answered() const { return m_answered; }
    QString seen() const { return m_seen.isEmpty() ? u"no modal dialog"_s : m_seen; }

private:
    std::function<bool(QWidget *)> m_answer;
    QTimer m_timer;
    bool m_answered = false;
    QString m_seen;
};

// ---- a raw Socket.IO client on a node --------------------------------------------------

// A socket in the main namespace of a node, through RawClient; keeps every frame it got and
// answers the events named in autoAck() with {"id": <its id>, "got": <event>}.
class Client
{
public:
    explicit Client(const NodeProcess &node) : raw(node.engineUrl())
    {
        QObject::connect(&raw.socket(), &QWebSocket::textMessageReceived, &raw,
                         [this](const QString &text) { onText(text); });
    }

    bool connect()
    {
        id = raw.handshake();
        return !id.isEmpty();
    }

    // The relay's join / leave; an empty string on success, else what went wrong.
    QString join(const QStringList &rooms) { return relay(u"join"_s, rooms); }
    QString leave(const QStringList &rooms) { return relay(u"leave"_s, rooms); }
    // The relay's send: {to, except, event, data, self}.
    QString send(const QVariantMap &request) { return relay(u"send"_s, request); }
    // A "message" to `to` (a room, or the namespace when empty) whose data is `data`.
    QString sendTo(const QString &to, const QString &data, bool self = false)
    {
        QVariantMap request{{u"data"_s, data}, {u"self"_s, self}};
        if (!to.isEmpty())
            request.insert(u"to"_s, to);
        return send(request);
    }

    void autoAck(const QString &event) { m_autoAck.insert(event); }

    // Event frames named `event`.
    QList<Frame> events(const QString &event) const
    {
        QList<Frame> out;
        for (const Frame &frame : frames)
            if (frame.type == 2 && frame.event() == event)
                out << frame;
        return out;
    }
    int indexOfMessage(const QString &data) const
    {
        for (qsizetype i = 0; i < frames.size(); ++i) {
            const Frame &frame = frames.at(i);
            if (frame.type == 2 && frame.event() == u"message" &&
                frame.data.value(1).toMap().value(u"data"_s).toString() == data)
                return int(i);
        }
        return -1;
    }
    bool gotMessage(const QString &data) const { return indexOfMessage(data) >= 0; }
    // Waits for the fence message, then says whether the message `data` came before it:
    // "got", "not got", or "no fence" when the fence never came.
    QString beforeFence(const QString &data, const QString &fence, int ms = 5000)
    {
        if (!QTest::qWaitFor([&] { return gotMessage(fence); }, ms))
            return u"no fence; frames: "_s + framesText();
        const int message = indexOfMessage(data);
        return message >= 0 && message < indexOfMessage(fence) ? u"got"_s : u"not got"_s;
    }
    bool gotDisconnectPacket() const
    {
        return std::any_of(frames.cbegin(), frames.cend(),
                           [](const Frame &frame) { return frame.type == 1; });
    }
    QString framesText() const
    {
        QStringList out;
        for (const Frame &frame : frames)
            out << frame.text;
        return out.join(u" | ");
    }

    RawClient raw;
    QString id;
    QList<Frame> frames;

private:
    void onText(const QString &text)
    {
        const std::optional<Frame> frame = parseFrame(text);
        if (!frame)
            return;
        if (frame->type == 2 && frame->id >= 0 && m_autoAck.contains(frame->event()))
            raw.send(u"43"_s + QString::number(frame->id) +
                     toJson(QVariantList{QVariantMap{{u"id"_s, id}, {u"got"_s, frame->event()}}}));
        frames << *frame;
    }

    QString relay(const QString &event, const QVariant &arg)
    {
        const QString reply = raw.call(toJson(QVariantList{event, arg}));
        if (reply.isNull())
            return u"no ack to %1"_s.arg(event);
        const QVariantMap ack =
            QJsonDocument::fromJson(reply.toUtf8()).array().toVariantList().value(0).toMap();
        return ack.value(u"ok"_s).toBool() ? QString() : u"%1 refused: %2"_s.arg(event, reply);
    }

    QSet<QString> m_autoAck;
};

// Where `secret` shows in any role of any table of the window, or in its traffic export; ""
// when nowhere.
QString secretShownIn(MainWindow *window, const QString &secret)
{
    const QList<const QAbstractItemModel *> models{window->nodesModel(), window->socketsModel(),
                                                   window->roomsModel(), window->trafficModel()};
    for (const QAbstractItemModel *model : models)
        for (int r = 0; r < model->rowCount(); ++r)
            for (int c = 0; c < model->columnCount(); ++c)
                for (int role = 0; role <= Qt::UserRole + 8; ++role)
                    if (model->index(r, c).data(role).toString().contains(secret) ||
                        model->index(r, c).data(role).toStringList().join(u' ').contains(secret))
                        return u"%1 row %2 column %3 role %4: %5"_s
                            .arg(QString::fromLatin1(model->metaObject()->className()))
                            .arg(r)
                            .arg(c)
                            .arg(role)
                            .arg(model->index(r, c).data(role).toString());
    QTemporaryDir dir;
    const QString path = dir.filePath(u"traffic.jsonl"_s);
    if (QString error; !window->trafficView()->exportTo(path, &error))
        return u"export failed: "_s + error;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return u"export unreadable"_s;
    const QByteArray exported = file.readAll();
    if (!exported.contains("remote fetch response"))
        return u"no REMOTE_FETCH answer in the export: "_s + QString::fromUtf8(exported.left(2000));
    return exported.contains(secret.toUtf8()) ? u"in the export"_s : QString();
}

// ---- the Node.js socket.io server ------------------------------------------------------

QString nodeJsExecutable()
{
    const QString fromEnv = qEnvironmentVariable("SWITCHBOARD_NODEJS");
    if (!fromEnv.isEmpty())
        return fromEnv;
    QString path = QStandardPaths::findExecutable(u"node"_s);
    return path.isEmpty() ? QStandardPaths::findExecutable(u"nodejs"_s) : path;
}

// nodejs-server.js as a child process: a socket.io server with @socket.io/redis-adapter and
// socket.io-client sockets on it, driven by JSON lines. Killed when the object goes.
class NodeJsServer
{
public:
    ~NodeJsServer() { stop(); }

    bool start(const QString &redisUrl, int clients)
    {
        const QString node = nodeJsExecutable();
        if (node.isEmpty() || !QFileInfo(node).isExecutable()) {
            m_error = u"Node.js not found ('%1'): install Node.js 20+ and run `npm ci` in "
                      "tests/interop, then re-run cmake"_s.arg(node);
            return false;
        }
        QString script = qEnvironmentVariable("SWITCHBOARD_CONSOLE_NODEJS_SERVER");
        if (script.isEmpty())
            script = QStringLiteral(SWITCHBOARD_CONSOLE_TEST_DIR "/nodejs-server.js");
        QString interop = qEnvironmentVariable("SWITCHBOARD_INTEROP_DIR");
        if (interop.isEmpty())
            interop = QStringLiteral(SWITCHBOARD_INTEROP_DIR);
        m_process = std::make_unique<QProcess>();
        QProcess *process = m_process.get();
        QObject::connect(process, &QProcess::readyReadStandardOutput, process, [this, process] {
            m_buffer += process->readAllStandardOutput();
            qsizetype end;
            while ((end = m_buffer.indexOf('\n')) >= 0) {
                const QByteArray line = m_buffer.left(end);
                m_buffer.remove(0, end + 1);
                const QJsonObject object = QJsonDocument::fromJson(line).object();
                if (object.isEmpty())
                    m_stderr += "stdout: " + line + '\n';
                else
                    lines << object;
            }
        });
        QObject::connect(process, &QProcess::readyReadStandardError, process,
                         [this, process] { m_stderr += process->readAllStandardError(); });
        process->start(node, {script, redisUrl, QString::number(clients), interop});
        if (!process->waitForStarted(10000)) {
            m_error = u"cannot run %1: %2"_s.arg(node, process->errorString());
            return false;
        }
        const auto ready = waitLine(
            [](const QJsonObject &line) {
                return line.contains(u"ready"_s) || line.contains(u"error"_s);
            },
            15000);
        if (!ready || !ready->value(u"ready"_s).toBool()) {
            m_error = u"nodejs-server.js did not start: %1\nstderr: %2"_s.arg(
                ready ? toJson(ready->toVariantMap()) : u"(nothing)"_s,
                QString::fromUtf8(m_stderr.right(3000)));
            return false;
        }
        uid = ready->value(u"uid"_s).toString();
        port = ready->value(u"port"_s).toInt();
        for (const QJsonValue &id : ready->value(u"clients"_s).toArray())
            clientIds << id.toString();
        return true;
    }

    // The first line (from the start) matching `match`, waiting up to `ms`.
    std::optional<QJsonObject> waitLine(const std::function<bool(const QJsonObject &)> &match,
                                        int ms = 5000) const
    {
        std::optional<QJsonObject> found;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                for (const QJsonObject &line : lines)
                    if (match(line)) {
                        found = line;
                        return true;
                    }
                return m_process->state() == QProcess::NotRunning;
            },
            ms));
        return found;
    }

    // Sends a command and waits for its reply line.
    QJsonObject command(QJsonObject command, int ms = 6000)
    {
        const int seq = ++m_seq;
        command.insert(u"seq"_s, seq);
        m_process->write(QJsonDocument(command).toJson(QJsonDocument::Compact) + '\n');
        const auto reply = waitLine(
            [seq](const QJsonObject &line) { return line.value(u"reply"_s).toInt() == seq; }, ms);
        return reply ? *reply : QJsonObject{{u"ok"_s, false}, {u"error"_s, u"no reply"_s}};
    }

    // Events client `client` received named `event`.
    QList<QJsonObject> eventsOf(int client, const QString &event) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &line : lines)
            if (line.value(u"client"_s).toInt(-1) == client &&
                line.value(u"event"_s).toString() == event)
                out << line;
        return out;
    }
    std::optional<QString> disconnectReason(int client) const
    {
        for (const QJsonObject &line : lines)
            if (line.value(u"client"_s).toInt(-1) == client && line.contains(u"disconnect"_s))
                return line.value(u"disconnect"_s).toString();
        return std::nullopt;
    }

    void stop()
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return;
        m_process->closeWriteChannel(); // the script quits when stdin closes
        if (!QTest::qWaitFor([this] { return m_process->state() == QProcess::NotRunning; }, 3000)) {
            m_process->kill();
            static_cast<void>(QTest::qWaitFor(
                [this] { return m_process->state() == QProcess::NotRunning; }, 5000));
        }
    }

    QString error() const { return m_error; }
    QString output() const
    {
        QStringList out;
        for (const QJsonObject &line : lines)
            out << QString::fromUtf8(QJsonDocument(line).toJson(QJsonDocument::Compact));
        return out.join(u'\n') + u"\nstderr: "_s + QString::fromUtf8(m_stderr.right(3000));
    }

    QString uid;
    int port = 0;
    QStringList clientIds;
    QList<QJsonObject> lines;

private:
    std::unique_ptr<QProcess> m_process;
    QByteArray m_buffer;
    QByteArray m_stderr;
    QString m_error;
    int m_seq = 0;
};

// ---- the fixture -----------------------------------------------------------------------

// A redis-server, switchboard-node processes, optionally the Node.js server, raw clients, and
// the console's window on top. Members go in reverse order: the window first, Redis last;
// every process is killed, and the logs are printed when the test failed.
class Cluster
{
public:
    Cluster() = default;
    Q_DISABLE_COPY_MOVE(Cluster)

    ~Cluster()
    {
        if (QTest::currentTestFailed()) {
            for (const auto &node : nodes)
                qWarning("---- log of %s:\n%s", qPrintable(node->name()),
                         qPrintable(node->logTail(30)));
            if (nodejs)
                qWarning("---- nodejs-server.js:\n%s", qPrintable(nodejs->output().right(4000)));
            if (window)
                qWarning("---- console: nodes %s\nsockets %s\nrooms %s",
                         qPrintable(dump(window->nodesView()->model())),
                         qPrintable(dump(window->socketsModel())),
                         qPrintable(dump(window->roomsModel())));
        }
        window.reset();
        clients.clear();
        nodejs.reset();
        nodes.clear();
    }

    // Starts Redis and shows a window connected to it.
    QString start(bool readOnly = false)
    {
        if (!redis.start())
            return redis.error();
        window = newWindow(readOnly);
        return waitConnected(window.get());
    }

    std::unique_ptr<MainWindow> newWindow(bool readOnly)
    {
        auto w = std::make_unique<MainWindow>(readOnly);
        w->show();
        static_cast<void>(QTest::qWaitForWindowExposed(w.get()));
        w->connectTo(switchboard::redis::Url::parse(redis.url()).value(), u"socket.io"_s);
        return w;
    }

    static QString waitConnected(MainWindow *w)
    {
        if (!QTest::qWaitFor(
                [w] { return w->watcher()->state() == ClusterWatcher::State::Connected; }, 5000))
            return u"the console did not connect to Redis (state %1)"_s.arg(
                int(w->watcher()->state()));
        return {};
    }

    NodeProcess *addNode(const QString &name)
    {
        nodes.push_back(std::make_unique<NodeProcess>(name, redis.url()));
        if (!nodes.back()->start()) {
            m_error = nodes.back()->error();
            return nullptr;
        }
        return nodes.back().get();
    }

    Client *addClient(const NodeProcess &node)
    {
        clients.push_back(std::make_unique<Client>(node));
        if (!clients.back()->connect()) {
            m_error = u"a client could not connect to %1"_s.arg(node.name());
            return nullptr;
        }
        return clients.back().get();
    }

    QString error() const { return m_error; }

    template <typename T> T *child(const QString &name) const
    {
        return window->findChild<T *>(name);
    }

    QTableView *nodesView() const { return child<QTableView>(u"nodesView"_s); }
    QAbstractItemModel *nodesTable() const { return nodesView()->model(); }
    QAbstractItemModel *socketsTable() const { return socketsView()->model(); }
    QAbstractItemModel *roomsTable() const { return roomsView()->model(); }
    QAbstractItemModel *trafficTable() const { return trafficView()->model(); }
    QTableView *socketsView() const { return child<QTableView>(u"socketsView"_s); }
    QTableView *roomsView() const { return child<QTableView>(u"roomsView"_s); }
    QTableView *trafficView() const { return child<QTableView>(u"trafficView"_s); }

    QString nodeStatus(const QString &name) const
    {
        return cellOf(nodesTable(), NodesModel::Name, name, NodesModel::Status);
    }
    QString socketCell(const QString &id, int column) const
    {
        return cellOf(socketsTable(), SocketsModel::Id, id, column);
    }
    bool hasSocket(const QString &id) const
    {
        return rowWhere(socketsTable(), SocketsModel::Id, id) >= 0;
    }
    QString roomMembers(const QString &room) const
    {
        return cellOf(roomsTable(), RoomsModel::Room, room, RoomsModel::Members);
    }

    RedisServer redis;
    std::vector<std::unique_ptr<NodeProcess>> nodes;
    std::unique_ptr<NodeJsServer> nodejs;
    std::vector<std::unique_ptr<Client>> clients;
    std::unique_ptr<MainWindow> window;

private:
    QString m_error;
};

#define START(cluster, ...)                                                                        \
    do {                                                                                           \
        const QString why_ = (cluster).start(__VA_ARGS__);                                         \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                \
    } while (false)

#define ADD_NODE(var, cluster, name)                                                               \
    NodeProcess *var = (cluster).addNode(name);                                                    \
    QVERIFY2(var, qPrintable((cluster).error()))

#define ADD_CLIENT(var, cluster, node)                                                             \
    Client *var = (cluster).addClient(*(node));                                                    \
    QVERIFY2(var, qPrintable((cluster).error()))

#define OK(expr)                                                                                   \
    do {                                                                                           \
        const QString why_ = (expr);                                                               \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                \
    } while (false)

} // namespace

class tst_ConsoleGui : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The recent connections go to a settings file of the test's own, not the user's.
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void nodesAppearTurnStaleAndGo();
    void socketsAndRooms();
    void trafficShowsRoomMessages();
    void injectFromConsole();
    void joinLeaveDisconnectFromConsole();
    void nodejsServerInTheCluster();
    void readOnlyDisablesEveryAction();
    void anotherConsoleIsNotAServer();
    void foreignSocketsAfterANodeWasKilled();
    void massDisconnectKeepsTheSelection();
    void ackCallbacksMayCallTheWatcher();
    void columnsFitWhatArrivesLater();
    void recentConnectionFromTheCommandLine();
};

// Two nodes show up within 2 s with their names; SIGKILL makes one stale after ~3 s of
// silence, SIGTERM makes the other gone at once (its last record says it is leaving).
void tst_ConsoleGui::nodesAppearTurnStaleAndGo()
{
    Cluster cluster;
    START(cluster);
    QVERIFY(cluster.nodesView());
    QCOMPARE(cluster.nodesView(), cluster.window->nodesView());
    QVERIFY(cluster.nodesView()->isVisible());
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_NODE(beta, cluster, u"beta"_s);
    QAbstractItemModel *nodes = cluster.nodesTable();

    QTRY_VERIFY2_WITH_TIMEOUT(columnValues(nodes, NodesModel::Name) ==
                                  QStringList({u"alpha"_s, u"beta"_s}),
                              qPrintable(dump(nodes)), 2000);
    for (NodeProcess *node : {alpha, beta}) {
        QCOMPARE(cluster.nodeStatus(node->name()), u"live"_s);
        QCOMPARE(cellOf(nodes, NodesModel::Name, node->name(), NodesModel::Address),
                 u"127.0.0.1:%1"_s.arg(node->port()));
        QVERIFY2(cellOf(nodes, NodesModel::Name, node->name(), NodesModel::Kind)
                     .startsWith(u"Switchboard"),
                 qPrintable(dump(nodes)));
    }
    QCOMPARE(cluster.window->nodesModel()->liveCount(), 2);
    ADD_CLIENT(a1, cluster, alpha);
    QTRY_VERIFY_WITH_TIMEOUT(cluster.socketCell(a1->id, SocketsModel::Node) == u"alpha", 3000);

    // SIGKILL: no last word; the node goes stale once it has been silent for ~3 s.
    QVERIFY(beta->kill());
    QElapsedTimer sinceKill;
    sinceKill.start();
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.nodeStatus(u"beta"_s) == u"stale", qPrintable(dump(nodes)),
                              6000);
    // Its last record was at most ~1 s old when it died.
    QVERIFY2(sinceKill.elapsed() >= 1800,
             qPrintable(u"stale after only %1 ms"_s.arg(sinceKill.elapsed())));
    QCOMPARE(cluster.nodeStatus(u"alpha"_s), u"live"_s);

    // SIGTERM: the node says it is leaving and shows gone right away.
    QVERIFY(alpha->terminate());
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.nodeStatus(u"alpha"_s).startsWith(u"gone"),
                              qPrintable(dump(nodes)), 2000);
    QCOMPARE(cluster.nodeStatus(u"alpha"_s), u"gone (left)"_s);
    QCOMPARE(cluster.nodeStatus(u"beta"_s), u"stale"_s);
    QCOMPARE(cluster.window->nodesModel()->liveCount(), 0);
    // Its sockets went with it.
    QTRY_VERIFY2_WITH_TIMEOUT(!cluster.hasSocket(a1->id), qPrintable(dump(cluster.socketsTable())),
                              2000);
}

// Sockets of both nodes are listed with their node and rooms, the rooms view counts and lists
// members, and the views follow joins, leaves and disconnects.
void tst_ConsoleGui::socketsAndRooms()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_NODE(beta, cluster, u"beta"_s);
    QTRY_COMPARE_WITH_TIMEOUT(cluster.nodesTable()->rowCount(), 2, 2000);

    ADD_CLIENT(a1, cluster, alpha);
    ADD_CLIENT(b1, cluster, beta);
    ADD_CLIENT(b2, cluster, beta);
    OK(a1->join({u"lobby"_s, u"red"_s}));
    OK(b1->join({u"lobby"_s}));

    QAbstractItemModel *sockets = cluster.socketsTable();
    QAbstractItemModel *rooms = cluster.roomsTable();
    QTRY_VERIFY2_WITH_TIMEOUT(sockets->rowCount() == 3 &&
                                  cluster.socketCell(a1->id, SocketsModel::Rooms) ==
                                      u"lobby, red" &&
                                  cluster.socketCell(b1->id, SocketsModel::Rooms) == u"lobby",
                              qPrintable(dump(sockets)), 3000);
    QCOMPARE(cluster.socketCell(a1->id, SocketsModel::Node), u"alpha"_s);
    QCOMPARE(cluster.socketCell(b1->id, SocketsModel::Node), u"beta"_s);
    QCOMPARE(cluster.socketCell(b2->id, SocketsModel::Node), u"beta"_s);
    QCOMPARE(cluster.socketCell(b2->id, SocketsModel::Rooms), QString());
    QCOMPARE(cluster.socketCell(a1->id, SocketsModel::Namespace), kRoot);
    QCOMPARE(cluster.socketCell(a1->id, SocketsModel::Address), u"127.0.0.1"_s);

    // Rooms: the sockets' own rooms are not rooms.
    QTRY_VERIFY2_WITH_TIMEOUT(rooms->rowCount() == 2 && cluster.roomMembers(u"lobby"_s) == u"2" &&
                                  cluster.roomMembers(u"red"_s) == u"1",
                              qPrintable(dump(rooms)), 2000);
    QCOMPARE(cellOf(rooms, RoomsModel::Room, u"lobby"_s, RoomsModel::Namespace), kRoot);
    cluster.window->showTab(u"rooms"_s);
    QTableView *roomsView = cluster.roomsView();
    auto *members = cluster.child<QListView>(u"roomMembers"_s);
    QVERIFY(members);
    QCOMPARE(selectRows(roomsView, RoomsModel::Room, {u"lobby"_s}), 1);
    QStringList lobby{a1->id, b1->id};
    lobby.sort();
    QTRY_COMPARE(columnValues(members->model(), 0), lobby);
    QVERIFY(members->isVisible());

    // The text filter.
    cluster.window->showTab(u"sockets"_s);
    auto *filterText = cluster.child<QLineEdit>(u"socketsFilterText"_s);
    QVERIFY(filterText);
    QTest::keyClicks(filterText, a1->id);
    QTRY_COMPARE(sockets->rowCount(), 1);
    QCOMPARE(cell(sockets, 0, SocketsModel::Id), a1->id);
    QTRY_COMPARE(cluster.child<QLabel>(u"socketsCount"_s)->text(), u"1 of 3 sockets"_s);
    filterText->clear();
    QTRY_COMPARE(sockets->rowCount(), 3);

    // Double-clicking a node lists only its sockets.
    QTableView *nodesView = cluster.nodesView();
    cluster.window->showTab(u"nodes"_s);
    const int betaRow = rowWhere(nodesView->model(), NodesModel::Name, u"beta"_s);
    QVERIFY(betaRow >= 0);
    const QModelIndex betaIndex = nodesView->model()->index(betaRow, NodesModel::Name);
    QTRY_VERIFY(nodesView->isVisible() && nodesView->visualRect(betaIndex).isValid());
    const QPoint betaCenter = nodesView->visualRect(betaIndex).center();
    QTest::mouseClick(nodesView->viewport(), Qt::LeftButton, {}, betaCenter);
    QTest::mouseDClick(nodesView->viewport(), Qt::LeftButton, {}, betaCenter);
    QTRY_COMPARE(cluster.window->tabs()->currentWidget(), cluster.window->socketsView());
    QTRY_COMPARE(sortedJoined(columnValues(sockets, SocketsModel::Id)),
                 sortedJoined({b1->id, b2->id}));
    cluster.window->socketsView()->showOnly({}, {}, {});
    QTRY_COMPARE(sockets->rowCount(), 3);

    // Double-clicking a room lists only its members.
    cluster.window->showTab(u"rooms"_s);
    const int redRow = rowWhere(roomsView->model(), RoomsModel::Room, u"red"_s);
    QVERIFY(redRow >= 0);
    const QModelIndex redIndex = roomsView->model()->index(redRow, RoomsModel::Room);
    QTRY_VERIFY(roomsView->isVisible() && roomsView->visualRect(redIndex).isValid());
    const QPoint redCenter = roomsView->visualRect(redIndex).center();
    QTest::mouseClick(roomsView->viewport(), Qt::LeftButton, {}, redCenter);
    QTest::mouseDClick(roomsView->viewport(), Qt::LeftButton, {}, redCenter);
    QTRY_COMPARE(cluster.window->tabs()->currentWidget(), cluster.window->socketsView());
    QTRY_COMPARE(columnValues(sockets, SocketsModel::Id), QStringList{a1->id});
    cluster.window->socketsView()->showOnly({}, {}, {});
    QTRY_COMPARE(sockets->rowCount(), 3);
    QCOMPARE(selectRows(roomsView, RoomsModel::Room, {u"lobby"_s}), 1);

    // A join and a leave on the nodes show in both views.
    OK(b2->join({u"blue"_s}));
    OK(a1->leave({u"red"_s}));
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(b2->id, SocketsModel::Rooms) == u"blue" &&
                                  cluster.socketCell(a1->id, SocketsModel::Rooms) == u"lobby",
                              qPrintable(dump(sockets)), 2000);
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.roomMembers(u"blue"_s) == u"1" &&
                                  rowWhere(rooms, RoomsModel::Room, u"red"_s) < 0,
                              qPrintable(dump(rooms)), 2000);

    // A client that goes leaves both views; the members list of the selected room follows.
    b1->raw.socket().close();
    QTRY_VERIFY2_WITH_TIMEOUT(!cluster.hasSocket(b1->id) && sockets->rowCount() == 2,
                              qPrintable(dump(sockets)), 3000);
    QTRY_COMPARE(cluster.roomMembers(u"lobby"_s), u"1"_s);
    QTRY_COMPARE(columnValues(members->model(), 0), QStringList{a1->id});
}

// A room message a client sends shows in the traffic view with its event, namespace, room and
// origin node; pausing stops the view, resuming goes on, and the filter narrows it.
void tst_ConsoleGui::trafficShowsRoomMessages()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_NODE(beta, cluster, u"beta"_s);
    QTRY_COMPARE_WITH_TIMEOUT(cluster.nodesTable()->rowCount(), 2, 2000);
    ADD_CLIENT(a1, cluster, alpha);
    ADD_CLIENT(b1, cluster, beta);
    OK(a1->join({u"lobby"_s}));
    OK(b1->join({u"lobby"_s}));
    cluster.window->showTab(u"traffic"_s);

    QAbstractItemModel *traffic = cluster.trafficTable();
    const auto chatRow = [traffic](const QString &data) {
        for (int r = 0; r < traffic->rowCount(); ++r)
            if (cell(traffic, r, TrafficModel::Event) == u"chat" &&
                cell(traffic, r, TrafficModel::Preview).contains(data))
                return r;
        return -1;
    };

    OK(a1->send({{u"to"_s, u"lobby"_s}, {u"event"_s, u"chat"_s}, {u"data"_s, u"hello-1"_s}}));
    QTRY_VERIFY(!b1->events(u"chat"_s).isEmpty());
    QTRY_VERIFY2_WITH_TIMEOUT(chatRow(u"hello-1"_s) >= 0, qPrintable(dump(traffic)), 3000);
    const int row = chatRow(u"hello-1"_s);
    QCOMPARE(cell(traffic, row, TrafficModel::Origin), u"alpha"_s);
    QCOMPARE(cell(traffic, row, TrafficModel::Namespace), kRoot);
    QCOMPARE(cell(traffic, row, TrafficModel::Rooms), u"lobby"_s);
    QCOMPARE(cell(traffic, row, TrafficModel::Except), a1->id);
    QCOMPARE(cell(traffic, row, TrafficModel::Kind), u"broadcast"_s);

    // Paused: the record is counted but not shown.
    auto *pause = cluster.child<QToolButton>(u"trafficPause"_s);
    QVERIFY(pause);
    QTest::mouseClick(pause, Qt::LeftButton);
    QVERIFY(cluster.window->trafficModel()->isPaused());
    const qint64 total = cluster.window->trafficModel()->total();
    OK(a1->send({{u"to"_s, u"lobby"_s}, {u"event"_s, u"chat"_s}, {u"data"_s, u"paused-2"_s}}));
    QTRY_VERIFY(b1->events(u"chat"_s).size() == 2);
    QTRY_VERIFY(cluster.window->trafficModel()->total() > total);
    // Paused, nothing is kept for the flushes to add: three of them add no row.
    QSignalSpy added(cluster.window->trafficModel(), &QAbstractItemModel::rowsInserted);
    QVERIFY2(!added.wait(3 * TrafficModel::FlushMs), qPrintable(dump(traffic)));
    QVERIFY2(chatRow(u"paused-2"_s) < 0, qPrintable(dump(traffic)));

    QTest::mouseClick(pause, Qt::LeftButton);
    QVERIFY(!cluster.window->trafficModel()->isPaused());
    OK(a1->send({{u"to"_s, u"lobby"_s}, {u"event"_s, u"chat"_s}, {u"data"_s, u"resumed-3"_s}}));
    QTRY_VERIFY2_WITH_TIMEOUT(chatRow(u"resumed-3"_s) >= 0, qPrintable(dump(traffic)), 3000);
    QVERIFY(chatRow(u"paused-2"_s) < 0);

    // The filter.
    auto *filter = cluster.child<QLineEdit>(u"trafficFilter"_s);
    QVERIFY(filter);
    QTest::keyClicks(filter, u"resumed-3"_s);
    QTRY_COMPARE(traffic->rowCount(), 1);
    QCOMPARE(cell(traffic, 0, TrafficModel::Origin), u"alpha"_s);
}

// inject / injectWithAck through the watcher and through the inject dialog reach the clients
// of every node; ack replies come back.
void tst_ConsoleGui::injectFromConsole()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_NODE(beta, cluster, u"beta"_s);
    QTRY_COMPARE_WITH_TIMEOUT(cluster.nodesTable()->rowCount(), 2, 2000);
    ADD_CLIENT(a1, cluster, alpha);
    ADD_CLIENT(b1, cluster, beta);
    ADD_CLIENT(b2, cluster, beta);
    OK(a1->join({u"lobby"_s}));
    OK(b1->join({u"lobby"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(cluster.roomMembers(u"lobby"_s), u"2"_s, 3000);
    ClusterWatcher *watcher = cluster.window->watcher();

    // The whole namespace.
    const QVariantList args{u"hello"_s, QVariantMap{{u"n"_s, 1}}};
    watcher->inject(kRoot, {}, {}, u"announce"_s, args);
    for (Client *c : {a1, b1, b2}) {
        QTRY_VERIFY2(!c->events(u"announce"_s).isEmpty(), qPrintable(c->framesText()));
        QCOMPARE(c->events(u"announce"_s).first().data, QVariantList{u"announce"_s} + args);
    }

    // One room; the fence (to the namespace) shows that b2 got nothing before it.
    watcher->inject(kRoot, {u"lobby"_s}, {}, u"message"_s,
                    {QVariantMap{{u"data"_s, u"lobby-only"_s}}});
    watcher->inject(kRoot, {}, {}, u"message"_s, {QVariantMap{{u"data"_s, u"fence-1"_s}}});
    QCOMPARE(a1->beforeFence(u"lobby-only"_s, u"fence-1"_s), u"got"_s);
    QCOMPARE(b1->beforeFence(u"lobby-only"_s, u"fence-1"_s), u"got"_s);
    QCOMPARE(b2->beforeFence(u"lobby-only"_s, u"fence-1"_s), u"not got"_s);

    // With acks: every client's reply comes back.
    for (Client *c : {a1, b1, b2})
        c->autoAck(u"question"_s);
    const auto outcome = injectQuestion(watcher);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->done, 5000);
    QVERIFY2(outcome->error.isEmpty(), qPrintable(outcome->error));
    QCOMPARE(outcome->clients, 3);
    QStringList repliers;
    for (const QVariant &reply : std::as_const(outcome->replies))
        repliers << reply.toMap().value(u"id"_s).toString();
    QCOMPARE(sortedJoined(repliers), sortedJoined({a1->id, b1->id, b2->id}));
    // The traffic table names the broadcast with acks and the plain broadcasts alike.
    QAbstractItemModel *traffic = cluster.window->trafficModel();
    QTRY_VERIFY2_WITH_TIMEOUT(rowWhere(traffic, TrafficModel::Kind, u"broadcast with acks"_s) >= 0,
                              qPrintable(dump(traffic)), 3000);
    QVERIFY(rowWhere(traffic, TrafficModel::Kind, u"broadcast"_s) >= 0);
    for (const QString &kind : columnValues(traffic, TrafficModel::Kind))
        QVERIFY2(kind == kind.toLower(), qPrintable(kind));

    // The dialog, opened by its action with a socket selected: it targets that socket.
    cluster.window->showTab(u"sockets"_s);
    QTRY_COMPARE(cluster.socketsTable()->rowCount(), 3);
    QCOMPARE(selectRows(cluster.socketsView(), SocketsModel::Id, {a1->id}), 1);
    auto *injectAction = cluster.child<QAction>(u"injectAction"_s);
    QVERIFY(injectAction);
    QVERIFY(injectAction->isEnabled());
    injectAction->trigger();
    auto *dialog = cluster.child<InjectDialog>(u"injectDialog"_s);
    QVERIFY(dialog);
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    const auto field = [dialog](const char *name) {
        return dialog->findChild<QWidget *>(QString::fromLatin1(name));
    };
    auto *toSockets = qobject_cast<QRadioButton *>(field("injectToSockets"));
    auto *socketIds = qobject_cast<QLineEdit *>(field("injectSocketIds"));
    auto *event = qobject_cast<QLineEdit *>(field("injectEvent"));
    auto *payload = qobject_cast<QPlainTextEdit *>(field("injectPayload"));
    auto *send = qobject_cast<QPushButton *>(field("injectSend"));
    auto *results = qobject_cast<QListWidget *>(field("injectResults"));
    auto *problem = qobject_cast<QLabel *>(field("injectProblem"));
    QVERIFY(toSockets && socketIds && event && payload && send && results && problem);
    QVERIFY(toSockets->isChecked());
    QCOMPARE(socketIds->text(), a1->id);

    // A reserved name cannot be sent.
    QTest::keyClicks(event, u"connect"_s);
    QVERIFY(!send->isEnabled());
    QVERIFY2(problem->text().contains(u"reserved"), qPrintable(problem->text()));
    event->clear();
    QTest::keyClicks(event, u"via-dialog"_s);
    payload->setPlainText(u"[\"x\", {\"n\": 2}]"_s);
    QVERIFY2(send->isEnabled(), qPrintable(problem->text()));
    QTest::mouseClick(send, Qt::LeftButton);
    QTRY_VERIFY2(!a1->events(u"via-dialog"_s).isEmpty(), qPrintable(a1->framesText()));
    QCOMPARE(a1->events(u"via-dialog"_s).first().data,
             QVariantList({u"via-dialog"_s, u"x"_s, QVariantMap{{u"n"_s, 2}}}));
    QVERIFY(results->count() >= 1);
    QVERIFY2(results->item(results->count() - 1)->text().contains(u"sent 'via-dialog'"),
             qPrintable(results->item(results->count() - 1)->text()));
    watcher->inject(kRoot, {}, {}, u"message"_s, {QVariantMap{{u"data"_s, u"fence-2"_s}}});
    for (Client *c : {b1, b2}) {
        QTRY_VERIFY(c->gotMessage(u"fence-2"_s));
        QVERIFY2(c->events(u"via-dialog"_s).isEmpty(), qPrintable(c->framesText()));
    }

    // The dialog with acks, to a room: the replies are listed.
    a1->autoAck(u"dialog-question"_s);
    b1->autoAck(u"dialog-question"_s);
    qobject_cast<QRadioButton *>(field("injectToRooms"))->click();
    qobject_cast<QLineEdit *>(field("injectRooms"))->setText(u"lobby"_s);
    event->setText(u"dialog-question"_s);
    payload->setPlainText(QString());
    qobject_cast<QCheckBox *>(field("injectWaitForAcks"))->setChecked(true);
    qobject_cast<QSpinBox *>(field("injectAckTimeout"))->setValue(3000);
    QVERIFY2(send->isEnabled(), qPrintable(problem->text()));
    const int before = results->count();
    QTest::mouseClick(send, Qt::LeftButton);
    const auto resultsText = [results] {
        QStringList out;
        for (int i = 0; i < results->count(); ++i)
            out << results->item(i)->text();
        return out.join(u'\n');
    };
    QTRY_VERIFY2_WITH_TIMEOUT(results->count() == before + 3 &&
                                  results->item(before)->text().contains(u"2 clients, 2 replies"),
                              qPrintable(resultsText()), 4000);
    QVERIFY2(!results->item(before)->text().contains(u"timed out"), qPrintable(resultsText()));
    const QString replyLines =
        results->item(before + 1)->text() + results->item(before + 2)->text();
    QVERIFY2(replyLines.contains(a1->id) && replyLines.contains(b1->id), qPrintable(resultsText()));
    QVERIFY(b2->events(u"dialog-question"_s).isEmpty());
}

// Join, leave and disconnect from the console (watcher calls and the sockets view's actions on
// a selection) take effect on the nodes.
void tst_ConsoleGui::joinLeaveDisconnectFromConsole()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_NODE(beta, cluster, u"beta"_s);
    QTRY_COMPARE_WITH_TIMEOUT(cluster.nodesTable()->rowCount(), 2, 2000);
    ADD_CLIENT(a1, cluster, alpha);
    ADD_CLIENT(d1, cluster, alpha);
    ADD_CLIENT(b1, cluster, beta);
    ADD_CLIENT(c1, cluster, beta); // the sender
    QTRY_COMPARE_WITH_TIMEOUT(cluster.socketsTable()->rowCount(), 4, 3000);
    ClusterWatcher *watcher = cluster.window->watcher();

    // Join through the watcher.
    watcher->socketsJoin(kRoot, {a1->id, b1->id}, {u"vip"_s});
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(a1->id, SocketsModel::Rooms) == u"vip" &&
                                  cluster.socketCell(b1->id, SocketsModel::Rooms) == u"vip",
                              qPrintable(dump(cluster.socketsTable())), 3000);
    OK(c1->sendTo(u"vip"_s, u"vip-1"_s));
    OK(c1->sendTo({}, u"fence-1"_s));
    QCOMPARE(a1->beforeFence(u"vip-1"_s, u"fence-1"_s), u"got"_s);
    QCOMPARE(b1->beforeFence(u"vip-1"_s, u"fence-1"_s), u"got"_s);
    QCOMPARE(d1->beforeFence(u"vip-1"_s, u"fence-1"_s), u"not got"_s);

    // Leave through the watcher.
    watcher->socketsLeave(kRoot, {a1->id}, {u"vip"_s});
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(a1->id, SocketsModel::Rooms).isEmpty(),
                              qPrintable(dump(cluster.socketsTable())), 3000);
    OK(c1->sendTo(u"vip"_s, u"vip-2"_s));
    OK(c1->sendTo({}, u"fence-2"_s));
    QCOMPARE(a1->beforeFence(u"vip-2"_s, u"fence-2"_s), u"not got"_s);
    QCOMPARE(b1->beforeFence(u"vip-2"_s, u"fence-2"_s), u"got"_s);

    // Disconnect through the watcher, without closing the connection.
    watcher->disconnectSockets(kRoot, {b1->id}, false);
    QTRY_VERIFY2_WITH_TIMEOUT(b1->gotDisconnectPacket(), qPrintable(b1->framesText()), 3000);
    QTRY_VERIFY_WITH_TIMEOUT(!cluster.hasSocket(b1->id), 3000);
    QVERIFY(!b1->raw.closed);
    QVERIFY(!a1->gotDisconnectPacket() && !d1->gotDisconnectPacket());

    // The sockets view's actions on a selection, with their dialogs answered.
    cluster.window->showTab(u"sockets"_s);
    SocketsView *view = cluster.window->socketsView();
    QTableView *table = cluster.socketsView();
    QCOMPARE(selectRows(table, SocketsModel::Id, {d1->id}), 1);
    QVERIFY(view->joinAction()->isEnabled());
    {
        ModalAnswerer answer([](QWidget *modal) {
            auto *input = qobject_cast<QInputDialog *>(modal);
            if (!input)
                return false;
            input->setTextValue(u"gold, silver"_s);
            input->accept();
            return true;
        });
        cluster.child<QAction>(u"joinAction"_s)->trigger();
        QVERIFY2(answer.answered(), qPrintable(answer.seen()));
    }
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(d1->id, SocketsModel::Rooms) == u"gold, silver",
                              qPrintable(dump(cluster.socketsTable())), 3000);
    OK(c1->sendTo(u"gold"_s, u"gold-1"_s));
    OK(c1->sendTo({}, u"fence-3"_s));
    QCOMPARE(d1->beforeFence(u"gold-1"_s, u"fence-3"_s), u"got"_s);
    QCOMPARE(a1->beforeFence(u"gold-1"_s, u"fence-3"_s), u"not got"_s);

    QCOMPARE(selectRows(table, SocketsModel::Id, {d1->id}), 1);
    {
        ModalAnswerer answer([](QWidget *modal) {
            auto *input = qobject_cast<QInputDialog *>(modal);
            if (!input)
                return false;
            input->setTextValue(u"gold"_s);
            input->accept();
            return true;
        });
        cluster.child<QAction>(u"leaveAction"_s)->trigger();
        QVERIFY2(answer.answered(), qPrintable(answer.seen()));
    }
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(d1->id, SocketsModel::Rooms) == u"silver",
                              qPrintable(dump(cluster.socketsTable())), 3000);

    // Disconnect two sockets of two nodes, closing their connections.
    QCOMPARE(selectRows(table, SocketsModel::Id, {a1->id, c1->id}), 2);
    {
        ModalAnswerer answer([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            if (!box || box->objectName() != u"disconnectConfirmation")
                return false;
            auto *close = box->findChild<QCheckBox *>(u"closeConnection"_s);
            if (!close)
                return false;
            close->setChecked(true);
            box->button(QMessageBox::Yes)->click();
            return true;
        });
        cluster.child<QAction>(u"disconnectAction"_s)->trigger();
        QVERIFY2(answer.answered(), qPrintable(answer.seen()));
    }
    for (Client *c : {a1, c1})
        QVERIFY2(c->raw.waitClosed(3000), qPrintable(c->framesText()));
    QTRY_VERIFY2_WITH_TIMEOUT(!cluster.hasSocket(a1->id) && !cluster.hasSocket(c1->id) &&
                                  cluster.hasSocket(d1->id),
                              qPrintable(dump(cluster.socketsTable())), 3000);
    QVERIFY(!d1->gotDisconnectPacket());
}

// A Node.js socket.io server with @socket.io/redis-adapter on the same Redis: a foreign row in
// the nodes view, its sockets (REMOTE_FETCH) in the sockets view, and the console's inject,
// acks, join and disconnect work on it.
void tst_ConsoleGui::nodejsServerInTheCluster()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_CLIENT(a1, cluster, alpha);
    OK(a1->join({u"lobby"_s}));
    cluster.nodejs = std::make_unique<NodeJsServer>();
    NodeJsServer *nodejs = cluster.nodejs.get();
    QVERIFY2(nodejs->start(cluster.redis.url(), 2), qPrintable(nodejs->error()));
    QCOMPARE(nodejs->clientIds.size(), 2);
    const QString n0 = nodejs->clientIds.at(0), n1 = nodejs->clientIds.at(1);
    QJsonObject reply = nodejs->command(
        {{u"cmd"_s, u"join"_s}, {u"client"_s, 1}, {u"rooms"_s, QJsonArray{u"lobby"_s}}});
    QVERIFY2(reply.value(u"ok"_s).toBool(), qPrintable(toJson(reply.toVariantMap())));

    // The Node.js server is identified by what it publishes: a broadcast of one of its sockets.
    reply = nodejs->command({{u"cmd"_s, u"relay"_s},
                             {u"client"_s, 0},
                             {u"to"_s, u"lobby"_s},
                             {u"event"_s, u"from-nodejs"_s},
                             {u"args"_s, QJsonArray{1}}});
    QVERIFY2(reply.value(u"ok"_s).toBool(), qPrintable(toJson(reply.toVariantMap())));
    QTRY_VERIFY(!a1->events(u"from-nodejs"_s).isEmpty());
    QAbstractItemModel *nodes = cluster.nodesTable();
    QTRY_VERIFY2_WITH_TIMEOUT(rowWhere(nodes, NodesModel::Uid, nodejs->uid) >= 0,
                              qPrintable(dump(nodes)), 3000);
    QCOMPARE(cellOf(nodes, NodesModel::Uid, nodejs->uid, NodesModel::Name), u"socket.io server"_s);
    QCOMPARE(cellOf(nodes, NodesModel::Uid, nodejs->uid, NodesModel::Kind), u"foreign (/)"_s);
    // Known now: no "unidentified" placeholder is left.
    QTRY_VERIFY2_WITH_TIMEOUT(nodes->rowCount() == 2, qPrintable(dump(nodes)), 3000);
    QCOMPARE(cluster.nodeStatus(u"alpha"_s), u"live"_s);

    // Its sockets, listed by REMOTE_FETCH (every ~5 s on its own).
    QAbstractItemModel *sockets = cluster.socketsTable();
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.hasSocket(n0) && cluster.hasSocket(n1),
                              qPrintable(dump(sockets)), 9000);
    QCOMPARE(cluster.socketCell(n0, SocketsModel::Node), u"foreign server"_s);
    QCOMPARE(cluster.socketCell(n1, SocketsModel::Rooms), u"lobby"_s);
    QCOMPARE(cluster.socketCell(n1, SocketsModel::Namespace), kRoot);
    QCOMPARE(cluster.socketCell(a1->id, SocketsModel::Node), u"alpha"_s);
    QCOMPARE(sockets->rowCount(), 3);
    QTRY_COMPARE(cluster.roomMembers(u"lobby"_s), u"2"_s);
    // Its row counts them; its sockets show the names of their credentials.
    QTRY_COMPARE(cellOf(nodes, NodesModel::Uid, nodejs->uid, NodesModel::Connections), u"2"_s);
    QCOMPARE(cluster.socketCell(n0, SocketsModel::Auth), u"token"_s);
    // Never their values: in no role of any table, nor in the traffic export.
    QTRY_VERIFY2_WITH_TIMEOUT(rowWhere(cluster.window->trafficModel(), TrafficModel::Kind,
                                       u"remote fetch response"_s) >= 0,
                              qPrintable(dump(cluster.window->trafficModel())), 3000);
    OK(secretShownIn(cluster.window.get(), u"s3cret"_s));

    // Inject to a room: the Switchboard member and the Node.js member get it, the other not.
    ClusterWatcher *watcher = cluster.window->watcher();
    watcher->inject(kRoot, {u"lobby"_s}, {}, u"to-lobby"_s, {u"x"_s});
    watcher->inject(kRoot, {}, {}, u"fence"_s, {u"f1"_s});
    QTRY_VERIFY2(!a1->events(u"to-lobby"_s).isEmpty(), qPrintable(a1->framesText()));
    QTRY_VERIFY2(!nodejs->eventsOf(1, u"to-lobby"_s).isEmpty(), qPrintable(nodejs->output()));
    QVERIFY2(nodejs->eventsOf(1, u"to-lobby"_s).first().value(u"args"_s).toArray() ==
                 QJsonArray{u"x"_s},
             qPrintable(nodejs->output()));
    QTRY_VERIFY2(!nodejs->eventsOf(0, u"fence"_s).isEmpty(), qPrintable(nodejs->output()));
    QVERIFY2(nodejs->eventsOf(0, u"to-lobby"_s).isEmpty(), qPrintable(nodejs->output()));

    // With acks over the namespace: three clients on two servers reply.
    a1->autoAck(u"question"_s);
    const auto outcome = injectQuestion(watcher);
    QTRY_VERIFY_WITH_TIMEOUT(outcome->done, 5000);
    QVERIFY2(outcome->error.isEmpty(), qPrintable(outcome->error));
    QCOMPARE(outcome->clients, 3);
    QCOMPARE(outcome->replies.size(), 3);
    QStringList repliers;
    for (const QVariant &r : std::as_const(outcome->replies)) {
        const QVariantMap map = r.toMap();
        repliers << (map.contains(u"id"_s) ? map.value(u"id"_s).toString()
                                           : u"nodejs-%1"_s.arg(map.value(u"client"_s).toInt()));
    }
    QCOMPARE(sortedJoined(repliers), sortedJoined({a1->id, u"nodejs-0"_s, u"nodejs-1"_s}));
    QCOMPARE(nodejs->eventsOf(0, u"question"_s).size(), 1);
    QVERIFY(nodejs->eventsOf(0, u"question"_s).first().value(u"ack"_s).toBool());

    // Join from the console: the Node.js server puts its socket in the room.
    watcher->socketsJoin(kRoot, {n0}, {u"vip"_s});
    QTRY_VERIFY_WITH_TIMEOUT(nodejs->command({{u"cmd"_s, u"rooms"_s}, {u"client"_s, 0}})
                                 .value(u"rooms"_s)
                                 .toArray()
                                 .contains(u"vip"_s),
                             3000);
    OK(a1->sendTo(u"vip"_s, u"to-vip"_s));
    QTRY_VERIFY2(!nodejs->eventsOf(0, u"message"_s).isEmpty(), qPrintable(nodejs->output()));
    QCOMPARE(nodejs->eventsOf(0, u"message"_s)
                 .first()
                 .value(u"args"_s)
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(u"data"_s)
                 .toString(),
             u"to-vip"_s);
    // The sockets view learns it at the next REMOTE_FETCH (the refresh action asks at once).
    cluster.child<QAction>(u"refreshAction"_s)->trigger();
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(n0, SocketsModel::Rooms) == u"vip",
                              qPrintable(dump(sockets)), 5000);

    // Disconnect from the sockets view.
    cluster.window->showTab(u"sockets"_s);
    QCOMPARE(selectRows(cluster.socketsView(), SocketsModel::Id, {n0}), 1);
    {
        ModalAnswerer answer([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            if (!box || box->objectName() != u"disconnectConfirmation")
                return false;
            box->button(QMessageBox::Yes)->click();
            return true;
        });
        cluster.window->socketsView()->disconnectAction()->trigger();
        QVERIFY2(answer.answered(), qPrintable(answer.seen()));
    }
    QTRY_VERIFY2_WITH_TIMEOUT(nodejs->disconnectReason(0).has_value(), qPrintable(nodejs->output()),
                              3000);
    QCOMPARE(*nodejs->disconnectReason(0), u"io server disconnect"_s);
    QVERIFY(!nodejs->disconnectReason(1).has_value());
    QVERIFY(!a1->gotDisconnectPacket());
}

// Read-only (--read-only): every action is disabled and does nothing, though the same window
// without it, on the same cluster and selection, has them enabled.
void tst_ConsoleGui::readOnlyDisablesEveryAction()
{
    const ConsoleOptions::Outcome parsed =
        ConsoleOptions::parse({u"switchboard-console"_s, u"--read-only"_s});
    QVERIFY(!parsed.exitNow);
    QVERIFY(parsed.options.readOnly);

    Cluster cluster;
    START(cluster, parsed.options.readOnly);
    QVERIFY(cluster.window->isReadOnly());
    QVERIFY2(cluster.window->windowTitle().contains(u"read-only"),
             qPrintable(cluster.window->windowTitle()));
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_CLIENT(a1, cluster, alpha);
    OK(a1->join({u"lobby"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(cluster.socketCell(a1->id, SocketsModel::Rooms) == u"lobby", 3000);

    // A writable window next to it, for contrast.
    std::unique_ptr<MainWindow> writable = cluster.newWindow(false);
    OK(Cluster::waitConnected(writable.get()));
    QTRY_VERIFY_WITH_TIMEOUT(writable->socketsModel()->rowCount() == 1, 3000);

    const QStringList actionNames{u"injectAction"_s, u"joinAction"_s, u"leaveAction"_s,
                                  u"disconnectAction"_s};
    for (MainWindow *w : {cluster.window.get(), writable.get()}) {
        w->showTab(u"sockets"_s);
        auto *table = w->findChild<QTableView *>(u"socketsView"_s);
        QCOMPARE(selectRows(table, SocketsModel::Id, {a1->id}), 1);
        for (const QString &name : actionNames) {
            auto *action = w->findChild<QAction *>(name);
            QVERIFY2(action, qPrintable(name));
            QVERIFY2(action->isEnabled() == !w->isReadOnly(),
                     qPrintable(u"%1 %2 in the %3 window"_s.arg(
                         name, action->isEnabled() ? u"enabled"_s : u"disabled"_s,
                         w->isReadOnly() ? u"read-only"_s : u"writable"_s)));
        }
    }
    writable.reset();

    // Nothing goes out: the actions, the view's methods and the dialog are all inert.
    QVERIFY(cluster.window->findChild<QAction *>(u"refreshAction"_s)->isEnabled());
    SocketsView *view = cluster.window->socketsView();
    {
        ModalAnswerer answer([](QWidget *) { return false; });
        for (const QString &name : actionNames)
            cluster.child<QAction>(name)->trigger();
        QVERIFY2(!answer.answered(), qPrintable(answer.seen()));
    }
    view->joinSelected({u"forbidden"_s});
    view->leaveSelected({u"lobby"_s});
    view->disconnectSelected(true);
    InjectDialog *dialog = cluster.window->openInjectDialog();
    QVERIFY(dialog);
    auto *send = dialog->findChild<QPushButton *>(u"injectSend"_s);
    QVERIFY(send);
    dialog->setEvent(u"forbidden-event"_s);
    QVERIFY(!send->isEnabled());
    QVERIFY2(dialog->problem().contains(u"Read-only"), qPrintable(dialog->problem()));
    dialog->send();

    // A message of a1 is the fence: whatever the console had sent would be before it.
    OK(a1->sendTo({}, u"fence"_s, true));
    QTRY_VERIFY(a1->gotMessage(u"fence"_s));
    // The fence's broadcast in the traffic table: whatever came before it is there too.
    QAbstractItemModel *traffic = cluster.window->trafficModel();
    QTRY_VERIFY2_WITH_TIMEOUT(
        [traffic] {
            for (int r = 0; r < traffic->rowCount(); ++r)
                if (cell(traffic, r, TrafficModel::Preview).contains(u"fence"_s))
                    return true;
            return false;
        }(),
        qPrintable(dump(traffic)), 5000);
    // The console only asks foreign servers for their sockets (REMOTE_FETCH), which reads.
    for (int r = 0; r < traffic->rowCount(); ++r)
        QVERIFY2(cell(traffic, r, TrafficModel::Origin) != u"this console" ||
                     cell(traffic, r, TrafficModel::Kind) == u"remote fetch",
                 qPrintable(dump(traffic)));
    QVERIFY2(a1->events(u"forbidden-event"_s).isEmpty(), qPrintable(a1->framesText()));
    QVERIFY(!a1->gotDisconnectPacket());
    QCOMPARE(cluster.socketCell(a1->id, SocketsModel::Rooms), u"lobby"_s);
    QVERIFY(!a1->raw.closed);
}

// A second console on the same cluster (another operator, or a restarted console) publishes
// requests of its own (REMOTE_FETCH, broadcasts with acks): it is not a socket.io server and
// must not show as one in the nodes view.
void tst_ConsoleGui::anotherConsoleIsNotAServer()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    QAbstractItemModel *nodes = cluster.nodesTable();
    QTRY_VERIFY2_WITH_TIMEOUT(columnValues(nodes, NodesModel::Name) == QStringList{alpha->name()},
                              qPrintable(dump(nodes)), 2000);

    std::unique_ptr<MainWindow> other = cluster.newWindow(true);
    OK(Cluster::waitConnected(other.get()));
    const QString otherUid = other->watcher()->uid();
    // The other console publishes a request with its uid (a broadcast with acks to an empty
    // room, as an operator's inject would).
    other->watcher()->injectWithAck(u"/"_s, {u"nobody-here"_s}, {}, u"probe"_s, {}, 500,
                                    [](const QString &, int, const QVariantList &) {});
    // This console saw the other one's request go by...
    TrafficModel *traffic = cluster.window->trafficModel();
    const auto sawOther = [traffic, &otherUid] {
        for (int r = 0; r < traffic->rowCount(); ++r)
            if (traffic->record(r).origin == otherUid)
                return true;
        return false;
    };
    QSignalSpy counted(cluster.window->watcher(), &ClusterWatcher::serverCount);
    QTRY_VERIFY2_WITH_TIMEOUT(sawOther(), qPrintable(dump(traffic)), 5000);
    // ...and a refresh of the server counts (every 2 s) went by after it.
    counted.clear();
    QVERIFY(counted.wait(3 * ClusterWatcher::RefreshMs));
    QVERIFY2(rowWhere(nodes, NodesModel::Uid, otherUid) < 0,
             qPrintable(
                 u"the other console (uid %1) shows as a server: %2"_s.arg(otherUid, dump(nodes))));
    QVERIFY2(columnValues(nodes, NodesModel::Name) == QStringList{alpha->name()},
             qPrintable(dump(nodes)));
}

// Once a Switchboard node died without a word (SIGKILL), the console must still ask the foreign
// servers for their sockets: a change of a Node.js socket shows after a refresh, as it did
// before the node died.
void tst_ConsoleGui::foreignSocketsAfterANodeWasKilled()
{
    Cluster cluster;
    START(cluster);
    ADD_NODE(alpha, cluster, u"alpha"_s);
    ADD_NODE(beta, cluster, u"beta"_s);
    QTRY_COMPARE_WITH_TIMEOUT(cluster.nodesTable()->rowCount(), 2, 2000);
    cluster.nodejs = std::make_unique<NodeJsServer>();
    NodeJsServer *nodejs = cluster.nodejs.get();
    QVERIFY2(nodejs->start(cluster.redis.url(), 1), qPrintable(nodejs->error()));
    const QString n0 = nodejs->clientIds.value(0);
    auto *refresh = cluster.child<QAction>(u"refreshAction"_s);
    QVERIFY(refresh);
    const auto joinAndRefresh = [&](const QString &room) {
        const QJsonObject reply = nodejs->command(
            {{u"cmd"_s, u"join"_s}, {u"client"_s, 0}, {u"rooms"_s, QJsonArray{room}}});
        refresh->trigger();
        return reply.value(u"ok"_s).toBool();
    };

    // Before: a refresh lists the Node.js socket and then its new room.
    refresh->trigger();
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.hasSocket(n0), qPrintable(dump(cluster.socketsTable())),
                              5000);
    QVERIFY(joinAndRefresh(u"before-kill"_s));
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(n0, SocketsModel::Rooms) == u"before-kill",
                              qPrintable(dump(cluster.socketsTable())), 5000);

    QVERIFY(beta->kill());
    QTRY_VERIFY_WITH_TIMEOUT(cluster.nodeStatus(u"beta"_s) == u"stale", 6000);

    // After: the same.
    QVERIFY(joinAndRefresh(u"after-kill"_s));
    QTRY_VERIFY2_WITH_TIMEOUT(cluster.socketCell(n0, SocketsModel::Rooms) ==
                                  u"after-kill, before-kill",
                              qPrintable(dump(cluster.socketsTable())), 5000);
    QCOMPARE(cluster.nodeStatus(u"alpha"_s), u"live"_s);
}

// 20 000 sockets on 4 nodes in 5 000 rooms, then all but a few disconnect in the batches the
// nodes publish (one per node every 100 ms): the window fed directly through its models, as
// its watcher would. The selected survivor stays selected and is what Disconnect would hit, and
// the views' proxies see a bounded number of structural changes per batch, not one per socket.
// The time the GUI thread spends on each batch is printed: the figure of docs/benchmarks.md
// ("mass disconnect, in-process").
void tst_ConsoleGui::massDisconnectKeepsTheSelection()
{
    constexpr int Nodes = 4;
    constexpr int Sockets = 20000;
    constexpr int PerBatch = 250; // a node's batch of 100 ms when 20 000 go within 2 s
    constexpr int Rooms = 5000;
    constexpr int Survivors = 8; // ids kept: every 2500th socket
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showTab(u"sockets"_s);
    // The nodes' presence records, once a second in a real cluster: without them the nodes
    // would go, and their sockets with them.
    const auto announce = [&window] {
        for (int n = 0; n < Nodes; ++n) {
            switchboard::cluster::NodePresence p;
            p.uid = u"node%1"_s.arg(n);
            p.name = u"bench-%1"_s.arg(n);
            p.startedAt = p.time = QDateTime::currentMSecsSinceEpoch();
            p.connections = {{kRoot, Sockets / Nodes}};
            window.nodesModel()->onPresence(p);
        }
    };
    announce();
    const auto id = [](int i) { return u"sock-%1-xxxxxxxxxxxx"_s.arg(i, 6, 10, QLatin1Char('0')); };
    const auto survivor = [](int i) { return i % (Sockets / Survivors) == 7; };
    using switchboard::cluster::SocketEvent;
    // Socket i is on node i % Nodes. The nodes' connect batches each hold a block of their
    // sockets; their disconnect batches are spread over every block (the load generators
    // close their sockets in their own order): batch b holds the sockets i with
    // i % Batches == b, each of them far from the others in the table.
    constexpr int Batches = Sockets / PerBatch;
    const auto connects = [&](int node, int first) {
        QList<SocketEvent> events;
        for (int i = first + node; i < first + Nodes * PerBatch; i += Nodes) {
            SocketEvent e;
            e.kind = SocketEvent::Kind::Connect;
            e.nsp = e.socket.nsp = kRoot;
            e.id = e.socket.id = id(i);
            e.socket.rooms = {u"room-%1"_s.arg(i % Rooms)};
            e.socket.address = u"127.0.0.1"_s;
            e.socket.connectedAt = 1795312888828 + i;
            events << e;
        }
        return events;
    };
    const auto disconnects = [&](int batch) {
        QList<SocketEvent> events;
        for (int i = batch; i < Sockets; i += Batches) {
            if (survivor(i))
                continue;
            SocketEvent e;
            e.kind = SocketEvent::Kind::Disconnect;
            e.nsp = kRoot;
            e.id = id(i);
            events << e;
        }
        return events;
    };
    QTableView *sockets = window.findChild<QTableView *>(u"socketsView"_s);
    QTableView *rooms = window.findChild<QTableView *>(u"roomsView"_s);
    QVERIFY(sockets && rooms);
    // The columns are fitted once the first rows settled, long before sockets go.
    QSignalSpy socketsFitted(sockets->horizontalHeader(), &QHeaderView::sectionResized);
    QSignalSpy roomsFitted(rooms->horizontalHeader(), &QHeaderView::sectionResized);
    // Announced all along: a slow build (the sanitized one) takes longer than a presence
    // record lives to get here, and a node whose record expired takes its sockets along.
    for (int first = 0; first < Sockets; first += Nodes * PerBatch) {
        announce();
        for (int n = 0; n < Nodes; ++n)
            window.socketsModel()->onSocketEvents(u"node%1"_s.arg(n), connects(n, first));
        QCoreApplication::processEvents();
    }
    QTRY_VERIFY_WITH_TIMEOUT((announce(), !socketsFitted.isEmpty() && !roomsFitted.isEmpty()),
                             10000);
    announce();
    QCOMPARE(window.socketsModel()->rowCount(), Sockets);
    QCOMPARE(window.roomsModel()->rowCount(), Rooms);

    // A survivor selected in the sockets view, a room of a survivor in the rooms view.
    const QString chosen = id(Sockets / Survivors * 3 + 7);
    announce();
    QCOMPARE(selectRows(sockets, SocketsModel::Id, {chosen}), 1);
    const QString chosenRoom = u"room-%1"_s.arg((Sockets / Survivors * 3 + 7) % Rooms);
    QCOMPARE(selectRows(rooms, RoomsModel::Room, {chosenRoom}), 1);
    QCOMPARE(window.socketsView()->selectedSockets(),
             (QMap<QString, QStringList>{{kRoot, {chosen}}}));

    QSignalSpy socketsRemoved(sockets->model(), &QAbstractItemModel::rowsRemoved);
    QSignalSpy socketsLayout(sockets->model(), &QAbstractItemModel::layoutChanged);
    QSignalSpy roomsRemoved(rooms->model(), &QAbstractItemModel::rowsRemoved);
    QSignalSpy roomsLayout(rooms->model(), &QAbstractItemModel::layoutChanged);
    // CPU time of the GUI thread: the figure that does not depend on what else the machine runs.
    const auto cpuMs = [] {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return double(t.tv_sec) * 1000 + double(t.tv_nsec) / 1e6;
    };
    const double start = cpuMs();
    double longest = 0;
    int batches = 0;
    for (int b = 0; b < Batches; ++b) {
        if (b % 10 == 0)
            announce();
        const double before = cpuMs();
        window.socketsModel()->onSocketEvents(u"node%1"_s.arg(b % Nodes), disconnects(b));
        QCoreApplication::processEvents(); // the views' relayout and painting
        longest = std::max(longest, cpuMs() - before);
        if (qEnvironmentVariableIsSet("DEBUG_BATCHES"))
            qInfo("batch %d %.1f", b, cpuMs() - before);
        ++batches;
    }
    qInfo("mass disconnect: %d batches of %d, GUI thread CPU %.0f ms in all, longest batch "
          "%.1f ms; proxies: sockets %lld removals %lld layouts, rooms %lld removals %lld layouts",
          batches, PerBatch, cpuMs() - start, longest, qint64(socketsRemoved.size()),
          qint64(socketsLayout.size()), qint64(roomsRemoved.size()), qint64(roomsLayout.size()));
    QCOMPARE(window.socketsModel()->rowCount(), Survivors);
    QStringList inChosenRoom; // the survivors that share its room
    QSet<QString> survivorRooms;
    for (int i = 0; i < Sockets; ++i)
        if (survivor(i)) {
            survivorRooms.insert(u"room-%1"_s.arg(i % Rooms));
            if (u"room-%1"_s.arg(i % Rooms) == chosenRoom)
                inChosenRoom << id(i);
        }
    QCOMPARE(window.roomsModel()->rowCount(), survivorRooms.size());
    QCOMPARE(window.socketsView()->selectedSockets(),
             (QMap<QString, QStringList>{{kRoot, {chosen}}}));
    QTRY_COMPARE(window.roomsView()->members(), inChosenRoom);
    // A bounded number of structural changes per batch reaches the views, not one per socket.
    QVERIFY2(socketsRemoved.size() + socketsLayout.size() <= 2 * batches,
             qPrintable(QString::number(socketsRemoved.size() + socketsLayout.size())));
    QVERIFY2(roomsRemoved.size() + roomsLayout.size() <= 3 * batches,
             qPrintable(QString::number(roomsRemoved.size() + roomsLayout.size())));
}

// Pending acks are failed when the watcher disconnects; a callback may call the watcher back
// (disconnect again, inject again) while the others are still to be called. Each callback runs
// exactly once, and the watcher is usable afterwards (under ASan the old loop over the acks
// was a use-after-free).
void tst_ConsoleGui::ackCallbacksMayCallTheWatcher()
{
    Cluster cluster;
    START(cluster);
    ClusterWatcher *watcher = cluster.window->watcher();
    QStringList calls;
    const auto record = [&calls](const QString &name) {
        return [&calls, name](const QString &error, int, const QVariantList &) {
            calls << name + u": "_s + error;
        };
    };
    watcher->injectWithAck(kRoot, {}, {}, u"first"_s, {}, 4000,
                           [&](const QString &error, int clients, const QVariantList &replies) {
                               record(u"first"_s)(error, clients, replies);
                               watcher->disconnectFrom();
                               watcher->injectWithAck(kRoot, {}, {}, u"third"_s, {}, 4000,
                                                      record(u"third"_s));
                           });
    watcher->injectWithAck(kRoot, {}, {}, u"second"_s, {}, 4000,
                           [&](const QString &error, int clients, const QVariantList &replies) {
                               record(u"second"_s)(error, clients, replies);
                               watcher->disconnectFrom();
                           });
    watcher->injectWithAck(kRoot, {}, {}, u"fourth"_s, {}, 4000, record(u"fourth"_s));
    // Before Redis answered anything: every ack is pending.
    QVERIFY(calls.isEmpty());
    watcher->disconnectFrom();
    QCOMPARE(watcher->state(), ClusterWatcher::State::Disconnected);
    calls.sort();
    QCOMPARE(calls, (QStringList{u"first: disconnected"_s, u"fourth: disconnected"_s,
                                 u"second: disconnected"_s, u"third: not connected to Redis"_s}));
    // None is called again, at its timeout or ever.
    QVERIFY(!QTest::qWaitFor([&calls] { return calls.size() > 4; }, 500));
    watcher->connectTo(switchboard::redis::Url::parse(cluster.redis.url()).value(), u"socket.io"_s);
    OK(Cluster::waitConnected(cluster.window.get()));
}

// Columns fit their titles from the start, and widen when a longer name or id arrives after the
// first fit; a column the user resized stays as the user left it.
void tst_ConsoleGui::columnsFitWhatArrivesLater()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTableView *nodes = window.nodesView();
    QHeaderView *header = nodes->horizontalHeader();
    const QFontMetrics titles(header->font());
    for (int c = 0; c < header->count() - 1; ++c) { // the last one stretches
        const QString title = nodes->model()->headerData(c, Qt::Horizontal).toString();
        QVERIFY2(header->sectionSize(c) >= titles.horizontalAdvance(title),
                 qPrintable(u"%1: %2 px"_s.arg(title).arg(header->sectionSize(c))));
    }
    const auto presence = [](const QString &uid, const QString &name) {
        switchboard::cluster::NodePresence p;
        p.uid = uid;
        p.name = name;
        p.startedAt = p.time = QDateTime::currentMSecsSinceEpoch();
        return p;
    };
    const QFontMetrics cells(nodes->font());
    const auto fits = [&](int column, const QString &text) {
        return header->sectionSize(column) >= cells.horizontalAdvance(text);
    };
    // The first fit, once the first rows settled; then a long name, later.
    QSignalSpy resized(header, &QHeaderView::sectionResized);
    window.nodesModel()->onPresence(presence(u"aaaaaa"_s, u"a"_s));
    QVERIFY(resized.wait(10000));
    QVERIFY(fits(NodesModel::Uid, u"aaaaaa"_s));
    const QString longName = u"a-node-whose-name-is-much-longer-than-the-first"_s;
    window.nodesModel()->onPresence(presence(u"bbbbbb"_s, longName));
    QTRY_VERIFY2_WITH_TIMEOUT(fits(NodesModel::Name, longName),
                              qPrintable(QString::number(header->sectionSize(NodesModel::Name))),
                              10000);

    // Socket ids (20 characters) in the sockets view, arriving over time.
    window.showTab(u"sockets"_s);
    QTableView *sockets = window.socketsView()->table();
    const QString id = u"Xq3Yv8pZr2LmNc7WbA1s"_s;
    switchboard::cluster::SocketEvent connect;
    connect.nsp = kRoot;
    connect.id = connect.socket.id = id;
    connect.socket.nsp = kRoot;
    window.socketsModel()->onSocketEvents(u"aaaaaa"_s, {connect});
    QTRY_VERIFY_WITH_TIMEOUT(sockets->horizontalHeader()->sectionSize(SocketsModel::Id) >=
                                 QFontMetrics(sockets->font()).horizontalAdvance(id),
                             10000);

    // The user narrows the Name column: a longer name does not undo it.
    header->resizeSection(NodesModel::Name, 40);
    window.nodesModel()->onPresence(presence(u"cccccc"_s, longName + u"-and-more"_s));
    QVERIFY(!QTest::qWaitFor([&] { return header->sectionSize(NodesModel::Name) != 40; },
                             4 * switchboard::console::ColumnFitter::GrowMs));
}

// Started with --redis, the console records the connection as the connect dialog does: in the
// recent connections, without the password unless that connection keeps its password.
void tst_ConsoleGui::recentConnectionFromTheCommandLine()
{
    using switchboard::console::RecentConnections;
    QSettings settings;
    settings.remove(u"recentConnections"_s);
    const ConsoleOptions::Outcome parsed =
        ConsoleOptions::parse({u"switchboard-console"_s, u"--redis"_s,
                               u"redis://ops:hunter2@127.0.0.1:1/2"_s, u"--key"_s, u"cluster-a"_s});
    QVERIFY(!parsed.exitNow);
    {
        MainWindow window;
        window.connectAndRemember(*parsed.options.url, parsed.options.key);
    }
    settings.sync();
    QList<RecentConnections::Entry> entries = RecentConnections(&settings).load();
    QCOMPARE(entries.size(), 1);
    QVERIFY2(entries.first().url.startsWith(u"redis://127.0.0.1:1"_s),
             qPrintable(entries.first().url));
    QVERIFY(!entries.first().url.contains(u"hunter2"_s));
    QCOMPARE(entries.first().user, u"ops"_s);
    QCOMPARE(entries.first().key, u"cluster-a"_s);
    QCOMPARE(entries.first().password, QString());
    QVERIFY(!entries.first().rememberPassword);
    QFile file(settings.fileName());
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(settings.fileName()));
    QVERIFY(!file.readAll().contains("hunter2"));
    // The connect dialog offers it.
    {
        switchboard::console::ConnectDialog dialog(&settings);
        auto *recent = dialog.findChild<QListWidget *>(u"recentConnections"_s);
        QVERIFY(recent);
        QCOMPARE(recent->count(), 1);
        QVERIFY(recent->item(0)->text().contains(u"127.0.0.1:1"_s));
    }

    // An entry that keeps its password keeps the one given now.
    RecentConnections::Entry kept = entries.first();
    kept.rememberPassword = true;
    kept.password = u"old"_s;
    RecentConnections(&settings).remember(kept);
    {
        MainWindow window;
        window.connectAndRemember(*parsed.options.url, parsed.options.key);
    }
    entries = RecentConnections(&settings).load();
    QCOMPARE(entries.size(), 1);
    QVERIFY(entries.first().rememberPassword);
    QCOMPARE(entries.first().password, u"hunter2"_s);
    settings.remove(u"recentConnections"_s);
}

QTEST_MAIN(tst_ConsoleGui)
#include "tst_consolegui.moc"
