#include "ui/common/JsonEditor.h"

#include <Qsci/qscilexerjson.h>

#include <QFontDatabase>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

JsonEditor::JsonEditor(QWidget *parent)
    : QsciScintilla(parent)
{
    setUtf8(true);
    const QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto *lexer = new QsciLexerJSON(this); // Owned by this editor (QObject parent).
    lexer->setDefaultFont(font);
    lexer->setFont(font, -1);
    lexer->setHighlightComments(false);
    setLexer(lexer);
    setFont(font);
    setMarginWidth(0, 0);
    setMarginWidth(1, 0);
    setWrapMode(QsciScintilla::WrapWord);
    setBraceMatching(QsciScintilla::SloppyBraceMatch);
    setIndentationsUseTabs(false);
    setTabWidth(2);
    setAutoIndent(true);
    setFrameShape(QFrame::StyledPanel);
    setScrollWidth(1);
    setScrollWidthTracking(true);
    m_errorIndicator = indicatorDefine(QsciScintilla::SquiggleIndicator);
    setIndicatorForegroundColor(QColor(0xd0, 0x20, 0x20), m_errorIndicator);
    connect(this, &QsciScintilla::textChanged, this, &JsonEditor::revalidate);
}

void JsonEditor::setAllowEmpty(bool allow)
{
    m_allowEmpty = allow;
    revalidate();
}

void JsonEditor::setPreferredLines(int lines)
{
    m_preferredLines = qMax(1, lines);
    updateGeometry();
}

void JsonEditor::setJsonValue(const QJsonValue &value)
{
    if (value.isUndefined()) {
        setText(QString());
        return;
    }
    QString text;
    if (value.isObject())
        text = QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented));
    else if (value.isArray())
        text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented));
    else {
        const QString wrapped
            = QString::fromUtf8(QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact));
        text = wrapped.mid(1, wrapped.size() - 2);
    }
    while (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    setText(text);
}

QJsonValue JsonEditor::jsonValue() const
{
    QString error;
    int line = 0, column = 0;
    return parse(text(), &error, &line, &column);
}

bool JsonEditor::isEmptyText() const
{
    return text().trimmed().isEmpty();
}

QJsonValue JsonEditor::parse(const QString &text, QString *error, int *line, int *column)
{
    error->clear();
    *line = *column = 0;
    if (text.trimmed().isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    // QJsonDocument holds only containers: wrap the text in an array so scalars parse too.
    const QByteArray utf8 = text.toUtf8();
    const QByteArray wrapped = "[\n" + utf8 + "\n]";
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &pe);
    QString reason;
    qsizetype offset = 0;
    if (pe.error != QJsonParseError::NoError) {
        reason = pe.errorString();
        offset = qBound(qsizetype(0), qsizetype(pe.offset) - 2, utf8.size());
    } else if (doc.array().size() != 1) {
        reason = tr("more than one value");
        offset = utf8.size();
    } else {
        return doc.array().at(0);
    }
    const QByteArray before = utf8.left(offset);
    const qsizetype lineStart = before.lastIndexOf('\n') + 1;
    *line = int(before.count('\n')) + 1;
    *column = int(QString::fromUtf8(before.mid(lineStart)).size()) + 1;
    *error = QStringLiteral("line %1, column %2: %3").arg(*line).arg(*column).arg(reason);
    return QJsonValue(QJsonValue::Undefined);
}

void JsonEditor::revalidate()
{
    const QString content = text();
    QString error;
    int line = 0, column = 0;
    parse(content, &error, &line, &column);
    if (error.isEmpty() && !m_allowEmpty && content.trimmed().isEmpty())
        error = tr("a value is required");

    // Clear the previous squiggle, then underline from the error to the end of its line.
    const long length = SendScintilla(SCI_GETLENGTH);
    SendScintilla(SCI_SETINDICATORCURRENT, m_errorIndicator);
    SendScintilla(SCI_INDICATORCLEARRANGE, 0L, length);
    if (line > 0) {
        const long lineStart = SendScintilla(SCI_POSITIONFROMLINE, long(line - 1));
        const long lineEnd = SendScintilla(SCI_GETLINEENDPOSITION, long(line - 1));
        const QByteArray lineText = content.toUtf8().mid(lineStart, lineEnd - lineStart);
        long pos = lineStart + long(QString::fromUtf8(lineText).left(column - 1).toUtf8().size());
        long len = qMax(1L, lineEnd - pos);
        if (pos >= length) { // error at the very end: mark the last character
            pos = qMax(0L, length - 1);
            len = 1;
        }
        SendScintilla(SCI_INDICATORFILLRANGE, pos, len);
    }

    m_errorLine = line;
    m_errorColumn = column;
    const bool changed = error != m_error;
    m_error = error;
    if (changed)
        emit errorChanged(m_error);
    const bool valid = m_error.isEmpty();
    if (valid != m_lastValid) {
        m_lastValid = valid;
        emit validityChanged(valid);
    }
}

QSize JsonEditor::sizeHint() const
{
    const int lineHeight = fontMetrics().lineSpacing() + 2;
    return { 320, m_preferredLines * lineHeight + 2 * frameWidth() + 6 };
}

QSize JsonEditor::minimumSizeHint() const
{
    const int lineHeight = fontMetrics().lineSpacing() + 2;
    return { 120, 2 * lineHeight + 2 * frameWidth() + 6 };
}
