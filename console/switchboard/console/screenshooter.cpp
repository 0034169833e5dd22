#include "switchboard/console/screenshooter.h"

#include "switchboard/console/injectdialog.h"
#include "switchboard/console/mainwindow.h"
#include "switchboard/console/roomsview.h"
#include "switchboard/console/socketsview.h"

#include <QApplication>
#include <QItemSelectionModel>
#include <QTableView>

#include <cstdio>

namespace switchboard::console {

namespace {
const QString Inject = QStringLiteral("inject");
}

Screenshooter::Screenshooter(MainWindow *window, const QString &dir, int delayMs)
    : QObject(window), m_window(window), m_dir(dir), m_delayMs(delayMs)
{
    m_giveUp.setSingleShot(true);
    m_giveUp.setInterval(ConnectTimeoutMs);
    connect(&m_giveUp, &QTimer::timeout, this, [] {
        std::fprintf(stderr,
                     "switchboard-console: not connected to Redis after %d ms, no "
                     "screenshots taken\n",
                     ConnectTimeoutMs);
        QCoreApplication::exit(1);
    });
}

QStringList Screenshooter::fileNames()
{
    QStringList names;
    for (const QString &view : MainWindow::tabNames() + QStringList{Inject})
        names.append(view + QStringLiteral(".png"));
    return names;
}

void Screenshooter::start()
{
    if (!m_dir.mkpath(QStringLiteral("."))) {
        std::fprintf(stderr, "switchboard-console: cannot create %s\n",
                     qPrintable(m_dir.absolutePath()));
        QCoreApplication::exit(1);
        return;
    }
    m_queue = MainWindow::tabNames() + QStringList{Inject};
    ClusterWatcher *watcher = m_window->watcher();
    if (watcher->state() == ClusterWatcher::State::Connected) {
        onConnected();
        return;
    }
    connect(watcher, &ClusterWatcher::stateChanged, this, [this](ClusterWatcher::State state) {
        if (state == ClusterWatcher::State::Connected)
            onConnected();
    });
    m_giveUp.start();
}

void Screenshooter::onConnected()
{
    if (m_started)
        return;
    m_started = true;
    m_giveUp.stop();
    QTimer::singleShot(m_delayMs, this, [this] { prepare(m_queue.first()); });
}

// Puts a view in a state worth showing: a few selected sockets, the busiest room opened.
void Screenshooter::prepare(const QString &view)
{
    if (view == u"sockets") {
        QTableView *table = m_window->socketsView()->table();
        const int rows = std::min(3, table->model()->rowCount());
        if (rows > 0)
            table->selectionModel()->select(
                QItemSelection(table->model()->index(0, 0), table->model()->index(rows - 1, 0)),
                QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    } else if (view == u"rooms") {
        QTableView *table = m_window->roomsView()->table();
        if (table->model()->rowCount() > 0)
            table->selectRow(0);
    }
    if (view == Inject) {
        InjectDialog *dialog = m_window->openInjectDialog();
        dialog->setEvent(QStringLiteral("announcement"));
        dialog->setPayload(QStringLiteral("{\"text\": \"Maintenance at 18:00\", \"level\": 2}"));
        dialog->setWaitForAcks(true, 3000);
    } else {
        m_window->showTab(view);
    }
    QTimer::singleShot(SettleMs, this, [this, view] { take(view); });
}

void Screenshooter::take(const QString &view)
{
    QWidget *subject = m_window;
    if (view == Inject)
        subject = m_window->findChild<InjectDialog *>();
    const QString path = m_dir.absoluteFilePath(view + QStringLiteral(".png"));
    if (subject && subject->grab().save(path)) {
        std::printf("%s\n", qPrintable(path));
        std::fflush(stdout);
    } else {
        std::fprintf(stderr, "switchboard-console: could not save %s\n", qPrintable(path));
        m_ok = false;
    }
    m_queue.removeFirst();
    if (m_queue.isEmpty())
        finish();
    else
        prepare(m_queue.first());
}

void Screenshooter::finish()
{
    if (QWidget *dialog = m_window->findChild<InjectDialog *>())
        dialog->close();
    QCoreApplication::exit(m_ok ? 0 : 1);
}

} // namespace switchboard::console
