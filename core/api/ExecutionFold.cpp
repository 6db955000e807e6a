#include "core/api/ExecutionFold.h"

ExecutionFold::ExecutionFold(const QString &executionId)
{
    m_record.id = executionId;
}

void ExecutionFold::seed(const ExecutionRecord &record, qint64 lastSeq)
{
    m_record = record;
    m_lastSeq = lastSeq;
    m_held.clear();
    m_text.clear();
    m_stepIndex.clear();
    for (int i = 0; i < m_record.steps.size(); ++i)
        m_stepIndex.insert(m_record.steps[i].id, i);
    m_streamedTokens = 0;
    m_finished = isTerminal(record.status);
}

ExecutionEventList ExecutionFold::apply(const ExecutionEvent &e)
{
    ExecutionEventList applied;
    if (m_record.id.isEmpty())
        m_record.id = e.executionId;
    else if (!e.executionId.isEmpty() && e.executionId != m_record.id)
        return applied;

    if (e.seq <= 0) {
        applyOne(e);
        applied.append(e);
        return applied;
    }
    if (m_lastSeq < 0)
        m_lastSeq = e.seq - 1; // seeded with an unknown baseline: this event sets it
    if (e.seq <= m_lastSeq || m_held.contains(e.seq))
        return applied; // already have it
    if (e.seq > m_lastSeq + 1) {
        m_held.insert(e.seq, e);
        return applied;
    }
    applyOne(e);
    applied.append(e);
    m_lastSeq = e.seq;
    // The gap after it may be closed now.
    while (!m_held.isEmpty() && m_held.firstKey() == m_lastSeq + 1) {
        ExecutionEvent next = m_held.take(m_held.firstKey());
        applyOne(next);
        m_lastSeq = next.seq;
        applied.append(std::move(next));
    }
    return applied;
}

ExecutionEventList ExecutionFold::releaseHeld()
{
    ExecutionEventList applied;
    while (!m_held.isEmpty()) {
        ExecutionEvent next = m_held.take(m_held.firstKey());
        applyOne(next);
        m_lastSeq = next.seq;
        applied.append(std::move(next));
    }
    return applied;
}

const StepRecord *ExecutionFold::step(const QString &stepId) const
{
    const auto it = m_stepIndex.constFind(stepId);
    return it == m_stepIndex.constEnd() ? nullptr : &m_record.steps[*it];
}

StepRecord &ExecutionFold::stepSlot(const QString &stepId)
{
    auto it = m_stepIndex.constFind(stepId);
    if (it == m_stepIndex.constEnd()) {
        it = m_stepIndex.insert(stepId, int(m_record.steps.size()));
        m_record.steps.append(StepRecord());
    }
    return m_record.steps[*it];
}

void ExecutionFold::applyOne(const ExecutionEvent &e)
{
    switch (e.type) {
    case ExecutionEvent::Type::Status:
        m_record.status = e.status;
        if (e.header)
            e.header->applyTo(m_record);
        if (e.queueMs >= 0)
            m_record.queueMs = e.queueMs;
        if (!e.errorMessage.isEmpty())
            m_record.errorMessage = e.errorMessage;
        break;
    case ExecutionEvent::Type::StepStarted:
    case ExecutionEvent::Type::StepCompleted: {
        StepRecord &slot = stepSlot(e.step.id);
        slot = e.step;
        if (slot.executionId.isEmpty())
            slot.executionId = m_record.id;
        if (e.type == ExecutionEvent::Type::StepCompleted)
            m_text.remove(e.step.id); // the completed step has the whole reply
        break;
    }
    case ExecutionEvent::Type::Chunk:
        m_text[e.stepId] += e.content;
        m_streamedTokens += e.tokens;
        break;
    case ExecutionEvent::Type::Complete:
        m_record.status = e.status;
        e.summary.applyTo(m_record);
        m_finished = true;
        break;
    case ExecutionEvent::Type::Error:
        // A stream error (unknown execution, refused subscription): nothing more will come.
        if (m_record.errorMessage.isEmpty())
            m_record.errorMessage = e.errorMessage;
        if (m_record.errorCode == ErrorCode::None)
            m_record.errorCode = e.errorCode;
        m_finished = true;
        break;
    }
}
