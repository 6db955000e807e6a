#pragma once

#include <QString>

class QWidget;

// File choosers go through here so GUI tests can script them (KeePassXC's seam):
// setNextFileName() makes the next call return that name without showing a dialog; an empty
// name set with setNextFileName(QString()) is "not set". setNextCancel() makes it return empty.
// GUI thread only.
class FileDialog final
{
public:
    static QString getOpenFileName(
        QWidget *parent, const QString &caption, const QString &dir, const QString &filter);
    static QString getSaveFileName(
        QWidget *parent, const QString &caption, const QString &dir, const QString &filter);

    static void setNextFileName(const QString &fileName);
    static void setNextCancel();

private:
    static bool takeScripted(QString *fileName);
};
