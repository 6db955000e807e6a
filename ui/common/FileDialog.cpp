#include "ui/common/FileDialog.h"

#include <QFileDialog>

namespace {
bool s_scripted = false;
QString s_nextFileName;
} // namespace

bool FileDialog::takeScripted(QString *fileName)
{
    if (!s_scripted)
        return false;
    *fileName = s_nextFileName;
    s_scripted = false;
    s_nextFileName.clear();
    return true;
}

QString FileDialog::getOpenFileName(
    QWidget *parent, const QString &caption, const QString &dir, const QString &filter)
{
    QString name;
    if (takeScripted(&name))
        return name;
    return QFileDialog::getOpenFileName(parent, caption, dir, filter);
}

QString FileDialog::getSaveFileName(
    QWidget *parent, const QString &caption, const QString &dir, const QString &filter)
{
    QString name;
    if (takeScripted(&name))
        return name;
    return QFileDialog::getSaveFileName(parent, caption, dir, filter);
}

void FileDialog::setNextFileName(const QString &fileName)
{
    s_scripted = true;
    s_nextFileName = fileName;
}

void FileDialog::setNextCancel()
{
    s_scripted = true;
    s_nextFileName.clear();
}
