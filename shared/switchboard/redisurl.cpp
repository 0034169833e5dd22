#include "switchboard/redisurl.h"

#include <QUrl>

#include <optional>

namespace switchboard::redis {

namespace {

Decoded<Url> failure(const QString &why)
{
    // The URL itself is not echoed: it may hold a password.
    return Decoded<Url>::failure(QStringLiteral("invalid Redis URL: %1").arg(why));
}

int hexValue(QChar c)
{
    if (c >= u'0' && c <= u'9')
        return c.unicode() - u'0';
    if (c >= u'a' && c <= u'f')
        return c.unicode() - u'a' + 10;
    if (c >= u'A' && c <= u'F')
        return c.unicode() - u'A' + 10;
    return -1;
}

// Unlike QUrl::fromPercentEncoding, rejects a '%' that is not followed by two hex digits.
std::optional<QString> percentDecoded(QStringView text)
{
    QByteArray bytes;
    bytes.reserve(text.size());
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype percent = text.indexOf(u'%', i);
        if (percent < 0) {
            bytes += text.mid(i).toUtf8();
            break;
        }
        bytes += text.mid(i, percent - i).toUtf8();
        const int high = percent + 2 < text.size() ? hexValue(text[percent + 1]) : -1;
        const int low = high >= 0 ? hexValue(text[percent + 2]) : -1;
        if (low < 0)
            return std::nullopt;
        bytes += char(high * 16 + low);
        i = percent + 3;
    }
    return QString::fromUtf8(bytes);
}

bool isDigits(QStringView text)
{
    if (text.isEmpty())
        return false;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return false;
    }
    return true;
}

std::optional<int> parseDb(QStringView text)
{
    bool ok = false;
    const int db = isDigits(text) ? text.toInt(&ok) : -1;
    if (!ok || db < 0)
        return std::nullopt;
    return db;
}

QString badDb(QStringView text)
{
    return QStringLiteral("database '%1' is not a number from 0 up").arg(text);
}

// "user[:password]" into url; returns an error, or an empty string.
QString parseUserInfo(QStringView userInfo, Url &url)
{
    const qsizetype colon = userInfo.indexOf(u':');
    const std::optional<QString> user = percentDecoded(colon < 0 ? userInfo : userInfo.left(colon));
    const std::optional<QString> password =
        colon < 0 ? QString() : percentDecoded(userInfo.mid(colon + 1));
    if (!user || !password)
        return QStringLiteral("bad percent-encoding in user or password");
    url.user = *user;
    url.password = *password;
    return {};
}

Decoded<Url> parseTcp(QStringView rest)
{
    Url url;
    // The last '@' ends the user info, so a password may carry an unencoded '@', '/' or '?'.
    const qsizetype at = rest.lastIndexOf(u'@');
    if (at >= 0) {
        const QString error = parseUserInfo(rest.left(at), url);
        if (!error.isEmpty())
            return failure(error);
        rest = rest.mid(at + 1);
    }
    qsizetype authorityEnd = 0;
    while (authorityEnd < rest.size() && rest[authorityEnd] != u'/' && rest[authorityEnd] != u'?' &&
           rest[authorityEnd] != u'#')
        ++authorityEnd;
    const QStringView authority = rest.left(authorityEnd);
    const QStringView tail = rest.mid(authorityEnd);

    QStringView host;
    std::optional<QStringView> port;
    if (authority.startsWith(u'[')) {
        const qsizetype close = authority.indexOf(u']');
        if (close < 0)
            return failure(QStringLiteral("unterminated IPv6 address '%1'").arg(authority));
        host = authority.mid(1, close - 1);
        const QStringView after = authority.mid(close + 1);
        if (after.startsWith(u':'))
            port = after.mid(1);
        else if (!after.isEmpty())
            return failure(QStringLiteral("unexpected '%1' after the IPv6 address").arg(after));
    } else {
        const qsizetype colon = authority.lastIndexOf(u':');
        if (colon >= 0 && authority.left(colon).contains(u':'))
            return failure(
                QStringLiteral("an IPv6 address needs brackets, as in redis://[::1]:6379"));
        host = colon < 0 ? authority : authority.left(colon);
        if (colon >= 0)
            port = authority.mid(colon + 1);
    }
    if (host.isEmpty())
        return failure(QStringLiteral("missing host (as in redis://127.0.0.1:6379)"));
    url.host = host.toString();
    if (port) {
        bool ok = false;
        const uint value = isDigits(*port) ? port->toUInt(&ok) : 0;
        if (!ok || value < 1 || value > 65535)
            return failure(QStringLiteral("port '%1' is not a number from 1 to 65535").arg(*port));
        url.port = quint16(value);
    }

    if (tail.startsWith(u'?') || tail.startsWith(u'#'))
        return failure(
            QStringLiteral("unexpected '%1' (redis:// URLs take no parameters)").arg(tail));
    if (tail.size() > 1) {
        const std::optional<int> db = parseDb(tail.mid(1));
        if (!db)
            return failure(badDb(tail.mid(1)));
        url.db = *db;
    }
    return url;
}

Decoded<Url> parseUnix(QStringView rest)
{
    Url url;
    const qsizetype slash = rest.indexOf(u'/');
    if (slash < 0)
        return failure(QStringLiteral("missing socket path (as in unix:///run/redis/redis.sock)"));
    if (slash > 0) {
        if (rest[slash - 1] != u'@')
            return failure(QStringLiteral("unexpected '%1' before the socket path (unix:// URLs "
                                          "name no host: unix:///path/to.sock)")
                               .arg(rest.left(slash)));
        const QString error = parseUserInfo(rest.left(slash - 1), url);
        if (!error.isEmpty())
            return failure(error);
    }
    const qsizetype question = rest.indexOf(u'?', slash);
    const std::optional<QString> path =
        percentDecoded(question < 0 ? rest.mid(slash) : rest.mid(slash, question - slash));
    if (!path)
        return failure(QStringLiteral("bad percent-encoding in the socket path"));
    if (*path == u"/")
        return failure(QStringLiteral("missing socket path (as in unix:///run/redis/redis.sock)"));
    url.unixPath = *path;
    if (question >= 0) {
        for (QStringView parameter : rest.mid(question + 1).split(u'&')) {
            if (!parameter.startsWith(u"db="))
                return failure(
                    QStringLiteral("unknown parameter '%1' (unix:// URLs take only db=N)")
                        .arg(parameter));
            const std::optional<int> db = parseDb(parameter.mid(3));
            if (!db)
                return failure(badDb(parameter.mid(3)));
            url.db = *db;
        }
    }
    return url;
}

} // namespace

Decoded<Url> Url::parse(const QString &text)
{
    const QString trimmed = text.trimmed();
    const qsizetype schemeEnd = trimmed.indexOf(QStringLiteral("://"));
    if (schemeEnd <= 0)
        return failure(
            QStringLiteral("'://' missing (expected redis://host:port/db or unix:///path)"));
    const QString scheme = trimmed.left(schemeEnd).toLower();
    const QStringView rest = QStringView(trimmed).mid(schemeEnd + 3);
    if (scheme == u"redis")
        return parseTcp(rest);
    if (scheme == u"unix")
        return parseUnix(rest);
    if (scheme == u"rediss")
        return failure(QStringLiteral("TLS not supported (rediss://); use redis:// or unix://"));
    return failure(
        QStringLiteral("unsupported scheme '%1://' (expected redis:// or unix://)").arg(scheme));
}

QString Url::redacted() const
{
    QString out = isUnix() ? QStringLiteral("unix://") : QStringLiteral("redis://");
    if (!user.isEmpty() || !password.isEmpty()) {
        out += QString::fromLatin1(QUrl::toPercentEncoding(user));
        if (!password.isEmpty())
            out += QStringLiteral(":***");
        out += u'@';
    }
    if (isUnix()) {
        out += unixPath;
        if (db != 0)
            out += QStringLiteral("?db=%1").arg(db);
        return out;
    }
    out += host.contains(u':') ? QStringLiteral("[%1]").arg(host) : host;
    out += QStringLiteral(":%1").arg(port);
    if (db != 0)
        out += QStringLiteral("/%1").arg(db);
    return out;
}

} // namespace switchboard::redis
