// JSON text <-> QVariant trees (QVariantMap, QVariantList, scalars), the value model of events.
#pragma once

#include "switchboard/decoded.h"

#include <QByteArray>
#include <QVariant>

namespace switchboard::json {

// Compact JSON text for any value; binary (QByteArray) leaves must be replaced beforehand.
QByteArray serialize(const QVariant &value);

// Parses any JSON value (object, array, string, number, true, false, null).
Decoded<QVariant> parse(QByteArrayView text);

// True when the tree holds a QByteArray leaf anywhere.
bool hasBinary(const QVariant &value);

} // namespace switchboard::json
