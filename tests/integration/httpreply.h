// An HTTP answer read back by the raw-HTTP suites (tst_http, tst_polling), parsed here rather
// than with the code under test.
#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QJsonDocument>
#include <QJsonObject>

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
};
