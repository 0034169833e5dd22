#include "switchboard/console/trafficmodel.h"

#include "switchboard/console/nodesmodel.h"
#include "switchboard/json.h"

#include <QDateTime>
#include <QFile>

namespace switchboard::console {

namespace {
QStringList trafficModelTitles()
{
    return {TrafficModel::tr("Time"),      TrafficModel::tr("Origin"),  TrafficModel::tr("Kind"),
            TrafficModel::tr("Namespace"), TrafficModel::tr("Rooms"),   TrafficModel::tr("Except"),
            TrafficModel::tr("Event"),     TrafficModel::tr("Payload"), TrafficModel::tr("Size")};
}
} // namespace

TrafficModel::TrafficModel(const NodesModel *nodes, int capacity, QObject *parent)
    : TableModel(trafficModelTitles(), parent), m_nodes(nodes), m_capacity(std::max(capacity, 1))
{
    m_flush.setInterval(FlushMs);
    connect(&m_flush, &QTimer::timeout, this, &TrafficModel::flush);
    m_flush.start();
    m_rateClock.start();
}

QVariant TrafficModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || size_t(index.row()) >= m_records.size() ||
        (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const TrafficRecord &r = m_records.at(size_t(index.row()));
    switch (Column(index.column())) {
    case Time:
        return QDateTime::fromMSecsSinceEpoch(r.time).toString(QStringLiteral("HH:mm:ss.zzz"));
    case Origin: {
        const QString name = m_nodes ? m_nodes->nameOf(r.origin) : QString();
        return name.isEmpty() ? r.origin : name;
    }
    case Kind:
        return r.kind;
    case Namespace:
        return r.nsp;
    case Rooms:
        return r.rooms.join(u", ");
    case Except:
        return r.except.join(u", ");
    case Event:
        return r.event;
    case Preview:
        return r.preview;
    case Size:
        return r.size;
    case ColumnCount:
        break;
    }
    return {};
}

void TrafficModel::onTraffic(const TrafficRecord &record)
{
    ++m_windowMessages;
    ++m_total;
    m_windowBytes += record.size;
    if (m_paused)
        return;
    m_pending.append(record);
    // A burst larger than the buffer only keeps its tail.
    if (m_pending.size() > m_capacity)
        m_pending.remove(0, m_pending.size() - m_capacity);
}

void TrafficModel::flush()
{
    if (m_rateClock.elapsed() >= 1000) {
        const double seconds = double(m_rateClock.restart()) / 1000.0;
        m_messageRate = double(m_windowMessages) / seconds;
        m_byteRate = double(m_windowBytes) / seconds;
        m_windowMessages = m_windowBytes = 0;
        Q_EMIT ratesChanged(m_messageRate, m_byteRate);
    }
    if (m_pending.isEmpty())
        return;
    const int incoming = int(m_pending.size());
    const int overflow = int(m_records.size()) + incoming - m_capacity;
    if (overflow > 0) {
        const int drop = std::min(overflow, int(m_records.size()));
        beginRemoveRows({}, 0, drop - 1);
        m_records.erase(m_records.begin(), m_records.begin() + drop);
        endRemoveRows();
    }
    const int first = int(m_records.size());
    beginInsertRows({}, first, first + incoming - 1);
    m_records.insert(m_records.end(), m_pending.cbegin(), m_pending.cend());
    endInsertRows();
    m_pending.clear();
}

void TrafficModel::setPaused(bool paused)
{
    m_paused = paused;
    if (paused)
        m_pending.clear();
}

void TrafficModel::clear()
{
    beginResetModel();
    m_records.clear();
    m_pending.clear();
    endResetModel();
}

bool TrafficModel::exportJsonLines(const QString &path, QString *error) const
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    for (const TrafficRecord &r : m_records) {
        const QVariantMap line{
            {QStringLiteral("time"),
             QDateTime::fromMSecsSinceEpoch(r.time, Qt::UTC).toString(Qt::ISODateWithMs)},
            {QStringLiteral("origin"), r.origin},
            {QStringLiteral("originName"), m_nodes ? m_nodes->nameOf(r.origin) : QString()},
            {QStringLiteral("kind"), r.kind},
            {QStringLiteral("nsp"), r.nsp},
            {QStringLiteral("rooms"), r.rooms},
            {QStringLiteral("except"), r.except},
            {QStringLiteral("event"), r.event},
            {QStringLiteral("payload"), r.preview},
            {QStringLiteral("size"), r.size},
        };
        file.write(json::serialize(line));
        file.write("\n");
    }
    if (!file.flush()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

void TrafficFilter::setText(const QString &text)
{
    m_text = text;
    invalidateFilter();
}

bool TrafficFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_text.isEmpty())
        return true;
    for (int c = 0; c < TrafficModel::ColumnCount; ++c)
        if (sourceModel()
                ->index(sourceRow, c, sourceParent)
                .data()
                .toString()
                .contains(m_text, Qt::CaseInsensitive))
            return true;
    return false;
}

} // namespace switchboard::console
