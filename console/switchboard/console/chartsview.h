// Messages per second and connections of each Switchboard node over the last minutes, drawn
// from the nodes' presence history: one line per node, the same color in both charts.
// Redrawn at most once a second, and not while hidden.
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QTimer>
#include <QWidget>

class QChart;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace switchboard::console {

class NodesModel;

class ChartsView : public QWidget
{
    Q_OBJECT
public:
    static constexpr qint64 WindowMs = 5 * 60 * 1000;
    static constexpr qint64 MinWindowMs = 60 * 1000;
    static constexpr int RedrawMs = 1000;
    static constexpr int Ticks = 6; // intervals on the time axis

    explicit ChartsView(const NodesModel *nodes, QWidget *parent = nullptr);
    ~ChartsView() override;

    // Redraws now; the timer calls it once a second while the charts are visible.
    void redraw();
    // Node names with a line, in the messages chart (for tests).
    QStringList seriesNames() const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Chart
    {
        QChartView *view = nullptr;
        QChart *chart = nullptr;
        QDateTimeAxis *time = nullptr;
        QValueAxis *values = nullptr;
        QHash<QString, QLineSeries *> series; // by node uid
    };
    Chart makeChart(const QString &objectName, const QString &title, const QString &unit);
    QColor colorOf(const QString &uid);

    const NodesModel *m_nodes;
    Chart m_messages;
    Chart m_connections;
    QHash<QString, QColor> m_colors;
    QTimer m_timer;
    QElapsedTimer m_lastRedraw;
    bool m_dirty = true; // history changed while hidden
};

} // namespace switchboard::console
