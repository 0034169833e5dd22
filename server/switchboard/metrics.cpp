#include "switchboard/metrics.h"

#include "switchboard/logging.h"

#include <QRegularExpression>

#include <cmath>

namespace switchboard {

namespace {

bool validName(const QByteArray &name, bool label)
{
    static const QRegularExpression metric(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    static const QRegularExpression labelName(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*$"));
    const QString text = QString::fromLatin1(name);
    // Label names starting with __ are reserved for Prometheus itself.
    if (label)
        return labelName.match(text).hasMatch() && !name.startsWith("__");
    return metric.match(text).hasMatch();
}

} // namespace

bool MetricsRegistry::add(MetricFamily family)
{
    QString why;
    if (!validName(family.name, false) || !family.name.startsWith("switchboard_"))
        why = QStringLiteral("not a valid metric name starting with switchboard_");
    else if (family.type == MetricType::Counter && !family.name.endsWith("_total"))
        why = QStringLiteral("a counter's name must end in _total");
    else if (family.help.isEmpty())
        why = QStringLiteral("no help text");
    else if (!family.samples)
        why = QStringLiteral("no getter");
    for (const MetricFamily &existing : std::as_const(m_families))
        if (existing.name == family.name)
            why = QStringLiteral("registered already");
    for (const QByteArray &label : std::as_const(family.labels))
        if (!validName(label, true))
            why = QStringLiteral("invalid label name %1").arg(QString::fromLatin1(label));
    if (!why.isEmpty()) {
        qCWarning(lcServer).noquote()
            << "metric family" << QString::fromLatin1(family.name) << "refused:" << why;
        return false;
    }
    m_families.append(std::move(family));
    return true;
}

QByteArray MetricsRegistry::escapeLabelValue(const QString &value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray MetricsRegistry::escapeHelp(const QByteArray &help)
{
    QByteArray out = help;
    out.replace("\\", "\\\\").replace("\n", "\\n");
    return out;
}

QByteArray MetricsRegistry::formatValue(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0)
        return QByteArray::number(qint64(value));
    return QByteArray::number(value, 'g', 17);
}

QByteArray MetricsRegistry::render() const
{
    QByteArray out;
    for (const MetricFamily &family : m_families) {
        out += "# HELP " + family.name + ' ' + escapeHelp(family.help) + '\n';
        out += "# TYPE " + family.name + ' ' +
               (family.type == MetricType::Counter ? "counter" : "gauge") + '\n';
        const MetricSamples samples = family.samples();
        for (const MetricSample &sample : samples) {
            if (sample.labelValues.size() != family.labels.size()) {
                qCWarning(lcServer).noquote()
                    << "metric" << QString::fromLatin1(family.name)
                    << "sample dropped:" << sample.labelValues.size() << "label values for"
                    << family.labels.size() << "labels";
                continue;
            }
            out += family.name;
            if (!family.labels.isEmpty()) {
                out += '{';
                for (qsizetype i = 0; i < family.labels.size(); ++i) {
                    if (i > 0)
                        out += ',';
                    out += family.labels.at(i) + "=\"" +
                           escapeLabelValue(sample.labelValues.at(i)) + '"';
                }
                out += '}';
            }
            out += ' ' + formatValue(sample.value) + '\n';
        }
    }
    return out;
}

} // namespace switchboard
