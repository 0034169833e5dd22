// Socket.IO v5 packet codec: encoding, text decoding, binary reassembly and rejects.
// Row names give the packet as it travels inside an Engine.IO message ("4" + Socket.IO text);
// the codec itself sees the text without that leading "4".
#include "switchboard/socketio.h"

#include <QDebug>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using switchboard::socketio::Decoder;
using switchboard::socketio::Encoded;
using switchboard::socketio::MaxAttachments;
using switchboard::socketio::NoAck;
using switchboard::socketio::Packet;
using switchboard::socketio::PacketType;
namespace socketio = switchboard::socketio;

namespace {

// One WebSocket frame handed to the Decoder.
struct Frame
{
    bool binary = false;
    QByteArray bytes;
};
using Frames = QList<Frame>;

Frame textFrame(const QByteArray &bytes)
{
    return Frame{false, bytes};
}

Frame binaryFrame(const QByteArray &bytes)
{
    return Frame{true, bytes};
}

} // namespace

Q_DECLARE_METATYPE(switchboard::socketio::Packet)
Q_DECLARE_METATYPE(switchboard::socketio::PacketType)
Q_DECLARE_METATYPE(Frames)

namespace switchboard::socketio {

// Readable QCOMPARE failures.
char *toString(const Packet &packet)
{
    QString out;
    QDebug(&out).nospace() << "Packet(" << typeName(packet.type) << ", nsp " << packet.nsp
                           << ", id " << packet.id << ", " << packet.data << ')';
    return qstrdup(out.toUtf8());
}

char *toString(Decoder::Status status)
{
    switch (status) {
    case Decoder::Status::Complete:
        return qstrdup("Complete");
    case Decoder::Status::NeedMore:
        return qstrdup("NeedMore");
    case Decoder::Status::Error:
        return qstrdup("Error");
    }
    return qstrdup("?");
}

} // namespace switchboard::socketio

namespace {

const QByteArray bytesA = QByteArrayLiteral("\x00\x01\x02\xff");
const QByteArray bytesB = QByteArrayLiteral("second");
const QByteArray bytesC = QByteArrayLiteral("\xde\xad\xbe\xef\x00");

// "héllo ✓" in UTF-8, spelled out so the test does not depend on the source encoding.
const QByteArray utf8Hello = QByteArrayLiteral("h\xc3\xa9llo \xe2\x9c\x93");

Packet make(PacketType type, const QVariant &data = {}, const QString &nsp = u"/"_s,
            qint64 id = NoAck)
{
    Packet p;
    p.type = type;
    p.data = data;
    p.nsp = nsp;
    p.id = id;
    return p;
}

QVariantMap placeholder(int num)
{
    return QVariantMap{{u"_placeholder"_s, true}, {u"num"_s, num}};
}

QVariant null()
{
    return QVariant::fromValue(nullptr);
}

// What the wire makes of a packet: EVENT/ACK carrying binary leaves become BINARY_*, and
// BINARY_* without any become plain again.
Packet afterWire(Packet p, bool hasAttachments)
{
    if (hasAttachments && p.type == PacketType::Event)
        p.type = PacketType::BinaryEvent;
    else if (hasAttachments && p.type == PacketType::Ack)
        p.type = PacketType::BinaryAck;
    else if (!hasAttachments && p.type == PacketType::BinaryEvent)
        p.type = PacketType::Event;
    else if (!hasAttachments && p.type == PacketType::BinaryAck)
        p.type = PacketType::Ack;
    return p;
}

Decoder::Result feed(Decoder &decoder, const Frame &frame)
{
    return frame.binary ? decoder.addBinary(frame.bytes) : decoder.addText(frame.bytes);
}

// Frames fed in order up to the first one refused: its index (-1 when all were taken) and
// its result (or the last frame's).
struct Fed
{
    qsizetype refused = -1;
    Decoder::Result result;

    QString describe() const { return u"frame %1 refused (%2)"_s.arg(refused).arg(result.error); }
};

Fed feedUntilRefused(Decoder &decoder, const Frames &frames)
{
    Fed fed;
    for (qsizetype i = 0; i < frames.size(); ++i) {
        fed.result = feed(decoder, frames.at(i));
        if (fed.result.status == Decoder::Status::Error) {
            fed.refused = i;
            break;
        }
    }
    return fed;
}

// After a refused packet: nothing half-built is kept, and the next packet decodes (with the
// bytes count of the limits started afresh).
bool startsAfresh(Decoder &decoder)
{
    return !decoder.reconstructing() &&
           decoder.addText("2[\"ok\"]").status == Decoder::Status::Complete;
}

// Rows shared by encode() and roundTrip(): a packet, its text frame and its attachments.
void addPacketRows()
{
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArrayList>("attachments");

    QTest::addRow("40") << make(PacketType::Connect) << QByteArray("0") << QByteArrayList{};
    QTest::addRow("40/chat,") << make(PacketType::Connect, {}, u"/chat"_s) << QByteArray("0/chat,")
                              << QByteArrayList{};
    QTest::addRow("40/chat,{token}")
        << make(PacketType::Connect, QVariantMap{{u"token"_s, u"x"_s}}, u"/chat"_s)
        << QByteArray("0/chat,{\"token\":\"x\"}") << QByteArrayList{};
    QTest::addRow("40{sid}") << make(PacketType::Connect,
                                     QVariantMap{{u"sid"_s, u"AbCdEfGhIjKlMnOpQr_-"_s}})
                             << QByteArray("0{\"sid\":\"AbCdEfGhIjKlMnOpQr_-\"}")
                             << QByteArrayList{};
    QTest::addRow("40{pid,offset} recovery")
        << make(PacketType::Connect, QVariantMap{{u"offset"_s, u"1-0"_s}, {u"pid"_s, u"p1"_s}})
        << QByteArray("0{\"offset\":\"1-0\",\"pid\":\"p1\"}") << QByteArrayList{};
    QTest::addRow("41") << make(PacketType::Disconnect) << QByteArray("1") << QByteArrayList{};
    QTest::addRow("41/chat,") << make(PacketType::Disconnect, {}, u"/chat"_s)
                              << QByteArray("1/chat,") << QByteArrayList{};
    QTest::addRow("42[ev]") << make(PacketType::Event, QVariantList{u"ev"_s})
                            << QByteArray("2[\"ev\"]") << QByteArrayList{};
    QTest::addRow("4212[ev]") << make(PacketType::Event, QVariantList{u"ev"_s}, u"/"_s, 12)
                              << QByteArray("212[\"ev\"]") << QByteArrayList{};
    QTest::addRow("420[ev] ack id zero")
        << make(PacketType::Event, QVariantList{u"ev"_s}, u"/"_s, 0) << QByteArray("20[\"ev\"]")
        << QByteArrayList{};
    QTest::addRow("42/chat,7[ev,1]")
        << make(PacketType::Event, QVariantList{u"ev"_s, 1}, u"/chat"_s, 7)
        << QByteArray("2/chat,7[\"ev\",1]") << QByteArrayList{};
    QTest::addRow("42/chat,[ev] no ack")
        << make(PacketType::Event, QVariantList{u"ev"_s}, u"/chat"_s)
        << QByteArray("2/chat,[\"ev\"]") << QByteArrayList{};
    QTest::addRow("42 every JSON kind")
        << make(PacketType::Event, QVariantList{u"ev"_s, u"s"_s, 1.5, -3, true, false, null(),
                                                QVariantMap{{u"a"_s, QVariantList{1, 2}}},
                                                QVariantList{}, QVariantMap{}})
        << QByteArray("2[\"ev\",\"s\",1.5,-3,true,false,null,{\"a\":[1,2]},[],{}]")
        << QByteArrayList{};
    QTest::addRow("42 utf-8") << make(PacketType::Event,
                                      QVariantList{u"ev"_s, QString::fromUtf8(utf8Hello)})
                              << QByteArray("2[\"ev\",\"" + utf8Hello + "\"]") << QByteArrayList{};
    QTest::addRow("42 utf-8 namespace")
        << make(PacketType::Event, QVariantList{u"ev"_s}, u"/caf\u00e9"_s)
        << QByteArray("2/caf\xc3\xa9,[\"ev\"]") << QByteArrayList{};
    QTest::addRow("42 escaped string")
        << make(PacketType::Event, QVariantList{u"ev"_s, u"a\"b\\c"_s})
        << QByteArray("2[\"ev\",\"a\\\"b\\\\c\"]") << QByteArrayList{};
    QTest::addRow("43/chat,13[ok]") << make(PacketType::Ack, QVariantList{u"ok"_s}, u"/chat"_s, 13)
                                    << QByteArray("3/chat,13[\"ok\"]") << QByteArrayList{};
    QTest::addRow("430[] empty ack") << make(PacketType::Ack, QVariantList{}, u"/"_s, 0)
                                     << QByteArray("30[]") << QByteArrayList{};
    QTest::addRow("44{message}") << make(PacketType::ConnectError,
                                         QVariantMap{{u"message"_s, u"Invalid namespace"_s}})
                                 << QByteArray("4{\"message\":\"Invalid namespace\"}")
                                 << QByteArrayList{};
    QTest::addRow("44/chat,{message,data}")
        << make(PacketType::ConnectError,
                QVariantMap{{u"message"_s, u"nope"_s}, {u"data"_s, QVariantMap{{u"code"_s, 401}}}},
                u"/chat"_s)
        << QByteArray("4/chat,{\"data\":{\"code\":401},\"message\":\"nope\"}") << QByteArrayList{};
    QTest::addRow("44 string") << make(PacketType::ConnectError, u"boom"_s)
                               << QByteArray("4\"boom\"") << QByteArrayList{};
    QTest::addRow("451-[ev,<bin>] from EVENT")
        << make(PacketType::Event, QVariantList{u"ev"_s, bytesA})
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]") << QByteArrayList{bytesA};
    QTest::addRow("451-[ev,<bin>] from BINARY_EVENT")
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, bytesA})
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]") << QByteArrayList{bytesA};
    QTest::addRow("451-/chat,9[ev,<bin>]")
        << make(PacketType::Event, QVariantList{u"ev"_s, bytesB}, u"/chat"_s, 9)
        << QByteArray("51-/chat,9[\"ev\",{\"_placeholder\":true,\"num\":0}]")
        << QByteArrayList{bytesB};
    QTest::addRow("461-/chat,3[<bin>] from ACK")
        << make(PacketType::Ack, QVariantList{bytesA}, u"/chat"_s, 3)
        << QByteArray("61-/chat,3[{\"_placeholder\":true,\"num\":0}]") << QByteArrayList{bytesA};
    QTest::addRow("461-/chat,3[<bin>] from BINARY_ACK")
        << make(PacketType::BinaryAck, QVariantList{bytesA}, u"/chat"_s, 3)
        << QByteArray("61-/chat,3[{\"_placeholder\":true,\"num\":0}]") << QByteArrayList{bytesA};
    QTest::addRow("451- nested binary in objects")
        << make(PacketType::Event,
                QVariantList{u"upload"_s,
                             QVariantMap{{u"file"_s, QVariantMap{{u"bytes"_s, bytesA},
                                                                 {u"name"_s, u"a.bin"_s}}}}})
        << QByteArray("51-[\"upload\",{\"file\":{\"bytes\":{\"_placeholder\":true,\"num\":0},"
                      "\"name\":\"a.bin\"}}]")
        << QByteArrayList{bytesA};
    QTest::addRow("453- several attachments")
        << make(PacketType::Event, QVariantList{u"ev"_s, bytesA, QVariantMap{{u"x"_s, bytesB}},
                                                QVariantList{bytesC, u"s"_s}})
        << QByteArray("53-[\"ev\",{\"_placeholder\":true,\"num\":0},"
                      "{\"x\":{\"_placeholder\":true,\"num\":1}},"
                      "[{\"_placeholder\":true,\"num\":2},\"s\"]]")
        << QByteArrayList{bytesA, bytesB, bytesC};
    QTest::addRow("452- attachments in key order")
        << make(PacketType::Event,
                QVariantList{u"ev"_s, QVariantMap{{u"b"_s, bytesB}, {u"a"_s, bytesA}}})
        << QByteArray("52-[\"ev\",{\"a\":{\"_placeholder\":true,\"num\":0},"
                      "\"b\":{\"_placeholder\":true,\"num\":1}}]")
        << QByteArrayList{bytesA, bytesB};
    QTest::addRow("451- empty attachment")
        << make(PacketType::Event, QVariantList{u"ev"_s, QByteArray()})
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]")
        << QByteArrayList{QByteArray()};
    QTest::addRow("4610-/chat,1 ten attachments")
        << make(PacketType::Ack,
                QVariantList{QByteArray("0"), QByteArray("1"), QByteArray("2"), QByteArray("3"),
                             QByteArray("4"), QByteArray("5"), QByteArray("6"), QByteArray("7"),
                             QByteArray("8"), QByteArray("9")},
                u"/chat"_s, 1)
        << QByteArray("610-/chat,1[{\"_placeholder\":true,\"num\":0},"
                      "{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":2},"
                      "{\"_placeholder\":true,\"num\":3},{\"_placeholder\":true,\"num\":4},"
                      "{\"_placeholder\":true,\"num\":5},{\"_placeholder\":true,\"num\":6},"
                      "{\"_placeholder\":true,\"num\":7},{\"_placeholder\":true,\"num\":8},"
                      "{\"_placeholder\":true,\"num\":9}]")
        << QByteArrayList{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    QTest::addRow("42[ev] from BINARY_EVENT without binary")
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s}) << QByteArray("2[\"ev\"]")
        << QByteArrayList{};
    QTest::addRow("435[1] from BINARY_ACK without binary")
        << make(PacketType::BinaryAck, QVariantList{1}, u"/"_s, 5) << QByteArray("35[1]")
        << QByteArrayList{};
}

} // namespace

class TestSocketIo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encode_data();
    void encode();
    void roundTrip_data();
    void roundTrip();
    void decodeText_data();
    void decodeText();
    void decoderReassembles_data();
    void decoderReassembles();
    void decoderKeepsStateBetweenPackets();
    void decodeTextRejects_data();
    void decodeTextRejects();
    void decoderRejects_data();
    void decoderRejects();
    void decoderLimits_data();
    void decoderLimits();
    void decoderDepth_data();
    void decoderDepth();
    void resetDropsPendingPacket();
    void reconstruct_data();
    void reconstruct();
    void isReservedEvent_data();
    void isReservedEvent();
    void typeName_data();
    void typeName();
};

void TestSocketIo::encode_data()
{
    addPacketRows();
}

void TestSocketIo::encode()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, text);
    QFETCH(QByteArrayList, attachments);

    const Encoded encoded = socketio::encode(packet);
    QCOMPARE(encoded.text, text);
    QCOMPARE(encoded.attachments, attachments);
}

void TestSocketIo::roundTrip_data()
{
    addPacketRows();
}

void TestSocketIo::roundTrip()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArrayList, attachments);

    const Encoded encoded = socketio::encode(packet);
    const auto header = socketio::decodeText(encoded.text);
    QVERIFY2(header.ok(), qPrintable(header.error()));
    QCOMPARE(header->attachments, int(encoded.attachments.size()));

    Decoder decoder;
    Decoder::Result result = decoder.addText(encoded.text);
    for (const QByteArray &attachment : encoded.attachments) {
        QCOMPARE(result.status, Decoder::Status::NeedMore);
        QVERIFY(decoder.reconstructing());
        result = decoder.addBinary(attachment);
    }
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QCOMPARE(result.status, Decoder::Status::Complete);
    QVERIFY(!decoder.reconstructing());
    QCOMPARE(result.packet, afterWire(packet, !attachments.isEmpty()));

    // Encoding what was decoded gives the same frames back.
    QCOMPARE(socketio::encode(result.packet), encoded);
}

void TestSocketIo::decodeText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<int>("attachments");

    QTest::addRow("40") << QByteArray("0") << make(PacketType::Connect) << 0;
    QTest::addRow("40/chat,{token}")
        << QByteArray("0/chat,{\"token\":\"x\"}")
        << make(PacketType::Connect, QVariantMap{{u"token"_s, u"x"_s}}, u"/chat"_s) << 0;
    QTest::addRow("40/chat,") << QByteArray("0/chat,") << make(PacketType::Connect, {}, u"/chat"_s)
                              << 0;
    QTest::addRow("40/chat without comma")
        << QByteArray("0/chat") << make(PacketType::Connect, {}, u"/chat"_s) << 0;
    QTest::addRow("40{sid}") << QByteArray("0{\"sid\":\"AbCdEfGhIjKlMnOpQr_-\"}")
                             << make(PacketType::Connect,
                                     QVariantMap{{u"sid"_s, u"AbCdEfGhIjKlMnOpQr_-"_s}})
                             << 0;
    QTest::addRow("40{} empty auth")
        << QByteArray("0{}") << make(PacketType::Connect, QVariantMap{}) << 0;
    QTest::addRow("41") << QByteArray("1") << make(PacketType::Disconnect) << 0;
    QTest::addRow("41/chat,") << QByteArray("1/chat,")
                              << make(PacketType::Disconnect, {}, u"/chat"_s) << 0;
    QTest::addRow("42[ev]") << QByteArray("2[\"ev\"]")
                            << make(PacketType::Event, QVariantList{u"ev"_s}) << 0;
    QTest::addRow("4212[ev]") << QByteArray("212[\"ev\"]")
                              << make(PacketType::Event, QVariantList{u"ev"_s}, u"/"_s, 12) << 0;
    QTest::addRow("42/chat,7[ev,1]")
        << QByteArray("2/chat,7[\"ev\",1]")
        << make(PacketType::Event, QVariantList{u"ev"_s, 1}, u"/chat"_s, 7) << 0;
    QTest::addRow("42 fifteen-digit ack id")
        << QByteArray("2123456789012345[\"ev\"]")
        << make(PacketType::Event, QVariantList{u"ev"_s}, u"/"_s, Q_INT64_C(123456789012345)) << 0;
    QTest::addRow("42 every JSON kind")
        << QByteArray("2[\"ev\",\"s\",1.5,-3,true,false,null,{\"a\":[1,2]},[],{}]")
        << make(PacketType::Event, QVariantList{u"ev"_s, u"s"_s, 1.5, -3, true, false, null(),
                                                QVariantMap{{u"a"_s, QVariantList{1, 2}}},
                                                QVariantList{}, QVariantMap{}})
        << 0;
    QTest::addRow("42 utf-8") << QByteArray("2[\"ev\",\"" + utf8Hello + "\"]")
                              << make(PacketType::Event,
                                      QVariantList{u"ev"_s, QString::fromUtf8(utf8Hello)})
                              << 0;
    QTest::addRow("42 unicode escape")
        << QByteArray("2[\"ev\",\"\\u00e9\"]")
        << make(PacketType::Event, QVariantList{u"ev"_s, u"\u00e9"_s}) << 0;
    QTest::addRow("42 placeholder without binary stays data")
        << QByteArray("2[\"ev\",{\"_placeholder\":true,\"num\":0}]")
        << make(PacketType::Event, QVariantList{u"ev"_s, placeholder(0)}) << 0;
    QTest::addRow("43/chat,13[ok]")
        << QByteArray("3/chat,13[\"ok\"]")
        << make(PacketType::Ack, QVariantList{u"ok"_s}, u"/chat"_s, 13) << 0;
    QTest::addRow("430[]") << QByteArray("30[]") << make(PacketType::Ack, QVariantList{}, u"/"_s, 0)
                           << 0;
    QTest::addRow("44{message}") << QByteArray("4{\"message\":\"Invalid namespace\"}")
                                 << make(PacketType::ConnectError,
                                         QVariantMap{{u"message"_s, u"Invalid namespace"_s}})
                                 << 0;
    QTest::addRow("44 string") << QByteArray("4\"boom\"")
                               << make(PacketType::ConnectError, u"boom"_s) << 0;
    QTest::addRow("451-[ev,<placeholder>]")
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]")
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, placeholder(0)}) << 1;
    QTest::addRow("461-/chat,3[<placeholder>]")
        << QByteArray("61-/chat,3[{\"_placeholder\":true,\"num\":0}]")
        << make(PacketType::BinaryAck, QVariantList{placeholder(0)}, u"/chat"_s, 3) << 1;
    QTest::addRow("453- nested placeholders")
        << QByteArray(
               "53-[\"ev\",{\"_placeholder\":true,\"num\":0},"
               "{\"x\":{\"_placeholder\":true,\"num\":1}},[{\"_placeholder\":true,\"num\":2}]]")
        << make(PacketType::BinaryEvent,
                QVariantList{u"ev"_s, placeholder(0), QVariantMap{{u"x"_s, placeholder(1)}},
                             QVariantList{placeholder(2)}})
        << 3;
    QTest::addRow("45 largest attachment count")
        << QByteArray("51000-[\"ev\"]") << make(PacketType::BinaryEvent, QVariantList{u"ev"_s})
        << MaxAttachments;
}

void TestSocketIo::decodeText()
{
    QFETCH(QByteArray, text);
    QFETCH(Packet, packet);
    QFETCH(int, attachments);

    const auto header = socketio::decodeText(text);
    QVERIFY2(header.ok(), qPrintable(header.error()));
    QCOMPARE(header->packet, packet);
    QCOMPARE(header->attachments, attachments);
}

void TestSocketIo::decoderReassembles_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArrayList>("binaries");
    QTest::addColumn<Packet>("packet");

    QTest::addRow("42[ev] completes at once") << QByteArray("2[\"ev\"]") << QByteArrayList{}
                                              << make(PacketType::Event, QVariantList{u"ev"_s});
    QTest::addRow("451-[ev,<bin>] + one frame")
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]") << QByteArrayList{bytesA}
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, bytesA});
    QTest::addRow("461-/chat,3[<bin>] + one frame")
        << QByteArray("61-/chat,3[{\"_placeholder\":true,\"num\":0}]") << QByteArrayList{bytesB}
        << make(PacketType::BinaryAck, QVariantList{bytesB}, u"/chat"_s, 3);
    QTest::addRow("nested in objects")
        << QByteArray("51-/chat,[\"upload\",{\"file\":{\"bytes\":{\"_placeholder\":true,"
                      "\"num\":0},\"name\":\"a.bin\"}}]")
        << QByteArrayList{bytesC}
        << make(PacketType::BinaryEvent,
                QVariantList{u"upload"_s,
                             QVariantMap{{u"file"_s, QVariantMap{{u"bytes"_s, bytesC},
                                                                 {u"name"_s, u"a.bin"_s}}}}},
                u"/chat"_s);
    QTest::addRow("three frames, placeholders in reverse order")
        << QByteArray("53-[\"ev\",{\"_placeholder\":true,\"num\":2},"
                      "{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]")
        << QByteArrayList{bytesA, bytesB, bytesC}
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, bytesC, bytesB, bytesA});
    QTest::addRow("placeholder keys in other order")
        << QByteArray("51-[\"ev\",{\"num\":0,\"_placeholder\":true}]") << QByteArrayList{bytesA}
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, bytesA});
    QTest::addRow("empty binary frame")
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]")
        << QByteArrayList{QByteArray()}
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, QByteArray()});
    QTest::addRow("binary frame that looks like a text packet")
        << QByteArray("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]")
        << QByteArrayList{QByteArray("2[\"ev\"]")}
        << make(PacketType::BinaryEvent, QVariantList{u"ev"_s, QByteArray("2[\"ev\"]")});
}

void TestSocketIo::decoderReassembles()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArrayList, binaries);
    QFETCH(Packet, packet);

    Decoder decoder;
    QVERIFY(!decoder.reconstructing());
    Decoder::Result result = decoder.addText(text);
    for (const QByteArray &frame : binaries) {
        QCOMPARE(result.status, Decoder::Status::NeedMore);
        QVERIFY(result.error.isEmpty());
        QVERIFY(decoder.reconstructing());
        result = decoder.addBinary(frame);
    }
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QCOMPARE(result.status, Decoder::Status::Complete);
    QCOMPARE(result.packet, packet);
    QVERIFY(!decoder.reconstructing());
}

void TestSocketIo::decoderKeepsStateBetweenPackets()
{
    // Interleaved binary and text packets on one connection, each assembled on its own.
    Decoder decoder;
    const QByteArray binaryText = "51-[\"ev\",{\"_placeholder\":true,\"num\":0}]";

    QCOMPARE(decoder.addText(binaryText).status, Decoder::Status::NeedMore);
    Decoder::Result first = decoder.addBinary(bytesA);
    QCOMPARE(first.status, Decoder::Status::Complete);
    QCOMPARE(first.packet, make(PacketType::BinaryEvent, QVariantList{u"ev"_s, bytesA}));

    Decoder::Result second = decoder.addText("2/chat,4[\"plain\"]");
    QCOMPARE(second.status, Decoder::Status::Complete);
    QCOMPARE(second.packet, make(PacketType::Event, QVariantList{u"plain"_s}, u"/chat"_s, 4));

    QCOMPARE(decoder.addText(binaryText).status, Decoder::Status::NeedMore);
    Decoder::Result third = decoder.addBinary(bytesB);
    QCOMPARE(third.status, Decoder::Status::Complete);
    // No leftover buffer from the first binary packet.
    QCOMPARE(third.packet, make(PacketType::BinaryEvent, QVariantList{u"ev"_s, bytesB}));
    QVERIFY(!decoder.reconstructing());
}

void TestSocketIo::decodeTextRejects_data()
{
    QTest::addColumn<QByteArray>("text");

    QTest::addRow("empty") << QByteArray();
    QTest::addRow("garbage text") << QByteArray("hello world");
    QTest::addRow("garbage after type") << QByteArray("2garbage");
    QTest::addRow("garbage after namespace") << QByteArray("2/chat,x");
    QTest::addRow("unknown type 7") << QByteArray("7[\"ev\"]");
    QTest::addRow("unknown type 9") << QByteArray("9");
    QTest::addRow("unknown type x") << QByteArray("x[\"ev\"]");
    QTest::addRow("engine.io prefix left on") << QByteArray("42[\"ev\"]");
    QTest::addRow("bad JSON unterminated array") << QByteArray("2[\"ev\"");
    QTest::addRow("bad JSON trailing comma") << QByteArray("2[\"ev\",]");
    QTest::addRow("bad JSON trailing garbage") << QByteArray("2[\"ev\"]]");
    QTest::addRow("bad JSON unquoted key") << QByteArray("0{token:\"x\"}");
    QTest::addRow("bad JSON single quotes") << QByteArray("2['ev']");
    QTest::addRow("event without payload") << QByteArray("2");
    QTest::addRow("event without payload in namespace") << QByteArray("2/chat,");
    QTest::addRow("event payload object") << QByteArray("2{\"ev\":1}");
    QTest::addRow("event payload string") << QByteArray("2\"ev\"");
    QTest::addRow("event payload number") << QByteArray("2/chat,1.5");
    QTest::addRow("event payload null") << QByteArray("2null");
    QTest::addRow("event empty array") << QByteArray("2[]");
    QTest::addRow("event name number") << QByteArray("2[1]");
    QTest::addRow("event name null") << QByteArray("2[null]");
    QTest::addRow("event name object") << QByteArray("2[{\"name\":\"ev\"}]");
    QTest::addRow("event name array") << QByteArray("2[[\"ev\"]]");
    QTest::addRow("event name bool") << QByteArray("2/chat,3[true]");
    QTest::addRow("binary event empty array") << QByteArray("51-[]");
    QTest::addRow("binary event name not a string")
        << QByteArray("51-[{\"_placeholder\":true,\"num\":0}]");
    for (const char *name : {"connect", "connect_error", "disconnect", "disconnecting",
                             "newListener", "removeListener"}) {
        QTest::addRow("reserved %s", name) << QByteArray("2[\"" + QByteArray(name) + "\"]");
        QTest::addRow("reserved %s in namespace with ack", name)
            << QByteArray("2/chat,5[\"" + QByteArray(name) + "\",1]");
        QTest::addRow("reserved %s in binary event", name)
            << QByteArray("51-[\"" + QByteArray(name) + "\",{\"_placeholder\":true,\"num\":0}]");
    }
    QTest::addRow("ack without id") << QByteArray("3[\"ok\"]");
    QTest::addRow("ack without id in namespace") << QByteArray("3/chat,[\"ok\"]");
    QTest::addRow("binary ack without id")
        << QByteArray("61-/chat,[{\"_placeholder\":true,\"num\":0}]");
    QTest::addRow("ack without payload") << QByteArray("31");
    QTest::addRow("ack payload object") << QByteArray("31{\"ok\":true}");
    QTest::addRow("ack payload string") << QByteArray("31\"ok\"");
    QTest::addRow("disconnect with object") << QByteArray("1{\"reason\":\"bye\"}");
    QTest::addRow("disconnect with empty object") << QByteArray("1/chat,{}");
    QTest::addRow("disconnect with string") << QByteArray("1\"bye\"");
    QTest::addRow("disconnect with null") << QByteArray("1null");
    QTest::addRow("connect with array") << QByteArray("0[\"x\"]");
    QTest::addRow("connect with array in namespace") << QByteArray("0/chat,[{\"token\":\"x\"}]");
    QTest::addRow("connect with string") << QByteArray("0\"token\"");
    QTest::addRow("connect with null") << QByteArray("0null");
    QTest::addRow("connect_error without payload") << QByteArray("4");
    QTest::addRow("connect_error with array") << QByteArray("4[\"no\"]");
    QTest::addRow("connect_error with number") << QByteArray("4/chat,1.5");
    QTest::addRow("binary event without count") << QByteArray("5[\"ev\"]");
    QTest::addRow("binary event count without dash")
        << QByteArray("51[\"ev\",{\"_placeholder\":true,\"num\":0}]");
    QTest::addRow("binary event dash without count") << QByteArray("5-[\"ev\"]");
    QTest::addRow("binary event count only") << QByteArray("51");
    QTest::addRow("binary ack without count") << QByteArray("6/chat,3[\"x\"]");
    QTest::addRow("binary event type only") << QByteArray("5");
    QTest::addRow("attachment count 0") << QByteArray("50-[\"ev\"]");
    QTest::addRow("attachment count 00") << QByteArray("600-/chat,1[]");
    QTest::addRow("attachment count MaxAttachments + 1") << QByteArray("51001-[\"ev\"]");
    QTest::addRow("attachment count 999999") << QByteArray("5999999-[\"ev\"]");
    QTest::addRow("attachment count seven digits") << QByteArray("51000000-[\"ev\"]");
    QTest::addRow("ack id sixteen digits") << QByteArray("21234567890123456[\"ev\"]");
    QTest::addRow("ack id twenty digits") << QByteArray("3/chat,12345678901234567890[\"ok\"]");
    QTest::addRow("ack id overflowing qint64")
        << QByteArray("399999999999999999999999999999[\"ok\"]");
}

void TestSocketIo::decodeTextRejects()
{
    QFETCH(QByteArray, text);

    const auto header = socketio::decodeText(text);
    QVERIFY(!header.ok());
    QVERIFY(!header.error().isEmpty());

    // The stateful decoder reports the same reason and takes the next packet afterwards.
    Decoder decoder;
    const Decoder::Result result = decoder.addText(text);
    QCOMPARE(result.status, Decoder::Status::Error);
    QCOMPARE(result.error, header.error());
    QVERIFY(!decoder.reconstructing());

    const Decoder::Result next = decoder.addText("2/chat,5[\"ok\",1]");
    QVERIFY2(next.error.isEmpty(), qPrintable(next.error));
    QCOMPARE(next.status, Decoder::Status::Complete);
    QCOMPARE(next.packet, make(PacketType::Event, QVariantList{u"ok"_s, 1}, u"/chat"_s, 5));
}

void TestSocketIo::decoderRejects_data()
{
    QTest::addColumn<Frames>("frames"); // the last one is refused, the others are accepted

    const QByteArray one = "51-[\"ev\",{\"_placeholder\":true,\"num\":0}]";
    const QByteArray two =
        "52-[\"ev\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
    QTest::addRow("placeholder index out of range")
        << Frames{textFrame("51-[\"ev\",{\"_placeholder\":true,\"num\":1}]"), binaryFrame(bytesA)};
    QTest::addRow("placeholder index far out of range")
        << Frames{textFrame("52-[\"ev\",{\"_placeholder\":true,\"num\":1000}]"),
                  binaryFrame(bytesA), binaryFrame(bytesB)};
    QTest::addRow("placeholder index negative")
        << Frames{textFrame("51-[\"ev\",{\"_placeholder\":true,\"num\":-1}]"), binaryFrame(bytesA)};
    QTest::addRow("placeholder index not a number") << Frames{
        textFrame("51-[\"ev\",{\"_placeholder\":true,\"num\":\"x\"}]"), binaryFrame(bytesA)};
    QTest::addRow("placeholder index out of range in binary ack")
        << Frames{textFrame("61-/chat,2[{\"deep\":[{\"_placeholder\":true,\"num\":1}]}]"),
                  binaryFrame(bytesA)};
    QTest::addRow("truncated binary sequence: text instead of the only attachment")
        << Frames{textFrame(one), textFrame("2[\"ev\"]")};
    QTest::addRow("truncated binary sequence: text instead of the second attachment")
        << Frames{textFrame(two), binaryFrame(bytesA), textFrame("2[\"ev\"]")};
    QTest::addRow("truncated binary sequence: a new binary packet")
        << Frames{textFrame(two), binaryFrame(bytesA), textFrame(one)};
    QTest::addRow("binary frame without a binary packet") << Frames{binaryFrame(bytesA)};
    QTest::addRow("binary frame after a complete text packet")
        << Frames{textFrame("2[\"ev\"]"), binaryFrame(bytesA)};
    QTest::addRow("binary frame after a complete binary packet")
        << Frames{textFrame(one), binaryFrame(bytesA), binaryFrame(bytesB)};
    QTest::addRow("bad text after a complete packet")
        << Frames{textFrame("2[\"ev\"]"), textFrame(one), binaryFrame(bytesA), textFrame("2[]")};
}

void TestSocketIo::decoderRejects()
{
    QFETCH(Frames, frames);

    Decoder decoder;
    for (qsizetype i = 0; i + 1 < frames.size(); ++i) {
        const Decoder::Result accepted = feed(decoder, frames.at(i));
        QVERIFY2(accepted.status != Decoder::Status::Error, qPrintable(accepted.error));
    }
    const Decoder::Result refused = feed(decoder, frames.last());
    QCOMPARE(refused.status, Decoder::Status::Error);
    QVERIFY(!refused.error.isEmpty());
    QCOMPARE(refused.packet, Packet{});
    QVERIFY(!decoder.reconstructing());

    // The decoder starts afresh: a text packet, then a binary one.
    const Decoder::Result plain = decoder.addText("2/chat,5[\"ok\",1]");
    QVERIFY2(plain.error.isEmpty(), qPrintable(plain.error));
    QCOMPARE(plain.status, Decoder::Status::Complete);
    QCOMPARE(plain.packet, make(PacketType::Event, QVariantList{u"ok"_s, 1}, u"/chat"_s, 5));

    QCOMPARE(decoder.addText("61-/chat,3[{\"_placeholder\":true,\"num\":0}]").status,
             Decoder::Status::NeedMore);
    const Decoder::Result withBinary = decoder.addBinary(bytesC);
    QVERIFY2(withBinary.error.isEmpty(), qPrintable(withBinary.error));
    QCOMPARE(withBinary.status, Decoder::Status::Complete);
    QCOMPARE(withBinary.packet, make(PacketType::BinaryAck, QVariantList{bytesC}, u"/chat"_s, 3));
}

// A binary event with `count` placeholders, as the text frame that announces them.
static QByteArray binaryEventText(int count)
{
    QByteArray text = QByteArray::number(count) + "-[\"ev\"";
    for (int i = 0; i < count; ++i)
        text += ",{\"_placeholder\":true,\"num\":" + QByteArray::number(i) + '}';
    return '5' + text + ']';
}

void TestSocketIo::decoderLimits_data()
{
    QTest::addColumn<int>("maxAttachments");
    QTest::addColumn<qint64>("maxBytes");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("bytesEach");
    QTest::addColumn<int>("refusedAt"); // frame index refused, -1 if the packet is whole
    QTest::addColumn<QString>("error");

    QTest::addRow("defaults: 10 attachments") << 10 << qint64(1000000) << 10 << 10 << -1 << "";
    QTest::addRow("defaults: 11 attachments refused in the header")
        << 10 << qint64(1000000) << 11 << 10 << 0
        << "11 attachments in one packet, more than the limit of 10";
    QTest::addRow("no binary at all") << 0 << qint64(1000000) << 1 << 10 << 0
                                      << "1 attachments in one packet, more than the limit of 0";
    QTest::addRow("bytes exactly at the limit") << 10 << qint64(300) << 3 << 100 << -1 << "";
    QTest::addRow("bytes over the limit: refused at the frame that crosses it")
        << 10 << qint64(299) << 3 << 100 << 3
        << "attachments of one packet over the limit of 299 bytes";
    QTest::addRow("one attachment over the limit") << 10 << qint64(10) << 2 << 11 << 1
                                                   << "attachments of one packet over the limit "
                                                      "of 10 bytes";
}

void TestSocketIo::decoderLimits()
{
    QFETCH(int, maxAttachments);
    QFETCH(qint64, maxBytes);
    QFETCH(int, count);
    QFETCH(int, bytesEach);
    QFETCH(int, refusedAt);
    QFETCH(QString, error);

    Decoder decoder;
    QCOMPARE(Decoder::Limits{}.maxAttachments, 10); // socket.io-parser's default
    decoder.setLimits({maxAttachments, maxBytes});
    Frames frames{textFrame(binaryEventText(count))};
    for (int i = 0; i < count; ++i)
        frames << binaryFrame(QByteArray(bytesEach, 'x'));
    const Fed fed = feedUntilRefused(decoder, frames);
    QVERIFY2(fed.refused == refusedAt, qPrintable(fed.describe()));
    if (refusedAt >= 0) {
        QCOMPARE(fed.result.error, error);
        QVERIFY(startsAfresh(decoder));
        return;
    }
    QCOMPARE(fed.result.status, Decoder::Status::Complete);
    QCOMPARE(fed.result.packet.data.toList().size(), count + 1);
}

void TestSocketIo::decoderDepth_data()
{
    QTest::addColumn<int>("maxDepth");
    QTest::addColumn<Frames>("frames");
    QTest::addColumn<int>("refusedAt"); // frame index refused, -1 if the packet is whole

    const auto nested = [](int levels) {
        return QByteArray(levels, '[') + '1' + QByteArray(levels, ']');
    };
    // ["ev", X]: one level around X.
    const auto event = [&](int levels) { return textFrame("2[\"ev\"," + nested(levels) + ']'); };
    const QByteArray placeholder = "{\"_placeholder\":true,\"num\":0}";
    QTest::addRow("default 32 levels") << socketio::DefaultMaxDepth << Frames{event(31)} << -1;
    QTest::addRow("default 33 levels") << socketio::DefaultMaxDepth << Frames{event(32)} << 0;
    QTest::addRow("100 000 levels") << socketio::DefaultMaxDepth << Frames{event(99999)} << 0;
    QTest::addRow("event name alone, limit 1") << 1 << Frames{textFrame("2[\"ev\"]")} << -1;
    QTest::addRow("objects count") << 2 << Frames{textFrame("2[\"ev\",{\"a\":{}}]")} << 0;
    QTest::addRow("brackets in strings do not count")
        << 1 << Frames{textFrame(R"(2/a[[,["[[[{{", "\"[[", "]]"])")} << -1;
    QTest::addRow("CONNECT auth") << 2 << Frames{textFrame("0{\"a\":{\"b\":[1]}}")} << 0;
    QTest::addRow("ACK arguments") << 2 << Frames{textFrame("37[[[1]]]")} << 0;
    // A placeholder object stands for a leaf: it adds no level once reconstructed.
    QTest::addRow("binary leaf at the limit")
        << 2 << Frames{textFrame("51-[\"ev\",[" + placeholder + "]]"), binaryFrame(bytesA)} << -1;
    QTest::addRow("binary leaf past the limit")
        << 2 << Frames{textFrame("51-[\"ev\",[[" + placeholder + "]]]"), binaryFrame(bytesA)} << 0;
    QTest::addRow("binary packet with data past the limit beside the placeholder")
        << 2 << Frames{textFrame("51-[\"ev\"," + placeholder + ",[[1]]]"), binaryFrame(bytesA)}
        << 1;
}

void TestSocketIo::decoderDepth()
{
    QFETCH(int, maxDepth);
    QFETCH(Frames, frames);
    QFETCH(int, refusedAt);

    QCOMPARE(Decoder::Limits{}.maxDepth, 32);
    Decoder decoder;
    Decoder::Limits limits;
    limits.maxDepth = maxDepth;
    decoder.setLimits(limits);
    const Fed fed = feedUntilRefused(decoder, frames);
    QVERIFY2(fed.refused == refusedAt, qPrintable(fed.describe()));
    if (refusedAt >= 0) {
        QCOMPARE(fed.result.limit, Decoder::Limit::Depth);
        QCOMPARE(fed.result.error,
                 u"data nested deeper than %1 levels (--max-depth)"_s.arg(maxDepth));
        QVERIFY(startsAfresh(decoder));
        return;
    }
    QCOMPARE(fed.result.status, Decoder::Status::Complete);
    QCOMPARE(fed.result.limit, Decoder::Limit::None);
}

void TestSocketIo::resetDropsPendingPacket()
{
    Decoder decoder;
    QCOMPARE(decoder.addText("51-[\"ev\",{\"_placeholder\":true,\"num\":0}]").status,
             Decoder::Status::NeedMore);
    QVERIFY(decoder.reconstructing());
    decoder.reset();
    QVERIFY(!decoder.reconstructing());
    QCOMPARE(decoder.addBinary(bytesA).status, Decoder::Status::Error);
    QCOMPARE(decoder.addText("2[\"ev\"]").status, Decoder::Status::Complete);
}

void TestSocketIo::reconstruct_data()
{
    QTest::addColumn<QVariant>("data");
    QTest::addColumn<QByteArrayList>("buffers");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QVariant>("expected");

    QTest::addRow("top-level placeholder")
        << QVariant(placeholder(0)) << QByteArrayList{bytesA} << true << QVariant(bytesA);
    QTest::addRow("in list and map")
        << QVariant(QVariantList{placeholder(1), QVariantMap{{u"k"_s, placeholder(0)}}})
        << QByteArrayList{bytesA, bytesB} << true
        << QVariant(QVariantList{bytesB, QVariantMap{{u"k"_s, bytesA}}});
    QTest::addRow("no placeholders") << QVariant(QVariantList{u"ev"_s, 1}) << QByteArrayList{}
                                     << true << QVariant(QVariantList{u"ev"_s, 1});
    QTest::addRow("_placeholder false is data")
        << QVariant(QVariantMap{{u"_placeholder"_s, false}, {u"num"_s, 0}})
        << QByteArrayList{bytesA} << true
        << QVariant(QVariantMap{{u"_placeholder"_s, false}, {u"num"_s, 0}});
    QTest::addRow("extra key is data")
        << QVariant(QVariantMap{{u"_placeholder"_s, true}, {u"num"_s, 0}, {u"x"_s, 1}})
        << QByteArrayList{bytesA} << true
        << QVariant(QVariantMap{{u"_placeholder"_s, true}, {u"num"_s, 0}, {u"x"_s, 1}});
    QTest::addRow("index equal to count")
        << QVariant(placeholder(1)) << QByteArrayList{bytesA} << false << QVariant();
    QTest::addRow("no buffers") << QVariant(QVariantList{placeholder(0)}) << QByteArrayList{}
                                << false << QVariant();
    QTest::addRow("negative index")
        << QVariant(placeholder(-1)) << QByteArrayList{bytesA} << false << QVariant();
}

void TestSocketIo::reconstruct()
{
    QFETCH(QVariant, data);
    QFETCH(QByteArrayList, buffers);
    QFETCH(bool, ok);
    QFETCH(QVariant, expected);

    const auto result = socketio::reconstruct(data, buffers);
    QCOMPARE(result.ok(), ok);
    if (ok)
        QCOMPARE(result.value(), expected);
    else
        QVERIFY(!result.error().isEmpty());
}

void TestSocketIo::isReservedEvent_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("reserved");

    for (const QString &name : {u"connect"_s, u"connect_error"_s, u"disconnect"_s,
                                u"disconnecting"_s, u"newListener"_s, u"removeListener"_s})
        QTest::addRow("%s", qPrintable(name)) << name << true;
    for (const QString &name : {u"message"_s, u"Connect"_s, u"connected"_s, u"newlistener"_s,
                                u"join"_s, u""_s, u" connect"_s})
        QTest::addRow("not '%s'", qPrintable(name)) << name << false;
}

void TestSocketIo::isReservedEvent()
{
    QFETCH(QString, name);
    QFETCH(bool, reserved);

    QCOMPARE(socketio::isReservedEvent(name), reserved);
}

void TestSocketIo::typeName_data()
{
    QTest::addColumn<PacketType>("type");
    QTest::addColumn<QByteArray>("name");

    QTest::addRow("0") << PacketType::Connect << QByteArray("CONNECT");
    QTest::addRow("1") << PacketType::Disconnect << QByteArray("DISCONNECT");
    QTest::addRow("2") << PacketType::Event << QByteArray("EVENT");
    QTest::addRow("3") << PacketType::Ack << QByteArray("ACK");
    QTest::addRow("4") << PacketType::ConnectError << QByteArray("CONNECT_ERROR");
    QTest::addRow("5") << PacketType::BinaryEvent << QByteArray("BINARY_EVENT");
    QTest::addRow("6") << PacketType::BinaryAck << QByteArray("BINARY_ACK");
}

void TestSocketIo::typeName()
{
    QFETCH(PacketType, type);
    QFETCH(QByteArray, name);

    QCOMPARE(QByteArray(socketio::typeName(type)), name);
    QCOMPARE(int(type), QByteArray(QTest::currentDataTag()).toInt());
}

QTEST_GUILESS_MAIN(TestSocketIo)
#include "tst_socketio.moc"
