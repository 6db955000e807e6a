#pragma once

#include <QMessageBox>
#include <QString>

// The app's modal questions and notices go through here, so GUI tests can script them
// (KeePassXC's seam): setNextAnswer() makes the next call return that button at once, without
// showing a dialog. GUI thread only.
class MessageBox final
{
public:
    static QMessageBox::StandardButton question(QWidget *parent, const QString &title, const QString &text,
        QMessageBox::StandardButtons buttons, QMessageBox::StandardButton defaultButton);
    // A warning with an optional details text (e.g. one problem per line).
    static void warning(
        QWidget *parent, const QString &title, const QString &text, const QString &details = {});
    static void information(QWidget *parent, const QString &title, const QString &text);

    // Tests: the next dialog is answered with `button` and not shown.
    static void setNextAnswer(QMessageBox::StandardButton button);
    // Tests: every dialog is answered with `button` until reset with NoButton.
    static void setDefaultAnswer(QMessageBox::StandardButton button);
    // Tests: the text of the last dialog asked or shown, and how many there were.
    static QString lastText();
    static int count();

private:
    static bool takeScripted(QMessageBox::StandardButton *answer);
};
