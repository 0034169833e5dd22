#include "switchboard/qtredisadapter.h"

#include <hiredis/async.h>

namespace switchboard::redis {

QtRedisAdapter::QtRedisAdapter(CleanupHandler onCleanup) : m_onCleanup(std::move(onCleanup))
{
    QObject::connect(&m_read, &QSocketNotifier::activated, &m_read, [this] { onReadable(); });
    QObject::connect(&m_write, &QSocketNotifier::activated, &m_write, [this] { onWritable(); });
}

QtRedisAdapter::~QtRedisAdapter()
{
    // The owner frees its context before it destroys the adapter; should it not have, hiredis
    // still points at us, and the context is deliberately left alone rather than guessed at.
    Q_ASSERT(!m_context);
}

bool QtRedisAdapter::attach(redisAsyncContext *context)
{
    if (m_context || context->ev.data)
        return false;
    m_context = context;
    context->ev.data = this;
    context->ev.addRead = &QtRedisAdapter::addRead;
    context->ev.delRead = &QtRedisAdapter::delRead;
    context->ev.addWrite = &QtRedisAdapter::addWrite;
    context->ev.delWrite = &QtRedisAdapter::delWrite;
    context->ev.cleanup = &QtRedisAdapter::cleanup;
    m_read.setSocket(context->c.fd);
    m_write.setSocket(context->c.fd);
    m_write.setEnabled(true);
    return true;
}

void QtRedisAdapter::addRead(void *adapter)
{
    static_cast<QtRedisAdapter *>(adapter)->m_read.setEnabled(true);
}

void QtRedisAdapter::delRead(void *adapter)
{
    static_cast<QtRedisAdapter *>(adapter)->m_read.setEnabled(false);
}

void QtRedisAdapter::addWrite(void *adapter)
{
    static_cast<QtRedisAdapter *>(adapter)->m_write.setEnabled(true);
}

void QtRedisAdapter::delWrite(void *adapter)
{
    static_cast<QtRedisAdapter *>(adapter)->m_write.setEnabled(false);
}

void QtRedisAdapter::cleanup(void *adapter)
{
    auto *self = static_cast<QtRedisAdapter *>(adapter);
    // Disabled before hiredis closes the descriptor, so the event dispatcher never polls a
    // closed (or reused) fd.
    self->m_read.setEnabled(false);
    self->m_write.setEnabled(false);
    redisAsyncContext *context = self->m_context;
    self->m_context = nullptr;
    context->ev.data = nullptr;
    if (self->m_onCleanup)
        self->m_onCleanup(context);
}

void QtRedisAdapter::onReadable()
{
    if (!m_context)
        return;
    m_dispatching = true;
    redisAsyncHandleRead(m_context); // may free the context: cleanup() then cleared m_context
    m_dispatching = false;
}

void QtRedisAdapter::onWritable()
{
    if (!m_context)
        return;
    m_dispatching = true;
    redisAsyncHandleWrite(m_context);
    m_dispatching = false;
}

} // namespace switchboard::redis
