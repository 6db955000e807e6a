#include "ui/testpanel/ConversationView.h"

#include "ui/common/StatusPalette.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextBrowser>
#include <QVBoxLayout>

ConversationView::ConversationView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("conversation"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    auto *title = new QLabel(tr("<b>Conversation</b> — each turn is its own run in history"), this);
    layout->addWidget(title);
    m_thread = new QTextBrowser(this);
    m_thread->setObjectName(QStringLiteral("conversationThread"));
    m_thread->setOpenLinks(false);
    layout->addWidget(m_thread, 1);
    auto *row = new QHBoxLayout;
    m_message = new QLineEdit(this);
    m_message->setObjectName(QStringLiteral("conversationMessage"));
    m_message->setPlaceholderText(tr("Reply to continue the conversation…"));
    m_send = new QPushButton(tr("Send"), this);
    m_send->setObjectName(QStringLiteral("continueButton"));
    m_send->setToolTip(tr("Continue this conversation with your message (a new run, next turn)"));
    row->addWidget(m_message, 1);
    row->addWidget(m_send);
    layout->addLayout(row);
    setVisible(false);

    const auto send = [this] {
        const QString text = m_message->text().trimmed();
        if (text.isEmpty() || !m_send->isEnabled())
            return;
        const QString from = lastExecutionId();
        m_message->clear();
        emit continueRequested(from, text);
    };
    connect(m_send, &QPushButton::clicked, this, send);
    connect(m_message, &QLineEdit::returnPressed, this, send);
    connect(m_message, &QLineEdit::textChanged, this, &ConversationView::updateButtons);
    updateButtons();
}

void ConversationView::startThread(const QString &user, const QString &executionId)
{
    m_turns.clear();
    addTurn(user, executionId);
}

void ConversationView::addTurn(const QString &user, const QString &executionId)
{
    m_turns.append(Turn { user, QString(), executionId, false, false });
    setVisible(true);
    render();
}

void ConversationView::setLastExecutionId(const QString &executionId)
{
    if (!m_turns.isEmpty())
        m_turns.last().executionId = executionId;
}

void ConversationView::finishTurn(const QString &reply, bool failed)
{
    if (m_turns.isEmpty())
        return;
    Turn &t = m_turns.last();
    t.reply = reply;
    t.failed = failed;
    t.done = true;
    render();
}

void ConversationView::setRunning(bool running)
{
    m_running = running;
    updateButtons();
}

void ConversationView::clearThread()
{
    m_turns.clear();
    setVisible(false);
    render();
}

QString ConversationView::lastExecutionId() const
{
    for (auto it = m_turns.crbegin(); it != m_turns.crend(); ++it)
        if (it->done && !it->failed)
            return it->executionId;
    return {};
}

QString ConversationView::threadHtml() const
{
    return m_thread->toHtml();
}

void ConversationView::render()
{
    const QString failed = statuspalette::color(statuspalette::Tone::Failed).name();
    QString html;
    for (int i = 0; i < m_turns.size(); ++i) {
        const Turn &t = m_turns.at(i);
        html += QStringLiteral("<p style='margin:6px 0 0 0;color:#666'>Turn %1</p>").arg(i + 1);
        html += QStringLiteral("<p style='margin:0'><b>%1</b> %2</p>")
                    .arg(tr("You:"), t.user.toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
        const QString reply = t.done ? t.reply : tr("…");
        html += QStringLiteral("<p style='margin:0%1'><b>%2</b> %3</p>")
                    .arg(t.failed ? QStringLiteral(";color:") + failed : QString(), tr("Agent:"),
                        reply.toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
    }
    m_thread->setHtml(html);
    m_thread->verticalScrollBar()->setValue(m_thread->verticalScrollBar()->maximum());
    updateButtons();
}

void ConversationView::updateButtons()
{
    const bool can = !m_running && !lastExecutionId().isEmpty();
    m_message->setEnabled(can);
    m_send->setEnabled(can && !m_message->text().trimmed().isEmpty());
}
