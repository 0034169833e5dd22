// The console's command line: where to connect at start, whether actions are allowed, and the
// screenshot mode that takes the README pictures.
#pragma once

#include "switchboard/redisurl.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace switchboard::console {

struct ConsoleOptions
{
    static constexpr int DefaultScreenshotDelayMs = 3000;

    std::optional<redis::Url> url; // absent: ask with the connect dialog
    QString key = QStringLiteral("socket.io");
    bool keyGiven = false;
    bool readOnly = false;
    QString screenshotDir; // empty: no screenshots
    int screenshotDelayMs = DefaultScreenshotDelayMs;

    struct Outcome;
    static Outcome parse(const QStringList &arguments);
};

struct ConsoleOptions::Outcome
{
    ConsoleOptions options;
    bool exitNow = false; // --help, --version or an error: print `message`, exit `exitCode`
    int exitCode = 0;
    QString message;
};

} // namespace switchboard::console
