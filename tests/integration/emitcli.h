// Runs the switchboard-emit executable (a real child process) to its end and keeps what it
// said: for the CLI suite and for the API suite's two backends.
#pragma once

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

struct EmitRun
{
    int exitCode = -1; // -1: did not run or did not end in time
    QByteArray out;
    QByteArray err;
    QString error;

    QString describe() const
    {
        return QStringLiteral("exit %1%2\nstdout: %3\nstderr: %4")
            .arg(exitCode)
            .arg(error.isEmpty() ? QString() : QStringLiteral(" (") + error + u')')
            .arg(QString::fromUtf8(out), QString::fromUtf8(err));
    }
};

// $SWITCHBOARD_EMIT (set by CTest), else the binary of the build tree this test is in.
inline QString emitExecutable()
{
    const QString fromEnv = qEnvironmentVariable("SWITCHBOARD_EMIT");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QFileInfo(QCoreApplication::applicationDirPath() +
                     QStringLiteral("/../../server/switchboard-emit"))
        .absoluteFilePath();
}

// Runs `program` with `args`, `input` on its stdin; spins the event loop meanwhile (a node in
// this process keeps serving).
inline EmitRun runProcess(const QString &program, const QStringList &args,
                          const QByteArray &input = {}, const QProcessEnvironment &env = {},
                          int timeoutMs = 10000)
{
    EmitRun run;
    QProcess process;
    if (!env.isEmpty())
        process.setProcessEnvironment(env);
    process.start(program, args);
    if (!process.waitForStarted(5000)) {
        run.error = QStringLiteral("cannot run %1: %2").arg(program, process.errorString());
        return run;
    }
    process.write(input);
    process.closeWriteChannel();
    if (!QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        run.error = QStringLiteral("still running after %1 ms").arg(timeoutMs);
        return run;
    }
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    if (process.exitStatus() != QProcess::NormalExit)
        run.error = QStringLiteral("crashed");
    else
        run.exitCode = process.exitCode();
    return run;
}

// switchboard-emit with a clean environment: nothing of the test's own may change its defaults.
inline EmitRun runEmit(const QStringList &args, const QByteArray &input = {},
                       const QStringList &envPairs = {})
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"REDIS_URL", "REDIS_KEY", "SWITCHBOARD_QUEUE"})
        env.remove(QString::fromLatin1(name));
    for (const QString &pair : envPairs)
        env.insert(pair.section(u'=', 0, 0), pair.section(u'=', 1));
    return runProcess(emitExecutable(), args, input, env);
}
