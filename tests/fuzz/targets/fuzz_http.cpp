// Arbitrary bytes down the node's HTTP request path: Debian's http-parser with the callback
// accumulation and limits of server/switchboard/httpfront.cpp (kept here, self-contained, as that
// file is being rewritten), then what the node makes of a request (QUrl, QUrlQuery, the
// WebSocket key). Fed whole and in random chunks, the requests must be the same.
// Input: [chunking seed byte][stream...].
#include "fuzzcheck.h"
#include "switchboard/websocket.h"

#include <QList>
#include <QPair>
#include <QUrl>
#include <QUrlQuery>

#include <http_parser.h>

#include <climits>
#include <cstdint>
#include <random>
#include <vector>

namespace websocket = switchboard::websocket;

namespace {

constexpr qint64 MaxBodyBytes = 1024 * 1024; // httpfront.cpp's limit

enum class Outcome
{
    Request,
    Upgrade,
    TooLarge,
    BadRequest
};

struct Request
{
    Outcome outcome = Outcome::Request;
    QByteArray method;
    QByteArray url;
    QString path;
    QList<QPair<QString, QString>> query;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray body;
    bool keepAlive = false;
    friend bool operator==(const Request &, const Request &) = default;
};

// One connection's parser and what its callbacks gather, as HttpConnection does it.
class Connection
{
public:
    Connection()
    {
        m_settings.on_url = &Connection::onUrl;
        m_settings.on_header_field = &Connection::onHeaderField;
        m_settings.on_header_value = &Connection::onHeaderValue;
        m_settings.on_headers_complete = &Connection::onHeadersComplete;
        m_settings.on_body = &Connection::onBody;
        m_settings.on_message_complete = &Connection::onMessageComplete;
        reset();
    }

    // Feeds bytes as they arrive; returns the requests (and the final outcome) they complete.
    // Once an outcome other than Request has been returned, the connection is done.
    std::vector<Request> feed(QByteArrayView bytes)
    {
        std::vector<Request> out;
        m_pending.append(bytes);
        while (!m_done && m_pending.size() > m_fed) {
            const size_t length = size_t(m_pending.size() - m_fed);
            const size_t parsed =
                http_parser_execute(&m_parser, &m_settings, m_pending.constData() + m_fed, length);
            FUZZ_CHECK(parsed <= length);
            m_fed += qsizetype(parsed);
            const auto err = HTTP_PARSER_ERRNO(&m_parser);
            if (m_upgradeReady || m_tooLarge || (err != HPE_OK && err != HPE_PAUSED)) {
                const Outcome outcome = m_upgradeReady ? Outcome::Upgrade
                                        : m_tooLarge   ? Outcome::TooLarge
                                                       : Outcome::BadRequest;
                out.push_back(take(outcome));
                m_done = true;
                break;
            }
            if (err != HPE_PAUSED)
                break; // need more bytes
            // One whole request: its bytes are consumed, the parser starts over on the rest.
            m_pending.remove(0, m_fed);
            m_fed = 0;
            out.push_back(take(Outcome::Request));
            reset();
            if (!out.back().keepAlive)
                m_done = true;
        }
        return out;
    }

private:
    void reset()
    {
        http_parser_init(&m_parser, HTTP_REQUEST);
        m_parser.data = this;
        m_request = {};
        m_lastWasValue = false;
        m_upgradeReady = false;
    }

    Request take(Outcome outcome)
    {
        Request request = std::move(m_request);
        request.outcome = outcome;
        if (outcome == Outcome::BadRequest) {
            // The node answers 400 from the error alone; the half request is dropped.
            return Request{outcome, {}, {}, {}, {}, {}, {}, false};
        }
        request.method = http_method_str(http_method(m_parser.method));
        request.keepAlive = outcome == Outcome::Request && http_should_keep_alive(&m_parser) != 0;
        FUZZ_CHECK(request.body.size() <= MaxBodyBytes);
        // What the node does with every request it routes.
        const QUrl url = QUrl::fromEncoded(request.url);
        request.path = url.path();
        request.query = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
        for (const auto &[name, value] : request.headers) {
            FUZZ_CHECK(name == name.toLower());
            if (name == "sec-websocket-key" && websocket::isValidKey(value))
                FUZZ_CHECK(websocket::acceptKey(value).size() == 28);
        }
        return request;
    }

    static Connection *self(http_parser *p) { return static_cast<Connection *>(p->data); }

    static int onUrl(http_parser *p, const char *at, size_t length)
    {
        self(p)->m_request.url.append(at, qsizetype(length));
        return 0;
    }
    static int onHeaderField(http_parser *p, const char *at, size_t length)
    {
        auto *c = self(p);
        if (c->m_lastWasValue || c->m_request.headers.isEmpty())
            c->m_request.headers.append({QByteArray(at, qsizetype(length)).toLower(), {}});
        else
            c->m_request.headers.last().first.append(QByteArray(at, qsizetype(length)).toLower());
        c->m_lastWasValue = false;
        return 0;
    }
    static int onHeaderValue(http_parser *p, const char *at, size_t length)
    {
        auto *c = self(p);
        if (c->m_request.headers.isEmpty())
            return 1;
        c->m_request.headers.last().second.append(at, qsizetype(length));
        c->m_lastWasValue = true;
        return 0;
    }
    static int onHeadersComplete(http_parser *p)
    {
        auto *c = self(p);
        if (p->upgrade) {
            c->m_upgradeReady = true;
            http_parser_pause(p, 1);
        }
        if (p->content_length != ULLONG_MAX && p->content_length > quint64(MaxBodyBytes)) {
            c->m_tooLarge = true;
            http_parser_pause(p, 1);
        }
        return 0;
    }
    static int onBody(http_parser *p, const char *at, size_t length)
    {
        auto *c = self(p);
        if (c->m_request.body.size() + qsizetype(length) > MaxBodyBytes) {
            c->m_tooLarge = true;
            http_parser_pause(p, 1);
            return 0;
        }
        c->m_request.body.append(at, qsizetype(length));
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        if (!self(p)->m_upgradeReady)
            http_parser_pause(p, 1);
        return 0;
    }

    http_parser m_parser{};
    http_parser_settings m_settings{};
    Request m_request;
    QByteArray m_pending; // bytes not consumed yet, as the socket's buffer holds them
    qsizetype m_fed = 0;  // of m_pending, how much the parser has seen
    bool m_lastWasValue = false;
    bool m_upgradeReady = false;
    bool m_tooLarge = false;
    bool m_done = false;
};

std::vector<Request> run(QByteArrayView stream, unsigned seed)
{
    Connection connection;
    std::minstd_rand chunks(seed);
    std::vector<Request> requests;
    qsizetype at = 0;
    while (at < stream.size()) {
        const qsizetype wanted = seed == 0 ? stream.size() : qsizetype(1 + chunks() % 64);
        const qsizetype chunk = qMin(wanted, stream.size() - at);
        for (Request &request : connection.feed(stream.sliced(at, chunk)))
            requests.push_back(std::move(request));
        at += chunk;
    }
    return requests;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    const QByteArrayView stream(data + 1, qsizetype(size - 1));
    const std::vector<Request> whole = run(stream, 0);
    const std::vector<Request> chunked = run(stream, unsigned(data[0]) + 1);
    FUZZ_CHECK(whole == chunked);
    return 0;
}
