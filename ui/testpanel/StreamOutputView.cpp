#include "ui/testpanel/StreamOutputView.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QTextCursor>

StreamOutputView::StreamOutputView(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("streamOutput"));
    setReadOnly(true);
    setUndoRedoEnabled(false);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(tr("The reply streams here as it arrives."));
    setCenterOnScroll(false);
    m_frame.setSingleShot(true);
    m_frame.setInterval(FrameMs);
    m_frame.setTimerType(Qt::PreciseTimer);
    connect(&m_frame, &QTimer::timeout, this, &StreamOutputView::flush);
}

void StreamOutputView::appendChunk(const QString &text)
{
    if (text.isEmpty())
        return;
    m_pending += text;
    if (!m_frame.isActive())
        m_frame.start();
}

void StreamOutputView::flush()
{
    m_frame.stop();
    if (m_pending.isEmpty())
        return;
    QScrollBar *bar = verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 2;
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(m_pending);
    m_pending.clear();
    ++m_flushes;
    if (atEnd)
        bar->setValue(bar->maximum());
}

void StreamOutputView::setStreamText(const QString &text)
{
    m_frame.stop();
    m_pending.clear();
    setPlainText(text);
    verticalScrollBar()->setValue(verticalScrollBar()->maximum());
}

void StreamOutputView::clearStream()
{
    setStreamText(QString());
}

QString StreamOutputView::streamText() const
{
    return toPlainText() + m_pending;
}
