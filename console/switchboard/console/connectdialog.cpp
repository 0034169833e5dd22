#include "switchboard/console/connectdialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace switchboard::console {

namespace {

const QString DefaultUrl = QStringLiteral("redis://127.0.0.1:6379");
const QString DefaultKey = QStringLiteral("socket.io");

QString withoutCredentials(redis::Url url)
{
    url.user.clear();
    url.password.clear();
    return url.redacted();
}

} // namespace

// ---- recent connections ---------------------------------------------------------------

QList<RecentConnections::Entry> RecentConnections::load() const
{
    QList<Entry> entries;
    const int count = m_settings->beginReadArray(QStringLiteral("recentConnections"));
    for (int i = 0; i < count && i < MaxEntries; ++i) {
        m_settings->setArrayIndex(i);
        Entry e;
        e.url = m_settings->value(QStringLiteral("url")).toString();
        e.user = m_settings->value(QStringLiteral("user")).toString();
        e.key = m_settings->value(QStringLiteral("key"), DefaultKey).toString();
        e.rememberPassword = m_settings->value(QStringLiteral("rememberPassword")).toBool();
        if (e.rememberPassword)
            e.password = m_settings->value(QStringLiteral("password")).toString();
        if (!e.url.isEmpty())
            entries.append(e);
    }
    m_settings->endArray();
    return entries;
}

void RecentConnections::save(const QList<Entry> &entries)
{
    // Rewritten whole, so that a password no longer remembered leaves the file.
    m_settings->remove(QStringLiteral("recentConnections"));
    m_settings->beginWriteArray(QStringLiteral("recentConnections"), int(entries.size()));
    for (int i = 0; i < entries.size(); ++i) {
        const Entry &e = entries.at(i);
        m_settings->setArrayIndex(i);
        m_settings->setValue(QStringLiteral("url"), e.url);
        m_settings->setValue(QStringLiteral("user"), e.user);
        m_settings->setValue(QStringLiteral("key"), e.key);
        m_settings->setValue(QStringLiteral("rememberPassword"), e.rememberPassword);
        if (e.rememberPassword)
            m_settings->setValue(QStringLiteral("password"), e.password);
    }
    m_settings->endArray();
    m_settings->sync();
}

void RecentConnections::remember(Entry entry)
{
    if (!entry.rememberPassword)
        entry.password.clear();
    QList<Entry> entries = load();
    entries.removeIf([&](const Entry &e) {
        return e.url == entry.url && e.user == entry.user && e.key == entry.key;
    });
    entries.prepend(entry);
    if (entries.size() > MaxEntries)
        entries.resize(MaxEntries);
    save(entries);
}

void RecentConnections::remember(const redis::Url &url, const QString &key)
{
    Entry entry;
    entry.url = withoutCredentials(url);
    entry.user = url.user;
    entry.key = key;
    for (const Entry &known : load())
        if (known.url == entry.url && known.user == entry.user && known.key == entry.key)
            entry.rememberPassword = known.rememberPassword;
    entry.password = url.password;
    remember(entry);
}

void RecentConnections::forget(const Entry &entry)
{
    QList<Entry> entries = load();
    entries.removeAll(entry);
    save(entries);
}

// ---- dialog ---------------------------------------------------------------------------

ConnectDialog::ConnectDialog(QSettings *settings, QWidget *parent)
    : QDialog(parent), m_recent(settings), m_recentList(new QListWidget(this)),
      m_url(new QLineEdit(DefaultUrl, this)), m_user(new QLineEdit(this)),
      m_password(new QLineEdit(this)), m_key(new QLineEdit(DefaultKey, this)),
      m_rememberPassword(new QCheckBox(tr("Remember password"), this)), m_error(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Connect to a cluster"));
    setObjectName(QStringLiteral("connectDialog"));
    m_recentList->setObjectName(QStringLiteral("recentConnections"));
    m_url->setObjectName(QStringLiteral("connectUrl"));
    m_user->setObjectName(QStringLiteral("connectUser"));
    m_password->setObjectName(QStringLiteral("connectPassword"));
    m_key->setObjectName(QStringLiteral("connectKey"));
    m_rememberPassword->setObjectName(QStringLiteral("rememberPassword"));
    m_error->setObjectName(QStringLiteral("connectError"));

    m_url->setPlaceholderText(QStringLiteral("redis://host:6379/0  or  unix:///path/redis.sock"));
    m_url->setToolTip(tr("redis://[user[:password]@]host[:port][/db] or "
                         "unix:///path/to.sock[?db=N]. TLS (rediss://) is not supported."));
    m_user->setPlaceholderText(tr("default"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("none"));
    m_key->setPlaceholderText(DefaultKey);
    m_key->setToolTip(tr("The adapter's `key` option (--redis-key on the nodes)."));
    m_recentList->setMaximumHeight(110);
    m_recentList->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_recentList->setTextElideMode(Qt::ElideMiddle);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);

    auto *plainText =
        new QLabel(tr("A remembered password is stored in plain text in the settings file %1. "
                      "Otherwise it is never stored.")
                       .arg(settings->fileName()),
                   this);
    plainText->setObjectName(QStringLiteral("passwordStorageNote"));
    plainText->setWordWrap(true);
    plainText->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    plainText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont small = plainText->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    plainText->setFont(small);

    auto *forget = new QPushButton(tr("Forget"), this);
    forget->setObjectName(QStringLiteral("forgetConnection"));
    forget->setEnabled(false);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));

    auto *form = new QFormLayout;
    form->addRow(tr("Redis &URL:"), m_url);
    form->addRow(tr("&Key prefix:"), m_key);
    form->addRow(tr("&User:"), m_user);
    form->addRow(tr("&Password:"), m_password);
    auto *remember = new QVBoxLayout;
    remember->setSpacing(2);
    remember->addWidget(m_rememberPassword);
    remember->addWidget(plainText);
    form->addRow(QString(), remember);

    auto *recentRow = new QHBoxLayout;
    recentRow->addWidget(m_recentList, 1);
    recentRow->addWidget(forget, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Recent connections:"), this));
    layout->addLayout(recentRow);
    layout->addSpacing(6);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addStretch();
    layout->addWidget(m_buttons);
    setMinimumWidth(600);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    connect(m_url, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_key, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_recentList, &QListWidget::currentRowChanged, this, [this, forget](int row) {
        forget->setEnabled(row >= 0);
        if (row >= 0 && row < m_entries.size())
            fill(m_entries.at(row));
    });
    connect(m_recentList, &QListWidget::itemActivated, this, &ConnectDialog::accept);
    connect(forget, &QPushButton::clicked, this, &ConnectDialog::forgetSelected);

    reloadRecent();
    if (!m_entries.isEmpty())
        m_recentList->setCurrentRow(0);
    validate();
}

void ConnectDialog::reloadRecent()
{
    m_entries = m_recent.load();
    m_recentList->clear();
    for (const RecentConnections::Entry &e : std::as_const(m_entries)) {
        QString text = e.url;
        if (!e.user.isEmpty())
            text += tr(" — user %1").arg(e.user);
        if (e.key != DefaultKey)
            text += tr(" — key %1").arg(e.key);
        if (e.rememberPassword)
            text += tr(" — password saved");
        auto *item = new QListWidgetItem(text, m_recentList);
        item->setToolTip(tr("%1, user %2, key prefix %3")
                             .arg(e.url, e.user.isEmpty() ? tr("default") : e.user, e.key));
    }
}

void ConnectDialog::forgetSelected()
{
    const int row = m_recentList->currentRow();
    if (row < 0 || row >= m_entries.size())
        return;
    m_recent.forget(m_entries.at(row));
    reloadRecent();
}

void ConnectDialog::fill(const RecentConnections::Entry &entry)
{
    m_url->setText(entry.url);
    m_user->setText(entry.user);
    m_password->setText(entry.password);
    m_key->setText(entry.key);
    m_rememberPassword->setChecked(entry.rememberPassword);
}

void ConnectDialog::setKey(const QString &key)
{
    m_key->setText(key);
}

void ConnectDialog::setUrl(const QString &url)
{
    m_url->setText(url);
}

void ConnectDialog::validate()
{
    QString error;
    if (const Decoded<redis::Url> parsed = redis::Url::parse(m_url->text().trimmed()); !parsed)
        error = parsed.error();
    else if (m_key->text().trimmed().isEmpty())
        error = tr("The key prefix must not be empty.");
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

redis::Url ConnectDialog::url() const
{
    redis::Url url = redis::Url::parse(m_url->text().trimmed()).value();
    if (!m_user->text().isEmpty())
        url.user = m_user->text();
    if (!m_password->text().isEmpty())
        url.password = m_password->text();
    return url;
}

QString ConnectDialog::key() const
{
    return m_key->text().trimmed();
}

RecentConnections::Entry ConnectDialog::entry() const
{
    const redis::Url full = url();
    RecentConnections::Entry e;
    e.url = withoutCredentials(full);
    e.user = full.user;
    e.key = key();
    e.rememberPassword = m_rememberPassword->isChecked();
    e.password = e.rememberPassword ? full.password : QString();
    return e;
}

void ConnectDialog::accept()
{
    if (!redis::Url::parse(m_url->text().trimmed()) || key().isEmpty())
        return;
    m_recent.remember(entry());
    QDialog::accept();
}

} // namespace switchboard::console
