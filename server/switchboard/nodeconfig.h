// switchboard-node's settings from the command line, the environment and an INI file,
// in that order of precedence.
#pragma once

#include "switchboard/redaction.h"
#include "switchboard/server.h"

#include <QHostAddress>
#include <QProcessEnvironment>
#include <QStringList>

#include <variant>

namespace switchboard {

struct NodeConfig
{
    QHostAddress host = QHostAddress::Any;
    quint16 port = 3000;
    QString redisUrl;
    QString redisKey = QStringLiteral("socket.io");
    int requestsTimeoutMs = 5000;
    // Redis silent this long (PINGs unanswered): treated as down.
    int redisTimeoutMs = 3000;
    // After SIGTERM, how long existing clients are served before they are closed (0: at once).
    int drainMs = 10000;
    // The Redis list of producers' jobs (docs/queue.md); empty: no queue.
    QString queueKey;
    int queueLeaseMs = 5000;
    int queueBatch = 256;
    QString name;
    QString configFile;
    QString authToken;
    QString apiToken; // POST /api/emit's bearer token; empty: no such endpoint
    // What REMOTE_FETCH replies never publish (the token is added to its secrets).
    Redaction redaction;
    QString logRules;
    bool logRulesFromFile = false;
    ServerOptions server;
    CorsOptions cors; // given to the server's HTTP front

    struct Outcome;
    // `--help`, `--version` and bad settings yield their text with `exitNow` set.
    static Outcome parse(const QStringList &arguments, const QProcessEnvironment &env);

    // The logging rules after the config file changed (for SIGHUP).
    QString reloadLogRules() const;
};

struct NodeConfig::Outcome
{
    NodeConfig config;
    QString message;
    bool exitNow = false;
    int exitCode = 0;
};

} // namespace switchboard
