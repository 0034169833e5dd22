// redis:// and unix:// URL parsing: every part, percent-decoding, IPv6, defaults, the errors
// (never echoing a password) and the redacted form used in logs.
#include "switchboard/redisurl.h"

#include <QAnyStringView>
#include <QTest>

using switchboard::redis::Url;

Q_DECLARE_METATYPE(switchboard::redis::Url)

namespace switchboard::redis {

// Readable QCOMPARE failures.
char *toString(const Url &url)
{
    return qstrdup(QStringLiteral("Url(host=%1 port=%2 unixPath=%3 user=%4 password=%5 db=%6)")
                       .arg(url.host)
                       .arg(url.port)
                       .arg(url.unixPath, url.user, url.password)
                       .arg(url.db)
                       .toUtf8());
}

} // namespace switchboard::redis

namespace {

Url tcp(QAnyStringView host, quint16 port = 6379, int db = 0, QAnyStringView user = {},
        QAnyStringView password = {})
{
    Url url;
    url.host = host.toString();
    url.port = port;
    url.db = db;
    url.user = user.toString();
    url.password = password.toString();
    return url;
}

Url unixSocket(QAnyStringView path, int db = 0, QAnyStringView user = {},
               QAnyStringView password = {})
{
    Url url;
    url.unixPath = path.toString();
    url.db = db;
    url.user = user.toString();
    url.password = password.toString();
    return url;
}

} // namespace

class TestRedisUrl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void parse_data();
    void parse();
    void rejects_data();
    void rejects();
    void redacted_data();
    void redacted();
    void redactedParsesBack_data();
    void redactedParsesBack();
};

void TestRedisUrl::defaults()
{
    const Url url;
    QCOMPARE(url.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(url.port, quint16(6379));
    QCOMPARE(url.db, 0);
    QVERIFY(!url.isUnix());
    QCOMPARE(url.redacted(), QStringLiteral("redis://127.0.0.1:6379"));
}

void TestRedisUrl::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Url>("expected");

    QTest::addRow("host and port") << "redis://127.0.0.1:6379" << tcp("127.0.0.1");
    QTest::addRow("default port") << "redis://localhost" << tcp("localhost");
    QTest::addRow("port and db") << "redis://redis.example.com:6380/2"
                                 << tcp("redis.example.com", 6380, 2);
    QTest::addRow("trailing slash") << "redis://host/" << tcp("host");
    QTest::addRow("db without port") << "redis://host/15" << tcp("host", 6379, 15);
    QTest::addRow("highest port") << "redis://host:65535" << tcp("host", 65535);
    QTest::addRow("scheme case") << "REDIS://Host:1" << tcp("Host", 1);
    QTest::addRow("surrounding blanks") << "  redis://host:7000 \n" << tcp("host", 7000);
    QTest::addRow("password only") << "redis://:secret@host" << tcp("host", 6379, 0, {}, "secret");
    QTest::addRow("user only") << "redis://alice@host" << tcp("host", 6379, 0, "alice");
    QTest::addRow("user and password")
        << "redis://alice:secret@host:1234/5" << tcp("host", 1234, 5, "alice", "secret");
    QTest::addRow("percent-encoded")
        << "redis://al%20ice:p%40ss%3Aw%2Frd@host" << tcp("host", 6379, 0, "al ice", "p@ss:w/rd");
    QTest::addRow("percent-encoded UTF-8")
        << "redis://:p%C3%A9%e2%9c%93@host" << tcp("host", 6379, 0, {}, QStringLiteral("pé✓"));
    QTest::addRow("raw @ in password")
        << "redis://u:p@ss@host" << tcp("host", 6379, 0, "u", "p@ss");
    QTest::addRow("raw / in password") << "redis://u:a/b@host:1/3" << tcp("host", 1, 3, "u", "a/b");
    QTest::addRow("colon in password") << "redis://u:a:b@host" << tcp("host", 6379, 0, "u", "a:b");
    QTest::addRow("IPv6 loopback") << "redis://[::1]:6390/1" << tcp("::1", 6390, 1);
    QTest::addRow("IPv6 default port") << "redis://[::1]" << tcp("::1");
    QTest::addRow("IPv6 with credentials")
        << "redis://u:p@[fe80::1]:7/0" << tcp("fe80::1", 7, 0, "u", "p");
    QTest::addRow("unix socket") << "unix:///run/redis/redis.sock"
                                 << unixSocket("/run/redis/redis.sock");
    QTest::addRow("unix socket with db")
        << "unix:///tmp/r.sock?db=3" << unixSocket("/tmp/r.sock", 3);
    QTest::addRow("unix socket with password")
        << "unix://:pw@/tmp/r.sock" << unixSocket("/tmp/r.sock", 0, {}, "pw");
    QTest::addRow("unix socket with user, encoded path")
        << "unix://u:p%2Fw@/tmp/my%20redis.sock?db=1"
        << unixSocket("/tmp/my redis.sock", 1, "u", "p/w");
}

void TestRedisUrl::parse()
{
    QFETCH(QString, text);
    QFETCH(Url, expected);
    const auto url = Url::parse(text);
    QVERIFY2(url.ok(), qPrintable(url.error()));
    QCOMPARE(url.value(), expected);
    QCOMPARE(url->isUnix(), !expected.unixPath.isEmpty());
}

void TestRedisUrl::rejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");

    QTest::addRow("empty") << ""
                           << "'://' missing";
    QTest::addRow("no scheme") << "127.0.0.1:6379"
                               << "'://' missing";
    QTest::addRow("http") << "http://host:6379"
                          << "unsupported scheme 'http://'";
    QTest::addRow("tls") << "rediss://host:6380"
                         << "TLS not supported";
    QTest::addRow("tls upper case") << "REDISS://host"
                                    << "TLS not supported";
    QTest::addRow("port zero") << "redis://host:0"
                               << "port '0' is not a number from 1 to 65535";
    QTest::addRow("port too big") << "redis://host:65536"
                                  << "port '65536'";
    QTest::addRow("port not a number") << "redis://host:abc"
                                       << "port 'abc'";
    QTest::addRow("port negative") << "redis://host:-1"
                                   << "port '-1'";
    QTest::addRow("port empty") << "redis://host:"
                                << "port ''";
    QTest::addRow("port with sign") << "redis://host:+80"
                                    << "port '+80'";
    QTest::addRow("db not a number") << "redis://host/abc"
                                     << "database 'abc'";
    QTest::addRow("db negative") << "redis://host/-1"
                                 << "database '-1'";
    QTest::addRow("db too big") << "redis://host/99999999999"
                                << "database '99999999999'";
    QTest::addRow("db with path") << "redis://host/1/2"
                                  << "database '1/2'";
    QTest::addRow("no host") << "redis://"
                             << "missing host";
    QTest::addRow("port without host") << "redis://:6379"
                                       << "missing host";
    QTest::addRow("credentials without host") << "redis://u:p@:6379/1"
                                              << "missing host";
    QTest::addRow("empty brackets") << "redis://[]:6379"
                                    << "missing host";
    QTest::addRow("IPv6 without brackets") << "redis://::1:6379"
                                           << "needs brackets";
    QTest::addRow("IPv6 unterminated") << "redis://[::1:6379"
                                       << "unterminated IPv6";
    QTest::addRow("junk after IPv6") << "redis://[::1]6379"
                                     << "unexpected '6379'";
    QTest::addRow("query") << "redis://host?db=1"
                           << "take no parameters";
    QTest::addRow("bad percent-encoding") << "redis://us%zzer:pw@host"
                                          << "percent-encoding";
    QTest::addRow("truncated percent-encoding") << "redis://:pw%4@host"
                                                << "percent-encoding";
    QTest::addRow("unix without path") << "unix://"
                                       << "missing socket path";
    QTest::addRow("unix root only") << "unix:///"
                                    << "missing socket path";
    QTest::addRow("unix with host") << "unix://localhost/tmp/r.sock"
                                    << "before the socket path";
    QTest::addRow("unix bad db") << "unix:///tmp/r.sock?db=x"
                                 << "database 'x'";
    QTest::addRow("unix unknown parameter") << "unix:///tmp/r.sock?timeout=1"
                                            << "unknown parameter 'timeout=1'";
}

void TestRedisUrl::rejects()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    const auto url = Url::parse(text);
    QVERIFY(!url.ok());
    QVERIFY2(url.error().startsWith(QStringLiteral("invalid Redis URL: ")),
             qPrintable(url.error()));
    QVERIFY2(url.error().contains(error), qPrintable(url.error()));
}

void TestRedisUrl::redacted_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("redacted");

    QTest::addRow("plain") << "redis://127.0.0.1"
                           << "redis://127.0.0.1:6379";
    QTest::addRow("db") << "redis://h:1/2"
                        << "redis://h:1/2";
    QTest::addRow("password") << "redis://:secret@h:1/2"
                              << "redis://:***@h:1/2";
    QTest::addRow("user and password") << "redis://alice:secret@h"
                                       << "redis://alice:***@h:6379";
    QTest::addRow("user only") << "redis://alice@h"
                               << "redis://alice@h:6379";
    QTest::addRow("user re-encoded") << "redis://al%20ice:x@h"
                                     << "redis://al%20ice:***@h:6379";
    QTest::addRow("IPv6") << "redis://[::1]:7000"
                          << "redis://[::1]:7000";
    QTest::addRow("unix") << "unix:///tmp/r.sock"
                          << "unix:///tmp/r.sock";
    QTest::addRow("unix with password and db") << "unix://:pw@/tmp/r.sock?db=2"
                                               << "unix://:***@/tmp/r.sock?db=2";
}

void TestRedisUrl::redacted()
{
    QFETCH(QString, text);
    QFETCH(QString, redacted);
    const auto url = Url::parse(text);
    QVERIFY2(url.ok(), qPrintable(url.error()));
    QCOMPARE(url->redacted(), redacted);
    if (!url->password.isEmpty())
        QVERIFY(!url->redacted().contains(url->password));
}

void TestRedisUrl::redactedParsesBack_data()
{
    QTest::addColumn<Url>("url");
    QTest::addRow("default") << Url();
    QTest::addRow("everything") << tcp("redis.example", 7001, 9, "bob smith", "pw");
    QTest::addRow("IPv6") << tcp("::1", 7000, 1);
    QTest::addRow("unix") << unixSocket("/tmp/r.sock", 4, "u", "pw");
}

void TestRedisUrl::redactedParsesBack()
{
    // The redacted form is a valid URL itself: all but the password survives the round trip.
    QFETCH(Url, url);
    const auto back = Url::parse(url.redacted());
    QVERIFY2(back.ok(), qPrintable(back.error()));
    Url expected = url;
    if (!expected.password.isEmpty())
        expected.password = QStringLiteral("***");
    QCOMPARE(back.value(), expected);
}

QTEST_APPLESS_MAIN(TestRedisUrl)
#include "tst_redisurl.moc"
