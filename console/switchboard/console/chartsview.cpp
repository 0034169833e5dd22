#include "switchboard/console/chartsview.h"

#include "switchboard/console/nodesmodel.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegend>
#include <QLineSeries>
#include <QSet>
#include <QVBoxLayout>
#include <QValueAxis>

namespace switchboard::console {

namespace {

// Distinct on light backgrounds; a node keeps its color for the life of the console.
constexpr QRgb Palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                            0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

} // namespace

ChartsView::ChartsView(const NodesModel *nodes, QWidget *parent)
    : QWidget(parent), m_nodes(nodes),
      m_messages(makeChart(QStringLiteral("messagesChart"), tr("Messages per second (in + out)"),
                           tr("msg/s"))),
      m_connections(
          makeChart(QStringLiteral("connectionsChart"), tr("Connected sockets"), tr("sockets")))
{
    setObjectName(QStringLiteral("chartsView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_messages.view, 1);
    layout->addWidget(m_connections.view, 1);

    m_timer.setInterval(RedrawMs);
    // The time axis moves even without new samples, but only a visible chart needs it.
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (isVisible())
            redraw();
    });
    connect(nodes, &NodesModel::historyChanged, this, [this] { m_dirty = true; });
    m_timer.start();
}

ChartsView::~ChartsView() = default;

ChartsView::Chart ChartsView::makeChart(const QString &objectName, const QString &title,
                                        const QString &unit)
{
    Chart c;
    c.chart = new QChart;
    c.chart->setTitle(title);
    c.chart->legend()->setAlignment(Qt::AlignRight);
    c.chart->setMargins(QMargins(4, 4, 4, 4));
    c.chart->setAnimationOptions(QChart::NoAnimation);
    c.time = new QDateTimeAxis;
    c.time->setFormat(QStringLiteral("HH:mm:ss"));
    c.time->setTickCount(Ticks + 1);
    // Qt 6.4 sizes the label area of a QDateTimeAxis when it joins a chart and not when its
    // range changes: added with its default (empty) range, it never shows its labels.
    const QDateTime now = QDateTime::currentDateTime();
    c.time->setRange(now.addMSecs(-MinWindowMs), now);
    c.values = new QValueAxis;
    c.values->setLabelFormat(QStringLiteral("%.0f"));
    c.values->setTitleText(unit);
    c.values->setRange(0, 10);
    c.chart->addAxis(c.time, Qt::AlignBottom);
    c.chart->addAxis(c.values, Qt::AlignLeft);
    c.view = new QChartView(c.chart, this); // takes the chart, which owns the axes and series
    c.view->setObjectName(objectName);
    c.view->setRenderHint(QPainter::Antialiasing);
    c.view->setMinimumHeight(180);
    return c;
}

QColor ChartsView::colorOf(const QString &uid)
{
    auto it = m_colors.find(uid);
    if (it == m_colors.end())
        it = m_colors.insert(uid, QColor(Palette[m_colors.size() % std::size(Palette)]));
    return *it;
}

void ChartsView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_dirty || !m_lastRedraw.isValid() || m_lastRedraw.hasExpired(RedrawMs))
        redraw();
}

void ChartsView::redraw()
{
    m_dirty = false;
    m_lastRedraw.start();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // The window grows with the data, a whole number of minutes from one to WindowMs, and
    // ends on a tick so that the labels are round times.
    qint64 earliest = now;
    for (int i = 0; i < m_nodes->rowCount(); ++i)
        if (const NodesModel::Row *row = m_nodes->row(i); !row->history.isEmpty())
            earliest = std::min(earliest, row->history.first().time);
    constexpr qint64 Minute = 60 * 1000;
    const qint64 span =
        std::clamp((now - earliest + Minute - 1) / Minute * Minute, MinWindowMs, WindowMs);
    const qint64 step = span / Ticks;
    const qint64 to = (now + step - 1) / step * step;
    const qint64 from = to - span;
    QSet<QString> drawn;
    double maxMessages = 0;
    double maxConnections = 0;
    // By name, so that new lines join the legends in order.
    QList<const NodesModel::Row *> rows;
    for (int i = 0; i < m_nodes->rowCount(); ++i)
        rows.append(m_nodes->row(i));
    std::sort(rows.begin(), rows.end(), [](const NodesModel::Row *a, const NodesModel::Row *b) {
        return a->presence.name < b->presence.name;
    });
    for (const NodesModel::Row *row : std::as_const(rows)) {
        if (row->foreign || row->history.isEmpty() || row->history.last().time < from)
            continue;
        QList<QPointF> messages, connections;
        messages.reserve(row->history.size());
        connections.reserve(row->history.size());
        for (const NodesModel::Sample &s : row->history) {
            if (s.time < from)
                continue;
            messages.append(QPointF(double(s.time), s.messagesPerSec));
            connections.append(QPointF(double(s.time), s.connections));
            maxMessages = std::max(maxMessages, s.messagesPerSec);
            maxConnections = std::max(maxConnections, double(s.connections));
        }
        const QString name = row->presence.name.isEmpty() ? row->uid : row->presence.name;
        const QColor color = colorOf(row->uid);
        for (Chart *chart : {&m_messages, &m_connections}) {
            QLineSeries *&series = chart->series[row->uid];
            if (!series) {
                series = new QLineSeries;
                chart->chart->addSeries(series);
                series->attachAxis(chart->time);
                series->attachAxis(chart->values);
                QPen pen(color);
                pen.setWidthF(2);
                series->setPen(pen);
            }
            series->setName(name);
            series->replace(chart == &m_messages ? messages : connections);
        }
        drawn.insert(row->uid);
    }
    for (Chart *chart : {&m_messages, &m_connections}) {
        for (auto it = chart->series.begin(); it != chart->series.end();) {
            if (drawn.contains(it.key())) {
                ++it;
                continue;
            }
            chart->chart->removeSeries(*it);
            delete *it;
            it = chart->series.erase(it);
        }
        chart->time->setRange(QDateTime::fromMSecsSinceEpoch(from),
                              QDateTime::fromMSecsSinceEpoch(to));
    }
    m_messages.values->setRange(0, std::max(10.0, maxMessages * 1.15));
    m_messages.values->applyNiceNumbers();
    m_connections.values->setRange(0, std::max(5.0, maxConnections * 1.15));
    m_connections.values->applyNiceNumbers();
}

QStringList ChartsView::seriesNames() const
{
    QStringList names;
    for (const QLineSeries *series : m_messages.series)
        names.append(series->name());
    names.sort();
    return names;
}

} // namespace switchboard::console
