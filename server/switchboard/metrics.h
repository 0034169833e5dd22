// The node's Prometheus metrics: one registry of metric families, rendered as the text
// exposition format 0.0.4 at GET /metrics. Each family is one row (name, type, help, labels
// and a getter); the # HELP and # TYPE lines come from that row and nowhere else, so they
// cannot drift from the samples.
//
// Adding metrics from another module (the queue consumer, the HTTP API, ...) needs no edit of
// this file or of nodemetrics.cpp: register the module's families on the node's registry once,
// where the module is created, e.g.
//
//     node->metrics()->add({"switchboard_queue_consumed_total", MetricType::Counter,
//                           "Jobs taken from the Redis queue and emitted.", {},
//                           [consumer] { return MetricSamples{{{}, double(consumer->consumed())}};
//                           }});
//     node->metrics()->add({"switchboard_api_requests_total", MetricType::Counter,
//                           "HTTP API requests answered, by status code.", {"status"},
//                           [api] { MetricSamples s; for (auto [code, n] : api->byStatus())
//                                       s.append({{QString::number(code)}, double(n)}); return s;
//                                       }});
//
// The getter runs on the event loop at every scrape: read counters, do not compute much. A
// family is refused (add() returns false and logs why) when its name or a label name is not a
// valid Prometheus name, does not start with "switchboard_", repeats a registered name, or is a
// counter whose name does not end in "_total"; a sample whose label values do not match the
// family's labels is dropped at render time with a warning.
#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QList>
#include <QStringList>

#include <functional>

namespace switchboard {

enum class MetricType
{
    Counter, // only goes up (restarts at 0 with the process); the name ends in _total
    Gauge    // a value now
};

struct MetricSample
{
    QStringList labelValues; // one per label of the family, in the same order
    double value = 0;
};
using MetricSamples = QList<MetricSample>;

struct MetricFamily
{
    QByteArray name;
    MetricType type = MetricType::Gauge;
    QByteArray help; // one line, plain text
    QByteArrayList labels;
    std::function<MetricSamples()> samples;
};

class MetricsRegistry
{
public:
    static constexpr const char *ContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Registers `family`; false (with a logged reason) when it is refused (see above).
    bool add(MetricFamily family);
    const QList<MetricFamily> &families() const { return m_families; }
    // Every family in registration order, as the text exposition format 0.0.4.
    QByteArray render() const;

    // Escaping of the format: label values escape \ " and newline; HELP escapes \ and newline.
    static QByteArray escapeLabelValue(const QString &value);
    static QByteArray escapeHelp(const QByteArray &help);
    // A sample value: integers exactly, NaN and infinities as the format spells them.
    static QByteArray formatValue(double value);

private:
    QList<MetricFamily> m_families;
};

} // namespace switchboard
