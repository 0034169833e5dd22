// switchboard-console: the admin console of a Switchboard cluster, which talks only to Redis.
#include "switchboard/console/consoleoptions.h"
#include "switchboard/console/mainwindow.h"
#include "switchboard/console/screenshooter.h"

#include <QApplication>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <memory>

using namespace switchboard::console;

namespace {

// --help and --version must work without a display, where QApplication cannot start.
bool wantsTextOnly(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i)
        for (const char *option : {"-h", "--help", "-?", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], option) == 0)
                return true;
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    std::unique_ptr<QCoreApplication> app;
    if (wantsTextOnly(argc, argv))
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Switchboard"));
    QCoreApplication::setApplicationName(QStringLiteral("switchboard-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION));

    const ConsoleOptions::Outcome parsed = ConsoleOptions::parse(QCoreApplication::arguments());
    if (parsed.exitNow || !qobject_cast<QApplication *>(app.get())) {
        std::fprintf(parsed.exitCode ? stderr : stdout, "%s\n", qPrintable(parsed.message));
        return parsed.exitCode;
    }
    const ConsoleOptions &options = parsed.options;

    MainWindow window(options.readOnly);
    if (options.keyGiven)
        window.setDefaultKey(options.key);
    if (!options.screenshotDir.isEmpty())
        window.resize(1280, 800);
    window.show();
    if (options.url)
        window.connectAndRemember(*options.url, options.key);
    else
        QTimer::singleShot(0, &window, &MainWindow::showConnectDialog);
    if (!options.screenshotDir.isEmpty())
        (new Screenshooter(&window, options.screenshotDir, options.screenshotDelayMs))->start();
    return QCoreApplication::exec();
}
