// A value that names who receives a broadcast (rooms, except, flags) and emits to them:
// `server.of("/chat")->to("room").except(id).emit("ev", {..})`.
#pragma once

#include "switchboard/adapter.h"

#include <QStringList>
#include <QVariantList>

namespace switchboard {

class Namespace;

class BroadcastOperator
{
public:
    explicit BroadcastOperator(Namespace *nsp, BroadcastOptions options = {});

    BroadcastOperator to(const QString &room) const;
    BroadcastOperator to(const QStringList &rooms) const;
    BroadcastOperator in(const QString &room) const { return to(room); }
    BroadcastOperator except(const QString &room) const;
    BroadcastOperator except(const QStringList &rooms) const;
    BroadcastOperator local() const;
    BroadcastOperator volatile_() const;

    // Encodes the event once and hands it to the adapter. False (and a warning) for a
    // reserved event name.
    bool emit(const QString &event, const QVariantList &args = {}) const;

    // Ids of this node's sockets that the broadcast would reach.
    QSet<QString> localSocketIds() const;

    const BroadcastOptions &options() const { return m_options; }

private:
    Namespace *m_nsp;
    BroadcastOptions m_options;
};

} // namespace switchboard
