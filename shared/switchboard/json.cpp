#include "switchboard/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

namespace switchboard::json {

namespace {

char hexDigit(unsigned v)
{
    return char(v < 10 ? '0' + v : 'a' + v - 10);
}

// The escapes JSON spells with one letter after the backslash, both ways; the other control
// characters are written \u00xx.
constexpr struct
{
    char16_t unit;
    char letter;
} LetterEscapes[] = {{u'"', '"'},  {u'\\', '\\'}, {u'\b', 'b'}, {u'\f', 'f'},
                     {u'\n', 'n'}, {u'\r', 'r'},  {u'\t', 't'}};

char escapeLetter(char16_t unit)
{
    for (const auto &escape : LetterEscapes)
        if (escape.unit == unit)
            return escape.letter;
    return 0;
}

char16_t escapedUnit(char letter)
{
    if (letter == '/') // read, never written
        return u'/';
    for (const auto &escape : LetterEscapes)
        if (escape.letter == letter)
            return escape.unit;
    return 0;
}

// Room for `more` bytes at the end of `out` (geometric growth), returned as a write pointer.
char *grow(QByteArray &out, qsizetype more)
{
    const qsizetype used = out.size();
    out.resize(used + more);
    return out.data() + used;
}

// A string as QJsonDocument writes it: the same escapes, lone surrogates as \uxxxx, else UTF-8.
void writeString(const QString &text, QByteArray &out)
{
    const qsizetype used = out.size();
    char *const begin = grow(out, 6 * text.size() + 2);
    char *p = begin;
    *p++ = '"';
    const char16_t *c = reinterpret_cast<const char16_t *>(text.constData());
    const char16_t *const end = c + text.size();
    for (; c != end; ++c) {
        const char16_t u = *c;
        if (u < 0x80) {
            if (u >= 0x20 && u != '"' && u != '\\') {
                *p++ = char(u);
                continue;
            }
            *p++ = '\\';
            if (const char letter = escapeLetter(u)) {
                *p++ = letter;
            } else {
                *p++ = 'u';
                *p++ = '0';
                *p++ = '0';
                *p++ = hexDigit(u >> 4);
                *p++ = hexDigit(u & 0xf);
            }
        } else if (u < 0x800) {
            *p++ = char(0xc0 | (u >> 6));
            *p++ = char(0x80 | (u & 0x3f));
        } else if (!QChar::isSurrogate(u)) {
            *p++ = char(0xe0 | (u >> 12));
            *p++ = char(0x80 | ((u >> 6) & 0x3f));
            *p++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isHighSurrogate(u) && c + 1 != end && QChar::isLowSurrogate(c[1])) {
            const char32_t code = QChar::surrogateToUcs4(u, c[1]);
            ++c;
            *p++ = char(0xf0 | (code >> 18));
            *p++ = char(0x80 | ((code >> 12) & 0x3f));
            *p++ = char(0x80 | ((code >> 6) & 0x3f));
            *p++ = char(0x80 | (code & 0x3f));
        } else {
            *p++ = '\\';
            *p++ = 'u';
            *p++ = hexDigit(u >> 12);
            *p++ = hexDigit((u >> 8) & 0xf);
            *p++ = hexDigit((u >> 4) & 0xf);
            *p++ = hexDigit(u & 0xf);
        }
    }
    *p++ = '"';
    out.resize(used + (p - begin));
}

void writeInteger(qint64 n, QByteArray &out)
{
    char digits[24];
    char *const last = digits + sizeof digits;
    char *p = last;
    quint64 magnitude = n < 0 ? 0 - quint64(n) : quint64(n);
    do {
        *--p = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (n < 0)
        *--p = '-';
    out.append(p, last - p);
}

// Doubles as QJsonValue keeps and writes them: integral ones within 2^53 as integers,
// others in the shortest form that reads back the same, non-finite ones as null.
void writeDouble(double d, QByteArray &out)
{
    if (!std::isfinite(d)) {
        out.append("null", 4);
        return;
    }
    if (std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0) {
        writeInteger(qint64(d), out);
        return;
    }
    out.append(QByteArray::number(d, 'g', QLocale::FloatingPointShortest));
}

} // namespace

bool writeCommon(const QVariant &value, QByteArray &out)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        out.append("null", 4);
        return true;
    case QMetaType::Bool:
        if (*static_cast<const bool *>(value.constData()))
            out.append("true", 4);
        else
            out.append("false", 5);
        return true;
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
        writeInteger(value.toLongLong(), out);
        return true;
    case QMetaType::ULongLong: {
        const qulonglong n = *static_cast<const qulonglong *>(value.constData());
        if (n <= qulonglong(std::numeric_limits<qint64>::max()))
            writeInteger(qint64(n), out);
        else
            writeDouble(double(n), out);
        return true;
    }
    case QMetaType::Float:
    case QMetaType::Double:
        writeDouble(value.toDouble(), out);
        return true;
    case QMetaType::QString:
        writeString(*static_cast<const QString *>(value.constData()), out);
        return true;
    case QMetaType::QVariantList: {
        const qsizetype start = out.size();
        out.append('[');
        bool first = true;
        for (const QVariant &item : *static_cast<const QVariantList *>(value.constData())) {
            if (!first)
                out.append(',');
            first = false;
            if (!writeCommon(item, out)) {
                out.truncate(start);
                return false;
            }
        }
        out.append(']');
        return true;
    }
    case QMetaType::QVariantMap: {
        const qsizetype start = out.size();
        out.append('{');
        const auto &map = *static_cast<const QVariantMap *>(value.constData());
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            if (it != map.cbegin())
                out.append(',');
            writeString(it.key(), out);
            out.append(':');
            if (!writeCommon(it.value(), out)) {
                out.truncate(start);
                return false;
            }
        }
        out.append('}');
        return true;
    }
    default:
        return false;
    }
}

QByteArray serialize(const QVariant &value)
{
    QByteArray out;
    out.reserve(128);
    if (writeCommon(value, out))
        return out;
    const QJsonValue json = QJsonValue::fromVariant(value);
    if (json.isArray())
        return QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    if (json.isObject())
        return QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    // QJsonDocument only writes containers: write a one-element array and strip the brackets.
    QByteArray wrapped = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

namespace {

// A strict RFC 8259 reader straight into QVariant, for the texts clients send: no QJsonDocument,
// no CBOR container per level. It takes only what it is sure Qt reads the same way and gives
// up on anything else (a lone surrogate escape, a BOM, bad UTF-8, a number out of range, deep
// nesting, any error): parse() then asks Qt, which decides and explains.
class Reader
{
public:
    explicit Reader(QByteArrayView text) : p(text.data()), end(text.data() + text.size()) {}

    std::optional<QVariant> document()
    {
        QVariant value;
        skipSpace();
        if (!readValue(value, 0))
            return std::nullopt;
        skipSpace();
        if (p != end)
            return std::nullopt;
        return value;
    }

private:
    static constexpr int MaxLevels = 512;

    const char *p;
    const char *const end;

    void skipSpace()
    {
        while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            ++p;
    }

    bool literal(const char *word, qsizetype size)
    {
        if (end - p < size || std::memcmp(p, word, size_t(size)) != 0)
            return false;
        p += size;
        return true;
    }

    bool readValue(QVariant &out, int level)
    {
        if (p == end)
            return false;
        switch (*p) {
        case '{':
            return readObject(out, level + 1);
        case '[':
            return readArray(out, level + 1);
        case '"': {
            QString text;
            if (!readString(text))
                return false;
            out = std::move(text);
            return true;
        }
        case 't':
            out = true;
            return literal("true", 4);
        case 'f':
            out = false;
            return literal("false", 5);
        case 'n':
            out = QVariant::fromValue(nullptr);
            return literal("null", 4);
        default:
            return readNumber(out);
        }
    }

    // An array or an object: `member` reads each member into the container, up to `close`.
    template <typename Container, typename Member>
    bool readContainer(QVariant &out, int level, char close, Member member)
    {
        if (level > MaxLevels)
            return false;
        ++p; // [ or {
        Container container;
        skipSpace();
        if (p != end && *p == close) {
            ++p;
            out = std::move(container);
            return true;
        }
        for (;;) {
            skipSpace();
            if (!member(container))
                return false;
            skipSpace();
            if (p == end)
                return false;
            if (*p == close) {
                ++p;
                out = std::move(container);
                return true;
            }
            if (*p++ != ',')
                return false;
        }
    }

    bool readArray(QVariant &out, int level)
    {
        return readContainer<QVariantList>(out, level, ']', [&](QVariantList &list) {
            list.append(QVariant());
            return readValue(list.last(), level);
        });
    }

    bool readObject(QVariant &out, int level)
    {
        return readContainer<QVariantMap>(out, level, '}', [&](QVariantMap &map) {
            QString key;
            if (p == end || *p != '"' || !readString(key))
                return false;
            skipSpace();
            if (p == end || *p++ != ':')
                return false;
            skipSpace();
            QVariant value;
            if (!readValue(value, level))
                return false;
            map.insert(key, std::move(value)); // a repeated key: the last one wins, as in Qt
            return true;
        });
    }

    static int hexValue(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    bool readHex4(char16_t &unit)
    {
        if (end - p < 4)
            return false;
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const int digit = hexValue(p[i]);
            if (digit < 0)
                return false;
            v = v << 4 | unsigned(digit);
        }
        p += 4;
        unit = char16_t(v);
        return true;
    }

    bool readEscape(QString &out)
    {
        ++p; // backslash
        if (p == end)
            return false;
        const char c = *p++;
        if (const char16_t unit = escapedUnit(c)) {
            out.append(QChar(unit));
            return true;
        }
        if (c != 'u')
            return false;
        char16_t unit = 0;
        if (!readHex4(unit))
            return false;
        if (!QChar::isSurrogate(unit)) {
            out.append(QChar(unit));
            return true;
        }
        // Only a whole pair: what Qt makes of a lone half is left to Qt.
        char16_t low = 0;
        if (!QChar::isHighSurrogate(unit) || end - p < 6 || p[0] != '\\' || p[1] != 'u')
            return false;
        p += 2;
        if (!readHex4(low) || !QChar::isLowSurrogate(low))
            return false;
        out.append(QChar(unit));
        out.append(QChar(low));
        return true;
    }

    // Text between escapes: valid UTF-8 (Qt's check, the one the WebSocket layer is fuzzed
    // against) without U+FEFF, which Qt 6.4 drops at the start of a string: left to Qt.
    static bool isPlainUtf8(QByteArrayView run)
    {
        return run.isValidUtf8() && !run.contains("\xef\xbb\xbf");
    }

    bool readString(QString &out)
    {
        ++p; // opening quote
        for (;;) {
            const char *const run = p;
            bool ascii = true;
            while (p != end && *p != '"' && *p != '\\' && uchar(*p) >= 0x20) {
                ascii &= uchar(*p) < 0x80;
                ++p;
            }
            if (p == end || uchar(*p) < 0x20) // unterminated, or a raw control character
                return false;
            const QByteArrayView text(run, p - run);
            if (!ascii && !isPlainUtf8(text))
                return false;
            if (out.isEmpty()) // most strings: one run, one allocation
                out = ascii ? QString::fromLatin1(text) : QString::fromUtf8(text);
            else if (ascii)
                out.append(QLatin1StringView(text));
            else
                out.append(QString::fromUtf8(text));
            if (*p == '"') {
                ++p;
                return true;
            }
            if (!readEscape(out))
                return false;
        }
    }

    static bool isDigit(char c) { return c >= '0' && c <= '9'; }

    bool readNumber(QVariant &out)
    {
        const char *const start = p;
        if (p != end && *p == '-')
            ++p;
        if (p == end || !isDigit(*p))
            return false;
        if (*p == '0')
            ++p;
        else
            while (p != end && isDigit(*p))
                ++p;
        bool integral = true;
        if (p != end && *p == '.') {
            integral = false;
            ++p;
            if (p == end || !isDigit(*p))
                return false;
            while (p != end && isDigit(*p))
                ++p;
        }
        if (p != end && (*p == 'e' || *p == 'E')) {
            integral = false;
            ++p;
            if (p != end && (*p == '+' || *p == '-'))
                ++p;
            if (p == end || !isDigit(*p))
                return false;
            while (p != end && isDigit(*p))
                ++p;
        }
        const QByteArray number = QByteArray::fromRawData(start, p - start);
        bool ok = false;
        if (integral) {
            const qlonglong n = number.toLongLong(&ok);
            if (ok) {
                out = n;
                return true;
            }
        }
        const double d = number.toDouble(&ok);
        if (!ok || !std::isfinite(d))
            return false;
        // Qt keeps a whole number as an integer, however it was written (1.0, 1e2, -0.0).
        if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            out = qlonglong(d);
        else
            out = d;
        return true;
    }
};

} // namespace

std::optional<QVariant> parseStrict(QByteArrayView text)
{
    return Reader(text).document();
}

Decoded<QVariant> parse(QByteArrayView text)
{
    if (std::optional<QVariant> value = parseStrict(text))
        return std::move(*value);
    QJsonParseError error{};
    const QChar first = text.isEmpty() ? QChar() : QLatin1Char(text.front());
    if (first == u'{' || first == u'[') {
        const QJsonDocument doc = QJsonDocument::fromJson(text.toByteArray(), &error);
        if (error.error != QJsonParseError::NoError)
            return Decoded<QVariant>::failure(QStringLiteral("invalid JSON at offset %1: %2")
                                                  .arg(error.offset)
                                                  .arg(error.errorString()));
        return doc.isArray() ? QVariant(doc.array().toVariantList())
                             : QVariant(doc.object().toVariantMap());
    }
    QByteArray wrapped;
    wrapped.reserve(text.size() + 2);
    wrapped.append('[').append(text.data(), text.size()).append(']');
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
        return Decoded<QVariant>::failure(
            QStringLiteral("invalid JSON value: %1").arg(error.errorString()));
    return doc.array().first().toVariant();
}

bool hasBinary(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::QByteArray:
        return true;
    case QMetaType::QVariantList:
        for (const QVariant &item : *static_cast<const QVariantList *>(value.constData()))
            if (hasBinary(item))
                return true;
        return false;
    case QMetaType::QVariantMap:
        for (const QVariant &item : *static_cast<const QVariantMap *>(value.constData()))
            if (hasBinary(item))
                return true;
        return false;
    default:
        return false;
    }
}

int depth(const QVariant &value)
{
    int deepest = 0;
    switch (value.typeId()) {
    case QMetaType::QVariantList:
        for (const QVariant &item : *static_cast<const QVariantList *>(value.constData()))
            deepest = std::max(deepest, depth(item));
        return deepest + 1;
    case QMetaType::QVariantMap:
        for (const QVariant &item : *static_cast<const QVariantMap *>(value.constData()))
            deepest = std::max(deepest, depth(item));
        return deepest + 1;
    case QMetaType::QStringList:
        return 1;
    default:
        return 0;
    }
}

int depth(QByteArrayView text, int limit)
{
    int level = 0;
    int deepest = 0;
    bool inString = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i; // the escaped character, a quote included
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++level > deepest && (deepest = level) > limit)
                return limit + 1;
        } else if (c == ']' || c == '}') {
            --level;
        }
    }
    return deepest;
}

} // namespace switchboard::json
