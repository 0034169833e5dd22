// Starts an in-process Node on an ephemeral loopback port for server tests.
#pragma once

#include "switchboard/node.h"
#include "switchboard/server.h"

#include <QTest>
#include <QUrl>

#include <functional>
#include <memory>

inline std::unique_ptr<switchboard::Node>
startNode(const std::function<void(switchboard::NodeConfig &)> &tweak = {})
{
    switchboard::NodeConfig config;
    config.host = QHostAddress::LocalHost;
    config.port = 0;
    config.name = QStringLiteral("test-node");
    config.server.dynamicNamespaces = {QStringLiteral("*")};
    // CTest runs each suite on both connection layers.
    if (qEnvironmentVariable("SWITCHBOARD_TRANSPORT") == u"qt")
        config.server.transport = switchboard::TransportKind::Qt;
    if (tweak)
        tweak(config);
    auto node = std::make_unique<switchboard::Node>(config);
    const QString error = node->start();
    if (!error.isEmpty()) {
        qWarning("cannot start node: %s", qPrintable(error));
        return nullptr;
    }
    return node;
}

inline QUrl engineUrl(const switchboard::Node &node,
                      const QString &query = QStringLiteral("EIO=4&transport=websocket"))
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/socket.io/?%2")
                    .arg(node.server()->serverPort())
                    .arg(query));
}
