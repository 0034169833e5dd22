// Dotted logging categories, filtered with QT_LOGGING_RULES (e.g. "switchboard.*.debug=true").
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcEngineIo)
Q_DECLARE_LOGGING_CATEGORY(lcSocketIo)
Q_DECLARE_LOGGING_CATEGORY(lcServer)
Q_DECLARE_LOGGING_CATEGORY(lcRelay)
Q_DECLARE_LOGGING_CATEGORY(lcRedis)
Q_DECLARE_LOGGING_CATEGORY(lcCluster)
Q_DECLARE_LOGGING_CATEGORY(lcQueue)

#include <QByteArrayView>
#include <QString>

namespace switchboard {

// A client-chosen string made safe for a log line: in double quotes, control characters,
// quotes and backslashes escaped, cut to `max` characters with the full length noted.
QString quoted(QStringView text, qsizetype max = 200);
QString quoted(QByteArrayView utf8, qsizetype max = 200);

} // namespace switchboard
