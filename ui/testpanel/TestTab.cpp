#include "ui/testpanel/TestTab.h"

#include "ui/form/FieldEditor.h"
#include "ui/form/FormBuilder.h"
#include "ui/testpanel/ExecutionTracker.h"
#include "ui/testpanel/FormColumn.h"
#include "ui/testpanel/RunOptions.h"
#include "ui/testpanel/RunOutputPane.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

TestTab::TestTab(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    m_tracker = new ExecutionTracker(backend, this);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_splitter = new QSplitter(Qt::Horizontal, this);
    layout->addWidget(m_splitter);
    m_column = new QWidget(m_splitter);
    m_columnLayout = new QVBoxLayout(m_column);
    m_columnLayout->setContentsMargins(8, 8, 8, 8);

    // Through virtual calls: these fire only after the subclass is fully constructed.
    connect(m_tracker, &ExecutionTracker::statusChanged, this, [this] { updateButtons(); });
    connect(m_tracker, &ExecutionTracker::finished, this, [this](const QString &status) {
        onRunFinished(status);
        updateButtons();
        emit runningChanged(false);
    });
}

bool TestTab::isRunning() const
{
    return m_tracker->isActive();
}

void TestTab::cancel()
{
    m_tracker->cancel();
}

void TestTab::focusFirstField()
{
    for (FormBuilder *form : forms()) {
        if (form->fields().isEmpty())
            continue;
        if (FieldEditor *editor = form->editor(form->fields().first().name)) {
            editor->inputWidget()->setFocus(Qt::OtherFocusReason);
            return;
        }
    }
}

void TestTab::addRunRow(const QString &runText, const QString &runToolTip, int runMinimumWidth)
{
    m_options = new RunOptions(m_backend, m_column);
    // The pending mocks above the status line (a line only while there are some), Budget and
    // Mock a tool left of Cancel / Run: no height taken from the form.
    m_columnLayout->addWidget(m_options->pendingLabel());
    const formcolumn::RunRow row
        = formcolumn::addRunRow(m_columnLayout, m_column, runText, runToolTip, runMinimumWidth);
    row.buttons->insertWidget(0, m_options);
    m_formStatus = row.status;
    m_cancel = row.cancel;
    m_run = row.run;
    connect(m_run, &QPushButton::clicked, this, [this] { run(); });
    connect(m_cancel, &QPushButton::clicked, this, &TestTab::cancel);
}

RunOutputPane *TestTab::createOutput(QWidget *parent)
{
    Q_ASSERT(!m_output);
    m_output = new RunOutputPane(m_tracker, parent);
    return m_output;
}

void TestTab::placeOutputBesideColumn()
{
    createOutput(m_splitter);
    m_splitter->addWidget(m_column);
    m_splitter->addWidget(m_output);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
}

void TestTab::watchForm(FormBuilder *form)
{
    connect(form, &FormBuilder::validityChanged, this, [this] { updateButtons(); });
    connect(form, &FormBuilder::valuesEdited, this, [this] { updateButtons(); });
}

void TestTab::applyRunOptions(ExecutionRequest &request)
{
    if (m_options)
        m_options->apply(request);
}

QString TestTab::startRun(ExecutionRequest request)
{
    applyRunOptions(request);
    const QString id = m_tracker->start(request);
    updateButtons();
    emit runningChanged(true);
    return id;
}

void TestTab::showRunState(bool hasTarget, const QStringList &problems)
{
    const bool running = isRunning();
    m_run->setEnabled(canRun());
    m_cancel->setEnabled(running);
    if (running) {
        m_formStatus->setText(tr("Running…"));
    } else if (!hasTarget) {
        m_formStatus->clear();
    } else if (!problems.isEmpty()) {
        QStringList names;
        for (const QString &p : problems)
            names << p.section(QLatin1Char(':'), 0, 0);
        names.removeDuplicates();
        m_formStatus->setText(tr("Fix or fill in: %1").arg(names.join(QStringLiteral(", "))));
    } else {
        m_formStatus->setText(tr("Ready to run."));
    }
}
