// The Qt WebSockets transport (`--transport qt`): a QWebSocket that QWebSocketServer made from
// an upgraded connection. The reference for behaviour, and the base for TLS later.
#pragma once

#include "switchboard/bounds.h"
#include "switchboard/transport.h"

#include <QObject>
#include <QPointer>

class QWebSocket;

namespace switchboard {

class QtTransport : public QObject, public Transport
{
    Q_OBJECT
public:
    QtTransport(QWebSocket *socket, qint64 maxPayload, BoundCounters *bounds);
    ~QtTransport() override;

    void sendText(const QByteArray &utf8) override;
    void send(const WireFrames &frames) override;
    qint64 bufferedBytes() const override;
    bool congested() override;
    void dispose(quint16 code, const QString &reason) override;

private:
    void onDisconnected();

    QPointer<QWebSocket> m_socket;
    BoundCounters *m_bounds;
};

} // namespace switchboard
