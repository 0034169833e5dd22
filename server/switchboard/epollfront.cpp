#include "switchboard/epollfront.h"

#include "switchboard/deadlines.h"
#include "switchboard/logging.h"
#include "switchboard/netconnection.h"

#include <QElapsedTimer>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace switchboard {

namespace {
// Connections accepted per readiness report: a burst does not starve established clients.
constexpr int AcceptBatch = 256;
} // namespace

class EpollFront::Listener : public PollHandler
{
public:
    explicit Listener(EpollFront *front) : m_front(front) {}
    void pollEvent(quint32) override { m_front->accept(); }

private:
    EpollFront *m_front;
};

EpollFront::EpollFront(QObject *parent)
    : HttpFront(parent), m_poller(new Poller(this)), m_coalesce(new QTimer(this))
{
    m_coalesce->setTimerType(Qt::PreciseTimer);
    connect(m_coalesce, &QTimer::timeout, this, &EpollFront::flushCoalesced);
}

EpollFront::~EpollFront()
{
    close();
    // Sessions dispose of their transports before the server deletes its front; what is
    // left here is HTTP connections and closings in progress.
    for (NetConnection *connection : std::exchange(m_connections, {}))
        delete connection;
}

bool EpollFront::listen(const QHostAddress &address, quint16 port)
{
    if (!m_poller->isValid()) {
        m_error = QStringLiteral("epoll is not available");
        return false;
    }
    sockaddr_storage storage{};
    socklen_t length = 0;
    const bool any = address == QHostAddress::Any || address == QHostAddress::AnyIPv6;
    const bool v6 = any || address.protocol() == QAbstractSocket::IPv6Protocol;
    if (v6) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        const Q_IPV6ADDR bytes = any ? Q_IPV6ADDR{} : address.toIPv6Address();
        std::memcpy(&in6->sin6_addr, &bytes, sizeof bytes);
        length = sizeof(sockaddr_in6);
    } else {
        auto *in4 = reinterpret_cast<sockaddr_in *>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        in4->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(sockaddr_in);
    }
    const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    const int one = 1;
    const int zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (any) // QHostAddress::Any is dual-stack, as in Qt
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) != 0 ||
        ::listen(fd, Backlog) != 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        ::close(fd);
        return false;
    }
    getsockname(fd, reinterpret_cast<sockaddr *>(&storage), &length);
    m_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port
                      : reinterpret_cast<sockaddr_in *>(&storage)->sin_port);
    m_listenFd = fd;
    m_listener = new Listener(this);
    m_poller->add(fd, m_listener, EPOLLIN);
    return true;
}

void EpollFront::close()
{
    if (m_listenFd < 0)
        return;
    m_poller->remove(m_listenFd);
    ::close(m_listenFd);
    m_listenFd = -1;
    m_poller->retire(m_listener);
    m_listener = nullptr;
}

void EpollFront::opened(NetConnection *connection)
{
    Q_EMIT transportOpened(connection);
}

void EpollFront::forget(NetConnection *connection)
{
    m_connections.remove(connection);
    m_dirty.removeOne(connection);
    m_coalesced.removeOne(connection);
    m_backlog.removeOne(connection);
    if (m_serving)
        m_serving->removeOne(connection);
}

void EpollFront::callOnce(bool &queued, void (EpollFront::*method)())
{
    if (!std::exchange(queued, true))
        QMetaObject::invokeMethod(this, method, Qt::QueuedConnection);
}

void EpollFront::backlog(NetConnection *connection)
{
    m_backlog.append(connection);
    callOnce(m_backlogQueued, &EpollFront::serveBacklog);
}

void EpollFront::serveBacklog()
{
    m_backlogQueued = false;
    // One turn each; who is left over again waits for the next pass (a new list, a new call).
    // A connection closed meanwhile (by another's turn) takes itself off `turn` (forget()).
    QList<NetConnection *> turn = std::exchange(m_backlog, {});
    m_serving = &turn;
    while (!turn.isEmpty())
        turn.takeFirst()->serveBacklog();
    m_serving = nullptr;
}

void EpollFront::markDirty(NetConnection *connection, qint64 lastWrite)
{
    const int coalesce = limits().writeCoalesceMs;
    if (coalescing(m_overRate) && DeadlineQueue::instance()->now() - lastWrite < coalesce) {
        // One timer for every such connection: a tick writes all of them, so a member of a
        // busy room gets one write per tick, whatever the room's rate.
        m_coalesced.append(connection);
        if (!m_coalesce->isActive())
            m_coalesce->start(coalesce);
        return;
    }
    m_dirty.append(connection);
    callOnce(m_flushQueued, &EpollFront::flushDirty);
}

bool EpollFront::overRate(qint64 now) const
{
    const qint64 elapsed = now - m_rateSince;
    if (elapsed < RateWindowMs)
        return m_overRate;
    return (m_messagesQueued - m_rateMark) * 1000 / elapsed > limits().writeCoalesceAbove;
}

void EpollFront::measureRate(qint64 now)
{
    if (now - m_rateSince < RateWindowMs)
        return;
    m_overRate = overRate(now);
    m_rateSince = now;
    m_rateMark = m_messagesQueued;
}

bool EpollFront::coalescing(bool over) const
{
    return limits().writeCoalesceMs > 0 && (limits().writeCoalesceAbove == 0 || over);
}

int EpollFront::writeCoalescing() const
{
    // What the next write pass would find: a node gone quiet has no pass to turn it off.
    return coalescing(overRate(DeadlineQueue::instance()->now())) ? 1 : 0;
}

void EpollFront::flushDirty()
{
    m_flushQueued = false;
    // A flush may close a connection, which takes itself off m_dirty: one at a time.
    const qint64 now = DeadlineQueue::instance()->now(); // one clock read for the whole pass
    measureRate(now);
    while (!m_dirty.isEmpty())
        m_dirty.takeFirst()->flushQueued(now);
}

void EpollFront::flushCoalesced()
{
    if (m_coalesced.isEmpty()) {
        m_coalesce->stop(); // a quiet tick: the next dense stream starts it again
        return;
    }
    const qint64 now = DeadlineQueue::instance()->now();
    measureRate(now);
    while (!m_coalesced.isEmpty())
        m_coalesced.takeFirst()->flushQueued(now);
}

void EpollFront::accept()
{
    for (int i = 0; i < AcceptBatch && m_listenFd >= 0; ++i) {
        sockaddr_storage storage{};
        socklen_t length = sizeof storage;
        const int fd = ::accept4(m_listenFd, reinterpret_cast<sockaddr *>(&storage), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                // Out of descriptors: stop listening for a moment instead of spinning on a
                // backlog that stays readable.
                static QElapsedTimer lastLog;
                if (!lastLog.isValid() || lastLog.elapsed() > 5000) {
                    lastLog.start();
                    qCWarning(lcHttp) << "cannot accept connections:" << std::strerror(errno)
                                      << "- raise the open files limit (ulimit -n)";
                }
                m_poller->modify(m_listenFd, m_listener, 0);
                QTimer::singleShot(100, this, [this] {
                    if (m_listenFd >= 0)
                        m_poller->modify(m_listenFd, m_listener, EPOLLIN);
                });
            }
            return;
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        QHostAddress peer(reinterpret_cast<sockaddr *>(&storage));
        if (peer.protocol() == QAbstractSocket::IPv6Protocol) {
            bool mapped = false;
            const quint32 v4 = peer.toIPv4Address(&mapped);
            if (mapped)
                peer = QHostAddress(v4);
        }
        m_connections.insert(new NetConnection(this, fd, peer));
    }
}

} // namespace switchboard
