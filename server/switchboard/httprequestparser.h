// Requests out of a byte stream, one at a time, with Debian's http-parser: shared by both
// connection layers so that a request means the same on either.
#pragma once

#include "switchboard/httpfront.h"

#include <http_parser.h>

namespace switchboard {

class HttpRequestParser
{
public:
    enum class State
    {
        NeedMore,
        Request, // a whole request: take() it
        Upgrade, // an upgrade's head (the bytes after it belong to the new protocol): take() it
        HeadersTooLarge, // 431
        TooLarge,        // the body is over the limit: 413
        NoRoom,          // the bodies of all connections fill their budget: 503
        Error
    };

    // `budget` (optional) is shared by every connection of a front; it must outlive the parser.
    explicit HttpRequestParser(const HttpLimits &limits = {}, BodyBudget *budget = nullptr);
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &) = delete;
    HttpRequestParser &operator=(const HttpRequestParser &) = delete;

    // Parses up to `length` bytes; returns how many it used. Stops after a whole request (or
    // an upgrade's head, or an error): the caller acts on state() and feeds the rest again.
    size_t feed(const char *data, size_t length);
    State state() const { return m_state; }
    // The headers are in and the body is being read: the body deadline runs.
    bool inBody() const { return m_inBody; }
    bool keepAlive() const { return m_keepAlive; }
    QByteArray errorText() const;
    // The request, ready for the router; the parser starts on the next one.
    HttpRequest take(const QHostAddress &peer);
    // No more requests: what the body being read holds of the budget is given back now.
    void abandon() { reset(); }

private:
    static int onUrl(http_parser *p, const char *at, size_t length);
    static int onHeaderField(http_parser *p, const char *at, size_t length);
    static int onHeaderValue(http_parser *p, const char *at, size_t length);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t length);
    static int onMessageComplete(http_parser *p);
    void reset();
    // Counts head bytes against the limit; false (state set) when over.
    bool headBytes(size_t length);
    void stop(State state);
    void releaseBody();

    http_parser m_parser{};
    HttpLimits m_limits;
    BodyBudget *m_budget;
    HttpRequest m_request;
    QByteArray m_url;
    QByteArray m_error;
    State m_state = State::NeedMore;
    qint64 m_headBytes = 0;
    qint64 m_reserved = 0; // of the budget, for this request's body
    bool m_lastWasValue = false;
    bool m_keepAlive = false;
    bool m_inBody = false;
};

} // namespace switchboard
