// The part every console table shares: a flat list of rows under fixed column titles; and for
// the tables whose rows stand for something with a name (a node, a socket, a room), the rows
// kept by key, inserted and removed where they are and announced as such.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace switchboard::console {

class TableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    TableModel(QStringList titles, QObject *parent)
        : QAbstractTableModel(parent), m_titles(std::move(titles))
    {}

    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : count();
    }
    int columnCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_titles.size());
    }
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override
    {
        if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
            section >= m_titles.size())
            return {};
        return m_titles.at(section);
    }

protected:
    virtual int count() const = 0;

private:
    QStringList m_titles;
};

// Rows found by a key through a key -> row index that every change keeps exact. New rows go at
// the end; rows leave from where they are, with the removal announced there (never by copying
// another row over them), so that views, proxies and selections follow the rows they hold.
template <typename Row> class KeyedTableModel : public TableModel
{
public:
    // Above this many separate runs of rows in one removal, it is a change of layout.
    static constexpr int MaxSeparateRemovals = 16;

    using TableModel::TableModel;

    const Row *row(int index) const
    {
        return index >= 0 && index < count() ? &m_slots[size_t(index)]->row : nullptr;
    }
    int indexOf(const QString &key) const
    {
        const Slot *slot = m_index.value(key);
        return slot ? slot->index : -1;
    }
    const Row *rowOf(const QString &key) const
    {
        const Slot *slot = m_index.value(key);
        return slot ? &slot->row : nullptr;
    }
    const QString &keyAt(int index) const { return m_slots[size_t(index)]->key; }

protected:
    int count() const final { return int(m_slots.size()); }

    // The row to change; the caller announces the change (rowChanged).
    Row &at(int index) { return m_slots[size_t(index)]->row; }

    int append(const QString &key, Row row)
    {
        const int index = count();
        beginInsertRows({}, index, index);
        m_slots.push_back(std::make_unique<Slot>(Slot{key, std::move(row), index}));
        m_index.insert(key, m_slots.back().get());
        endInsertRows();
        return index;
    }

    void rowChanged(int index, int firstColumn = 0, int lastColumn = -1)
    {
        Q_EMIT dataChanged(this->index(index, firstColumn),
                           this->index(index, lastColumn < 0 ? columnCount() - 1 : lastColumn));
    }

    // Removes the rows of `keys` (unknown ones are ignored) in as few announcements as their
    // positions allow: one per run of neighbouring rows, or one change of layout (then the
    // answer is true, and the views re-read every row anyway).
    bool removeKeys(const QList<QString> &keys)
    {
        std::vector<int> rows;
        rows.reserve(size_t(keys.size()));
        for (const QString &key : keys)
            if (const int index = indexOf(key); index >= 0)
                rows.push_back(index);
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        if (rows.empty())
            return false;
        std::vector<std::pair<int, int>> runs; // first, last
        for (int index : rows) {
            if (!runs.empty() && runs.back().second + 1 == index)
                runs.back().second = index;
            else
                runs.emplace_back(index, index);
        }
        if (int(runs.size()) > MaxSeparateRemovals) {
            removeScattered(rows);
            return true;
        }
        // Last run first: the rows before a run keep their numbers until its turn.
        for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
            beginRemoveRows({}, run->first, run->second);
            for (int index = run->first; index <= run->second; ++index)
                m_index.remove(m_slots[size_t(index)]->key);
            m_slots.erase(m_slots.begin() + run->first, m_slots.begin() + run->second + 1);
            reindexFrom(run->first);
            endRemoveRows();
        }
        return false;
    }
    void removeKey(const QString &key) { removeKeys({key}); }

    void removeAll()
    {
        beginResetModel();
        m_slots.clear();
        m_index.clear();
        endResetModel();
    }

private:
    // Many rows far apart go as one change of layout: the rows that stay keep their order and
    // their persistent indexes (a selection), the others' become invalid. A proxy pays one
    // re-mapping for it, where it would pay one pass over its rows per run of removed rows
    // (20 000 sockets leaving within 2 s: docs/benchmarks.md).
    void removeScattered(const std::vector<int> &rows)
    {
        Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::NoLayoutChangeHint);
        std::vector<int> moved(m_slots.size(), 0); // old row -> new row, -1 when it goes
        for (int index : rows)
            moved[size_t(index)] = -1;
        int next = 0;
        for (int &to : moved)
            to = to < 0 ? -1 : next++;
        const QModelIndexList before = persistentIndexList();
        QModelIndexList after;
        after.reserve(before.size());
        for (const QModelIndex &index : before) {
            const int to = moved[size_t(index.row())];
            after.append(to < 0 ? QModelIndex() : this->index(to, index.column()));
        }
        for (size_t index = 0; index < m_slots.size(); ++index) {
            if (moved[index] < 0)
                m_index.remove(m_slots[index]->key);
            else if (size_t(moved[index]) != index)
                m_slots[size_t(moved[index])] = std::move(m_slots[index]);
        }
        m_slots.resize(size_t(next));
        reindexFrom(rows.front());
        changePersistentIndexList(before, after);
        Q_EMIT layoutChanged({}, QAbstractItemModel::NoLayoutChangeHint);
    }

    void reindexFrom(int first)
    {
        for (int index = first; index < count(); ++index)
            m_slots[size_t(index)]->index = index;
    }

    // A row with its key and its current position. Slots stay where they were allocated:
    // the index points at them, and a removal shifts a vector of pointers.
    struct Slot
    {
        QString key;
        Row row;
        int index = 0;
    };
    std::vector<std::unique_ptr<Slot>> m_slots;
    QHash<QString, const Slot *> m_index;
};

} // namespace switchboard::console
