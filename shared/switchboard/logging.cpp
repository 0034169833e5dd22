#include "switchboard/logging.h"

// Debug output is opt-in: a busy node must not log per packet unless asked.
Q_LOGGING_CATEGORY(lcHttp, "switchboard.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEngineIo, "switchboard.engineio", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSocketIo, "switchboard.socketio", QtInfoMsg)
Q_LOGGING_CATEGORY(lcServer, "switchboard.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRelay, "switchboard.relay", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRedis, "switchboard.redis", QtInfoMsg)
Q_LOGGING_CATEGORY(lcCluster, "switchboard.cluster", QtInfoMsg)
Q_LOGGING_CATEGORY(lcQueue, "switchboard.queue", QtInfoMsg)

namespace switchboard {

QString quoted(QStringView text, qsizetype max)
{
    QString out;
    out.reserve(qMin(text.size(), max) + 2);
    out += u'"';
    qsizetype shown = 0;
    for (; shown < text.size() && shown < max; ++shown) {
        const QChar c = text.at(shown);
        if (c == u'"' || c == u'\\') {
            out += u'\\';
            out += c;
        } else if (c == u'\n') {
            out += QLatin1String("\\n");
        } else if (c == u'\r') {
            out += QLatin1String("\\r");
        } else if (c == u'\t') {
            out += QLatin1String("\\t");
        } else if (c.unicode() < 0x20 || c.unicode() == 0x7f ||
                   (c.unicode() >= 0x80 && c.unicode() < 0xa0) || c == QChar(0x2028) ||
                   c == QChar(0x2029)) {
            out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        } else {
            out += c;
        }
    }
    out += u'"';
    if (shown < text.size())
        out += QStringLiteral("... (%1 characters)").arg(text.size());
    return out;
}

QString quoted(QByteArrayView utf8, qsizetype max)
{
    // Decoding more than is shown would let a long string cost its whole length.
    const qsizetype cut = qMin(utf8.size(), 4 * max + 4);
    QString text = QString::fromUtf8(utf8.first(cut));
    if (cut < utf8.size()) {
        QString shown = quoted(QStringView(text).first(qMin(text.size(), max)), max);
        return shown + QStringLiteral("... (%1 bytes)").arg(utf8.size());
    }
    return quoted(QStringView(text), max);
}

} // namespace switchboard
