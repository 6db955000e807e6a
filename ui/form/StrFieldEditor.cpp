#include "ui/form/StrFieldEditor.h"

#include "core/common/Util.h"

#include <Qsci/qsciscintilla.h>

#include <QLineEdit>
#include <QVBoxLayout>

namespace {
// A QScintilla editor sized like a small text area (about five lines).
class TextArea final : public QsciScintilla
{
public:
    using QsciScintilla::QsciScintilla;
    QSize sizeHint() const override { return { 320, 5 * (fontMetrics().lineSpacing() + 2) + 8 }; }
    QSize minimumSizeHint() const override { return { 120, 3 * (fontMetrics().lineSpacing() + 2) + 8 }; }
};
} // namespace

StrFieldEditor::StrFieldEditor(const FieldSpec &spec, QWidget *parent)
    : FieldEditor(spec, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    if (spec.multiline) {
        auto *text = new TextArea(this);
        text->setUtf8(true);
        text->setWrapMode(QsciScintilla::WrapWord);
        text->setMarginWidth(0, 0);
        text->setMarginWidth(1, 0);
        text->setFrameShape(QFrame::StyledPanel);
        text->setFont(font());
        text->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
        m_text = text;
        connect(m_text, &QsciScintilla::textChanged, this, &FieldEditor::edited);
        layout->addWidget(m_text);
    } else {
        m_line = new QLineEdit(this);
        m_line->setPlaceholderText(spec.desc);
        m_line->setClearButtonEnabled(true);
        connect(m_line, &QLineEdit::textChanged, this, &FieldEditor::edited);
        layout->addWidget(m_line);
    }
    inputWidget()->setObjectName(QStringLiteral("field_") + spec.name);
    setFocusProxy(inputWidget());
}

QJsonValue StrFieldEditor::value(QString *inputError) const
{
    if (inputError)
        inputError->clear();
    const QString text = m_line ? m_line->text() : m_text->text();
    if (text.isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    return text;
}

void StrFieldEditor::setValue(const QJsonValue &value)
{
    QString text;
    if (value.isString())
        text = value.toString();
    else if (!value.isUndefined() && !value.isNull())
        text = as::compactJson(value);
    if (m_line)
        m_line->setText(text);
    else
        m_text->setText(text);
}

QWidget *StrFieldEditor::inputWidget() const
{
    if (m_line)
        return m_line;
    return m_text;
}
