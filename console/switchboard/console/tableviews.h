// Settings shared by the console's big tables, so that 20 000 rows stay cheap: fixed row
// heights, no per-row widgets, and columns fitted to their contents only once per fill (or
// on request), never on every change.
#pragma once

#include <QObject>
#include <QTimer>

#include <functional>

class QLineEdit;
class QTableView;

namespace switchboard::console {

// Row selection, fixed row height, no vertical header, interactive column widths.
void setUpTable(QTableView *view);

// Fits the columns to what is visible; very wide columns (payloads) are capped. With
// `growOnly`, no column gets narrower.
void fitColumns(QTableView *view, bool growOnly = false);

// Calls `apply` with the text of a filter field once the user pauses typing: filtering
// thousands of rows on every keystroke would make typing lag.
void applyWhenTypingPauses(QLineEdit *edit, std::function<void(const QString &text)> apply);
inline constexpr int TypingPauseMs = 150;

// Fits a table's columns shortly after its model first has rows, and again after each reset
// (a new connection); in between, widens a column when what is shown no longer fits (a longer
// name, an id), at most every GrowMs and never narrowing one. A column the user resized is
// left alone. Lives as a child of the view.
class ColumnFitter : public QObject
{
    Q_OBJECT
public:
    static constexpr int SettleMs = 800; // let the first pages of a listing arrive
    static constexpr int GrowMs = 500;

    explicit ColumnFitter(QTableView *view);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void onRowsInserted();
    void growLater();
    void fit(bool growOnly);

    QTableView *m_view;
    QTimer *m_grow;
    bool m_armed = true;
    bool m_resizing = false;
};

} // namespace switchboard::console
