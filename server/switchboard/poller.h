// One epoll instance for every client connection of a thread, watched by the Qt event loop
// through a single QSocketNotifier on the epoll descriptor: what the loop polls does not grow
// with the connections, and an idle connection costs nothing per message.
#pragma once

#include <QObject>

#include <vector>

class QSocketNotifier;

namespace switchboard {

// Something with a file descriptor in the poller. Its events arrive through pollEvent().
class PollHandler
{
public:
    virtual ~PollHandler() = default;
    virtual void pollEvent(quint32 events) = 0;
};

class Poller : public QObject
{
    Q_OBJECT
public:
    explicit Poller(QObject *parent = nullptr);
    ~Poller() override;

    bool isValid() const { return m_epoll >= 0; }
    // `events` are EPOLL* flags (level-triggered).
    bool add(int fd, PollHandler *handler, quint32 events);
    void modify(int fd, PollHandler *handler, quint32 events);
    void remove(int fd);
    // Deletes `handler` once no event of the current batch can still reach it.
    void retire(PollHandler *handler);

private:
    void dispatch();
    void reap();

    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
    std::vector<PollHandler *> m_retired;
    bool m_dispatching = false;
    bool m_reapQueued = false;
};

} // namespace switchboard
