// Coarse timeouts for every connection of a thread on one Qt timer: heartbeats, pong and
// connect timeouts, idle HTTP. Deadlines of the same duration expire in the order they were
// armed, so each duration is a FIFO list: arming and disarming cost O(1), and the event loop
// watches one timer whatever the number of connections (Qt's per-object timers would be one
// registration each).
#pragma once

#include <QElapsedTimer>
#include <QObject>

#include <functional>
#include <vector>

class QTimer;

namespace switchboard {

class Deadline;

class DeadlineQueue : public QObject
{
    Q_OBJECT
public:
    // Expired deadlines fired per pass of the event loop: a storm of timeouts is spread out,
    // and whatever else is waiting (a bystander's message) is served in between.
    static constexpr int BatchSize = 64;

    // The queue of the calling thread.
    static DeadlineQueue *instance();

    qint64 now() const { return m_clock.elapsed(); }
    int armed() const { return m_armed; }

private:
    friend class Deadline;
    struct List
    {
        int duration = 0;
        Deadline *head = nullptr;
        Deadline *tail = nullptr;
    };

    DeadlineQueue();
    void arm(Deadline *deadline, int ms);
    void disarm(Deadline *deadline);
    void schedule();
    void expire();

    QElapsedTimer m_clock;
    std::vector<List> m_lists; // few: one per distinct duration
    QTimer *m_timer;
    int m_armed = 0;
};

// One timeout of one connection; owned by it, disarmed when destroyed.
class Deadline
{
public:
    explicit Deadline(std::function<void()> expired) : m_expired(std::move(expired)) {}
    ~Deadline() { disarm(); }
    Deadline(const Deadline &) = delete;
    Deadline &operator=(const Deadline &) = delete;

    // (Re)starts the countdown: `expired` runs `ms` from now (give or take the batching).
    void arm(int ms) { DeadlineQueue::instance()->arm(this, ms); }
    void disarm()
    {
        if (m_list >= 0)
            DeadlineQueue::instance()->disarm(this);
    }
    bool isArmed() const { return m_list >= 0; }

private:
    friend class DeadlineQueue;
    std::function<void()> m_expired;
    Deadline *m_prev = nullptr;
    Deadline *m_next = nullptr;
    qint64 m_due = 0;
    int m_list = -1;
};

} // namespace switchboard
