#include "switchboard/deadlines.h"

#include <QTimer>

namespace switchboard {

DeadlineQueue *DeadlineQueue::instance()
{
    // Never destroyed before the connections of its thread: it lives as long as the thread.
    static thread_local DeadlineQueue *queue = new DeadlineQueue;
    return queue;
}

DeadlineQueue::DeadlineQueue() : m_timer(new QTimer(this))
{
    m_clock.start();
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::CoarseTimer);
    connect(m_timer, &QTimer::timeout, this, &DeadlineQueue::expire);
}

void DeadlineQueue::arm(Deadline *deadline, int ms)
{
    if (deadline->m_list >= 0)
        disarm(deadline);
    int index = 0;
    while (index < int(m_lists.size()) && m_lists[size_t(index)].duration != ms)
        ++index;
    if (index == int(m_lists.size()))
        m_lists.push_back(List{ms, nullptr, nullptr});
    List &list = m_lists[size_t(index)];
    deadline->m_due = now() + ms;
    deadline->m_list = index;
    deadline->m_prev = list.tail;
    deadline->m_next = nullptr;
    (list.tail ? list.tail->m_next : list.head) = deadline;
    list.tail = deadline;
    ++m_armed;
    if (list.head == deadline)
        schedule();
}

void DeadlineQueue::disarm(Deadline *deadline)
{
    List &list = m_lists[size_t(deadline->m_list)];
    (deadline->m_prev ? deadline->m_prev->m_next : list.head) = deadline->m_next;
    (deadline->m_next ? deadline->m_next->m_prev : list.tail) = deadline->m_prev;
    deadline->m_prev = deadline->m_next = nullptr;
    deadline->m_list = -1;
    --m_armed;
    // The timer may fire early for a head that went: expire() then finds nothing and
    // reschedules, which is cheaper than rescanning here on every disarm.
}

void DeadlineQueue::schedule()
{
    qint64 earliest = -1;
    for (const List &list : m_lists)
        if (list.head && (earliest < 0 || list.head->m_due < earliest))
            earliest = list.head->m_due;
    if (earliest < 0) {
        m_timer->stop();
        return;
    }
    const qint64 wait = std::max<qint64>(0, earliest - now());
    if (!m_timer->isActive() || m_timer->remainingTime() > wait)
        m_timer->start(int(std::min<qint64>(wait, 24 * 3600 * 1000)));
}

void DeadlineQueue::expire()
{
    const qint64 at = now();
    int fired = 0;
    bool more = true;
    while (more && fired < BatchSize) {
        more = false;
        // By index: a callback arming a new duration grows m_lists.
        for (size_t i = 0; i < m_lists.size(); ++i) {
            Deadline *deadline = m_lists[i].head;
            if (!deadline || deadline->m_due > at)
                continue;
            disarm(deadline);
            ++fired;
            deadline->m_expired(); // may arm, disarm or destroy any deadline
            more = true;
            if (fired >= BatchSize)
                break;
        }
    }
    if (fired >= BatchSize) {
        m_timer->start(0); // the rest after the loop has served everything else once
        return;
    }
    schedule();
}

} // namespace switchboard
