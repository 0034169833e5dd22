#include "switchboard/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

namespace switchboard::json {

QByteArray serialize(const QVariant &value)
{
    const QJsonValue json = QJsonValue::fromVariant(value);
    if (json.isArray())
        return QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    if (json.isObject())
        return QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    // QJsonDocument only writes containers: write a one-element array and strip the brackets.
    QByteArray wrapped = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

Decoded<QVariant> parse(QByteArrayView text)
{
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

} // namespace switchboard::json
