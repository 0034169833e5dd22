// Random identifiers in the shapes the Socket.IO ecosystem expects.
#pragma once

#include <QString>

namespace switchboard {

// 20 URL-safe characters from 15 random bytes, like Engine.IO's sids and Socket.IO's socket ids.
QString randomId();

// Whether `text` has the shape of such an id (exactly 20 of [A-Za-z0-9_-]): socket.io's ids
// (Node.js base64id) have the same shape, so a room of this shape may be any server's socket.
bool hasIdShape(QStringView text);

// N random alphanumeric characters (the Redis adapter's uid and requestId use 6).
QString randomToken(int length);

} // namespace switchboard
