#include "switchboard/broadcastoperator.h"

#include "switchboard/logging.h"
#include "switchboard/namespace.h"

namespace switchboard {

BroadcastOperator::BroadcastOperator(Namespace *nsp, BroadcastOptions options)
    : m_nsp(nsp), m_options(std::move(options))
{
}

BroadcastOperator BroadcastOperator::to(const QString &room) const
{
    BroadcastOperator next = *this;
    next.m_options.rooms.insert(room);
    return next;
}

BroadcastOperator BroadcastOperator::to(const QStringList &rooms) const
{
    BroadcastOperator next = *this;
    for (const QString &room : rooms)
        next.m_options.rooms.insert(room);
    return next;
}

BroadcastOperator BroadcastOperator::except(const QString &room) const
{
    BroadcastOperator next = *this;
    next.m_options.except.insert(room);
    return next;
}

BroadcastOperator BroadcastOperator::except(const QStringList &rooms) const
{
    BroadcastOperator next = *this;
    for (const QString &room : rooms)
        next.m_options.except.insert(room);
    return next;
}

BroadcastOperator BroadcastOperator::local() const
{
    BroadcastOperator next = *this;
    next.m_options.flags.local = true;
    return next;
}

BroadcastOperator BroadcastOperator::volatile_() const
{
    BroadcastOperator next = *this;
    next.m_options.flags.volatile_ = true;
    return next;
}

bool BroadcastOperator::emit(const QString &event, const QVariantList &args) const
{
    if (socketio::isReservedEvent(event)) {
        qCWarning(lcServer) << "refusing to broadcast reserved event name" << event;
        return false;
    }
    socketio::Packet packet;
    packet.type = socketio::PacketType::Event;
    packet.nsp = m_nsp->name();
    QVariantList data;
    data.reserve(args.size() + 1);
    data.append(event);
    data.append(args);
    packet.data = data;
    m_nsp->adapter()->broadcast(prepare(std::move(packet)), m_options);
    return true;
}

QSet<QString> BroadcastOperator::localSocketIds() const
{
    return m_nsp->adapter()->sockets(m_options.rooms, m_options.except);
}

} // namespace switchboard
