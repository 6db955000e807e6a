#pragma once

#include "ui/testpanel/VariantSpec.h"

#include <QStringList>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

// Edits one side-by-side variant: "variantName", "variantProvider" (the workspace's
// providers), "variantModel", "variantTemperature" and "variantMaxTokens" (their lowest value
// reads "agent's" = as the agent has it), "variantInstructions". Every edit emits edited().
// GUI thread only.
class VariantEditor final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VariantEditor)
public:
    explicit VariantEditor(QWidget *parent);

    // The provider ids to choose from (a variant naming another one keeps it listed).
    void setProviders(const QStringList &providerIds);
    void setVariant(const VariantSpec &variant);
    VariantSpec variant() const;

signals:
    void edited();

private:
    QLineEdit *m_name = nullptr; // Owned (children, all of them).
    QComboBox *m_provider = nullptr;
    QLineEdit *m_model = nullptr;
    QDoubleSpinBox *m_temperature = nullptr;
    QSpinBox *m_maxTokens = nullptr;
    QPlainTextEdit *m_instructions = nullptr;
    QStringList m_providers;
};
