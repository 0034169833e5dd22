#include "switchboard/websocket.h"

#include <QCryptographicHash>

#include <cstring>

namespace switchboard::websocket {

namespace {

constexpr int MaxControlPayload = 125;
constexpr quint16 ProtocolError = 1002;
constexpr quint16 InvalidPayload = 1007;
constexpr quint16 MessageTooBig = 1009;
constexpr quint16 NoStatus = 1005;

bool isControl(quint8 opcode)
{
    return opcode >= 8;
}

bool isKnownOpcode(quint8 opcode)
{
    return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

quint8 byteAt(QByteArrayView data, qsizetype i)
{
    return quint8(data[i]);
}

// XOR with the client's key eight bytes at a time: unmasking is the one pass every payload
// byte takes, so it should cost about as much as the copy it is fused with.
void unmask(char *out, const char *in, qsizetype size, const char *key)
{
    char key8[8];
    std::memcpy(key8, key, 4);
    std::memcpy(key8 + 4, key, 4);
    quint64 wideKey = 0;
    std::memcpy(&wideKey, key8, 8);
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word = 0;
        std::memcpy(&word, in + i, 8);
        word ^= wideKey;
        std::memcpy(out + i, &word, 8);
    }
    for (; i < size; ++i)
        out[i] = char(in[i] ^ key[i & 3]);
}

QByteArray unmasked(QByteArrayView payload, const char *key)
{
    QByteArray out(payload.size(), Qt::Uninitialized);
    unmask(out.data(), payload.data(), payload.size(), key);
    return out;
}

} // namespace

bool Utf8Validator::feed(QByteArrayView bytes)
{
    if (m_failed)
        return false;
    const auto *p = reinterpret_cast<const quint8 *>(bytes.data());
    const qsizetype size = bytes.size();
    qsizetype i = 0;
    // First the end of a character the previous piece cut.
    for (; m_pending > 0 && i < size; ++i) {
        if (p[i] < m_low || p[i] > m_high)
            return fail();
        m_low = 0x80;
        m_high = 0xbf;
        --m_pending;
    }
    while (i < size) {
        // Text frames are mostly JSON: skip runs of ASCII eight bytes at a time.
        while (i + 8 <= size) {
            quint64 word = 0;
            std::memcpy(&word, p + i, 8);
            if (word & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i == size)
            break;
        const quint8 lead = p[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        // The second byte's range is where overlongs (E0, F0), surrogates (ED) and code points
        // above U+10FFFF (F4) are ruled out; C0, C1 and F5..FF never lead.
        int need = 0;
        quint8 low = 0x80;
        quint8 high = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            need = 1;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            need = 2;
            low = lead == 0xe0 ? 0xa0 : 0x80;
            high = lead == 0xed ? 0x9f : 0xbf;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            need = 3;
            low = lead == 0xf0 ? 0x90 : 0x80;
            high = lead == 0xf4 ? 0x8f : 0xbf;
        } else {
            return fail();
        }
        if (i + need >= size) {
            // The piece ends inside this character: what is left of it (fewer bytes than
            // owed) is checked as the start of a cut character, and the rest is owed.
            m_pending = quint8(need);
            m_low = low;
            m_high = high;
            return feed(bytes.sliced(i + 1));
        }
        if (p[i + 1] < low || p[i + 1] > high)
            return fail();
        for (int k = 2; k <= need; ++k)
            if ((p[i + k] & 0xc0) != 0x80)
                return fail();
        i += need + 1;
    }
    return true;
}

bool isValidUtf8(QByteArrayView bytes)
{
    Utf8Validator validator;
    return validator.feed(bytes) && validator.complete();
}

bool isValidCloseCode(quint16 code)
{
    // 1012-1014 are in the IANA registry and sent by real servers (and accepted by Node's ws,
    // which socket.io runs on); 1004-1006 and 1015 are reserved and never go on the wire.
    if (code >= 1000 && code <= 1014)
        return code != 1004 && code != 1005 && code != 1006;
    return code >= 3000 && code <= 4999;
}

struct Parser::Header
{
    bool fin = false;
    quint8 opcode = 0;
    const char *maskKey = nullptr;
    QByteArrayView payload; // still masked
};

Parser::Result Parser::fail(quint16 code, QString why)
{
    m_spent = true;
    m_fragments = QByteArray(); // the connection is going: give the memory back now
    m_inMessage = false;
    Result result;
    result.event = Event::Error;
    result.closeCode = code;
    result.error = std::move(why);
    return result;
}

Parser::Result Parser::parse(QByteArrayView data)
{
    if (m_spent)
        return {};
    qsizetype used = 0;
    for (;;) {
        qsizetype frameSize = 0;
        Result result = parseFrame(data.sliced(used), frameSize);
        used += frameSize;
        // A fragment taken in yields no event: go on with the frame after it.
        if (result.event == Event::NeedMore && frameSize > 0)
            continue;
        result.consumed = used;
        return result;
    }
}

Parser::Result Parser::parseFrame(QByteArrayView data, qsizetype &frameSize)
{
    frameSize = 0;
    if (data.size() < 2)
        return {};
    const quint8 first = byteAt(data, 0);
    const quint8 second = byteAt(data, 1);
    Header header;
    header.fin = (first & 0x80) != 0;
    header.opcode = first & 0x0f;
    // Everything that makes a frame wrong shows in its first two bytes: judge them before
    // waiting for the rest, so a bad peer is told at once.
    if (first & 0x70)
        return fail(ProtocolError, QStringLiteral("reserved bits set with no extension agreed"));
    if (!isKnownOpcode(header.opcode))
        return fail(ProtocolError, QStringLiteral("unknown opcode %1").arg(header.opcode));
    if (!(second & 0x80))
        return fail(ProtocolError, QStringLiteral("unmasked client frame"));
    const quint8 shortLength = second & 0x7f;
    if (isControl(header.opcode)) {
        if (!header.fin)
            return fail(ProtocolError, QStringLiteral("fragmented control frame"));
        if (shortLength > MaxControlPayload)
            return fail(ProtocolError, QStringLiteral("control frame over 125 bytes"));
    } else if (header.opcode == quint8(Opcode::Continuation) && !m_inMessage) {
        return fail(ProtocolError, QStringLiteral("continuation frame with no message begun"));
    } else if (header.opcode != quint8(Opcode::Continuation) && m_inMessage) {
        return fail(ProtocolError, QStringLiteral("new message inside a fragmented one"));
    }

    const int lengthBytes = shortLength == 127 ? 8 : shortLength == 126 ? 2 : 0;
    if (data.size() < 2 + lengthBytes)
        return {};
    quint64 length = shortLength;
    if (lengthBytes > 0) {
        length = 0;
        for (int i = 0; i < lengthBytes; ++i)
            length = (length << 8) | byteAt(data, 2 + i);
    }
    // Non-minimal length encodings are accepted, as browsers never send them and rejecting them
    // protects nothing; a 64-bit length with its top bit set is malformed (RFC 6455 5.2).
    if (length >> 63)
        return fail(ProtocolError, QStringLiteral("64-bit frame length with the top bit set"));
    const qint64 payloadSize = qint64(length);
    if (!isControl(header.opcode)) {
        const qint64 held = m_inMessage ? m_fragments.size() : 0;
        if (payloadSize > m_limits.maxMessage - held)
            return fail(MessageTooBig, QStringLiteral("message of %1 bytes or more over the %2 "
                                                      "byte limit")
                                           .arg(held + payloadSize)
                                           .arg(m_limits.maxMessage));
    }

    const qsizetype headerBytes = 2 + lengthBytes + 4;
    if (data.size() < headerBytes || data.size() - headerBytes < payloadSize)
        return {};
    header.maskKey = data.data() + 2 + lengthBytes;
    header.payload = data.sliced(headerBytes, qsizetype(payloadSize));
    frameSize = headerBytes + qsizetype(payloadSize);
    return takeFrame(header);
}

Parser::Result Parser::takeFrame(const Header &header)
{
    Result result;
    switch (Opcode(header.opcode)) {
    case Opcode::Ping:
    case Opcode::Pong:
        result.event = Opcode(header.opcode) == Opcode::Ping ? Event::Ping : Event::Pong;
        result.payload = unmasked(header.payload, header.maskKey);
        return result;
    case Opcode::Close:
        return takeClose(unmasked(header.payload, header.maskKey));
    case Opcode::Text:
    case Opcode::Binary:
        if (header.fin) {
            // The common case, a whole message in one frame: one copy, straight into the result.
            result.event = Event::Message;
            result.binary = Opcode(header.opcode) == Opcode::Binary;
            result.payload = unmasked(header.payload, header.maskKey);
            if (!result.binary && !isValidUtf8(result.payload))
                return fail(InvalidPayload, QStringLiteral("invalid UTF-8 in a text message"));
            return result;
        }
        m_inMessage = true;
        m_messageBinary = Opcode(header.opcode) == Opcode::Binary;
        m_fragmentsUtf8.reset();
        break;
    case Opcode::Continuation:
        break;
    }

    const qsizetype held = m_fragments.size();
    m_fragments.resize(held + header.payload.size());
    unmask(m_fragments.data() + held, header.payload.data(), header.payload.size(), header.maskKey);
    if (!m_messageBinary && !m_fragmentsUtf8.feed(QByteArrayView(m_fragments).sliced(held)))
        return fail(InvalidPayload, QStringLiteral("invalid UTF-8 in a text message"));
    if (!header.fin)
        return result; // NeedMore: the message goes on in a later frame
    if (!m_messageBinary && !m_fragmentsUtf8.complete())
        return fail(InvalidPayload, QStringLiteral("text message ends inside a character"));
    result.event = Event::Message;
    result.binary = m_messageBinary;
    result.payload = std::move(m_fragments);
    m_fragments = QByteArray();
    m_inMessage = false;
    return result;
}

Parser::Result Parser::takeClose(QByteArray payload)
{
    if (payload.size() == 1)
        return fail(ProtocolError, QStringLiteral("close frame with a 1-byte payload"));
    Result result;
    result.event = Event::Close;
    result.closeCode = NoStatus;
    if (!payload.isEmpty()) {
        result.closeCode = quint16((quint8(payload[0]) << 8) | quint8(payload[1]));
        if (!isValidCloseCode(result.closeCode))
            return fail(ProtocolError,
                        QStringLiteral("close code %1 may not be sent").arg(result.closeCode));
        payload.remove(0, 2);
        if (!isValidUtf8(payload))
            return fail(InvalidPayload, QStringLiteral("invalid UTF-8 in a close reason"));
        result.payload = std::move(payload);
    }
    m_spent = true;
    m_fragments = QByteArray();
    return result;
}

int headerSize(qint64 payloadSize)
{
    return payloadSize <= MaxControlPayload ? 2 : payloadSize <= 0xffff ? 4 : 10;
}

int writeHeader(char *out, Opcode opcode, qint64 payloadSize)
{
    const int size = headerSize(payloadSize);
    out[0] = char(0x80 | quint8(opcode));
    if (size == 2) {
        out[1] = char(payloadSize);
        return size;
    }
    out[1] = char(size == 4 ? 126 : 127);
    // Big-endian, as every length on the wire.
    for (int i = size - 1; i >= 2; --i) {
        out[i] = char(payloadSize & 0xff);
        payloadSize >>= 8;
    }
    return size;
}

QByteArray frame(Opcode opcode, QByteArrayView payload)
{
    QByteArray out(headerSize(payload.size()) + payload.size(), Qt::Uninitialized);
    const int header = writeHeader(out.data(), opcode, payload.size());
    if (!payload.isEmpty())
        std::memcpy(out.data() + header, payload.data(), size_t(payload.size()));
    return out;
}

QByteArray closeFrame(quint16 code, QByteArrayView reason)
{
    if (code == NoStatus)
        return frame(Opcode::Close, {});
    qsizetype keep = reason.size();
    if (keep > MaxControlPayload - 2) {
        keep = MaxControlPayload - 2;
        // Back off to the lead byte of the character the cut would split, and drop it whole.
        while (keep > 0 && (byteAt(reason, keep) & 0xc0) == 0x80)
            --keep;
    }
    QByteArray payload;
    payload.reserve(2 + keep);
    payload.append(char(code >> 8));
    payload.append(char(code & 0xff));
    payload.append(reason.first(keep));
    return frame(Opcode::Close, payload);
}

QByteArray acceptKey(QByteArrayView key)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(key);
    sha1.addData(QByteArrayView("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    return sha1.result().toBase64();
}

bool isValidKey(QByteArrayView key)
{
    // 16 bytes are 22 base64 digits and "==". The two spare bits of the last digit are not
    // checked, as Node's ws does not check them: a client it accepts is accepted here too.
    if (key.size() != 24 || key[22] != '=' || key[23] != '=')
        return false;
    for (const char c : key.first(22)) {
        const bool digit = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!digit)
            return false;
    }
    return true;
}

} // namespace switchboard::websocket
