#include "core/api/ExecutionFold.h"

ExecutionFold::ExecutionFold(const QString &executionId)
{
    m_record.id = executionId;
}

void ExecutionFold::seed(const ExecutionRecord &record)
{
    *this = ExecutionFold();
    m_record = record;
    for (int i = 0; i < m_record.steps.size(); ++i)
        m_stepIndex.insert(m_record.steps[i].id, i);
    m_finished = isTerminal(record.status);
}

bool ExecutionFold::takeSeq(qint64 seq)
{
    if (seq <= m_contiguousSeq || m_above.contains(seq))
        return false;
    m_lastSeq = qMax(m_lastSeq, seq);
    if (seq == m_contiguousSeq + 1) {
        m_contiguousSeq = seq;
        while (m_above.remove(m_contiguousSeq + 1))
            ++m_contiguousSeq;
    } else {
        m_above.insert(seq);
    }
    return true;
}

ExecutionFold::Outcome ExecutionFold::apply(const ExecutionEvent &e)
{
    if (m_record.id.isEmpty())
        m_record.id = e.executionId;
    else if (!e.executionId.isEmpty() && e.executionId != m_record.id)
        return Outcome::Foreign;
    if (e.seq > 0 && !takeSeq(e.seq))
        return Outcome::Duplicate;

    switch (e.type) {
    case ExecutionEvent::Type::Status:
    case ExecutionEvent::Type::Complete:
        return applyStatus(e);
    case ExecutionEvent::Type::StepStarted:
    case ExecutionEvent::Type::StepCompleted:
        return applyStep(e);
    case ExecutionEvent::Type::Chunk: {
        const int i = stepIndex(e.stepId);
        if (i >= 0 && isTerminal(m_record.steps[i].status))
            return Outcome::Stale; // a replayed chunk of a step that has its whole reply
        m_text[e.stepId] += e.content;
        m_streamedTokens += e.tokens;
        return Outcome::Applied;
    }
    case ExecutionEvent::Type::Error:
        // A stream error (unknown execution, refused subscription): nothing more will come.
        if (m_record.errorMessage.isEmpty())
            m_record.errorMessage = e.errorMessage;
        if (m_record.errorCode == ErrorCode::None)
            m_record.errorCode = e.errorCode;
        m_finished = true;
        return Outcome::Applied;
    }
    return Outcome::Stale;
}

ExecutionFold::Outcome ExecutionFold::applyStatus(const ExecutionEvent &e)
{
    if (e.header)
        e.header->applyTo(m_record); // what the execution is never goes stale
    const bool complete = e.type == ExecutionEvent::Type::Complete;
    // Nothing undoes the end; among the others the newer seq wins.
    const bool stale
        = !complete && (m_finished || isTerminal(m_record.status) || (e.seq > 0 && e.seq < m_statusSeq));
    if (stale)
        return e.header ? Outcome::Applied : Outcome::Stale;
    m_record.status = e.status;
    m_statusSeq = qMax(m_statusSeq, e.seq);
    if (complete) {
        e.summary->applyTo(m_record);
        m_finished = true;
        return Outcome::Applied;
    }
    if (e.queueMs >= 0)
        m_record.queueMs = e.queueMs;
    if (!e.errorMessage.isEmpty())
        m_record.errorMessage = e.errorMessage;
    return Outcome::Applied;
}

ExecutionFold::Outcome ExecutionFold::applyStep(const ExecutionEvent &e)
{
    const QString id = e.step->id.isEmpty() ? e.stepId : e.step->id;
    if (id.isEmpty())
        return Outcome::Stale;
    const bool started = e.type == ExecutionEvent::Type::StepStarted;
    int i = stepIndex(id);
    if (i >= 0) {
        const StepRecord &have = m_record.steps[i];
        const qint64 haveSeq = m_stepSeq.value(id);
        // A replayed start never reopens a step; an older update never replaces a newer one.
        if ((started && isTerminal(have.status)) || (e.seq > 0 && e.seq < haveSeq))
            return Outcome::Stale;
    } else {
        i = int(m_record.steps.size());
        m_stepIndex.insert(id, i);
        m_record.steps.append(StepRecord());
    }
    StepRecord &slot = m_record.steps[i];
    const StepRecord before = slot;
    slot = *e.step;
    slot.id = id;
    // What a step is does not change during its life, and a step_completed may carry only some
    // keys (docs/wire-protocol.md): its identity comes from the first event that named it.
    if (!before.id.isEmpty()) {
        slot.kind = before.kind;
        auto keep = [](QString &now, const QString &was) {
            if (now.isEmpty())
                now = was;
        };
        keep(slot.executionId, before.executionId);
        keep(slot.agentId, before.agentId);
        keep(slot.parentStepId, before.parentStepId);
        keep(slot.spanId, before.spanId);
        keep(slot.name, before.name);
        keep(slot.nodeId, before.nodeId);
        keep(slot.provider, before.provider);
        keep(slot.model, before.model);
        if (slot.stepNumber == 0)
            slot.stepNumber = before.stepNumber;
        if (slot.inputData.isEmpty())
            slot.inputData = before.inputData;
        if (!slot.startedAt.isValid())
            slot.startedAt = before.startedAt;
    }
    if (slot.executionId.isEmpty())
        slot.executionId = m_record.id;
    if (!started && !isTerminal(slot.status))
        slot.status = StepStatus::Completed; // a step_completed that did not say how
    m_stepSeq.insert(id, qMax(m_stepSeq.value(id), e.seq));
    if (!started) {
        // The completed step has the whole reply; keep the streamed one if it does not say.
        const QString text = m_text.take(id);
        if (slot.kind == StepKind::Llm && !slot.outputData.contains(u"text") && !text.isEmpty())
            slot.outputData.insert(u"text", text);
    }
    return Outcome::Applied;
}
