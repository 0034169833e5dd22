// Drives the library's own redis::Connection from a test: one command run to its reply on the
// event loop, and a URL parsed without ceremony.
#pragma once

#include "switchboard/redisclient.h"
#include "switchboard/redisurl.h"

#include <QTest>

#include <memory>
#include <optional>

// Sends a command on `connection` and spins the event loop until its reply arrives; a reply
// that does not come within `timeoutMs` reads as an error that says so.
inline switchboard::redis::Reply call(switchboard::redis::Connection &connection,
                                      const QList<QByteArray> &args, int timeoutMs = 5000)
{
    // Shared, so that a reply after the timeout does not write into a dead stack frame.
    auto result = std::make_shared<std::optional<switchboard::redis::Reply>>();
    connection.command(args, [result](const switchboard::redis::Reply &reply) { *result = reply; });
    if (!QTest::qWaitFor([&result] { return result->has_value(); }, timeoutMs))
        return switchboard::redis::Reply::error(
            QStringLiteral("test: no reply within %1 ms").arg(timeoutMs));
    return **result;
}

// A test's URLs are valid; one that is not is said in a warning (and reads as the default).
inline switchboard::redis::Url parseUrl(const QString &text)
{
    const auto url = switchboard::redis::Url::parse(text);
    if (!url.ok())
        qWarning("%s", qPrintable(url.error()));
    return url.value();
}
