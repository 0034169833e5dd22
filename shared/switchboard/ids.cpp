#include "switchboard/ids.h"

#include <QByteArray>
#include <QRandomGenerator>

namespace switchboard {

QString randomId()
{
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    const QByteArray bytes(reinterpret_cast<const char *>(words), 15);
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

bool hasIdShape(QStringView text)
{
    if (text.size() != 20)
        return false;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') ||
                        (u >= u'0' && u <= u'9') || u == u'-' || u == u'_';
        if (!ok)
            return false;
    }
    return true;
}

QString randomToken(int length)
{
    static constexpr char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    QString out(length, Qt::Uninitialized);
    auto *rng = QRandomGenerator::system();
    for (int i = 0; i < length; ++i)
        out[i] = QLatin1Char(alphabet[rng->bounded(int(sizeof(alphabet) - 1))]);
    return out;
}

} // namespace switchboard
