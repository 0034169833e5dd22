#include "switchboard/console/injectdialog.h"

#include "switchboard/console/clusterwatcher.h"
#include "switchboard/console/socketsview.h"
#include "switchboard/json.h"
#include "switchboard/socketio.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace switchboard::console {

namespace {

constexpr int ReplyChars = 500;
const QColor ErrorColor(0xb0, 0x00, 0x20);
const QColor OkColor(0x1b, 0x7a, 0x2e);

QString replyText(const QVariant &reply)
{
    if (json::hasBinary(reply))
        return InjectDialog::tr("(binary data)");
    QString text = QString::fromUtf8(json::serialize(reply));
    if (text.size() > ReplyChars) {
        text.truncate(ReplyChars);
        text += u'…';
    }
    return text;
}

QString now()
{
    return QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

InjectDialog::InjectDialog(ClusterWatcher *watcher, const QStringList &namespaces, QWidget *parent)
    : QDialog(parent), m_watcher(watcher), m_namespace(new QComboBox(this)),
      m_toNamespace(new QRadioButton(tr("Whole &namespace"), this)),
      m_toRooms(new QRadioButton(tr("&Rooms"), this)),
      m_toSockets(new QRadioButton(tr("&Socket ids"), this)), m_rooms(new QLineEdit(this)),
      m_sockets(new QLineEdit(this)), m_except(new QLineEdit(this)), m_event(new QLineEdit(this)),
      m_payload(new QPlainTextEdit(this)), m_payloadStatus(new QLabel(this)),
      m_waitForAcks(new QCheckBox(tr("&Wait for acks, up to"), this)),
      m_ackTimeout(new QSpinBox(this)), m_problem(new QLabel(this)),
      m_results(new QListWidget(this)), m_send(new QPushButton(tr("S&end"), this))
{
    setWindowTitle(tr("Inject event"));
    setObjectName(QStringLiteral("injectDialog"));
    m_namespace->setObjectName(QStringLiteral("injectNamespace"));
    m_toNamespace->setObjectName(QStringLiteral("injectToNamespace"));
    m_toRooms->setObjectName(QStringLiteral("injectToRooms"));
    m_toSockets->setObjectName(QStringLiteral("injectToSockets"));
    m_rooms->setObjectName(QStringLiteral("injectRooms"));
    m_sockets->setObjectName(QStringLiteral("injectSocketIds"));
    m_except->setObjectName(QStringLiteral("injectExcept"));
    m_event->setObjectName(QStringLiteral("injectEvent"));
    m_payload->setObjectName(QStringLiteral("injectPayload"));
    m_payloadStatus->setObjectName(QStringLiteral("injectPayloadStatus"));
    m_waitForAcks->setObjectName(QStringLiteral("injectWaitForAcks"));
    m_ackTimeout->setObjectName(QStringLiteral("injectAckTimeout"));
    m_problem->setObjectName(QStringLiteral("injectProblem"));
    m_results->setObjectName(QStringLiteral("injectResults"));
    m_send->setObjectName(QStringLiteral("injectSend"));

    m_namespace->setEditable(true);
    m_namespace->setInsertPolicy(QComboBox::NoInsert);
    QStringList sorted = namespaces;
    sorted.sort();
    m_namespace->addItems(sorted);
    m_namespace->setCurrentText(sorted.contains(QStringLiteral("/")) || sorted.isEmpty()
                                    ? QStringLiteral("/")
                                    : sorted.first());
    auto *targets = new QButtonGroup(this);
    for (QRadioButton *b : {m_toNamespace, m_toRooms, m_toSockets})
        targets->addButton(b);
    m_toNamespace->setChecked(true);
    m_rooms->setPlaceholderText(tr("lobby, news"));
    m_sockets->setPlaceholderText(tr("socket ids, comma-separated"));
    m_except->setPlaceholderText(tr("rooms or socket ids to leave out, comma-separated"));
    m_event->setPlaceholderText(tr("event name, e.g. announcement"));
    m_payload->setPlaceholderText(
        tr("JSON: an array is the argument list, any other value is one argument.\n"
           "[\"hello\", {\"n\": 1}]   or   {\"text\": \"hi\"}"));
    m_payload->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payload->setTabChangesFocus(true);
    m_payload->setMinimumHeight(80);
    m_payload->setMaximumHeight(130);
    m_ackTimeout->setRange(100, 120000);
    m_ackTimeout->setSingleStep(500);
    m_ackTimeout->setSuffix(tr(" ms"));
    m_ackTimeout->setValue(DefaultAckTimeoutMs);
    m_problem->setStyleSheet(QStringLiteral("color: %1").arg(ErrorColor.name()));
    m_problem->setWordWrap(true);
    m_send->setDefault(true);
    m_results->setAlternatingRowColors(true);
    m_results->setUniformItemSizes(true);
    m_results->setMinimumHeight(100);

    auto *targetRow = new QHBoxLayout;
    targetRow->addWidget(m_toNamespace);
    targetRow->addWidget(m_toRooms);
    targetRow->addWidget(m_toSockets);
    targetRow->addStretch();
    auto *ackRow = new QHBoxLayout;
    ackRow->addWidget(m_waitForAcks);
    ackRow->addWidget(m_ackTimeout);
    ackRow->addStretch();

    auto *form = new QFormLayout;
    form->addRow(tr("Namespace:"), m_namespace);
    form->addRow(tr("Target:"), targetRow);
    form->addRow(tr("Rooms:"), m_rooms);
    form->addRow(tr("Socket ids:"), m_sockets);
    form->addRow(tr("E&xcept:"), m_except);
    form->addRow(tr("E&vent:"), m_event);
    form->addRow(tr("&Payload:"), m_payload);
    form->addRow(QString(), m_payloadStatus);
    form->addRow(tr("Acks:"), ackRow);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_send, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(new QLabel(tr("Results:"), this));
    layout->addWidget(m_results, 1);
    layout->addWidget(buttons);
    resize(620, 640);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_send, &QPushButton::clicked, this, &InjectDialog::send);
    connect(m_namespace, &QComboBox::editTextChanged, this, &InjectDialog::validate);
    connect(targets, &QButtonGroup::buttonToggled, this, &InjectDialog::validate);
    for (QLineEdit *edit : {m_rooms, m_sockets, m_except, m_event})
        connect(edit, &QLineEdit::textChanged, this, &InjectDialog::validate);
    connect(m_payload, &QPlainTextEdit::textChanged, this, &InjectDialog::validate);
    connect(m_waitForAcks, &QCheckBox::toggled, this, &InjectDialog::validate);
    validate();
}

void InjectDialog::setNamespace(const QString &nsp)
{
    m_namespace->setCurrentText(nsp);
}

void InjectDialog::setTarget(Target target, const QStringList &roomsOrIds)
{
    switch (target) {
    case Target::Namespace:
        m_toNamespace->setChecked(true);
        break;
    case Target::Rooms:
        m_toRooms->setChecked(true);
        m_rooms->setText(roomsOrIds.join(QStringLiteral(", ")));
        break;
    case Target::Sockets:
        m_toSockets->setChecked(true);
        m_sockets->setText(roomsOrIds.join(QStringLiteral(", ")));
        break;
    }
}

void InjectDialog::setExcept(const QStringList &except)
{
    m_except->setText(except.join(QStringLiteral(", ")));
}

void InjectDialog::setEvent(const QString &event)
{
    m_event->setText(event);
}

void InjectDialog::setPayload(const QString &json)
{
    m_payload->setPlainText(json);
}

void InjectDialog::setWaitForAcks(bool wait, int timeoutMs)
{
    m_waitForAcks->setChecked(wait);
    m_ackTimeout->setValue(timeoutMs);
}

void InjectDialog::setSendAllowed(bool allowed, const QString &why)
{
    m_sendAllowed = allowed;
    m_notAllowed = why;
    validate();
}

QVariantList InjectDialog::parsePayload(const QString &text, QString *error)
{
    const QByteArray bytes = text.trimmed().toUtf8();
    if (bytes.isEmpty())
        return {};
    const Decoded<QVariant> value = json::parse(bytes);
    if (!value) {
        if (error)
            *error = value.error();
        return {};
    }
    if (value->typeId() == QMetaType::QVariantList)
        return value->toList();
    return {*value};
}

QString InjectDialog::checkEventName(const QString &name)
{
    if (name.isEmpty())
        return tr("Enter an event name.");
    if (socketio::isReservedEvent(name))
        return tr("'%1' is a reserved event name.").arg(name);
    return {};
}

QString InjectDialog::problem() const
{
    if (!m_sendAllowed)
        return m_notAllowed.isEmpty() ? tr("Events cannot be sent now.") : m_notAllowed;
    if (!m_namespace->currentText().trimmed().startsWith(u'/'))
        return tr("A namespace starts with '/'.");
    if (m_toRooms->isChecked() && SocketsView::splitList(m_rooms->text()).isEmpty())
        return tr("Enter at least one room.");
    if (m_toSockets->isChecked() && SocketsView::splitList(m_sockets->text()).isEmpty())
        return tr("Enter at least one socket id.");
    if (const QString why = checkEventName(m_event->text().trimmed()); !why.isEmpty())
        return why;
    QString error;
    parsePayload(m_payload->toPlainText(), &error);
    if (!error.isEmpty())
        return tr("The payload is not valid JSON.");
    return {};
}

void InjectDialog::validate()
{
    m_rooms->setEnabled(m_toRooms->isChecked());
    m_sockets->setEnabled(m_toSockets->isChecked());
    m_ackTimeout->setEnabled(m_waitForAcks->isChecked());

    QString error;
    const QVariantList args = parsePayload(m_payload->toPlainText(), &error);
    if (!error.isEmpty())
        m_payloadStatus->setText(error);
    else if (args.isEmpty())
        m_payloadStatus->setText(tr("No arguments."));
    else
        m_payloadStatus->setText(args.size() == 1 ? tr("1 argument.")
                                                  : tr("%1 arguments.").arg(args.size()));
    m_payloadStatus->setStyleSheet(
        QStringLiteral("color: %1").arg((error.isEmpty() ? OkColor : ErrorColor).name()));

    // An empty form is not an error yet: say nothing until something is typed.
    const QString why = problem();
    m_problem->setText(m_event->text().isEmpty() && m_sendAllowed ? QString() : why);
    m_send->setEnabled(why.isEmpty());
}

void InjectDialog::addResult(const QString &text, const QColor &color)
{
    auto *item = new QListWidgetItem(text, m_results);
    if (color.isValid())
        item->setForeground(color);
    m_results->scrollToBottom();
}

void InjectDialog::send()
{
    if (!problem().isEmpty())
        return;
    const QString nsp = m_namespace->currentText().trimmed();
    QStringList rooms;
    QString target = tr("namespace %1").arg(nsp);
    if (m_toRooms->isChecked()) {
        rooms = SocketsView::splitList(m_rooms->text());
        target = tr("rooms %1 of %2").arg(rooms.join(QStringLiteral(", ")), nsp);
    } else if (m_toSockets->isChecked()) {
        rooms = SocketsView::splitList(m_sockets->text());
        target = rooms.size() == 1 ? tr("socket %1 of %2").arg(rooms.first(), nsp)
                                   : tr("%1 sockets of %2").arg(rooms.size()).arg(nsp);
    }
    const QStringList except = SocketsView::splitList(m_except->text());
    const QString event = m_event->text().trimmed();
    const QVariantList args = parsePayload(m_payload->toPlainText(), nullptr);

    if (!m_waitForAcks->isChecked()) {
        m_watcher->inject(nsp, rooms, except, event, args);
        addResult(tr("%1  sent '%2' to %3").arg(now(), event, target));
        return;
    }
    const QString sent = tr("%1  '%2' to %3").arg(now(), event, target);
    auto *pending = new QListWidgetItem(tr("%1 — waiting for acks…").arg(sent), m_results);
    m_results->scrollToBottom();
    m_watcher->injectWithAck(
        nsp, rooms, except, event, args, m_ackTimeout->value(),
        [dialog = QPointer<InjectDialog>(this), pending, sent](const QString &error, int clients,
                                                               const QVariantList &replies) {
            if (!dialog)
                return;
            QString summary = clients == 1 ? tr("%1 — 1 client").arg(sent)
                                           : tr("%1 — %2 clients").arg(sent).arg(clients);
            summary +=
                replies.size() == 1 ? tr(", 1 reply") : tr(", %1 replies").arg(replies.size());
            if (!error.isEmpty())
                summary += tr(" — %1").arg(error);
            pending->setText(summary);
            pending->setForeground(error.isEmpty() ? OkColor : ErrorColor);
            int row = dialog->m_results->row(pending);
            for (const QVariant &reply : replies)
                dialog->m_results->insertItem(++row,
                                              QStringLiteral("    ↳ %1").arg(replyText(reply)));
            dialog->m_results->scrollToBottom();
        });
}

} // namespace switchboard::console
