// An HTTP answer read back by the raw-HTTP suites (tst_http, tst_polling, tst_emitapi), parsed
// here rather than with the code under test, and the raw exchange that gets it.
#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTest>

struct HttpReply
{
    int status = 0;
    QByteArray headers; // the status line and the headers, as sent
    QByteArray body;

    // The value of header `name` (case-insensitive); null when absent, joined when repeated.
    QByteArray header(QByteArrayView name) const
    {
        QByteArrayList values;
        for (const QByteArray &line : headers.split('\n').mid(1)) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                values << line.mid(colon + 1).trimmed();
        }
        return values.isEmpty() ? QByteArray() : values.join(", ");
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    // An Engine.IO long-polling payload's packets.
    QByteArrayList packets() const { return body.split('\x1e'); }

    // The first answer in `raw`; status 0 when there is none.
    static HttpReply parse(const QByteArray &raw)
    {
        HttpReply reply;
        const qsizetype split = raw.indexOf("\r\n\r\n");
        if (split < 0)
            return reply;
        reply.headers = raw.left(split);
        reply.body = raw.mid(split + 4);
        reply.status = raw.mid(9, 3).toInt();
        return reply;
    }
};

// Sends raw request bytes and reads responses until the server closes the connection.
// A server in this thread runs meanwhile: every wait spins the event loop.
inline QByteArray httpExchange(quint16 port, const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000))
        return {};
    socket.write(request);
    QByteArray all;
    const bool closed = QTest::qWaitFor(
        [&] {
            all += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        5000);
    if (!closed)
        qWarning("server did not close the connection within 5 s");
    return all + socket.readAll();
}
