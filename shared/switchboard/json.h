// JSON text <-> QVariant trees (QVariantMap, QVariantList, scalars), the value model of events.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QVariant>

#include <optional>

namespace switchboard::json {

// Compact JSON text for any value; binary (QByteArray) leaves must be replaced beforehand.
QByteArray serialize(const QVariant &value);

// Appends the JSON of `value` to `out` when the tree holds only null, bool, numbers, strings,
// QVariantList and QVariantMap (what parse() and the msgpack decoder build), byte for byte
// what QJsonDocument would write; returns false and leaves `out` as it was for anything else.
bool writeCommon(const QVariant &value, QByteArray &out);

// Parses any JSON value (object, array, string, number, true, false, null).
Decoded<QVariant> parse(QByteArrayView text);

// The fast path of parse(): strict RFC 8259 text read straight into a QVariant tree, the same
// tree Qt's parser builds; nullopt for anything it is not sure of (errors included), which
// parse() then hands to Qt.
std::optional<QVariant> parseStrict(QByteArrayView text);

// True when the tree holds a QByteArray leaf anywhere.
bool hasBinary(const QVariant &value);

// Nesting of arrays and objects: 0 for a scalar, 1 for [1] or {}, 2 for [[1]], ...
int depth(const QVariant &value);
// The same, read from JSON text without parsing it (strings are skipped, brackets counted).
// Stops once past `limit` and returns limit + 1: what is deeper costs no more than that.
int depth(QByteArrayView text, int limit);

} // namespace switchboard::json
