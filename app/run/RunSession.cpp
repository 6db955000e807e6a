#include "app/run/RunSession.h"

#include "app/run/CliOutput.h"
#include "core/api/ExecutionTypes.h"
#include "core/api/ToolTypes.h"
#include "core/common/Util.h"

#include <QCoreApplication>
#include <QEventLoop>

#include <atomic>
#include <csignal>

namespace {

std::atomic<int> g_interrupts { 0 };

extern "C" void onInterruptSignal(int)
{
    // Only an atomic store here; the session polls it from the event loop.
    if (g_interrupts.fetch_add(1) >= 1)
        std::_Exit(130); // second Ctrl-C: the user means it
}

} // namespace

RunSession::RunSession(ExecutionBackend *backend, const ExecutionRequest &request, Format format,
    const Workspace &workspace, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_request(request)
    , m_format(format)
    , m_workspace(workspace)
{
    connect(m_backend, &ExecutionBackend::eventsReceived, this, &RunSession::onEvents);
    m_interruptPoll.setInterval(100);
    connect(&m_interruptPoll, &QTimer::timeout, this, &RunSession::checkInterrupt);
}

int RunSession::exitCodeFor(ErrorCode code)
{
    return code == ErrorCode::Unreachable ? 3 : 2;
}

int RunSession::exec()
{
    m_record.id = m_request.executionId;
    m_record.organizationId = m_workspace.organizationId;
    m_record.workspaceId = m_workspace.workspaceId;
    m_record.executionType
        = m_request.agentId.isEmpty() ? ExecutionType::Orchestration : ExecutionType::Agent;
    m_record.agentId = m_request.agentId;
    m_record.orchestrationId = m_request.orchestrationId;
    m_record.nodeId = m_request.nodeId;
    m_record.testMode = m_request.effectiveTestMode();
    m_record.triggerType = m_request.triggerType;
    m_record.triggeredBy = m_request.triggeredBy;
    m_record.inputData = m_request.inputs;
    m_record.status = ExecutionStatus::Queued;
    m_record.queuedAt = QDateTime::currentDateTimeUtc();
    m_record.traceId = QString();
    if (const AgentSpec *a = m_workspace.agent(m_request.agentId)) {
        m_record.version = a->version;
        m_record.provider = a->model.provider;
        m_record.model = a->model.name;
    } else if (const OrchestrationSpec *o = m_workspace.orchestration(m_request.orchestrationId)) {
        m_record.version = o->version;
    }

    g_interrupts = 0;
    auto previousInt = std::signal(SIGINT, onInterruptSignal);
    auto previousTerm = std::signal(SIGTERM, onInterruptSignal);
    auto previousPipe = std::signal(SIGPIPE, SIG_IGN);
    m_interruptPoll.start();

    m_backend->start(m_request, this, [this](const QString &executionId, const Error &error) {
        if (error.code == ErrorCode::None)
            onStarted(executionId);
        else
            onStartFailed(error);
    });
    // quit() sets m_done; the backend's signals arrive through this loop.
    QEventLoop loop;
    while (!m_done)
        loop.processEvents(QEventLoop::WaitForMoreEvents);

    m_interruptPoll.stop();
    std::signal(SIGINT, previousInt);
    std::signal(SIGTERM, previousTerm);
    std::signal(SIGPIPE, previousPipe);
    return m_exitCode;
}

void RunSession::checkInterrupt()
{
    // Nobody reads the output any more: stop the run rather than leave it going unseen.
    if (cli::stdoutBroken())
        g_interrupts.store(qMax(1, g_interrupts.load()));
    if (g_interrupts.load() == 0 || m_cancelSent)
        return;
    if (m_executionId.isEmpty())
        return; // cancelled as soon as the id is known
    m_cancelSent = true;
    cli::errLine(cli::stdoutBroken()
            ? QStringLiteral("output closed: cancelling %1").arg(m_executionId)
            : QStringLiteral("cancelling %1 (Ctrl-C again to quit at once)").arg(m_executionId));
    m_backend->cancel(m_executionId);
}

void RunSession::onStarted(const QString &executionId)
{
    m_executionId = executionId;
    m_record.id = executionId;
    m_fold.seed(m_record); // what we know of the run; its events fold in on top
    const ExecutionEventList early = std::exchange(m_early, {});
    for (const ExecutionEvent &e : early)
        if (e.executionId == executionId)
            handle(e);
    checkInterrupt();
}

void RunSession::onStartFailed(const Error &error)
{
    cli::errLine(QStringLiteral("error: ") + error.message);
    quit(exitCodeFor(error.code));
}

void RunSession::onEvents(const ExecutionEventList &events)
{
    for (const ExecutionEvent &e : events) {
        if (m_done)
            return;
        if (m_executionId.isEmpty())
            m_early.append(e);
        else if (e.executionId == m_executionId)
            handle(e);
    }
}

void RunSession::handle(const ExecutionEvent &e)
{
    // Streams are idempotent: the fold drops a replayed or doubled event.
    if (m_fold.apply(e) != ExecutionFold::Outcome::Applied)
        return;
    if (m_format == Format::Jsonl)
        cli::outJsonLine(e.toJson());

    ExecutionRecord &r = m_fold.record();
    switch (e.type) {
    case ExecutionEvent::Type::Status:
        if (r.status == ExecutionStatus::Running && !r.startedAt.isValid())
            r.startedAt = QDateTime::currentDateTimeUtc();
        break;
    case ExecutionEvent::Type::StepStarted:
    case ExecutionEvent::Type::StepCompleted: {
        const int index = m_fold.stepIndex(e.step->id.isEmpty() ? e.stepId : e.step->id);
        if (index < 0)
            break;
        const StepRecord &s = r.steps[index];
        if (e.type == ExecutionEvent::Type::StepCompleted && m_format == Format::Text) {
            textStepEnded(s.id);
            if (s.kind == StepKind::Tool)
                printText((m_textEndsWithNewline ? QString() : QStringLiteral("\n")) + toolLine(s)
                    + QLatin1Char('\n'));
        }
        if (s.kind == StepKind::Llm && r.provider.isEmpty()) {
            r.provider = s.provider;
            r.model = s.model;
        }
        break;
    }
    case ExecutionEvent::Type::Chunk:
        if (m_format == Format::Text && !e.content.isEmpty())
            textChunk(e.stepId, e.content);
        break;
    case ExecutionEvent::Type::Complete:
        onComplete(e);
        break;
    case ExecutionEvent::Type::Error:
        cli::errLine(QStringLiteral("error: %1: %2").arg(e.errorWireCode, e.errorMessage));
        break;
    }
}

// One line per finished tool call, between the streamed replies:
// "tool orders {"order_id":"A1"} -> {"status":"shipped"} (121 ms)".
QString RunSession::toolLine(const StepRecord &s)
{
    const auto cut = [](QString text) {
        text.replace(QLatin1Char('\n'), QLatin1Char(' '));
        return text.size() > 160 ? text.left(159) + QChar(0x2026) : text;
    };
    const ToolResult result = ToolResult::fromJson(s.outputData);
    const QString outcome = s.status == StepStatus::Completed && !result.isError
        ? cut(result.text())
        : QStringLiteral("error: ") + cut(s.errorMessage.isEmpty() ? result.text() : s.errorMessage);
    return QStringLiteral("tool %1 %2 -> %3 (%4 ms)")
        .arg(s.name, cut(as::compactJson(s.inputData)), outcome)
        .arg(s.executionTimeMs);
}

QString RunSession::stepLabel(const QString &stepId) const
{
    const int index = m_fold.stepIndex(stepId);
    if (index < 0)
        return stepId;
    const StepRecord &s = m_fold.record().steps.at(index);
    return s.nodeId.isEmpty() ? s.name : s.nodeId;
}

void RunSession::printText(const QString &text)
{
    if (text.isEmpty())
        return;
    cli::out(text);
    m_textEndsWithNewline = text.endsWith(QLatin1Char('\n'));
}

void RunSession::textChunk(const QString &stepId, const QString &content)
{
    if (m_liveStep.isEmpty()) {
        m_liveStep = stepId;
        // Workflows: say whose reply follows.
        if (!m_request.orchestrationId.isEmpty())
            printText(QStringLiteral("%1[%2]\n")
                          .arg(m_textEndsWithNewline ? QString() : QStringLiteral("\n"), stepLabel(stepId)));
    }
    if (stepId == m_liveStep) {
        printText(content);
        return;
    }
    if (!m_heldText.contains(stepId))
        m_heldOrder.append(stepId);
    m_heldText[stepId] += content;
}

void RunSession::textStepEnded(const QString &stepId)
{
    m_endedSteps.insert(stepId);
    if (stepId != m_liveStep)
        return;
    m_liveStep.clear();
    // The next held step goes live; finished ones print whole, one after another.
    while (!m_heldOrder.isEmpty()) {
        const QString next = m_heldOrder.takeFirst();
        const QString text = m_heldText.take(next);
        textChunk(next, text);
        if (!m_endedSteps.contains(next))
            return;
        m_liveStep.clear();
    }
}

void RunSession::onComplete(const ExecutionEvent &e)
{
    Q_UNUSED(e); // the fold has applied its figures
    ExecutionRecord &r = m_fold.record();
    r.completedAt = QDateTime::currentDateTimeUtc();

    // A failed run is 1, or 3 when its `complete` says the provider could not be reached
    // (error_code; an engine that does not send it yet reads as a plain failure).
    int code = 0;
    if (r.status != ExecutionStatus::Completed)
        code = r.errorCode == ErrorCode::Unreachable ? 3 : 1;
    if (r.status != ExecutionStatus::Completed && !r.errorMessage.isEmpty())
        cli::errLine(QStringLiteral("error: ") + r.errorMessage);

    switch (m_format) {
    case Format::Text:
        // Whatever is still held (a cancelled run's partial replies).
        m_liveStep.clear();
        while (!m_heldOrder.isEmpty()) {
            const QString next = m_heldOrder.takeFirst();
            textChunk(next, m_heldText.take(next));
            m_liveStep.clear();
        }
        if (!m_textEndsWithNewline)
            cli::out(QStringLiteral("\n"));
        if (!m_request.orchestrationId.isEmpty() && !r.outputData.isEmpty())
            cli::out(QStringLiteral("outputs: ") + as::compactJson(r.outputData) + QLatin1Char('\n'));
        cli::out(cli::summaryLine(toWire(r.status), r.executionTimeMs, r.inputTokens, r.outputTokens,
                     r.tokensEstimated, r.costUsd, m_executionId)
            + QLatin1Char('\n'));
        quit(code);
        break;
    case Format::Jsonl:
        quit(code);
        break;
    case Format::Json:
        // The stored record is the reference (all columns, steps as written); without a
        // database the fetch fails and the record from the events is printed.
        m_exitCode = code;
        m_backend->fetchExecution(
            m_executionId, this, [this](const ExecutionRecord &record, const Error &error) {
                // No database (--no-history) or not yet written: the record built from the events.
                printRecordAndQuit(error.code == ErrorCode::None ? record : m_fold.record());
            });
        break;
    }
}

void RunSession::printRecordAndQuit(const ExecutionRecord &record)
{
    if (m_done)
        return;
    cli::outJson(record.toJson(true));
    quit(m_exitCode);
}

void RunSession::quit(int code)
{
    m_exitCode = code;
    m_done = true;
}
