// Arbitrary client bytes into websocket::Parser, fed whole and in random chunks: the events must
// be the same either way, and every event must keep the parser's promises (consumed within the
// data, nothing after Error or Close, sizes within the limits, text valid UTF-8).
// Input: [limit byte][chunking seed byte][stream...].
#include "fuzzcheck.h"
#include "switchboard/websocket.h"

#include <cstdint>
#include <random>
#include <vector>

using switchboard::websocket::Parser;
namespace websocket = switchboard::websocket;

namespace {

struct Event
{
    Parser::Event event = Parser::Event::NeedMore;
    bool binary = false;
    QByteArray payload;
    quint16 closeCode = 0;
    friend bool operator==(const Event &, const Event &) = default;
};

void checkResult(const Parser::Result &result, const Parser &parser, qint64 maxMessage)
{
    FUZZ_CHECK(parser.bufferedBytes() >= 0 && parser.bufferedBytes() <= maxMessage);
    switch (result.event) {
    case Parser::Event::NeedMore:
        // Waiting allocates nothing.
        FUZZ_CHECK(result.payload.isNull() && result.error.isNull());
        FUZZ_CHECK(!parser.isSpent() || result.consumed == 0);
        break;
    case Parser::Event::Message:
        FUZZ_CHECK(result.payload.size() <= maxMessage);
        FUZZ_CHECK(result.binary || websocket::isValidUtf8(result.payload));
        FUZZ_CHECK(parser.bufferedBytes() == 0);
        break;
    case Parser::Event::Ping:
    case Parser::Event::Pong:
        FUZZ_CHECK(result.payload.size() <= 125);
        break;
    case Parser::Event::Close:
        FUZZ_CHECK(parser.isSpent());
        if (result.closeCode == 1005) {
            FUZZ_CHECK(result.payload.isEmpty());
        } else {
            FUZZ_CHECK(websocket::isValidCloseCode(result.closeCode));
            FUZZ_CHECK(result.payload.size() <= 123 && websocket::isValidUtf8(result.payload));
        }
        break;
    case Parser::Event::Error:
        FUZZ_CHECK(parser.isSpent() && parser.bufferedBytes() == 0);
        FUZZ_CHECK(result.closeCode == 1002 || result.closeCode == 1007 ||
                   result.closeCode == 1009);
        FUZZ_CHECK(!result.error.isEmpty());
        break;
    }
}

// Feeds `stream` as a connection would: each read appended to the unconsumed tail, parsed until
// NeedMore. Chunk sizes come from `seed`; seed 0 hands over the whole stream at once.
std::vector<Event> run(QByteArrayView stream, qint64 maxMessage, unsigned seed)
{
    Parser parser(Parser::Limits{maxMessage});
    std::minstd_rand chunks(seed);
    std::vector<Event> events;
    QByteArray pending;
    qsizetype at = 0;
    while (at < stream.size()) {
        // Mostly small reads, so frame boundaries fall everywhere, and now and then a big one.
        const qsizetype wanted = seed == 0          ? stream.size()
                                 : chunks() % 8 > 0 ? qsizetype(1 + chunks() % 16)
                                                    : qsizetype(1 + chunks() % 512);
        const qsizetype chunk = qMin(wanted, stream.size() - at);
        pending.append(stream.sliced(at, chunk));
        at += chunk;
        for (;;) {
            const bool spentBefore = parser.isSpent();
            const Parser::Result result = parser.parse(pending);
            FUZZ_CHECK(result.consumed >= 0 && result.consumed <= pending.size());
            FUZZ_CHECK(!spentBefore || result.event == Parser::Event::NeedMore);
            checkResult(result, parser, maxMessage);
            pending.remove(0, result.consumed);
            if (result.event == Parser::Event::NeedMore)
                break;
            events.push_back({result.event, result.binary, result.payload, result.closeCode});
        }
    }
    return events;
}

// The builders and the validator on the same bytes: a close frame never outgrows a control
// frame and never cuts a valid reason into invalid UTF-8; UTF-8 is judged as Qt judges it, and
// in pieces as whole.
void checkBuilders(QByteArrayView bytes, quint8 seed)
{
    const QByteArray close = websocket::closeFrame(quint16(1000 + seed), bytes);
    FUZZ_CHECK(close.size() >= 2 && close.size() <= 127 && close.size() == 2 + close[1]);
    if (close.size() > 2 && websocket::isValidUtf8(bytes))
        FUZZ_CHECK(websocket::isValidUtf8(QByteArrayView(close).sliced(4)));
    const QByteArray frame = websocket::frame(websocket::Opcode::Binary, bytes);
    FUZZ_CHECK(frame.size() == websocket::headerSize(bytes.size()) + bytes.size());

    // Qt's own strict validator is the oracle.
    FUZZ_CHECK(websocket::isValidUtf8(bytes) == QtPrivate::isValidUtf8(bytes));
    const qsizetype cut = bytes.isEmpty() ? 0 : seed % (bytes.size() + 1);
    websocket::Utf8Validator pieces;
    const bool fed = pieces.feed(bytes.first(cut)) && pieces.feed(bytes.sliced(cut));
    FUZZ_CHECK((fed && pieces.complete()) == websocket::isValidUtf8(bytes));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    // Limits small enough that the fuzzer reaches them, and now and then the default.
    const qint64 maxMessage = data[0] == 0xff ? Parser::Limits{}.maxMessage : qint64(data[0]) * 16;
    const unsigned seed = data[1];
    const QByteArrayView stream(data + 2, qsizetype(size - 2));

    const std::vector<Event> whole = run(stream, maxMessage, 0);
    const std::vector<Event> chunked = run(stream, maxMessage, seed + 1);
    FUZZ_CHECK(whole == chunked);
    checkBuilders(stream, data[1]);
    return 0;
}
