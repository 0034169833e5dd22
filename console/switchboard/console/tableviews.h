// Settings shared by the console's big tables, so that 20 000 rows stay cheap: fixed row
// heights, no per-row widgets, and columns fitted to their contents only once per fill (or
// on request), never on every change.
#pragma once

#include <QObject>

#include <functional>

class QLineEdit;
class QTableView;

namespace switchboard::console {

// Row selection, fixed row height, no vertical header, interactive column widths.
void setUpTable(QTableView *view);

// Fits the columns to what is visible; very wide columns (payloads) are capped.
void fitColumns(QTableView *view);

// Calls `apply` with the text of a filter field once the user pauses typing: filtering
// thousands of rows on every keystroke would make typing lag.
void applyWhenTypingPauses(QLineEdit *edit, std::function<void(const QString &text)> apply);
inline constexpr int TypingPauseMs = 150;

// Fits a table's columns once, shortly after its model first has rows, and again after each
// reset (a new connection). Lives as a child of the view.
class ColumnFitter : public QObject
{
    Q_OBJECT
public:
    static constexpr int SettleMs = 800; // let the first pages of a listing arrive

    explicit ColumnFitter(QTableView *view);

private:
    void onRowsInserted();

    QTableView *m_view;
    bool m_armed = true;
};

} // namespace switchboard::console
