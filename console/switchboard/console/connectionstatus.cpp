#include "switchboard/console/connectionstatus.h"

#include <QColor>
#include <QHBoxLayout>
#include <QLabel>
#include <QMetaEnum>

namespace switchboard::console {

namespace {
constexpr int DotSize = 12;
}

ConnectionStatus::ConnectionStatus(QWidget *parent)
    : QWidget(parent), m_indicator(new QLabel(this)), m_text(new QLabel(this)),
      m_readOnly(new QLabel(tr("read-only"), this))
{
    m_indicator->setObjectName(QStringLiteral("statusIndicator"));
    m_text->setObjectName(QStringLiteral("statusText"));
    m_readOnly->setObjectName(QStringLiteral("readOnlyIndicator"));
    m_indicator->setFixedSize(DotSize, DotSize);
    m_readOnly->setStyleSheet(QStringLiteral("QLabel { color: white; background: #6d4c9f; "
                                             "border-radius: 3px; padding: 0 5px; }"));
    m_readOnly->setToolTip(tr("Started with --read-only: actions on the cluster are disabled."));
    m_readOnly->hide();
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(m_indicator);
    layout->addWidget(m_text);
    layout->addWidget(m_readOnly);
    layout->addStretch(1);
    setState(ClusterWatcher::State::Disconnected, {});
}

QColor ConnectionStatus::colorOf(ClusterWatcher::State state)
{
    switch (state) {
    case ClusterWatcher::State::Connected:
        return QColor(0x2e, 0x9e, 0x44);
    case ClusterWatcher::State::Connecting:
        return QColor(0xe0, 0xa1, 0x00);
    case ClusterWatcher::State::Reconnecting:
        return QColor(0xd9, 0x48, 0x1c);
    case ClusterWatcher::State::Disconnected:
        break;
    }
    return QColor(0x90, 0x90, 0x90);
}

QString ConnectionStatus::nameOf(ClusterWatcher::State state)
{
    switch (state) {
    case ClusterWatcher::State::Connected:
        return tr("Connected");
    case ClusterWatcher::State::Connecting:
        return tr("Connecting");
    case ClusterWatcher::State::Reconnecting:
        return tr("Reconnecting");
    case ClusterWatcher::State::Disconnected:
        break;
    }
    return tr("Disconnected");
}

void ConnectionStatus::setState(ClusterWatcher::State state, const QString &detail)
{
    const QColor color = colorOf(state);
    m_indicator->setStyleSheet(QStringLiteral("QLabel { background: %1; border: 1px solid %2; "
                                              "border-radius: %3px; }")
                                   .arg(color.name(), color.darker(140).name())
                                   .arg(DotSize / 2));
    // Tests and tools read the state without parsing colors.
    m_indicator->setProperty(
        "state",
        QString::fromLatin1(QMetaEnum::fromType<ClusterWatcher::State>().valueToKey(int(state)))
            .toLower());
    const QString text =
        detail.isEmpty() ? nameOf(state) : tr("%1 — %2").arg(nameOf(state), detail);
    m_text->setText(text);
    m_indicator->setToolTip(text);
}

void ConnectionStatus::setReadOnly(bool readOnly)
{
    m_readOnly->setVisible(readOnly);
}

QString ConnectionStatus::text() const
{
    return m_text->text();
}

} // namespace switchboard::console
