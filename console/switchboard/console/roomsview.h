// The rooms of every namespace with their member counts, and the members of the selected one.
#pragma once

#include <QTimer>
#include <QWidget>

class QLabel;
class QListView;
class QModelIndex;
class QSortFilterProxyModel;
class QStringListModel;
class QTableView;

namespace switchboard::console {

class RoomsModel;

class RoomsView : public QWidget
{
    Q_OBJECT
public:
    static constexpr int MembersRefreshMs = 300;

    explicit RoomsView(RoomsModel *rooms, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    QListView *membersView() const { return m_members; }
    QStringList members() const; // of the selected room, as shown

    // Shows the members of the selected room now (they follow the model on a timer).
    void refreshMembers();

private:
    void onRoomsChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight);
    int selectedSourceRow() const;

    RoomsModel *m_rooms;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLabel *m_title;
    QListView *m_members;
    QStringListModel *m_memberList;
    QString m_shownNsp, m_shownRoom; // the room whose members are shown
    QTimer m_refresh;
};

} // namespace switchboard::console
