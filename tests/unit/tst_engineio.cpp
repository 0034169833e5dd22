// Engine.IO v4 packet codec: every packet form, round trips, the open handshake, long-polling
// payloads and rejects.
#include "switchboard/engineio.h"
#include "switchboard/ids.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <memory>

using switchboard::engineio::OpenInfo;
using switchboard::engineio::Packet;
using switchboard::engineio::PacketType;
namespace engineio = switchboard::engineio;

Q_DECLARE_METATYPE(switchboard::engineio::Packet)
Q_DECLARE_METATYPE(switchboard::engineio::PacketType)
Q_DECLARE_METATYPE(switchboard::engineio::OpenInfo)
using PacketList = QList<switchboard::engineio::Packet>;
Q_DECLARE_METATYPE(PacketList)

namespace switchboard::engineio {

// Readable QCOMPARE failures.
char *toString(const Packet &packet)
{
    const std::unique_ptr<char[]> data(QTest::toString(packet.data));
    return qstrdup(QByteArray("Packet(") + typeName(packet.type) +
                   (packet.binary ? ", binary, " : ", text, ") + data.get() + ')');
}

char *toString(const OpenInfo &info)
{
    return qstrdup(encodeOpen(info));
}

} // namespace switchboard::engineio

namespace {

// The first frame of a WebSocket session, byte for byte as DESIGN.md gives it.
const QByteArray sid20 = QByteArrayLiteral("AbCdEfGhIjKlMnOpQr_-");
const QByteArray designOpenFrame =
    QByteArrayLiteral("0{\"sid\":\"AbCdEfGhIjKlMnOpQr_-\",\"upgrades\":[],\"pingInterval\":25000,"
                      "\"pingTimeout\":20000,\"maxPayload\":1000000}");

// "héllo ✓ 😀" spelled out in UTF-8 so the test does not depend on the source encoding.
const QByteArray utf8Text = QByteArrayLiteral("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");

OpenInfo openInfo(const QString &sid, const QStringList &upgrades, int interval, int timeout,
                  qint64 maxPayload)
{
    OpenInfo info;
    info.sid = sid;
    info.upgrades = upgrades;
    info.pingInterval = interval;
    info.pingTimeout = timeout;
    info.maxPayload = maxPayload;
    return info;
}

} // namespace

class TestEngineIo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encode_data();
    void encode();
    void decodeText_data();
    void decodeText();
    void decodeBinary_data();
    void decodeBinary();
    void roundTrip_data();
    void roundTrip();
    void decodeTextRejects_data();
    void decodeTextRejects();
    void encodeOpen_data();
    void encodeOpen();
    void openRoundTrip_data();
    void openRoundTrip();
    void decodeOpenRejects_data();
    void decodeOpenRejects();
    void payload_data();
    void payload();
    void decodePayloadRejects_data();
    void decodePayloadRejects();
    void typeName_data();
    void typeName();
    void randomIdShape();
    void randomTokenShape();
};

void TestEngineIo::encode_data()
{
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("frame");

    const QByteArray openJson = designOpenFrame.mid(1);
    QTest::addRow("open") << Packet{PacketType::Open, openJson, false} << designOpenFrame;
    QTest::addRow("close") << Packet{PacketType::Close, {}, false} << QByteArray("1");
    QTest::addRow("ping") << Packet{PacketType::Ping, {}, false} << QByteArray("2");
    QTest::addRow("ping probe") << Packet{PacketType::Ping, "probe", false} << QByteArray("2probe");
    QTest::addRow("pong") << Packet{PacketType::Pong, {}, false} << QByteArray("3");
    QTest::addRow("pong probe") << Packet{PacketType::Pong, "probe", false} << QByteArray("3probe");
    QTest::addRow("message text") << Packet{PacketType::Message, "hello", false}
                                  << QByteArray("4hello");
    QTest::addRow("message empty") << Packet{PacketType::Message, {}, false} << QByteArray("4");
    QTest::addRow("message socket.io event")
        << Packet{PacketType::Message, "2[\"ev\",{\"a\":1}]", false}
        << QByteArray("42[\"ev\",{\"a\":1}]");
    QTest::addRow("message utf-8")
        << Packet{PacketType::Message, utf8Text, false} << QByteArray("4" + utf8Text);
    QTest::addRow("upgrade") << Packet{PacketType::Upgrade, {}, false} << QByteArray("5");
    QTest::addRow("noop") << Packet{PacketType::Noop, {}, false} << QByteArray("6");
    QTest::addRow("binary message")
        << Packet{PacketType::Message, QByteArrayLiteral("\x00\x01\x02\xff"), true}
        << QByteArrayLiteral("\x00\x01\x02\xff");
    QTest::addRow("binary message that looks like text")
        << Packet{PacketType::Message, "4abc", true} << QByteArray("4abc");
    QTest::addRow("binary message empty") << Packet{PacketType::Message, {}, true} << QByteArray();
}

void TestEngineIo::encode()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, frame);

    QCOMPARE(engineio::encode(packet), frame);
    if (!packet.binary)
        QCOMPARE(engineio::encodeText(packet.type, packet.data), frame);
}

void TestEngineIo::decodeText_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<PacketType>("type");
    QTest::addColumn<QByteArray>("data");

    QTest::addRow("open") << designOpenFrame << PacketType::Open << designOpenFrame.mid(1);
    QTest::addRow("close") << QByteArray("1") << PacketType::Close << QByteArray();
    QTest::addRow("ping") << QByteArray("2") << PacketType::Ping << QByteArray();
    QTest::addRow("ping probe") << QByteArray("2probe") << PacketType::Ping << QByteArray("probe");
    QTest::addRow("pong") << QByteArray("3") << PacketType::Pong << QByteArray();
    QTest::addRow("pong probe") << QByteArray("3probe") << PacketType::Pong << QByteArray("probe");
    QTest::addRow("message text") << QByteArray("4hello") << PacketType::Message
                                  << QByteArray("hello");
    QTest::addRow("message empty") << QByteArray("4") << PacketType::Message << QByteArray();
    QTest::addRow("message utf-8") << QByteArray("4" + utf8Text) << PacketType::Message << utf8Text;
    QTest::addRow("message with digits")
        << QByteArray("4412") << PacketType::Message << QByteArray("412");
    QTest::addRow("message with NUL")
        << QByteArrayLiteral("4a\x00z") << PacketType::Message << QByteArrayLiteral("a\x00z");
    QTest::addRow("upgrade") << QByteArray("5") << PacketType::Upgrade << QByteArray();
    QTest::addRow("noop") << QByteArray("6") << PacketType::Noop << QByteArray();
}

void TestEngineIo::decodeText()
{
    QFETCH(QByteArray, frame);
    QFETCH(PacketType, type);
    QFETCH(QByteArray, data);

    const auto decoded = engineio::decodeText(frame);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QVERIFY(bool(decoded));
    QVERIFY(decoded.error().isEmpty());
    QCOMPARE(decoded.value(), (Packet{type, data, false}));
}

void TestEngineIo::decodeBinary_data()
{
    QTest::addColumn<QByteArray>("frame");

    QTest::addRow("bytes") << QByteArrayLiteral("\x00\x01\x02\xff");
    QTest::addRow("leading digit is payload") << QByteArray("4abc");
    QTest::addRow("utf-8 bytes") << utf8Text;
    QTest::addRow("empty") << QByteArray();
}

void TestEngineIo::decodeBinary()
{
    QFETCH(QByteArray, frame);

    // A binary WebSocket frame is a message with no type prefix: nothing is stripped.
    QCOMPARE(engineio::decodeBinary(frame), (Packet{PacketType::Message, frame, true}));
}

void TestEngineIo::roundTrip_data()
{
    QTest::addColumn<Packet>("packet");

    QTest::addRow("open") << Packet{PacketType::Open, designOpenFrame.mid(1), false};
    QTest::addRow("close") << Packet{PacketType::Close, {}, false};
    QTest::addRow("ping") << Packet{PacketType::Ping, {}, false};
    QTest::addRow("ping probe") << Packet{PacketType::Ping, "probe", false};
    QTest::addRow("pong") << Packet{PacketType::Pong, {}, false};
    QTest::addRow("message text") << Packet{PacketType::Message, "40/chat,", false};
    QTest::addRow("message utf-8") << Packet{PacketType::Message, utf8Text, false};
    QTest::addRow("upgrade") << Packet{PacketType::Upgrade, {}, false};
    QTest::addRow("noop") << Packet{PacketType::Noop, {}, false};
    QTest::addRow("binary message")
        << Packet{PacketType::Message, QByteArrayLiteral("\x00\xfe\x34\x00"), true};
}

void TestEngineIo::roundTrip()
{
    QFETCH(Packet, packet);

    const QByteArray frame = engineio::encode(packet);
    if (packet.binary) {
        QCOMPARE(engineio::decodeBinary(frame), packet);
        return;
    }
    const auto decoded = engineio::decodeText(frame);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded.value(), packet);
    QCOMPARE(engineio::encode(decoded.value()), frame);
}

void TestEngineIo::decodeTextRejects_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("mentions"); // a fragment the reason must contain

    QTest::addRow("empty frame") << QByteArray() << QStringLiteral("empty");
    QTest::addRow("type 7") << QByteArray("7") << QStringLiteral("'7'");
    QTest::addRow("type 7 with data") << QByteArray("7hello") << QStringLiteral("'7'");
    QTest::addRow("type 9") << QByteArray("9") << QStringLiteral("'9'");
    QTest::addRow("type x") << QByteArray("x") << QStringLiteral("'x'");
    QTest::addRow("type x with data") << QByteArray("xyz") << QStringLiteral("'x'");
    QTest::addRow("base64 polling binary") << QByteArray("bAAE=") << QStringLiteral("'b'");
    QTest::addRow("leading space") << QByteArray(" 4hi") << QStringLiteral("' '");
    QTest::addRow("minus sign") << QByteArray("-1") << QStringLiteral("'-'");
    QTest::addRow("slash (below '0')") << QByteArray("/") << QStringLiteral("'/'");
    QTest::addRow("colon (above '9')") << QByteArray(":") << QStringLiteral("':'");
    QTest::addRow("NUL byte") << QByteArrayLiteral("\x00") << QString();
    QTest::addRow("high byte") << QByteArrayLiteral("\xff") << QString();
}

void TestEngineIo::decodeTextRejects()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, mentions);

    const auto decoded = engineio::decodeText(frame);
    QVERIFY(!decoded.ok());
    QVERIFY(!bool(decoded));
    QVERIFY(!decoded.error().isEmpty());
    if (!mentions.isEmpty())
        QVERIFY2(decoded.error().contains(mentions), qPrintable(decoded.error()));
}

void TestEngineIo::encodeOpen_data()
{
    QTest::addColumn<OpenInfo>("info");
    QTest::addColumn<QByteArray>("frame");

    QTest::addRow("websocket defaults")
        << openInfo(QString::fromLatin1(sid20), {}, 25000, 20000, 1000000) << designOpenFrame;
    QTest::addRow("default-constructed timings")
        << openInfo(QString::fromLatin1(sid20), {}, OpenInfo{}.pingInterval, OpenInfo{}.pingTimeout,
                    OpenInfo{}.maxPayload)
        << designOpenFrame;
    QTest::addRow("polling offers websocket")
        << openInfo(QStringLiteral("s1"), {QStringLiteral("websocket")}, 25000, 20000, 1000000)
        << QByteArray("0{\"sid\":\"s1\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
                      "\"pingTimeout\":20000,\"maxPayload\":1000000}");
    QTest::addRow("custom timings and large payload")
        << openInfo(QStringLiteral("abc"), {}, 100, 50, Q_INT64_C(5000000000))
        << QByteArray("0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":100,"
                      "\"pingTimeout\":50,\"maxPayload\":5000000000}");
    QTest::addRow("two upgrades")
        << openInfo(QStringLiteral("abc"), {QStringLiteral("websocket"), QStringLiteral("wt")}, 1,
                    2, 3)
        << QByteArray("0{\"sid\":\"abc\",\"upgrades\":[\"websocket\",\"wt\"],\"pingInterval\":1,"
                      "\"pingTimeout\":2,\"maxPayload\":3}");
}

void TestEngineIo::encodeOpen()
{
    QFETCH(OpenInfo, info);
    QFETCH(QByteArray, frame);

    QCOMPARE(engineio::encodeOpen(info), frame);
}

void TestEngineIo::openRoundTrip_data()
{
    QTest::addColumn<OpenInfo>("info");

    QTest::addRow("websocket defaults")
        << openInfo(QString::fromLatin1(sid20), {}, 25000, 20000, 1000000);
    QTest::addRow("polling offers websocket")
        << openInfo(QStringLiteral("s1"), {QStringLiteral("websocket")}, 25000, 20000, 1000000);
    QTest::addRow("custom") << openInfo(QStringLiteral("x"), {}, 10, 11, Q_INT64_C(5000000000));
    QTest::addRow("random sid") << openInfo(switchboard::randomId(), {}, 25000, 20000, 1000000);
}

void TestEngineIo::openRoundTrip()
{
    QFETCH(OpenInfo, info);

    const QByteArray frame = engineio::encodeOpen(info);
    const auto packet = engineio::decodeText(frame);
    QVERIFY2(packet.ok(), qPrintable(packet.error()));
    QCOMPARE(packet->type, PacketType::Open);
    QCOMPARE(packet->binary, false);

    const auto decoded = engineio::decodeOpen(packet->data);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded.value(), info);
}

void TestEngineIo::decodeOpenRejects_data()
{
    QTest::addColumn<QByteArray>("data");

    const QByteArray tail = ",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
                            "\"maxPayload\":1000000}";
    QTest::addRow("empty") << QByteArray();
    QTest::addRow("not json") << QByteArray("hello");
    QTest::addRow("truncated json") << QByteArray("{\"sid\":\"abc\"");
    QTest::addRow("array") << QByteArray("[\"abc\"]");
    QTest::addRow("string") << QByteArray("\"abc\"");
    QTest::addRow("whole frame with type digit") << designOpenFrame;
    QTest::addRow("empty object") << QByteArray("{}");
    QTest::addRow("no sid") << QByteArray("{\"upgrades\":[],\"pingInterval\":25000,"
                                          "\"pingTimeout\":20000,\"maxPayload\":1000000}");
    QTest::addRow("empty sid") << QByteArray("{\"sid\":\"\"" + tail);
    QTest::addRow("numeric sid") << QByteArray("{\"sid\":12" + tail);
    QTest::addRow("no pingInterval")
        << QByteArray("{\"sid\":\"a\",\"pingTimeout\":20000,\"maxPayload\":1000000}");
    QTest::addRow("no pingTimeout")
        << QByteArray("{\"sid\":\"a\",\"pingInterval\":25000,\"maxPayload\":1000000}");
    QTest::addRow("no maxPayload")
        << QByteArray("{\"sid\":\"a\",\"pingInterval\":25000,\"pingTimeout\":20000}");
    QTest::addRow("zero pingInterval")
        << QByteArray("{\"sid\":\"a\",\"pingInterval\":0,\"pingTimeout\":1,\"maxPayload\":1}");
    QTest::addRow("negative pingTimeout")
        << QByteArray("{\"sid\":\"a\",\"pingInterval\":1,\"pingTimeout\":-5,\"maxPayload\":1}");
    QTest::addRow("zero maxPayload")
        << QByteArray("{\"sid\":\"a\",\"pingInterval\":1,\"pingTimeout\":1,\"maxPayload\":0}");
    QTest::addRow("pingInterval as string") << QByteArray(
        "{\"sid\":\"a\",\"pingInterval\":\"25000\",\"pingTimeout\":1,\"maxPayload\":1}");
}

void TestEngineIo::decodeOpenRejects()
{
    QFETCH(QByteArray, data);

    const auto decoded = engineio::decodeOpen(data);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().isEmpty());
}

void TestEngineIo::payload_data()
{
    QTest::addColumn<PacketList>("packets");
    QTest::addColumn<QByteArray>("payload");

    const Packet open{PacketType::Open, designOpenFrame.mid(1), false};
    QTest::addRow("open alone") << PacketList{open} << designOpenFrame;
    QTest::addRow("one message") << PacketList{{PacketType::Message, "hello", false}}
                                 << QByteArray("4hello");
    QTest::addRow("empty message")
        << PacketList{{PacketType::Message, {}, false}} << QByteArray("4");
    QTest::addRow("ping") << PacketList{{PacketType::Ping, {}, false}} << QByteArray("2");
    QTest::addRow("pong") << PacketList{{PacketType::Pong, {}, false}} << QByteArray("3");
    QTest::addRow("close") << PacketList{{PacketType::Close, {}, false}} << QByteArray("1");
    QTest::addRow("noop") << PacketList{{PacketType::Noop, {}, false}} << QByteArray("6");
    QTest::addRow("upgrade") << PacketList{{PacketType::Upgrade, {}, false}} << QByteArray("5");
    QTest::addRow("two messages") << PacketList{{PacketType::Message, "0", false},
                                                {PacketType::Message, "2[\"a\"]", false}}
                                  << QByteArray("40\x1e"
                                                "42[\"a\"]");
    QTest::addRow("every type") << PacketList{open,
                                              {PacketType::Close, {}, false},
                                              {PacketType::Ping, {}, false},
                                              {PacketType::Pong, {}, false},
                                              {PacketType::Message, "x", false},
                                              {PacketType::Upgrade, {}, false},
                                              {PacketType::Noop, {}, false}}
                                << QByteArray(designOpenFrame + "\x1e"
                                                                "1\x1e"
                                                                "2\x1e"
                                                                "3\x1e"
                                                                "4x\x1e"
                                                                "5\x1e"
                                                                "6");
    QTest::addRow("binary") << PacketList{{PacketType::Message,
                                           QByteArrayLiteral("\x01\x02\x03\x04"), true}}
                            << QByteArray("bAQIDBA==");
    QTest::addRow("empty binary") << PacketList{{PacketType::Message, {}, true}} << QByteArray("b");
    QTest::addRow("binary event with its attachment")
        << PacketList{{PacketType::Message, R"(51-["ev",{"_placeholder":true,"num":0}])", false},
                      {PacketType::Message, QByteArrayLiteral("\x00\xff"), true}}
        << QByteArray(R"(451-["ev",{"_placeholder":true,"num":0}])"
                      "\x1e"
                      "bAP8=");
    QTest::addRow("utf-8 message")
        << PacketList{{PacketType::Message, utf8Text, false}} << QByteArray("4" + utf8Text);
    QTest::addRow("message with a record separator escaped in JSON")
        << PacketList{{PacketType::Message, R"(2["a\u001eb"])", false}}
        << QByteArray(R"(42["a\u001eb"])");
}

void TestEngineIo::payload()
{
    QFETCH(PacketList, packets);
    QFETCH(QByteArray, payload);

    QCOMPARE(engineio::encodePayload(packets), payload);
    const auto decoded = engineio::decodePayload(payload);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error()));
    QCOMPARE(decoded.value(), packets);
    QByteArray built, builtFromText;
    for (const Packet &packet : packets) {
        engineio::appendToPayload(built, packet);
        if (packet.binary)
            engineio::appendToPayload(builtFromText, packet);
        else
            engineio::appendTextToPayload(builtFromText, engineio::encode(packet));
    }
    QCOMPARE(built, payload);
    QCOMPARE(builtFromText, payload);
}

void TestEngineIo::decodePayloadRejects_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("mentions");

    QTest::addRow("empty") << QByteArray() << QStringLiteral("empty payload");
    QTest::addRow("separator alone")
        << QByteArray("\x1e") << QStringLiteral("empty packet at index 0");
    QTest::addRow("leading separator") << QByteArray("\x1e"
                                                     "4a")
                                       << QStringLiteral("index 0");
    QTest::addRow("trailing separator") << QByteArray("4a\x1e") << QStringLiteral("index 1");
    QTest::addRow("two separators") << QByteArray("4a\x1e\x1e"
                                                  "4b")
                                    << QStringLiteral("index 1");
    QTest::addRow("garbage") << QByteArray("hello world") << QStringLiteral("'h'");
    QTest::addRow("unknown type in the middle") << QByteArray("4a\x1e"
                                                              "7b\x1e"
                                                              "4c")
                                                << QStringLiteral("'7' at index 1");
    QTest::addRow("invalid base64") << QByteArray("b!!!!") << QStringLiteral("invalid base64");
    QTest::addRow("invalid base64 in a later packet") << QByteArray("4a\x1e"
                                                                    "bAQ*D")
                                                      << QStringLiteral("index 1");
    QTest::addRow("NUL type byte") << QByteArrayLiteral("\x00") << QStringLiteral("byte 0");
    QTest::addRow("length-prefixed v3 payload") << QByteArray("7:4hello") << QStringLiteral("'7'");
}

void TestEngineIo::decodePayloadRejects()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, mentions);

    const auto decoded = engineio::decodePayload(payload);
    QVERIFY(!decoded.ok());
    QVERIFY2(decoded.error().contains(mentions), qPrintable(decoded.error()));
}

void TestEngineIo::typeName_data()
{
    QTest::addColumn<PacketType>("type");
    QTest::addColumn<QByteArray>("name");

    QTest::addRow("0") << PacketType::Open << QByteArray("open");
    QTest::addRow("1") << PacketType::Close << QByteArray("close");
    QTest::addRow("2") << PacketType::Ping << QByteArray("ping");
    QTest::addRow("3") << PacketType::Pong << QByteArray("pong");
    QTest::addRow("4") << PacketType::Message << QByteArray("message");
    QTest::addRow("5") << PacketType::Upgrade << QByteArray("upgrade");
    QTest::addRow("6") << PacketType::Noop << QByteArray("noop");
}

void TestEngineIo::typeName()
{
    QFETCH(PacketType, type);
    QFETCH(QByteArray, name);

    QCOMPARE(QByteArray(engineio::typeName(type)), name);
    // The digit on the wire is the enum value.
    QCOMPARE(engineio::encodeText(type).front(), QTest::currentDataTag()[0]);
}

void TestEngineIo::randomIdShape()
{
    static const QRegularExpression urlSafe20(QStringLiteral("^[A-Za-z0-9_-]{20}$"));
    QSet<QString> seen;
    for (int i = 0; i < 100; ++i) {
        const QString id = switchboard::randomId();
        QVERIFY2(urlSafe20.match(id).hasMatch(), qPrintable(id));
        seen.insert(id);
    }
    QCOMPARE(seen.size(), 100);
}

void TestEngineIo::randomTokenShape()
{
    static const QRegularExpression alnum6(QStringLiteral("^[A-Za-z0-9]{6}$"));
    for (int i = 0; i < 100; ++i) {
        const QString token = switchboard::randomToken(6);
        QVERIFY2(alnum6.match(token).hasMatch(), qPrintable(token));
    }
    QCOMPARE(switchboard::randomToken(0), QString());
}

QTEST_GUILESS_MAIN(TestEngineIo)
#include "tst_engineio.moc"
