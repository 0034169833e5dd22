#include "switchboard/console/trafficview.h"

#include "switchboard/console/nodesmodel.h"
#include "switchboard/console/tableviews.h"
#include "switchboard/console/trafficmodel.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QScrollBar>
#include <QStyle>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace switchboard::console {

TrafficView::TrafficView(TrafficModel *traffic, QWidget *parent)
    : QWidget(parent), m_traffic(traffic), m_filter(new TrafficFilter(this)),
      m_table(new QTableView(this)), m_text(new QLineEdit(this)), m_rates(new QLabel(this))
{
    setObjectName(QStringLiteral("trafficPage"));
    m_table->setObjectName(QStringLiteral("trafficView"));
    m_text->setObjectName(QStringLiteral("trafficFilter"));
    m_rates->setObjectName(QStringLiteral("trafficRates"));

    m_filter->setSourceModel(traffic);
    m_table->setModel(m_filter);
    setUpTable(m_table);
    new ColumnFitter(m_table);

    m_pause = new QAction(style()->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this);
    m_pause->setObjectName(QStringLiteral("pauseTrafficAction"));
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pause->setToolTip(tr("Stop adding records (rates keep counting)"));
    m_clear = new QAction(style()->standardIcon(QStyle::SP_DialogResetButton), tr("C&lear"), this);
    m_clear->setObjectName(QStringLiteral("clearTrafficAction"));
    m_clear->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_export = new QAction(style()->standardIcon(QStyle::SP_DialogSaveButton),
                           tr("&Export traffic…"), this);
    m_export->setObjectName(QStringLiteral("exportTrafficAction"));
    m_export->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_export->setToolTip(tr("Save the records kept as JSON lines"));
    connect(m_pause, &QAction::toggled, this, &TrafficView::setPaused);
    connect(m_clear, &QAction::triggered, traffic, &TrafficModel::clear);
    connect(m_export, &QAction::triggered, this, &TrafficView::exportWithDialog);

    auto *toolBar = new QToolBar(this);
    toolBar->setObjectName(QStringLiteral("trafficToolBar"));
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->setIconSize(QSize(16, 16));
    toolBar->addActions({m_pause, m_clear, m_export});
    toolBar->widgetForAction(m_pause)->setObjectName(QStringLiteral("trafficPause"));
    toolBar->widgetForAction(m_clear)->setObjectName(QStringLiteral("trafficClear"));
    toolBar->widgetForAction(m_export)->setObjectName(QStringLiteral("trafficExport"));
    m_text->setPlaceholderText(tr("Filter traffic (event, room, origin, payload…)"));
    m_text->setClearButtonEnabled(true);

    auto *top = new QHBoxLayout;
    top->addWidget(toolBar);
    top->addWidget(m_text, 1);
    top->addSpacing(12);
    top->addWidget(m_rates);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 6);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);

    applyWhenTypingPauses(m_text, [this](const QString &text) { m_filter->setText(text); });
    connect(traffic, &TrafficModel::ratesChanged, this, &TrafficView::updateRates);

    connect(m_filter, &QAbstractItemModel::rowsAboutToBeInserted, this, &TrafficView::beforeChange);
    connect(m_filter, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int first, int last) {
                beforeChange();
                if (first == 0)
                    m_droppedAbove += last - first + 1;
            });
    updateRates();
}

bool TrafficView::atBottom() const
{
    const QScrollBar *bar = m_table->verticalScrollBar();
    return bar->value() >= bar->maximum() - 1;
}

// The model appends and drops in batches; what the view does is decided once per batch,
// from where the user was when it began.
void TrafficView::beforeChange()
{
    if (m_changePending)
        return;
    m_changePending = true;
    m_followBottom = atBottom();
    m_droppedAbove = 0;
    QTimer::singleShot(0, this, &TrafficView::afterChange);
}

void TrafficView::afterChange()
{
    m_changePending = false;
    if (m_followBottom && !m_traffic->isPaused()) {
        m_table->scrollToBottom();
    } else if (m_droppedAbove > 0) {
        // Keep the rows the user is reading in place while old ones go.
        QScrollBar *bar = m_table->verticalScrollBar();
        bar->setValue(std::max(0, bar->value() - m_droppedAbove));
    }
    m_droppedAbove = 0;
}

void TrafficView::setPaused(bool paused)
{
    m_traffic->setPaused(paused);
    m_pause->setText(paused ? tr("&Resume") : tr("&Pause"));
    m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    if (!paused)
        m_table->scrollToBottom();
    updateRates();
}

void TrafficView::updateRates()
{
    m_rates->setText(ratesText());
}

QString TrafficView::ratesText() const
{
    QString text = tr("%1 msg/s · %2/s · %3 total")
                       .arg(qRound(m_traffic->messagesPerSecond()))
                       .arg(formatBytes(m_traffic->bytesPerSecond()))
                       .arg(m_traffic->total());
    if (m_traffic->isPaused())
        text += tr(" · paused");
    return text;
}

bool TrafficView::exportTo(const QString &path, QString *error) const
{
    return m_traffic->exportJsonLines(path, error);
}

void TrafficView::exportWithDialog()
{
    const QString suggested = QDir::home().filePath(
        QStringLiteral("switchboard-traffic-%1.jsonl")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export traffic (%n record(s))", nullptr, m_traffic->rowCount()), suggested,
        tr("JSON lines (*.jsonl *.ndjson);;All files (*)"));
    if (path.isEmpty())
        return;
    if (QString error; !exportTo(path, &error))
        QMessageBox::critical(
            this, tr("Export traffic"),
            tr("Could not write %1:\n%2").arg(QDir::toNativeSeparators(path), error));
}

} // namespace switchboard::console
