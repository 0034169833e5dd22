// Turns SIGINT/SIGTERM/SIGHUP into a Qt signal on the event loop (self-pipe trick), so
// shutdown and reload run as ordinary code instead of inside a signal handler.
#pragma once

#include <QObject>

class QSocketNotifier;

namespace switchboard {

class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    enum class Action
    {
        Shutdown,
        Reload
    };
    Q_ENUM(Action)

    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void triggered(switchboard::SignalWatcher::Action action, int signal);

private:
    void onReadable();
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace switchboard
