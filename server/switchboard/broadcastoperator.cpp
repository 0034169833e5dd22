#include "switchboard/broadcastoperator.h"

#include "switchboard/logging.h"
#include "switchboard/namespace.h"

#include <QTimer>

#include <memory>

namespace switchboard {

BroadcastOperator::BroadcastOperator(Namespace *nsp, BroadcastOptions options)
    : m_nsp(nsp), m_options(std::move(options))
{}

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

namespace {

socketio::Packet eventPacket(const QString &nsp, const QString &event, const QVariantList &args)
{
    socketio::Packet packet;
    packet.type = socketio::PacketType::Event;
    packet.nsp = nsp;
    QVariantList data;
    data.reserve(args.size() + 1);
    data.append(event);
    data.append(args);
    packet.data = data;
    return packet;
}

bool refuseReserved(const QString &event)
{
    if (!socketio::isReservedEvent(event))
        return false;
    qCWarning(lcServer) << "refusing to broadcast reserved event name" << event;
    return true;
}

// Gathers the acks of one broadcast until every server reported how many clients it
// reached, every one of those answered, or time runs out.
struct AckCollector
{
    BroadcastOperator::AckCallback callback;
    QVariantList responses;
    int expectedClients = 0;
    int expectedServers = -1; // unknown until the adapter counted them
    int countedServers = 0;
    bool done = false;

    void finish(const QString &error)
    {
        if (done)
            return;
        done = true;
        callback(error, responses);
    }
    void check()
    {
        if (expectedServers >= 0 && countedServers >= expectedServers &&
            responses.size() >= expectedClients)
            finish({});
    }
};

} // namespace

bool BroadcastOperator::emit(const QString &event, const QVariantList &args) const
{
    if (refuseReserved(event))
        return false;
    m_nsp->adapter()->broadcast(prepare(eventPacket(m_nsp->name(), event, args)), m_options);
    return true;
}

bool BroadcastOperator::emitWithAck(const QString &event, const QVariantList &args,
                                    AckCallback callback, int timeoutMs) const
{
    if (refuseReserved(event))
        return false;
    socketio::Packet packet = eventPacket(m_nsp->name(), event, args);
    packet.id = m_nsp->nextAckId();

    auto collector = std::make_shared<AckCollector>();
    collector->callback = std::move(callback);
    // The timer holds the collector until the timeout, whoever else still refers to it: the
    // sender hears back even when every recipient is remote and some never answer.
    QTimer::singleShot(timeoutMs, m_nsp, [collector] {
        collector->finish(QStringLiteral("operation has timed out"));
    });
    BroadcastOptions options = m_options;
    options.flags.timeout = timeoutMs;
    // The collector lives as long as a recipient may still answer, or until it finished.
    Adapter *adapter = m_nsp->adapter();
    adapter->serverCount([collector](int servers) {
        collector->expectedServers = servers;
        collector->check();
    });
    adapter->broadcastWithAck(
        prepare(std::move(packet)), options,
        [collector](int clientCount) {
            collector->expectedClients += clientCount;
            ++collector->countedServers;
            collector->check();
        },
        [collector](const QVariant &response) {
            if (collector->done)
                return;
            collector->responses.append(response);
            collector->check();
        });
    return true;
}

void BroadcastOperator::socketsJoin(const QStringList &rooms) const
{
    m_nsp->adapter()->addSockets(m_options, rooms);
}

void BroadcastOperator::socketsLeave(const QStringList &rooms) const
{
    m_nsp->adapter()->delSockets(m_options, rooms);
}

void BroadcastOperator::disconnectSockets(bool close) const
{
    m_nsp->adapter()->disconnectSockets(m_options, close);
}

void BroadcastOperator::fetchSockets(const FetchCallback &callback) const
{
    m_nsp->adapter()->fetchSockets(m_options, callback);
}

QSet<QString> BroadcastOperator::localSocketIds() const
{
    return m_nsp->adapter()->sockets(m_options.rooms, m_options.except);
}

} // namespace switchboard
