// An HTTP request at the Engine.IO path whose answer may come later: a long-polling GET stays
// parked until its session has packets. The connection that carries the request implements
// it (NetConnection on the epoll layer, the Qt layer's HttpConnection), so a parked GET costs
// no more than that connection.
#pragma once

#include "switchboard/httpfront.h"

#include <utility>

namespace switchboard {

class HttpExchange;

// Whoever keeps an exchange to answer it later: told if the connection goes first.
class ExchangeWaiter
{
public:
    virtual void exchangeGone(HttpExchange *exchange) = 0;

protected:
    ~ExchangeWaiter() = default;
};

class HttpExchange
{
public:
    // Answers the request, once; the exchange is not the caller's any more.
    void reply(HttpResponse response)
    {
        m_waiter = nullptr;
        response.headers += std::exchange(m_headers, {});
        deliver(response);
    }
    void setWaiter(ExchangeWaiter *waiter) { m_waiter = waiter; }
    // Headers every answer to this request carries (CORS), whoever makes it.
    void setHeaders(QList<QPair<QByteArray, QByteArray>> headers)
    {
        m_headers = std::move(headers);
    }

protected:
    ~HttpExchange() = default;
    virtual void deliver(const HttpResponse &response) = 0;
    // The connection goes before the answer: the waiter is told, once.
    void abandon()
    {
        if (ExchangeWaiter *waiter = std::exchange(m_waiter, nullptr))
            waiter->exchangeGone(this);
    }
    ExchangeWaiter *m_waiter = nullptr;
    QList<QPair<QByteArray, QByteArray>> m_headers;
};

} // namespace switchboard
