#include "switchboard/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>

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
