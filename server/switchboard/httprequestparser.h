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
        TooLarge,
        Error
    };

    HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &) = delete;
    HttpRequestParser &operator=(const HttpRequestParser &) = delete;

    // Parses up to `length` bytes; returns how many it used. Stops after a whole request (or
    // an upgrade's head, or an error): the caller acts on state() and feeds the rest again.
    size_t feed(const char *data, size_t length);
    State state() const { return m_state; }
    bool keepAlive() const { return m_keepAlive; }
    QByteArray errorText() const;
    // The request, ready for the router; the parser starts on the next one.
    HttpRequest take(const QHostAddress &peer);

private:
    static int onUrl(http_parser *p, const char *at, size_t length);
    static int onHeaderField(http_parser *p, const char *at, size_t length);
    static int onHeaderValue(http_parser *p, const char *at, size_t length);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t length);
    static int onMessageComplete(http_parser *p);
    void reset();

    http_parser m_parser{};
    HttpRequest m_request;
    QByteArray m_url;
    QByteArray m_error;
    State m_state = State::NeedMore;
    bool m_lastWasValue = false;
    bool m_keepAlive = false;
};

} // namespace switchboard
