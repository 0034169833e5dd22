// A raw Engine.IO long-polling client for the integration suites (tst_polling, tst_ops): one
// HTTP request per connection (Call) and a session by hand (Poller), parsed here rather than
// with the code under test.
#pragma once

#include "httpreply.h"

#include <QByteArrayList>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

#include <memory>

namespace polling {

using Reply = HttpReply;

// One HTTP request on its own connection; the answer may come later (a parked GET). The
// server runs in this thread: every wait spins the event loop.
class Call
{
public:
    Call(quint16 port, const QByteArray &method, const QByteArray &target,
         const QByteArray &body = {})
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: x\r\n";
        if (!body.isEmpty() || method == "POST")
            request += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " +
                       QByteArray::number(body.size()) + "\r\n";
        m_socket.write(request + "\r\n" + body);
    }

    // The whole answer (by its Content-Length) within `ms`.
    bool wait(int ms = 5000)
    {
        return QTest::qWaitFor([this] { return done(); }, ms);
    }
    bool answered()
    {
        QTest::qWait(0);
        return done();
    }
    Reply reply()
    {
        wait();
        return m_reply;
    }
    bool closedByServer()
    {
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::UnconnectedState; }, 5000);
    }

private:
    bool done()
    {
        m_raw += m_socket.readAll();
        const qsizetype split = m_raw.indexOf("\r\n\r\n");
        if (split < 0)
            return false;
        m_reply.headers = m_raw.left(split);
        m_reply.status = m_raw.mid(9, 3).toInt();
        const qint64 length = m_reply.header("content-length").toLongLong();
        if (m_raw.size() - split - 4 < length)
            return false;
        m_reply.body = m_raw.mid(split + 4, length);
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_raw;
    Reply m_reply;
};

const QByteArray Base = "/socket.io/?EIO=4&transport=polling";

// A polling client by hand: one sid, GETs and POSTs on fresh connections.
class Poller
{
public:
    explicit Poller(quint16 port) : m_port(port) {}

    // The handshake; returns the open packet's JSON.
    QJsonObject open()
    {
        const Reply reply = Call(m_port, "GET", Base).reply();
        if (reply.status != 200 || !reply.body.startsWith('0'))
            return {};
        const QJsonObject info = QJsonDocument::fromJson(reply.body.mid(1)).object();
        sid = info.value(u"sid").toString().toLatin1();
        return info;
    }
    QByteArray target() const { return Base + "&sid=" + sid; }
    Reply post(const QByteArray &payload)
    {
        return Call(m_port, "POST", target(), payload).reply();
    }
    std::unique_ptr<Call> startGet() { return std::make_unique<Call>(m_port, "GET", target()); }
    // The packets of the next GET, the server's pings answered and left out.
    QByteArrayList get()
    {
        for (int round = 0; round < 5; ++round) {
            const Reply reply = Call(m_port, "GET", target()).reply();
            if (reply.status != 200)
                return {"HTTP " + QByteArray::number(reply.status) + ' ' + reply.body};
            QByteArrayList packets;
            for (const QByteArray &packet : reply.packets()) {
                if (packet == "2")
                    post("3");
                else
                    packets << packet;
            }
            if (!packets.isEmpty())
                return packets;
        }
        return {};
    }
    // Joins `/` and returns the Socket.IO id.
    QString connect()
    {
        if (open().isEmpty() || post("40").body != "ok")
            return {};
        const QByteArrayList packets = get();
        if (packets.isEmpty() || !packets.first().startsWith("40{"))
            return {};
        return QJsonDocument::fromJson(packets.first().mid(2)).object().value(u"sid").toString();
    }
    // Sends an event with ack id `id` and returns the packets up to and including its ack.
    QByteArrayList call(int id, const QByteArray &eventJson)
    {
        if (post("42" + QByteArray::number(id) + eventJson).body != "ok")
            return {};
        QByteArrayList all;
        const QByteArray ack = "43" + QByteArray::number(id) + '[';
        for (int round = 0; round < 5; ++round) {
            all += get();
            for (const QByteArray &packet : std::as_const(all))
                if (packet.startsWith(ack))
                    return all;
        }
        return all;
    }
    // The session is gone: a GET takes what was left with a close packet, or is refused.
    bool closed()
    {
        for (int round = 0; round < 5; ++round) {
            const Reply reply = Call(m_port, "GET", target()).reply();
            if (reply.status == 400)
                return reply.json().value(u"code").toInt() == 1;
            if (reply.packets().last() == "1")
                return Call(m_port, "GET", target()).reply().status == 400;
        }
        return false;
    }

    QByteArray sid;

private:
    quint16 m_port;
};

} // namespace polling
