// RFC 6455 WebSocket framing for the server side: pure functions over bytes, no I/O, so the
// connection layer can run it on a shared read buffer and the fuzzers can run it on anything.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace switchboard::websocket {

enum class Opcode : quint8
{
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10
};

// Strict UTF-8 checked a piece at a time, so a text message split across fragments is judged
// as it arrives (fail fast) and a character cut by a fragment boundary only at the end.
class Utf8Validator
{
public:
    // False once the bytes so far cannot begin valid UTF-8; the validator stays failed.
    bool feed(QByteArrayView bytes);
    // True when everything fed is valid and no character is left unfinished.
    bool complete() const { return !m_failed && m_pending == 0; }
    void reset() { *this = {}; }

private:
    bool fail()
    {
        m_failed = true;
        return false;
    }

    quint8 m_pending = 0; // continuation bytes still owed by the current character
    quint8 m_low = 0x80;  // the range the next continuation byte must fall in
    quint8 m_high = 0xbf;
    bool m_failed = false;
};

// Parses what a client sends: masked frames, fragmentation, interleaved control frames,
// UTF-8 validation of text messages, close codes, size limits. One event per call.
// Where RFC 6455 leaves a choice: lengths in more bytes than needed are accepted, a 64-bit
// length with its top bit set is 1002, and close codes are those of isValidCloseCode().
class Parser
{
public:
    struct Limits
    {
        qint64 maxMessage = 1000000; // bytes of one (reassembled) message
    };
    enum class Event
    {
        NeedMore,
        Message,
        Ping,
        Pong,
        Close,
        Error
    };
    struct Result
    {
        Event event = Event::NeedMore;
        qsizetype consumed = 0; // bytes of `data` used; the caller keeps the rest for later
        bool binary = false;    // Message: binary (true) or text (false, valid UTF-8)
        QByteArray payload;     // Message: whole message; Ping/Pong: their payload; Close: reason
        quint16 closeCode = 0;  // Close: the peer's code (1005 when the frame had none);
                                // Error: the code to close with (1002, 1007, 1009)
        QString error;          // Error: why, for the log
    };

    // Two constructors for `Parser(Limits limits = {})`: GCC cannot take the default of a
    // nested struct with member initializers before the enclosing class is complete.
    Parser() = default;
    explicit Parser(Limits limits) : m_limits(limits) {}
    void setLimits(Limits limits) { m_limits = limits; }
    // `data` is every byte not consumed so far (the caller appends new bytes to the unconsumed
    // tail). A frame whose header or payload is incomplete yields NeedMore with consumed 0 for
    // it (fragments of an unfinished message that were complete frames are consumed and kept
    // inside the parser). Error is judged as soon as the bytes that prove it are there (most
    // from a frame's first two bytes, 1009 from its length), and its `consumed` counts only the
    // frames before the bad one. After Error or Close the parser is spent: NeedMore, consumed 0.
    Result parse(QByteArrayView data);
    // Bytes the parser holds for an unfinished fragmented message (for memory accounting).
    qsizetype bufferedBytes() const { return m_fragments.size(); }
    // Whether an Error or a Close has been returned; nothing more will be.
    bool isSpent() const { return m_spent; }

private:
    struct Header;
    // What one frame at the start of `data` comes to; `frameSize` is 0 when it is incomplete.
    Result parseFrame(QByteArrayView data, qsizetype &frameSize);
    Result takeFrame(const Header &header);
    Result takeClose(QByteArray payload);
    Result fail(quint16 code, QString why);

    Limits m_limits;
    QByteArray m_fragments; // the unmasked payload of an unfinished fragmented message
    Utf8Validator m_fragmentsUtf8;
    bool m_inMessage = false;
    bool m_messageBinary = false;
    bool m_spent = false;
};

// A server frame (unmasked, FIN set), header + payload in one buffer.
QByteArray frame(Opcode opcode, QByteArrayView payload);
// Size of the header frame() writes for `payloadSize` bytes (2, 4 or 10).
int headerSize(qint64 payloadSize);
// Writes that header to `out` (headerSize() bytes) and returns its size: for a payload that is
// sent from where it already lies (writev) rather than copied behind its header.
int writeHeader(char *out, Opcode opcode, qint64 payloadSize);
// A close frame with `code` and `reason` (reason cut to keep the payload <= 125 bytes, at a
// UTF-8 character boundary). Code 1005 ("no status", which must never be sent) gives a close
// frame with an empty payload, so echoing what Parser reports for an empty close is right.
QByteArray closeFrame(quint16 code, QByteArrayView reason = {});
// Sec-WebSocket-Accept for a Sec-WebSocket-Key (SHA-1 + base64 with the RFC's GUID).
QByteArray acceptKey(QByteArrayView key);
// Whether a Sec-WebSocket-Key is valid: base64 of exactly 16 bytes (RFC 6455 4.2.1).
bool isValidKey(QByteArrayView key);
// Strict UTF-8 validation (no overlongs, no surrogates, <= U+10FFFF).
bool isValidUtf8(QByteArrayView bytes);
// Whether a peer may send `code` in a close frame (RFC 6455 7.4 and the IANA registry).
bool isValidCloseCode(quint16 code);

} // namespace switchboard::websocket
