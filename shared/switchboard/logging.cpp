#include "switchboard/logging.h"

// Debug output is opt-in: a busy node must not log per packet unless asked.
Q_LOGGING_CATEGORY(lcHttp, "switchboard.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEngineIo, "switchboard.engineio", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSocketIo, "switchboard.socketio", QtInfoMsg)
Q_LOGGING_CATEGORY(lcServer, "switchboard.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRelay, "switchboard.relay", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRedis, "switchboard.redis", QtInfoMsg)
Q_LOGGING_CATEGORY(lcCluster, "switchboard.cluster", QtInfoMsg)
