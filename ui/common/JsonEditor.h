#pragma once

#include <Qsci/qsciscintilla.h>

#include <QJsonValue>
#include <QString>

// A QScintilla editor for JSON text with highlighting (QsciLexerJSON) and live syntax
// validation: after every edit the text is parsed and the error position is underlined with a
// squiggle; validityChanged()/errorChanged() report it. Empty text is "no value" and counts
// as valid when allowEmpty is set. Used by json fields and the form's Raw JSON view.
class JsonEditor final : public QsciScintilla
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonEditor)
public:
    explicit JsonEditor(QWidget *parent = nullptr);

    void setAllowEmpty(bool allow);
    void setPreferredLines(int lines); // height of the size hint, in text lines

    // Pretty-printed JSON of `value`; undefined clears the text.
    void setJsonValue(const QJsonValue &value);
    // The parsed value; undefined when the text is empty or invalid (see errorText()).
    QJsonValue jsonValue() const;
    bool isEmptyText() const;
    bool isValid() const { return m_error.isEmpty(); }
    // "line 2, column 7: missing value separator" or empty.
    QString errorText() const { return m_error; }
    int errorLine() const { return m_errorLine; } // 1-based, 0 = none
    int errorColumn() const { return m_errorColumn; } // 1-based, 0 = none

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // Parses JSON text of any value (object, array or scalar). Fills line/column (1-based) and
    // the reason on error.
    static QJsonValue parse(const QString &text, QString *error, int *line, int *column);

signals:
    void validityChanged(bool valid);
    void errorChanged(const QString &error);

private:
    void revalidate();

    QString m_error;
    int m_errorLine = 0;
    int m_errorColumn = 0;
    bool m_allowEmpty = true;
    bool m_lastValid = true;
    int m_preferredLines = 6;
    int m_errorIndicator = -1;
};
