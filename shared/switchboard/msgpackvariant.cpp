#include "switchboard/msgpackvariant.h"

#define MSGPACK_NO_BOOST
#include <msgpack.hpp>

#include <QDateTime>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

namespace switchboard::msgpack {

namespace {

// The packer's output: straight into the QByteArray encode() returns, no buffer to copy from.
struct Output
{
    QByteArray bytes;
    void write(const char *data, std::size_t size) { bytes.append(data, qsizetype(size)); }
};

using Packer = ::msgpack::packer<Output>;

void packUtf8(Packer &packer, const char *utf8, qsizetype size)
{
    packer.pack_str(uint32_t(size));
    packer.pack_str_body(utf8, uint32_t(size));
}

// Keys and most values are ASCII: narrow them in place of a QString::toUtf8() allocation.
void packString(Packer &packer, const QString &text)
{
    constexpr qsizetype Chunk = 256;
    const qsizetype size = text.size();
    if (size <= Chunk) {
        char narrow[Chunk];
        const char16_t *units = reinterpret_cast<const char16_t *>(text.constData());
        bool ascii = true;
        for (qsizetype i = 0; i < size; ++i) {
            ascii &= units[i] < 0x80;
            narrow[i] = char(units[i]);
        }
        if (ascii) {
            packUtf8(packer, narrow, size);
            return;
        }
    }
    const QByteArray utf8 = text.toUtf8();
    packUtf8(packer, utf8.constData(), utf8.size());
}

void pack(Packer &packer, const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::UnknownType:
    case QMetaType::Nullptr:
        packer.pack_nil();
        return;
    case QMetaType::Bool:
        value.toBool() ? packer.pack_true() : packer.pack_false();
        return;
    case QMetaType::Int:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Short:
    case QMetaType::Char:
    case QMetaType::SChar:
        packer.pack_int64(value.toLongLong());
        return;
    case QMetaType::UInt:
    case QMetaType::ULong:
    case QMetaType::ULongLong:
    case QMetaType::UShort:
    case QMetaType::UChar:
        packer.pack_uint64(value.toULongLong());
        return;
    case QMetaType::Double:
    case QMetaType::Float: {
        const double d = value.toDouble();
        // notepack writes integral numbers as integers; so do we, within the exact range.
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)
            packer.pack_int64(static_cast<int64_t>(d));
        else
            packer.pack_double(d);
        return;
    }
    case QMetaType::QByteArray: {
        const QByteArray bytes = value.toByteArray();
        packer.pack_bin(uint32_t(bytes.size()));
        packer.pack_bin_body(bytes.constData(), uint32_t(bytes.size()));
        return;
    }
    case QMetaType::QString:
        packString(packer, *static_cast<const QString *>(value.constData()));
        return;
    case QMetaType::QStringList: {
        const QStringList list = value.toStringList();
        packer.pack_array(uint32_t(list.size()));
        for (const QString &item : list)
            packString(packer, item);
        return;
    }
    case QMetaType::QVariantList: {
        const auto &list = *static_cast<const QVariantList *>(value.constData());
        packer.pack_array(uint32_t(list.size()));
        for (const QVariant &item : list)
            pack(packer, item);
        return;
    }
    case QMetaType::QVariantMap: {
        const auto &map = *static_cast<const QVariantMap *>(value.constData());
        packer.pack_map(uint32_t(map.size()));
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            packString(packer, it.key());
            pack(packer, it.value());
        }
        return;
    }
    case QMetaType::QVariantHash: {
        const auto &hash = *static_cast<const QVariantHash *>(value.constData());
        packer.pack_map(uint32_t(hash.size()));
        for (auto it = hash.cbegin(); it != hash.cend(); ++it) {
            packString(packer, it.key());
            pack(packer, it.value());
        }
        return;
    }
    default:
        if (value.canConvert<QString>())
            packString(packer, value.toString());
        else
            packer.pack_nil();
        return;
    }
}

// notepack's `undefined` is `d4 00 00`: one zero byte of ext type 0. msgpack-c does not tell
// fixext 1 from ext 8 of length 1, so a one-byte ArrayBuffer holding 0 reads as undefined too.
bool isUndefined(const ::msgpack::object &o)
{
    return o.type == ::msgpack::type::EXT && o.via.ext.type() == 0 && o.via.ext.size == 1 &&
           o.via.ext.data()[0] == 0;
}

quint64 bigEndian(const char *p, int bytes)
{
    quint64 v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

// The msgpack timestamp extension (type -1), as Date.toJSON() would print it.
QVariant timestamp(const ::msgpack::object_ext &ext)
{
    qint64 seconds = 0;
    quint32 nanoseconds = 0;
    if (ext.size == 4) {
        seconds = qint64(bigEndian(ext.data(), 4));
    } else if (ext.size == 8) {
        const quint64 v = bigEndian(ext.data(), 8);
        nanoseconds = quint32(v >> 34);
        seconds = qint64(v & 0x3ffffffffULL);
    } else if (ext.size == 12) {
        nanoseconds = quint32(bigEndian(ext.data(), 4));
        seconds = qint64(bigEndian(ext.data() + 4, 8));
    } else {
        return QVariant::fromValue(nullptr);
    }
    const QDateTime time =
        QDateTime::fromMSecsSinceEpoch(seconds * 1000 + nanoseconds / 1000000, Qt::UTC);
    return time.toString(Qt::ISODateWithMs).replace(QStringLiteral("+00:00"), QStringLiteral("Z"));
}

QString tooDeep(int maxDepth)
{
    return QStringLiteral("msgpack nesting deeper than %1").arg(maxDepth);
}

// Short strings repeat from message to message (the adapter's keys: uid, type, data, packet,
// nsp, opts, rooms, flags; namespaces, event names): a small direct-mapped table per thread
// hands out shared copies of the last one seen in each slot instead of decoding them again.
QString shortString(const char *utf8, std::size_t size)
{
    constexpr std::size_t Longest = 24;
    constexpr std::size_t Slots = 64;
    if (size == 0 || size > Longest)
        return QString::fromUtf8(utf8, qsizetype(size));
    struct Slot
    {
        std::size_t size = 0;
        char bytes[Longest];
        QString text;
    };
    thread_local std::array<Slot, Slots> table;
    std::uint32_t hash = 2166136261u; // FNV-1a
    for (std::size_t i = 0; i < size; ++i)
        hash = (hash ^ uchar(utf8[i])) * 16777619u;
    Slot &slot = table[hash % Slots];
    if (slot.size != size || std::memcmp(slot.bytes, utf8, size) != 0) {
        slot.text = QString::fromUtf8(utf8, qsizetype(size));
        std::memcpy(slot.bytes, utf8, size);
        slot.size = size;
    }
    return slot.text;
}

// `level` is the number of arrays and maps around `o`.
QVariant toVariant(const ::msgpack::object &o, int level, int maxDepth, QString &error)
{
    if ((o.type == ::msgpack::type::ARRAY || o.type == ::msgpack::type::MAP) && level >= maxDepth) {
        error = tooDeep(maxDepth);
        return {};
    }
    switch (o.type) {
    case ::msgpack::type::NIL:
        return QVariant::fromValue(nullptr);
    case ::msgpack::type::BOOLEAN:
        return o.via.boolean;
    case ::msgpack::type::POSITIVE_INTEGER:
        if (o.via.u64 <= quint64(std::numeric_limits<qint64>::max()))
            return qint64(o.via.u64);
        return quint64(o.via.u64);
    case ::msgpack::type::NEGATIVE_INTEGER:
        return qint64(o.via.i64);
    case ::msgpack::type::FLOAT32:
    case ::msgpack::type::FLOAT64:
        return o.via.f64;
    case ::msgpack::type::STR:
        return shortString(o.via.str.ptr, o.via.str.size);
    case ::msgpack::type::BIN:
        return QByteArray(o.via.bin.ptr, qsizetype(o.via.bin.size));
    case ::msgpack::type::ARRAY: {
        QVariantList list;
        list.reserve(qsizetype(o.via.array.size));
        for (uint32_t i = 0; i < o.via.array.size; ++i) {
            const auto &item = o.via.array.ptr[i];
            list.append(isUndefined(item) ? QVariant::fromValue(nullptr)
                                          : toVariant(item, level + 1, maxDepth, error));
            if (!error.isEmpty())
                return {};
        }
        return list;
    }
    case ::msgpack::type::MAP: {
        QVariantMap map;
        for (uint32_t i = 0; i < o.via.map.size; ++i) {
            const auto &kv = o.via.map.ptr[i];
            if (isUndefined(kv.val))
                continue;
            QString key;
            if (kv.key.type == ::msgpack::type::STR)
                key = shortString(kv.key.via.str.ptr, kv.key.via.str.size);
            else
                key = toVariant(kv.key, level + 1, maxDepth, error).toString();
            if (!error.isEmpty())
                return {};
            map.insert(key, toVariant(kv.val, level + 1, maxDepth, error));
            if (!error.isEmpty())
                return {};
        }
        return map;
    }
    case ::msgpack::type::EXT:
        if (isUndefined(o))
            return {};
        if (o.via.ext.type() == -1)
            return timestamp(o.via.ext);
        if (o.via.ext.type() == 0) // how notepack 2 wrote ArrayBuffers
            return QByteArray(o.via.ext.data(), qsizetype(o.via.ext.size));
        return QVariant::fromValue(nullptr);
    }
    return {};
}

} // namespace

QByteArray encode(const QVariant &value)
{
    Output output;
    output.bytes.reserve(256);
    Packer packer(output);
    pack(packer, value);
    return std::move(output.bytes);
}

Decoded<QVariant> decode(QByteArrayView bytes, int maxDepth)
{
    if (bytes.isEmpty())
        return Decoded<QVariant>::failure(QStringLiteral("empty msgpack message"));
    try {
        std::size_t offset = 0;
        // No container or string can hold more elements than the input has bytes: bound
        // msgpack-c's allocations by that instead of by what a header claims.
        const std::size_t n = std::size_t(bytes.size());
        // msgpack-c counts one level more than the containers; toVariant() checks exactly.
        const ::msgpack::unpack_limit limit(n, n, n, n, n, std::size_t(maxDepth) + 1);
        // One zone per thread, emptied after each message: an unpack of its own would malloc
        // (and free) an 8 KiB chunk per message, past the allocator's fast paths. Strings,
        // binaries and extensions point into `bytes`, which outlives the objects.
        // clear() keeps the zone's last chunk, which a large message may have made large: after
        // one (its objects may have outgrown the first chunk) the zone starts afresh.
        thread_local ::msgpack::zone zone;
        struct Emptied
        {
            ::msgpack::zone &zone;
            bool large;
            ~Emptied()
            {
                zone.clear();
                if (large) {
                    ::msgpack::zone fresh;
                    zone.swap(fresh);
                }
            }
        } emptied{zone, n > 2048};
        const ::msgpack::unpack_reference_func inPlace = [](::msgpack::type::object_type,
                                                            std::size_t, void *) { return true; };
        const ::msgpack::object root =
            ::msgpack::unpack(zone, bytes.data(), n, offset, inPlace, nullptr, limit);
        if (offset != std::size_t(bytes.size()))
            return Decoded<QVariant>::failure(
                QStringLiteral("%1 trailing bytes after the msgpack value")
                    .arg(qsizetype(bytes.size()) - qsizetype(offset)));
        QString error;
        QVariant value = toVariant(root, 0, maxDepth, error);
        if (!error.isEmpty())
            return Decoded<QVariant>::failure(error);
        return value;
    } catch (const ::msgpack::depth_size_overflow &) {
        return Decoded<QVariant>::failure(tooDeep(maxDepth));
    } catch (const std::exception &e) {
        return Decoded<QVariant>::failure(
            QStringLiteral("invalid msgpack: %1").arg(QLatin1String(e.what())));
    }
}

} // namespace switchboard::msgpack
