#include "switchboard/console/mainwindow.h"

#include "switchboard/console/chartsview.h"
#include "switchboard/console/connectdialog.h"
#include "switchboard/console/connectionstatus.h"
#include "switchboard/console/injectdialog.h"
#include "switchboard/console/nodesmodel.h"
#include "switchboard/console/roomsview.h"
#include "switchboard/console/socketsmodel.h"
#include "switchboard/console/socketsview.h"
#include "switchboard/console/tableviews.h"
#include "switchboard/console/trafficmodel.h"
#include "switchboard/console/trafficview.h"

#include <QAction>
#include <QApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>

namespace switchboard::console {

namespace {

struct Tab
{
    const char *name;
    const char *title;
};
constexpr Tab Tabs[] = {
    {"nodes", QT_TRANSLATE_NOOP("switchboard::console::MainWindow", "&Nodes")},
    {"sockets", QT_TRANSLATE_NOOP("switchboard::console::MainWindow", "&Sockets")},
    {"rooms", QT_TRANSLATE_NOOP("switchboard::console::MainWindow", "&Rooms")},
    {"traffic", QT_TRANSLATE_NOOP("switchboard::console::MainWindow", "&Traffic")},
    {"charts", QT_TRANSLATE_NOOP("switchboard::console::MainWindow", "&Charts")}};

} // namespace

MainWindow::MainWindow(bool readOnly, QWidget *parent) : QMainWindow(parent), m_readOnly(readOnly)
{
    setObjectName(QStringLiteral("mainWindow"));
    createModels();
    createViews();
    createActions();
    createMenus();

    m_status = new ConnectionStatus(this);
    m_status->setObjectName(QStringLiteral("connectionStatus"));
    m_status->setReadOnly(readOnly);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("clusterSummary"));
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_summary);
    connect(m_watcher, &ClusterWatcher::stateChanged, this, &MainWindow::onStateChanged);
    m_summaryTimer.setInterval(SummaryRefreshMs);
    connect(&m_summaryTimer, &QTimer::timeout, this, &MainWindow::updateSummary);
    m_summaryTimer.start();

    resize(1200, 760);
    onStateChanged(ClusterWatcher::State::Disconnected, {});
}

MainWindow::~MainWindow()
{
    // The watcher reports its last state and fails pending acks as it goes: not to this
    // half-destroyed window.
    disconnect(m_watcher, nullptr, this, nullptr);
    delete m_watcher;
}

void MainWindow::createModels()
{
    m_watcher = new ClusterWatcher(this);
    m_nodes = new NodesModel(this);
    m_sockets = new SocketsModel(m_nodes, this);
    m_rooms = new RoomsModel(this);
    m_traffic = new TrafficModel(m_nodes, 10000, this);
    m_nodes->setOwnUid(m_watcher->uid());

    connect(m_watcher, &ClusterWatcher::presence, m_nodes, &NodesModel::onPresence);
    connect(m_watcher, &ClusterWatcher::uidSeen, m_nodes, &NodesModel::onUidSeen);
    connect(m_watcher, &ClusterWatcher::serverCount, m_nodes, &NodesModel::onServerCount);
    connect(m_watcher, &ClusterWatcher::socketList, m_sockets, &SocketsModel::onSocketList);
    connect(m_watcher, &ClusterWatcher::socketEvents, m_sockets, &SocketsModel::onSocketEvents);
    connect(m_watcher, &ClusterWatcher::foreignSockets, m_sockets, &SocketsModel::onForeignSockets);
    connect(m_nodes, &NodesModel::nodeGone, m_sockets, &SocketsModel::onNodeGone);
    connect(m_sockets, &SocketsModel::membershipsChanged, m_rooms, &RoomsModel::onMemberships);
    connect(m_sockets, &SocketsModel::foreignCountChanged, m_nodes, &NodesModel::onForeignCount);
    connect(m_watcher, &ClusterWatcher::traffic, m_traffic, &TrafficModel::onTraffic);
}

void MainWindow::createViews()
{
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setDocumentMode(true);
    setCentralWidget(m_tabs);

    m_nodesProxy = new QSortFilterProxyModel(this);
    m_nodesProxy->setSourceModel(m_nodes);
    m_nodesProxy->setSortRole(Qt::UserRole + 1);
    m_nodesProxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_nodesView = new QTableView(this);
    m_nodesView->setObjectName(QStringLiteral("nodesView"));
    m_nodesView->setModel(m_nodesProxy);
    setUpTable(m_nodesView);
    m_nodesView->sortByColumn(NodesModel::Name, Qt::AscendingOrder);
    m_nodesView->setSortingEnabled(true);
    m_nodesView->setToolTip(tr("Double-click a node to list its sockets"));
    new ColumnFitter(m_nodesView);

    m_socketsView = new SocketsView(m_watcher, m_sockets, m_nodes, m_rooms, this);
    m_roomsView = new RoomsView(m_rooms, this);
    m_trafficView = new TrafficView(m_traffic, this);
    m_chartsView = new ChartsView(m_nodes, this);

    const QList<QWidget *> pages{m_nodesView, m_socketsView, m_roomsView, m_trafficView,
                                 m_chartsView};
    for (int i = 0; i < pages.size(); ++i) {
        m_tabs->addTab(pages.at(i), tr(Tabs[i].title));
        m_pages.insert(QString::fromLatin1(Tabs[i].name), pages.at(i));
    }

    connect(m_nodesView, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const NodesModel::Row *row = m_nodes->row(m_nodesProxy->mapToSource(index).row());
        if (!row || row->foreign)
            return;
        m_socketsView->showOnly(row->uid, {}, {});
        showTab(QStringLiteral("sockets"));
    });
    connect(m_roomsView->table(), &QTableView::doubleClicked, this,
            [this](const QModelIndex &index) {
                const QModelIndex row = index.siblingAtColumn(RoomsModel::Namespace);
                m_socketsView->showOnly({}, row.data().toString(),
                                        index.siblingAtColumn(RoomsModel::Room).data().toString());
                showTab(QStringLiteral("sockets"));
            });
}

void MainWindow::createActions()
{
    m_connectAction = new QAction(tr("&Connect…"), this);
    m_connectAction->setObjectName(QStringLiteral("connectAction"));
    m_connectAction->setShortcut(QKeySequence::Open);
    connect(m_connectAction, &QAction::triggered, this, &MainWindow::showConnectDialog);

    m_disconnectAction = new QAction(tr("&Disconnect"), this);
    m_disconnectAction->setObjectName(QStringLiteral("disconnectClusterAction"));
    m_disconnectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_W));
    connect(m_disconnectAction, &QAction::triggered, this, &MainWindow::disconnectFromCluster);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setObjectName(QStringLiteral("quitAction"));
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_injectAction =
        new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Inject event…"), this);
    m_injectAction->setObjectName(QStringLiteral("injectAction"));
    m_injectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    m_injectAction->setToolTip(tr("Emit an event to a namespace, rooms or the selected sockets"));
    connect(m_injectAction, &QAction::triggered, this, &MainWindow::openInjectDialog);
    m_socketsView->setLeadingAction(m_injectAction);

    m_refreshAction = new QAction(tr("&Refresh sockets"), this);
    m_refreshAction->setObjectName(QStringLiteral("refreshAction"));
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    connect(m_refreshAction, &QAction::triggered, m_watcher, &ClusterWatcher::refreshSockets);

    m_fitAction = new QAction(tr("&Fit columns to contents"), this);
    m_fitAction->setObjectName(QStringLiteral("fitColumnsAction"));
    m_fitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    connect(m_fitAction, &QAction::triggered, this, &MainWindow::fitColumns);

    m_findAction = new QAction(tr("&Filter…"), this);
    m_findAction->setObjectName(QStringLiteral("findAction"));
    m_findAction->setShortcut(QKeySequence::Find);
    connect(m_findAction, &QAction::triggered, this, &MainWindow::focusFilter);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_connectAction);
    file->addAction(m_disconnectAction);
    file->addSeparator();
    file->addAction(m_trafficView->exportAction());
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_tabs->count(); ++i) {
        QAction *show = view->addAction(m_tabs->tabText(i));
        show->setShortcut(QKeySequence(QKeyCombination(Qt::CTRL, Qt::Key(Qt::Key_1 + i))));
        connect(show, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    view->addAction(m_findAction);
    view->addAction(m_fitAction);
    view->addAction(m_refreshAction);
    view->addSeparator();
    view->addAction(m_trafficView->pauseAction());
    view->addAction(m_trafficView->clearAction());

    QMenu *act = menuBar()->addMenu(tr("&Cluster"));
    act->addAction(m_injectAction);
    act->addSeparator();
    act->addAction(m_socketsView->joinAction());
    act->addAction(m_socketsView->leaveAction());
    act->addAction(m_socketsView->disconnectAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about =
        help->addAction(tr("&About Switchboard console"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("aboutAction"));
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt)
        ->setMenuRole(QAction::AboutQtRole);
}

void MainWindow::connectTo(const redis::Url &url, const QString &key)
{
    m_sockets->clear();
    m_rooms->clear();
    m_nodes->clear();
    m_traffic->clear();
    m_key = key;
    m_watcher->connectTo(url, key);
    updateTitle();
}

void MainWindow::connectAndRemember(const redis::Url &url, const QString &key)
{
    QSettings settings;
    RecentConnections(&settings).remember(url, key);
    connectTo(url, key);
}

void MainWindow::disconnectFromCluster()
{
    m_watcher->disconnectFrom();
    updateTitle();
}

void MainWindow::showConnectDialog()
{
    QSettings settings;
    ConnectDialog dialog(&settings, this);
    if (!m_defaultKey.isEmpty())
        dialog.setKey(m_defaultKey);
    if (dialog.exec() == QDialog::Accepted)
        connectTo(dialog.url(), dialog.key());
}

void MainWindow::onStateChanged(ClusterWatcher::State state, const QString &detail)
{
    m_status->setState(state, detail);
    updateActions();
    updateTitle();
    updateSummary();
}

void MainWindow::updateActions()
{
    const ClusterWatcher::State state = m_watcher->state();
    const bool allowed = !m_readOnly && state == ClusterWatcher::State::Connected;
    m_injectAction->setEnabled(allowed);
    m_socketsView->setActionsAllowed(allowed);
    if (m_injectDialog)
        m_injectDialog->setSendAllowed(
            allowed, m_readOnly ? tr("Read-only: events cannot be sent.")
                                : tr("Not connected to Redis: events cannot be sent."));
    m_disconnectAction->setEnabled(state != ClusterWatcher::State::Disconnected);
    m_refreshAction->setEnabled(state == ClusterWatcher::State::Connected);
}

void MainWindow::updateTitle()
{
    QString title = tr("Switchboard console");
    if (m_watcher->state() != ClusterWatcher::State::Disconnected)
        title = tr("%1 (key %2) — %3").arg(m_watcher->url().redacted(), m_key, title);
    if (m_readOnly)
        title += tr(" [read-only]");
    setWindowTitle(title);
}

void MainWindow::updateSummary()
{
    int switchboard = 0;
    for (int i = 0; i < m_nodes->rowCount(); ++i) {
        const NodesModel::Row *r = m_nodes->row(i);
        switchboard += !r->foreign && r->health == NodesModel::Health::Live ? 1 : 0;
    }
    m_summary->setText(tr("%1 live nodes (%2 Switchboard) · %3 sockets · %4 rooms · %5 msg/s")
                           .arg(m_nodes->liveCount())
                           .arg(switchboard)
                           .arg(m_sockets->rowCount())
                           .arg(m_rooms->rowCount())
                           .arg(qRound(m_traffic->messagesPerSecond())));
}

QStringList MainWindow::tabNames()
{
    QStringList names;
    for (const Tab &tab : Tabs)
        names.append(QString::fromLatin1(tab.name));
    return names;
}

void MainWindow::showTab(const QString &objectName)
{
    QWidget *page = m_pages.value(objectName);
    for (int i = 0; !page && i < m_tabs->count(); ++i) {
        QWidget *candidate = m_tabs->widget(i);
        if (candidate->objectName() == objectName || candidate->findChild<QObject *>(objectName))
            page = candidate;
    }
    if (page)
        m_tabs->setCurrentWidget(page);
}

void MainWindow::fitColumns()
{
    if (auto *table = qobject_cast<QTableView *>(m_tabs->currentWidget()))
        console::fitColumns(table);
    else if (m_tabs->currentWidget() == m_socketsView)
        console::fitColumns(m_socketsView->table());
    else if (m_tabs->currentWidget() == m_roomsView)
        console::fitColumns(m_roomsView->table());
    else if (m_tabs->currentWidget() == m_trafficView)
        console::fitColumns(m_trafficView->table());
}

void MainWindow::focusFilter()
{
    if (m_tabs->currentWidget() == m_trafficView) {
        m_trafficView->filterEdit()->setFocus(Qt::ShortcutFocusReason);
        m_trafficView->filterEdit()->selectAll();
        return;
    }
    showTab(QStringLiteral("sockets"));
    m_socketsView->filterEdit()->setFocus(Qt::ShortcutFocusReason);
    m_socketsView->filterEdit()->selectAll();
}

QStringList MainWindow::knownNamespaces() const
{
    QSet<QString> namespaces;
    for (int i = 0; i < m_nodes->rowCount(); ++i)
        namespaces.unite(m_nodes->row(i)->namespaces);
    for (int i = 0; i < m_sockets->rowCount(); ++i)
        namespaces.insert(m_sockets->row(i)->socket.nsp);
    QStringList sorted(namespaces.cbegin(), namespaces.cend());
    sorted.sort();
    return sorted;
}

InjectDialog *MainWindow::openInjectDialog()
{
    if (!m_injectDialog) {
        m_injectDialog = new InjectDialog(m_watcher, knownNamespaces(), this);
        m_injectDialog->setAttribute(Qt::WA_DeleteOnClose);
        const QMap<QString, QStringList> selected = m_socketsView->selectedSockets();
        if (selected.size() == 1) {
            m_injectDialog->setNamespace(selected.firstKey());
            m_injectDialog->setTarget(InjectDialog::Target::Sockets, selected.first());
        }
        updateActions();
    }
    m_injectDialog->show();
    m_injectDialog->raise();
    m_injectDialog->activateWindow();
    return m_injectDialog;
}

void MainWindow::showAbout()
{
    QMessageBox::about(
        this, tr("About Switchboard console"),
        tr("<h3>Switchboard console %1</h3>"
           "<p>Watches a Socket.IO cluster through its Redis server: Switchboard nodes by their "
           "presence records, Node.js socket.io servers by the <code>@socket.io/redis-adapter"
           "</code> traffic they publish.</p>"
           "<p>Actions (inject, join, leave, disconnect) are requests of the adapter protocol, so "
           "every server of the cluster obeys them.</p>")
            .arg(QStringLiteral(SWITCHBOARD_VERSION)));
}

} // namespace switchboard::console
