#include "ui/form/FormBuilder.h"

#include "core/common/Util.h"
#include "ui/common/JsonEditor.h"
#include "ui/form/FieldEditor.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace {
QString typeHint(const FieldSpec &f)
{
    QString hint = FieldSpec::typeName(f.type);
    auto num = [&](double v) {
        return f.type == FieldType::Int ? QString::number(qint64(v)) : QString::number(v);
    };
    if (f.min && f.max)
        hint += QStringLiteral(", %1 … %2").arg(num(*f.min), num(*f.max));
    else if (f.min)
        hint += QStringLiteral(", ≥ %1").arg(num(*f.min));
    else if (f.max)
        hint += QStringLiteral(", ≤ %1").arg(num(*f.max));
    if (f.maxLength)
        hint += QStringLiteral(", at most %1 characters").arg(*f.maxLength);
    if (f.defaultValue)
        hint += QStringLiteral(" · default: %1")
                    .arg(f.defaultValue->isString()
                            ? QLatin1Char('"') + f.defaultValue->toString() + QLatin1Char('"')
                            : as::compactJson(*f.defaultValue));
    else if (!f.required)
        hint += QStringLiteral(" · optional");
    return hint;
}
} // namespace

FormBuilder::FormBuilder(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("formBuilder"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_rawToggle = new QToolButton(this);
    m_rawToggle->setObjectName(QStringLiteral("rawJsonToggle"));
    m_rawToggle->setText(tr("Raw JSON"));
    m_rawToggle->setCheckable(true);
    m_rawToggle->setToolTip(tr("Edit the whole input object as JSON"));
    m_rawToggle->setAutoRaise(true);
    auto *header = new QHBoxLayout;
    header->addStretch();
    header->addWidget(m_rawToggle);
    layout->addLayout(header);

    m_stack = new QStackedWidget(this);
    layout->addWidget(m_stack);
    m_formPage = new QWidget(m_stack);
    m_stack->addWidget(m_formPage);

    auto *rawPage = new QWidget(m_stack);
    auto *rawLayout = new QVBoxLayout(rawPage);
    rawLayout->setContentsMargins(0, 0, 0, 0);
    m_raw = new JsonEditor(rawPage);
    m_raw->setObjectName(QStringLiteral("rawJsonEditor"));
    m_raw->setPreferredLines(12);
    m_rawError = new QLabel(rawPage);
    m_rawError->setObjectName(QStringLiteral("rawJsonError"));
    m_rawError->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_rawError->setWordWrap(true);
    m_rawError->hide();
    rawLayout->addWidget(m_raw, 1);
    rawLayout->addWidget(m_rawError);
    m_stack->addWidget(rawPage);

    m_empty = new QLabel(this);
    m_empty->setObjectName(QStringLiteral("formEmpty"));
    m_empty->setText(tr("No inputs."));
    m_empty->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_empty->hide();
    layout->addWidget(m_empty);
    layout->addStretch();

    connect(m_rawToggle, &QToolButton::toggled, this, [this](bool on) {
        if (!setRawJson(on)) {
            const QSignalBlocker block(m_rawToggle);
            m_rawToggle->setChecked(m_rawMode);
        }
    });
    connect(m_raw, &JsonEditor::textChanged, this, [this] {
        if (m_rawMode && !m_building) {
            revalidate();
            emit valuesEdited();
        }
    });
    setFields({});
}

void FormBuilder::setEmptyText(const QString &text)
{
    m_empty->setText(text);
}

void FormBuilder::setFields(const QList<FieldSpec> &fields)
{
    m_building = true;
    if (m_rawMode) {
        m_rawMode = false;
        const QSignalBlocker block(m_rawToggle);
        m_rawToggle->setChecked(false);
        m_stack->setCurrentIndex(0);
    }
    m_fields = fields;
    m_rows.clear();
    delete m_formPage;
    m_formPage = new QWidget(m_stack);
    m_stack->insertWidget(0, m_formPage);
    m_stack->setCurrentIndex(0);

    auto *form = new QFormLayout(m_formPage);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    form->setVerticalSpacing(10);

    for (const FieldSpec &f : fields) {
        auto *cell = new QWidget(m_formPage);
        auto *cellLayout = new QVBoxLayout(cell);
        cellLayout->setContentsMargins(0, 0, 0, 0);
        cellLayout->setSpacing(2);
        FieldEditor *editor = FieldEditor::create(f, cell);
        cellLayout->addWidget(editor);

        auto *hint = new QLabel(cell);
        hint->setObjectName(QStringLiteral("hint_") + f.name);
        QString hintText = typeHint(f);
        if (!f.desc.isEmpty() && f.type != FieldType::Bool)
            hintText = f.desc + QStringLiteral("  ·  ") + hintText;
        hint->setText(hintText);
        hint->setWordWrap(true);
        QFont small = hint->font();
        small.setPointSizeF(small.pointSizeF() * 0.9);
        hint->setFont(small);
        hint->setStyleSheet(QStringLiteral("color: palette(dark);"));
        cellLayout->addWidget(hint);

        auto *error = new QLabel(cell);
        error->setObjectName(QStringLiteral("error_") + f.name);
        error->setStyleSheet(QStringLiteral("color: #c62828;"));
        error->setWordWrap(true);
        error->setFont(small);
        error->hide();
        cellLayout->addWidget(error);

        auto *label = new QLabel(m_formPage);
        label->setObjectName(QStringLiteral("label_") + f.name);
        label->setTextFormat(Qt::RichText);
        label->setText(
            QStringLiteral("<b>%1</b>%2")
                .arg(f.name.toHtmlEscaped(),
                    f.required ? QStringLiteral(" <span style=\"color:#c62828\">*</span>") : QString()));
        const QString tip
            = QStringLiteral("<b>%1</b> (%2)%3%4")
                  .arg(f.name.toHtmlEscaped(), FieldSpec::typeName(f.type).toHtmlEscaped(),
                      f.desc.isEmpty() ? QString() : QStringLiteral("<br>") + f.desc.toHtmlEscaped(),
                      f.required ? QStringLiteral("<br><i>required</i>") : QString());
        label->setToolTip(tip);
        editor->inputWidget()->setToolTip(tip);
        label->setBuddy(editor->inputWidget());
        form->addRow(label, cell);

        if (f.defaultValue)
            editor->setValue(*f.defaultValue);
        const int index = int(m_rows.size());
        connect(editor, &FieldEditor::edited, this, [this, index] {
            if (m_building)
                return;
            m_rows[index].touched = true;
            revalidate();
            emit valuesEdited();
        });
        m_rows.append({ editor, error, false });
    }
    m_empty->setVisible(fields.isEmpty());
    m_stack->setVisible(!fields.isEmpty());
    m_rawToggle->setVisible(!fields.isEmpty());
    m_building = false;
    revalidate();
    emit validityChanged(isValid());
}

FieldEditor *FormBuilder::editor(const QString &name) const
{
    for (const Row &r : m_rows)
        if (r.editor->spec().name == name)
            return r.editor;
    return nullptr;
}

QJsonObject FormBuilder::values() const
{
    if (m_rawMode)
        return m_raw->jsonValue().toObject();
    QJsonObject out;
    for (const Row &r : m_rows) {
        const QJsonValue v = r.editor->value();
        if (!v.isUndefined())
            out.insert(r.editor->spec().name, v);
    }
    return out;
}

void FormBuilder::setValues(const QJsonObject &values)
{
    m_building = true;
    for (Row &r : m_rows) {
        const FieldSpec &f = r.editor->spec();
        if (values.contains(f.name))
            r.editor->setValue(values.value(f.name));
        else
            r.editor->setValue(f.defaultValue.value_or(QJsonValue(QJsonValue::Undefined)));
        r.touched = values.contains(f.name);
    }
    if (m_rawMode)
        m_raw->setJsonValue(values);
    m_building = false;
    revalidate();
}

void FormBuilder::resetToDefaults()
{
    setValues({});
}

bool FormBuilder::setRawJson(bool on)
{
    if (on == m_rawMode)
        return true;
    if (on) {
        m_building = true;
        m_raw->setJsonValue(values());
        m_building = false;
        m_rawMode = true;
        m_stack->setCurrentIndex(1);
    } else {
        const QJsonValue parsed = m_raw->jsonValue();
        if (!m_raw->isValid() || !(parsed.isObject() || m_raw->isEmptyText())) {
            revalidate();
            return false;
        }
        m_rawMode = false;
        setValues(parsed.toObject());
        for (Row &r : m_rows)
            r.touched = true;
        m_stack->setCurrentIndex(0);
    }
    {
        const QSignalBlocker block(m_rawToggle);
        m_rawToggle->setChecked(m_rawMode);
    }
    revalidate();
    return true;
}

void FormBuilder::revalidate()
{
    m_problems.clear();
    m_fieldErrors.clear();
    if (m_rawMode) {
        QString rawError;
        if (!m_raw->isValid())
            rawError = m_raw->errorText();
        else if (!m_raw->isEmptyText() && !m_raw->jsonValue().isObject())
            rawError = tr("the inputs must be a JSON object { … }");
        if (!rawError.isEmpty()) {
            m_problems << tr("raw JSON: %1").arg(rawError);
        } else {
            QStringList problems;
            validateInputs(m_fields, m_raw->jsonValue().toObject(), &problems);
            m_problems = problems;
        }
    } else {
        for (const Row &r : m_rows) {
            const FieldSpec &f = r.editor->spec();
            QString error;
            const QJsonValue v = r.editor->value(&error);
            if (error.isEmpty()) {
                if (v.isUndefined())
                    error = f.required ? tr("required") : QString();
                else
                    error = f.validate(v);
            }
            if (!error.isEmpty()) {
                m_fieldErrors.insert(f.name, error);
                m_problems << f.name + QStringLiteral(": ") + error;
            }
        }
    }
    showErrors();
    const bool valid = m_problems.isEmpty();
    if (valid != m_lastValid) {
        m_lastValid = valid;
        emit validityChanged(valid);
    }
}

void FormBuilder::showErrors()
{
    for (const Row &r : m_rows) {
        const QString error = m_fieldErrors.value(r.editor->spec().name);
        const bool hideUntouchedRequired = !r.touched && error == tr("required");
        r.error->setText(error);
        r.error->setVisible(!error.isEmpty() && !hideUntouchedRequired);
    }
    if (m_rawMode) {
        m_rawError->setText(m_problems.join(QLatin1Char('\n')));
        m_rawError->setVisible(!m_problems.isEmpty());
    } else {
        m_rawError->hide();
    }
}
