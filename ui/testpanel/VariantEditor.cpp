#include "ui/testpanel/VariantEditor.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalBlocker>
#include <QSpinBox>

namespace {
// The spin boxes' lowest value stands for "not set: as the agent has it".
constexpr double kTemperatureUnset = -0.1;
constexpr int kMaxTokensUnset = 0;
} // namespace

VariantEditor::VariantEditor(QWidget *parent)
    : QWidget(parent)
{
    auto *form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("variantName"));
    form->addRow(tr("Name"), m_name);
    m_provider = new QComboBox(this);
    m_provider->setObjectName(QStringLiteral("variantProvider"));
    m_provider->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_provider->setMinimumContentsLength(6);
    form->addRow(tr("Provider"), m_provider);
    m_model = new QLineEdit(this);
    m_model->setObjectName(QStringLiteral("variantModel"));
    m_model->setPlaceholderText(tr("model name"));
    form->addRow(tr("Model"), m_model);
    m_temperature = new QDoubleSpinBox(this);
    m_temperature->setObjectName(QStringLiteral("variantTemperature"));
    m_temperature->setRange(kTemperatureUnset, 2.0);
    m_temperature->setSingleStep(0.1);
    m_temperature->setDecimals(2);
    m_temperature->setSpecialValueText(tr("agent's"));
    form->addRow(tr("Temperature"), m_temperature);
    m_maxTokens = new QSpinBox(this);
    m_maxTokens->setObjectName(QStringLiteral("variantMaxTokens"));
    m_maxTokens->setRange(kMaxTokensUnset, 1000000);
    m_maxTokens->setSingleStep(256);
    m_maxTokens->setSpecialValueText(tr("agent's"));
    form->addRow(tr("Max tokens"), m_maxTokens);
    m_instructions = new QPlainTextEdit(this);
    m_instructions->setObjectName(QStringLiteral("variantInstructions"));
    m_instructions->setPlaceholderText(tr("Instructions (the system prompt)"));
    m_instructions->setTabChangesFocus(true);
    form->addRow(m_instructions);

    connect(m_name, &QLineEdit::textEdited, this, &VariantEditor::edited);
    connect(m_provider, &QComboBox::currentIndexChanged, this, &VariantEditor::edited);
    connect(m_model, &QLineEdit::textEdited, this, &VariantEditor::edited);
    connect(m_temperature, &QDoubleSpinBox::valueChanged, this, &VariantEditor::edited);
    connect(m_maxTokens, &QSpinBox::valueChanged, this, &VariantEditor::edited);
    connect(m_instructions, &QPlainTextEdit::textChanged, this, &VariantEditor::edited);
}

void VariantEditor::setProviders(const QStringList &providerIds)
{
    m_providers = providerIds;
    setVariant(variant());
}

void VariantEditor::setVariant(const VariantSpec &v)
{
    const QSignalBlocker b1(m_name), b2(m_provider), b3(m_model), b4(m_temperature), b5(m_maxTokens),
        b6(m_instructions);
    m_name->setText(v.name);
    m_provider->clear();
    QStringList ids = m_providers;
    if (!v.provider.isEmpty() && !ids.contains(v.provider))
        ids << v.provider;
    m_provider->addItems(ids);
    m_provider->setCurrentIndex(qMax(0, ids.indexOf(v.provider)));
    m_model->setText(v.model);
    m_temperature->setValue(v.temperature.value_or(kTemperatureUnset));
    m_maxTokens->setValue(v.maxTokens.value_or(kMaxTokensUnset));
    if (m_instructions->toPlainText() != v.instructions)
        m_instructions->setPlainText(v.instructions);
}

VariantSpec VariantEditor::variant() const
{
    VariantSpec v;
    v.name = m_name->text().trimmed();
    v.provider = m_provider->currentText();
    v.model = m_model->text().trimmed();
    if (m_temperature->value() > kTemperatureUnset)
        v.temperature = m_temperature->value();
    if (m_maxTokens->value() > kMaxTokensUnset)
        v.maxTokens = m_maxTokens->value();
    v.instructions = m_instructions->toPlainText();
    return v;
}
