// RFC 6455 server-side framing: the conformance cases of a client's frames (fragments, control
// frames, UTF-8, close codes, limits) in any chunking, and the frames and keys a server writes.
#include "switchboard/websocket.h"

#include <QTest>

using switchboard::websocket::Opcode;
using switchboard::websocket::Parser;
namespace websocket = switchboard::websocket;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(switchboard::websocket::Parser::Event)

namespace {

constexpr quint8 Fin = 0x80;
constexpr quint8 TextStart = 0x01;
constexpr quint8 BinaryStart = 0x02;
constexpr quint8 Continue = 0x00;
constexpr quint8 TextFrame = Fin | 0x01;
constexpr quint8 BinaryFrame = Fin | 0x02;
constexpr quint8 LastFragment = Fin | 0x00;
constexpr quint8 CloseFrame = Fin | 0x08;
constexpr quint8 PingFrame = Fin | 0x09;
constexpr quint8 PongFrame = Fin | 0x0a;

// A key whose bytes all differ, so a wrong byte of the mask shows in the payload.
const QByteArray maskKey = QByteArrayLiteral("\x37\xfa\x21\x3d");

// "héllo ✓ 😀" spelled out in UTF-8 so the test does not depend on the source encoding.
const QByteArray utf8Text = QByteArrayLiteral("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");

// A frame header with `lengthBytes` of extended length (0, 2 or 8; -1 picks the minimum).
QByteArray header(quint8 first, qint64 length, bool masked, int lengthBytes = -1)
{
    if (lengthBytes < 0)
        lengthBytes = length <= 125 ? 0 : length <= 0xffff ? 2 : 8;
    QByteArray out;
    out.append(char(first));
    const char maskBit = masked ? char(0x80) : char(0);
    out.append(char(maskBit | (lengthBytes == 0 ? char(length) : lengthBytes == 2 ? 126 : 127)));
    for (int i = lengthBytes - 1; i >= 0; --i)
        out.append(char((quint64(length) >> (8 * i)) & 0xff));
    return out;
}

// A frame as a client sends it: masked with maskKey.
QByteArray masked(quint8 first, const QByteArray &payload, int lengthBytes = -1)
{
    QByteArray out = header(first, payload.size(), true, lengthBytes) + maskKey;
    for (qsizetype i = 0; i < payload.size(); ++i)
        out.append(char(payload[i] ^ maskKey[i % 4]));
    return out;
}

QByteArray unmasked(quint8 first, const QByteArray &payload)
{
    return header(first, payload.size(), false) + payload;
}

QByteArray closePayload(quint16 code, const QByteArray &reason = {})
{
    return QByteArray(1, char(code >> 8)) + char(code & 0xff) + reason;
}

QString describe(const Parser::Result &result)
{
    const QByteArray &p = result.payload;
    // Bytes that are not text show in hex, so no two payloads describe alike.
    const QString shown = p.size() > 32               ? u"<%1 bytes>"_s.arg(p.size())
                          : websocket::isValidUtf8(p) ? QString::fromUtf8(p)
                                                      : u"0x"_s + QString::fromLatin1(p.toHex());
    switch (result.event) {
    case Parser::Event::NeedMore:
        return u"needmore"_s;
    case Parser::Event::Message:
        if (result.binary)
            return u"binary "_s + (p.size() > 32 ? shown : QString::fromLatin1(p.toHex()));
        return u"text "_s + shown;
    case Parser::Event::Ping:
        return u"ping "_s + shown;
    case Parser::Event::Pong:
        return u"pong "_s + shown;
    case Parser::Event::Close:
        return u"close %1 "_s.arg(result.closeCode) + shown;
    case Parser::Event::Error:
        return u"error %1"_s.arg(result.closeCode);
    }
    return u"?"_s;
}

// Feeds `input` `chunk` bytes at a time, as a connection appends reads to its unconsumed tail,
// and describes every event; "left N" tells bytes still unconsumed when the input ran out.
QStringList feed(Parser &parser, const QByteArray &input, qsizetype chunk)
{
    QStringList events;
    QByteArray pending;
    for (qsizetype at = 0; at < input.size() && !parser.isSpent(); at += chunk) {
        pending += input.mid(at, chunk);
        while (!parser.isSpent()) {
            const Parser::Result result = parser.parse(pending);
            if (result.consumed < 0 || result.consumed > pending.size())
                return {u"consumed %1 of %2"_s.arg(result.consumed).arg(pending.size())};
            pending.remove(0, result.consumed);
            if (result.event == Parser::Event::NeedMore)
                break;
            events << describe(result);
        }
    }
    if (!parser.isSpent() && !pending.isEmpty())
        events << u"left %1"_s.arg(pending.size());
    return events;
}

} // namespace

class TestWebSocket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void byteAtATime_data() { parse_data(); }
    void byteAtATime();
    void oddChunks_data() { parse_data(); }
    void oddChunks();
    void closeCodes_data();
    void closeCodes();
    void oversizeJudgedFromHeader_data();
    void oversizeJudgedFromHeader();
    void fragmentsAreHeldAndCounted();
    void consumedStopsAtTheEvent();
    void spentAfterCloseOrError_data();
    void spentAfterCloseOrError();
    void setLimitsAppliesToTheNextFrame();
    void frame_data();
    void frame();
    void closeFrame_data();
    void closeFrame();
    void acceptKey_data();
    void acceptKey();
    void isValidKey_data();
    void isValidKey();
    void isValidUtf8_data();
    void isValidUtf8();
    void utf8ValidatorPieces_data();
    void utf8ValidatorPieces();
};

void TestWebSocket::parse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<qint64>("maxMessage");
    QTest::addColumn<QStringList>("events");
    const qint64 dflt = Parser::Limits{}.maxMessage;
    const QByteArray a33(33, 'a');

    QTest::addRow("text") << masked(TextFrame, "hello") << dflt << QStringList{u"text hello"_s};
    QTest::addRow("empty text") << masked(TextFrame, {}) << dflt << QStringList{u"text "_s};
    QTest::addRow("utf-8 text") << masked(TextFrame, utf8Text) << dflt
                                << QStringList{u"text "_s + QString::fromUtf8(utf8Text)};
    QTest::addRow("binary") << masked(BinaryFrame, QByteArrayLiteral("\x00\x01\xff")) << dflt
                            << QStringList{u"binary 0001ff"_s};
    QTest::addRow("binary is not judged as UTF-8")
        << masked(BinaryFrame, "\xff\xfe") << dflt << QStringList{u"binary fffe"_s};
    QTest::addRow("two messages in one buffer")
        << masked(TextFrame, "one") + masked(BinaryFrame, "2") << dflt
        << QStringList{u"text one"_s, u"binary 32"_s};
    QTest::addRow("16-bit length")
        << masked(TextFrame, QByteArray(126, 'x')) << dflt << QStringList{u"text <126 bytes>"_s};
    QTest::addRow("64-bit length") << masked(BinaryFrame, QByteArray(65536, 'y')) << dflt
                                   << QStringList{u"binary <65536 bytes>"_s};
    QTest::addRow("non-minimal 16-bit length accepted")
        << masked(TextFrame, "short", 2) << dflt << QStringList{u"text short"_s};
    QTest::addRow("non-minimal 64-bit length accepted")
        << masked(TextFrame, "short", 8) << dflt << QStringList{u"text short"_s};
    QTest::addRow("message at the limit")
        << masked(TextFrame, "12345") << qint64(5) << QStringList{u"text 12345"_s};

    QTest::addRow("fragmented text")
        << masked(TextStart, "hel") + masked(Continue, "lo ") + masked(LastFragment, "there")
        << dflt << QStringList{u"text hello there"_s};
    QTest::addRow("fragmented binary")
        << masked(BinaryStart, "\x01") + masked(LastFragment, "\x02\x03") << dflt
        << QStringList{u"binary 010203"_s};
    QTest::addRow("fragmented, long fragments")
        << masked(BinaryStart, a33) + masked(LastFragment, a33) << dflt
        << QStringList{u"binary <66 bytes>"_s};
    QTest::addRow("empty fragments")
        << masked(TextStart, {}) + masked(Continue, "x") + masked(LastFragment, {}) << dflt
        << QStringList{u"text x"_s};
    QTest::addRow("fragmented at the limit")
        << masked(TextStart, "123") + masked(LastFragment, "45") << qint64(5)
        << QStringList{u"text 12345"_s};
    QTest::addRow("ping between fragments")
        << masked(TextStart, "a") + masked(PingFrame, "p") + masked(LastFragment, "b") << dflt
        << QStringList{u"ping p"_s, u"text ab"_s};
    QTest::addRow("control frames between fragments do not count against the limit")
        << masked(TextStart, "ab") + masked(PingFrame, a33) + masked(PongFrame, "q") +
               masked(LastFragment, "c")
        << qint64(3) << QStringList{u"ping <33 bytes>"_s, u"pong q"_s, u"text abc"_s};
    QTest::addRow("close between fragments")
        << masked(BinaryStart, "a") + masked(CloseFrame, closePayload(1001)) << dflt
        << QStringList{u"close 1001 "_s};

    QTest::addRow("ping") << masked(PingFrame, {}) << dflt << QStringList{u"ping "_s};
    QTest::addRow("ping of 125 bytes")
        << masked(PingFrame, QByteArray(125, 'p')) << dflt << QStringList{u"ping <125 bytes>"_s};
    QTest::addRow("ping payload as is") << masked(PingFrame, QByteArrayLiteral("\xff\x00")) << dflt
                                        << QStringList{u"ping 0xff00"_s};
    QTest::addRow("pong") << masked(PongFrame, "probe") << dflt << QStringList{u"pong probe"_s};
    QTest::addRow("close with reason") << masked(CloseFrame, closePayload(1000, "bye")) << dflt
                                       << QStringList{u"close 1000 bye"_s};
    QTest::addRow("close with UTF-8 reason")
        << masked(CloseFrame, closePayload(4000, utf8Text)) << dflt
        << QStringList{u"close 4000 "_s + QString::fromUtf8(utf8Text)};
    QTest::addRow("empty close is 1005")
        << masked(CloseFrame, {}) << dflt << QStringList{u"close 1005 "_s};
    QTest::addRow("nothing after close")
        << masked(CloseFrame, closePayload(1000)) + masked(TextFrame, "late") << dflt
        << QStringList{u"close 1000 "_s};

    QTest::addRow("incomplete header")
        << masked(TextFrame, "hello").left(1) << dflt << QStringList{u"left 1"_s};
    QTest::addRow("incomplete mask")
        << masked(TextFrame, "hello").left(4) << dflt << QStringList{u"left 4"_s};
    QTest::addRow("incomplete payload")
        << masked(TextFrame, "hello").chopped(1) << dflt << QStringList{u"left 10"_s};
    QTest::addRow("fragments consumed before an incomplete frame")
        << masked(TextStart, "ab") + masked(LastFragment, "cd").left(3) << dflt
        << QStringList{u"left 3"_s};

    QTest::addRow("unmasked text")
        << unmasked(TextFrame, "hello") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("unmasked ping")
        << unmasked(PingFrame, {}) << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("unmasked continuation") << masked(TextStart, "a") + unmasked(LastFragment, "b")
                                           << dflt << QStringList{u"error 1002"_s};
    for (const quint8 rsv : {0x40, 0x20, 0x10, 0x70})
        QTest::addRow("reserved bits %02x", rsv)
            << masked(TextFrame | rsv, "x") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("reserved bit on a continuation")
        << masked(TextStart, "a") + masked(LastFragment | 0x40, "b") << dflt
        << QStringList{u"error 1002"_s};
    for (const quint8 opcode : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15})
        QTest::addRow("opcode %d", opcode)
            << masked(Fin | opcode, "x") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("continuation without start")
        << masked(LastFragment, "x") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("non-final continuation without start")
        << masked(Continue, "x") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("continuation after a whole message")
        << masked(TextFrame, "a") + masked(LastFragment, "b") << dflt
        << QStringList{u"text a"_s, u"error 1002"_s};
    QTest::addRow("text inside a fragmented message")
        << masked(TextStart, "a") + masked(TextFrame, "b") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("binary inside a fragmented message")
        << masked(TextStart, "a") + masked(BinaryStart, "b") << dflt
        << QStringList{u"error 1002"_s};
    QTest::addRow("ping over 125 bytes")
        << masked(PingFrame, QByteArray(126, 'p')) << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("pong over 125 bytes")
        << masked(PongFrame, QByteArray(200, 'p')) << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("close over 125 bytes")
        << masked(CloseFrame, closePayload(1000, QByteArray(124, 'r'))) << dflt
        << QStringList{u"error 1002"_s};
    QTest::addRow("control frame with a 16-bit length under 126")
        << masked(PingFrame, "p", 2) << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("fragmented ping") << masked(0x09, "p") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("fragmented close")
        << masked(0x08, closePayload(1000)) << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("64-bit length with the top bit set")
        << header(BinaryFrame, qint64(quint64(1) << 63), true, 8) << dflt
        << QStringList{u"error 1002"_s};

    QTest::addRow("oversized frame")
        << masked(TextFrame, "123456") << qint64(5) << QStringList{u"error 1009"_s};
    QTest::addRow("oversized 64-bit frame, header only")
        << header(BinaryFrame, qint64(1) << 40, true) << dflt << QStringList{u"error 1009"_s};
    QTest::addRow("oversized fragmented message")
        << masked(TextStart, "123") + masked(Continue, "45") + masked(LastFragment, "6")
        << qint64(5) << QStringList{u"error 1009"_s};
    QTest::addRow("zero limit") << masked(BinaryFrame, "x") << qint64(0)
                                << QStringList{u"error 1009"_s};

    QTest::addRow("invalid UTF-8")
        << masked(TextFrame, "ab\xff") << dflt << QStringList{u"error 1007"_s};
    QTest::addRow("overlong UTF-8")
        << masked(TextFrame, "\xc0\xaf") << dflt << QStringList{u"error 1007"_s};
    QTest::addRow("surrogate") << masked(TextFrame, "\xed\xa0\x80") << dflt
                               << QStringList{u"error 1007"_s};
    QTest::addRow("text ends inside a character")
        << masked(TextFrame, "a\xe2\x9c") << dflt << QStringList{u"error 1007"_s};
    QTest::addRow("invalid UTF-8 after 8 ASCII bytes")
        << masked(TextFrame, "abcdefgh\x80") << dflt << QStringList{u"error 1007"_s};
    QTest::addRow("fragments split at a character boundary")
        << masked(TextStart, "h\xc3\xa9") + masked(LastFragment, "\xe2\x9c\x93") << dflt
        << QStringList{u"text h\u00e9\u2713"_s};
    QTest::addRow("fragments split inside a character")
        << masked(TextStart, "h\xc3") + masked(LastFragment, "\xa9") << dflt
        << QStringList{u"text h\u00e9"_s};
    QTest::addRow("4-byte character over three fragments")
        << masked(TextStart, "\xf0") + masked(Continue, "\x9f\x98") + masked(LastFragment, "\x80")
        << dflt << QStringList{u"text "_s + QString::fromUtf8("\xf0\x9f\x98\x80")};
    QTest::addRow("fragmented message ends inside a character")
        << masked(TextStart, "a\xe2") + masked(LastFragment, "\x9c") << dflt
        << QStringList{u"error 1007"_s};
    QTest::addRow("invalid byte inside a split character")
        << masked(TextStart, "\xe2\x9c") + masked(LastFragment, "A") << dflt
        << QStringList{u"error 1007"_s};
    // Judged as the fragment arrives, not when the message ends.
    QTest::addRow("invalid UTF-8 in a first fragment fails at once")
        << masked(TextStart, "\xff") << dflt << QStringList{u"error 1007"_s};
    QTest::addRow("invalid UTF-8 in a middle fragment fails at once")
        << masked(TextStart, "ok") + masked(Continue, "\xc0\x80") << dflt
        << QStringList{u"error 1007"_s};

    QTest::addRow("close with a 1-byte payload")
        << masked(CloseFrame, "\x03") << dflt << QStringList{u"error 1002"_s};
    QTest::addRow("close reason invalid UTF-8")
        << masked(CloseFrame, closePayload(1000, "\xff")) << dflt << QStringList{u"error 1007"_s};
    QTest::addRow("close reason cut inside a character")
        << masked(CloseFrame, closePayload(1000, "\xc3")) << dflt << QStringList{u"error 1007"_s};
}

void TestWebSocket::parse()
{
    QFETCH(QByteArray, input);
    QFETCH(qint64, maxMessage);
    QFETCH(QStringList, events);
    Parser parser(Parser::Limits{maxMessage});
    QCOMPARE(feed(parser, input, qMax(input.size(), qsizetype(1))), events);
}

void TestWebSocket::byteAtATime()
{
    QFETCH(QByteArray, input);
    QFETCH(qint64, maxMessage);
    QFETCH(QStringList, events);
    Parser parser(Parser::Limits{maxMessage});
    QCOMPARE(feed(parser, input, 1), events);
}

void TestWebSocket::oddChunks()
{
    QFETCH(QByteArray, input);
    QFETCH(qint64, maxMessage);
    QFETCH(QStringList, events);
    for (const qsizetype chunk : {2, 3, 7, 13}) {
        Parser parser(Parser::Limits{maxMessage});
        QCOMPARE(feed(parser, input, chunk), events);
    }
}

void TestWebSocket::closeCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("valid");
    for (const int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                           3000, 3999, 4000, 4999})
        QTest::addRow("%d valid", code) << code << true;
    for (const int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        QTest::addRow("%d invalid", code) << code << false;
}

void TestWebSocket::closeCodes()
{
    QFETCH(int, code);
    QFETCH(bool, valid);
    QCOMPARE(websocket::isValidCloseCode(quint16(code)), valid);
    Parser parser;
    const Parser::Result result =
        parser.parse(masked(CloseFrame, closePayload(quint16(code), "why")));
    QCOMPARE(result.event, valid ? Parser::Event::Close : Parser::Event::Error);
    QCOMPARE(result.closeCode, valid ? quint16(code) : quint16(1002));
    QCOMPARE(result.payload, valid ? QByteArray("why") : QByteArray());
    // What the caller echoes: the same code back, with no reason needed.
    if (valid)
        QCOMPARE(websocket::closeFrame(result.closeCode),
                 QByteArray("\x88\x02", 2) + closePayload(quint16(code)));
}

void TestWebSocket::oversizeJudgedFromHeader_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("judged");
    QTest::addRow("7-bit length, no mask key yet") << header(TextFrame, 101, true) << true;
    QTest::addRow("16-bit length, no mask key yet") << header(TextFrame, 200, true) << true;
    QTest::addRow("64-bit length, no mask key yet")
        << header(BinaryFrame, qint64(1) << 62, true) << true;
    QTest::addRow("16-bit length not arrived") << header(TextFrame, 200, true).left(3) << false;
    QTest::addRow("64-bit length not arrived")
        << header(BinaryFrame, qint64(1) << 62, true).left(9) << false;
}

// The limit is known before the payload: a peer announcing too much is refused before it sends
// it, and nothing past the limit is ever held.
void TestWebSocket::oversizeJudgedFromHeader()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, judged);
    Parser parser(Parser::Limits{100});
    const Parser::Result result = parser.parse(header);
    QCOMPARE(result.event, judged ? Parser::Event::Error : Parser::Event::NeedMore);
    QCOMPARE(result.closeCode, judged ? quint16(1009) : quint16(0));
    QCOMPARE(result.error.isEmpty(), !judged);
    QCOMPARE(result.consumed, 0);
    QCOMPARE(parser.bufferedBytes(), 0);
}

void TestWebSocket::fragmentsAreHeldAndCounted()
{
    Parser parser(Parser::Limits{10});
    const QByteArray first = masked(TextStart, "abcd");
    const QByteArray second = masked(Continue, "ef");
    Parser::Result result = parser.parse(first + second + masked(LastFragment, "g").left(2));
    QCOMPARE(result.event, Parser::Event::NeedMore);
    QCOMPARE(result.consumed, first.size() + second.size());
    QCOMPARE(parser.bufferedBytes(), 6);
    QVERIFY(result.payload.isNull());

    // An incomplete frame is left to the caller: nothing more is held.
    result = parser.parse(masked(LastFragment, "g").left(5));
    QCOMPARE(result.event, Parser::Event::NeedMore);
    QCOMPARE(result.consumed, 0);
    QCOMPARE(parser.bufferedBytes(), 6);

    // Held bytes count against the limit: 6 held + 5 announced > 10.
    Parser limited(Parser::Limits{10});
    QCOMPARE(limited.parse(first + second).event, Parser::Event::NeedMore);
    const Parser::Result over = limited.parse(header(LastFragment, 5, true));
    QCOMPARE(over.event, Parser::Event::Error);
    QCOMPARE(over.closeCode, quint16(1009));
    QCOMPARE(limited.bufferedBytes(), 0);

    result = parser.parse(masked(LastFragment, "g"));
    QCOMPARE(result.event, Parser::Event::Message);
    QCOMPARE(result.payload, QByteArray("abcdefg"));
    QCOMPARE(parser.bufferedBytes(), 0);
}

void TestWebSocket::consumedStopsAtTheEvent()
{
    Parser parser;
    const QByteArray fragment = masked(TextStart, "a");
    const QByteArray ping = masked(PingFrame, "p");
    const QByteArray rest = masked(LastFragment, "b") + masked(BinaryFrame, "c");
    Parser::Result result = parser.parse(fragment + ping + rest);
    QCOMPARE(result.event, Parser::Event::Ping);
    QCOMPARE(result.consumed, fragment.size() + ping.size());
    result = parser.parse(rest);
    QCOMPARE(result.event, Parser::Event::Message);
    QCOMPARE(result.consumed, masked(LastFragment, "b").size());
    QCOMPARE(result.payload, QByteArray("ab"));
}

void TestWebSocket::spentAfterCloseOrError_data()
{
    QTest::addColumn<QByteArray>("last");
    QTest::addColumn<Parser::Event>("event");
    QTest::addRow("close") << masked(CloseFrame, closePayload(1000)) << Parser::Event::Close;
    QTest::addRow("error") << unmasked(TextFrame, "x") << Parser::Event::Error;
}

void TestWebSocket::spentAfterCloseOrError()
{
    QFETCH(QByteArray, last);
    QFETCH(Parser::Event, event);
    Parser parser;
    QVERIFY(!parser.isSpent());
    QCOMPARE(parser.parse(masked(TextStart, "held")).event, Parser::Event::NeedMore);
    QCOMPARE(parser.parse(last).event, event);
    QVERIFY(parser.isSpent());
    QCOMPARE(parser.bufferedBytes(), 0);
    const Parser::Result after = parser.parse(masked(TextFrame, "late"));
    QCOMPARE(after.event, Parser::Event::NeedMore);
    QCOMPARE(after.consumed, 0);
}

void TestWebSocket::setLimitsAppliesToTheNextFrame()
{
    Parser parser(Parser::Limits{3});
    QCOMPARE(parser.parse(masked(TextFrame, "abc")).event, Parser::Event::Message);
    parser.setLimits(Parser::Limits{2});
    const Parser::Result result = parser.parse(masked(TextFrame, "abc"));
    QCOMPARE(result.event, Parser::Event::Error);
    QCOMPARE(result.closeCode, quint16(1009));
}

void TestWebSocket::frame_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("headerSize");
    QTest::addColumn<QByteArray>("header");
    QTest::addRow("0") << 0 << 2 << QByteArray::fromHex("8100");
    QTest::addRow("125") << 125 << 2 << QByteArray::fromHex("817d");
    QTest::addRow("126") << 126 << 4 << QByteArray::fromHex("817e007e");
    QTest::addRow("65535") << 65535 << 4 << QByteArray::fromHex("817effff");
    QTest::addRow("65536") << 65536 << 10 << QByteArray::fromHex("817f0000000000010000");
}

void TestWebSocket::frame()
{
    QFETCH(int, size);
    QFETCH(int, headerSize);
    QFETCH(QByteArray, header);
    QCOMPARE(websocket::headerSize(size), headerSize);
    QByteArray payload(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        payload[i] = char(i * 7);
    const QByteArray out = websocket::frame(Opcode::Text, payload);
    QCOMPARE(out.size(), headerSize + size);
    QCOMPARE(out.left(headerSize).toHex(), header.toHex());
    QCOMPARE(out.mid(headerSize), payload);

    QByteArray written(headerSize, '\0');
    QCOMPARE(websocket::writeHeader(written.data(), Opcode::Text, size), headerSize);
    QCOMPARE(written.toHex(), header.toHex());
    QCOMPARE(websocket::frame(Opcode::Binary, payload).at(0), char(0x82));
    QCOMPARE(websocket::frame(Opcode::Pong, {}).toHex(), QByteArray("8a00"));
}

void TestWebSocket::closeFrame_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("payload");
    const QByteArray a122(122, 'a');
    QTest::addRow("code only") << 1000 << QByteArray() << closePayload(1000);
    QTest::addRow("code and reason")
        << 1009 << QByteArray("too big") << closePayload(1009, "too big");
    QTest::addRow("1005 sends no status") << 1005 << QByteArray("ignored") << QByteArray();
    QTest::addRow("reason of 123 bytes kept")
        << 1000 << QByteArray(123, 'r') << closePayload(1000, QByteArray(123, 'r'));
    QTest::addRow("reason of 124 bytes cut")
        << 1000 << QByteArray(124, 'r') << closePayload(1000, QByteArray(123, 'r'));
    QTest::addRow("cut before a 2-byte character it would split")
        << 1001 << a122 + "\xc3\xa9" << closePayload(1001, a122);
    QTest::addRow("cut before a 4-byte character it would split")
        << 1001 << a122.left(120) + "\xf0\x9f\x98\x80" << closePayload(1001, a122.left(120));
    QTest::addRow("a character that ends at 123 is kept")
        << 1001 << a122.left(121) + "\xc3\xa9" + "zz"
        << closePayload(1001, a122.left(121) + "\xc3\xa9");
}

void TestWebSocket::closeFrame()
{
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, payload);
    const QByteArray out = websocket::closeFrame(quint16(code), reason);
    QCOMPARE(out.at(0), char(0x88));
    QCOMPARE(int(out.at(1)), payload.size());
    QCOMPARE(out.mid(2), payload);
    QVERIFY(websocket::isValidUtf8(out.mid(4)));
}

void TestWebSocket::acceptKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("accept");
    QTest::addRow("RFC 6455 sample")
        << QByteArray("dGhlIHNhbXBsZSBub25jZQ==") << QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // Node's crypto: sha1(key + GUID) in base64.
    QTest::addRow("another key") << QByteArray("x3JJHMbDL1EzLkh9GBhXDw==")
                                 << QByteArray("HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

void TestWebSocket::acceptKey()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, accept);
    QCOMPARE(websocket::acceptKey(key), accept);
}

void TestWebSocket::isValidKey_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("valid");
    QTest::addRow("RFC sample") << QByteArray("dGhlIHNhbXBsZSBub25jZQ==") << true;
    QTest::addRow("with + and /") << QByteArray("+/+/+/+/+/+/+/+/+/+/+w==") << true;
    QTest::addRow("16 zero bytes") << QByteArray(16, '\0').toBase64() << true;
    QTest::addRow("empty") << QByteArray() << false;
    QTest::addRow("15 bytes") << QByteArray(15, 'k').toBase64() << false;
    QTest::addRow("17 bytes") << QByteArray(17, 'k').toBase64() << false;
    QTest::addRow("no padding") << QByteArray("dGhlIHNhbXBsZSBub25jZQ") << false;
    QTest::addRow("one padding") << QByteArray("dGhlIHNhbXBsZSBub25jZQA=") << false;
    QTest::addRow("url-safe alphabet") << QByteArray("dGhlIHNhbXBsZSBub25j-_==") << false;
    QTest::addRow("space inside") << QByteArray("dGhlIHNhbXBsZ Bub25jZQ==") << false;
    QTest::addRow("trailing space") << QByteArray("dGhlIHNhbXBsZSBub25jZQ== ") << false;
    QTest::addRow("padding inside") << QByteArray("dGhlIHNhbXBsZSBub25j=Q==") << false;
}

void TestWebSocket::isValidKey()
{
    QFETCH(QByteArray, key);
    QFETCH(bool, valid);
    QCOMPARE(websocket::isValidKey(key), valid);
}

void TestWebSocket::isValidUtf8_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("valid");
    QTest::addRow("empty") << QByteArray() << true;
    QTest::addRow("ASCII") << QByteArray("hello, world: a longer run of ASCII") << true;
    QTest::addRow("NUL") << QByteArray(3, '\0') << true;
    QTest::addRow("mixed") << utf8Text << true;
    QTest::addRow("U+0080") << QByteArray("\xc2\x80") << true;
    QTest::addRow("U+07FF") << QByteArray("\xdf\xbf") << true;
    QTest::addRow("U+0800") << QByteArray("\xe0\xa0\x80") << true;
    QTest::addRow("U+D7FF") << QByteArray("\xed\x9f\xbf") << true;
    QTest::addRow("U+E000") << QByteArray("\xee\x80\x80") << true;
    QTest::addRow("U+FFFF") << QByteArray("\xef\xbf\xbf") << true;
    QTest::addRow("U+10000") << QByteArray("\xf0\x90\x80\x80") << true;
    QTest::addRow("U+10FFFF") << QByteArray("\xf4\x8f\xbf\xbf") << true;
    QTest::addRow("overlong NUL") << QByteArray("\xc0\x80") << false;
    QTest::addRow("overlong C1") << QByteArray("\xc1\xbf") << false;
    QTest::addRow("overlong 3-byte") << QByteArray("\xe0\x9f\xbf") << false;
    QTest::addRow("overlong 4-byte") << QByteArray("\xf0\x8f\xbf\xbf") << false;
    QTest::addRow("surrogate U+D800") << QByteArray("\xed\xa0\x80") << false;
    QTest::addRow("surrogate U+DFFF") << QByteArray("\xed\xbf\xbf") << false;
    QTest::addRow("U+110000") << QByteArray("\xf4\x90\x80\x80") << false;
    QTest::addRow("F5 lead") << QByteArray("\xf5\x80\x80\x80") << false;
    QTest::addRow("FE") << QByteArray("\xfe") << false;
    QTest::addRow("FF") << QByteArray("\xff") << false;
    QTest::addRow("lone continuation") << QByteArray("a\x80z") << false;
    QTest::addRow("truncated 2-byte") << QByteArray("\xc3") << false;
    QTest::addRow("truncated 3-byte") << QByteArray("\xe2\x9c") << false;
    QTest::addRow("truncated 4-byte") << QByteArray("\xf0\x9f\x98") << false;
    QTest::addRow("truncated then ASCII") << QByteArray("\xe2\x9c"
                                                        "a")
                                          << false;
    QTest::addRow("invalid after 16 ASCII bytes") << QByteArray("0123456789abcdef\xff") << false;
    QTest::addRow("invalid inside an 8-byte run") << QByteArray("0123\xff"
                                                                "56789")
                                                  << false;
}

void TestWebSocket::isValidUtf8()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, valid);
    QCOMPARE(websocket::isValidUtf8(bytes), valid);
    // Qt's own decoder agrees on what it calls valid.
    if (valid)
        QCOMPARE(QString::fromUtf8(bytes).toUtf8(), bytes);
}

void TestWebSocket::utf8ValidatorPieces_data()
{
    isValidUtf8_data();
}

// Any split of the bytes into pieces gives the verdict of the whole.
void TestWebSocket::utf8ValidatorPieces()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, valid);
    for (qsizetype cut = 0; cut <= bytes.size(); ++cut) {
        websocket::Utf8Validator validator;
        const bool fed = validator.feed(QByteArrayView(bytes).first(cut)) &&
                         validator.feed(QByteArrayView(bytes).sliced(cut));
        QCOMPARE(fed && validator.complete(), valid);
    }
}

QTEST_APPLESS_MAIN(TestWebSocket)

#include "tst_websocket.moc"
