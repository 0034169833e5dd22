// switchboard-node: parse the settings, run a Node until SIGINT/SIGTERM.
#include "switchboard/cluster.h"
#include "switchboard/drain.h"
#include "switchboard/logging.h"
#include "switchboard/node.h"
#include "switchboard/signalwatcher.h"
#include "switchboard/systemdnotify.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <csignal>
#include <cstdio>

using namespace switchboard;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("switchboard-node"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SWITCHBOARD_VERSION));
    qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}D%{endif}"
                                      "%{if-info}I%{endif}%{if-warning}W%{endif}%{if-critical}C"
                                      "%{endif}%{if-fatal}F%{endif} %{category}: %{message}"));

    const NodeConfig::Outcome parsed =
        NodeConfig::parse(QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment());
    if (parsed.exitNow) {
        std::fprintf(parsed.exitCode ? stderr : stdout, "%s\n", qPrintable(parsed.message));
        return parsed.exitCode;
    }
    const NodeConfig &config = parsed.config;
    if (!config.logRules.isEmpty())
        QLoggingCategory::setFilterRules(QString(config.logRules).replace(u',', u'\n'));

    raiseOpenFilesLimit();
    Node node(config);
    if (const QString error = node.start(); !error.isEmpty()) {
        std::fprintf(stderr, "switchboard-node: %s\n", qPrintable(error));
        return 1;
    }
    const quint16 port = node.server()->serverPort();
    const QString shownHost =
        config.host == QHostAddress::Any ? QStringLiteral("localhost") : config.host.toString();
    qCInfo(lcServer).noquote() << "node" << config.name << "listening on"
                               << QStringLiteral("http://%1:%2/").arg(shownHost).arg(port);
    std::printf("switchboard-node %s listening on http://%s:%u/\n", qPrintable(config.name),
                qPrintable(shownHost), unsigned(port));
    std::fflush(stdout);
    const QString serving = QStringLiteral("serving on port %1").arg(port);
    systemd::ready(serving);
    if (Cluster *cluster = node.cluster())
        QObject::connect(cluster, &Cluster::connectionChanged, &app, [&](bool connected) {
            if (!node.drain()->isDraining())
                systemd::status(connected ? serving : serving + QStringLiteral(", Redis down"));
        });
    QObject::connect(node.drain(), &Drain::phaseChanged, &app,
                     [](Drain::Phase, const QString &status) { systemd::stopping(status); });
    QObject::connect(node.drain(), &Drain::finished, &app, &QCoreApplication::quit);

    SignalWatcher signals_;
    QObject::connect(&signals_, &SignalWatcher::triggered, &app,
                     [&](SignalWatcher::Action action, int signal) {
                         if (action == SignalWatcher::Action::Reload) {
                             const QString rules = config.reloadLogRules();
                             QLoggingCategory::setFilterRules(QString(rules).replace(u',', u'\n'));
                             qCInfo(lcServer) << "reloaded logging rules:" << rules;
                             return;
                         }
                         // SIGTERM drains (--drain-ms); SIGINT, or SIGTERM again, closes now.
                         node.drain()->stop(signal == SIGTERM, Drain::signalName(signal));
                     });
    return app.exec();
}
