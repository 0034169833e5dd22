// The part every console table shares: a flat list of rows under fixed column titles.
#pragma once

#include <QAbstractTableModel>
#include <QStringList>

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

} // namespace switchboard::console
