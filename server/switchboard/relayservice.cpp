#include "switchboard/relayservice.h"

#include "switchboard/emitjob.h"
#include "switchboard/ids.h"
#include "switchboard/logging.h"
#include "switchboard/namespace.h"
#include "switchboard/server.h"

#include <algorithm>
#include <optional>

namespace switchboard {

namespace {

void fail(Socket *socket, const Socket::Ack &ack, const QString &event, const QString &reason)
{
    if (ack)
        ack({QVariantMap{{QStringLiteral("ok"), false}, {QStringLiteral("error"), reason}}});
    else
        qCDebug(lcRelay).noquote()
            << "invalid" << event << "from" << socket->id() << "-" << quoted(reason);
}

void succeed(const Socket::Ack &ack, QVariantMap reply = {})
{
    if (!ack)
        return;
    reply.insert(QStringLiteral("ok"), true);
    ack({reply});
}

QStringList sortedRooms(const Socket *socket)
{
    const QSet<QString> rooms = socket->rooms();
    QStringList list(rooms.cbegin(), rooms.cend());
    std::sort(list.begin(), list.end());
    return list;
}

// A room or an array of rooms (at least one), each a non-empty string; nullopt with `error`
// set otherwise.
std::optional<QStringList> roomList(const QVariant &value, const QString &what, QString &error)
{
    const QByteArray field = what.toLatin1();
    auto rooms = parseRooms(value, QLatin1String(field), RelayService::MaxRoomsPerCall,
                            RelayService::MaxRoomLength, error);
    if (rooms && rooms->isEmpty()) {
        error = QStringLiteral("%1: no room given").arg(what);
        return std::nullopt;
    }
    return rooms;
}

} // namespace

RelayService::RelayService(Server *server, QObject *parent) : QObject(parent)
{
    for (Namespace *nsp : server->namespaces())
        attach(nsp);
    connect(server, &Server::namespaceCreated, this, &RelayService::attach);
}

QString RelayService::defaultJoinPolicy(Socket *socket, const QString &room)
{
    // Decided by shape, not by looking the id up: the socket may live on another node, or
    // connect later, and joining its room would read its direct messages.
    if (room != socket->id() && (hasIdShape(room) || socket->nsp()->socket(room)))
        return QStringLiteral("room '%1' has the shape of a socket id: it is that socket's "
                              "private room")
            .arg(room);
    return {};
}

void RelayService::attach(Namespace *nsp)
{
    nsp->on(QStringLiteral("join"),
            [this](Socket *s, const QVariantList &a, const Socket::Ack &k) { onJoin(s, a, k); });
    nsp->on(QStringLiteral("leave"),
            [this](Socket *s, const QVariantList &a, const Socket::Ack &k) { onLeave(s, a, k); });
    nsp->on(QStringLiteral("send"),
            [this](Socket *s, const QVariantList &a, const Socket::Ack &k) { onSend(s, a, k); });
}

void RelayService::onJoin(Socket *socket, const QVariantList &args, const Socket::Ack &ack)
{
    QString error;
    const auto rooms = roomList(args.value(0), QStringLiteral("join"), error);
    if (!rooms)
        return fail(socket, ack, QStringLiteral("join"), error);
    for (const QString &room : *rooms) {
        const QString refusal = m_joinPolicy(socket, room);
        if (!refusal.isEmpty())
            return fail(socket, ack, QStringLiteral("join"), refusal);
    }
    if (!socket->join(*rooms))
        return fail(socket, ack, QStringLiteral("join"),
                    QStringLiteral("too many rooms: a socket may be in at most %1 rooms, its own "
                                   "included")
                        .arg(socket->nsp()->server()->options().maxRoomsPerSocket));
    succeed(ack, {{QStringLiteral("rooms"), sortedRooms(socket)}});
}

void RelayService::onLeave(Socket *socket, const QVariantList &args, const Socket::Ack &ack)
{
    QString error;
    const auto rooms = roomList(args.value(0), QStringLiteral("leave"), error);
    if (!rooms)
        return fail(socket, ack, QStringLiteral("leave"), error);
    if (rooms->contains(socket->id()))
        return fail(socket, ack, QStringLiteral("leave"),
                    QStringLiteral("a socket cannot leave its own room"));
    for (const QString &room : *rooms)
        socket->leave(room);
    succeed(ack, {{QStringLiteral("rooms"), sortedRooms(socket)}});
}

void RelayService::onSend(Socket *socket, const QVariantList &args, const Socket::Ack &ack)
{
    const QString name = QStringLiteral("send");
    if (args.value(0).typeId() != QMetaType::QVariantMap)
        return fail(socket, ack, name, QStringLiteral("send expects an object {to, event, data}"));
    const QVariantMap request = args.first().toMap();

    QString error;
    const QVariant to = request.value(QStringLiteral("to"));
    QStringList targets;
    if (!to.isNull()) {
        const auto rooms = roomList(to, QStringLiteral("to"), error);
        if (!rooms)
            return fail(socket, ack, name, error);
        targets = *rooms;
    }
    QStringList excluded;
    if (const QVariant except = request.value(QStringLiteral("except")); !except.isNull()) {
        const auto rooms = roomList(except, QStringLiteral("except"), error);
        if (!rooms)
            return fail(socket, ack, name, error);
        excluded = *rooms;
    }
    QString event = QStringLiteral("message");
    if (const QVariant ev = request.value(QStringLiteral("event")); !ev.isNull()) {
        if (ev.typeId() != QMetaType::QString || ev.toString().isEmpty())
            return fail(socket, ack, name, QStringLiteral("event must be a non-empty string"));
        event = ev.toString();
        if (socketio::isReservedEvent(event))
            return fail(socket, ack, name,
                        QStringLiteral("'%1' is a reserved event name").arg(event));
    }
    bool includeSelf = false;
    if (const QVariant self = request.value(QStringLiteral("self")); !self.isNull()) {
        if (self.typeId() != QMetaType::Bool)
            return fail(socket, ack, name, QStringLiteral("self must be a boolean"));
        includeSelf = self.toBool();
    }

    bool collectAcks = false;
    if (const QVariant wants = request.value(QStringLiteral("ack")); !wants.isNull()) {
        if (wants.typeId() != QMetaType::Bool)
            return fail(socket, ack, name, QStringLiteral("ack must be a boolean"));
        collectAcks = wants.toBool();
    }
    int timeout = DefaultAckTimeout;
    if (const QVariant t = request.value(QStringLiteral("timeout")); !t.isNull()) {
        bool ok = false;
        const double ms = t.toDouble(&ok);
        if (!ok || t.typeId() == QMetaType::QString || t.typeId() == QMetaType::Bool || ms < 1 ||
            ms > MaxAckTimeout)
            return fail(
                socket, ack, name,
                QStringLiteral("timeout must be a number of ms in 1..%1").arg(MaxAckTimeout));
        timeout = int(ms);
    }

    BroadcastOperator op = socket->nsp()->except(excluded).from(socket);
    if (!targets.isEmpty())
        op = op.to(targets);
    if (!includeSelf)
        op = op.except(socket->id());
    const QVariantMap message{
        {QStringLiteral("from"), socket->id()},
        {QStringLiteral("to"), to.isNull() ? QVariant::fromValue(nullptr) : to},
        {QStringLiteral("data"),
         request.value(QStringLiteral("data"), QVariant::fromValue(nullptr))},
    };
    if (!collectAcks) {
        op.emit(event, {message});
        succeed(ack);
        return;
    }
    const bool sent = op.emitWithAck(
        event, {message},
        [ack](const QString &failure, const QVariantList &replies) {
            if (!ack)
                return;
            QVariantMap reply{{QStringLiteral("ok"), failure.isEmpty()},
                              {QStringLiteral("replies"), replies}};
            if (!failure.isEmpty())
                reply.insert(QStringLiteral("error"), failure);
            ack({reply});
        },
        timeout);
    // The event name was checked above: refused because the socket awaits too many acks.
    if (!sent)
        fail(socket, ack, name, QStringLiteral("too many pending acks"));
}

} // namespace switchboard
