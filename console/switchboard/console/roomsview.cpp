#include "switchboard/console/roomsview.h"

#include "switchboard/console/socketsmodel.h"
#include "switchboard/console/tableviews.h"

#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStringListModel>
#include <QTableView>
#include <QVBoxLayout>

namespace switchboard::console {

namespace {

// In single selection, when the current row goes, Qt makes the next row current and selects
// it: the members shown would silently become another room's. A room that goes takes the
// current index, and the selection if it held it, with it.
class RoomsTable : public QTableView
{
public:
    using QTableView::QTableView;

protected:
    void rowsAboutToBeRemoved(const QModelIndex &parent, int start, int end) override
    {
        const QModelIndex current = currentIndex();
        if (current.isValid() && current.parent() == parent && current.row() >= start &&
            current.row() <= end)
            selectionModel()->setCurrentIndex({}, QItemSelectionModel::NoUpdate);
        QTableView::rowsAboutToBeRemoved(parent, start, end);
    }
};

} // namespace

RoomsView::RoomsView(RoomsModel *rooms, QWidget *parent)
    : QWidget(parent), m_rooms(rooms), m_proxy(new QSortFilterProxyModel(this)),
      m_table(new RoomsTable(this)), m_title(new QLabel(this)), m_members(new QListView(this)),
      m_memberList(new QStringListModel(this))
{
    setObjectName(QStringLiteral("roomsPage"));
    m_table->setObjectName(QStringLiteral("roomsView"));
    m_members->setObjectName(QStringLiteral("roomMembers"));
    m_title->setObjectName(QStringLiteral("roomMembersTitle"));

    m_proxy->setSourceModel(rooms);
    m_proxy->setSortRole(Qt::UserRole + 1);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_table->setModel(m_proxy);
    setUpTable(m_table);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->sortByColumn(RoomsModel::Members, Qt::DescendingOrder);
    m_table->setSortingEnabled(true);
    new ColumnFitter(m_table);

    m_members->setModel(m_memberList);
    m_members->setUniformItemSizes(true);
    m_members->setSpacing(1);
    m_members->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_members->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_title->setWordWrap(true);

    auto *membersPane = new QWidget(this);
    auto *membersLayout = new QVBoxLayout(membersPane);
    membersLayout->setContentsMargins(0, 0, 0, 0);
    membersLayout->addWidget(m_title);
    membersLayout->addWidget(m_members, 1);
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_table);
    splitter->addWidget(membersPane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(splitter);

    m_refresh.setSingleShot(true);
    m_refresh.setInterval(MembersRefreshMs);
    connect(&m_refresh, &QTimer::timeout, this, &RoomsView::refreshMembers);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const int row = selectedSourceRow();
        m_shownNsp =
            row < 0 ? QString() : m_rooms->index(row, RoomsModel::Namespace).data().toString();
        m_shownRoom = row < 0 ? QString() : m_rooms->index(row, RoomsModel::Room).data().toString();
        refreshMembers();
    });
    connect(rooms, &QAbstractItemModel::dataChanged, this, &RoomsView::onRoomsChanged);
    connect(rooms, &QAbstractItemModel::modelReset, this, &RoomsView::refreshMembers);
    // The selection goes with its room (removed alone, or with many as a change of layout).
    const auto forgetRemovedRoom = [this] {
        if (selectedSourceRow() < 0 && !m_shownRoom.isEmpty()) {
            m_shownNsp.clear();
            m_shownRoom.clear();
            refreshMembers();
        }
    };
    connect(rooms, &QAbstractItemModel::rowsRemoved, this, forgetRemovedRoom);
    connect(rooms, &QAbstractItemModel::layoutChanged, this, forgetRemovedRoom);
    refreshMembers();
}

int RoomsView::selectedSourceRow() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : m_proxy->mapToSource(rows.first()).row();
}

void RoomsView::onRoomsChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight)
{
    const int row = selectedSourceRow();
    if (row < topLeft.row() || row > bottomRight.row())
        return;
    if (!m_refresh.isActive())
        m_refresh.start();
}

void RoomsView::refreshMembers()
{
    const int row = selectedSourceRow();
    if (row < 0) {
        m_title->setText(tr("Select a room to see its members."));
        m_memberList->setStringList({});
        return;
    }
    const QStringList members = m_rooms->members(row);
    const QString count =
        members.size() == 1 ? tr("1 member") : tr("%1 members").arg(members.size());
    m_title->setText(tr("<b>%1</b> in %2 — %3")
                         .arg(m_shownRoom.toHtmlEscaped(), m_shownNsp.toHtmlEscaped(), count));
    if (members != m_memberList->stringList())
        m_memberList->setStringList(members);
}

QStringList RoomsView::members() const
{
    return m_memberList->stringList();
}

} // namespace switchboard::console
