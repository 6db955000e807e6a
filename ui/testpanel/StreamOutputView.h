#pragma once

#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QTimer>

// The live output of a run. Chunks arrive in bursts (thousands of tokens per second); they are
// appended to a buffer and flushed into the document at most once per frame (16 ms), inserted
// at the end with one QTextCursor edit, so the window never stalls and the whole document is
// never laid out again. Follows the end while the view is scrolled to the bottom.
// GUI thread only.
class StreamOutputView final : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamOutputView)
public:
    explicit StreamOutputView(QWidget *parent = nullptr);

    // Queues text for the next frame.
    void appendChunk(const QString &text);
    // Writes the queued text now (also done by the frame timer).
    void flush();
    // Replaces everything (e.g. when another node's stream is selected).
    void setStreamText(const QString &text);
    void clearStream();

    // Everything received so far, pending text included.
    QString streamText() const;
    qint64 flushCount() const { return m_flushes; }

    static constexpr int FrameMs = 16;

private:
    QString m_pending;
    QTimer m_frame;
    qint64 m_flushes = 0;
};
