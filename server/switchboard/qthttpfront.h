// The HTTP front of `--transport qt`: QTcpServer connections parsed with http-parser, and
// upgrades handed, unread, to QWebSocketServer::handleConnection.
#pragma once

#include "switchboard/httpfront.h"

class QTcpServer;
class QTcpSocket;
class QWebSocketServer;

namespace switchboard {

class QtHttpFront : public HttpFront
{
    Q_OBJECT
public:
    explicit QtHttpFront(QObject *parent = nullptr);
    ~QtHttpFront() override;

    bool listen(const QHostAddress &address, quint16 port) override;
    void close() override;
    quint16 serverPort() const override;
    QString errorString() const override;

private:
    friend class HttpConnection;
    void adoptWebSocket(QTcpSocket *socket);

    QTcpServer *m_tcp;
    QWebSocketServer *m_ws;
};

} // namespace switchboard
