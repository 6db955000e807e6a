#pragma once

#include <QJsonObject>
#include <QList>
#include <QWidget>

class QLineEdit;
class QPushButton;
class QTextBrowser;

// A Single Agent conversation as a thread ("conversationThread"): each turn's user message and
// the agent's reply, each turn its own execution. Under it the message box
// ("conversationMessage") and Send ("continueButton"), enabled once a turn has completed and no
// run is going; Send emits continueRequested. Shown once there is a turn. GUI thread only.
class ConversationView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConversationView)
public:
    explicit ConversationView(QWidget *parent = nullptr);

    struct Turn
    {
        QString user; // the message (first turn: the inputs)
        QString reply; // empty while running
        QString executionId;
        bool failed = false;
        bool done = false;
    };

    // A new thread starting with `user` (the first run's inputs, as text).
    void startThread(const QString &user, const QString &executionId);
    // A turn that continues the thread.
    void addTurn(const QString &user, const QString &executionId);
    // The run of the last turn got its id from the backend.
    void setLastExecutionId(const QString &executionId);
    // The last turn ended.
    void finishTurn(const QString &reply, bool failed);
    // Whether Send is possible (a turn completed, not running).
    void setRunning(bool running);
    void clearThread();

    const QList<Turn> &turns() const { return m_turns; }
    // The execution the next message continues: the last completed turn's.
    QString lastExecutionId() const;
    QString threadHtml() const;

signals:
    void continueRequested(const QString &executionId, const QString &message);

private:
    void render();
    void updateButtons();

    QList<Turn> m_turns;
    bool m_running = false;
    QTextBrowser *m_thread = nullptr; // Owned (children, all of them).
    QLineEdit *m_message = nullptr;
    QPushButton *m_send = nullptr;
};
