// Emits an event to sockets of the cluster as a broadcast of the adapter (what
// `io.to(rooms).except(...).emit(event, ...args)` on a server would publish), optionally asking
// the clients for acks and listing their replies.
#pragma once

#include <QDialog>
#include <QVariantList>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace switchboard::console {

class ClusterWatcher;

class InjectDialog : public QDialog
{
    Q_OBJECT
public:
    static constexpr int DefaultAckTimeoutMs = 5000;

    enum class Target
    {
        Namespace,
        Rooms,
        Sockets
    };

    explicit InjectDialog(ClusterWatcher *watcher, const QStringList &namespaces,
                          QWidget *parent = nullptr);

    void setNamespace(const QString &nsp);
    void setTarget(Target target, const QStringList &roomsOrIds = {});
    void setExcept(const QStringList &except);
    void setEvent(const QString &event);
    void setPayload(const QString &json);
    void setWaitForAcks(bool wait, int timeoutMs = DefaultAckTimeoutMs);
    // Disallowed when disconnected or read-only; `why` says which.
    void setSendAllowed(bool allowed, const QString &why = {});

    QListWidget *results() const { return m_results; }
    // Why the form cannot be sent, or an empty string.
    QString problem() const;
    void send();

    // The payload as event arguments: a JSON array is the argument list, any other JSON value
    // one argument, blank text none. `error` is set when the text is not JSON.
    static QVariantList parsePayload(const QString &text, QString *error);
    // Why `name` cannot be an event name, or an empty string.
    static QString checkEventName(const QString &name);

private:
    void validate();
    void addResult(const QString &text, const QColor &color = {});

    ClusterWatcher *m_watcher;
    QComboBox *m_namespace;
    QRadioButton *m_toNamespace;
    QRadioButton *m_toRooms;
    QRadioButton *m_toSockets;
    QLineEdit *m_rooms;
    QLineEdit *m_sockets;
    QLineEdit *m_except;
    QLineEdit *m_event;
    QPlainTextEdit *m_payload;
    QLabel *m_payloadStatus;
    QCheckBox *m_waitForAcks;
    QSpinBox *m_ackTimeout;
    QLabel *m_problem;
    QListWidget *m_results;
    QPushButton *m_send;
    bool m_sendAllowed = true;
    QString m_notAllowed;
};

} // namespace switchboard::console
