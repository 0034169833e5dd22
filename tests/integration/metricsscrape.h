// A node's GET /metrics as the suites read it back (tst_ops, tst_emitapi, tst_queue): its
// samples by "name{labels}", parsed here rather than with the code under test, and Debian's
// promtool's verdict on the text.
#pragma once

#include "httpreply.h"

#include <QHash>
#include <QProcess>
#include <QStandardPaths>

// "name{labels}" -> value for every sample line of an exposition.
inline QHash<QString, double> samplesOf(const QByteArray &text)
{
    QHash<QString, double> samples;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        samples.insert(QString::fromUtf8(line.left(space)), line.mid(space + 1).toDouble());
    }
    return samples;
}

// The exposition of the node on `port`; empty unless it answered 200.
inline QByteArray metricsText(quint16 port)
{
    const HttpReply reply = HttpReply::parse(
        httpExchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    return reply.status == 200 ? reply.body : QByteArray();
}

// Debian's promtool on an exposition: its complaints (lint included), empty when clean.
inline QString promtoolProblems(const QByteArray &text)
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty())
        return QStringLiteral("promtool not found (Debian package prometheus)");
    QProcess process;
    process.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    if (!process.waitForStarted(5000))
        return QStringLiteral("cannot run promtool: ") + process.errorString();
    process.write(text);
    process.closeWriteChannel();
    if (!process.waitForFinished(10000))
        return QStringLiteral("promtool did not finish");
    const QString output =
        QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError())
            .trimmed();
    if (process.exitCode() != 0 || !output.isEmpty())
        return QStringLiteral("exit %1: %2").arg(process.exitCode()).arg(output);
    return {};
}
