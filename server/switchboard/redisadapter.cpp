#include "switchboard/redisadapter.h"

#include "switchboard/cluster.h"
#include "switchboard/ids.h"
#include "switchboard/logging.h"
#include "switchboard/msgpackvariant.h"
#include "switchboard/namespace.h"
#include "switchboard/server.h"
#include "switchboard/socket.h"

#include <QPointer>
#include <QTimer>

namespace switchboard {

using cluster::RequestType;

namespace {

const QString kUid = QStringLiteral("uid");
const QString kType = QStringLiteral("type");
const QString kRequestId = QStringLiteral("requestId");
const QString kOpts = QStringLiteral("opts");
const QString kRooms = QStringLiteral("rooms");
const QString kExcept = QStringLiteral("except");

QVariantList toList(const QSet<QString> &set)
{
    return QVariantList(set.cbegin(), set.cend());
}

QSet<QString> toSet(const QVariant &value)
{
    QSet<QString> out;
    for (const QVariant &item : value.toList())
        out.insert(item.toString());
    return out;
}

// The response channel is shared by every server and readable by anything on Redis: the
// socket goes out without the credentials it presented.
QVariantMap remoteSocketToWire(const RemoteSocket &socket, const Redaction &redaction)
{
    return {{QStringLiteral("id"), socket.id},
            {QStringLiteral("handshake"), redaction.handshake(socket.handshake)},
            {kRooms, QVariantList(socket.rooms.cbegin(), socket.rooms.cend())},
            {QStringLiteral("data"), redaction.value(socket.data)}};
}

RemoteSocket remoteSocketFromWire(const QVariantMap &wire)
{
    QStringList rooms;
    for (const QVariant &room : wire.value(kRooms).toList())
        rooms << room.toString();
    return {wire.value(QStringLiteral("id")).toString(),
            wire.value(QStringLiteral("handshake")).toMap(), rooms,
            wire.value(QStringLiteral("data")).toMap()};
}

QVariantMap wireFlags(const BroadcastFlags &flags)
{
    QVariantMap out;
    if (flags.volatile_)
        out.insert(QStringLiteral("volatile"), true);
    if (flags.timeout > 0)
        out.insert(QStringLiteral("timeout"), flags.timeout);
    return out;
}

} // namespace

RedisAdapter::RedisAdapter(Namespace *nsp, Cluster *cluster)
    : LocalAdapter(nsp), m_cluster(cluster),
      m_broadcastChannel(cluster->channels().broadcast(nsp->name())),
      m_requestChannel(cluster->channels().request(nsp->name())),
      m_responseChannel(cluster->channels().response(nsp->name()))
{
    cluster->attach(this);
}

RedisAdapter::~RedisAdapter()
{
    m_cluster->detach(this);
}

QVariantMap RedisAdapter::wireOptions(const BroadcastOptions &options)
{
    return {{kRooms, toList(options.rooms)}, {kExcept, toList(options.except)}};
}

BroadcastOptions RedisAdapter::localOptions(const QVariantMap &wire)
{
    BroadcastOptions options;
    options.rooms = toSet(wire.value(kRooms));
    options.except = toSet(wire.value(kExcept));
    const QVariantMap flags = wire.value(QStringLiteral("flags")).toMap();
    options.flags.volatile_ = flags.value(QStringLiteral("volatile")).toBool();
    options.flags.timeout = flags.value(QStringLiteral("timeout")).toInt();
    return options;
}

void RedisAdapter::publishRequest(const QVariantMap &request)
{
    m_cluster->publish(m_requestChannel, cluster::encodeJson(request));
}

void RedisAdapter::publishResponse(const QByteArray &payload)
{
    // The shared response channel: every 8.x adapter listens there.
    m_cluster->publish(m_responseChannel, payload);
}

// ---- outgoing ---------------------------------------------------------------------------

void RedisAdapter::broadcast(const OutgoingPacket &packet, const BroadcastOptions &options)
{
    if (!options.flags.local) {
        cluster::BroadcastMessage message;
        message.uid = m_cluster->uid();
        message.nsp = nsp()->name();
        message.data = packet.packet.data.toList();
        message.rooms = QStringList(options.rooms.cbegin(), options.rooms.cend());
        message.except = QStringList(options.except.cbegin(), options.except.cend());
        message.flags = wireFlags(options.flags);
        const QByteArray channel =
            options.rooms.size() == 1
                ? m_cluster->channels().broadcastRoom(nsp()->name(), *options.rooms.cbegin())
                : m_broadcastChannel;
        m_cluster->publish(channel, cluster::encodeBroadcast(message));
        ++m_cluster->m_broadcastsPublished;
    }
    deliverLocally(packet, options);
}

void RedisAdapter::broadcastWithAck(const OutgoingPacket &packet, const BroadcastOptions &options,
                                    const std::function<void(int clientCount)> &onCount,
                                    const std::function<void(const QVariant &response)> &onAck)
{
    if (!options.flags.local) {
        const QString requestId = randomToken(6);
        cluster::BroadcastMessage message;
        message.nsp = nsp()->name();
        message.data = packet.packet.data.toList();
        message.id = packet.packet.id;
        message.rooms = QStringList(options.rooms.cbegin(), options.rooms.cend());
        message.except = QStringList(options.except.cbegin(), options.except.cend());
        message.flags = wireFlags(options.flags);
        const QVariantMap request{{kUid, m_cluster->uid()},
                                  {kRequestId, requestId},
                                  {kType, int(RequestType::Broadcast)},
                                  {QStringLiteral("packet"), cluster::packetToWire(message)},
                                  {kOpts, cluster::optionsToWire(message)}};
        m_cluster->publish(m_requestChannel, msgpack::encode(request));
        ++m_cluster->m_broadcastsPublished;
        m_ackRequests.insert(requestId, AckRequest{onCount, onAck});
        // Nothing tells when every remote client answered: forget the request at the timeout.
        QTimer::singleShot(std::max(options.flags.timeout, 0), this,
                           [this, requestId] { m_ackRequests.remove(requestId); });
    }
    LocalAdapter::broadcastWithAck(packet, options, onCount, onAck);
}

void RedisAdapter::serverCount(const ServerCountCallback &callback)
{
    m_cluster->command(
        {QByteArrayLiteral("PUBSUB"), QByteArrayLiteral("NUMSUB"), m_requestChannel},
        [callback](const redis::Reply &reply) {
            if (reply.isError() || reply.elements.size() < 2) {
                qCDebug(lcCluster) << "serverCount: Redis unavailable, counting this "
                                      "node alone";
                callback(1);
                return;
            }
            const redis::Reply &count = reply.elements.at(1);
            callback(int(count.type == redis::Reply::Type::Integer ? count.integer
                                                                   : count.string.toLongLong()));
        });
}

void RedisAdapter::addSockets(const BroadcastOptions &options, const QStringList &rooms)
{
    addSocketsLocally(options, rooms);
    if (options.flags.local)
        return;
    publishRequest({{kUid, m_cluster->uid()},
                    {kType, int(RequestType::RemoteJoin)},
                    {kOpts, wireOptions(options)},
                    {kRooms, QVariant(rooms)}});
}

void RedisAdapter::delSockets(const BroadcastOptions &options, const QStringList &rooms)
{
    delSocketsLocally(options, rooms);
    if (options.flags.local)
        return;
    publishRequest({{kUid, m_cluster->uid()},
                    {kType, int(RequestType::RemoteLeave)},
                    {kOpts, wireOptions(options)},
                    {kRooms, QVariant(rooms)}});
}

void RedisAdapter::disconnectSockets(const BroadcastOptions &options, bool close)
{
    if (!options.flags.local) {
        publishRequest({{kUid, m_cluster->uid()},
                        {kType, int(RequestType::RemoteDisconnect)},
                        {kOpts, wireOptions(options)},
                        {QStringLiteral("close"), close}});
    }
    disconnectSocketsLocally(options, close);
}

void RedisAdapter::startRequest(const QString &requestId, PendingRequest request)
{
    m_requests.insert(requestId, std::move(request));
    QTimer::singleShot(m_cluster->options().requestsTimeoutMs, this, [this, requestId] {
        if (!m_requests.contains(requestId))
            return;
        const PendingRequest &pending = m_requests[requestId];
        finishRequest(requestId,
                      QStringLiteral("timeout reached: only %1 responses received out of %2")
                          .arg(pending.received)
                          .arg(pending.expected));
    });
}

void RedisAdapter::finishRequest(const QString &requestId, const QString &error)
{
    PendingRequest request = m_requests.take(requestId);
    if (!error.isEmpty())
        qCInfo(lcCluster) << "request" << requestId << "on" << nsp()->name() << ":" << error;
    if (request.onSockets)
        request.onSockets(error, request.sockets);
    if (request.onRooms)
        request.onRooms(error, request.rooms);
    if (request.onServerSide)
        request.onServerSide(error, request.responses);
}

void RedisAdapter::askOthers(PendingRequest request, QVariantMap body)
{
    QPointer<RedisAdapter> self(this);
    serverCount([self, request, body](int servers) mutable {
        if (!self)
            return;
        const QString requestId = randomToken(6);
        request.expected = servers - 1;
        if (request.expected <= 0) {
            // Alone in the cluster: the local part is the whole answer.
            self->m_requests.insert(requestId, std::move(request));
            self->finishRequest(requestId, {});
            return;
        }
        body.insert(kUid, self->m_cluster->uid());
        body.insert(kRequestId, requestId);
        body.insert(kType, int(request.type));
        self->startRequest(requestId, std::move(request));
        self->publishRequest(body);
    });
}

void RedisAdapter::fetchSockets(const BroadcastOptions &options, const FetchCallback &callback)
{
    QList<RemoteSocket> local = fetchSocketsLocally(options);
    if (options.flags.local) {
        callback({}, local);
        return;
    }
    PendingRequest request;
    request.type = RequestType::RemoteFetch;
    request.sockets = std::move(local);
    request.onSockets = callback;
    askOthers(std::move(request), {{kOpts, wireOptions(options)}});
}

void RedisAdapter::allRooms(const RoomsCallback &callback)
{
    const QStringList localRooms = rooms();
    PendingRequest request;
    request.type = RequestType::AllRooms;
    request.rooms = QSet<QString>(localRooms.cbegin(), localRooms.cend());
    request.onRooms = callback;
    askOthers(std::move(request), {});
}

void RedisAdapter::serverSideEmit(const QVariantList &data, const ServerSideAckCallback &callback)
{
    if (!callback) {
        publishRequest({{kUid, m_cluster->uid()},
                        {kType, int(RequestType::ServerSideEmit)},
                        {QStringLiteral("data"), data}});
        return;
    }
    PendingRequest request;
    request.type = RequestType::ServerSideEmit;
    request.onServerSide = callback;
    askOthers(std::move(request), {{QStringLiteral("data"), data}});
}

// ---- incoming ---------------------------------------------------------------------------

void RedisAdapter::onBroadcastChannel(const QByteArray &channel, const QByteArray &payload)
{
    const std::optional<QString> room = m_cluster->channels().roomOf(nsp()->name(), channel);
    if (!room)
        return;
    // A broadcast to one room nobody here is in costs no decoding.
    if (!room->isEmpty() && !hasRoom(*room)) {
        ++m_cluster->m_broadcastsSkipped;
        qCDebug(lcCluster).noquote()
            << "skip broadcast to room" << quoted(*room) << "without local members";
        return;
    }
    // As deep as this node's clients may send (plus the envelope): give every node the same
    // --max-depth, and what one accepts all deliver.
    Decoded<cluster::BroadcastMessage> message =
        cluster::decodeBroadcast(payload, nsp()->server()->options().maxDepth);
    if (!message) {
        qCWarning(lcCluster).noquote()
            << "ignoring malformed broadcast on" << quoted(channel) << "-" << message.error();
        return;
    }
    if (message->uid == m_cluster->uid())
        return;
    if (message->nsp != nsp()->name())
        return;
    ++m_cluster->m_broadcastsReceived;
    qCDebug(lcCluster).noquote() << "broadcast from" << quoted(message->uid) << "on"
                                 << quoted(nsp()->name()) << "rooms"
                                 << quoted(message->rooms.join(u", ")) << "except"
                                 << quoted(message->except.join(u", ")) << "event"
                                 << quoted(message->data.value(0).toString());
    socketio::Packet packet;
    packet.type = socketio::PacketType::Event;
    packet.nsp = nsp()->name();
    packet.data = message->data;
    BroadcastOptions options;
    options.rooms = QSet<QString>(message->rooms.cbegin(), message->rooms.cend());
    options.except = QSet<QString>(message->except.cbegin(), message->except.cend());
    options.flags.volatile_ = message->flags.value(QStringLiteral("volatile")).toBool();
    deliverLocally(prepare(std::move(packet)), options);
}

void RedisAdapter::onRequestChannel(const QByteArray &channel, const QByteArray &payload)
{
    Decoded<QVariantMap> decoded =
        cluster::decodeRequest(payload, nsp()->server()->options().maxDepth);
    if (!decoded) {
        qCWarning(lcCluster).noquote()
            << "ignoring malformed message on" << quoted(channel) << "-" << decoded.error();
        return;
    }
    if (channel == m_requestChannel)
        onRequest(*decoded);
    else
        onResponse(*decoded);
}

void RedisAdapter::onRequest(const QVariantMap &request)
{
    const QString uid = request.value(kUid).toString();
    const QString requestId = request.value(kRequestId).toString();
    const bool mine = uid == m_cluster->uid();
    bool typeOk = false;
    const auto type = RequestType(request.value(kType).toInt(&typeOk));
    if (!typeOk) {
        qCDebug(lcCluster) << "request without a type ignored";
        return;
    }
    if (!mine)
        qCDebug(lcCluster).noquote()
            << "request" << int(type) << requestId << "from"
            << (uid.isEmpty() ? QStringLiteral("an emitter") : uid) << "on" << nsp()->name();
    const auto reply = [this, &requestId](QVariantMap body) {
        body.insert(kRequestId, requestId);
        publishResponse(cluster::encodeJson(body));
    };

    switch (type) {
    case RequestType::Sockets: {
        if (mine || m_requests.contains(requestId))
            return;
        const QSet<QString> ids = sockets(toSet(request.value(kRooms)), {});
        reply({{QStringLiteral("sockets"), toList(ids)}});
        return;
    }
    case RequestType::AllRooms:
        if (mine || m_requests.contains(requestId))
            return;
        reply({{kRooms, QVariant(rooms())}});
        return;
    case RequestType::RemoteJoin:
    case RequestType::RemoteLeave:
    case RequestType::RemoteDisconnect: {
        if (request.contains(kOpts)) {
            if (mine)
                return; // applied locally when it was sent
            const BroadcastOptions options = localOptions(request.value(kOpts).toMap());
            QStringList rooms;
            for (const QVariant &room : request.value(kRooms).toList())
                rooms << room.toString();
            if (type == RequestType::RemoteJoin)
                addSocketsLocally(options, rooms);
            else if (type == RequestType::RemoteLeave)
                delSocketsLocally(options, rooms);
            else
                disconnectSocketsLocally(options, request.value(QStringLiteral("close")).toBool());
            return;
        }
        // The older form names one socket and expects a response.
        Socket *socket = nsp()->socket(request.value(QStringLiteral("sid")).toString());
        if (!socket)
            return;
        const QString room = request.value(QStringLiteral("room")).toString();
        if (type == RequestType::RemoteJoin)
            socket->join(room);
        else if (type == RequestType::RemoteLeave)
            socket->leave(room);
        else
            socket->disconnect(request.value(QStringLiteral("close")).toBool());
        reply({});
        return;
    }
    case RequestType::RemoteFetch: {
        if (mine || m_requests.contains(requestId))
            return;
        QVariantList list;
        for (const RemoteSocket &socket :
             fetchSocketsLocally(localOptions(request.value(kOpts).toMap())))
            list.append(remoteSocketToWire(socket, m_cluster->options().redaction));
        reply({{QStringLiteral("sockets"), list}});
        return;
    }
    case RequestType::ServerSideEmit: {
        if (mine)
            return;
        const QVariantList data = request.value(QStringLiteral("data")).toList();
        if (data.isEmpty() || data.first().typeId() != QMetaType::QString)
            return;
        if (requestId.isEmpty()) {
            nsp()->dispatchServerSideEmit(data, Ack());
            return;
        }
        QPointer<RedisAdapter> self(this);
        auto sent = std::make_shared<bool>(false);
        nsp()->dispatchServerSideEmit(data, Ack([self, requestId, sent](const QVariantList &args) {
                                          if (!self || *sent)
                                              return;
                                          *sent = true;
                                          self->publishResponse(cluster::encodeJson(
                                              {{kType, int(RequestType::ServerSideEmit)},
                                               {kRequestId, requestId},
                                               {QStringLiteral("data"), args.value(0)}}));
                                      }));
        return;
    }
    case RequestType::Broadcast: {
        if (mine || m_ackRequests.contains(requestId))
            return;
        Decoded<cluster::BroadcastMessage> message = cluster::broadcastFromWire(
            uid, request.value(QStringLiteral("packet")), request.value(kOpts));
        if (!message) {
            qCWarning(lcCluster).noquote()
                << "ignoring malformed BROADCAST request -" << message.error();
            return;
        }
        ++m_cluster->m_broadcastsReceived;
        // The sender's ack id means nothing here: take one of ours so it cannot collide.
        socketio::Packet packet;
        packet.type = socketio::PacketType::Event;
        packet.nsp = nsp()->name();
        packet.data = message->data;
        packet.id = nsp()->nextAckId();
        const BroadcastOptions options = localOptions(request.value(kOpts).toMap());
        QPointer<RedisAdapter> self(this);
        const int count = deliverLocallyWithAck(
            prepare(std::move(packet)), options, [self, requestId](const QVariant &response) {
                if (!self)
                    return;
                self->publishResponse(
                    msgpack::encode(QVariantMap{{kType, int(RequestType::BroadcastAck)},
                                                {kRequestId, requestId},
                                                {QStringLiteral("packet"), response}}));
            });
        reply({{kType, int(RequestType::BroadcastClientCount)},
               {QStringLiteral("clientCount"), count}});
        return;
    }
    case RequestType::BroadcastClientCount:
    case RequestType::BroadcastAck:
        return;
    }
    qCDebug(lcCluster) << "ignoring unknown request type" << int(type);
}

void RedisAdapter::onResponse(const QVariantMap &response)
{
    const QString requestId = response.value(kRequestId).toString();
    if (const auto ack = m_ackRequests.constFind(requestId); ack != m_ackRequests.cend()) {
        const auto type = RequestType(response.value(kType).toInt());
        if (type == RequestType::BroadcastClientCount)
            ack->onCount(response.value(QStringLiteral("clientCount")).toInt());
        else if (type == RequestType::BroadcastAck)
            ack->onAck(response.value(QStringLiteral("packet")));
        return;
    }
    const auto it = m_requests.find(requestId);
    if (it == m_requests.end())
        return;
    PendingRequest &request = *it;
    qCDebug(lcCluster) << "response to request" << requestId << "type" << int(request.type);
    switch (request.type) {
    case RequestType::RemoteFetch: {
        const QVariant sockets = response.value(QStringLiteral("sockets"));
        if (sockets.typeId() != QMetaType::QVariantList)
            return;
        for (const QVariant &socket : sockets.toList())
            request.sockets.append(remoteSocketFromWire(socket.toMap()));
        break;
    }
    case RequestType::AllRooms: {
        const QVariant rooms = response.value(kRooms);
        if (rooms.typeId() != QMetaType::QVariantList)
            return;
        request.rooms.unite(toSet(rooms));
        break;
    }
    case RequestType::ServerSideEmit:
        request.responses.append(response.value(QStringLiteral("data")));
        break;
    default:
        return;
    }
    if (++request.received >= request.expected)
        finishRequest(requestId, {});
}

} // namespace switchboard
