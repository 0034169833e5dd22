// Drives a hiredis async context from the Qt event loop, in the spirit of hiredis's
// adapters/*.h: two long-lived socket notifiers that hiredis switches on and off.
#pragma once

#include <QSocketNotifier>

#include <functional>

struct redisAsyncContext;

namespace switchboard::redis {

// Unlike Debian 0.14.1's adapters/qt.h, this never deletes a notifier (they live as long as the
// adapter and are only enabled or disabled, also from inside their own activation), never
// touches a context after hiredis let go of it (its destructor touches none at all), and tells
// its owner when hiredis frees the context, from the one hook hiredis calls on every path
// (connect failure, I/O error, server close, redisAsyncFree).
//
// hiredis 0.14 has no timer hook; timeouts are the owner's business.
class QtRedisAdapter
{
public:
    // Called from inside hiredis while it frees the attached context: the context may still be
    // read (err/errstr) during the call and must never be used afterwards. The handler must not
    // call back into hiredis.
    using CleanupHandler = std::function<void(redisAsyncContext *context)>;

    explicit QtRedisAdapter(CleanupHandler onCleanup);
    ~QtRedisAdapter();
    Q_DISABLE_COPY_MOVE(QtRedisAdapter)

    // Installs the event hooks on a fresh context (nothing else may be attached) and watches
    // for writability, which is how a non-blocking connect reports that it completed.
    bool attach(redisAsyncContext *context);
    redisAsyncContext *context() const { return m_context; }
    // True while hiredis runs on our behalf (reading, writing, firing its callbacks); hiredis
    // must not be re-entered then.
    bool isDispatching() const { return m_dispatching; }

private:
    static void addRead(void *adapter);
    static void delRead(void *adapter);
    static void addWrite(void *adapter);
    static void delWrite(void *adapter);
    static void cleanup(void *adapter);

    void onReadable();
    void onWritable();

    CleanupHandler m_onCleanup;
    redisAsyncContext *m_context = nullptr;
    QSocketNotifier m_read{QSocketNotifier::Read};
    QSocketNotifier m_write{QSocketNotifier::Write};
    bool m_dispatching = false;
};

} // namespace switchboard::redis
