// Where a Redis server is and how to log in to it, parsed from a redis:// or unix:// URL.
#pragma once

#include "switchboard/decoded.h"

#include <QString>

namespace switchboard::redis {

// redis://[user[:password]@]host[:port][/db]   host may be an IPv6 literal in brackets
// unix://[user[:password]@]/path/to.sock[?db=N]
// User and password are percent-decoded; rediss:// is rejected (no TLS in this client).
struct Url
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString unixPath;
    QString user;
    QString password;
    int db = 0;

    static Decoded<Url> parse(const QString &text);
    // The URL for logs and error messages: the password, if any, shows as ***.
    QString redacted() const;
    bool isUnix() const { return !unixPath.isEmpty(); }

    friend bool operator==(const Url &, const Url &) = default;
};

} // namespace switchboard::redis
