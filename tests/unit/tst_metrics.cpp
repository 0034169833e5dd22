// MetricsRegistry: the text exposition format 0.0.4 as Prometheus parses it (HELP and TYPE
// before the samples, label values and help escaped, values spelled right), and the families
// it refuses so that a module cannot register a name Prometheus would reject or a duplicate.
#include "switchboard/metrics.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace switchboard;

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void renders();
    void escapes_data();
    void escapes();
    void values_data();
    void values();
    void refuses_data();
    void refuses();
    void dropsMismatchedSamples();
};

void TestMetrics::renders()
{
    MetricsRegistry registry;
    QVERIFY(registry.add({"switchboard_things_total", MetricType::Counter, "Things seen.", {}, [] {
                              return MetricSamples{{{}, 3}};
                          }}));
    QVERIFY(registry.add(
        {"switchboard_queue_depth", MetricType::Gauge, "Jobs waiting.", {"queue", "kind"}, [] {
             return MetricSamples{{{QStringLiteral("a"), QStringLiteral("x")}, 1},
                                  {{QStringLiteral("b"), QStringLiteral("y")}, 2.5}};
         }}));
    // A family without samples still says what it is.
    QVERIFY(registry.add({"switchboard_empty", MetricType::Gauge, "Nothing yet.", {"l"}, [] {
                              return MetricSamples{};
                          }}));
    QCOMPARE(registry.render(), QByteArray("# HELP switchboard_things_total Things seen.\n"
                                           "# TYPE switchboard_things_total counter\n"
                                           "switchboard_things_total 3\n"
                                           "# HELP switchboard_queue_depth Jobs waiting.\n"
                                           "# TYPE switchboard_queue_depth gauge\n"
                                           "switchboard_queue_depth{queue=\"a\",kind=\"x\"} 1\n"
                                           "switchboard_queue_depth{queue=\"b\",kind=\"y\"} 2.5\n"
                                           "# HELP switchboard_empty Nothing yet.\n"
                                           "# TYPE switchboard_empty gauge\n"));
    QCOMPARE(registry.families().size(), 3);
}

void TestMetrics::escapes_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("escaped");
    QTest::addRow("plain") << QStringLiteral("/chat") << QByteArray("/chat");
    QTest::addRow("quote") << QStringLiteral("a\"b") << QByteArray("a\\\"b");
    QTest::addRow("backslash") << QStringLiteral("a\\b") << QByteArray("a\\\\b");
    QTest::addRow("newline") << QStringLiteral("a\nb") << QByteArray("a\\nb");
    QTest::addRow("all three") << QStringLiteral("\\\"\n") << QByteArray("\\\\\\\"\\n");
    QTest::addRow("UTF-8 as it is") << QStringLiteral("/caf\u00e9") << QByteArray("/caf\xc3\xa9");
}

void TestMetrics::escapes()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, escaped);
    QCOMPARE(MetricsRegistry::escapeLabelValue(value), escaped);
    // HELP escapes backslash and newline, not quotes.
    QCOMPARE(MetricsRegistry::escapeHelp("say \"a\\b\"\nnext"),
             QByteArray("say \"a\\\\b\"\\nnext"));
}

void TestMetrics::values_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("text");
    QTest::addRow("zero") << 0.0 << QByteArray("0");
    QTest::addRow("integer") << 12345.0 << QByteArray("12345");
    QTest::addRow("2^53") << 9007199254740991.0 << QByteArray("9007199254740991");
    QTest::addRow("negative") << -3.0 << QByteArray("-3");
    QTest::addRow("fraction") << 0.25 << QByteArray("0.25");
    QTest::addRow("NaN") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
    QTest::addRow("+Inf") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
    QTest::addRow("-Inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Inf");
}

void TestMetrics::values()
{
    QFETCH(double, value);
    QFETCH(QByteArray, text);
    QCOMPARE(MetricsRegistry::formatValue(value), text);
}

void TestMetrics::refuses_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArrayList>("labels");
    QTest::addRow("not switchboard_")
        << QByteArray("other_total") << int(MetricType::Counter) << QByteArrayList{};
    QTest::addRow("counter without _total")
        << QByteArray("switchboard_things") << int(MetricType::Counter) << QByteArrayList{};
    QTest::addRow("invalid character")
        << QByteArray("switchboard_a-b") << int(MetricType::Gauge) << QByteArrayList{};
    QTest::addRow("duplicate") << QByteArray("switchboard_taken") << int(MetricType::Gauge)
                               << QByteArrayList{};
    QTest::addRow("invalid label")
        << QByteArray("switchboard_x") << int(MetricType::Gauge) << QByteArrayList{"bad-label"};
    QTest::addRow("reserved label")
        << QByteArray("switchboard_y") << int(MetricType::Gauge) << QByteArrayList{"__name"};
}

void TestMetrics::refuses()
{
    QFETCH(QByteArray, name);
    QFETCH(int, type);
    QFETCH(QByteArrayList, labels);
    MetricsRegistry registry;
    QVERIFY(registry.add(
        {"switchboard_taken", MetricType::Gauge, "Taken.", {}, [] { return MetricSamples{}; }}));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("refused")));
    QVERIFY(
        !registry.add({name, MetricType(type), "Help.", labels, [] { return MetricSamples{}; }}));
    QCOMPARE(registry.families().size(), 1);
    // No help, no getter: refused too.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no help")));
    QVERIFY(!registry.add(
        {"switchboard_nohelp", MetricType::Gauge, {}, {}, [] { return MetricSamples{}; }}));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no getter")));
    QVERIFY(!registry.add({"switchboard_nogetter", MetricType::Gauge, "Help.", {}, {}}));
}

void TestMetrics::dropsMismatchedSamples()
{
    MetricsRegistry registry;
    QVERIFY(registry.add({"switchboard_z", MetricType::Gauge, "Z.", {"a"}, [] {
                              return MetricSamples{{{}, 1}, {{QStringLiteral("ok")}, 2}};
                          }}));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("sample dropped")));
    QCOMPARE(registry.render(), QByteArray("# HELP switchboard_z Z.\n# TYPE switchboard_z gauge\n"
                                           "switchboard_z{a=\"ok\"} 2\n"));
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
