// The seam between an Engine.IO session and the connection under it (engine.io's Transport):
// a transport moves whole messages and knows nothing of Engine.IO or Socket.IO; the session
// never knows which transport it has.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>

namespace switchboard {

// A Socket.IO packet framed for Engine.IO: the "4..." text message (UTF-8) and raw binary
// messages. One value is shared by every recipient of a broadcast; a transport may cache its
// own encoding of it in `wire`, built by the first recipient and reused by the others.
struct WireFrames
{
    QByteArray text;
    QList<QByteArray> binaries;
    std::shared_ptr<QByteArray> wire = std::make_shared<QByteArray>();
};

// What the client presented when its connection was opened, captured once.
struct HandshakeRecord
{
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased, in arrival order
    QByteArray target;                            // path and query as the client sent them
    QString address;                              // peer address
    bool secure = false;
};

// Receives what the peer sends. After transportClosed() nothing else is called.
class TransportHandler
{
public:
    virtual void transportText(const QByteArray &utf8) = 0;
    virtual void transportBinary(const QByteArray &data) = 0;
    virtual void transportClosed(const QString &reason, bool error) = 0;

protected:
    ~TransportHandler() = default;
};

class Transport
{
public:
    virtual ~Transport() = default;
    Transport(const Transport &) = delete;
    Transport &operator=(const Transport &) = delete;

    void setHandler(TransportHandler *handler) { m_handler = handler; }
    const HandshakeRecord &handshake() const { return m_handshake; }

    virtual void sendText(const QByteArray &utf8) = 0;
    virtual void send(const WireFrames &frames) = 0;
    // Bytes accepted by send() and not yet handed to the kernel.
    virtual qint64 bufferedBytes() const = 0;
    // Whether the peer is behind: output that the kernel would not take yet (a volatile
    // message is dropped then). Output that only waits for the end of the event loop's pass,
    // or for the write-coalescing tick, does not count.
    virtual bool congested() { return bufferedBytes() > 0; }
    // The end of the session: closes with `code` unless the peer is gone already, then frees
    // itself (at once, or once the close handshake is over). The caller forgets it; the
    // handler is called no more.
    virtual void dispose(quint16 code, const QString &reason) = 0;
    // For a broadcast's walk over its recipients (LocalAdapter::deliverLocally): asks the
    // cache for what send() will touch, `depth` 0 the transport's own fields, 1 what they
    // point to. A hint only: nothing changes.
    virtual void prefetchForSend(int depth) const { Q_UNUSED(depth); }

protected:
    Transport() = default;
    TransportHandler *m_handler = nullptr;
    HandshakeRecord m_handshake;
};

} // namespace switchboard
