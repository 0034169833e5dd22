// One hostile client against a real switchboard-node process (issue 11, the connection-layer
// rows): each attack is its own case, bounded in bytes and seconds, while a bystander keeps
// joining rooms. Asserted: the node's RSS (from /proc) stays within a stated bound, the
// offender is refused or closed with a logged reason and a counter in /healthz "limits", and
// the bystander is served throughout. CTest runs the suite on both connection layers.
#include "nodeprocess.h"
#include "rawclient.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

namespace {

// A plain TCP connection made with POSIX calls: it reads only when asked, so the node's
// output backs up into a small receive buffer.
class RawSocket
{
public:
    explicit RawSocket(quint16 port, int receiveBuffer = 0)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (receiveBuffer > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected =
            ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    }
    ~RawSocket() { ::close(m_fd); }
    RawSocket(const RawSocket &) = delete;
    RawSocket &operator=(const RawSocket &) = delete;

    bool isConnected() const { return m_connected; }

    // What the kernel takes now: bytes written, 0 when full, -1 when the connection is gone.
    qint64 trySend(QByteArrayView data)
    {
        const ssize_t sent = ::send(m_fd, data.constData(), size_t(data.size()), MSG_NOSIGNAL);
        if (sent >= 0)
            return sent;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }

    // Sends `pattern` over and over as one stream (a partial write goes on where it stopped):
    // bytes written now, 0 when the kernel is full, -1 when the connection is gone.
    qint64 trySendRepeated(const QByteArray &pattern)
    {
        const qint64 sent = trySend(QByteArrayView(pattern).sliced(m_patternOffset));
        if (sent > 0)
            m_patternOffset = (m_patternOffset + sent) % pattern.size();
        return sent;
    }

    // Everything, within `ms`.
    bool sendAll(QByteArrayView data, int ms = 5000)
    {
        QElapsedTimer clock;
        clock.start();
        while (!data.isEmpty()) {
            const qint64 sent = trySend(data);
            if (sent < 0 || clock.elapsed() > ms)
                return false;
            data = data.sliced(sent);
            if (sent == 0)
                QTest::qWait(5);
        }
        return true;
    }

    // Reads what is there now.
    QByteArray readAvailable()
    {
        QByteArray all;
        char buffer[65536];
        for (;;) {
            const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (got > 0) {
                all.append(buffer, got);
                continue;
            }
            if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                m_ended = true;
            return all;
        }
    }

    // Reads until the peer closes or `ms` pass; what came.
    QByteArray readUntilClosed(int ms = 5000)
    {
        QByteArray all;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                all += readAvailable();
                return m_ended;
            },
            ms));
        return all;
    }

    // Reads until `marker` arrived (true) or `ms` passed.
    bool readUntil(QByteArrayView marker, int ms = 5000)
    {
        return QTest::qWaitFor(
            [&] {
                m_read += readAvailable();
                return m_read.contains(marker);
            },
            ms);
    }
    const QByteArray &read() const { return m_read; }

    // The node closed or reset the connection (without reading what it sent).
    bool closedByPeer()
    {
        pollfd p{m_fd, POLLRDHUP, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
    }

    void shutdownWrite() { ::shutdown(m_fd, SHUT_WR); }

    // A masked client frame (RFC 6455 5.3).
    static QByteArray frame(quint8 opcode, QByteArrayView payload)
    {
        QByteArray out;
        out.append(char(0x80 | opcode));
        if (payload.size() < 126) {
            out.append(char(0x80 | payload.size()));
        } else if (payload.size() < 65536) {
            out.append(char(0x80 | 126))
                .append(char(payload.size() >> 8))
                .append(char(payload.size()));
        } else {
            out.append(char(0x80 | 127));
            for (int shift = 56; shift >= 0; shift -= 8)
                out.append(char(quint64(payload.size()) >> shift));
        }
        const char mask[4] = {0x11, 0x22, 0x33, 0x44};
        out.append(mask, 4);
        for (qsizetype i = 0; i < payload.size(); ++i)
            out.append(char(payload[i] ^ mask[i % 4]));
        return out;
    }

    // Upgrades to a WebSocket at the Engine.IO path; true once the open packet is in.
    bool upgrade()
    {
        if (!sendAll("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
            return false;
        return readUntil("\"sid\"");
    }

private:
    int m_fd = -1;
    bool m_connected = false;
    bool m_ended = false;
    qsizetype m_patternOffset = 0;
    QByteArray m_read;
};

} // namespace

class TestHostile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void pipelinedRequestsNeverRead();
    void pipelinedRequestsAllAnswered();
    void pingFloodNeverRead();
    void attachmentFlood();
    void uploadCrowd();
    void bodyDeadline();
    void connectTimeoutStorm();
    void badUpgradesAreAnswered_data();
    void badUpgradesAreAnswered();
    void halfCloseAfterRequest();

private:
    bool startNode(const QStringList &args = {});
    // The bystander joins a room and gets its ack; false when it is not served.
    bool bystanderServed(int ms = 3000);
    quint64 limit(const char *name);
    qint64 rss() const { return m_node->rssKiB(); }
    // Runs `step` until it returns false or `ms` pass, serving the bystander and sampling the
    // node's RSS on the way; returns the peak RSS in KiB.
    qint64 whileServing(const std::function<bool()> &step, int ms);

    std::unique_ptr<NodeProcess> m_node;
    std::unique_ptr<RawClient> m_bystander;
    qint64 m_baseline = 0;
    int m_bystanderFailures = 0;
    int m_bystanderCalls = 0;
};

bool TestHostile::startNode(const QStringList &args)
{
    m_node = std::make_unique<NodeProcess>(QStringLiteral("hostile"), QString(), args);
    if (!m_node->start()) {
        qWarning("%s", qPrintable(m_node->error()));
        return false;
    }
    m_bystander = std::make_unique<RawClient>(m_node->engineUrl());
    if (m_bystander->handshake().isEmpty())
        return false;
    if (!bystanderServed())
        return false;
    m_baseline = rss();
    m_bystanderFailures = m_bystanderCalls = 0;
    return m_baseline > 0;
}

void TestHostile::init() {}

void TestHostile::cleanup()
{
    m_bystander.reset();
    if (m_node && QTest::currentTestFailed())
        qWarning("node log:\n%s", qPrintable(m_node->logTail()));
    if (m_node)
        m_node->terminate();
    m_node.reset();
}

bool TestHostile::bystanderServed(int ms)
{
    ++m_bystanderCalls;
    const QString reply = m_bystander->call(QStringLiteral(R"(["join","lobby"])"), ms);
    if (reply.contains(QStringLiteral("\"ok\":true")))
        return true;
    ++m_bystanderFailures;
    return false;
}

quint64 TestHostile::limit(const char *name)
{
    const QJsonObject health = m_node->health();
    return quint64(health.value(u"limits").toObject().value(QLatin1String(name)).toDouble(-1));
}

qint64 TestHostile::whileServing(const std::function<bool()> &step, int ms)
{
    QElapsedTimer clock, sinceBystander;
    clock.start();
    sinceBystander.start();
    qint64 peak = rss();
    while (clock.elapsed() < ms && step()) {
        peak = std::max(peak, rss());
        if (sinceBystander.elapsed() > 200) {
            bystanderServed();
            sinceBystander.restart();
        }
    }
    return std::max(peak, rss());
}

// Row 1: keep-alive requests pipelined by a client that reads none of the answers. The node
// answers one, then reads no more until that answer is out; the idle timeout closes it.
void TestHostile::pipelinedRequestsNeverRead()
{
    QVERIFY(startNode({QStringLiteral("--idle-timeout"), QStringLiteral("3000")}));
    RawSocket attacker(m_node->port(), 4096);
    QVERIFY(attacker.isConnected());
    QByteArray requests;
    for (int i = 0; i < 1000; ++i)
        requests += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    qint64 sent = 0;
    constexpr qint64 MaxSent = 32 << 20;
    const qint64 peak = whileServing(
        [&] {
            const qint64 n = attacker.trySendRepeated(requests);
            if (n < 0)
                return false;
            sent += n;
            if (n == 0)
                QTest::qWait(20);
            return sent < MaxSent;
        },
        6000);
    qInfo("sent %lld bytes of requests; node RSS %lld -> peak %lld KiB", sent, m_baseline, peak);
    QVERIFY2(NodeProcess::sanitized() || peak - m_baseline < 20 * 1024,
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(peak - m_baseline)));
    QVERIFY(sent < MaxSent); // the node stopped reading
    // Another connection is answered meanwhile, and the bystander was served throughout.
    QVERIFY(!m_node->health().isEmpty());
    QCOMPARE(m_bystanderFailures, 0);
    QVERIFY(QTest::qWaitFor([&] { return attacker.closedByPeer(); }, 8000));
    QCOMPARE(limit("http_pipeline"), quint64(1));
    QVERIFY(m_node->log().contains("bytes of answers unread"));
}

// The other side of row 1: a client that pipelines far more than the node reads ahead, and
// reads every answer, gets them all, in order.
void TestHostile::pipelinedRequestsAllAnswered()
{
    QVERIFY(startNode());
    RawSocket client(m_node->port());
    constexpr int Count = 5000; // about 170 KiB of requests, more than one read ahead
    QByteArray requests;
    for (int i = 0; i < Count; ++i)
        requests += "GET /healthz?n=" + QByteArray::number(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    qsizetype at = 0;
    QByteArray answers;
    QElapsedTimer clock;
    clock.start();
    while (answers.count("HTTP/1.1 200") < Count && clock.elapsed() < 20000) {
        if (at < requests.size()) {
            const qint64 sent = client.trySend(QByteArrayView(requests).sliced(at));
            QVERIFY(sent >= 0);
            at += sent;
        }
        answers += client.readAvailable();
        QTest::qWait(1);
    }
    QCOMPARE(answers.count("HTTP/1.1 200"), Count);
    QVERIFY(bystanderServed());
}

// Row 2: WebSocket pings in a loop from a client that never reads: the pongs it is owed count
// against --max-buffered, and it is cut off.
void TestHostile::pingFloodNeverRead()
{
    QVERIFY(startNode());
    RawSocket attacker(m_node->port(), 4096);
    QVERIFY(attacker.upgrade());
    QByteArray pings;
    for (int i = 0; i < 500; ++i)
        pings += RawSocket::frame(0x9, QByteArray(125, 'p'));
    qint64 sent = 0;
    constexpr qint64 MaxSent = 256 << 20;
    const qint64 peak = whileServing(
        [&] {
            const qint64 n = attacker.trySendRepeated(pings);
            if (n < 0 || attacker.closedByPeer())
                return false;
            sent += n;
            if (n == 0)
                QTest::qWait(5);
            return sent < MaxSent;
        },
        20000);
    qInfo("sent %lld bytes of pings; node RSS %lld -> peak %lld KiB", sent, m_baseline, peak);
    QVERIFY2(NodeProcess::sanitized() || peak - m_baseline < 30 * 1024,
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(peak - m_baseline)));
    QVERIFY(QTest::qWaitFor([&] { return attacker.closedByPeer(); }, 5000));
    QCOMPARE(limit("ws_control"), quint64(1));
    QVERIFY(m_node->log().contains("closing WebSocket from 127.0.0.1"));
    QCOMPARE(m_bystanderFailures, 0);
    QVERIFY(bystanderServed());
}

// Row 3: a packet announcing 51 000 attachments, then big binary frames: refused at its
// header, nothing pinned.
void TestHostile::attachmentFlood()
{
    QVERIFY(startNode());
    RawSocket attacker(m_node->port(), 4096);
    QVERIFY(attacker.upgrade());
    QVERIFY(attacker.sendAll(RawSocket::frame(0x1, "40")));
    QVERIFY(attacker.readUntil("40{"));
    QVERIFY(attacker.sendAll(
        RawSocket::frame(0x1, R"(451000-["files",{"_placeholder":true,"num":0}])")));
    const QByteArray binary = RawSocket::frame(0x2, QByteArray(990000, 'b'));
    // 998 frames and most of the 999th, the last one withheld.
    const qint64 total = 999 * binary.size() - 1000;
    qint64 sent = 0;
    const qint64 peak = whileServing(
        [&] {
            if (sent >= total || attacker.closedByPeer())
                return false;
            const qint64 n = attacker.trySendRepeated(binary);
            if (n < 0)
                return false;
            sent += n;
            if (n == 0)
                QTest::qWait(5);
            return true;
        },
        10000);
    const qint64 frames = sent / binary.size();
    qInfo("%lld binary frames went in; node RSS %lld -> peak %lld KiB", frames, m_baseline, peak);
    QVERIFY(QTest::qWaitFor([&] { return attacker.closedByPeer(); }, 5000));
    QCOMPARE(limit("attachments"), quint64(1));
    QVERIFY2(NodeProcess::sanitized() || peak - m_baseline < 20 * 1024,
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(peak - m_baseline)));
    QCOMPARE(m_bystanderFailures, 0);
}

// Row 4: a crowd of connections each sending all but the last byte of a 1 MB body. Bodies
// share one budget (--max-bodies-bytes): past it, new ones get 503 at their headers.
void TestHostile::uploadCrowd()
{
    QVERIFY(startNode({QStringLiteral("--max-bodies-bytes"), QString::number(16 << 20)}));
    constexpr int Crowd = 200;
    constexpr int Body = 1000000;
    std::vector<std::unique_ptr<RawSocket>> uploads;
    const QByteArray head =
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(Body) +
        "\r\n\r\n";
    const QByteArray chunk(64 * 1024, 'u');
    std::vector<qint64> sent(Crowd, 0);
    for (int i = 0; i < Crowd; ++i) {
        uploads.push_back(std::make_unique<RawSocket>(m_node->port()));
        QVERIFY(uploads.back()->sendAll(head));
    }
    const qint64 peak = whileServing(
        [&] {
            bool more = false;
            for (int i = 0; i < Crowd; ++i) {
                const qint64 left = Body - 1 - sent[size_t(i)];
                if (left <= 0 || sent[size_t(i)] < 0)
                    continue;
                const qint64 n = uploads[size_t(i)]->trySend(chunk.first(qMin(left, chunk.size())));
                if (n < 0)
                    sent[size_t(i)] = -1;
                else
                    sent[size_t(i)] += n;
                more = more || n > 0;
            }
            if (!more)
                QTest::qWait(20);
            return true;
        },
        4000);
    int refused = 0;
    for (auto &upload : uploads)
        refused += upload->readAvailable().startsWith("HTTP/1.1 503") ? 1 : 0;
    qInfo("%d of %d uploads refused with 503; node RSS %lld -> peak %lld KiB", refused, Crowd,
          m_baseline, peak);
    QVERIFY2(NodeProcess::sanitized() || peak - m_baseline < 40 * 1024,
             qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(peak - m_baseline)));
    QVERIFY(refused >= Crowd - 17);
    QVERIFY(limit("http_body") >= quint64(Crowd - 17));
    QVERIFY(m_node->log().contains("the bodies in flight fill their budget"));
    QCOMPARE(m_bystanderFailures, 0);
    // Gone: the bodies they held are given back, and so is the memory: less than half of the
    // 16 MiB budget stays (what glibc keeps of the freed heap varies: Qt's layer once kept
    // 7 MiB of a 23 MiB peak; the bodies kept would be 16 MiB).
    uploads.clear();
    QVERIFY2(NodeProcess::sanitized() ||
                 QTest::qWaitFor([&] { return rss() - m_baseline < 8 * 1024; }, 5000),
             qPrintable(QStringLiteral("RSS %1 KiB over the baseline after the crowd left")
                            .arg(rss() - m_baseline)));
}

// A body that stops coming: answered 408 once --body-timeout passed, whatever the idle timeout,
// and its share of the budget is given back.
void TestHostile::bodyDeadline()
{
    QVERIFY(startNode({QStringLiteral("--body-timeout"), QStringLiteral("1500"),
                       QStringLiteral("--max-bodies-bytes"), QStringLiteral("1500000")}));
    RawSocket slow(m_node->port());
    QVERIFY(slow.sendAll("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
                         QByteArray(1000, 'u')));
    // While it holds its share, a second body of that size does not fit.
    RawSocket second(m_node->port());
    QVERIFY(second.sendAll("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
    QVERIFY(second.readUntil("HTTP/1.1 503"));
    QVERIFY(slow.readUntil("HTTP/1.1 408", 6000));
    QCOMPARE(limit("http_body_time"), quint64(1));
    // Given back: the same body fits again, and is answered (404: no such route).
    RawSocket third(m_node->port());
    QVERIFY(third.sendAll("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
                          QByteArray(1000000, 'u')));
    QVERIFY(third.readUntil("HTTP/1.1 404"));
    QVERIFY(bystanderServed());
}

// Row 10: thousands of clients that never send CONNECT hit the connect timeout together; the
// node closes them in bounded batches, and the bystander is answered meanwhile.
void TestHostile::connectTimeoutStorm()
{
    QVERIFY(startNode({QStringLiteral("--connect-timeout"), QStringLiteral("3000")}));
    constexpr int Count = 5000;
    QProcess load;
    load.setProcessChannelMode(QProcess::SeparateChannels);
    load.start(QStringLiteral(SBLOAD_PATH),
               {QStringLiteral("--mode"), QStringLiteral("idle"), QStringLiteral("--engine-only"),
                QStringLiteral("--ports"), QString::number(m_node->port()),
                QStringLiteral("--count"), QString::number(Count), QStringLiteral("--hold"),
                QStringLiteral("30")});
    QVERIFY(load.waitForStarted());
    qint64 worst = 0;
    QElapsedTimer clock;
    clock.start();
    while (load.state() == QProcess::Running && clock.elapsed() < 40000) {
        QElapsedTimer call;
        call.start();
        QVERIFY(bystanderServed(10000));
        worst = std::max(worst, call.elapsed());
        QTest::qWait(20);
    }
    QVERIFY(load.state() == QProcess::NotRunning || load.waitForFinished(5000));
    const QByteArray out = load.readAllStandardOutput();
    qInfo("%s; worst bystander round trip %lld ms", out.trimmed().constData(), worst);
    QVERIFY2(out.contains("\"connections\":" + QByteArray::number(Count)), out.constData());
    QVERIFY2(out.contains("\"closed\":" + QByteArray::number(Count)), out.constData());
    QVERIFY2(worst < 2000, qPrintable(QStringLiteral("a bystander waited %1 ms").arg(worst)));
}

void TestHostile::badUpgradesAreAnswered_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("status");
    const QByteArray path = "GET /socket.io/?EIO=4&transport=websocket ";
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\n";
    QTest::newRow("invalid key") << path + "HTTP/1.1\r\nHost: x\r\n" + upgrade +
                                        "Sec-WebSocket-Key: not-a-key\r\n\r\n"
                                 << QByteArray("HTTP/1.1 400");
    QTest::newRow("no key") << path + "HTTP/1.1\r\nHost: x\r\n" + upgrade + "\r\n"
                            << QByteArray("HTTP/1.1 400");
    QByteArray many;
    for (int i = 0; i < 3000; ++i)
        many += "X-Filler-" + QByteArray::number(i) + ": 1\r\n";
    QTest::newRow("3000 headers") << path + "HTTP/1.1\r\nHost: x\r\n" + upgrade +
                                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + many +
                                         "\r\n"
                                  << QByteArray("HTTP/1.1 431");
    QTest::newRow("HTTP/1.0 without Host")
        << path + "HTTP/1.0\r\n" + upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        << QByteArray("HTTP/1.1 400");
    QTest::newRow("version 8") << path + "HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                         "Connection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
                                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                               << QByteArray("HTTP/1.1 400");
}

// Row 11: every refused upgrade gets an HTTP answer and a log line with the peer's address.
void TestHostile::badUpgradesAreAnswered()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, status);
    QVERIFY(startNode());
    RawSocket client(m_node->port());
    QVERIFY(client.sendAll(request));
    const QByteArray answer = client.readUntilClosed();
    QVERIFY2(answer.startsWith(status), answer.left(200).constData());
    QVERIFY(QTest::qWaitFor([&] { return m_node->log().contains("from 127.0.0.1"); }, 3000));
    QVERIFY(m_node->log().contains("refused"));
    QVERIFY(bystanderServed());
}

// Row 12: a keep-alive request followed at once by a half-close still gets its answer.
void TestHostile::halfCloseAfterRequest()
{
    QVERIFY(startNode());
    RawSocket client(m_node->port());
    QVERIFY(client.sendAll("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    client.shutdownWrite();
    const QByteArray answer = client.readUntilClosed();
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.left(200).constData());
    QVERIFY(answer.contains("\"status\""));
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
