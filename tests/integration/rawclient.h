// A WebSocket client that speaks Engine.IO/Socket.IO by hand, for driving a server with
// exact frames (valid or not) and reading exactly what it answers.
#pragma once

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QWebSocket>

#include <optional>

class RawClient : public QObject
{
    Q_OBJECT
public:
    explicit RawClient(const QUrl &url, bool answerPings = true) : m_answerPings(answerPings)
    {
        m_socket.setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
        connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            if (m_answerPings && text == u"2") {
                m_socket.sendTextMessage(QStringLiteral("3"));
                ++pingsAnswered;
                return;
            }
            texts.append(text);
        });
        connect(&m_socket, &QWebSocket::binaryMessageReceived, this,
                [this](const QByteArray &data) { binaries.append(data); });
        connect(&m_socket, &QWebSocket::disconnected, this, [this] { closed = true; });
        m_socket.open(url);
    }

    QWebSocket &socket() { return m_socket; }

    bool waitConnected(int ms = 5000)
    {
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, ms);
    }
    bool waitClosed(int ms = 5000)
    {
        return QTest::qWaitFor([this] { return closed; }, ms);
    }

    // The next text frame, or a null string after `ms`.
    QString next(int ms = 5000)
    {
        if (!QTest::qWaitFor([this] { return !texts.isEmpty(); }, ms))
            return {};
        return texts.takeFirst();
    }

    // Reads frames until one starts with `prefix`; the ones before it are dropped.
    QString nextStartingWith(const QString &prefix, int ms = 5000)
    {
        QDeadlineTimer deadline(ms);
        while (!deadline.hasExpired()) {
            const QString text = next(int(deadline.remainingTime()));
            if (text.isNull())
                return {};
            if (text.startsWith(prefix))
                return text;
        }
        return {};
    }

    void send(const QString &text) { m_socket.sendTextMessage(text); }
    void sendBinary(const QByteArray &data) { m_socket.sendBinaryMessage(data); }

    // Reads the open packet and joins `nsp`; returns the socket id or a null string.
    QString handshake(const QString &nsp = QStringLiteral("/"), const QByteArray &auth = {})
    {
        if (!waitConnected())
            return {};
        const QString open = next();
        if (!open.startsWith(u'0'))
            return {};
        openInfo = QJsonDocument::fromJson(open.mid(1).toUtf8()).object();
        return join(nsp, auth);
    }

    QString join(const QString &nsp, const QByteArray &auth = {})
    {
        const QString prefix =
            nsp == u"/" ? QStringLiteral("40") : QStringLiteral("40%1,").arg(nsp);
        send(prefix + QString::fromUtf8(auth));
        const QString reply = nextStartingWith(QStringLiteral("4"));
        if (!reply.startsWith(prefix))
            return {};
        return QJsonDocument::fromJson(reply.mid(prefix.size()).toUtf8())
            .object()
            .value(u"sid")
            .toString();
    }

    // Sends an event with an ack id and returns the ACK frame's JSON payload text.
    QString call(const QString &eventJson, int ms = 5000)
    {
        const QString id = QString::number(m_nextAck++);
        send(QStringLiteral("42") + id + eventJson);
        const QString prefix = QStringLiteral("43") + id;
        const QString reply = nextStartingWith(prefix + u'[', ms);
        return reply.isNull() ? QString() : reply.mid(prefix.size());
    }

    QStringList texts;
    QList<QByteArray> binaries;
    QJsonObject openInfo;
    bool closed = false;
    int pingsAnswered = 0;

private:
    QWebSocket m_socket;
    bool m_answerPings;
    int m_nextAck = 0;
};

// A Socket.IO packet read back from a text frame, parsed here rather than with the code
// under test.
struct Frame
{
    int type = -1;
    QString nsp = QStringLiteral("/");
    qint64 id = -1;
    QVariantList data;
    QString text;

    QString event() const { return data.value(0).toString(); }
    QVariantMap payload() const { return data.value(1).toMap(); }
};

inline std::optional<Frame> parseFrame(const QString &text)
{
    if (text.size() < 2 || text.at(0) != u'4' || !text.at(1).isDigit())
        return std::nullopt;
    Frame frame;
    frame.text = text;
    frame.type = text.at(1).digitValue();
    qsizetype i = 2;
    if (i < text.size() && text.at(i) == u'/') {
        const qsizetype comma = text.indexOf(u',', i);
        if (comma < 0) {
            frame.nsp = text.mid(i);
            return frame;
        }
        frame.nsp = text.mid(i, comma - i);
        i = comma + 1;
    }
    const qsizetype digits = i;
    while (i < text.size() && text.at(i).isDigit())
        ++i;
    if (i > digits)
        frame.id = text.mid(digits, i - digits).toLongLong();
    if (i < text.size()) {
        const QJsonDocument doc = QJsonDocument::fromJson(text.mid(i).toUtf8());
        if (doc.isArray())
            frame.data = doc.array().toVariantList();
        else if (doc.isObject())
            frame.data = {doc.object().toVariantMap()};
    }
    return frame;
}
