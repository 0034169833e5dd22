// Engine.IO v4 packets as carried by WebSocket frames and by HTTP long-polling payloads: pure
// functions over bytes.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QList>
#include <QStringList>

namespace switchboard::engineio {

enum class PacketType : quint8
{
    Open = 0,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop
};

struct Packet
{
    PacketType type = PacketType::Noop;
    QByteArray data;
    bool binary = false; // a message that arrived (or leaves) as a binary frame
    friend bool operator==(const Packet &, const Packet &) = default;
};

// The handshake values a server announces in its open packet.
struct OpenInfo
{
    QString sid;
    QStringList upgrades;
    int pingInterval = 25000;
    int pingTimeout = 20000;
    qint64 maxPayload = 1000000;
    friend bool operator==(const OpenInfo &, const OpenInfo &) = default;
};

// "<digit><data>" for a text frame; binary packets are their bytes as they are.
QByteArray encode(const Packet &packet);
QByteArray encodeText(PacketType type, QByteArrayView data = {});

Decoded<Packet> decodeText(QByteArrayView frame);
Packet decodeBinary(const QByteArray &frame);

// Long-polling payloads: packets joined by the record separator 0x1e; a binary message is
// 'b' followed by its bytes in base64.
constexpr char PayloadSeparator = '\x1e';
QByteArray encodePayload(const QList<Packet> &packets);
// Appends one packet to a payload being built (a separator first unless it is empty);
// `encodedText` is a text packet as encode() made it.
void appendToPayload(QByteArray &payload, const Packet &packet);
void appendTextToPayload(QByteArray &payload, QByteArrayView encodedText);
// Every packet of a payload, or the reason it is malformed (an empty packet, an unknown
// type, invalid base64): a payload is accepted whole or not at all.
Decoded<QList<Packet>> decodePayload(QByteArrayView payload);

QByteArray encodeOpen(const OpenInfo &info);
Decoded<OpenInfo> decodeOpen(QByteArrayView data);

const char *typeName(PacketType type);

} // namespace switchboard::engineio
