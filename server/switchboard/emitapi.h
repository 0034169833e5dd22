// POST /api/emit: a backend that holds no socket emits to rooms, socket ids or a whole
// namespace of the cluster over HTTP, authenticated by a bearer token. The body is an emit job
// (emitjob.h); the emit goes out as a broadcast from a server would.
#pragma once

#include "switchboard/httpfront.h"

#include <QByteArray>
#include <QMap>
#include <QObject>

namespace switchboard {

class Cluster;
class Server;
struct EmitJob;

class EmitApi : public QObject
{
    Q_OBJECT
public:
    static constexpr QStringView Path = u"/api/emit";

    // Routes Path on `server`'s HTTP front. `cluster` may be null (a single node); `token` must
    // not be empty (without a token there is no endpoint: it answers 404 as any unknown path).
    EmitApi(Server *server, Cluster *cluster, const QString &token, QObject *parent = nullptr);

    // The requests answered, by HTTP status: those the front refused for their size (413)
    // included, unknown paths not.
    const QMap<int, quint64> &requestsByStatus() const { return m_requestsByStatus; }
    // Jobs delivered: to this node's sockets and published, or only published (the namespace
    // does not exist here).
    quint64 emitted() const { return m_emitted; }

private:
    HttpResponse handle(const HttpRequest &request);
    HttpResponse answer(const HttpRequest &request, int status, const QString &error);
    // Why the request may not emit (a 401's reason), or an empty string.
    QString authorizationProblem(const HttpRequest &request) const;
    void deliver(const EmitJob &job);

    Server *m_server;
    Cluster *m_cluster;
    QByteArray m_token;
    QMap<int, quint64> m_requestsByStatus;
    quint64 m_emitted = 0;
};

} // namespace switchboard
