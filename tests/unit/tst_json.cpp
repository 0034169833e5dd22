// JSON text <-> QVariant trees: every value kind, top-level scalars, rejects, round trips.
#include "switchboard/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QRandomGenerator>
#include <QTest>
#include <QUrl>

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <optional>

using namespace Qt::StringLiterals;
namespace json = switchboard::json;

namespace {

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

// "héllo ✓ 😀" in UTF-8, spelled out so the test does not depend on the source encoding.
const QByteArray utf8Text = QByteArrayLiteral("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");

// What QJsonDocument writes for a value: the reference the direct writer must match byte for byte.
QByteArray qtJson(const QVariant &value)
{
    const QJsonValue json = QJsonValue::fromVariant(value);
    if (json.isArray())
        return QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    if (json.isObject())
        return QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    const QByteArray wrapped = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

QString randomString(QRandomGenerator &random)
{
    // Mostly ASCII, with the characters that need escapes, every control character, DEL,
    // two- and three-byte UTF-8, surrogate pairs, lone and reversed surrogates.
    static const char16_t specials[] = {u'"',   u'\\',  u'/',   0x7f,   0x80,   0xe9,
                                        0x7ff,  0x800,  0x2713, 0xfffd, 0xffff, 0xd83d,
                                        0xde00, 0xdbff, 0xdc00, 0xdfff, 0xd800, 0xfeff};
    QString text;
    const int length = int(random.bounded(12));
    for (int i = 0; i < length; ++i) {
        const quint32 pick = random.bounded(10);
        if (pick < 5)
            text.append(QChar(char16_t(0x20 + random.bounded(0x5f))));
        else if (pick < 7)
            text.append(QChar(char16_t(random.bounded(0x20))));
        else if (pick < 9)
            text.append(QChar(specials[random.bounded(int(std::size(specials)))]));
        else
            text.append(QChar(char16_t(random.bounded(0x10000))));
    }
    return text;
}

QVariant randomNumber(QRandomGenerator &random)
{
    switch (random.bounded(9)) {
    case 0:
        return int(random.generate());
    case 1:
        return qlonglong(random.generate64());
    case 2:
        return qulonglong(random.generate64());
    case 3:
        return uint(random.generate());
    case 4:
        return double(qint64(random.generate64()) >> random.bounded(64));
    case 5:
        return std::ldexp(random.generateDouble() - 0.5, int(random.bounded(200)) - 100);
    case 6: {
        const qint64 bits = qint64(random.generate64());
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return d; // any bit pattern: NaNs, infinities, subnormals, huge and tiny
    }
    case 7:
        return float(random.generateDouble() * 1000);
    default: {
        static const double edges[] = {0.0,
                                       -0.0,
                                       9007199254740992.0,
                                       -9007199254740992.0,
                                       9007199254740994.0,
                                       1e15,
                                       1e21,
                                       1e-7,
                                       0.1,
                                       2.5,
                                       std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::denorm_min()};
        return edges[random.bounded(int(std::size(edges)))];
    }
    }
}

QVariant randomTree(QRandomGenerator &random, int level)
{
    const quint32 kind = random.bounded(level > 4 ? 5 : 7);
    switch (kind) {
    case 0:
        return random.bounded(2) ? QVariant::fromValue(nullptr) : QVariant();
    case 1:
        return bool(random.bounded(2));
    case 2:
    case 3:
        return randomNumber(random);
    case 4:
        return randomString(random);
    case 5: {
        QVariantList list;
        for (quint32 n = random.bounded(5); n; --n)
            list.append(randomTree(random, level + 1));
        return list;
    }
    default: {
        QVariantMap map;
        for (quint32 n = random.bounded(5); n; --n)
            map.insert(randomString(random), randomTree(random, level + 1));
        return map;
    }
    }
}

// What Qt's parser makes of a text (the path parse() takes when the strict reader gives up).
std::optional<QVariant> qtParse(const QByteArray &text)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]", &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().first().toVariant();
}

// Equal values of the same types all the way down: 1 and 1.0 differ, so do null and invalid.
bool sameTree(const QVariant &a, const QVariant &b)
{
    if (a.typeId() != b.typeId())
        return false;
    switch (a.typeId()) {
    case QMetaType::QVariantList: {
        const QVariantList x = a.toList();
        const QVariantList y = b.toList();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i)
            if (!sameTree(x[i], y[i]))
                return false;
        return true;
    }
    case QMetaType::QVariantMap: {
        const QVariantMap x = a.toMap();
        const QVariantMap y = b.toMap();
        if (x.keys() != y.keys())
            return false;
        for (auto it = x.cbegin(); it != x.cend(); ++it)
            if (!sameTree(it.value(), y.value(it.key())))
                return false;
        return true;
    }
    case QMetaType::Double: {
        const double x = a.toDouble();
        const double y = b.toDouble();
        return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return a == b;
    }
}

QByteArray printable(const QByteArray &bytes)
{
    return bytes.toPercentEncoding(" \"{}[]:,");
}

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
    void writerMatchesQt_data();
    void writerMatchesQt();
    void writerMatchesQtOnRandomTrees();
    void otherTypesGoThroughQt_data();
    void otherTypesGoThroughQt();
    void readerMatchesQt_data();
    void readerMatchesQt();
    void readerMatchesQtOnRandomText();
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

void TestJson::writerMatchesQt_data()
{
    QTest::addColumn<QVariant>("value");

    QTest::addRow("invalid") << QVariant();
    QTest::addRow("nullptr") << null();
    QTest::addRow("true") << QVariant(true);
    QTest::addRow("false") << QVariant(false);
    QTest::addRow("short") << QVariant::fromValue(short(-12));
    QTest::addRow("ushort") << QVariant::fromValue(ushort(65535));
    QTest::addRow("int min") << QVariant(std::numeric_limits<int>::min());
    QTest::addRow("uint max") << QVariant(std::numeric_limits<uint>::max());
    QTest::addRow("longlong min") << QVariant(std::numeric_limits<qlonglong>::min());
    QTest::addRow("longlong max") << QVariant(std::numeric_limits<qlonglong>::max());
    QTest::addRow("ulonglong in range") << QVariant(qulonglong(9223372036854775807ULL));
    QTest::addRow("ulonglong over") << QVariant(qulonglong(9223372036854775808ULL));
    QTest::addRow("ulonglong max") << QVariant(std::numeric_limits<qulonglong>::max());
    QTest::addRow("double 1.5") << QVariant(1.5);
    QTest::addRow("double 0.1") << QVariant(0.1);
    QTest::addRow("double whole") << QVariant(42.0);
    QTest::addRow("double 1e15") << QVariant(1e15);
    QTest::addRow("double 2^53") << QVariant(9007199254740992.0);
    QTest::addRow("double 2^53+2") << QVariant(9007199254740994.0);
    QTest::addRow("double 1e300") << QVariant(1e300);
    QTest::addRow("double 1e-300") << QVariant(1e-300);
    QTest::addRow("double -0") << QVariant(-0.0);
    QTest::addRow("double nan") << QVariant(std::nan(""));
    QTest::addRow("double inf") << QVariant(std::numeric_limits<double>::infinity());
    QTest::addRow("float") << QVariant(0.1f);
    QTest::addRow("empty string") << QVariant(QString());
    QTest::addRow("escapes") << QVariant(u"\"\\/\b\f\n\r\t\x01\x1f\x7f"_s);
    QTest::addRow("utf-8") << QVariant(QString::fromUtf8(utf8Text));
    QTest::addRow("lone high surrogate") << QVariant(QString(QChar(char16_t(0xd83d))));
    QTest::addRow("lone low surrogate") << QVariant(QString(QChar(char16_t(0xde00))) + u"x"_s);
    QTest::addRow("reversed pair")
        << QVariant(QString(QChar(char16_t(0xde00))) + QChar(char16_t(0xd83d)));
    QTest::addRow("bom and U+FFFF")
        << QVariant(QString(QChar(char16_t(0xfeff))) + QChar(char16_t(0xffff)));
    QTest::addRow("event") << QVariant(QVariantList{
        u"chat"_s, QVariantMap{{u"from"_s, u"ann"_s}, {u"text"_s, u"hi"_s}, {u"n"_s, 3}}});
    QTest::addRow("empty containers")
        << QVariant(QVariantList{QVariantList{}, QVariantMap{}, QVariantList{QVariantMap{}}});
    QTest::addRow("map key order") << QVariant(QVariantMap{
        {u"b"_s, 1}, {u"a"_s, 2}, {u"B"_s, 3}, {u"\u00e9"_s, 4}, {u""_s, 5}, {u"aa"_s, 6}});
    QTest::addRow("keys with escapes") << QVariant(QVariantMap{{u"\"\n"_s, null()}});
}

void TestJson::writerMatchesQt()
{
    QFETCH(QVariant, value);

    QByteArray direct("prefix");
    QVERIFY(json::writeCommon(value, direct));
    const QByteArray expected = qtJson(value);
    QCOMPARE(direct, "prefix" + expected);
    QCOMPARE(json::serialize(value), expected);
}

void TestJson::writerMatchesQtOnRandomTrees()
{
    QRandomGenerator random(20261202);
    for (int i = 0; i < 20000; ++i) {
        const QVariant tree = randomTree(random, 0);
        QByteArray direct;
        QVERIFY(json::writeCommon(tree, direct));
        const QByteArray expected = qtJson(tree);
        if (direct != expected)
            QFAIL(qPrintable(u"tree %1: wrote %2, Qt writes %3"_s.arg(i).arg(
                QString::fromLatin1(printable(direct)), QString::fromLatin1(printable(expected)))));
    }
}

void TestJson::otherTypesGoThroughQt_data()
{
    QTest::addColumn<QVariant>("value");

    QTest::addRow("string list") << QVariant(QStringList{u"a"_s, u"b"_s});
    QTest::addRow("hash") << QVariant(QVariantHash{{u"k"_s, 1}});
    QTest::addRow("url") << QVariant(QUrl(u"https://example.com/a b"_s));
    QTest::addRow("json object") << QVariant(QJsonObject{{u"k"_s, 2}});
    QTest::addRow("long") << QVariant::fromValue(long(-5));
    QTest::addRow("ulong") << QVariant::fromValue(ulong(5));
    QTest::addRow("nested in a list") << QVariant(QVariantList{1, QStringList{u"x"_s}});
    QTest::addRow("nested in a map") << QVariant(QVariantMap{{u"k"_s, QVariantHash{}}});
}

void TestJson::otherTypesGoThroughQt()
{
    QFETCH(QVariant, value);

    // Not written directly: left untouched, and serialize() gives what Qt gives.
    QByteArray out("kept");
    QVERIFY(!json::writeCommon(value, out));
    QCOMPARE(out, QByteArray("kept"));
    QCOMPARE(json::serialize(value), qtJson(value));
}

void TestJson::readerMatchesQt_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("strict"); // the fast reader must take it (else: Qt decides)

    const auto row = [](const char *name, const QByteArray &text, bool strict) {
        QTest::addRow("%s", name) << text << strict;
    };
    row("event", R"(["chat",{"from":"ann","text":"hi","n":3}])", true);
    row("spaces", " \t\r\n[ 1 , { \"a\" : [ ] } ]\n ", true);
    row("scalars", "[true,false,null,\"\",0,-0,7]", true);
    row("empty containers", "[{},[],{\"a\":{}},[[]]]", true);
    row("top-level string", "\"x\"", true);
    row("top-level number", "42", true);
    row("integer 1.0", "1.0", true);
    row("integer 1e2", "[1e2,1E2,4.0e0,-0.0,1.5e18]", true);
    row("2^63 - 1", "9223372036854775807", true);
    row("2^63", "9223372036854775808", true);
    row("-2^63 - 1", "-9223372036854775809", true);
    row("1e19", "1e19", true);
    row("fractions", "[0.5,-2.25,1e-7,1.7976931348623157e308,5e-324]", true);
    row("escapes", R"(["\"\\\/\b\f\n\r\t","\u0000\u001f\u00e9\u2713\uFFFF"])", true);
    row("surrogate pair escape", R"("\ud83d\ude00")", true);
    row("utf-8", "\"" + utf8Text + "\"", true);
    row("noncharacter U+FFFF", "\"\xef\xbf\xbf\"", true);
    row("DEL", "\"\x7f\"", true);
    row("repeated key", R"({"a":1,"b":2,"a":3})", true);
    row("512 levels", QByteArray(512, '[') + QByteArray(512, ']'), true);
    // Left to Qt: accepted or not, parse() must say what Qt says.
    row("raw control character", "\"a\x01b\"", false);
    row("lone high surrogate escape", R"("\ud83d")", false);
    row("lone low surrogate escape", R"("\ude00x")", false);
    row("reversed surrogate escapes", R"("\ude00\ud83d")", false);
    row("U+FEFF opening a string", "\"\xef\xbb\xbfx\"", false);
    row("U+FEFF inside a string", "[\"x\xef\xbb\xbf\"]", false);
    row("encoded surrogate", "\"\xed\xa0\x80\"", false);
    row("overlong", "\"\xc0\xaf\"", false);
    row("truncated utf-8", "\"\xe2\x9c\"", false);
    row("bom", "\xef\xbb\xbf[1]", false);
    row("1e400", "1e400", false);
    row("1e-400", "1e-400", false);
    row("leading zero", "01", false);
    row("bare dot", "[.5]", false);
    row("plus", "+1", false);
    row("trailing comma", "[1,]", false);
    row("unknown escape", R"("\x")", false);
    row("empty", "", false);
    row("two values", "1 2", false);
    row("513 levels", QByteArray(513, '[') + QByteArray(513, ']'), false);
    row("1025 levels", QByteArray(1025, '[') + QByteArray(1025, ']'), false);
}

void TestJson::readerMatchesQt()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, strict);

    const std::optional<QVariant> fast = json::parseStrict(text);
    const std::optional<QVariant> qt = qtParse(text);
    QCOMPARE(fast.has_value(), strict);
    if (fast) {
        QVERIFY2(qt, "the fast reader took what Qt rejects");
        QVERIFY(sameTree(*fast, *qt));
    }
    const auto parsed = json::parse(text);
    QCOMPARE(parsed.ok(), qt.has_value());
    if (qt)
        QVERIFY(sameTree(parsed.value(), *qt));
}

void TestJson::readerMatchesQtOnRandomText()
{
    // Texts Qt wrote, then bent: bytes flipped, dropped, inserted, doubled, spaced out.
    QRandomGenerator random(20261203);
    static const char pieces[] =
        "\"\\{}[],:0123456789-+.eE \t\n\r/ubfnrtux\x01\x7f\xc3\xa9\xed\xef";
    int taken = 0;
    int rejectedByBoth = 0;
    for (int i = 0; i < 20000; ++i) {
        QByteArray text = qtJson(randomTree(random, 0));
        const quint32 edits = i % 3 == 0 ? 0 : random.bounded(1, 4);
        for (quint32 e = 0; e < edits && !text.isEmpty(); ++e) {
            const qsizetype at = random.bounded(int(text.size()));
            switch (random.bounded(4)) {
            case 0:
                text[at] = pieces[random.bounded(int(sizeof pieces - 1))];
                break;
            case 1:
                text.remove(at, 1);
                break;
            case 2:
                text.insert(at, pieces[random.bounded(int(sizeof pieces - 1))]);
                break;
            default:
                text.insert(at, random.bounded(2) ? QByteArray(" ") : text.mid(at, 3));
            }
        }
        const std::optional<QVariant> fast = json::parseStrict(text);
        const std::optional<QVariant> qt = qtParse(text);
        if (fast && (!qt || !sameTree(*fast, *qt)))
            QFAIL(qPrintable(u"text %1 (%2): the fast reader and Qt disagree"_s.arg(i).arg(
                QString::fromLatin1(printable(text)))));
        taken += fast.has_value();
        rejectedByBoth += !fast && !qt;
        const auto parsed = json::parse(text);
        QCOMPARE(parsed.ok(), qt.has_value());
    }
    // Both paths are exercised: most texts go the fast way, many are errors.
    QVERIFY2(taken > 5000, qPrintable(QString::number(taken)));
    QVERIFY2(rejectedByBoth > 1000, qPrintable(QString::number(rejectedByBoth)));
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
