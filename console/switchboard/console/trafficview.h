// The live log of cluster traffic: pause, clear, export as JSON lines, a text filter, the
// rates, and a table that follows the newest records unless the user scrolled up or paused.
#pragma once

#include <QTimer>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QTableView;
class QModelIndex;

namespace switchboard::console {

class TrafficFilter;
class TrafficModel;

class TrafficView : public QWidget
{
    Q_OBJECT
public:
    explicit TrafficView(TrafficModel *traffic, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    TrafficFilter *filter() const { return m_filter; }
    QLineEdit *filterEdit() const { return m_text; }
    QAction *pauseAction() const { return m_pause; }
    QAction *clearAction() const { return m_clear; }
    QAction *exportAction() const { return m_export; }
    QString ratesText() const;

    // Asks for a file and writes every record kept; errors are shown in a message box.
    void exportWithDialog();
    bool exportTo(const QString &path, QString *error) const;

private:
    void setPaused(bool paused);
    void updateRates();
    void beforeChange();
    void afterChange();
    bool atBottom() const;

    TrafficModel *m_traffic;
    TrafficFilter *m_filter;
    QTableView *m_table;
    QLineEdit *m_text;
    QLabel *m_rates;
    QAction *m_pause;
    QAction *m_clear;
    QAction *m_export;
    // Auto-scroll: whether the view was at the bottom when a batch of changes began, and how
    // many rows were dropped above the visible ones meanwhile.
    bool m_changePending = false;
    bool m_followBottom = true;
    int m_droppedAbove = 0;
};

} // namespace switchboard::console
