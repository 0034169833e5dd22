// Asks where the cluster's Redis server is and how to log in to it, offering the connections
// used before. Passwords are kept only when the user asks for it.
#pragma once

#include "switchboard/redisurl.h"

#include <QDialog>
#include <QList>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSettings;

namespace switchboard::console {

// The recent connections, most recent first, in QSettings ("recentConnections").
class RecentConnections
{
public:
    static constexpr int MaxEntries = 10;

    struct Entry
    {
        QString url; // without user or password
        QString user;
        QString key;
        QString password; // only when rememberPassword
        bool rememberPassword = false;
        friend bool operator==(const Entry &, const Entry &) = default;
    };

    explicit RecentConnections(QSettings *settings) : m_settings(settings) {}
    QList<Entry> load() const;
    // Puts `entry` first (replacing the entry of the same URL, user and key) and drops the
    // password unless it is to be remembered.
    void remember(Entry entry);
    // Records a connection made without the dialog (--redis): the password only if this
    // connection's entry already keeps one.
    void remember(const redis::Url &url, const QString &key);
    void forget(const Entry &entry);

private:
    void save(const QList<Entry> &entries);
    QSettings *m_settings;
};

class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QSettings *settings, QWidget *parent = nullptr);

    void setKey(const QString &key);
    void setUrl(const QString &url);
    // What to connect to: the URL with the user and password of the fields, if given.
    redis::Url url() const;
    QString key() const;

    void accept() override;

private:
    void fill(const RecentConnections::Entry &entry);
    void reloadRecent();
    void forgetSelected();
    void validate();
    RecentConnections::Entry entry() const;

    RecentConnections m_recent;
    QList<RecentConnections::Entry> m_entries;
    QListWidget *m_recentList;
    QLineEdit *m_url;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QLineEdit *m_key;
    QCheckBox *m_rememberPassword;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};

} // namespace switchboard::console
