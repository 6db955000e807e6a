#include "ui/common/MessageBox.h"

namespace {
QMessageBox::StandardButton s_nextAnswer = QMessageBox::NoButton;
QMessageBox::StandardButton s_defaultAnswer = QMessageBox::NoButton;
QString s_lastText;
int s_count = 0;
} // namespace

bool MessageBox::takeScripted(QMessageBox::StandardButton *answer)
{
    if (s_nextAnswer != QMessageBox::NoButton) {
        *answer = s_nextAnswer;
        s_nextAnswer = QMessageBox::NoButton;
        return true;
    }
    if (s_defaultAnswer != QMessageBox::NoButton) {
        *answer = s_defaultAnswer;
        return true;
    }
    return false;
}

QMessageBox::StandardButton MessageBox::question(QWidget *parent, const QString &title, const QString &text,
    QMessageBox::StandardButtons buttons, QMessageBox::StandardButton defaultButton)
{
    s_lastText = text;
    ++s_count;
    QMessageBox::StandardButton answer = QMessageBox::NoButton;
    if (takeScripted(&answer))
        return answer;
    QMessageBox box(QMessageBox::Question, title, text, buttons, parent);
    box.setDefaultButton(defaultButton);
    return static_cast<QMessageBox::StandardButton>(box.exec());
}

void MessageBox::warning(QWidget *parent, const QString &title, const QString &text, const QString &details)
{
    s_lastText = details.isEmpty() ? text : text + QLatin1Char('\n') + details;
    ++s_count;
    QMessageBox::StandardButton answer = QMessageBox::NoButton;
    if (takeScripted(&answer))
        return;
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    if (!details.isEmpty())
        box.setDetailedText(details);
    box.exec();
}

void MessageBox::information(QWidget *parent, const QString &title, const QString &text)
{
    s_lastText = text;
    ++s_count;
    QMessageBox::StandardButton answer = QMessageBox::NoButton;
    if (takeScripted(&answer))
        return;
    QMessageBox::information(parent, title, text);
}

void MessageBox::setNextAnswer(QMessageBox::StandardButton button)
{
    s_nextAnswer = button;
}
void MessageBox::setDefaultAnswer(QMessageBox::StandardButton button)
{
    s_defaultAnswer = button;
}
QString MessageBox::lastText()
{
    return s_lastText;
}
int MessageBox::count()
{
    return s_count;
}
