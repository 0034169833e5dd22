#include "switchboard/console/consoleoptions.h"

#include <QCommandLineParser>

namespace switchboard::console {

namespace {

ConsoleOptions::Outcome failure(const QString &message)
{
    ConsoleOptions::Outcome outcome;
    outcome.exitNow = true;
    outcome.exitCode = 2;
    outcome.message = message + QStringLiteral("\nTry --help.");
    return outcome;
}

} // namespace

ConsoleOptions::Outcome ConsoleOptions::parse(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Switchboard console: watch and act on a Socket.IO cluster through its "
                       "Redis server."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();

    // Connection.
    const QCommandLineOption redis(
        QStringLiteral("redis"),
        QStringLiteral("Connect at start, without the connect dialog: "
                       "redis://[user[:password]@]host[:port][/db] or unix:///path.sock."),
        QStringLiteral("url"));
    const QCommandLineOption key(
        QStringLiteral("key"),
        QStringLiteral("Channel prefix of the cluster, the adapter's `key` (default socket.io)."),
        QStringLiteral("prefix"));
    const QCommandLineOption readOnly(
        QStringLiteral("read-only"),
        QStringLiteral("Watch only: inject, join, leave and disconnect are disabled."));
    // README pictures.
    const QCommandLineOption screenshots(
        QStringLiteral("screenshots"),
        QStringLiteral("Save a picture of every view to <dir> and quit (needs --redis)."),
        QStringLiteral("dir"));
    const QCommandLineOption delay(
        QStringLiteral("screenshot-delay"),
        QStringLiteral("Time to gather data before the screenshots, ms (default %1).")
            .arg(DefaultScreenshotDelayMs),
        QStringLiteral("ms"));
    parser.addOptions({redis, key, readOnly, screenshots, delay});

    if (!parser.parse(arguments))
        return failure(parser.errorText());
    Outcome outcome;
    const bool helpAll = parser.isSet(QStringLiteral("help-all"));
    if (parser.isSet(help) || helpAll || parser.isSet(version)) {
        outcome.exitNow = true;
        outcome.message = parser.isSet(help) || helpAll
                              ? parser.helpText()
                              : QStringLiteral("switchboard-console " SWITCHBOARD_VERSION);
        return outcome;
    }
    if (!parser.positionalArguments().isEmpty())
        return failure(
            QStringLiteral("unexpected argument '%1'.").arg(parser.positionalArguments().first()));

    ConsoleOptions &options = outcome.options;
    if (parser.isSet(redis)) {
        const Decoded<redis::Url> url = redis::Url::parse(parser.value(redis));
        if (!url)
            return failure(url.error());
        options.url = *url;
    }
    if (parser.isSet(key)) {
        options.key = parser.value(key).trimmed();
        options.keyGiven = true;
        if (options.key.isEmpty())
            return failure(QStringLiteral("--key must not be empty."));
    }
    options.readOnly = parser.isSet(readOnly);
    options.screenshotDir = parser.value(screenshots);
    if (parser.isSet(screenshots) && options.screenshotDir.isEmpty())
        return failure(QStringLiteral("--screenshots needs a directory."));
    if (!options.screenshotDir.isEmpty() && !options.url)
        return failure(QStringLiteral("--screenshots needs --redis."));
    if (parser.isSet(delay)) {
        bool ok = false;
        options.screenshotDelayMs = parser.value(delay).toInt(&ok);
        if (!ok || options.screenshotDelayMs < 0)
            return failure(QStringLiteral("--screenshot-delay must be a number of ms."));
    }
    return outcome;
}

} // namespace switchboard::console
