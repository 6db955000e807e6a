#pragma once

#include "core/api/ExecutionBackend.h"
#include "core/api/ExecutionFold.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

// One `agentstudio-run run`: starts the request on a backend, prints its events in the chosen
// format as they arrive, and ends with the exit code (0 completed, 1 failed or cancelled, 2 the
// backend refused the request, 3 the provider or server could not be reached).
//
// Also builds the execution record from the events, so `--format json` works with
// `--no-history` (no database to fetch it from). Ctrl-C cancels the run; a second one quits.
//
// Threading: main thread; the backend's callbacks and signals arrive here. The exit code comes
// from error codes (the start's Error, the `complete` event's error_code), never from text.
class RunSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunSession)
public:
    enum class Format { Text, Json, Jsonl };

    RunSession(ExecutionBackend *backend, const ExecutionRequest &request, Format format,
        const Workspace &workspace, QObject *parent = nullptr);

    // Runs to the end of the execution and returns the exit code.
    int exec();

    // The exit code of a request the backend did not take (docs/cli.md): 3 when the server or
    // provider could not be reached, 2 otherwise.
    static int exitCodeFor(ErrorCode code);

private:
    void onStarted(const QString &executionId);
    void onStartFailed(const Error &error);
    void onEvents(const ExecutionEventList &events);
    void handle(const ExecutionEvent &event);
    void onComplete(const ExecutionEvent &event);
    void printRecordAndQuit(const ExecutionRecord &record);
    void quit(int code);
    void checkInterrupt();

    ExecutionBackend *m_backend; // Not owned.
    ExecutionRequest m_request;
    Format m_format;
    Workspace m_workspace;
    QString m_executionId;
    ExecutionEventList m_early; // events that came before started() named our id
    bool m_done = false;
    int m_exitCode = 0;
    // Text format: one step streams live; text of steps running beside it (parallel nodes) is
    // held and printed as a block when the live one ends, so replies never interleave.
    void textChunk(const QString &stepId, const QString &content);
    void textStepEnded(const QString &stepId);
    void printText(const QString &text);
    QString stepLabel(const QString &stepId) const;
    static QString toolLine(const StepRecord &step);
    QString m_liveStep;
    QStringList m_heldOrder;
    QHash<QString, QString> m_heldText;
    QSet<QString> m_endedSteps;
    bool m_textEndsWithNewline = true;
    QTimer m_interruptPoll;
    bool m_cancelSent = false;

    // The record as the events describe it (for --no-history).
    ExecutionRecord m_record; // what the request says, until the run is accepted
    ExecutionFold m_fold; // then: the run, its events folded in
};
