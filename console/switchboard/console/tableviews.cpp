#include "switchboard/console/tableviews.h"

#include <QEvent>
#include <QFontMetrics>
#include <QHeaderView>
#include <QLineEdit>
#include <QStyle>
#include <QTableView>
#include <QTimer>

namespace switchboard::console {

namespace {
constexpr int MaxFittedWidth = 420;
}

void setUpTable(QTableView *view)
{
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->setShowGrid(false);
    view->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // A fixed section size spares the header from measuring rows.
    QHeaderView *rows = view->verticalHeader();
    rows->setSectionResizeMode(QHeaderView::Fixed);
    rows->setDefaultSectionSize(view->fontMetrics().height() + 6);
    rows->hide();
    QHeaderView *columns = view->horizontalHeader();
    columns->setSectionResizeMode(QHeaderView::Interactive);
    columns->setStretchLastSection(true);
    columns->setHighlightSections(false);
    columns->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
}

// Not resizeColumnsToContents(): the header's size hints reserve room for a sort arrow in
// every column, which makes a table of short numbers twice as wide as it needs to be.
void fitColumns(QTableView *view, bool growOnly)
{
    QHeaderView *columns = view->horizontalHeader();
    const QFontMetrics metrics(columns->font());
    const int padding =
        2 * view->style()->pixelMetric(QStyle::PM_HeaderMargin, nullptr, columns) + 6;
    const int arrow = view->style()->pixelMetric(QStyle::PM_HeaderMarkSize, nullptr, columns);
    const int growth = 2 * view->fontMetrics().horizontalAdvance(u'0');
    for (int c = 0; c < columns->count(); ++c) {
        if (columns->isSectionHidden(c))
            continue;
        const QString title = view->model()->headerData(c, Qt::Horizontal).toString();
        int width = metrics.horizontalAdvance(title) + padding;
        if (columns->isSortIndicatorShown() && columns->sortIndicatorSection() == c)
            width += arrow;
        // Public in the base class, protected in QTableView. Live values grow ("9 s" becomes
        // "10 s"): a little room spares them an ellipsis.
        const int contents = static_cast<const QAbstractItemView *>(view)->sizeHintForColumn(c);
        width = std::max(width, contents + growth);
        width = std::min(width, MaxFittedWidth);
        if (!growOnly || width > columns->sectionSize(c))
            columns->resizeSection(c, width);
    }
}

void applyWhenTypingPauses(QLineEdit *edit, std::function<void(const QString &text)> apply)
{
    auto *pause = new QTimer(edit);
    pause->setSingleShot(true);
    pause->setInterval(TypingPauseMs);
    QObject::connect(edit, &QLineEdit::textChanged, pause, qOverload<>(&QTimer::start));
    QObject::connect(pause, &QTimer::timeout, edit,
                     [edit, apply = std::move(apply)] { apply(edit->text()); });
}

ColumnFitter::ColumnFitter(QTableView *view) : QObject(view), m_view(view), m_grow(new QTimer(this))
{
    QAbstractItemModel *model = view->model();
    m_grow->setSingleShot(true);
    m_grow->setInterval(GrowMs);
    connect(m_grow, &QTimer::timeout, this, [this] { fit(true); });
    connect(model, &QAbstractItemModel::rowsInserted, this, &ColumnFitter::onRowsInserted);
    connect(model, &QAbstractItemModel::rowsInserted, this, &ColumnFitter::growLater);
    connect(model, &QAbstractItemModel::dataChanged, this, &ColumnFitter::growLater);
    connect(model, &QAbstractItemModel::layoutChanged, this, &ColumnFitter::growLater);
    view->installEventFilter(this); // a hidden table grows when it shows
    connect(model, &QAbstractItemModel::modelReset, this, [this] { m_armed = true; });
    // Before any row: at least the titles fit.
    fit(true);
    if (model->rowCount() > 0)
        onRowsInserted();
    QHeaderView *header = view->horizontalHeader();
    connect(header, &QHeaderView::sectionResized, this, [this, header](int column) {
        const bool stretched = header->stretchLastSection() && column == header->count() - 1;
        if (!m_resizing && !stretched) // the user's widths win from now on
            m_grow->disconnect(this);
    });
}

bool ColumnFitter::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view && event->type() == QEvent::Show)
        growLater();
    return QObject::eventFilter(watched, event);
}

void ColumnFitter::growLater()
{
    if (!m_armed && !m_grow->isActive())
        m_grow->start();
}

void ColumnFitter::onRowsInserted()
{
    if (!m_armed)
        return;
    m_armed = false;
    QTimer::singleShot(SettleMs, this, [this] { fit(false); });
}

void ColumnFitter::fit(bool growOnly)
{
    // Growing measures what is on screen only: the default looks at 1 000 rows, which costs
    // tens of milliseconds of text layout on every pass.
    if (growOnly && !m_view->isVisible())
        return; // what nobody sees need not fit yet
    QHeaderView *header = m_view->horizontalHeader();
    const int precision = header->resizeContentsPrecision();
    if (growOnly)
        header->setResizeContentsPrecision(0);
    m_resizing = true;
    fitColumns(m_view, growOnly);
    m_resizing = false;
    header->setResizeContentsPrecision(precision);
}

} // namespace switchboard::console
