// Keeps credentials out of what leaves a node (REMOTE_FETCH replies on the shared response
// channel) and out of what the console shows: names stay, values are replaced.
#pragma once

#include <QByteArrayView>
#include <QString>
#include <QStringList>
#include <QVariantMap>

namespace switchboard {

struct Redaction
{
    // What a redacted value becomes.
    static inline const QString Mask = QStringLiteral("[redacted]");
    // Header values never published: credentials a proxy or browser attaches.
    static QStringList defaultHeaders();
    // Auth (and query) fields whose values are never published, compared case-insensitively.
    static QStringList defaultAuthFields();

    QStringList headers = defaultHeaders();
    QStringList authFields = defaultAuthFields();
    // Secrets of this node (its auth token): masked wherever they appear in a string.
    QStringList secrets;

    // A socket.io handshake ({headers, auth, query, url, ...}) with every credential masked.
    QVariantMap handshake(const QVariantMap &handshake) const;
    // Any value: every string holding one of `secrets` is masked.
    QVariant value(const QVariant &value) const;
    bool isSecretField(const QString &name) const;
};

// Whether a secret a peer gave equals the expected one, in time that depends on the length of
// the expected secret only (never on where they first differ).
bool sameSecret(QByteArrayView given, QByteArrayView expected);

} // namespace switchboard
