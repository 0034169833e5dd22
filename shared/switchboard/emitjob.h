// One emit a backend asks for, in the one JSON shape shared by POST /api/emit's body, the jobs
// of the --queue list and switchboard-emit: parsing with precise reasons, the adapter broadcast
// it becomes, and its JSON form. In shared/ because the node and the CLI both need it.
#pragma once

#include "switchboard/clusterwire.h"
#include "switchboard/decoded.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <optional>

namespace switchboard {

struct EmitJob
{
    QString nsp = QStringLiteral("/");
    QStringList to; // rooms or socket ids; empty = everyone in nsp
    QStringList except;
    QString event;
    QVariantList args; // `data` as the one argument; empty when `data` is absent

    bool operator==(const EmitJob &) const = default;
};

// Bounds of one job (the relay's `send` has the same room length).
inline constexpr int MaxEmitRoomLength = 256;
inline constexpr int MaxEmitRooms = 1000; // in `to`, and in `except`
inline constexpr int MaxEmitNamespaceLength = 256;

// A room or socket id, or an array of them, each a string of 1 to maxLength characters, at
// most maxRooms, duplicates dropped; nullopt with `error` ("<field>: ...") otherwise. An empty
// array is a list of none. The relay's join/leave/send read their rooms with it too.
std::optional<QStringList> parseRooms(const QVariant &value, QLatin1String field, int maxRooms,
                                      int maxLength, QString &error);

// A JSON object {nsp?, to?: string|[string], except?: string|[string], event, data?} (null
// nsp/to/except count as absent), or the reference form {room, message} (event "message", to
// [room], args [message]). Rejected with a precise reason: not JSON, not an object, a missing or
// non-string event, a reserved event name, nsp not a string starting with '/', to/except not a
// string or an array of non-empty strings (or too many, or too long), an unknown field, the two
// forms mixed, data nested deeper than maxDepth levels.
Decoded<EmitJob> parseEmitJob(QByteArrayView json, int maxDepth);

// The job's JSON object in the first form, as parseEmitJob reads it back (to/except always
// arrays, absent when empty; data absent when args is empty).
QByteArray emitJobToJson(const EmitJob &job);

// The adapter's broadcast for that job as a server-side emitter sends it (uid
// cluster::EmitterUid, no flags), ready for cluster::encodeBroadcast().
cluster::BroadcastMessage toBroadcast(const EmitJob &job);

// The channel @socket.io/redis-emitter publishes a broadcast on: key#nsp#room# when it has
// exactly one room, key#nsp# otherwise.
QByteArray broadcastChannel(const cluster::Channels &channels,
                            const cluster::BroadcastMessage &message);

} // namespace switchboard
