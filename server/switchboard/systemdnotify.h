// Tells systemd (Type=notify units) how the node is doing: READY=1 once it listens,
// STOPPING=1 when it drains, STATUS= lines between. Without libsystemd at build time, or
// without $NOTIFY_SOCKET at run time (not started by systemd), every call does nothing.
#pragma once

#include <QString>

namespace switchboard::systemd {

// Whether this build links libsystemd (the unit is Type=notify then, else Type=simple).
bool built();
// Sends `state` (lines "KEY=value") to the service manager; false when nobody listens.
bool notify(const QString &state);
inline bool ready(const QString &status)
{
    return notify(QStringLiteral("READY=1\nSTATUS=") + status);
}
inline bool stopping(const QString &status)
{
    return notify(QStringLiteral("STOPPING=1\nSTATUS=") + status);
}
inline bool status(const QString &status)
{
    return notify(QStringLiteral("STATUS=") + status);
}

} // namespace switchboard::systemd
