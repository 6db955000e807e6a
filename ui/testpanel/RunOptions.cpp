#include "ui/testpanel/RunOptions.h"

#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

const QString kResult = QStringLiteral("result");
const QString kError = QStringLiteral("error");
const QString kLatency = QStringLiteral("latency_ms");

// "lookup_order → error “not found” +3000 ms" for the pending list.
QString describe(const QString &tool, const QJsonObject &o)
{
    QStringList what;
    if (o.contains(kResult))
        what << QObject::tr("result %1").arg(as::compactJson(o.value(kResult)).left(60));
    if (o.contains(kError))
        what << QObject::tr("error “%1”").arg(o.value(kError).toString().left(60));
    if (o.contains(kLatency))
        what << QObject::tr("+%1 ms").arg(o.value(kLatency).toInteger());
    return QStringLiteral("%1 → %2").arg(tool, what.join(QLatin1Char(' ')));
}

} // namespace

RunOptions::RunOptions(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    setObjectName(QStringLiteral("runOptions"));
    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    m_budgetButton = new QToolButton(this);
    m_budgetButton->setObjectName(QStringLiteral("budgetButton"));
    m_budgetButton->setToolTip(tr("Limits of the next runs: the run fails once it would exceed one"));
    m_budgetPopup = new QFrame(this, Qt::Popup);
    m_budgetPopup->setObjectName(QStringLiteral("budgetPopup"));
    auto *budgetForm = new QFormLayout(m_budgetPopup);
    m_maxCost = new QDoubleSpinBox(m_budgetPopup);
    m_maxCost->setObjectName(QStringLiteral("budgetMaxCost"));
    m_maxCost->setRange(0, 1000);
    m_maxCost->setDecimals(4);
    m_maxCost->setSingleStep(0.01);
    m_maxCost->setPrefix(QStringLiteral("$"));
    m_maxCost->setSpecialValueText(tr("no limit"));
    m_maxCost->setToolTip(tr("The run fails once its cost would exceed this (0: no limit)"));
    m_maxToolCalls = new QSpinBox(m_budgetPopup);
    m_maxToolCalls->setObjectName(QStringLiteral("budgetMaxToolCalls"));
    m_maxToolCalls->setRange(0, 100000);
    m_maxToolCalls->setSpecialValueText(tr("no limit"));
    m_maxToolCalls->setToolTip(tr("The run fails at the tool call past this many (0: no limit)"));
    budgetForm->addRow(tr("Max &cost"), m_maxCost);
    budgetForm->addRow(tr("Max tool ca&lls"), m_maxToolCalls);
    m_mockButton = new QToolButton(this);
    m_mockButton->setObjectName(QStringLiteral("mockToolButton"));
    m_mockButton->setText(tr("Mock a tool"));
    m_mockButton->setToolTip(tr("Give one tool a fixed result, an error or added latency in the next run"));
    m_mockButton->setPopupMode(QToolButton::InstantPopup);
    m_menu = new QMenu(m_mockButton);
    m_menu->setObjectName(QStringLiteral("mockToolMenu"));
    m_mockButton->setMenu(m_menu);
    row->addWidget(m_budgetButton);
    row->addWidget(m_mockButton);
    m_pending = new QLabel(parent);
    m_pending->setObjectName(QStringLiteral("pendingOverrides"));
    m_pending->setWordWrap(true);
    m_pending->setStyleSheet(QStringLiteral("color:#a05a00"));
    m_pending->setVisible(false);

    connect(m_budgetButton, &QToolButton::clicked, this, [this] {
        m_budgetPopup->adjustSize();
        m_budgetPopup->move(m_budgetButton->mapToGlobal(QPoint(0, m_budgetButton->height())));
        m_budgetPopup->show();
        m_maxCost->setFocus();
    });
    connect(m_maxCost, &QDoubleSpinBox::valueChanged, this, &RunOptions::showBudget);
    connect(m_maxToolCalls, &QSpinBox::valueChanged, this, &RunOptions::showBudget);
    showBudget();
    connect(m_menu, &QMenu::aboutToShow, this, &RunOptions::fillMenu);
    if (m_backend)
        connect(m_backend, &ExecutionBackend::toolsChanged, this, &RunOptions::refreshTools);
    fillMenu();
    refreshTools();
}

void RunOptions::refreshTools()
{
    if (!m_backend)
        return;
    delete m_listContext;
    m_listContext = new QObject(this);
    m_backend->listTools(m_listContext, [this](const QList<ToolSourceStatus> &sources, const Error &error) {
        if (error.code != ErrorCode::None)
            return; // a backend without tools: the menu says there are none
        QStringList tools;
        for (const ToolSourceStatus &s : sources)
            for (const ToolDefinition &t : s.tools)
                tools << t.name;
        tools.removeDuplicates();
        m_tools = tools;
        fillMenu();
    });
}

void RunOptions::fillMenu()
{
    m_menu->clear();
    if (m_tools.isEmpty()) {
        m_menu->addAction(tr("(no tools in this workspace)"))->setEnabled(false);
    }
    for (const QString &tool : std::as_const(m_tools)) {
        QAction *a = m_menu->addAction(
            m_overrides.contains(tool) ? tr("%1 (mocked)…").arg(tool) : tr("%1…").arg(tool));
        a->setObjectName(QStringLiteral("mock_") + tool);
        a->setData(tool);
        connect(a, &QAction::triggered, this, [this, tool] { editOverride(tool); });
    }
    if (!m_overrides.isEmpty()) {
        m_menu->addSeparator();
        QAction *clear = m_menu->addAction(tr("Clear mocks"));
        clear->setObjectName(QStringLiteral("clearMocks"));
        connect(clear, &QAction::triggered, this, &RunOptions::clearOverrides);
    }
}

void RunOptions::editOverride(const QString &tool)
{
    auto *dialog = new ToolOverrideDialog(tool, m_overrides.value(tool).toObject(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(
        dialog, &QDialog::accepted, this, [this, dialog, tool] { setOverride(tool, dialog->override()); });
    dialog->open();
}

void RunOptions::setOverride(const QString &tool, const QJsonObject &override)
{
    if (override.isEmpty())
        m_overrides.remove(tool);
    else
        m_overrides.insert(tool, override);
    showPending();
}

void RunOptions::clearOverrides()
{
    m_overrides = {};
    showPending();
}

void RunOptions::showPending()
{
    QStringList lines;
    for (auto it = m_overrides.constBegin(); it != m_overrides.constEnd(); ++it)
        lines << describe(it.key(), it.value().toObject());
    m_pending->setText(tr("Next run mocks: %1").arg(lines.join(QStringLiteral("; "))));
    m_pending->setVisible(!lines.isEmpty());
    fillMenu();
}

void RunOptions::showBudget()
{
    const ExecutionBudget b = budget();
    QStringList limits;
    if (b.maxCostUsd)
        limits << QStringLiteral("$%1").arg(*b.maxCostUsd);
    if (b.maxToolCalls)
        limits << tr("%1 calls").arg(*b.maxToolCalls);
    m_budgetButton->setText(
        limits.isEmpty() ? tr("Budget") : tr("Budget: %1").arg(limits.join(QStringLiteral(", "))));
}

ExecutionBudget RunOptions::budget() const
{
    ExecutionBudget b;
    if (m_maxCost->value() > 0)
        b.maxCostUsd = m_maxCost->value();
    if (m_maxToolCalls->value() > 0)
        b.maxToolCalls = m_maxToolCalls->value();
    return b;
}

void RunOptions::apply(ExecutionRequest &request)
{
    request.budget = budget();
    request.toolOverrides = m_overrides;
    clearOverrides();
}

ToolOverrideDialog::ToolOverrideDialog(const QString &tool, const QJsonObject &current, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("toolOverrideDialog"));
    setWindowTitle(tr("Mock %1 in the next run").arg(tool));
    auto *form = new QFormLayout;
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("overrideKind"));
    m_kind->addItem(tr("Fixed result"), kResult);
    m_kind->addItem(tr("Error"), kError);
    m_kind->addItem(tr("Only added latency"), kLatency);
    m_result = new QPlainTextEdit(this);
    m_result->setObjectName(QStringLiteral("overrideResult"));
    m_result->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_result->setPlaceholderText(tr("The result as JSON, e.g. {\"status\": \"shipped\"} or \"some text\""));
    m_error = new QLineEdit(this);
    m_error->setObjectName(QStringLiteral("overrideError"));
    m_error->setPlaceholderText(tr("The error message the model gets"));
    m_latency = new QSpinBox(this);
    m_latency->setObjectName(QStringLiteral("overrideLatency"));
    m_latency->setRange(0, 600000);
    m_latency->setSuffix(tr(" ms"));
    m_problem = new QLabel(this);
    m_problem->setStyleSheet(QStringLiteral("color:#c0392b"));
    form->addRow(tr("&Mock"), m_kind);
    form->addRow(tr("&Result"), m_result);
    form->addRow(tr("&Error"), m_error);
    form->addRow(tr("Added &latency"), m_latency);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);

    if (current.contains(kError)) {
        m_kind->setCurrentIndex(1);
        m_error->setText(current.value(kError).toString());
    } else if (current.contains(kResult)) {
        m_result->setPlainText(as::compactJson(current.value(kResult)));
    } else if (current.contains(kLatency)) {
        m_kind->setCurrentIndex(2);
    }
    m_latency->setValue(int(current.value(kLatency).toInteger()));

    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ToolOverrideDialog::updateState);
    connect(m_result, &QPlainTextEdit::textChanged, this, &ToolOverrideDialog::updateState);
    connect(m_error, &QLineEdit::textChanged, this, &ToolOverrideDialog::updateState);
    updateState();
}

QJsonObject ToolOverrideDialog::override() const
{
    QJsonObject o;
    const QString kind = m_kind->currentData().toString();
    if (kind == kResult) {
        QJsonParseError error {};
        // Wrapped, so a bare string or number is a valid result too.
        const QJsonDocument doc
            = QJsonDocument::fromJson("[" + m_result->toPlainText().trimmed().toUtf8() + "]", &error);
        if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
            return {};
        o.insert(kResult, doc.array().first());
    } else if (kind == kError) {
        if (m_error->text().trimmed().isEmpty())
            return {};
        o.insert(kError, m_error->text().trimmed());
    }
    if (m_latency->value() > 0)
        o.insert(kLatency, m_latency->value());
    return o;
}

void ToolOverrideDialog::updateState()
{
    const QString kind = m_kind->currentData().toString();
    m_result->setEnabled(kind == kResult);
    m_error->setEnabled(kind == kError);
    QString problem;
    if (kind == kResult && override().isEmpty())
        problem = tr("The result is not valid JSON (text needs quotes: \"like this\").");
    else if (kind == kError && m_error->text().trimmed().isEmpty())
        problem = tr("Say what the error is.");
    m_problem->setText(problem);
    m_ok->setEnabled(problem.isEmpty());
}
