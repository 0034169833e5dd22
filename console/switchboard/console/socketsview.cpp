#include "switchboard/console/socketsview.h"

#include "switchboard/console/clusterwatcher.h"
#include "switchboard/console/nodesmodel.h"
#include "switchboard/console/socketsmodel.h"
#include "switchboard/console/tableviews.h"

#include <QAbstractButton>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QStyle>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace switchboard::console {

namespace {

using Choice = QPair<QString, QString>; // text, value ("" = any)

// Replaces a combo's items without losing its current value: a value that is no longer
// offered stays, so that the filter never changes behind the user's back.
void syncChoices(QComboBox *combo, QList<Choice> choices)
{
    const QString current = combo->currentData().toString();
    const QString currentText = combo->currentText();
    const bool offered = std::any_of(choices.cbegin(), choices.cend(),
                                     [&](const Choice &c) { return c.second == current; });
    if (!offered)
        choices.append({currentText, current});
    bool same = combo->count() == choices.size();
    for (int i = 0; same && i < combo->count(); ++i)
        same = combo->itemText(i) == choices.at(i).first &&
               combo->itemData(i).toString() == choices.at(i).second;
    if (same)
        return;
    const QSignalBlocker blocker(combo);
    combo->clear();
    for (const Choice &c : std::as_const(choices))
        combo->addItem(c.first, c.second);
    combo->setCurrentIndex(combo->findData(current));
}

void chooseValue(QComboBox *combo, const QString &value)
{
    int index = combo->findData(value);
    if (index < 0) {
        combo->addItem(value, value);
        index = combo->count() - 1;
    }
    combo->setCurrentIndex(index);
}

QComboBox *makeCombo(const QString &objectName, const QString &any, QWidget *parent)
{
    auto *combo = new QComboBox(parent);
    combo->setObjectName(objectName);
    combo->addItem(any, QString());
    combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    combo->setMinimumContentsLength(12);
    return combo;
}

} // namespace

SocketsView::SocketsView(ClusterWatcher *watcher, SocketsModel *sockets, const NodesModel *nodes,
                         const RoomsModel *rooms, QWidget *parent)
    : QWidget(parent), m_watcher(watcher), m_sockets(sockets), m_nodes(nodes), m_rooms(rooms),
      m_filter(new SocketsFilter(this)), m_table(new QTableView(this)),
      m_toolBar(new QToolBar(this)), m_text(new QLineEdit(this)),
      m_node(makeCombo(QStringLiteral("socketsNodeFilter"), tr("All nodes"), this)),
      m_namespace(makeCombo(QStringLiteral("socketsNamespaceFilter"), tr("All namespaces"), this)),
      m_room(makeCombo(QStringLiteral("socketsRoomFilter"), tr("All rooms"), this)),
      m_count(new QLabel(this))
{
    setObjectName(QStringLiteral("socketsPage"));
    m_table->setObjectName(QStringLiteral("socketsView"));
    m_text->setObjectName(QStringLiteral("socketsFilterText"));
    m_count->setObjectName(QStringLiteral("socketsCount"));
    m_toolBar->setObjectName(QStringLiteral("socketsToolBar"));

    m_filter->setSourceModel(sockets);
    m_filter->setSortRole(SocketsModel::SortRole);
    m_table->setModel(m_filter);
    setUpTable(m_table);
    // Unsorted until the user clicks a header: new sockets are then appended, not inserted.
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    new ColumnFitter(m_table);

    m_text->setPlaceholderText(tr("Filter sockets (id, address, rooms, user agent…)"));
    m_text->setClearButtonEnabled(true);

    const auto icon = [this](const char *theme, QStyle::StandardPixmap fallback) {
        return QIcon::fromTheme(QString::fromLatin1(theme), style()->standardIcon(fallback));
    };
    m_join = new QAction(icon("list-add", QStyle::SP_ArrowRight), tr("&Join room…"), this);
    m_join->setObjectName(QStringLiteral("joinAction"));
    m_join->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_J));
    m_join->setToolTip(tr("Make the selected sockets join rooms"));
    m_leave = new QAction(icon("list-remove", QStyle::SP_ArrowLeft), tr("&Leave room…"), this);
    m_leave->setObjectName(QStringLiteral("leaveAction"));
    m_leave->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_J));
    m_leave->setToolTip(tr("Make the selected sockets leave rooms"));
    m_disconnect =
        new QAction(icon("network-disconnect", QStyle::SP_BrowserStop), tr("&Disconnect…"), this);
    m_disconnect->setObjectName(QStringLiteral("disconnectAction"));
    m_disconnect->setShortcut(QKeySequence::Delete);
    // Delete elsewhere (another tab's table) must not reach the selected sockets.
    m_disconnect->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_disconnect->setToolTip(tr("Disconnect the selected sockets"));
    m_separator = new QAction(this);
    m_separator->setSeparator(true);
    connect(m_join, &QAction::triggered, this, &SocketsView::askJoin);
    connect(m_leave, &QAction::triggered, this, &SocketsView::askLeave);
    connect(m_disconnect, &QAction::triggered, this, &SocketsView::askDisconnect);

    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setIconSize(QSize(16, 16));
    m_toolBar->addActions({m_join, m_leave, m_disconnect});
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->addActions({m_join, m_leave, m_disconnect});

    auto *filters = new QHBoxLayout;
    filters->addWidget(m_text, 1);
    filters->addWidget(m_node);
    filters->addWidget(m_namespace);
    filters->addWidget(m_room);
    auto *top = new QHBoxLayout;
    top->addWidget(m_toolBar, 1);
    top->addWidget(m_count);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 6);
    layout->addLayout(top);
    layout->addLayout(filters);
    layout->addWidget(m_table, 1);

    applyWhenTypingPauses(m_text, [this](const QString &text) { m_filter->setText(text); });
    connect(m_node, &QComboBox::currentIndexChanged, this,
            [this] { m_filter->setNode(m_node->currentData().toString()); });
    connect(m_namespace, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setNamespace(m_namespace->currentData().toString());
        refreshChoices(); // the rooms offered are those of the namespace
    });
    connect(m_room, &QComboBox::currentIndexChanged, this,
            [this] { m_filter->setRoom(m_room->currentData().toString()); });

    m_choicesTimer.setSingleShot(true);
    m_choicesTimer.setInterval(ChoicesRefreshMs);
    connect(&m_choicesTimer, &QTimer::timeout, this, &SocketsView::refreshChoices);
    const auto choicesLater = [this] {
        if (!m_choicesTimer.isActive())
            m_choicesTimer.start();
    };
    const auto socketsChanged = [this, choicesLater] {
        m_socketsChanged = true;
        choicesLater();
    };
    connect(sockets, &QAbstractItemModel::rowsInserted, this, socketsChanged);
    connect(sockets, &QAbstractItemModel::rowsRemoved, this, socketsChanged);
    connect(sockets, &QAbstractItemModel::modelReset, this, socketsChanged);
    connect(nodes, &QAbstractItemModel::rowsInserted, this, choicesLater);
    connect(nodes, &QAbstractItemModel::dataChanged, this, choicesLater);
    connect(nodes, &QAbstractItemModel::modelReset, this, choicesLater);
    connect(rooms, &QAbstractItemModel::rowsInserted, this, choicesLater);
    connect(rooms, &QAbstractItemModel::rowsRemoved, this, choicesLater);
    connect(rooms, &QAbstractItemModel::modelReset, this, choicesLater);

    m_countTimer.setSingleShot(true);
    m_countTimer.setInterval(CountRefreshMs);
    connect(&m_countTimer, &QTimer::timeout, this, &SocketsView::updateCount);
    const auto countLater = [this] {
        if (!m_countTimer.isActive())
            m_countTimer.start();
    };
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, countLater);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, countLater);
    connect(m_filter, &QAbstractItemModel::modelReset, this, countLater);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, countLater);

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &SocketsView::onSelectionChanged);

    updateCount();
    updateActionStates();
}

void SocketsView::setLeadingAction(QAction *action)
{
    const QList<QAction *> tools = m_toolBar->actions();
    m_toolBar->insertAction(tools.value(0), action);
    m_toolBar->insertSeparator(tools.value(0));
    m_table->insertAction(m_join, action);
    m_table->insertAction(m_join, m_separator);
}

void SocketsView::setActionsAllowed(bool allowed)
{
    m_allowed = allowed;
    updateActionStates();
}

void SocketsView::updateActionStates()
{
    const bool enabled = m_allowed && m_table->selectionModel()->hasSelection();
    m_join->setEnabled(enabled);
    m_leave->setEnabled(enabled);
    m_disconnect->setEnabled(enabled);
}

void SocketsView::onSelectionChanged()
{
    updateActionStates();
    Q_EMIT selectionChanged();
}

QMap<QString, QStringList> SocketsView::selectedSockets() const
{
    return console::selectedSockets(*m_table->selectionModel());
}

int SocketsView::selectedCount() const
{
    return int(m_table->selectionModel()->selectedRows().size());
}

void SocketsView::forEachNamespace(
    const std::function<void(const QString &nsp, const QStringList &ids)> &act) const
{
    if (!m_allowed)
        return;
    const QMap<QString, QStringList> selected = selectedSockets();
    for (auto it = selected.cbegin(); it != selected.cend(); ++it)
        act(it.key(), it.value());
}

void SocketsView::joinSelected(const QStringList &rooms)
{
    if (!rooms.isEmpty())
        forEachNamespace([&](const QString &nsp, const QStringList &ids) {
            m_watcher->socketsJoin(nsp, ids, rooms);
        });
}

void SocketsView::leaveSelected(const QStringList &rooms)
{
    if (!rooms.isEmpty())
        forEachNamespace([&](const QString &nsp, const QStringList &ids) {
            m_watcher->socketsLeave(nsp, ids, rooms);
        });
}

void SocketsView::disconnectSelected(bool close)
{
    forEachNamespace([&](const QString &nsp, const QStringList &ids) {
        m_watcher->disconnectSockets(nsp, ids, close);
    });
}

QStringList SocketsView::splitList(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts))
        if (const QString item = part.trimmed(); !item.isEmpty() && !out.contains(item))
            out.append(item);
    return out;
}

QStringList SocketsView::roomsOfNamespaces(const QSet<QString> &namespaces) const
{
    QSet<QString> rooms;
    for (int r = 0; r < m_rooms->rowCount(); ++r) {
        const QString nsp = m_rooms->index(r, RoomsModel::Namespace).data().toString();
        if (namespaces.isEmpty() || namespaces.contains(nsp))
            rooms.insert(m_rooms->index(r, RoomsModel::Room).data().toString());
    }
    QStringList sorted(rooms.cbegin(), rooms.cend());
    sorted.sort(Qt::CaseInsensitive);
    return sorted;
}

void SocketsView::askJoin()
{
    const QMap<QString, QStringList> selected = selectedSockets();
    const int count = selectedCount();
    if (!m_allowed || count == 0)
        return;
    const QStringList known =
        roomsOfNamespaces(QSet<QString>(selected.keyBegin(), selected.keyEnd()));
    bool ok = false;
    const QString text = QInputDialog::getItem(
        this, tr("Join room"),
        tr("Rooms for %n selected socket(s) to join, comma-separated:", nullptr, count),
        QStringList{QString()} + known, 0, true, &ok);
    if (ok)
        joinSelected(splitList(text));
}

void SocketsView::askLeave()
{
    const int count = selectedCount();
    if (!m_allowed || count == 0)
        return;
    QSet<QString> rooms;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        for (const QString &room : index.data(SocketsModel::RoomsRole).toStringList())
            rooms.insert(room);
    QStringList sorted(rooms.cbegin(), rooms.cend());
    sorted.sort(Qt::CaseInsensitive);
    bool ok = false;
    const QString text = QInputDialog::getItem(
        this, tr("Leave room"),
        tr("Rooms for %n selected socket(s) to leave, comma-separated:", nullptr, count), sorted, 0,
        true, &ok);
    if (ok)
        leaveSelected(splitList(text));
}

void SocketsView::askDisconnect()
{
    const QMap<QString, QStringList> selected = selectedSockets();
    const int count = selectedCount();
    if (!m_allowed || count == 0)
        return;
    QStringList listed;
    for (auto it = selected.cbegin(); it != selected.cend(); ++it)
        for (const QString &id : it.value())
            if (listed.size() < ListedInConfirmation)
                listed.append(QStringLiteral("%1  (%2)").arg(id, it.key()));
    if (count > listed.size())
        listed.append(tr("… and %n more", nullptr, count - int(listed.size())));

    QMessageBox box(QMessageBox::Warning, tr("Disconnect sockets"),
                    tr("Disconnect %n socket(s)?", nullptr, count),
                    QMessageBox::Cancel | QMessageBox::Yes, this);
    box.setObjectName(QStringLiteral("disconnectConfirmation"));
    box.button(QMessageBox::Yes)->setText(tr("Disconnect"));
    box.setDefaultButton(QMessageBox::Cancel);
    box.setInformativeText(listed.join(u'\n'));
    auto *close = new QCheckBox(tr("Close the underlying connection (every namespace of the "
                                   "client is disconnected)"),
                                &box);
    close->setObjectName(QStringLiteral("closeConnection"));
    box.setCheckBox(close);
    if (box.exec() == QMessageBox::Yes)
        disconnectSelected(close->isChecked());
}

void SocketsView::updateCount()
{
    m_count->setText(countText());
}

QString SocketsView::countText() const
{
    return tr("%1 of %2 sockets").arg(m_filter->rowCount()).arg(m_sockets->rowCount());
}

void SocketsView::showOnly(const QString &nodeUid, const QString &nsp, const QString &room)
{
    m_text->clear();
    refreshChoices();
    chooseValue(m_node, nodeUid);
    chooseValue(m_namespace, nsp); // refreshes the rooms offered
    chooseValue(m_room, room);
}

void SocketsView::refreshChoices()
{
    QList<Choice> nodes{{tr("All nodes"), QString()}};
    QSet<QString> namespaces;
    for (int i = 0; i < m_nodes->rowCount(); ++i) {
        const NodesModel::Row *r = m_nodes->row(i);
        namespaces.unite(r->namespaces);
        if (r->foreign || r->unidentified)
            continue;
        const QString name = r->presence.name.isEmpty() ? r->uid : r->presence.name;
        nodes.append({tr("%1 (%2)").arg(name, r->uid), r->uid});
    }
    std::sort(nodes.begin() + 1, nodes.end());
    if (m_socketsChanged) {
        m_socketsChanged = false;
        m_socketNamespaces.clear();
        for (int i = 0; i < m_sockets->rowCount(); ++i)
            m_socketNamespaces.insert(m_sockets->row(i)->socket.nsp);
    }
    namespaces.unite(m_socketNamespaces);
    QStringList sortedNamespaces(namespaces.cbegin(), namespaces.cend());
    sortedNamespaces.sort();
    QList<Choice> nsps{{tr("All namespaces"), QString()}};
    for (const QString &nsp : std::as_const(sortedNamespaces))
        nsps.append({nsp, nsp});

    const QString nsp = m_namespace->currentData().toString();
    QList<Choice> rooms{{tr("All rooms"), QString()}};
    for (const QString &room :
         roomsOfNamespaces(nsp.isEmpty() ? QSet<QString>{} : QSet<QString>{nsp}))
        rooms.append({room, room});

    syncChoices(m_node, nodes);
    syncChoices(m_namespace, nsps);
    syncChoices(m_room, rooms);
}

} // namespace switchboard::console
