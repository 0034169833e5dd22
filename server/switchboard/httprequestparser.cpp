#include "switchboard/httprequestparser.h"

namespace switchboard {

namespace {

HttpRequestParser *self(http_parser *p)
{
    return static_cast<HttpRequestParser *>(p->data);
}

http_parser_settings makeSettings(http_data_cb url, http_data_cb field, http_data_cb value,
                                  http_cb headers, http_data_cb body, http_cb complete)
{
    http_parser_settings settings{};
    settings.on_url = url;
    settings.on_header_field = field;
    settings.on_header_value = value;
    settings.on_headers_complete = headers;
    settings.on_body = body;
    settings.on_message_complete = complete;
    return settings;
}

} // namespace

HttpRequestParser::HttpRequestParser(const HttpLimits &limits, BodyBudget *budget)
    : m_limits(limits), m_budget(budget)
{
    reset();
}

HttpRequestParser::~HttpRequestParser()
{
    releaseBody();
}

void HttpRequestParser::reset()
{
    releaseBody();
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    m_request = {};
    m_url.clear();
    m_lastWasValue = false;
    m_inBody = false;
    m_headBytes = 0;
    m_state = State::NeedMore;
    m_error.clear();
}

void HttpRequestParser::releaseBody()
{
    if (m_budget && m_reserved)
        m_budget->give(m_reserved);
    m_reserved = 0;
}

void HttpRequestParser::stop(State state)
{
    m_state = state;
    http_parser_pause(&m_parser, 1);
}

bool HttpRequestParser::headBytes(size_t length)
{
    m_headBytes += qint64(length);
    if (m_headBytes <= m_limits.maxHeaderBytes)
        return true;
    stop(State::HeadersTooLarge);
    return false;
}

size_t HttpRequestParser::feed(const char *data, size_t length)
{
    static const http_parser_settings settings = makeSettings(
        &onUrl, &onHeaderField, &onHeaderValue, &onHeadersComplete, &onBody, &onMessageComplete);
    if (m_state != State::NeedMore)
        return 0;
    size_t used = http_parser_execute(&m_parser, &settings, data, length);
    // Paused in on_headers_complete, http-parser has not counted the head's final LF (it
    // would parse it again on resuming): an upgrade's head ends after it, the new protocol's
    // bytes start there.
    // http-parser (lenient) takes any byte there for that LF: anything else is refused, never
    // left as the first byte of the new protocol.
    if (m_state == State::Upgrade && used < length) {
        if (data[used] == '\n')
            ++used;
        else {
            m_state = State::Error;
            m_error = "the request head does not end with CRLF CRLF";
        }
    }
    const auto err = HTTP_PARSER_ERRNO(&m_parser);
    if (m_state == State::NeedMore && err != HPE_OK && err != HPE_PAUSED)
        m_state = State::Error;
    if (m_state == State::Request)
        m_keepAlive = http_should_keep_alive(&m_parser) != 0;
    return used;
}

QByteArray HttpRequestParser::errorText() const
{
    return m_error.isEmpty() ? QByteArray(http_errno_description(HTTP_PARSER_ERRNO(&m_parser)))
                             : m_error;
}

HttpRequest HttpRequestParser::take(const QHostAddress &peer)
{
    HttpRequest request = std::move(m_request);
    request.method = http_method_str(http_method(m_parser.method));
    request.target = m_url;
    request.url = QUrl::fromEncoded(m_url);
    request.path = request.url.path();
    request.query = QUrlQuery(request.url);
    request.peer = peer;
    request.httpMajor = m_parser.http_major;
    request.httpMinor = m_parser.http_minor;
    reset();
    return request;
}

int HttpRequestParser::onUrl(http_parser *p, const char *at, size_t length)
{
    auto *c = self(p);
    if (c->headBytes(length))
        c->m_url.append(at, qsizetype(length));
    return 0;
}

int HttpRequestParser::onHeaderField(http_parser *p, const char *at, size_t length)
{
    auto *c = self(p);
    if (!c->headBytes(length))
        return 0;
    if (c->m_lastWasValue || c->m_request.headers.isEmpty()) {
        if (c->m_request.headers.size() >= c->m_limits.maxHeaders) {
            c->stop(State::HeadersTooLarge);
            return 0;
        }
        c->m_request.headers.append({QByteArray(at, qsizetype(length)).toLower(), {}});
    } else
        c->m_request.headers.last().first.append(QByteArray(at, qsizetype(length)).toLower());
    c->m_lastWasValue = false;
    return 0;
}

int HttpRequestParser::onHeaderValue(http_parser *p, const char *at, size_t length)
{
    auto *c = self(p);
    if (c->m_request.headers.isEmpty())
        return 1;
    if (!c->headBytes(length))
        return 0;
    c->m_request.headers.last().second.append(at, qsizetype(length));
    c->m_lastWasValue = true;
    return 0;
}

int HttpRequestParser::onHeadersComplete(http_parser *p)
{
    auto *c = self(p);
    c->m_request.upgrade = p->upgrade;
    if (p->upgrade) {
        c->stop(State::Upgrade);
        return 0;
    }
    const bool sized = p->content_length != ULLONG_MAX;
    if (sized && p->content_length > quint64(c->m_limits.maxBodyBytes)) {
        c->stop(State::TooLarge);
        return 0;
    }
    // A body announced by its length takes its share of the budget now, before its bytes come;
    // a chunked one as it grows.
    if (sized && p->content_length > 0) {
        if (c->m_budget && !c->m_budget->take(qint64(p->content_length))) {
            c->stop(State::NoRoom);
            return 0;
        }
        c->m_reserved = c->m_budget ? qint64(p->content_length) : 0;
        c->m_request.body.reserve(qsizetype(p->content_length));
    }
    c->m_inBody = (sized && p->content_length > 0) || (p->flags & F_CHUNKED);
    return 0;
}

int HttpRequestParser::onBody(http_parser *p, const char *at, size_t length)
{
    auto *c = self(p);
    const qint64 size = c->m_request.body.size() + qint64(length);
    if (size > c->m_limits.maxBodyBytes) {
        c->stop(State::TooLarge);
        return 0;
    }
    if (c->m_budget && size > c->m_reserved) {
        if (!c->m_budget->take(size - c->m_reserved)) {
            c->stop(State::NoRoom);
            return 0;
        }
        c->m_reserved = size;
    }
    c->m_request.body.append(at, qsizetype(length));
    return 0;
}

int HttpRequestParser::onMessageComplete(http_parser *p)
{
    auto *c = self(p);
    if (c->m_state == State::NeedMore) {
        c->m_inBody = false;
        c->stop(State::Request);
    }
    return 0;
}

} // namespace switchboard
