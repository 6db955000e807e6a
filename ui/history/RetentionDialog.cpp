#include "ui/history/RetentionDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

RetentionDialog::RetentionDialog(QWidget *parent)
    : QDialog(parent)
    , m_keepEnabled(new QCheckBox(tr("Keep only the last"), this))
    , m_keep(new QSpinBox(this))
    , m_olderEnabled(new QCheckBox(tr("Delete runs older than"), this))
    , m_older(new QSpinBox(this))
{
    setObjectName(QStringLiteral("retentionDialog"));
    setWindowTitle(tr("History retention"));
    m_keepEnabled->setObjectName(QStringLiteral("retentionKeepLastEnabled"));
    m_keep->setObjectName(QStringLiteral("retentionKeepLast"));
    m_olderEnabled->setObjectName(QStringLiteral("retentionOlderEnabled"));
    m_older->setObjectName(QStringLiteral("retentionOlderThanDays"));
    m_keep->setRange(1, 100'000'000);
    m_keep->setValue(1000);
    m_keep->setSuffix(tr(" executions"));
    m_older->setRange(1, 36500);
    m_older->setValue(30);
    m_older->setSuffix(tr(" days"));
    m_keepEnabled->setChecked(true);

    auto *form = new QFormLayout;
    form->addRow(m_keepEnabled, m_keep);
    form->addRow(m_olderEnabled, m_older);
    auto *note
        = new QLabel(tr("Queued and running executions are never deleted. This cannot be undone."), this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Delete"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto update = [this, buttons] {
        m_keep->setEnabled(m_keepEnabled->isChecked());
        m_older->setEnabled(m_olderEnabled->isChecked());
        buttons->button(QDialogButtonBox::Ok)
            ->setEnabled(m_keepEnabled->isChecked() || m_olderEnabled->isChecked());
    };
    connect(m_keepEnabled, &QCheckBox::toggled, this, update);
    connect(m_olderEnabled, &QCheckBox::toggled, this, update);
    update();

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
}

int RetentionDialog::keepLast() const
{
    return m_keepEnabled->isChecked() ? m_keep->value() : 0;
}

int RetentionDialog::olderThanDays() const
{
    return m_olderEnabled->isChecked() ? m_older->value() : 0;
}
