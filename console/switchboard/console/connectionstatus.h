// The status bar's account of the Redis connection: a colored dot, the state and its detail
// (the server, or why it is reconnecting), and "read-only" when actions are disabled.
#pragma once

#include "switchboard/console/clusterwatcher.h"

#include <QWidget>

class QLabel;

namespace switchboard::console {

class ConnectionStatus : public QWidget
{
    Q_OBJECT
public:
    explicit ConnectionStatus(QWidget *parent = nullptr);

    void setState(ClusterWatcher::State state, const QString &detail);
    void setReadOnly(bool readOnly);
    QString text() const;

    static QColor colorOf(ClusterWatcher::State state);
    static QString nameOf(ClusterWatcher::State state);

private:
    QLabel *m_indicator;
    QLabel *m_text;
    QLabel *m_readOnly;
};

} // namespace switchboard::console
