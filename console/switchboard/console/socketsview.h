// The sockets of the cluster, filtered by text, node, namespace and room, and the actions an
// operator takes on the selected ones (join, leave, disconnect), sent through the watcher.
#pragma once

#include <QMap>
#include <QSet>
#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <functional>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QToolBar;
class QModelIndex;

namespace switchboard::console {

class ClusterWatcher;
class NodesModel;
class RoomsModel;
class SocketsFilter;
class SocketsModel;

class SocketsView : public QWidget
{
    Q_OBJECT
public:
    static constexpr int ChoicesRefreshMs = 1000;
    static constexpr int CountRefreshMs = 100;
    static constexpr int ListedInConfirmation = 12;

    SocketsView(ClusterWatcher *watcher, SocketsModel *sockets, const NodesModel *nodes,
                const RoomsModel *rooms, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    SocketsFilter *filter() const { return m_filter; }
    QAction *joinAction() const { return m_join; }
    QAction *leaveAction() const { return m_leave; }
    QAction *disconnectAction() const { return m_disconnect; }
    QLineEdit *filterEdit() const { return m_text; }

    // An action put first in the toolbar and the context menu (inject).
    void setLeadingAction(QAction *action);
    // False when disconnected or read-only: every action is disabled.
    void setActionsAllowed(bool allowed);

    // The selected sockets, namespace -> socket ids.
    QMap<QString, QStringList> selectedSockets() const;
    int selectedCount() const;
    // The actions, without their dialogs; each sends one request per namespace.
    void joinSelected(const QStringList &rooms);
    void leaveSelected(const QStringList &rooms);
    void disconnectSelected(bool close);

    // Sets the node, namespace and room filters ("" = any), e.g. from a double-click elsewhere.
    void showOnly(const QString &nodeUid, const QString &nsp, const QString &room);

    // Rebuilds the node, namespace and room choices now (they follow the models on a timer).
    void refreshChoices();
    QString countText() const;

    // "a, b ,c" -> ["a", "b", "c"]
    static QStringList splitList(const QString &text);

Q_SIGNALS:
    void selectionChanged();

private:
    void askJoin();
    void askLeave();
    void askDisconnect();
    void updateCount();
    void updateActionStates();
    void onSelectionChanged();
    QStringList roomsOfNamespaces(const QSet<QString> &namespaces) const;
    // One request per namespace of the selection; nothing when actions are not allowed.
    void forEachNamespace(
        const std::function<void(const QString &nsp, const QStringList &ids)> &act) const;

    ClusterWatcher *m_watcher;
    SocketsModel *m_sockets;
    const NodesModel *m_nodes;
    const RoomsModel *m_rooms;
    SocketsFilter *m_filter;
    QTableView *m_table;
    QToolBar *m_toolBar;
    QLineEdit *m_text;
    QComboBox *m_node;
    QComboBox *m_namespace;
    QComboBox *m_room;
    QLabel *m_count;
    QAction *m_join;
    QAction *m_leave;
    QAction *m_disconnect;
    QAction *m_separator;
    bool m_allowed = false;
    QSet<QString> m_socketNamespaces;
    bool m_socketsChanged = true;
    QTimer m_choicesTimer;
    QTimer m_countTimer;
};

} // namespace switchboard::console
