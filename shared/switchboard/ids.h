// Random identifiers in the shapes the Socket.IO ecosystem expects.
#pragma once

#include <QString>

namespace switchboard {

// 20 URL-safe characters from 15 random bytes, like Engine.IO's sids and Socket.IO's socket ids.
QString randomId();

// N random alphanumeric characters (the Redis adapter's uid and requestId use 6).
QString randomToken(int length);

} // namespace switchboard
