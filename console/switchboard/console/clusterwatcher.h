// The console's view of a cluster, from Redis alone: Switchboard presence records and socket
// events, the adapter's broadcast and request traffic (which also reveals Node.js servers),
// and the actions an operator takes, sent in the adapter's own request formats so that every
// socket.io server obeys them. No widgets here: models and tests listen to the signals.
#pragma once

#include "switchboard/clusterwire.h"
#include "switchboard/presence.h"
#include "switchboard/redisclient.h"
#include "switchboard/redissubscriber.h"
#include "switchboard/redisurl.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>

namespace switchboard::console {

// One decoded message of cluster traffic.
struct TrafficRecord
{
    qint64 time = 0; // ms since the epoch, when the console received it
    QString origin;  // publisher uid ("emitter" for @socket.io/redis-emitter, "" unknown)
    QString kind;    // "broadcast", or the request's kind ("remote join", "remote fetch response")
    QString nsp;
    QStringList rooms;
    QStringList except;
    QString event;
    QString preview; // the arguments as compact JSON, cut to a few hundred characters
    int size = 0;    // bytes on the wire
};

// A socket of a foreign (non-Switchboard) server, as REMOTE_FETCH lists it.
struct ForeignSocket
{
    QString id;
    QString nsp;
    QStringList rooms;
    QString address;
    qint64 connectedAt = 0;
    QStringList authKeys;
};

// `value` with the credential values of every socket handshake in it replaced by
// "[redacted]": `auth` fields and the Authorization, Cookie, Sec-WebSocket-Protocol (and
// Proxy-Authorization) headers, names kept. Foreign servers send whole handshakes in their
// REMOTE_FETCH answers; the console shows, previews and exports only what this leaves.
QVariant withoutCredentials(const QVariant &value);
bool isCredentialHeader(const QString &name);

class ClusterWatcher : public QObject
{
    Q_OBJECT
public:
    enum class State
    {
        Disconnected,
        Connecting,
        Connected,
        Reconnecting
    };
    Q_ENUM(State)

    static constexpr int RefreshMs = 2000;
    // Consoles publish requests too: their uids say so, and no console takes one for a server.
    static constexpr QStringView ConsoleUidPrefix = u"console-";
    static constexpr int ForeignFetchMs = 5000;

    explicit ClusterWatcher(QObject *parent = nullptr);
    ~ClusterWatcher() override;

    void connectTo(const redis::Url &url, const QString &key);
    void disconnectFrom();
    State state() const { return m_state; }
    const QString &uid() const { return m_uid; }
    const cluster::Channels &channels() const { return m_channels; }
    redis::Url url() const { return m_url; }

    // Asks every server again: Switchboard nodes list their sockets, foreign servers are
    // asked with REMOTE_FETCH.
    void refreshSockets();

    // Actions, in the adapter's formats. `rooms` may hold socket ids (each socket is a room).
    using AckReplies =
        std::function<void(const QString &error, int clients, const QVariantList &replies)>;
    void inject(const QString &nsp, const QStringList &rooms, const QStringList &except,
                const QString &event, const QVariantList &args);
    void injectWithAck(const QString &nsp, const QStringList &rooms, const QStringList &except,
                       const QString &event, const QVariantList &args, int timeoutMs,
                       AckReplies done);
    void socketsJoin(const QString &nsp, const QStringList &targets, const QStringList &rooms);
    void socketsLeave(const QString &nsp, const QStringList &targets, const QStringList &rooms);
    void disconnectSockets(const QString &nsp, const QStringList &targets, bool close);

    qint64 messagesSeen() const { return m_messagesSeen; }

    // A message of a pattern subscription, as the subscriber delivers it (public for tests and
    // replays: they feed recorded traffic without Redis).
    void onPatternMessage(const QByteArray &pattern, const QByteArray &channel,
                          const QByteArray &payload);

Q_SIGNALS:
    void stateChanged(switchboard::console::ClusterWatcher::State state, const QString &detail);
    void presence(const switchboard::cluster::NodePresence &record);
    void socketEvents(const QString &uid, const QList<switchboard::cluster::SocketEvent> &events);
    void socketList(const switchboard::cluster::SocketListPage &page);
    void foreignSockets(const QString &nsp,
                        const QList<switchboard::console::ForeignSocket> &sockets);
    // Servers subscribed to a namespace's request channel (PUBSUB NUMSUB), every refresh.
    void serverCount(const QString &nsp, int servers);
    // A publisher uid seen in the adapter traffic, with the namespace it used.
    void uidSeen(const QString &uid, const QString &nsp);
    void traffic(const switchboard::console::TrafficRecord &record);

private:
    void onSubscriberUp();
    void onSubscriberDown(const QString &reason);
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void acceptPresence(const cluster::NodePresence &record);
    void onBroadcast(const QByteArray &channel, const QByteArray &payload);
    void onRequestOrResponse(const QByteArray &channel, const QByteArray &payload, bool request);
    void loadPresenceKeys(const QByteArray &cursor);
    void refreshServerCounts();
    void fetchForeign(const QString &nsp);
    void setState(State state, const QString &detail);
    void publishRequest(const QString &nsp, const QVariantMap &request, bool msgpack = false);
    static QVariantMap targetOptions(const QStringList &rooms, const QStringList &except);

    struct PendingAck
    {
        AckReplies done;
        int expectedServers = -1;
        int countedServers = 0;
        int clients = 0;
        QVariantList replies;
    };
    void checkAck(const QString &requestId);
    void finishAck(const QString &requestId, const QString &error);

    std::unique_ptr<redis::Connection> m_commands;
    std::unique_ptr<redis::Subscriber> m_subscriber;
    redis::Url m_url;
    cluster::Channels m_channels;
    QString m_uid;
    State m_state = State::Disconnected;
    QTimer m_refresh;
    QSet<QString> m_namespaces;
    QHash<QString, QSet<QString>> m_nodeNamespaces; // Switchboard uid -> its namespaces
    QHash<QString, qint64> m_nodeSeen;              // Switchboard uid -> last presence record
    QHash<QString, qint64> m_lastForeignFetch;      // nsp -> ms since the epoch
    QHash<QString, QString> m_fetchRequests;        // requestId -> nsp
    QHash<QString, PendingAck> m_acks;
    QString m_listRequestId;
    qint64 m_messagesSeen = 0;
};

} // namespace switchboard::console

Q_DECLARE_METATYPE(switchboard::console::TrafficRecord)
