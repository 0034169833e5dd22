// MessagePack <-> QVariant, byte for byte against notepack.io 3.0.1 (the codec of
// @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.1).
//
// Every hex string in the "notepack" tables was produced by running notepack.io's `encode`
// under Node 20 on the JS value named in the row (tests/interop/node_modules/notepack.io).
// Long values are spelled as header + repeated body; the header and the body were checked
// against notepack's output in full. Map keys were written in alphabetical order in JS so that
// notepack's insertion order equals QVariantMap's sorted order.
#include "switchboard/json.h"
#include "switchboard/msgpackvariant.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;
namespace msgpack = switchboard::msgpack;

#include "testvalues.h"

using namespace testvalues;

namespace {

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

// A header in hex followed by `count` copies of the bytes `itemHex` spells.
QByteArray repeated(const char *headerHex, const char *itemHex, qsizetype count)
{
    return hex(headerHex) + hex(itemHex).repeated(count);
}

// "héllo ✓" and "😀" in UTF-8, spelled out so the test does not depend on the source encoding.
QString helloCheck()
{
    return QString::fromUtf8("h\xc3\xa9llo \xe2\x9c\x93");
}

QString grinning()
{
    return QString::fromUtf8("\xf0\x9f\x98\x80");
}

QVariantList nulls(qsizetype count)
{
    return QVariantList(count, null());
}

QVariantList counting(int count)
{
    QVariantList list;
    for (int i = 0; i < count; ++i)
        list.append(qint64(i));
    return list;
}

// {k00: 0, k01: 1, ...}
QVariantMap countingMap(int count)
{
    QVariantMap map;
    for (int i = 0; i < count; ++i)
        map.insert(u"k%1"_s.arg(i, 2, 10, QChar(u'0')), qint64(i));
    return map;
}

// The JS values of the map rows: 15 and 16 entries "kNN": NN.
QByteArray countingMapBytes(const char *headerHex, int count)
{
    QByteArray bytes = hex(headerHex);
    for (int i = 0; i < count; ++i)
        bytes += hex("a36b") + QByteArray::number(i / 10) + QByteArray::number(i % 10) + char(i);
    return bytes;
}

// Rows whose bytes notepack.io writes for the JS value and Switchboard writes for the QVariant,
// and which each side reads back as the other's value.
void addNotepackVectors()
{
    // Scalars.
    QTest::addRow("null") << null() << hex("c0");
    QTest::addRow("true") << QVariant(true) << hex("c3");
    QTest::addRow("false") << QVariant(false) << hex("c2");

    // Integers at every width boundary.
    QTest::addRow("0") << QVariant(qint64(0)) << hex("00");
    QTest::addRow("1") << QVariant(qint64(1)) << hex("01");
    QTest::addRow("127") << QVariant(qint64(127)) << hex("7f");
    QTest::addRow("128") << QVariant(qint64(128)) << hex("cc80");
    QTest::addRow("255") << QVariant(qint64(255)) << hex("ccff");
    QTest::addRow("256") << QVariant(qint64(256)) << hex("cd0100");
    QTest::addRow("65535") << QVariant(qint64(65535)) << hex("cdffff");
    QTest::addRow("65536") << QVariant(qint64(65536)) << hex("ce00010000");
    QTest::addRow("2^32-1") << QVariant(qint64(4294967295)) << hex("ceffffffff");
    QTest::addRow("2^32") << QVariant(qint64(4294967296)) << hex("cf0000000100000000");
    QTest::addRow("2^53-1") << QVariant(qint64(9007199254740991)) << hex("cf001fffffffffffff");
    QTest::addRow("2^53") << QVariant(qint64(9007199254740992)) << hex("cf0020000000000000");
    QTest::addRow("2^63") << QVariant(quint64(9223372036854775808ULL)) << hex("cf8000000000000000");
    QTest::addRow("-1") << QVariant(qint64(-1)) << hex("ff");
    QTest::addRow("-32") << QVariant(qint64(-32)) << hex("e0");
    QTest::addRow("-33") << QVariant(qint64(-33)) << hex("d0df");
    QTest::addRow("-128") << QVariant(qint64(-128)) << hex("d080");
    QTest::addRow("-129") << QVariant(qint64(-129)) << hex("d1ff7f");
    QTest::addRow("-32768") << QVariant(qint64(-32768)) << hex("d18000");
    QTest::addRow("-32769") << QVariant(qint64(-32769)) << hex("d2ffff7fff");
    QTest::addRow("-2^31") << QVariant(qint64(-2147483648LL)) << hex("d280000000");
    QTest::addRow("-2^31-1") << QVariant(qint64(-2147483649LL)) << hex("d3ffffffff7fffffff");
    QTest::addRow("-(2^53-1)") << QVariant(qint64(-9007199254740991LL))
                               << hex("d3ffe0000000000001");
    QTest::addRow("-2^53") << QVariant(qint64(-9007199254740992LL)) << hex("d3ffe0000000000000");

    // Non-integral numbers: always float64.
    QTest::addRow("1.5") << QVariant(1.5) << hex("cb3ff8000000000000");
    QTest::addRow("-0.25") << QVariant(-0.25) << hex("cbbfd0000000000000");
    QTest::addRow("0.1") << QVariant(0.1) << hex("cb3fb999999999999a");
    QTest::addRow("Infinity") << QVariant(std::numeric_limits<double>::infinity())
                              << hex("cb7ff0000000000000");
    QTest::addRow("-Infinity") << QVariant(-std::numeric_limits<double>::infinity())
                               << hex("cbfff0000000000000");

    // Strings at every width boundary (length in UTF-8 bytes).
    QTest::addRow("str 0") << QVariant(u""_s) << hex("a0");
    QTest::addRow("str 31") << QVariant(QString(31, u'a')) << repeated("bf", "61", 31);
    QTest::addRow("str 32") << QVariant(QString(32, u'a')) << repeated("d920", "61", 32);
    QTest::addRow("str 255") << QVariant(QString(255, u'a')) << repeated("d9ff", "61", 255);
    QTest::addRow("str 256") << QVariant(QString(256, u'a')) << repeated("da0100", "61", 256);
    QTest::addRow("str 65535") << QVariant(QString(65535, u'a')) << repeated("daffff", "61", 65535);
    QTest::addRow("str 65536") << QVariant(QString(65536, u'a'))
                               << repeated("db00010000", "61", 65536);
    QTest::addRow("str utf-8") << QVariant(helloCheck()) << hex("aa68c3a96c6c6f20e29c93");
    QTest::addRow("str astral") << QVariant(grinning()) << hex("a4f09f9880");
    QTest::addRow("str with NUL") << QVariant(QString(u"a\0b"_s)) << hex("a3610062");

    // Buffers.
    QTest::addRow("bin 0") << QVariant(QByteArray()) << hex("c400");
    QTest::addRow("bin 1") << QVariant(hex("ab")) << hex("c401ab");
    QTest::addRow("bin 255") << QVariant(QByteArray(255, '\x07')) << repeated("c4ff", "07", 255);
    QTest::addRow("bin 256") << QVariant(QByteArray(256, '\x07')) << repeated("c50100", "07", 256);
    QTest::addRow("bin 65535") << QVariant(QByteArray(65535, '\x07'))
                               << repeated("c5ffff", "07", 65535);
    QTest::addRow("bin 65536") << QVariant(QByteArray(65536, '\x07'))
                               << repeated("c600010000", "07", 65536);

    // Arrays.
    QTest::addRow("array 0") << QVariant(QVariantList{}) << hex("90");
    QTest::addRow("array 15") << QVariant(counting(15)) << hex("9f000102030405060708090a0b0c0d0e");
    QTest::addRow("array 16") << QVariant(counting(16))
                              << hex("dc0010000102030405060708090a0b0c0d0e0f");
    QTest::addRow("array 65535") << QVariant(nulls(65535)) << repeated("dcffff", "c0", 65535);
    QTest::addRow("array 65536") << QVariant(nulls(65536)) << repeated("dd00010000", "c0", 65536);

    // Maps.
    QTest::addRow("map 0") << QVariant(QVariantMap{}) << hex("80");
    QTest::addRow("map 1") << QVariant(QVariantMap{{u"a"_s, qint64(1)}}) << hex("81a16101");
    QTest::addRow("map 15") << QVariant(countingMap(15)) << countingMapBytes("8f", 15);
    QTest::addRow("map 16") << QVariant(countingMap(16)) << countingMapBytes("de0010", 16);
    QTest::addRow("map utf-8 key")
        << QVariant(
               QVariantMap{{QString::fromUtf8("cl\xc3\xa9"), QString::fromUtf8("\xe2\x9c\x93")}})
        << hex("81a4636cc3a9a3e29c93");

    // {a: [1, {b: null, c: [true, "x"]}], d: {e: Buffer.from([1, 2]), f: -1.5}}
    QTest::addRow("nested")
        << QVariant(QVariantMap{
               {u"a"_s, QVariantList{qint64(1), QVariantMap{{u"b"_s, null()},
                                                            {u"c"_s, QVariantList{true, u"x"_s}}}}},
               {u"d"_s, QVariantMap{{u"e"_s, hex("0102")}, {u"f"_s, -1.5}}}})
        << hex("82a161920182a162c0a16392c3a178a16482a165c4020102a166cbbff8000000000000");
}

} // namespace

class TestMsgpack : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodeMatchesNotepack_data();
    void encodeMatchesNotepack();
    void decodeNotepackBytes_data();
    void decodeNotepackBytes();
    void decodeOtherEncodings_data();
    void decodeOtherEncodings();
    void encodeQtTypes_data();
    void encodeQtTypes();
    void largeIntegralDoubles_data();
    void largeIntegralDoubles();
    void nan();
    void undefinedValues();
    void notepackDates_data();
    void notepackDates();
    void roundTrip_data();
    void roundTrip();
    void rejects_data();
    void rejects();
    void nestingLimit_data();
    void nestingLimit();
    void configuredNestingLimit_data();
    void configuredNestingLimit();
    void repeatedShortStrings();
};

void TestMsgpack::encodeMatchesNotepack_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("bytes");
    addNotepackVectors();
}

void TestMsgpack::encodeMatchesNotepack()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, bytes);

    const QByteArray encoded = msgpack::encode(value);
    if (encoded.size() > 64 || bytes.size() > 64) {
        // Compare the size and the head first, so that a mismatch prints something readable.
        QCOMPARE(encoded.size(), bytes.size());
        QCOMPARE(encoded.left(16).toHex(), bytes.left(16).toHex());
        QVERIFY(encoded == bytes);
    } else {
        QCOMPARE(encoded.toHex(), bytes.toHex());
    }
}

void TestMsgpack::decodeNotepackBytes_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("bytes");
    addNotepackVectors();

    // Bytes notepack writes that Switchboard does not write the same way, but reads alike.
    // {b: 1, a: 2}: JS keeps insertion order, QVariantMap sorts.
    QTest::addRow("map in non-alphabetical order")
        << QVariant(QVariantMap{{u"a"_s, qint64(2)}, {u"b"_s, qint64(1)}}) << hex("82a16201a16102");
    // [undefined, 1]: notepack 3 writes undefined as nil.
    QTest::addRow("array with undefined (notepack 3)")
        << QVariant(QVariantList{null(), qint64(1)}) << hex("92c001");
    // 3.0 and -0 are integers to JS.
    QTest::addRow("3.0") << QVariant(qint64(3)) << hex("03");
    QTest::addRow("-0") << QVariant(qint64(0)) << hex("00");
}

void TestMsgpack::decodeNotepackBytes()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, bytes);

    const auto decoded = msgpack::decode(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(describe(decoded.value()), describe(value));
}

void TestMsgpack::decodeOtherEncodings_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QVariant>("value");

    // Valid MessagePack that notepack 3 does not write but reads; the expected value is what
    // notepack's decoder returns for it (checked under Node).
    QTest::addRow("float32 1.5") << hex("ca3fc00000") << QVariant(1.5);
    QTest::addRow("uint64 max") << hex("cfffffffffffffffff")
                                << QVariant(std::numeric_limits<quint64>::max());
    QTest::addRow("int64 min") << hex("d38000000000000000")
                               << QVariant(std::numeric_limits<qint64>::min());
    QTest::addRow("uint8 small value") << hex("cc05") << QVariant(qint64(5));
    QTest::addRow("int32 positive value") << hex("d200000007") << QVariant(qint64(7));
    QTest::addRow("str8 short string") << hex("d903616263") << QVariant(u"abc"_s);
    QTest::addRow("array16 of 1") << hex("dc000101") << QVariant(QVariantList{qint64(1)});
    QTest::addRow("map16 of 1") << hex("de0001a16101")
                                << QVariant(QVariantMap{{u"a"_s, qint64(1)}});
    // Map keys that are not strings become their text, as JS object keys do.
    QTest::addRow("integer map key") << hex("8101a161") << QVariant(QVariantMap{{u"1"_s, u"a"_s}});
    QTest::addRow("true map key") << hex("81c3a161") << QVariant(QVariantMap{{u"true"_s, u"a"_s}});
    // Unknown extension types carry nothing a Socket.IO packet can hold.
    QTest::addRow("fixext1 type 5") << hex("d405aa") << null();
    // msgpack-c does not tell fixext from ext 8 of the same length, so type 0 reads as the
    // old ArrayBuffer encoding whatever its form (notepack would give [0, Buffer] here).
    QTest::addRow("fixext2 type 0") << hex("d5000102") << QVariant(QByteArray("\x01\x02", 2));
    QTest::addRow("ext in array") << hex("92d405aa01") << QVariant(QVariantList{null(), qint64(1)});
    // notepack reads ext 8/16/32 of type 0 as an ArrayBuffer (the ArrayBuffer encoding of
    // notepack 1.x/2.x, "kept for backward-compatibility"), which socket.io sends to clients
    // as a binary attachment.
    QTest::addRow("ext8 type 0 (legacy ArrayBuffer)")
        << hex("c70300010203") << QVariant(hex("010203"));
    QTest::addRow("ext16 type 0 (legacy ArrayBuffer)")
        << hex("c800020001ff") << QVariant(hex("01ff"));
    QTest::addRow("ext32 type 0 (legacy ArrayBuffer)")
        << hex("c90000000100aa") << QVariant(hex("aa"));
    // A one-byte ArrayBuffer in an ext 8 is not notepack's `undefined` (that is fixext 1 only).
    QTest::addRow("ext8 type 0 of 1 byte (legacy ArrayBuffer)")
        << hex("c70100aa") << QVariant(hex("aa"));
    QTest::addRow("map holding a 1-byte legacy ArrayBuffer")
        << hex("81a162c70100aa") << QVariant(QVariantMap{{u"b"_s, hex("aa")}});
}

void TestMsgpack::decodeOtherEncodings()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QVariant, value);

    const auto decoded = msgpack::decode(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(describe(decoded.value()), describe(value));
}

void TestMsgpack::encodeQtTypes_data()
{
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QByteArray>("bytes");

    // The bytes are notepack's for the JS value the QVariant stands for.
    QTest::addRow("invalid QVariant -> nil") << QVariant() << hex("c0");
    QTest::addRow("int") << QVariant(int(5)) << hex("05");
    QTest::addRow("negative int") << QVariant(int(-33)) << hex("d0df");
    QTest::addRow("uint") << QVariant(uint(200)) << hex("ccc8");
    QTest::addRow("uint max") << QVariant(std::numeric_limits<uint>::max()) << hex("ceffffffff");
    QTest::addRow("short") << QVariant::fromValue(short(-200)) << hex("d1ff38");
    QTest::addRow("ushort") << QVariant::fromValue(ushort(65535)) << hex("cdffff");
    QTest::addRow("long long -2^31-1")
        << QVariant(qlonglong(-2147483649LL)) << hex("d3ffffffff7fffffff");
    QTest::addRow("ulonglong 2^32")
        << QVariant(qulonglong(4294967296ULL)) << hex("cf0000000100000000");
    // Integral doubles are integers to notepack (JS has only numbers).
    QTest::addRow("double 3.0") << QVariant(3.0) << hex("03");
    QTest::addRow("double -0.0") << QVariant(-0.0) << hex("00");
    QTest::addRow("double 255.0") << QVariant(255.0) << hex("ccff");
    QTest::addRow("double -129.0") << QVariant(-129.0) << hex("d1ff7f");
    QTest::addRow("double 2^32") << QVariant(4294967296.0) << hex("cf0000000100000000");
    QTest::addRow("double 2^53-1") << QVariant(9007199254740991.0) << hex("cf001fffffffffffff");
    QTest::addRow("double -(2^53-1)") << QVariant(-9007199254740991.0) << hex("d3ffe0000000000001");
    QTest::addRow("float 1.5f") << QVariant(1.5f) << hex("cb3ff8000000000000");
    QTest::addRow("float 2.0f") << QVariant(2.0f) << hex("02");
    QTest::addRow("QStringList") << QVariant(QStringList{u"a"_s, u"b"_s}) << hex("92a161a162");
    QTest::addRow("QVariantHash") << QVariant(QVariantHash{{u"k"_s, 1}}) << hex("81a16b01");
    QTest::addRow("nullptr in a list")
        << QVariant(QVariantList{QVariant(), null()}) << hex("92c0c0");
    // ["ev", 1, {a: "b"}, Buffer.from([1, 2, 3])]: the data of a broadcast.
    QTest::addRow("event data") << QVariant(QVariantList{u"ev"_s, 1, QVariantMap{{u"a"_s, u"b"_s}},
                                                         hex("010203")})
                                << hex("94a265760181a161a162c403010203");
}

void TestMsgpack::encodeQtTypes()
{
    QFETCH(QVariant, value);
    QFETCH(QByteArray, bytes);

    QCOMPARE(msgpack::encode(value).toHex(), bytes.toHex());
}

void TestMsgpack::largeIntegralDoubles_data()
{
    QTest::addColumn<double>("value");

    // Past 2^53 Switchboard writes integral doubles as float64 where notepack writes uint64 /
    // int64 (notepack: 2^53 -> cf0020000000000000, and 1e300 -> cf0000000000000000, which is
    // wrong). The bytes differ on purpose; the number read back must be the same.
    QTest::addRow("2^53") << 9007199254740992.0;
    QTest::addRow("-2^53") << -9007199254740992.0;
    QTest::addRow("2^63") << 9223372036854775808.0;
    QTest::addRow("1e300") << 1e300;
}

void TestMsgpack::largeIntegralDoubles()
{
    QFETCH(double, value);

    const QByteArray bytes = msgpack::encode(QVariant(value));
    const auto decoded = msgpack::decode(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->toDouble(), value);
}

void TestMsgpack::nan()
{
    // notepack: NaN -> cb7ff8000000000000.
    const QByteArray bytes = hex("cb7ff8000000000000");
    QCOMPARE(msgpack::encode(QVariant(std::numeric_limits<double>::quiet_NaN())).toHex(),
             bytes.toHex());
    const auto decoded = msgpack::decode(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded->typeId(), QMetaType::Double);
    QVERIFY(std::isnan(decoded->toDouble()));
}

void TestMsgpack::undefinedValues()
{
    // notepack 1.x/2.x wrote `undefined` as fixext 1 [0, 0]; notepack 3 still reads it.
    const auto top = msgpack::decode(hex("d40000"));
    QVERIFY2(top.ok(), qPrintable(top.error()));
    QVERIFY(!top->isValid());

    // In an array it is a hole: null (JSON.stringify([undefined]) is "[null]").
    const auto inArray = msgpack::decode(hex("92d4000001"));
    QVERIFY2(inArray.ok(), qPrintable(inArray.error()));
    QCOMPARE(describe(*inArray), describe(QVariantList{null(), qint64(1)}));

    // In a map the entry is dropped (JSON.stringify({a: undefined, b: 1}) is {"b":1}).
    const auto inMap = msgpack::decode(hex("82a161d40000a16201"));
    QVERIFY2(inMap.ok(), qPrintable(inMap.error()));
    QCOMPARE(describe(*inMap), describe(QVariantMap{{u"b"_s, qint64(1)}}));

    // Nested: [{a: undefined}, [undefined]].
    const auto nested = msgpack::decode(hex("9281a161d4000091d40000"));
    QVERIFY2(nested.ok(), qPrintable(nested.error()));
    QCOMPARE(describe(*nested), describe(QVariantList{QVariantMap{}, QVariantList{null()}}));
}

void TestMsgpack::notepackDates_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("json");

    // notepack writes a JS Date as a msgpack timestamp (ext -1) and reads it back as a Date;
    // a Node.js socket.io server then sends it to its clients as JSON.stringify does: the ISO
    // string. A Switchboard node must hand its clients the same text, not null.
    QTest::addRow("new Date(1000): timestamp 32")
        << hex("d6ff00000001") << QByteArray("\"1970-01-01T00:00:01.000Z\"");
    QTest::addRow("new Date(1500): timestamp 64")
        << hex("d7ff7735940000000001") << QByteArray("\"1970-01-01T00:00:01.500Z\"");
    QTest::addRow("2024-01-02T03:04:05.678Z: timestamp 64")
        << hex("d7ffa1a5d60065937d25") << QByteArray("\"2024-01-02T03:04:05.678Z\"");
    QTest::addRow("new Date(-1000): timestamp 96")
        << hex("c70cff00000000ffffffffffffffff") << QByteArray("\"1969-12-31T23:59:59.000Z\"");
}

void TestMsgpack::notepackDates()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, json);

    const auto decoded = msgpack::decode(bytes);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(switchboard::json::serialize(*decoded), json);
}

void TestMsgpack::roundTrip_data()
{
    QTest::addColumn<QVariant>("value");

    QTest::addRow("broadcast") << QVariant(
        QVariantList{u"Ab3xY9"_s,
                     QVariantMap{{u"type"_s, qint64(2)},
                                 {u"data"_s, QVariantList{u"ev"_s, hex("00ff"), qint64(-5), 2.5}},
                                 {u"nsp"_s, u"/chat"_s}},
                     QVariantMap{{u"rooms"_s, QVariantList{u"r1"_s}},
                                 {u"except"_s, QVariantList{}},
                                 {u"flags"_s, QVariantMap{{u"volatile"_s, true}}}}});
    QTest::addRow("empty containers")
        << QVariant(QVariantList{QVariantList{}, QVariantMap{}, u""_s, QByteArray()});
    QTest::addRow("utf-8 everywhere")
        << QVariant(QVariantMap{{helloCheck(), QVariantList{grinning(), helloCheck()}}});
    QTest::addRow("deep but allowed") << QVariant(QVariantList{
        QVariantList{QVariantList{QVariantList{QVariantMap{{u"x"_s, QVariantList{null()}}}}}}});
}

void TestMsgpack::roundTrip()
{
    QFETCH(QVariant, value);

    const auto decoded = msgpack::decode(msgpack::encode(value));
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(describe(*decoded), describe(value));
}

void TestMsgpack::rejects_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("reasonContains");

    QTest::addRow("empty") << QByteArray() << QString();
    QTest::addRow("reserved byte c1") << hex("c1") << QString();
    QTest::addRow("truncated fixstr") << hex("a5616263") << QString();
    QTest::addRow("truncated str8") << hex("d920") + QByteArray(10, 'a') << QString();
    QTest::addRow("truncated str16") << hex("da0100") + QByteArray(255, 'a') << QString();
    QTest::addRow("truncated str32") << hex("db00010000") + QByteArray(65535, 'a') << QString();
    QTest::addRow("str8 without length") << hex("d9") << QString();
    QTest::addRow("truncated bin8") << hex("c4050102") << QString();
    QTest::addRow("truncated bin16") << hex("c50100") + QByteArray(255, '\x07') << QString();
    QTest::addRow("truncated bin32") << hex("c60001000007") << QString();
    QTest::addRow("bin8 without length") << hex("c4") << QString();
    QTest::addRow("truncated fixarray") << hex("930102") << QString();
    QTest::addRow("truncated array16") << hex("dc001001") << QString();
    QTest::addRow("truncated array32") << hex("dd00010000c0") << QString();
    QTest::addRow("array32 of 2^20 without items") << hex("dd00100000") << QString();
    QTest::addRow("array32 of 2^32-1 without items") << hex("ddffffffff") << QString();
    QTest::addRow("map32 of 2^32-1 without entries") << hex("dfffffffff") << QString();
    QTest::addRow("truncated fixmap") << hex("82a16101") << QString();
    QTest::addRow("map key without value") << hex("81a3616263") << QString();
    QTest::addRow("truncated uint16") << hex("cd01") << QString();
    QTest::addRow("truncated uint32") << hex("ce0001") << QString();
    QTest::addRow("truncated uint64") << hex("cf00") << QString();
    QTest::addRow("truncated int8") << hex("d0") << QString();
    QTest::addRow("truncated float64") << hex("cb3ff8") << QString();
    QTest::addRow("truncated undefined") << hex("d400") << QString();
    QTest::addRow("truncated string inside a broadcast") << hex("93a6416233785939a4") << QString();
    QTest::addRow("trailing nil") << hex("c0c0") << u"trailing"_s;
    QTest::addRow("two integers") << hex("0102") << u"trailing"_s;
    QTest::addRow("array then garbage") << hex("9000") << u"trailing"_s;
    QTest::addRow("JSON text") << QByteArray("{}") << u"trailing"_s;
}

void TestMsgpack::rejects()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, reasonContains);

    const auto decoded = msgpack::decode(bytes);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
    if (!reasonContains.isEmpty())
        QVERIFY2(decoded.error().contains(reasonContains), qPrintable(decoded.error()));
}

void TestMsgpack::nestingLimit_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("accepted");

    // N containers around the integer 1: the integer sits at nesting level N.
    const auto arrays = [](int n) { return hex("91").repeated(n) + hex("01"); };
    const auto maps = [](int n) { return hex("81a161").repeated(n) + hex("01"); };
    QTest::addRow("arrays 1") << arrays(1) << true;
    QTest::addRow("arrays 32") << arrays(32) << true;
    QTest::addRow("arrays 33") << arrays(33) << true;
    QTest::addRow("arrays 64") << arrays(64) << true;
    QTest::addRow("arrays 65") << arrays(65) << false;
    QTest::addRow("arrays 100000") << arrays(100000) << false;
    QTest::addRow("maps 64") << maps(64) << true;
    QTest::addRow("maps 65") << maps(65) << false;
    QTest::addRow("maps 100000") << maps(100000) << false;
}

void TestMsgpack::nestingLimit()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, accepted);

    const auto decoded = msgpack::decode(bytes);
    QCOMPARE(decoded.ok(), accepted);
    if (!accepted)
        QVERIFY2(decoded.error().contains(u"64"_s), qPrintable(decoded.error()));
}

void TestMsgpack::configuredNestingLimit_data()
{
    QTest::addColumn<int>("maxDepth");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("accepted");

    const auto arrays = [](int n) { return hex("91").repeated(n) + hex("01"); };
    const auto maps = [](int n) { return hex("81a161").repeated(n) + hex("01"); };
    // The innermost container empty: it still counts as a level.
    const auto emptyLast = [](int n) { return hex("91").repeated(n - 1) + hex("90"); };
    QTest::addRow("arrays 72 of 72") << 72 << arrays(72) << true;
    QTest::addRow("arrays 73 of 72") << 72 << arrays(73) << false;
    QTest::addRow("maps 72 of 72") << 72 << maps(72) << true;
    QTest::addRow("maps 73 of 72") << 72 << maps(73) << false;
    QTest::addRow("empty last 34 of 34") << 34 << emptyLast(34) << true;
    QTest::addRow("empty last 35 of 34") << 34 << emptyLast(35) << false;
    QTest::addRow("a scalar at limit 1") << 1 << hex("01") << true;
    QTest::addRow("one array at limit 1") << 1 << arrays(1) << true;
    QTest::addRow("two arrays at limit 1") << 1 << arrays(2) << false;
    QTest::addRow("1000 of 1002") << 1002 << arrays(1000) << true;
}

void TestMsgpack::configuredNestingLimit()
{
    QFETCH(int, maxDepth);
    QFETCH(QByteArray, bytes);
    QFETCH(bool, accepted);

    const auto decoded = msgpack::decode(bytes, maxDepth);
    QVERIFY2(decoded.ok() == accepted, qPrintable(decoded.error()));
    if (!accepted)
        QCOMPARE(decoded.error(), u"msgpack nesting deeper than %1"_s.arg(maxDepth));
}

void TestMsgpack::repeatedShortStrings()
{
    // Short strings are decoded through a small per-thread table (64 slots, up to 24 bytes):
    // many strings sharing slots, the same lengths, the same prefixes, the longest cached
    // length and one byte past it, UTF-8, decoded twice over, must each come back as itself.
    QVariantMap map;
    QVariantList list;
    for (int i = 0; i < 400; ++i) {
        const QString key = u"k%1"_s.arg(i, 3, 10, QLatin1Char('0'));
        map.insert(key, u"v%1"_s.arg(i));
        list.append(QString(24 + i % 2, QLatin1Char('a' + i % 26)));
        list.append(u"\u00e9%1"_s.arg(i % 7));
    }
    const QVariant value = QVariantList{map, list, map, list};
    const QByteArray bytes = switchboard::msgpack::encode(value);
    for (int round = 0; round < 3; ++round) {
        const auto decoded = switchboard::msgpack::decode(bytes);
        QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
        QCOMPARE(decoded.value(), value);
    }
}

QTEST_GUILESS_MAIN(TestMsgpack)

#include "tst_msgpack.moc"
