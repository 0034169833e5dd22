#include "switchboard/socketio.h"

#include "switchboard/json.h"

namespace switchboard::socketio {

namespace {

QVariant deconstruct(const QVariant &value, QList<QByteArray> &buffers)
{
    switch (value.typeId()) {
    case QMetaType::QByteArray: {
        QVariantMap placeholder;
        placeholder.insert(QStringLiteral("_placeholder"), true);
        placeholder.insert(QStringLiteral("num"), buffers.size());
        buffers.append(value.toByteArray());
        return placeholder;
    }
    case QMetaType::QVariantList: {
        QVariantList out;
        const auto &in = *static_cast<const QVariantList *>(value.constData());
        out.reserve(in.size());
        for (const QVariant &item : in)
            out.append(deconstruct(item, buffers));
        return out;
    }
    case QMetaType::QVariantMap: {
        QVariantMap out;
        const auto &in = *static_cast<const QVariantMap *>(value.constData());
        for (auto it = in.cbegin(); it != in.cend(); ++it)
            out.insert(it.key(), deconstruct(it.value(), buffers));
        return out;
    }
    default:
        return value;
    }
}

bool isPlaceholder(const QVariantMap &map)
{
    return map.size() == 2 && map.value(QStringLiteral("_placeholder")).toBool() &&
           map.contains(QStringLiteral("num"));
}

bool payloadValid(PacketType type, const QVariant &data, bool hasId, QString &why)
{
    const int t = data.typeId();
    switch (type) {
    case PacketType::Connect:
        if (data.isValid() && t != QMetaType::QVariantMap)
            return why = QStringLiteral("CONNECT payload must be an object"), false;
        return true;
    case PacketType::Disconnect:
        if (data.isValid())
            return why = QStringLiteral("DISCONNECT carries no payload"), false;
        return true;
    case PacketType::ConnectError:
        if (t != QMetaType::QVariantMap && t != QMetaType::QString)
            return why = QStringLiteral("CONNECT_ERROR payload must be an object or a string"),
                   false;
        return true;
    case PacketType::Event:
    case PacketType::BinaryEvent: {
        if (t != QMetaType::QVariantList)
            return why = QStringLiteral("EVENT payload must be an array"), false;
        const auto &list = *static_cast<const QVariantList *>(data.constData());
        if (list.isEmpty() || list.first().typeId() != QMetaType::QString)
            return why = QStringLiteral("EVENT payload must start with the event name"), false;
        if (isReservedEvent(list.first().toString()))
            return why = QStringLiteral("reserved event name '%1'").arg(list.first().toString()),
                   false;
        return true;
    }
    case PacketType::Ack:
    case PacketType::BinaryAck:
        if (t != QMetaType::QVariantList)
            return why = QStringLiteral("ACK payload must be an array"), false;
        if (!hasId)
            return why = QStringLiteral("ACK without an id"), false;
        return true;
    }
    return false;
}

QString tooDeepReason(int maxDepth)
{
    return QStringLiteral("data nested deeper than %1 levels (--max-depth)").arg(maxDepth);
}

} // namespace

Encoded encode(const Packet &packet)
{
    Encoded out;
    PacketType type = packet.type;
    QVariant data = packet.data;
    if ((type == PacketType::Event || type == PacketType::Ack || type == PacketType::BinaryEvent ||
         type == PacketType::BinaryAck) &&
        json::hasBinary(data)) {
        data = deconstruct(data, out.attachments);
        type = (type == PacketType::Event || type == PacketType::BinaryEvent)
                   ? PacketType::BinaryEvent
                   : PacketType::BinaryAck;
    } else if (type == PacketType::BinaryEvent) {
        type = PacketType::Event;
    } else if (type == PacketType::BinaryAck) {
        type = PacketType::Ack;
    }

    QByteArray &text = out.text;
    text.append(char('0' + int(type)));
    if (type == PacketType::BinaryEvent || type == PacketType::BinaryAck)
        text.append(QByteArray::number(out.attachments.size())).append('-');
    if (!packet.nsp.isEmpty() && packet.nsp != u"/")
        text.append(packet.nsp.toUtf8()).append(',');
    if (packet.id >= 0)
        text.append(QByteArray::number(packet.id));
    if (data.isValid())
        text.append(json::serialize(data));
    return out;
}

Decoded<Header> decodeText(QByteArrayView text, int maxDepth)
{
    using Result = Decoded<Header>;
    if (text.isEmpty())
        return Result::failure(QStringLiteral("empty Socket.IO packet"));
    Header header;
    Packet &p = header.packet;
    const char digit = text.front();
    if (digit < '0' || digit > '6')
        return Result::failure(QStringLiteral("unknown Socket.IO packet type %1")
                                   .arg(digit >= ' ' && digit < 0x7f
                                            ? QStringLiteral("'%1'").arg(QLatin1Char(digit))
                                            : QStringLiteral("byte %1").arg(uchar(digit))));
    p.type = PacketType(digit - '0');
    qsizetype i = 1;

    if (p.type == PacketType::BinaryEvent || p.type == PacketType::BinaryAck) {
        const qsizetype start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 6)
            ++i;
        if (i == start || i >= text.size() || text[i] != '-')
            return Result::failure(QStringLiteral("binary packet without attachment count"));
        header.attachments = text.sliced(start, i - start).toInt();
        if (header.attachments < 1 || header.attachments > MaxAttachments)
            return Result::failure(QStringLiteral("attachment count %1 out of range 1..%2")
                                       .arg(header.attachments)
                                       .arg(MaxAttachments));
        ++i;
    }

    if (i < text.size() && text[i] == '/') {
        const qsizetype start = i;
        while (i < text.size() && text[i] != ',')
            ++i;
        p.nsp = QString::fromUtf8(text.sliced(start, i - start));
        if (i < text.size())
            ++i; // the comma
    }

    if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        const qsizetype start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
            ++i;
        if (i - start > 15)
            return Result::failure(QStringLiteral("ack id too long"));
        p.id = text.sliced(start, i - start).toLongLong();
    }

    if (i < text.size()) {
        // Before parsing: the parser would build the whole tree first.
        const int allowed = header.attachments > 0 ? maxDepth + 1 : maxDepth;
        if (json::depth(text.sliced(i), allowed) > allowed) {
            Result refused = Result::failure(tooDeepReason(maxDepth));
            refused->tooDeep = true;
            return refused;
        }
        Decoded<QVariant> payload = json::parse(text.sliced(i));
        if (!payload)
            return Result::failure(payload.error());
        p.data = std::move(payload.value());
    }

    QString why;
    if (!payloadValid(p.type, p.data, p.id >= 0, why))
        return Result::failure(why);
    return header;
}

Decoded<QVariant> reconstruct(const QVariant &data, const QList<QByteArray> &buffers)
{
    using Result = Decoded<QVariant>;
    switch (data.typeId()) {
    case QMetaType::QVariantList: {
        QVariantList out;
        for (const QVariant &item : *static_cast<const QVariantList *>(data.constData())) {
            Result r = reconstruct(item, buffers);
            if (!r)
                return r;
            out.append(std::move(r.value()));
        }
        return QVariant(out);
    }
    case QMetaType::QVariantMap: {
        const auto &map = *static_cast<const QVariantMap *>(data.constData());
        if (isPlaceholder(map)) {
            bool ok = false;
            const int num = map.value(QStringLiteral("num")).toInt(&ok);
            if (!ok || num < 0 || num >= buffers.size())
                return Result::failure(QStringLiteral("placeholder refers to missing attachment"));
            return QVariant(buffers.at(num));
        }
        QVariantMap out;
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            Result r = reconstruct(it.value(), buffers);
            if (!r)
                return r;
            out.insert(it.key(), std::move(r.value()));
        }
        return QVariant(out);
    }
    default:
        return data;
    }
}

Decoder::Result Decoder::addText(QByteArrayView text)
{
    if (reconstructing()) {
        reset();
        return {Status::Error, {}, QStringLiteral("text packet while awaiting binary attachments")};
    }
    Decoded<Header> header = decodeText(text, m_limits.maxDepth);
    if (!header)
        return {Status::Error, {}, header.error(), header->tooDeep ? Limit::Depth : Limit::None};
    if (header->attachments > m_limits.maxAttachments)
        return {Status::Error,
                {},
                QStringLiteral("%1 attachments in one packet, more than the limit of %2")
                    .arg(header->attachments)
                    .arg(m_limits.maxAttachments),
                Limit::Attachments};
    m_pending = std::move(header->packet);
    m_expected = header->attachments;
    m_buffers.clear();
    m_bufferedBytes = 0;
    if (m_expected == 0)
        return finish();
    m_buffers.reserve(m_expected);
    return {Status::NeedMore, {}, {}};
}

Decoder::Result Decoder::addBinary(const QByteArray &data)
{
    if (!reconstructing())
        return {Status::Error, {}, QStringLiteral("binary frame without a binary packet")};
    m_bufferedBytes += data.size();
    if (m_bufferedBytes > m_limits.maxAttachmentBytes) {
        reset();
        return {Status::Error,
                {},
                QStringLiteral("attachments of one packet over the limit of %1 bytes")
                    .arg(m_limits.maxAttachmentBytes),
                Limit::Attachments};
    }
    m_buffers.append(data);
    if (m_buffers.size() < m_expected)
        return {Status::NeedMore, {}, {}};
    return finish();
}

Decoder::Result Decoder::finish()
{
    Result result{Status::Complete, std::move(m_pending), {}};
    if (!m_buffers.isEmpty()) {
        Decoded<QVariant> data = reconstruct(result.packet.data, m_buffers);
        if (!data) {
            reset();
            return {Status::Error, {}, data.error()};
        }
        result.packet.data = std::move(data.value());
        // The text was allowed one level more for placeholders; the binary leaves add none.
        if (json::depth(result.packet.data) > m_limits.maxDepth) {
            reset();
            return {Status::Error, {}, tooDeepReason(m_limits.maxDepth), Limit::Depth};
        }
    }
    reset();
    return result;
}

void Decoder::reset()
{
    m_pending = {};
    m_expected = 0;
    m_bufferedBytes = 0;
    m_buffers.clear();
}

bool isReservedEvent(QStringView name)
{
    return name == u"connect" || name == u"connect_error" || name == u"disconnect" ||
           name == u"disconnecting" || name == u"newListener" || name == u"removeListener";
}

const char *typeName(PacketType type)
{
    static constexpr const char *names[] = {"CONNECT",       "DISCONNECT",   "EVENT",     "ACK",
                                            "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};
    return names[int(type)];
}

} // namespace switchboard::socketio
