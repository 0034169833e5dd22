// What REMOTE_FETCH replies and the console may show of a handshake: names of credentials,
// never their values.
#include "switchboard/redaction.h"

#include <QTest>

using namespace Qt::StringLiterals;
using switchboard::Redaction;

namespace {

QVariantMap handshake()
{
    return {
        {u"headers"_s, QVariantMap{{u"authorization"_s, u"Bearer abc"_s},
                                   {u"Cookie"_s, u"sid=def"_s},
                                   {u"sec-websocket-protocol"_s, u"proto, ghi"_s},
                                   {u"proxy-authorization"_s, u"Basic jkl"_s},
                                   {u"user-agent"_s, u"test agent"_s},
                                   {u"x-forwarded-for"_s, u"carries s3cret inside"_s}}},
        {u"auth"_s, QVariantMap{{u"token"_s, u"tok"_s},
                                {u"Password"_s, u"pw"_s},
                                {u"jwt"_s, u"eyJ"_s},
                                {u"secret"_s, QVariantMap{{u"nested"_s, 1}}},
                                {u"nickname"_s, u"mallory"_s}}},
        {u"query"_s, QVariantMap{{u"EIO"_s, u"4"_s}, {u"token"_s, u"tok"_s}}},
        {u"url"_s, u"/socket.io/?EIO=4&token=tok"_s},
        {u"address"_s, u"127.0.0.1"_s},
        {u"issued"_s, 42},
    };
}

} // namespace

class TestRedaction : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void masksCredentialsKeepsNames()
    {
        Redaction redaction;
        redaction.secrets = {u"s3cret"_s};
        const QVariantMap out = redaction.handshake(handshake());
        const QVariantMap headers = out.value(u"headers"_s).toMap();
        QCOMPARE(headers.keys(), handshake().value(u"headers"_s).toMap().keys());
        for (const QString &name : {u"authorization"_s, u"Cookie"_s, u"sec-websocket-protocol"_s,
                                    u"proxy-authorization"_s, u"x-forwarded-for"_s})
            QCOMPARE(headers.value(name).toString(), Redaction::Mask);
        QCOMPARE(headers.value(u"user-agent"_s).toString(), u"test agent"_s);

        const QVariantMap auth = out.value(u"auth"_s).toMap();
        QCOMPARE(auth.keys(), handshake().value(u"auth"_s).toMap().keys());
        for (const QString &name : {u"token"_s, u"Password"_s, u"jwt"_s, u"secret"_s})
            QCOMPARE(auth.value(name), QVariant(Redaction::Mask));
        QCOMPARE(auth.value(u"nickname"_s).toString(), u"mallory"_s);

        const QVariantMap query = out.value(u"query"_s).toMap();
        QCOMPARE(query.value(u"token"_s).toString(), Redaction::Mask);
        QCOMPARE(query.value(u"EIO"_s).toString(), u"4"_s);
        QCOMPARE(out.value(u"url"_s).toString(), u"/socket.io/?[redacted]"_s);
        QCOMPARE(out.value(u"address"_s).toString(), u"127.0.0.1"_s);
        QCOMPARE(out.value(u"issued"_s).toInt(), 42);
    }

    void configurableFields()
    {
        Redaction redaction;
        redaction.authFields = {u"nickname"_s};
        const QVariantMap auth = redaction.handshake(handshake()).value(u"auth"_s).toMap();
        QCOMPARE(auth.value(u"nickname"_s).toString(), Redaction::Mask);
        QCOMPARE(auth.value(u"token"_s).toString(), u"tok"_s);
    }

    void secretsAnywhere()
    {
        Redaction redaction;
        redaction.secrets = {u"s3cret"_s};
        const QVariant data = QVariantMap{
            {u"list"_s, QVariantList{u"a"_s, u"xs3cretx"_s}},
            {u"plain"_s, u"fine"_s},
        };
        const QVariantMap out = redaction.value(data).toMap();
        QCOMPARE(out.value(u"list"_s).toList().value(1).toString(), Redaction::Mask);
        QCOMPARE(out.value(u"plain"_s).toString(), u"fine"_s);
        QCOMPARE(Redaction{}.value(u"s3cret"_s).toString(), u"s3cret"_s); // no secret set
    }
};

QTEST_GUILESS_MAIN(TestRedaction)
#include "tst_redaction.moc"
