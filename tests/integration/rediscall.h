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

// PUBSUB NUMSUB of `channel`: how many connections subscribe to it (-1 without an answer). A
// node's adapter subscribes to `<key>-request#<nsp>#` after its broadcast pattern, so once it
// is counted here, the node receives the namespace's broadcasts.
inline qint64 subscribers(switchboard::redis::Connection &connection, const QByteArray &channel)
{
    const switchboard::redis::Reply reply = call(connection, {"PUBSUB", "NUMSUB", channel});
    return reply.elements.size() < 2 ? -1 : reply.elements.at(1).integer;
}
