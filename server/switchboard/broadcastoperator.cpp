#include "switchboard/broadcastoperator.h"

#include "switchboard/logging.h"
#include "switchboard/namespace.h"

#include <QPointer>
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

BroadcastOperator BroadcastOperator::from(const Socket *socket) const
{
    BroadcastOperator next = *this;
    next.m_origin = socket ? socket->id() : QString();
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
    qCWarning(lcServer).noquote() << "refusing to broadcast reserved event name" << quoted(event);
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
    std::function<void()> release; // gives the sending socket back its pending ack
    QPointer<QTimer> timer;

    // Whoever still refers to the collector (a recipient on another node may answer late)
    // keeps only this small shell once it is done: the timer, the callback and the answers go.
    void finish(const QString &error)
    {
        if (done)
            return;
        done = true;
        if (timer) {
            timer->stop();
            timer->deleteLater();
        }
        if (release)
            std::exchange(release, {})();
        const auto send = std::exchange(callback, {});
        send(error, std::exchange(responses, {}));
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
    Socket *origin = m_origin.isEmpty() ? nullptr : m_nsp->socket(m_origin);
    if (origin && !origin->admitAck())
        return false;
    socketio::Packet packet = eventPacket(m_nsp->name(), event, args);
    packet.id = m_nsp->nextAckId();

    auto collector = std::make_shared<AckCollector>();
    collector->callback = std::move(callback);
    if (origin) {
        origin->holdAck();
        collector->release = [socket = QPointer<Socket>(origin)] {
            if (socket)
                socket->releaseAck();
        };
    }
    // The timer holds the collector until the timeout or until it is done, whoever else
    // still refers to it: the sender hears back even when every recipient is remote and some
    // never answer. A timer of its own, not a single shot: it goes as soon as all answered.
    auto *timer = new QTimer(m_nsp);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, timer,
                     [collector] { collector->finish(QStringLiteral("operation has timed out")); });
    collector->timer = timer;
    timer->start(timeoutMs);
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
