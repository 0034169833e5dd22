// Test helpers for QVariant trees decoded from the wire: hex input and a strict, readable
// picture of a value in which the kind of every leaf shows.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace testvalues {

inline QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

inline bool isIntegral(int typeId)
{
    switch (typeId) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Char:
    case QMetaType::SChar:
    case QMetaType::UChar:
        return true;
    default:
        return false;
    }
}

// A strict, readable picture of a QVariant tree: the kind of every leaf is part of it, so
// 1 (integer) and 1.0 (float64), "" and null, null and undefined (invalid) all differ.
inline QString describe(const QVariant &value)
{
    const int type = value.typeId();
    if (!value.isValid())
        return u"undefined"_s;
    if (type == QMetaType::Nullptr)
        return u"null"_s;
    if (type == QMetaType::Bool)
        return value.toBool() ? u"true"_s : u"false"_s;
    if (isIntegral(type)) {
        if (type == QMetaType::ULongLong || type == QMetaType::ULong || type == QMetaType::UInt)
            return u"int:"_s + QString::number(value.toULongLong());
        return u"int:"_s + QString::number(value.toLongLong());
    }
    if (type == QMetaType::Double || type == QMetaType::Float)
        return u"float64:"_s + QString::number(value.toDouble(), 'g', 17);
    if (type == QMetaType::QString)
        return u"str:\""_s + value.toString() + u'"';
    if (type == QMetaType::QByteArray)
        return u"bin:"_s + QString::fromLatin1(value.toByteArray().toHex());
    if (type == QMetaType::QVariantList || type == QMetaType::QStringList) {
        QStringList items;
        for (const QVariant &item : value.toList())
            items << describe(item);
        return u'[' + items.join(u',') + u']';
    }
    if (type == QMetaType::QVariantMap || type == QMetaType::QVariantHash) {
        const QVariantMap map = type == QMetaType::QVariantMap ? value.toMap() : [&] {
            QVariantMap sorted;
            const QVariantHash hash = value.toHash();
            for (auto it = hash.cbegin(); it != hash.cend(); ++it)
                sorted.insert(it.key(), it.value());
            return sorted;
        }();
        QStringList items;
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            items << u'"' + it.key() + u"\":"_s + describe(it.value());
        return u'{' + items.join(u',') + u'}';
    }
    return u"?"_s + QString::fromLatin1(value.typeName()) + u':' + value.toString();
}

} // namespace testvalues
