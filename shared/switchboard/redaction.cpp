#include "switchboard/redaction.h"

#include <algorithm>
#include <functional>

namespace switchboard {

QStringList Redaction::defaultHeaders()
{
    return {QStringLiteral("authorization"), QStringLiteral("proxy-authorization"),
            QStringLiteral("cookie"), QStringLiteral("sec-websocket-protocol")};
}

QStringList Redaction::defaultAuthFields()
{
    return {QStringLiteral("token"), QStringLiteral("password"), QStringLiteral("secret"),
            QStringLiteral("jwt")};
}

bool Redaction::isSecretField(const QString &name) const
{
    return authFields.contains(name, Qt::CaseInsensitive);
}

QVariant Redaction::value(const QVariant &value) const
{
    switch (value.typeId()) {
    case QMetaType::QString: {
        const QString text = value.toString();
        for (const QString &secret : secrets)
            if (!secret.isEmpty() && text.contains(secret))
                return Mask;
        return value;
    }
    case QMetaType::QVariantList: {
        QVariantList out;
        for (const QVariant &item : value.toList())
            out.append(this->value(item));
        return out;
    }
    case QMetaType::QVariantMap: {
        QVariantMap out;
        const QVariantMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            out.insert(it.key(), this->value(*it));
        return out;
    }
    default:
        return value;
    }
}

namespace {

// `map` with the values of the keys `masked` says are secret replaced, the rest scrubbed.
QVariantMap maskFields(const Redaction &redaction, const QVariantMap &map,
                       const std::function<bool(const QString &)> &masked)
{
    QVariantMap out;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out.insert(it.key(), masked(it.key()) ? QVariant(Redaction::Mask) : redaction.value(*it));
    return out;
}

} // namespace

QVariantMap Redaction::handshake(const QVariantMap &handshake) const
{
    const auto secretField = [this](const QString &name) { return isSecretField(name); };
    const auto secretHeader = [this](const QString &name) {
        return headers.contains(name, Qt::CaseInsensitive);
    };
    // Each value scrubbed once: the three maps by name (and for secrets), the rest for secrets.
    QVariantMap out;
    bool querySecret = false;
    for (auto it = handshake.cbegin(); it != handshake.cend(); ++it) {
        if (it.key() == u"headers") {
            out.insert(it.key(), maskFields(*this, it->toMap(), secretHeader));
        } else if (it.key() == u"auth") {
            out.insert(it.key(), maskFields(*this, it->toMap(), secretField));
        } else if (it.key() == u"query") {
            const QVariantMap query = it->toMap();
            querySecret = std::any_of(query.keyBegin(), query.keyEnd(), secretField);
            out.insert(it.key(), maskFields(*this, query, secretField));
        } else {
            out.insert(it.key(), value(*it));
        }
    }
    // The url repeats the query: it goes out without it when the query held a secret.
    const QString url = out.value(QStringLiteral("url")).toString();
    if (querySecret && url.contains(u'?'))
        out.insert(QStringLiteral("url"), url.left(url.indexOf(u'?')) + u'?' + Mask);
    return out;
}

bool sameSecret(QByteArrayView given, QByteArrayView expected)
{
    unsigned char diff = given.size() == expected.size() ? 0 : 1;
    for (qsizetype i = 0; i < expected.size(); ++i)
        diff |= static_cast<unsigned char>(expected.at(i) ^ (i < given.size() ? given.at(i) : 0));
    return diff == 0;
}

} // namespace switchboard
