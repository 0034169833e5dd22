// Takes the README pictures: once the window is connected and has gathered data for a while,
// saves every view (the whole window with that tab shown) and the inject dialog as PNG files,
// then quits the application.
#pragma once

#include <QDir>
#include <QObject>
#include <QStringList>
#include <QTimer>

namespace switchboard::console {

class MainWindow;

class Screenshooter : public QObject
{
    Q_OBJECT
public:
    static constexpr int SettleMs = 500;           // after switching tabs, before grabbing
    static constexpr int ConnectTimeoutMs = 15000; // give up when Redis cannot be reached

    Screenshooter(MainWindow *window, const QString &dir, int delayMs);

    // Files in the order they are taken, without the directory.
    static QStringList fileNames();
    void start();

private:
    void onConnected();
    void prepare(const QString &view);
    void take(const QString &view);
    void finish();

    MainWindow *m_window;
    QDir m_dir;
    int m_delayMs;
    QStringList m_queue;
    QTimer m_giveUp;
    bool m_started = false;
    bool m_ok = true;
};

} // namespace switchboard::console
