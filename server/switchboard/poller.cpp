#include "switchboard/poller.h"

#include "switchboard/logging.h"

#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <unistd.h>

namespace switchboard {

namespace {
// Events taken per activation of the notifier, then the Qt loop gets a turn (timers, Redis):
// level-triggered epoll reports the rest again. One batch, not several: a burst of pongs or
// of handshakes must not keep a DM arriving from Redis waiting behind thousands of events
// (docs/benchmarks.md, step 7).
constexpr int BatchEvents = 256;
} // namespace

Poller::Poller(QObject *parent) : QObject(parent), m_epoll(epoll_create1(EPOLL_CLOEXEC))
{
    if (m_epoll < 0) {
        qCCritical(lcServer) << "epoll_create1 failed:" << std::strerror(errno);
        return;
    }
    m_notifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Poller::dispatch);
}

Poller::~Poller()
{
    reap();
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool Poller::add(int fd, PollHandler *handler, quint32 events)
{
    epoll_event event{};
    event.events = events;
    event.data.ptr = handler;
    return epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) == 0;
}

void Poller::modify(int fd, PollHandler *handler, quint32 events)
{
    epoll_event event{};
    event.events = events;
    event.data.ptr = handler;
    epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
}

void Poller::remove(int fd)
{
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

void Poller::retire(PollHandler *handler)
{
    m_retired.push_back(handler);
    if (!m_dispatching && !m_reapQueued) {
        m_reapQueued = true;
        QMetaObject::invokeMethod(this, &Poller::reap, Qt::QueuedConnection);
    }
}

void Poller::reap()
{
    m_reapQueued = false;
    for (PollHandler *handler : std::exchange(m_retired, {}))
        delete handler;
}

void Poller::dispatch()
{
    epoll_event events[BatchEvents];
    const int count = epoll_wait(m_epoll, events, BatchEvents, 0);
    if (count <= 0)
        return;
    m_dispatching = true;
    for (int i = 0; i < count; ++i)
        static_cast<PollHandler *>(events[i].data.ptr)->pollEvent(events[i].events);
    m_dispatching = false;
    // A retired handler is closed: no later event names it, since its fd left the set.
    reap();
}

} // namespace switchboard
