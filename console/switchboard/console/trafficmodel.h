// A bounded, pausable log of decoded cluster traffic. Records arrive in bursts of thousands a
// second: they are appended in batches a few times a second, and the oldest are dropped
// in batches, so views never reset.
#pragma once

#include "switchboard/console/clusterwatcher.h"

#include "switchboard/console/tablemodel.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QSortFilterProxyModel>
#include <QTimer>

#include <deque>

namespace switchboard::console {

class NodesModel;

class TrafficModel : public TableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Time,
        Origin,
        Kind,
        Namespace,
        Rooms,
        Except,
        Event,
        Preview,
        Size,
        ColumnCount
    };
    static constexpr int FlushMs = 200;

    explicit TrafficModel(const NodesModel *nodes, int capacity = 10000, QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    int capacity() const { return m_capacity; }
    void clear();

    // Rates over the last second, whether paused or not.
    double messagesPerSecond() const { return m_messageRate; }
    double bytesPerSecond() const { return m_byteRate; }
    qint64 total() const { return m_total; }

    // One JSON object a line, oldest first; false with `error` set on failure.
    bool exportJsonLines(const QString &path, QString *error) const;
    const TrafficRecord &record(int row) const { return m_records.at(size_t(row)); }

public Q_SLOTS:
    void onTraffic(const switchboard::console::TrafficRecord &record);

Q_SIGNALS:
    void ratesChanged(double messagesPerSecond, double bytesPerSecond);

protected:
    int count() const override { return int(m_records.size()); }

private:
    void flush();

    const NodesModel *m_nodes;
    int m_capacity;
    std::deque<TrafficRecord> m_records;
    QList<TrafficRecord> m_pending;
    bool m_paused = false;
    QTimer m_flush;
    QElapsedTimer m_rateClock;
    qint64 m_windowMessages = 0, m_windowBytes = 0, m_total = 0;
    double m_messageRate = 0, m_byteRate = 0;
};

// Matches free text against every column.
class TrafficFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
};

} // namespace switchboard::console
