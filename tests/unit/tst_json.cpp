// JSON text <-> QVariant trees: every value kind, top-level scalars, rejects, round trips.
#include "switchboard/json.h"

#include <QTest>

using namespace Qt::StringLiterals;
namespace json = switchboard::json;

namespace {

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

// "héllo ✓ 😀" in UTF-8, spelled out so the test does not depend on the source encoding.
const QByteArray utf8Text = QByteArrayLiteral("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");

} // namespace

class TestJson : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void parseNumberKinds_data();
    void parseNumberKinds();
    void parseRejects_data();
    void parseRejects();
    void serialize_data();
    void serialize();
    void textRoundTrip_data();
    void textRoundTrip();
    void valueRoundTrip_data();
    void valueRoundTrip();
    void hasBinary_data();
    void hasBinary();
};

void TestJson::parse_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QVariant>("value");

    QTest::addRow("object") << QByteArray("{\"a\":1,\"b\":\"x\"}")
                            << QVariant(QVariantMap{{u"a"_s, 1}, {u"b"_s, u"x"_s}});
    QTest::addRow("empty object") << QByteArray("{}") << QVariant(QVariantMap{});
    QTest::addRow("nested object")
        << QByteArray("{\"a\":{\"b\":{\"c\":[true,null]}}}")
        << QVariant(QVariantMap{
               {u"a"_s, QVariantMap{{u"b"_s, QVariantMap{{u"c"_s, QVariantList{true, null()}}}}}}});
    QTest::addRow("array") << QByteArray("[1,\"two\",true,false,null,1.5]")
                           << QVariant(QVariantList{1, u"two"_s, true, false, null(), 1.5});
    QTest::addRow("empty array") << QByteArray("[]") << QVariant(QVariantList{});
    QTest::addRow("nested arrays")
        << QByteArray("[[],[[]],[1,[2]]]")
        << QVariant(QVariantList{QVariantList{}, QVariantList{QVariantList{}},
                                 QVariantList{1, QVariantList{2}}});
    QTest::addRow("string") << QByteArray("\"abc\"") << QVariant(u"abc"_s);
    QTest::addRow("empty string") << QByteArray("\"\"") << QVariant(u""_s);
    QTest::addRow("string with escapes")
        << QByteArray("\"a\\\"b\\\\c\\nd\\t\\/\"") << QVariant(u"a\"b\\c\nd\t/"_s);
    QTest::addRow("string with unicode escape")
        << QByteArray("\"caf\\u00e9\"") << QVariant(u"caf\u00e9"_s);
    QTest::addRow("string with surrogate pair")
        << QByteArray("\"\\ud83d\\ude00\"") << QVariant(QString::fromUtf8("\xf0\x9f\x98\x80"));
    QTest::addRow("string in raw utf-8")
        << QByteArray("\"" + utf8Text + "\"") << QVariant(QString::fromUtf8(utf8Text));
    QTest::addRow("string that looks like an object")
        << QByteArray("\"{\\\"a\\\":1}\"") << QVariant(u"{\"a\":1}"_s);
    QTest::addRow("zero") << QByteArray("0") << QVariant(0);
    QTest::addRow("integer") << QByteArray("42") << QVariant(42);
    QTest::addRow("negative integer") << QByteArray("-7") << QVariant(-7);
    QTest::addRow("fraction") << QByteArray("1.5") << QVariant(1.5);
    QTest::addRow("negative fraction") << QByteArray("-0.25") << QVariant(-0.25);
    QTest::addRow("exponent") << QByteArray("1e3") << QVariant(1000.0);
    QTest::addRow("negative exponent") << QByteArray("25E-2") << QVariant(0.25);
    QTest::addRow("largest safe integer")
        << QByteArray("9007199254740991") << QVariant(Q_INT64_C(9007199254740991));
    QTest::addRow("true") << QByteArray("true") << QVariant(true);
    QTest::addRow("false") << QByteArray("false") << QVariant(false);
    QTest::addRow("null") << QByteArray("null") << null();
    QTest::addRow("number with surrounding space") << QByteArray(" 42 ") << QVariant(42);
    QTest::addRow("string with surrounding space") << QByteArray("\t\"x\"\n") << QVariant(u"x"_s);
    QTest::addRow("object with leading space")
        << QByteArray(" \n{\"a\":1}") << QVariant(QVariantMap{{u"a"_s, 1}});
    QTest::addRow("array with surrounding space")
        << QByteArray(" [1] ") << QVariant(QVariantList{1});
    QTest::addRow("duplicate key keeps the last")
        << QByteArray("{\"a\":1,\"a\":2}") << QVariant(QVariantMap{{u"a"_s, 2}});
}

void TestJson::parse()
{
    QFETCH(QByteArray, text);
    QFETCH(QVariant, value);

    const auto parsed = json::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    QVERIFY(parsed.error().isEmpty());
    QCOMPARE(parsed.value(), value);
}

void TestJson::parseNumberKinds_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("integral");

    QTest::addRow("0") << QByteArray("0") << true;
    QTest::addRow("42") << QByteArray("42") << true;
    QTest::addRow("-7") << QByteArray("-7") << true;
    QTest::addRow("[42]") << QByteArray("[42]") << true;
    QTest::addRow("1.5") << QByteArray("1.5") << false;
    QTest::addRow("-0.25") << QByteArray("-0.25") << false;
    QTest::addRow("[2.5]") << QByteArray("[2.5]") << false;
}

void TestJson::parseNumberKinds()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, integral);

    // Integers stay integers: an ack id or a count must not come back as "42.0" or lose digits.
    const auto parsed = json::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    const QVariant number = parsed->typeId() == QMetaType::QVariantList
                                ? parsed->toList().constFirst()
                                : parsed.value();
    const bool isIntegral = number.typeId() == QMetaType::LongLong ||
                            number.typeId() == QMetaType::Int ||
                            number.typeId() == QMetaType::ULongLong;
    QCOMPARE(isIntegral, integral);
    if (!integral)
        QCOMPARE(number.typeId(), int(QMetaType::Double));
}

void TestJson::parseRejects_data()
{
    QTest::addColumn<QByteArray>("text");

    // Not listed: QJsonDocument itself accepts ".5", "\"\\x41\"" and raw control characters
    // inside strings; json::parse inherits that leniency.

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("whitespace only") << QByteArray("  \n\t");
    QTest::addRow("bare word") << QByteArray("hello");
    QTest::addRow("truncated null") << QByteArray("nul");
    QTest::addRow("truncated true") << QByteArray("tru");
    QTest::addRow("capitalised True") << QByteArray("True");
    QTest::addRow("NULL") << QByteArray("NULL");
    QTest::addRow("undefined") << QByteArray("undefined");
    QTest::addRow("NaN") << QByteArray("NaN");
    QTest::addRow("Infinity") << QByteArray("Infinity");
    QTest::addRow("single-quoted string") << QByteArray("'a'");
    QTest::addRow("unterminated string") << QByteArray("\"abc");
    QTest::addRow("short unicode escape") << QByteArray("\"\\u12\"");
    QTest::addRow("unquoted key") << QByteArray("{a:1}");
    QTest::addRow("key without value") << QByteArray("{\"a\"}");
    QTest::addRow("trailing comma in object") << QByteArray("{\"a\":1,}");
    QTest::addRow("trailing comma in array") << QByteArray("[1,]");
    QTest::addRow("missing comma") << QByteArray("[1 2]");
    QTest::addRow("unclosed array") << QByteArray("[");
    QTest::addRow("unclosed object") << QByteArray("{");
    QTest::addRow("unclosed nested") << QByteArray("{\"a\":[1,2}");
    QTest::addRow("extra closing brace") << QByteArray("{\"a\":1}}");
    QTest::addRow("extra closing bracket") << QByteArray("[1]]");
    QTest::addRow("garbage after object") << QByteArray("{\"a\":1} x");
    QTest::addRow("two arrays") << QByteArray("[1][2]");
    QTest::addRow("two numbers") << QByteArray("1 2");
    QTest::addRow("comma-separated scalars") << QByteArray("1,2");
    QTest::addRow("comma-separated strings") << QByteArray("\"a\",\"b\"");
    QTest::addRow("closing bracket alone") << QByteArray("]");
    QTest::addRow("brackets turned inside out") << QByteArray("],[");
    QTest::addRow("scalar then array") << QByteArray("1],[2");
    QTest::addRow("lone minus") << QByteArray("-");
    QTest::addRow("leading plus") << QByteArray("+1");
    QTest::addRow("hex number") << QByteArray("0x10");
    QTest::addRow("comment") << QByteArray("// x");
}

void TestJson::parseRejects()
{
    QFETCH(QByteArray, text);

    const auto parsed = json::parse(text);
    QVERIFY2(!parsed.ok(), qPrintable(QString::fromUtf8(json::serialize(parsed.value()))));
    QVERIFY(!parsed.error().isEmpty());
}

void TestJson::serialize_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("text");

    QTest::addRow("object with sorted keys") << QVariant(QVariantMap{{u"b"_s, 1}, {u"a"_s, u"x"_s}})
                                             << QByteArray("{\"a\":\"x\",\"b\":1}");
    QTest::addRow("empty object") << QVariant(QVariantMap{}) << QByteArray("{}");
    QTest::addRow("array of every kind")
        << QVariant(
               QVariantList{1, u"two"_s, true, false, null(), 1.5, QVariantMap{}, QVariantList{}})
        << QByteArray("[1,\"two\",true,false,null,1.5,{},[]]");
    QTest::addRow("empty array") << QVariant(QVariantList{}) << QByteArray("[]");
    QTest::addRow("nested") << QVariant(QVariantMap{
                                   {u"a"_s, QVariantList{QVariantMap{{u"b"_s, QVariantList{}}}}}})
                            << QByteArray("{\"a\":[{\"b\":[]}]}");
    QTest::addRow("string list") << QVariant(QStringList{u"a"_s, u"b"_s})
                                 << QByteArray("[\"a\",\"b\"]");
    QTest::addRow("top-level string") << QVariant(u"abc"_s) << QByteArray("\"abc\"");
    QTest::addRow("top-level empty string") << QVariant(u""_s) << QByteArray("\"\"");
    QTest::addRow("string with quotes, backslash and newline")
        << QVariant(u"a\"b\\c\nd"_s) << QByteArray("\"a\\\"b\\\\c\\nd\"");
    QTest::addRow("string in utf-8")
        << QVariant(QString::fromUtf8(utf8Text)) << QByteArray("\"" + utf8Text + "\"");
    QTest::addRow("top-level zero") << QVariant(0) << QByteArray("0");
    QTest::addRow("top-level integer") << QVariant(42) << QByteArray("42");
    QTest::addRow("top-level negative") << QVariant(-7) << QByteArray("-7");
    QTest::addRow("top-level qint64")
        << QVariant(Q_INT64_C(9007199254740991)) << QByteArray("9007199254740991");
    QTest::addRow("top-level fraction") << QVariant(1.5) << QByteArray("1.5");
    QTest::addRow("top-level tenth") << QVariant(0.1) << QByteArray("0.1");
    QTest::addRow("top-level true") << QVariant(true) << QByteArray("true");
    QTest::addRow("top-level false") << QVariant(false) << QByteArray("false");
    QTest::addRow("top-level null") << null() << QByteArray("null");
    QTest::addRow("invalid variant is null") << QVariant() << QByteArray("null");
}

void TestJson::serialize()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, text);

    QCOMPARE(json::serialize(value), text);
}

void TestJson::textRoundTrip_data()
{
    QTest::addColumn<QByteArray>("text");

    for (const char *text :
         {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", "{}", "[]", "[[],{}]", "\"abc\"",
          "\"\"", "0", "42", "-7", "1.5", "true", "false", "null",
          "[\"ev\",{\"_placeholder\":true,\"num\":0}]", "9007199254740991"})
        QTest::addRow("%s", text) << QByteArray(text);
    QTest::addRow("utf-8 string") << QByteArray("\"" + utf8Text + "\"");
}

void TestJson::textRoundTrip()
{
    QFETCH(QByteArray, text);

    const auto parsed = json::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    QCOMPARE(json::serialize(parsed.value()), text);
}

void TestJson::valueRoundTrip_data()
{
    QTest::addColumn<QVariant>("value");

    QTest::addRow("map") << QVariant(QVariantMap{{u"k"_s, QVariantList{1, u"v"_s, null()}}});
    QTest::addRow("list") << QVariant(QVariantList{u"ev"_s, 2.5, false, QVariantMap{}});
    QTest::addRow("string") << QVariant(u"line\nbreak \u00e9"_s);
    QTest::addRow("integer") << QVariant(-123456);
    QTest::addRow("double") << QVariant(3.25);
    QTest::addRow("bool") << QVariant(true);
    QTest::addRow("null") << null();
}

void TestJson::valueRoundTrip()
{
    QFETCH(QVariant, value);

    const QByteArray text = json::serialize(value);
    const auto parsed = json::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error()));
    QCOMPARE(parsed.value(), value);
}

void TestJson::hasBinary_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<bool>("binary");

    const QByteArray bytes = QByteArrayLiteral("\x00\x01");
    QTest::addRow("bytes") << QVariant(bytes) << true;
    QTest::addRow("empty bytes") << QVariant(QByteArray()) << true;
    QTest::addRow("bytes in list") << QVariant(QVariantList{u"ev"_s, bytes}) << true;
    QTest::addRow("bytes in map") << QVariant(QVariantMap{{u"f"_s, bytes}}) << true;
    QTest::addRow("bytes deep inside")
        << QVariant(QVariantList{
               u"ev"_s, QVariantMap{{u"a"_s, QVariantList{1, QVariantMap{{u"b"_s, bytes}}}}}})
        << true;
    QTest::addRow("bytes after other values")
        << QVariant(QVariantMap{{u"a"_s, 1}, {u"b"_s, u"s"_s}, {u"z"_s, bytes}}) << true;
    QTest::addRow("string") << QVariant(u"\u0000\u0001"_s) << false;
    QTest::addRow("number") << QVariant(1) << false;
    QTest::addRow("bool") << QVariant(true) << false;
    QTest::addRow("null") << null() << false;
    QTest::addRow("invalid") << QVariant() << false;
    QTest::addRow("empty list") << QVariant(QVariantList{}) << false;
    QTest::addRow("empty map") << QVariant(QVariantMap{}) << false;
    QTest::addRow("plain tree") << QVariant(QVariantList{
                                       u"ev"_s, QVariantMap{{u"a"_s, QVariantList{1, u"x"_s}}}})
                                << false;
    QTest::addRow("placeholder without bytes")
        << QVariant(QVariantMap{{u"_placeholder"_s, true}, {u"num"_s, 0}}) << false;
}

void TestJson::hasBinary()
{
    QFETCH(QVariant, value);
    QFETCH(bool, binary);

    QCOMPARE(json::hasBinary(value), binary);
}

QTEST_GUILESS_MAIN(TestJson)
#include "tst_json.moc"
