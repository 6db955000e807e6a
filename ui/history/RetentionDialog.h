#pragma once

#include <QDialog>

class QCheckBox;
class QSpinBox;

// Asks how much history to keep: the last N executions and/or nothing older than D days.
// Object names: retentionDialog, retentionKeepLastEnabled, retentionKeepLast,
// retentionOlderEnabled, retentionOlderThanDays. GUI thread only.
class RetentionDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetentionDialog)
public:
    explicit RetentionDialog(QWidget *parent = nullptr);

    int keepLast() const; // 0 = no limit
    int olderThanDays() const; // 0 = no limit

private:
    QCheckBox *m_keepEnabled;
    QSpinBox *m_keep;
    QCheckBox *m_olderEnabled;
    QSpinBox *m_older;
};
