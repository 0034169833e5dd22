#include "switchboard/clusterwire.h"

#include "switchboard/json.h"
#include "switchboard/msgpackvariant.h"

namespace switchboard::cluster {

namespace {

QByteArray utf8(const QString &s)
{
    return s.toUtf8();
}

QStringList stringList(const QVariant &value)
{
    QStringList out;
    // socket.io allows numeric room names: they arrive as numbers and match as text.
    for (const QVariant &item : value.toList())
        out << item.toString();
    return out;
}

} // namespace

QByteArray Channels::broadcast(const QString &nsp) const
{
    return utf8(m_key + u'#' + nsp + u'#');
}

QByteArray Channels::broadcastRoom(const QString &nsp, const QString &room) const
{
    return utf8(m_key + u'#' + nsp + u'#' + room + u'#');
}

QByteArray Channels::broadcastPattern(const QString &nsp) const
{
    return utf8(m_key + u'#' + nsp + QLatin1String("#*"));
}

QByteArray Channels::request(const QString &nsp) const
{
    return utf8(m_key + QLatin1String("-request#") + nsp + u'#');
}

QByteArray Channels::response(const QString &nsp) const
{
    return utf8(m_key + QLatin1String("-response#") + nsp + u'#');
}

QByteArray Channels::specificResponse(const QString &nsp, const QString &uid) const
{
    return utf8(m_key + QLatin1String("-response#") + nsp + u'#' + uid + u'#');
}

QByteArray Channels::presence() const
{
    return utf8(m_key + QLatin1String("-switchboard#presence#"));
}

QByteArray Channels::presenceKey(const QString &uid) const
{
    return utf8(m_key + QLatin1String("-switchboard#node#") + uid);
}

QByteArray Channels::presenceKeyPattern() const
{
    return utf8(m_key + QLatin1String("-switchboard#node#*"));
}

QByteArray Channels::socketEvents() const
{
    return utf8(m_key + QLatin1String("-switchboard#events#"));
}

QByteArray Channels::control() const
{
    return utf8(m_key + QLatin1String("-switchboard#request#"));
}

QByteArray Channels::controlReply(const QString &requestId) const
{
    return utf8(m_key + QLatin1String("-switchboard#response#") + requestId + u'#');
}

std::optional<QString> Channels::roomOf(const QString &nsp, QByteArrayView channel) const
{
    const QByteArray prefix = broadcast(nsp);
    if (!channel.startsWith(prefix))
        return std::nullopt;
    if (channel.size() == prefix.size())
        return QString();
    if (!channel.endsWith('#'))
        return std::nullopt;
    return QString::fromUtf8(channel.sliced(prefix.size(), channel.size() - prefix.size() - 1));
}

std::optional<QString> Channels::namespaceOf(QByteArrayView channel) const
{
    const QByteArray key = utf8(m_key);
    if (!channel.startsWith(key))
        return std::nullopt;
    QByteArrayView rest = channel.sliced(key.size());
    for (QByteArrayView kind :
         {QByteArrayView("#"), QByteArrayView("-request#"), QByteArrayView("-response#")}) {
        if (rest.startsWith(kind)) {
            rest = rest.sliced(kind.size());
            const qsizetype end = rest.indexOf('#');
            if (end <= 0)
                return std::nullopt;
            return QString::fromUtf8(rest.first(end));
        }
    }
    return std::nullopt;
}

QVariantMap packetToWire(const BroadcastMessage &message)
{
    QVariantMap packet{{QStringLiteral("type"), message.packetType},
                       {QStringLiteral("data"), message.data},
                       {QStringLiteral("nsp"), message.nsp}};
    if (message.id >= 0)
        packet.insert(QStringLiteral("id"), message.id);
    return packet;
}

QVariantMap optionsToWire(const BroadcastMessage &message)
{
    return {{QStringLiteral("rooms"), message.rooms},
            {QStringLiteral("except"), message.except},
            {QStringLiteral("flags"), message.flags}};
}

QByteArray encodeBroadcast(const BroadcastMessage &message)
{
    return msgpack::encode(
        QVariantList{message.uid, packetToWire(message), optionsToWire(message)});
}

Decoded<BroadcastMessage> broadcastFromWire(const QString &uid, const QVariant &packet,
                                            const QVariant &opts)
{
    using Result = Decoded<BroadcastMessage>;
    if (packet.typeId() != QMetaType::QVariantMap)
        return Result::failure(QStringLiteral("broadcast packet is not a map"));
    const QVariantMap p = packet.toMap();
    BroadcastMessage message;
    message.uid = uid;
    message.nsp = p.value(QStringLiteral("nsp"), QStringLiteral("/")).toString();
    if (message.nsp.isEmpty())
        message.nsp = QStringLiteral("/");
    bool ok = false;
    message.packetType = p.value(QStringLiteral("type")).toInt(&ok);
    if (!ok)
        return Result::failure(QStringLiteral("broadcast packet has no type"));
    const QVariant data = p.value(QStringLiteral("data"));
    if (data.typeId() != QMetaType::QVariantList || data.toList().isEmpty())
        return Result::failure(QStringLiteral("broadcast packet data is not a non-empty array"));
    message.data = data.toList();
    if (const QVariant id = p.value(QStringLiteral("id")); id.isValid() && !id.isNull())
        message.id = id.toLongLong();
    const QVariantMap o = opts.toMap();
    message.rooms = stringList(o.value(QStringLiteral("rooms")));
    message.except = stringList(o.value(QStringLiteral("except")));
    message.flags = o.value(QStringLiteral("flags")).toMap();
    return message;
}

Decoded<BroadcastMessage> decodeBroadcast(QByteArrayView bytes, int maxDataDepth)
{
    using Result = Decoded<BroadcastMessage>;
    Decoded<QVariant> decoded = msgpack::decode(bytes, maxDataDepth + EnvelopeDepth);
    if (!decoded)
        return Result::failure(decoded.error());
    const QVariantList parts = decoded->toList();
    if (decoded->typeId() != QMetaType::QVariantList || parts.size() < 3)
        return Result::failure(QStringLiteral("broadcast is not a [uid, packet, opts] array"));
    return broadcastFromWire(parts.at(0).toString(), parts.at(1), parts.at(2));
}

Decoded<QVariantMap> decodeRequest(QByteArrayView bytes, int maxDataDepth)
{
    using Result = Decoded<QVariantMap>;
    if (bytes.isEmpty())
        return Result::failure(QStringLiteral("empty request"));
    // JSON keeps the parser's own limit (1 024 levels): deeper than what msgpack allows.
    Decoded<QVariant> value = bytes.front() == '{'
                                  ? json::parse(bytes)
                                  : msgpack::decode(bytes, maxDataDepth + EnvelopeDepth);
    if (!value)
        return Result::failure(value.error());
    if (value->typeId() != QMetaType::QVariantMap)
        return Result::failure(QStringLiteral("request is not an object"));
    return value->toMap();
}

QByteArray encodeJson(const QVariantMap &object)
{
    return json::serialize(object);
}

} // namespace switchboard::cluster
