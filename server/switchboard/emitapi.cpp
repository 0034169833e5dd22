#include "switchboard/emitapi.h"

#include "switchboard/cluster.h"
#include "switchboard/emitjob.h"
#include "switchboard/json.h"
#include "switchboard/logging.h"
#include "switchboard/redaction.h"
#include "switchboard/server.h"

namespace switchboard {

namespace {

// The media types a JSON body may be announced with; none at all is accepted too (curl -d
// without -H, most HTTP libraries' raw bodies).
bool isJsonType(const QByteArray &contentType)
{
    const QByteArray type = contentType.split(';').first().trimmed().toLower();
    return type.isEmpty() || type == "application/json" || type.endsWith("+json");
}

} // namespace

EmitApi::EmitApi(Server *server, Cluster *cluster, const QString &token, QObject *parent)
    : QObject(parent), m_server(server), m_cluster(cluster), m_token(token.toUtf8())
{
    Q_ASSERT(!m_token.isEmpty());
    const QString path = Path.toString();
    server->http()->route("*", path, [this](const HttpRequest &r) { return handle(r); });
    server->http()->setRouteBodyRefusalHandler(path, [this](const HttpRequest &) {
        ++m_requestsByStatus[413]; // answered by the front: over --max-payload
    });
}

HttpResponse EmitApi::answer(const HttpRequest &request, int status, const QString &error)
{
    ++m_requestsByStatus[status];
    if (error.isEmpty())
        return HttpResponse::json(status, R"({"ok":true})");
    // Who was refused and why, never what they sent as a token.
    qCInfo(lcHttp).noquote() << "refused" << quoted(request.method, 20) << Path << "from"
                             << request.peer.toString() << "with" << status << "-"
                             << quoted(error, 300);
    return HttpResponse::json(status, json::serialize(QVariantMap{
                                          {QStringLiteral("ok"), false},
                                          {QStringLiteral("error"), error},
                                      }));
}

QString EmitApi::authorizationProblem(const HttpRequest &request) const
{
    const QByteArray header = request.header("authorization").trimmed();
    if (header.isEmpty())
        return QStringLiteral("missing Authorization: Bearer <token>");
    const qsizetype space = header.indexOf(' ');
    const QByteArray scheme = header.left(space);
    if (space < 0 || scheme.compare("Bearer", Qt::CaseInsensitive) != 0)
        return QStringLiteral("Authorization must use the Bearer scheme");
    if (!sameSecret(header.mid(space + 1).trimmed(), m_token))
        return QStringLiteral("invalid token");
    return {};
}

HttpResponse EmitApi::handle(const HttpRequest &request)
{
    if (request.method != "POST") {
        HttpResponse refused = answer(request, 405, QStringLiteral("use POST"));
        refused.headers.append(qMakePair(QByteArray("Allow"), QByteArray("POST")));
        return refused;
    }
    if (const QString problem = authorizationProblem(request); !problem.isEmpty()) {
        HttpResponse refused = answer(request, 401, problem);
        // RFC 6750, 3: the scheme, and why a token that was given is refused.
        const QByteArray challenge = problem == u"invalid token" ? R"(Bearer error="invalid_token")"
                                                                 : R"(Bearer realm="switchboard")";
        refused.headers.append(qMakePair(QByteArray("WWW-Authenticate"), challenge));
        return refused;
    }
    if (const QByteArray type = request.header("content-type"); !isJsonType(type))
        return answer(request, 400,
                      QStringLiteral("Content-Type is %1: the body must be JSON, sent as "
                                     "application/json (curl: -H 'Content-Type: "
                                     "application/json')")
                          .arg(quoted(type, 100)));
    const Decoded<EmitJob> job = parseEmitJob(request.body, m_server->options().maxDepth);
    if (!job)
        return answer(request, 400, job.error());
    // Redis down: other nodes would miss it while this node's clients got it. Refused whole, so
    // that the backend retries it for everyone.
    if (m_cluster && !m_cluster->isConnected())
        return answer(request, 503, QStringLiteral("the cluster's Redis is unreachable: retry"));
    deliver(*job);
    return answer(request, 202, {});
}

void EmitApi::deliver(const EmitJob &job)
{
    ++m_emitted;
    // Never create a namespace for an API call (callers would make the node grow them without
    // bound): one without sockets here is only published, for the nodes where it exists.
    if (Namespace *nsp = m_server->existingNamespace(job.nsp)) {
        BroadcastOperator op = nsp->except(job.except);
        if (!job.to.isEmpty())
            op = op.to(job.to);
        op.emit(job.event, job.args); // the event name was checked by parseEmitJob
        return;
    }
    if (!m_cluster)
        return;
    cluster::BroadcastMessage message = toBroadcast(job);
    message.uid = m_cluster->uid();
    m_cluster->publish(broadcastChannel(m_cluster->channels(), message),
                       cluster::encodeBroadcast(message));
}

} // namespace switchboard
