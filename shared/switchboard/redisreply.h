// A Redis reply as plain Qt values, so that no hiredis type leaves the client.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace switchboard::redis {

struct Reply
{
    enum class Type
    {
        Nil,
        Status,
        Error,
        Integer,
        String,
        Array
    };

    Type type = Type::Nil;
    QByteArray string; // String, Status and Error
    qint64 integer = 0;
    QList<Reply> elements;
    // On an error made by the client because the connection went while the command awaited its
    // reply: the command had been written to the socket, so Redis may have run it (a PUBLISH may
    // still be delivered, late). False when it never left, and on every reply from Redis.
    bool outcomeUnknown = false;

    bool isError() const { return type == Type::Error; }

    static Reply error(const QString &message)
    {
        Reply reply;
        reply.type = Type::Error;
        reply.string = message.toUtf8();
        return reply;
    }
};

} // namespace switchboard::redis
