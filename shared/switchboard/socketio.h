// Socket.IO v5 packets: encoding to text + binary attachments, and a decoder that
// reassembles binary packets from the frames that follow them. Pure functions over bytes.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QVariant>

namespace switchboard::socketio {

enum class PacketType : quint8
{
    Connect = 0,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck
};

inline constexpr qint64 NoAck = -1;
inline constexpr int MaxAttachments = 1000;
// Nesting of arrays and objects a packet's data may have (json::depth), its EVENT or ACK
// array included: the node's --max-depth, the same on the client and the cluster wire.
inline constexpr int DefaultMaxDepth = 32;

// `data` is an invalid QVariant when the packet carries no payload; binary values are
// QByteArray leaves anywhere in the tree.
struct Packet
{
    PacketType type = PacketType::Event;
    QString nsp = QStringLiteral("/");
    qint64 id = NoAck;
    QVariant data;
    friend bool operator==(const Packet &, const Packet &) = default;
};

// A packet ready for the wire: one text frame and its binary attachments, in order.
struct Encoded
{
    QByteArray text;
    QList<QByteArray> attachments;
    friend bool operator==(const Encoded &, const Encoded &) = default;
};

// EVENT/ACK become BINARY_EVENT/BINARY_ACK when the payload holds binary leaves.
Encoded encode(const Packet &packet);

// Parses one text packet. Placeholders for binary attachments stay in `data` as
// {"_placeholder":true,"num":N}; `attachments` says how many binary frames follow.
struct Header
{
    Packet packet;
    int attachments = 0;
    // Set on a failure because the data was nested deeper than `maxDepth`.
    bool tooDeep = false;
};
// Data nested deeper than `maxDepth` is refused before it is parsed. With attachments, each
// placeholder object stands for a binary leaf: the text may be one level deeper, and the
// Decoder checks the reconstructed data.
Decoded<Header> decodeText(QByteArrayView text, int maxDepth = DefaultMaxDepth);

// Feeds frames in arrival order and yields whole packets. After an error the decoder is
// reset; the caller is expected to drop the connection.
class Decoder
{
public:
    enum class Status
    {
        Complete,
        NeedMore,
        Error
    };
    // The bound of Limits an Error ran into, if any.
    enum class Limit
    {
        None,
        Attachments, // their count or their bytes
        Depth
    };
    struct Result
    {
        Status status = Status::NeedMore;
        Packet packet;
        QString error;
        Limit limit = Limit::None;
    };

    // What one packet may bring: a packet over any bound is an error, caught where the
    // bytes arrive (the count in the header, the bytes as each frame comes, the nesting
    // before the JSON is parsed).
    struct Limits
    {
        int maxAttachments = 10; // socket.io-parser's default
        qint64 maxAttachmentBytes = 1000000;
        int maxDepth = DefaultMaxDepth;
    };
    void setLimits(const Limits &limits) { m_limits = limits; }

    Result addText(QByteArrayView text);
    Result addBinary(const QByteArray &data);
    bool reconstructing() const { return m_expected > 0; }
    void reset();

private:
    Result finish();

    Limits m_limits;
    Packet m_pending;
    int m_expected = 0;
    qint64 m_bufferedBytes = 0;
    QList<QByteArray> m_buffers;
};

// Replaces {"_placeholder":true,"num":N} with buffers[N]; fails on a bad or missing index.
Decoded<QVariant> reconstruct(const QVariant &data, const QList<QByteArray> &buffers);

bool isReservedEvent(QStringView name);
const char *typeName(PacketType type);

} // namespace switchboard::socketio
