#include "switchboard/msgpackvariant.h"

#define MSGPACK_NO_BOOST
#include <msgpack.hpp>

#include <QDateTime>

#include <cmath>
#include <limits>

namespace switchboard::msgpack {

namespace {

using Packer = ::msgpack::packer<::msgpack::sbuffer>;

void packString(Packer &packer, const QByteArray &utf8)
{
    packer.pack_str(uint32_t(utf8.size()));
    packer.pack_str_body(utf8.constData(), uint32_t(utf8.size()));
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
        packString(packer, value.toString().toUtf8());
        return;
    case QMetaType::QStringList: {
        const QStringList list = value.toStringList();
        packer.pack_array(uint32_t(list.size()));
        for (const QString &item : list)
            packString(packer, item.toUtf8());
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
            packString(packer, it.key().toUtf8());
            pack(packer, it.value());
        }
        return;
    }
    case QMetaType::QVariantHash: {
        const auto &hash = *static_cast<const QVariantHash *>(value.constData());
        packer.pack_map(uint32_t(hash.size()));
        for (auto it = hash.cbegin(); it != hash.cend(); ++it) {
            packString(packer, it.key().toUtf8());
            pack(packer, it.value());
        }
        return;
    }
    default:
        if (value.canConvert<QString>())
            packString(packer, value.toString().toUtf8());
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
        return QString::fromUtf8(o.via.str.ptr, qsizetype(o.via.str.size));
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
                key = QString::fromUtf8(kv.key.via.str.ptr, qsizetype(kv.key.via.str.size));
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
    ::msgpack::sbuffer buffer;
    Packer packer(buffer);
    pack(packer, value);
    return QByteArray(buffer.data(), qsizetype(buffer.size()));
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
        ::msgpack::object_handle handle =
            ::msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
        if (offset != std::size_t(bytes.size()))
            return Decoded<QVariant>::failure(
                QStringLiteral("%1 trailing bytes after the msgpack value")
                    .arg(qsizetype(bytes.size()) - qsizetype(offset)));
        QString error;
        QVariant value = toVariant(handle.get(), 0, maxDepth, error);
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
