// One Socket.IO socket of a raw client in one namespace, with an inbox that keeps every frame
// (RawClient::call drops the frames before the ack it waits for; this does not). Arguments go
// out either as values (written by the project's JSON writer) or as JSON text sent as it is,
// for data that only a hostile client would write.
#pragma once

#include "rawclient.h"

#include "switchboard/json.h"

#include <QHash>
#include <QTest>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

// The project's own compact JSON writer.
inline QString toJson(const QVariant &value)
{
    return QString::fromUtf8(switchboard::json::serialize(value));
}

class Peer
{
public:
    explicit Peer(const QUrl &url, QString nsp = QStringLiteral("/"))
        : client(url), m_nsp(std::move(nsp))
    {}

    bool connect(const QByteArray &auth = {})
    {
        id = client.handshake(m_nsp, auth);
        return !id.isEmpty();
    }

    const QString &nsp() const { return m_nsp; }

    // Moves what arrived into the inbox.
    void pump()
    {
        while (!client.texts.isEmpty()) {
            const QString text = client.texts.takeFirst();
            const std::optional<Frame> frame = parseFrame(text);
            if (!frame || frame->nsp != m_nsp) {
                others << text;
                continue;
            }
            switch (frame->type) {
            case 1:
                ++disconnects;
                break;
            case 2:
                events << *frame;
                break;
            case 3:
                acks.insert(frame->id, frame->data.value(0));
                break;
            default:
                others << text;
            }
        }
    }

    // Sends `[event, arg]` where `argJson` is the JSON text of `arg`, sent as it is.
    void emitJson(const QString &event, const QString &argJson, qint64 ackId = -1)
    {
        client.send(QStringLiteral("42") + prefix() +
                    (ackId >= 0 ? QString::number(ackId) : QString()) + u'[' + toJson(event) +
                    u',' + argJson + u']');
    }

    void emitEvent(const QString &event, const QVariant &arg, qint64 ackId = -1)
    {
        emitJson(event, toJson(arg), ackId);
    }

    // Emits with a fresh ack id and returns it, to wait for with ackOf().
    qint64 emitJsonWithAck(const QString &event, const QString &argJson)
    {
        const qint64 ackId = m_nextAck++;
        emitJson(event, argJson, ackId);
        return ackId;
    }

    qint64 emitWithAck(const QString &event, const QVariant &arg)
    {
        return emitJsonWithAck(event, toJson(arg));
    }

    // The first argument of the ack, or nullopt when none came within `ms`.
    std::optional<QVariant> ackOf(qint64 ackId, int ms = 5000)
    {
        if (!QTest::qWaitFor(
                [&] {
                    pump();
                    return acks.contains(ackId);
                },
                ms))
            return std::nullopt;
        return acks.take(ackId);
    }

    QVariantMap callJson(const QString &event, const QString &argJson, int ms = 5000)
    {
        return replyOf(emitJsonWithAck(event, argJson), ms);
    }

    QVariantMap call(const QString &event, const QVariant &arg, int ms = 5000)
    {
        return replyOf(emitWithAck(event, arg), ms);
    }

    // The relay events of server/switchboard/relayservice.cpp.
    QVariantMap join(const QVariant &rooms) { return call(QStringLiteral("join"), rooms); }
    QVariantMap leave(const QVariant &rooms) { return call(QStringLiteral("leave"), rooms); }
    QVariantMap send(const QVariantMap &request) { return call(QStringLiteral("send"), request); }

    void answer(const Frame &frame, const QVariantList &args)
    {
        client.send(QStringLiteral("43") + prefix() + QString::number(frame.id) + toJson(args));
    }

    // Moves the ack ids of the events that asked for one to `asked`; the events go.
    void keepAskedIds()
    {
        pump();
        for (const Frame &frame : std::as_const(events))
            if (frame.id >= 0)
                asked << frame.id;
        events.clear();
    }

    // Answers every event that asked for an ack with {"got":1}; returns how many.
    int answerAll()
    {
        keepAskedIds();
        for (qint64 ackId : std::as_const(asked))
            client.send(QStringLiteral("43") + prefix() + QString::number(ackId) +
                        QStringLiteral("[{\"got\":1}]"));
        return int(std::exchange(asked, {}).size());
    }

    // Waits for an event frame matching `match`, removes it from the inbox and returns it.
    std::optional<Frame> waitEvent(const std::function<bool(const Frame &)> &match, int ms = 5000)
    {
        std::optional<Frame> found;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                pump();
                for (qsizetype i = 0; i < events.size(); ++i) {
                    if (match(events.at(i))) {
                        found = events.takeAt(i);
                        return true;
                    }
                }
                return false;
            },
            ms));
        return found;
    }

    // Waits for the "message" event whose data is `fence`; returns every event frame that came
    // before it (removed from the inbox with the fence), or nullopt when the fence never came.
    std::optional<QList<Frame>> untilMessage(const QString &fence, int ms = 5000)
    {
        return until(
            [&fence](const Frame &frame) {
                return frame.event() == u"message" &&
                       frame.payload().value(QStringLiteral("data")).toString() == fence;
            },
            ms);
    }

    // The same with an event named `fence` as the fence.
    std::optional<QList<Frame>> untilEvent(const QString &fence, int ms = 5000)
    {
        return until([&fence](const Frame &frame) { return frame.event() == fence; }, ms);
    }

    bool waitDisconnectPacket(int ms = 5000)
    {
        return QTest::qWaitFor(
            [&] {
                pump();
                return disconnects > 0;
            },
            ms);
    }

    RawClient client;
    QString id;
    QList<Frame> events;
    QHash<qint64, QVariant> acks; // the first argument of each ack, by ack id
    QList<qint64> asked;          // ack ids of events not answered yet (keepAskedIds)
    QStringList others;
    int disconnects = 0;

private:
    QString prefix() const { return m_nsp == u"/" ? QString() : m_nsp + u','; }

    // A missing ack reads as a map that says so, so that a comparison names the problem.
    QVariantMap replyOf(qint64 ackId, int ms)
    {
        const std::optional<QVariant> reply = ackOf(ackId, ms);
        return reply ? reply->toMap() : QVariantMap{{QStringLiteral("test"), u"no ack"_qs}};
    }

    std::optional<QList<Frame>> until(const std::function<bool(const Frame &)> &isFence, int ms)
    {
        std::optional<QList<Frame>> before;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                pump();
                for (qsizetype i = 0; i < events.size(); ++i) {
                    if (isFence(events.at(i))) {
                        before = events.mid(0, i);
                        events.remove(0, i + 1);
                        return true;
                    }
                }
                return false;
            },
            ms));
        return before;
    }

    QString m_nsp;
    qint64 m_nextAck = 1;
};

// The frames' texts, for failure messages.
inline QString frameTexts(const QList<Frame> &frames)
{
    QStringList out;
    for (const Frame &frame : frames)
        out << frame.text;
    return out.join(u" | ");
}

// A client of `url` connected to `nsp`, in `room` (the relay's join) when one is given; null
// when either failed.
inline std::unique_ptr<Peer> joinedPeer(const QUrl &url, const QString &room = {},
                                        const QString &nsp = QStringLiteral("/"))
{
    auto peer = std::make_unique<Peer>(url, nsp);
    if (!peer->connect())
        return nullptr;
    if (!room.isEmpty() && !peer->join(room).value(QStringLiteral("ok")).toBool())
        return nullptr;
    return peer;
}

// The event frames each of `peers` got before the event named `fence` (removed with it), or
// nullopt, with a warning that names the socket and its inbox, when one never got the fence.
inline std::optional<QList<QList<Frame>>> framesBefore(const QList<Peer *> &peers,
                                                       const QString &fence)
{
    QList<QList<Frame>> before;
    for (Peer *peer : peers) {
        const auto frames = peer->untilEvent(fence);
        if (!frames) {
            qWarning("socket %s never got the fence %s; inbox: %s", qPrintable(peer->id),
                     qPrintable(fence), qPrintable(frameTexts(peer->events)));
            return std::nullopt;
        }
        before << *frames;
    }
    return before;
}
