// The built-in client events (join, leave, send) that make a node useful without custom
// code. Built only on the public Server/Namespace/Socket API.
#pragma once

#include "switchboard/socket.h"

#include <QObject>

#include <functional>

namespace switchboard {

class Namespace;
class Server;

class RelayService : public QObject
{
    Q_OBJECT
public:
    // Returns why `socket` may not join `room`, or an empty string to allow it.
    using JoinPolicy = std::function<QString(Socket *socket, const QString &room)>;

    static constexpr int MaxRoomLength = 256;
    static constexpr int MaxRoomsPerCall = 100;
    static constexpr int DefaultAckTimeout = 5000;
    static constexpr int MaxAckTimeout = 60000;

    // Serves every namespace of `server`, present and future.
    explicit RelayService(Server *server, QObject *parent = nullptr);

    void setJoinPolicy(JoinPolicy policy) { m_joinPolicy = std::move(policy); }
    // Refuses another socket's own room, wherever in the cluster it lives: any room with the
    // shape of a socket id (20 of [A-Za-z0-9_-]) but the caller's own.
    static QString defaultJoinPolicy(Socket *socket, const QString &room);

private:
    void attach(Namespace *nsp);
    void onJoin(Socket *socket, const QVariantList &args, const Socket::Ack &ack);
    void onLeave(Socket *socket, const QVariantList &args, const Socket::Ack &ack);
    void onSend(Socket *socket, const QVariantList &args, const Socket::Ack &ack);

    JoinPolicy m_joinPolicy = &RelayService::defaultJoinPolicy;
};

} // namespace switchboard
