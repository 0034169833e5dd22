// The console's window: the models fed by one ClusterWatcher, a tab per view (nodes, sockets,
// rooms, traffic, charts), the menus, and the connection state in the status bar.
#pragma once

#include "switchboard/console/clusterwatcher.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

class QAction;
class QLabel;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;

namespace switchboard::console {

class ChartsView;
class ConnectionStatus;
class InjectDialog;
class NodesModel;
class RoomsModel;
class RoomsView;
class SocketsModel;
class SocketsView;
class TrafficModel;
class TrafficView;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    static constexpr int SummaryRefreshMs = 1000;

    explicit MainWindow(bool readOnly = false, QWidget *parent = nullptr);
    ~MainWindow() override;

    ClusterWatcher *watcher() const { return m_watcher; }
    NodesModel *nodesModel() const { return m_nodes; }
    SocketsModel *socketsModel() const { return m_sockets; }
    RoomsModel *roomsModel() const { return m_rooms; }
    TrafficModel *trafficModel() const { return m_traffic; }

    QTabWidget *tabs() const { return m_tabs; }
    QTableView *nodesView() const { return m_nodesView; }
    SocketsView *socketsView() const { return m_socketsView; }
    RoomsView *roomsView() const { return m_roomsView; }
    TrafficView *trafficView() const { return m_trafficView; }
    ChartsView *chartsView() const { return m_chartsView; }
    ConnectionStatus *connectionStatus() const { return m_status; }

    bool isReadOnly() const { return m_readOnly; }
    // The key the connect dialog proposes (--key).
    void setDefaultKey(const QString &key) { m_defaultKey = key; }
    void connectTo(const redis::Url &url, const QString &key);
    // connectTo() for a connection chosen outside the connect dialog (--redis): it goes into
    // the recent connections as the dialog's do.
    void connectAndRemember(const redis::Url &url, const QString &key);

    // Shows the tab named "nodes", "sockets", "rooms", "traffic" or "charts", or the one that is
    // or holds the widget of that objectName ("socketsView", "roomMembers", ...).
    void showTab(const QString &objectName);
    static QStringList tabNames();

    // The inject dialog, non-modal, prefilled with the selected sockets (one at a time).
    InjectDialog *openInjectDialog();
    // Namespaces known from presence records, traffic and sockets.
    QStringList knownNamespaces() const;

public Q_SLOTS:
    void showConnectDialog();
    void disconnectFromCluster();
    void fitColumns();

private:
    void createModels();
    void createViews();
    void createActions();
    void createMenus();
    void onStateChanged(ClusterWatcher::State state, const QString &detail);
    void updateActions();
    void updateTitle();
    void updateSummary();
    void focusFilter();
    void showAbout();

    bool m_readOnly;
    QString m_defaultKey;
    QString m_key; // of the current connection
    ClusterWatcher *m_watcher = nullptr;
    NodesModel *m_nodes = nullptr;
    SocketsModel *m_sockets = nullptr;
    RoomsModel *m_rooms = nullptr;
    TrafficModel *m_traffic = nullptr;

    QTabWidget *m_tabs = nullptr;
    QHash<QString, QWidget *> m_pages; // tab name -> page
    QSortFilterProxyModel *m_nodesProxy = nullptr;
    QTableView *m_nodesView = nullptr;
    SocketsView *m_socketsView = nullptr;
    RoomsView *m_roomsView = nullptr;
    TrafficView *m_trafficView = nullptr;
    ChartsView *m_chartsView = nullptr;
    ConnectionStatus *m_status = nullptr;
    QLabel *m_summary = nullptr;
    QPointer<InjectDialog> m_injectDialog;
    QTimer m_summaryTimer;

    QAction *m_connectAction = nullptr;
    QAction *m_disconnectAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_injectAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QAction *m_fitAction = nullptr;
    QAction *m_findAction = nullptr;
};

} // namespace switchboard::console
