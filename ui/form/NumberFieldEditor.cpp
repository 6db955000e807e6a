#include "ui/form/NumberFieldEditor.h"

#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace {
// Shows 0.5 as "0.5", not "0.500000", while keeping six decimals of precision.
class CompactDoubleSpinBox final : public QDoubleSpinBox
{
public:
    using QDoubleSpinBox::QDoubleSpinBox;
    QString textFromValue(double value) const override
    {
        QString text = locale().toString(value, 'f', decimals());
        const QChar point = locale().decimalPoint().at(0);
        if (text.contains(point)) {
            while (text.endsWith(QLatin1Char('0')))
                text.chop(1);
            if (text.endsWith(point))
                text.chop(1);
        }
        text.remove(locale().groupSeparator());
        return text;
    }
};

int clampToInt(double v)
{
    if (v <= double(std::numeric_limits<int>::min()))
        return std::numeric_limits<int>::min();
    if (v >= double(std::numeric_limits<int>::max()))
        return std::numeric_limits<int>::max();
    return int(std::ceil(v - 1e-9));
}
} // namespace

NumberFieldEditor::NumberFieldEditor(const FieldSpec &spec, QWidget *parent)
    : FieldEditor(spec, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    QAbstractSpinBox *box = nullptr;
    if (spec.type == FieldType::Int) {
        m_int = new QSpinBox(this);
        m_int->setRange(spec.min ? clampToInt(*spec.min) : std::numeric_limits<int>::min(),
            spec.max ? int(std::floor(qMin(*spec.max, double(std::numeric_limits<int>::max()))))
                     : std::numeric_limits<int>::max());
        box = m_int;
    } else {
        m_float = new CompactDoubleSpinBox(this);
        m_float->setDecimals(6);
        const double lo = spec.min.value_or(-1e15);
        const double hi = spec.max.value_or(1e15);
        m_float->setRange(lo, hi);
        m_float->setSingleStep((hi - lo) <= 10 ? 0.1 : 1.0);
        box = m_float;
    }
    box->setObjectName(QStringLiteral("field_") + spec.name);
    box->setAccelerated(true);
    box->setKeyboardTracking(true);
    box->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
    m_edit = box->findChild<QLineEdit *>();
    if (m_edit) {
        m_edit->setPlaceholderText(spec.required ? tr("required") : tr("not set"));
        connect(m_edit, &QLineEdit::textChanged, this, &FieldEditor::edited);
    }
    layout->addWidget(box);
    setFocusProxy(box);
    box->clear();
}

QJsonValue NumberFieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    const QAbstractSpinBox *box = m_int ? static_cast<QAbstractSpinBox *>(m_int) : m_float;
    const QString text = m_int ? m_int->cleanText() : m_float->cleanText();
    if (text.trimmed().isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    if (!box->hasAcceptableInput()) {
        if (inputError)
            *inputError = tr("\"%1\" is not a number in range").arg(text);
        return QJsonValue(QJsonValue::Undefined);
    }
    if (m_int)
        return qint64(m_int->value());
    return m_float->value();
}

void NumberFieldEditor::setValue(const QJsonValue &value)
{
    if (!value.isDouble()) {
        if (m_int)
            m_int->clear();
        else
            m_float->clear();
        emit edited();
        return;
    }
    if (m_int)
        m_int->setValue(clampToInt(value.toDouble()));
    else
        m_float->setValue(value.toDouble());
}

QWidget *NumberFieldEditor::inputWidget() const
{
    if (m_int)
        return m_int;
    return m_float;
}
