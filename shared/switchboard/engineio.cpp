#include "switchboard/engineio.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace switchboard::engineio {

QByteArray encodeText(PacketType type, QByteArrayView data)
{
    QByteArray out;
    out.reserve(data.size() + 1);
    out.append(char('0' + int(type)));
    out.append(data.data(), data.size());
    return out;
}

QByteArray encode(const Packet &packet)
{
    return packet.binary ? packet.data : encodeText(packet.type, packet.data);
}

Decoded<Packet> decodeText(QByteArrayView frame)
{
    if (frame.isEmpty())
        return Decoded<Packet>::failure(QStringLiteral("empty Engine.IO packet"));
    const char digit = frame.front();
    if (digit < '0' || digit > '6')
        return Decoded<Packet>::failure(
            QStringLiteral("unknown Engine.IO packet type %1")
                .arg(digit >= ' ' && digit < 0x7f ? QStringLiteral("'%1'").arg(QLatin1Char(digit))
                                                  : QStringLiteral("byte %1").arg(uchar(digit))));
    return Packet{PacketType(digit - '0'), frame.sliced(1).toByteArray(), false};
}

Packet decodeBinary(const QByteArray &frame)
{
    return Packet{PacketType::Message, frame, true};
}

void appendTextToPayload(QByteArray &payload, QByteArrayView encodedText)
{
    if (!payload.isEmpty())
        payload += PayloadSeparator;
    payload += encodedText;
}

void appendToPayload(QByteArray &payload, const Packet &packet)
{
    if (!payload.isEmpty())
        payload += PayloadSeparator;
    if (packet.binary) {
        payload += 'b';
        payload += packet.data.toBase64();
    } else {
        payload += char('0' + int(packet.type));
        payload += packet.data;
    }
}

QByteArray encodePayload(const QList<Packet> &packets)
{
    QByteArray out;
    for (const Packet &packet : packets)
        appendToPayload(out, packet);
    return out;
}

Decoded<QList<Packet>> decodePayload(QByteArrayView payload)
{
    using Result = Decoded<QList<Packet>>;
    if (payload.isEmpty())
        return Result::failure(QStringLiteral("empty payload"));
    QList<Packet> packets;
    qsizetype start = 0;
    for (int index = 0;; ++index) {
        qsizetype end = payload.indexOf(PayloadSeparator, start);
        if (end < 0)
            end = payload.size();
        const QByteArrayView part = payload.sliced(start, end - start);
        if (part.isEmpty())
            return Result::failure(
                QStringLiteral("empty packet at index %1 of the payload").arg(index));
        if (part.front() == 'b') {
            const auto decoded = QByteArray::fromBase64Encoding(
                part.sliced(1).toByteArray(), QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded)
                return Result::failure(
                    QStringLiteral("invalid base64 in binary packet at index %1 of the payload")
                        .arg(index));
            packets.append(Packet{PacketType::Message, *decoded, true});
        } else {
            Decoded<Packet> packet = decodeText(part);
            if (!packet)
                return Result::failure(
                    QStringLiteral("%1 at index %2 of the payload").arg(packet.error()).arg(index));
            packets.append(std::move(*packet));
        }
        if (end == payload.size())
            break;
        start = end + 1;
    }
    return packets;
}

QByteArray encodeOpen(const OpenInfo &info)
{
    // Written by hand so the keys keep the order every Engine.IO server sends them in.
    QByteArray out = "0{\"sid\":\"";
    out += info.sid.toLatin1();
    out += "\",\"upgrades\":";
    out += QJsonDocument(QJsonArray::fromStringList(info.upgrades)).toJson(QJsonDocument::Compact);
    out += ",\"pingInterval\":" + QByteArray::number(info.pingInterval);
    out += ",\"pingTimeout\":" + QByteArray::number(info.pingTimeout);
    out += ",\"maxPayload\":" + QByteArray::number(info.maxPayload);
    out += '}';
    return out;
}

Decoded<OpenInfo> decodeOpen(QByteArrayView data)
{
    const QJsonDocument doc = QJsonDocument::fromJson(data.toByteArray());
    if (!doc.isObject())
        return Decoded<OpenInfo>::failure(QStringLiteral("open packet is not a JSON object"));
    const QJsonObject obj = doc.object();
    OpenInfo info;
    info.sid = obj.value(u"sid").toString();
    if (info.sid.isEmpty())
        return Decoded<OpenInfo>::failure(QStringLiteral("open packet has no sid"));
    for (const QJsonValue &u : obj.value(u"upgrades").toArray())
        info.upgrades << u.toString();
    info.pingInterval = obj.value(u"pingInterval").toInt(-1);
    info.pingTimeout = obj.value(u"pingTimeout").toInt(-1);
    info.maxPayload = obj.value(u"maxPayload").toInteger(-1);
    if (info.pingInterval <= 0 || info.pingTimeout <= 0 || info.maxPayload <= 0)
        return Decoded<OpenInfo>::failure(QStringLiteral("open packet lacks timing or maxPayload"));
    return info;
}

const char *typeName(PacketType type)
{
    static constexpr const char *names[] = {"open",    "close",   "ping", "pong",
                                            "message", "upgrade", "noop"};
    return names[int(type)];
}

} // namespace switchboard::engineio
