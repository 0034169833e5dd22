#include "switchboard/emitjob.h"

#include "switchboard/json.h"
#include "switchboard/socketio.h"

#include <QVariantMap>

#include <optional>

namespace switchboard {

namespace {

using Result = Decoded<EmitJob>;

// A field name the caller chose, cut for an error message.
QString shown(const QString &name)
{
    constexpr qsizetype Max = 64;
    return name.size() <= Max ? name : name.left(Max) + QStringLiteral("...");
}

bool present(const QVariantMap &object, const QString &field)
{
    const auto it = object.constFind(field);
    return it != object.cend() && !it->isNull();
}

// The data of one argument, nested within the depth a client's packet [event, data] may have.
std::optional<QString> checkData(const QVariant &data, int maxDepth)
{
    if (json::depth(data) + 1 > maxDepth)
        return QStringLiteral("data nested deeper than %1 levels (--max-depth %2 counts the "
                              "[event, data] array)")
            .arg(maxDepth - 1)
            .arg(maxDepth);
    return std::nullopt;
}

// {room, message}: the reference material's backend form.
Result parseReferenceForm(const QVariantMap &object, int maxDepth)
{
    for (auto it = object.cbegin(); it != object.cend(); ++it) {
        if (it.key() != u"room" && it.key() != u"message")
            return Result::failure(
                QStringLiteral("'%1' cannot be used with 'room'/'message' (the {room, message} "
                               "form); use {event, to, data} instead")
                    .arg(shown(it.key())));
    }
    EmitJob job;
    job.event = QStringLiteral("message");
    QString error;
    if (!present(object, QStringLiteral("room")))
        return Result::failure(QStringLiteral("missing field 'room' (the {room, message} form)"));
    const auto rooms = parseRooms(object.value(QStringLiteral("room")), QLatin1String("room"),
                                  MaxEmitRooms, MaxEmitRoomLength, error);
    if (!rooms)
        return Result::failure(error);
    if (rooms->isEmpty())
        return Result::failure(QStringLiteral("room: no room given"));
    job.to = *rooms;
    if (object.contains(QStringLiteral("message"))) {
        const QVariant message = object.value(QStringLiteral("message"));
        if (const auto tooDeep = checkData(message, maxDepth))
            return Result::failure(*tooDeep);
        job.args = {message};
    }
    return job;
}

} // namespace

std::optional<QStringList> parseRooms(const QVariant &value, QLatin1String field, int maxRooms,
                                      int maxLength, QString &error)
{
    QStringList rooms;
    if (value.typeId() == QMetaType::QString) {
        rooms << value.toString();
    } else if (value.typeId() == QMetaType::QVariantList) {
        for (const QVariant &item : *static_cast<const QVariantList *>(value.constData())) {
            if (item.typeId() != QMetaType::QString) {
                error = QStringLiteral("%1: every room must be a string").arg(field);
                return std::nullopt;
            }
            rooms << item.toString();
        }
    } else {
        error = QStringLiteral("%1 must be a room name or an array of room names").arg(field);
        return std::nullopt;
    }
    if (rooms.size() > maxRooms) {
        error = QStringLiteral("%1: more than %2 rooms").arg(field).arg(maxRooms);
        return std::nullopt;
    }
    for (const QString &room : std::as_const(rooms)) {
        if (room.isEmpty() || room.size() > maxLength) {
            error = QStringLiteral("%1: a room name must have 1 to %2 characters")
                        .arg(field)
                        .arg(maxLength);
            return std::nullopt;
        }
    }
    rooms.removeDuplicates();
    return rooms;
}

Decoded<EmitJob> parseEmitJob(QByteArrayView text, int maxDepth)
{
    const Decoded<QVariant> parsed = json::parse(text);
    if (!parsed)
        return Result::failure(QStringLiteral("not JSON: %1").arg(parsed.error()));
    if (parsed->typeId() != QMetaType::QVariantMap)
        return Result::failure(QStringLiteral("not a JSON object: expected {event, to?, "
                                              "except?, nsp?, data?}"));
    const QVariantMap object = parsed->toMap();

    const bool referenceForm =
        !object.contains(QStringLiteral("event")) &&
        (object.contains(QStringLiteral("room")) || object.contains(QStringLiteral("message")));
    if (referenceForm)
        return parseReferenceForm(object, maxDepth);

    static const QStringList fields{QStringLiteral("nsp"), QStringLiteral("to"),
                                    QStringLiteral("except"), QStringLiteral("event"),
                                    QStringLiteral("data")};
    for (auto it = object.cbegin(); it != object.cend(); ++it) {
        if (it.key() == u"room" || it.key() == u"message")
            return Result::failure(
                QStringLiteral("'%1' belongs to the {room, message} form and cannot be used "
                               "with 'event'")
                    .arg(shown(it.key())));
        if (!fields.contains(it.key()))
            return Result::failure(QStringLiteral("unknown field '%1' (known: event, data, to, "
                                                  "except, nsp)")
                                       .arg(shown(it.key())));
    }

    EmitJob job;
    const QVariant event = object.value(QStringLiteral("event"));
    if (!event.isValid())
        return Result::failure(QStringLiteral("missing field 'event'"));
    if (event.typeId() != QMetaType::QString || event.toString().isEmpty())
        return Result::failure(QStringLiteral("event must be a non-empty string"));
    job.event = event.toString();
    if (socketio::isReservedEvent(job.event))
        return Result::failure(QStringLiteral("'%1' is a reserved event name").arg(job.event));

    if (present(object, QStringLiteral("nsp"))) {
        const QVariant nsp = object.value(QStringLiteral("nsp"));
        if (nsp.typeId() != QMetaType::QString || !nsp.toString().startsWith(u'/'))
            return Result::failure(QStringLiteral("nsp must be a string starting with '/'"));
        if (nsp.toString().size() > MaxEmitNamespaceLength)
            return Result::failure(
                QStringLiteral("nsp: longer than %1 characters").arg(MaxEmitNamespaceLength));
        job.nsp = nsp.toString();
    }

    QString error;
    if (present(object, QStringLiteral("to"))) {
        const auto rooms = parseRooms(object.value(QStringLiteral("to")), QLatin1String("to"),
                                      MaxEmitRooms, MaxEmitRoomLength, error);
        if (!rooms)
            return Result::failure(error);
        // An empty list is most likely a bug of the caller's: never read it as "everyone".
        if (rooms->isEmpty())
            return Result::failure(QStringLiteral(
                "to: an empty array reaches nobody (omit 'to' to reach the whole namespace)"));
        job.to = *rooms;
    }
    if (present(object, QStringLiteral("except"))) {
        const auto rooms =
            parseRooms(object.value(QStringLiteral("except")), QLatin1String("except"),
                       MaxEmitRooms, MaxEmitRoomLength, error);
        if (!rooms)
            return Result::failure(error);
        job.except = *rooms;
    }
    if (object.contains(QStringLiteral("data"))) {
        const QVariant data = object.value(QStringLiteral("data"));
        if (const auto tooDeep = checkData(data, maxDepth))
            return Result::failure(*tooDeep);
        job.args = {data};
    }
    return job;
}

QByteArray emitJobToJson(const EmitJob &job)
{
    QVariantMap object{{QStringLiteral("event"), job.event}};
    if (job.nsp != u"/")
        object.insert(QStringLiteral("nsp"), job.nsp);
    if (!job.to.isEmpty())
        object.insert(QStringLiteral("to"), job.to);
    if (!job.except.isEmpty())
        object.insert(QStringLiteral("except"), job.except);
    if (!job.args.isEmpty())
        object.insert(QStringLiteral("data"), job.args.first());
    return json::serialize(object);
}

cluster::BroadcastMessage toBroadcast(const EmitJob &job)
{
    cluster::BroadcastMessage message;
    message.uid = cluster::EmitterUid.toString();
    message.nsp = job.nsp;
    message.data = QVariantList{job.event} + job.args;
    message.rooms = job.to;
    message.except = job.except;
    return message;
}

QByteArray broadcastChannel(const cluster::Channels &channels,
                            const cluster::BroadcastMessage &message)
{
    return message.rooms.size() == 1 ? channels.broadcastRoom(message.nsp, message.rooms.first())
                                     : channels.broadcast(message.nsp);
}

} // namespace switchboard
