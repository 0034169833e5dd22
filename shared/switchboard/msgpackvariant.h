// MessagePack <-> QVariant trees, byte-compatible with what notepack.io (used by
// @socket.io/redis-adapter and -emitter) writes and reads: maps with string keys, arrays,
// str, bin (QByteArray), integers, float64, booleans, nil. Pure functions over bytes.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QVariant>

namespace switchboard::msgpack {

// QByteArray leaves become bin, QString str, integral numbers int, others float64,
// null/invalid nil.
QByteArray encode(const QVariant &value);

// bin becomes QByteArray, str QString, nil a null QVariant (std::nullptr_t). notepack's
// `undefined` (fixext 1, type 0) is an invalid QVariant at the top, null in arrays, and map
// entries holding it are dropped, as JSON.stringify does. Timestamps (ext -1, JS Dates)
// become ISO strings as Date.toJSON() writes them; other ext 0 values (old notepack
// ArrayBuffers) become QByteArray. Arrays and maps nested deeper than `maxDepth` (json::depth:
// [1] is 1) are refused.
Decoded<QVariant> decode(QByteArrayView bytes, int maxDepth = 64);

} // namespace switchboard::msgpack
