// Arbitrary bytes down the node's HTTP request path: switchboard::HttpRequestParser (Debian's
// http-parser and the accumulation both connection layers use), driven as NetConnection
// drives it, then what the node makes of a request (its query items, the WebSocket key). Fed
// whole and in random chunks, the requests must be the same, and so must the offset where an
// upgrade's head ends (the first byte of the WebSocket stream).
// Input: [chunking seed byte][stream...].
#include "fuzzcheck.h"
#include "switchboard/httprequestparser.h"
#include "switchboard/websocket.h"

#include <QList>
#include <QPair>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace websocket = switchboard::websocket;
using switchboard::HttpFront;
using switchboard::HttpRequestParser;
using State = HttpRequestParser::State;

namespace {

struct Request
{
    State outcome = State::Request;
    QByteArray method;
    QByteArray target;
    QString path;
    QList<QPair<QString, QString>> query;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool keepAlive = false;
    bool upgrade = false;
    qsizetype start = -1; // stream offsets of the request's first byte and of the one after it
    qsizetype end = -1;
    friend bool operator==(const Request &, const Request &) = default;
};

// One connection: feeds what arrives, acts on each outcome as NetConnection::processHttp
// does, and stops where the node stops reading HTTP (an upgrade, an error, no keep-alive).
class Connection
{
public:
    Connection(const switchboard::HttpLimits &limits, switchboard::BodyBudget *budget)
        : m_parser(limits, budget)
    {}

    void feed(QByteArrayView bytes)
    {
        while (!m_done && !bytes.isEmpty()) {
            const size_t length = size_t(bytes.size());
            const size_t used = m_parser.feed(bytes.constData(), length);
            FUZZ_CHECK(used <= length);
            const State state = m_parser.state();
            // Short of a whole request, every byte is taken (http-parser keeps what it needs).
            FUZZ_CHECK(state != State::NeedMore || used == length);
            m_offset += qsizetype(used);
            bytes = bytes.sliced(qsizetype(used));
            switch (state) {
            case State::NeedMore:
                break;
            case State::TooLarge:
            case State::HeadersTooLarge:
            case State::NoRoom:
            case State::Error:
                // The node answers 413, 431, 503 or 400 from the state alone and drops the rest.
                FUZZ_CHECK(state != State::Error || !m_parser.errorText().isEmpty());
                // One kind of outcome: a limit is seen when http-parser calls back, which
                // depends on where the chunks end, so a head or body both over a limit and
                // malformed may be refused for either reason.
                requests.emplace_back().outcome = State::Error;
                m_done = true;
                break;
            case State::Request:
            case State::Upgrade: {
                const bool keepAlive = state == State::Request && m_parser.keepAlive();
                requests.push_back(take(state, keepAlive));
                FUZZ_CHECK(m_parser.state() == State::NeedMore);
                m_done = state == State::Upgrade || !keepAlive;
                break;
            }
            }
        }
    }

    std::vector<Request> requests;

private:
    Request take(State outcome, bool keepAlive)
    {
        switchboard::HttpRequest taken = m_parser.take(QHostAddress::LocalHost);
        Request request{outcome,
                        taken.method,
                        taken.target,
                        taken.path,
                        taken.query.queryItems(QUrl::FullyDecoded),
                        taken.headers,
                        taken.body,
                        keepAlive,
                        taken.upgrade,
                        m_start,
                        m_offset};
        m_start = m_offset;
        FUZZ_CHECK(request.upgrade == (outcome == State::Upgrade));
        FUZZ_CHECK(request.body.size() <= 4096);
        FUZZ_CHECK(!request.method.isEmpty());
        for (const auto &[name, value] : request.headers) {
            FUZZ_CHECK(name == name.toLower());
            if (name == "sec-websocket-key" && websocket::isValidKey(value))
                FUZZ_CHECK(websocket::acceptKey(value).size() == 28);
        }
        return request;
    }

    HttpRequestParser m_parser;
    qsizetype m_start = 0;  // where the request being parsed began
    qsizetype m_offset = 0; // of the stream, how much the parser has taken
    bool m_done = false;
};

std::vector<Request> run(QByteArrayView stream, unsigned seed)
{
    // Small limits, so that the fuzzer reaches them; the budget is what every connection of a
    // front shares, and all of it comes back when the connection goes.
    switchboard::HttpLimits limits;
    limits.maxHeaderBytes = 2048;
    limits.maxHeaders = 16;
    limits.maxBodyBytes = 4096;
    switchboard::BodyBudget budget;
    budget.setLimit(3000);
    auto connection = std::make_unique<Connection>(limits, &budget);
    std::minstd_rand chunks(seed);
    qsizetype at = 0;
    while (at < stream.size()) {
        const qsizetype wanted = seed == 0 ? stream.size() : qsizetype(1 + chunks() % 64);
        const qsizetype chunk = qMin(wanted, stream.size() - at);
        connection->feed(stream.sliced(at, chunk));
        FUZZ_CHECK(budget.used() >= 0 && budget.used() <= budget.limit());
        at += chunk;
    }
    std::vector<Request> requests = std::move(connection->requests);
    connection.reset();
    FUZZ_CHECK(budget.used() == 0);
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
    // A request's bytes alone are that request, all of them taken: a head that ends one byte
    // early (an upgrade's final LF left for the WebSocket stream) or late shows here.
    for (const Request &request : whole) {
        if (request.outcome != State::Request && request.outcome != State::Upgrade)
            continue;
        std::vector<Request> alone =
            run(stream.sliced(request.start, request.end - request.start), 0);
        FUZZ_CHECK(alone.size() == 1);
        FUZZ_CHECK(alone[0].start == 0 && alone[0].end == request.end - request.start);
        alone[0].start = request.start;
        alone[0].end = request.end;
        FUZZ_CHECK(alone[0] == request);
    }
    return 0;
}
