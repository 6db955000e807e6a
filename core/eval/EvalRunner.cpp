#include "core/eval/EvalRunner.h"

#include "core/api/ExecutionBackend.h"
#include "core/common/Util.h"
#include "core/eval/Assertions.h"
#include "core/eval/EvalRecorder.h"
#include "core/eval/Judge.h"

#include <QElapsedTimer>
#include <QPointer>

#include <memory>

// How a run goes (docs/eval-runs.md, "Scheduling"): the jobs (case × variant × repeat, in
// result order) and the judge samples they ask for share ONE limit of executions in flight.
// Judge samples go first when a slot frees, so started cases finish before new ones start.
// Every execution is followed through backend->subscribe until its `complete`, then fetched
// with its steps. Everything runs on the runner's (the backend's) thread.

namespace {

// One judge assertion of one job: its samples as they come back.
struct JudgeRun
{
    int assertion = 0; // index in the case's assertion list
    JudgeSpec spec;
    QList<JudgeSample> samples;
    int pending = 0; // samples not back yet
};

struct Job
{
    int variant = 0;
    int caseIndex = 0;
    int repeat = 1;
    enum class State { Pending, Running, Judging, Done } state = State::Pending;
    EvalResultRecord result;
    QList<AssertionOutcome> outcomes; // by assertion index (judges filled in later)
    QList<JudgeRun> judges;
    qint64 startedMs = 0;
};

// One judge sample waiting for a slot.
struct SampleTask
{
    int job = 0;
    int judge = 0;
    int sample = 0;
};

} // namespace

struct EvalRunner::Private
{
    EvalRunner *q = nullptr;
    ExecutionBackend *backend = nullptr;
    QPointer<EvalRecorder> recorder;
    Dataset dataset;
    EvalOptions options;
    Workspace ws; // the backend's workspace at start (signatures of targets and judges)
    QList<FieldSpec> outputs; // the target's output signature
    QList<EvalVariant> variants;
    EvalRunRecord run;
    EvalProgress progress;
    QList<Job> jobs;
    QList<SampleTask> samples; // waiting for a slot
    int nextJob = 0;
    int inFlight = 0; // case and judge executions started and not ended yet
    int fetching = 0; // ended executions whose records are being fetched
    QHash<QString, QObject *> followed; // execution id -> its subscription context (owned)
    bool running = false;
    bool cancelled = false;
    QElapsedTimer clock;
    qint64 finishedDurationMs = 0; // summed over finished jobs (ETA)
    int finishedJobs = 0;
    bool anyReached = false; // some execution reached its provider or the server

    void pump();
    void startJob(int index);
    void startSample(const SampleTask &t);
    // Starts `request` and calls `done` with its fetched record, or with the start error.
    void execute(
        const ExecutionRequest &request, std::function<void(const ExecutionRecord &, const Error &)> done);
    void follow(const QString &id, std::function<void(const ExecutionRecord &, const Error &)> done);
    void caseFinished(int index, const ExecutionRecord &record, const Error &error);
    void sampleFinished(const SampleTask &t, const ExecutionRecord &record, const Error &error);
    void completeJob(int index);
    void skipJob(int index, const QString &why);
    // The result's identity (run, case, variant, repeat, order), set when the job starts or is skipped.
    EvalResultRecord &identify(Job &job) const;
    void publish(Job &job);
    void updateProgress();
    void maybeFinish();
    ExecutionRequest caseRequest(const Job &job) const;
    JudgeInput judgeInput(const Job &job) const;
};

namespace {

QJsonObject withVariant(QJsonObject agent, const QJsonObject &ov)
{
    for (const char *key : { "instructions", "prompt" })
        if (ov.contains(QLatin1String(key)))
            agent.insert(QLatin1String(key), ov.value(QLatin1String(key)));
    QJsonObject model = agent.value(QLatin1String("model")).toObject();
    const QJsonObject part = ov.value(QLatin1String("model")).toObject();
    for (auto it = part.begin(); it != part.end(); ++it)
        model.insert(it.key(), it.value());
    if (!part.isEmpty())
        agent.insert(QStringLiteral("model"), model);
    return agent;
}

void addCost(std::optional<double> &sum, const std::optional<double> &cost)
{
    if (!cost)
        sum.reset();
    else if (sum)
        *sum += *cost;
}

// The error kind of a case run that did not get to the model, or "".
QString errorKindOf(const ExecutionRecord &r)
{
    if (r.status == ExecutionStatus::Completed)
        return {};
    if (r.errorMessage.startsWith(QLatin1String("cache miss")))
        return QStringLiteral("cache_miss");
    if (r.errorCode == ErrorCode::Unreachable)
        return QStringLiteral("provider");
    return {};
}

} // namespace

EvalRunner::EvalRunner(ExecutionBackend *backend, EvalRecorder *recorder, QObject *parent)
    : QObject(parent)
    , d(new Private)
{
    d->q = this;
    d->backend = backend;
    d->recorder = recorder;
}

EvalRunner::~EvalRunner()
{
    qDeleteAll(d->followed);
    delete d;
}

void EvalRunner::start(const Dataset &dataset, const EvalOptions &options)
{
    if (d->running)
        return;
    d->running = true;
    d->cancelled = false;
    d->dataset = dataset;
    d->options = options;
    d->options.concurrency = qMax(1, options.concurrency);
    d->ws = d->backend->workspace();
    d->jobs.clear();
    d->samples.clear();
    d->nextJob = 0;
    d->finishedDurationMs = 0;
    d->finishedJobs = 0;
    d->anyReached = false;
    const EvalTarget &t = dataset.target;
    if (t.kind() == EvalTarget::Kind::Inline) {
        d->outputs.clear(); // the inline agent's outputs
        QStringList ignored;
        for (const QJsonValue &f : t.agentSpec.value(QLatin1String("signature"))
                                       .toObject()
                                       .value(QLatin1String("outputs"))
                                       .toArray())
            d->outputs.append(FieldSpec::parse(f.toObject(), QString(), &ignored));
    } else if (t.kind() == EvalTarget::Kind::Agent) {
        const AgentSpec *a = d->ws.agent(t.agent);
        d->outputs = a ? a->signature.outputs : QList<FieldSpec>();
    } else if (t.kind() == EvalTarget::Kind::Node) {
        const OrchestrationSpec *o = d->ws.orchestration(t.workflow);
        const NodeSpec *n = o ? o->node(t.node) : nullptr;
        const AgentSpec *a = n ? d->ws.agent(n->agent) : nullptr;
        d->outputs = a ? a->signature.outputs : QList<FieldSpec>();
    } else {
        d->outputs.clear();
    }

    d->variants.clear();
    for (const EvalVariant &v : dataset.variants)
        if (options.variants.isEmpty() || options.variants.contains(v.name))
            d->variants.append(v);
    const int repeat = qMax(1, options.repeat.value_or(dataset.repeat));
    for (int v = 0; v < d->variants.size(); ++v)
        for (int c = 0; c < dataset.cases.size(); ++c)
            if (options.caseIds.isEmpty() || options.caseIds.contains(dataset.cases[c].id))
                for (int r = 1; r <= repeat; ++r)
                    d->jobs.append(Job { v, c, r });

    EvalRunRecord &run = d->run;
    run = EvalRunRecord();
    run.id = as::newId();
    run.name = dataset.name;
    run.datasetPath = dataset.path;
    run.datasetSha256 = dataset.sha256;
    run.dataset = dataset.toJson();
    run.target = t.toJson();
    for (const EvalVariant &v : std::as_const(d->variants))
        run.variants << v.name;
    run.repeat = repeat;
    run.concurrency = d->options.concurrency;
    run.cacheMode = options.cacheMode;
    run.organizationId = d->ws.organizationId;
    run.workspaceId = d->ws.workspaceId;
    run.backend = options.backendLabel;
    run.baselineId = options.baselineId;
    run.startedAt = QDateTime::currentDateTimeUtc();
    run.total = int(d->jobs.size());
    run.costUsd = 0.0;
    run.judgeCostUsd = 0.0;
    d->progress = EvalProgress();
    d->progress.total = run.total;
    d->progress.costUsd = 0.0;
    d->clock.start();
    if (d->recorder)
        d->recorder->beginRun(run);
    // started() after the caller connected what it needs (start() returns first).
    QMetaObject::invokeMethod(
        this,
        [this] {
            emit started(d->run);
            d->pump();
            d->maybeFinish();
        },
        Qt::QueuedConnection);
}

void EvalRunner::cancel()
{
    if (!d->running || d->cancelled)
        return;
    d->cancelled = true;
    // Judge samples not started: each ends as "cancelled", so their cases can finish.
    const QList<SampleTask> waiting = d->samples;
    d->samples.clear();
    for (const SampleTask &t : waiting)
        d->sampleFinished(t, ExecutionRecord(), Error { ErrorCode::Cancelled, QStringLiteral("cancelled") });
    for (int i = d->nextJob; i < d->jobs.size(); ++i)
        d->skipJob(i, QStringLiteral("cancelled before it started"));
    d->nextJob = int(d->jobs.size());
    const QStringList ids = d->followed.keys();
    for (const QString &id : ids)
        d->backend->cancel(id);
    d->maybeFinish();
}

bool EvalRunner::isRunning() const
{
    return d->running;
}

EvalRunRecord EvalRunner::run() const
{
    return d->run;
}

QList<EvalResultRecord> EvalRunner::results() const
{
    QList<EvalResultRecord> out;
    for (const Job &j : std::as_const(d->jobs))
        if (j.state == Job::State::Done)
            out.append(j.result);
    return out;
}

EvalProgress EvalRunner::progress() const
{
    return d->progress;
}

// --- Scheduling --------------------------------------------------------------------------------

void EvalRunner::Private::pump()
{
    while (running && !cancelled && inFlight < options.concurrency) {
        if (!samples.isEmpty())
            startSample(samples.takeFirst());
        else if (nextJob < jobs.size())
            startJob(nextJob++);
        else
            break;
    }
}

void EvalRunner::Private::execute(
    const ExecutionRequest &request, std::function<void(const ExecutionRecord &, const Error &)> done)
{
    ++inFlight;
    backend->start(request, q, [this, done](const QString &id, const Error &error) {
        if (id.isEmpty() || error.code != ErrorCode::None) {
            --inFlight;
            done(ExecutionRecord(),
                error.code == ErrorCode::None ? Error { ErrorCode::Internal, QString() } : error);
            pump();
            maybeFinish();
            return;
        }
        follow(id, done);
        if (cancelled)
            backend->cancel(id);
    });
}

void EvalRunner::Private::follow(
    const QString &id, std::function<void(const ExecutionRecord &, const Error &)> done)
{
    auto *context = new QObject;
    followed.insert(id, context);
    auto ended = std::make_shared<bool>(false);
    backend->subscribe(id, 0, context, [this, id, done, ended](const ExecutionEventList &events) {
        if (*ended)
            return;
        for (const ExecutionEvent &e : events) {
            if (e.type != ExecutionEvent::Type::Complete && e.type != ExecutionEvent::Type::Error)
                continue;
            *ended = true;
            // The subscription's context goes once this callback has returned.
            if (QObject *c = followed.take(id))
                c->deleteLater();
            // It no longer runs: its slot is free while its record is fetched.
            --inFlight;
            ++fetching;
            pump();
            // The store keeps no error code: the one `complete` carried says "unreachable".
            const ErrorCode code = e.summary ? e.summary->errorCode : e.errorCode;
            backend->fetchExecution(id, q, [this, done, code](ExecutionRecord record, const Error &error) {
                --fetching;
                if (record.errorCode == ErrorCode::None)
                    record.errorCode = code;
                done(record, error);
                pump(); // a slot is free
                maybeFinish();
            });
            return;
        }
    });
}

ExecutionRequest EvalRunner::Private::caseRequest(const Job &job) const
{
    const EvalCase &c = dataset.cases.at(job.caseIndex);
    const EvalVariant &v = variants.at(job.variant);
    const EvalTarget &t = dataset.target;
    ExecutionRequest r;
    switch (t.kind()) {
    case EvalTarget::Kind::Agent:
        r.agentId = t.agent;
        r.agentOverrides = v.agentOverrides(t);
        break;
    case EvalTarget::Kind::Node:
        r.nodeId = t.node;
        r.upstream = c.upstream;
        [[fallthrough]];
    case EvalTarget::Kind::Workflow:
        r.orchestrationId = t.workflow;
        r.agentOverrides = v.agentOverrides(t);
        break;
    case EvalTarget::Kind::Inline: {
        const QString id = t.agentSpec.value(QLatin1String("id")).toString();
        r.agentSpec = withVariant(t.agentSpec, v.agentOverrides(t).value(id).toObject());
        r.providers = t.providers;
        break;
    }
    }
    r.inputs = c.inputs;
    r.toolOverrides = c.toolOverrides;
    r.executionType = ExecutionType::Test;
    r.triggerType = options.triggerType;
    r.triggeredBy = options.triggeredBy;
    r.responseCache.mode = options.cacheMode;
    r.responseCache.file = options.cacheFile;
    r.responseCache.nameSpace = QStringLiteral("r%1").arg(job.repeat);
    return r;
}

void EvalRunner::Private::startJob(int index)
{
    Job &job = jobs[index];
    job.state = Job::State::Running;
    job.startedMs = clock.elapsed();
    identify(job);
    execute(caseRequest(job),
        [this, index](const ExecutionRecord &rec, const Error &error) { caseFinished(index, rec, error); });
    updateProgress();
}

JudgeInput EvalRunner::Private::judgeInput(const Job &job) const
{
    const EvalCase &c = dataset.cases.at(job.caseIndex);
    JudgeInput in;
    const QJsonValue out = job.result.output;
    in.output = out.isString() ? out.toString() : as::compactJson(out);
    if (const AgentSpec *a = ws.agent(dataset.target.agent);
        a && a->signature.inputs.size() == 1 && c.inputs.value(a->signature.inputs.first().name).isString())
        in.input = c.inputs.value(a->signature.inputs.first().name).toString();
    else
        in.input = as::compactJson(c.inputs);
    return in;
}

void EvalRunner::Private::caseFinished(int index, const ExecutionRecord &rec, const Error &error)
{
    Job &job = jobs[index];
    EvalResultRecord &r = job.result;
    const EvalCase &c = dataset.cases.at(job.caseIndex);
    if (error.code != ErrorCode::None) {
        r.outcome = EvalOutcome::Error;
        r.errorKind
            = error.code == ErrorCode::Unreachable ? QStringLiteral("provider") : QStringLiteral("invalid");
        r.error = error.message;
        completeJob(index);
        return;
    }
    if (errorKindOf(rec) != u"provider")
        anyReached = true;
    const CaseObservation obs = CaseObservation::fromRecord(rec, outputs);
    r.executionId = rec.id;
    r.status = toWire(rec.status);
    r.latencyMs = rec.executionTimeMs;
    r.tokens = rec.inputTokens + rec.outputTokens;
    r.costUsd = rec.costUsd;
    r.cached = obs.cached;
    r.output = obs.outputText.isEmpty() && rec.outputData.isEmpty()       ? QJsonValue()
        : (outputs.size() == 1 && outputs.first().type == FieldType::Str) ? QJsonValue(obs.outputText)
                                                                          : QJsonValue(rec.outputData);
    if (cancelled && rec.status == ExecutionStatus::Cancelled) {
        skipJob(index, QStringLiteral("cancelled"));
        return;
    }
    if (const QString kind = errorKindOf(rec); !kind.isEmpty()) {
        r.outcome = EvalOutcome::Error;
        r.errorKind = kind;
        r.error = rec.errorMessage;
        completeJob(index);
        return;
    }
    job.outcomes.clear();
    for (int i = 0; i < c.asserts.size(); ++i) {
        const EvalAssertion &a = c.asserts.at(i);
        if (!eval::isJudge(a)) {
            job.outcomes.append(eval::evaluate(a, obs, i));
            continue;
        }
        AssertionOutcome placeholder;
        placeholder.index = i;
        job.outcomes.append(placeholder);
        JudgeRun jr;
        jr.assertion = i;
        jr.spec = JudgeSpec::resolve(a, dataset.judge, c);
        if (const QString why = jr.spec.problem(); !why.isEmpty()) {
            job.outcomes[i] = judge::aggregate(a, jr.spec, {}, i);
            job.outcomes[i].errorKind = QStringLiteral("judge");
            job.outcomes[i].error = why;
            continue;
        }
        jr.pending = jr.spec.samples;
        for (int s = 0; s < jr.spec.samples; ++s)
            samples.append(SampleTask { index, int(job.judges.size()), s });
        jr.samples.resize(jr.spec.samples);
        job.judges.append(jr);
    }
    if (cancelled && !job.judges.isEmpty()) { // its judges will not run
        samples.clear();
        skipJob(index, QStringLiteral("cancelled before its judges ran"));
        return;
    }
    if (job.judges.isEmpty()) {
        completeJob(index);
        return;
    }
    job.state = Job::State::Judging;
    pump();
}

void EvalRunner::Private::startSample(const SampleTask &t)
{
    Job &job = jobs[t.job];
    const JudgeRun &jr = job.judges.at(t.judge);
    JudgeInput in = judgeInput(job);
    in.rubric = jr.spec.rubric;
    in.expected = jr.spec.expected.isString() ? jr.spec.expected.toString()
        : jr.spec.expected.isUndefined()      ? QString()
                                              : as::compactJson(jr.spec.expected);
    ExecutionRequest r = judge::request(jr.spec, in, ws);
    // A model judge may name a provider the dataset brings along (a promptfoo grader): send
    // the target's extra providers with it, as the case runs get them.
    const QString judgeProvider = jr.spec.model.value(QLatin1String("provider")).toString();
    if (!r.agentSpec.isEmpty() && !ws.provider(judgeProvider))
        r.providers = dataset.target.providers;
    r.triggerType = options.triggerType;
    r.triggeredBy = options.triggeredBy;
    r.responseCache.mode = options.cacheMode;
    r.responseCache.file = options.cacheFile;
    r.responseCache.nameSpace = QStringLiteral("r%1.s%2").arg(job.repeat).arg(t.sample + 1);
    execute(r, [this, t](const ExecutionRecord &rec, const Error &error) { sampleFinished(t, rec, error); });
}

void EvalRunner::Private::sampleFinished(const SampleTask &t, const ExecutionRecord &rec, const Error &error)
{
    Job &job = jobs[t.job];
    JudgeRun &jr = job.judges[t.judge];
    JudgeSample s;
    if (error.code != ErrorCode::None) {
        s.error = error.message;
        s.costUsd = 0.0; // nothing ran
    } else {
        s = judge::sampleFrom(jr.spec, rec);
    }
    jr.samples[t.sample] = s;
    if (--jr.pending > 0)
        return;
    const EvalAssertion &a = dataset.cases.at(job.caseIndex).asserts.at(jr.assertion);
    job.outcomes[jr.assertion] = judge::aggregate(a, jr.spec, jr.samples, jr.assertion);
    for (const JudgeRun &other : std::as_const(job.judges))
        if (other.pending > 0)
            return;
    completeJob(t.job);
}

// --- Results -------------------------------------------------------------------------------------

void EvalRunner::Private::completeJob(int index)
{
    Job &job = jobs[index];
    EvalResultRecord &r = job.result;
    if (r.outcome != EvalOutcome::Error) {
        const EvalCase &c = dataset.cases.at(job.caseIndex);
        const eval::CaseVerdict v
            = eval::verdict(job.outcomes, c.threshold ? c.threshold : dataset.defaultThreshold);
        r.outcome = v.outcome;
        r.score = v.score;
        r.errorKind = v.errorKind;
        r.error = v.error;
    }
    r.assertions = job.outcomes;
    r.judgeTokens = 0;
    r.judgeCostUsd = 0.0;
    bool anyJudge = false;
    for (const AssertionOutcome &o : std::as_const(r.assertions)) {
        if (o.type != u"judge")
            continue;
        anyJudge = true;
        r.judgeTokens += o.judgeTokens;
        addCost(r.judgeCostUsd, o.judgeCostUsd);
    }
    if (!anyJudge)
        r.judgeCostUsd = 0.0;
    ++finishedJobs;
    finishedDurationMs += clock.elapsed() - job.startedMs;
    publish(job);
    pump();
    maybeFinish();
}

EvalResultRecord &EvalRunner::Private::identify(Job &job) const
{
    const EvalCase &c = dataset.cases.at(job.caseIndex);
    EvalResultRecord &r = job.result;
    r.evalRunId = run.id;
    r.caseId = c.id;
    r.variant = variants.at(job.variant).name;
    r.repeatIndex = job.repeat;
    r.caseOrder = c.order;
    return r;
}

void EvalRunner::Private::skipJob(int index, const QString &why)
{
    Job &job = jobs[index];
    EvalResultRecord &r = identify(job);
    r.outcome = EvalOutcome::Skipped;
    r.error = why;
    publish(job);
    maybeFinish();
}

void EvalRunner::Private::publish(Job &job)
{
    job.state = Job::State::Done;
    EvalResultRecord &r = job.result;
    r.completedAt = QDateTime::currentDateTimeUtc();
    switch (r.outcome) {
    case EvalOutcome::Pass:
        ++run.passed;
        break;
    case EvalOutcome::Fail:
        ++run.failed;
        break;
    case EvalOutcome::Error:
        ++run.errored;
        break;
    case EvalOutcome::Skipped:
        ++run.skipped;
        break;
    }
    run.tokens += r.tokens;
    run.judgeTokens += r.judgeTokens;
    if (r.outcome != EvalOutcome::Skipped || !r.executionId.isEmpty()) {
        addCost(run.costUsd, r.executionId.isEmpty() ? std::optional<double>(0.0) : r.costUsd);
        addCost(run.judgeCostUsd, r.judgeCostUsd);
    }
    if (recorder)
        recorder->recordResult(r);
    emit q->resultReady(r);
    updateProgress();
}

void EvalRunner::Private::updateProgress()
{
    EvalProgress &p = progress;
    p.done = run.passed + run.failed + run.errored + run.skipped;
    p.passed = run.passed;
    p.failed = run.failed;
    p.errored = run.errored;
    p.running = inFlight; // case and judge executions running now (at most the limit)
    p.costUsd = run.costUsd;
    if (p.costUsd)
        addCost(p.costUsd, run.judgeCostUsd);
    p.elapsedMs = clock.elapsed();
    const int remaining = p.total - p.done;
    p.etaMs = finishedJobs == 0
        ? -1
        : qint64(double(finishedDurationMs) / finishedJobs * remaining / qMax(1, options.concurrency));
    emit q->progressChanged(p);
}

void EvalRunner::Private::maybeFinish()
{
    if (!running || inFlight > 0 || fetching > 0
        || (!cancelled && (nextJob < jobs.size() || !samples.isEmpty())))
        return;
    for (const Job &j : std::as_const(jobs))
        if (j.state != Job::State::Done)
            return;
    running = false;
    run.completedAt = QDateTime::currentDateTimeUtc();
    run.wallMs = clock.elapsed();
    if (cancelled) {
        run.status = EvalRunStatus::Cancelled;
    } else if (!jobs.isEmpty() && !anyReached && run.errored == run.total) {
        run.status = EvalRunStatus::Failed;
        run.error = jobs.first().result.error;
    } else {
        run.status = EvalRunStatus::Completed;
    }
    if (recorder)
        recorder->finishRun(run);
    emit q->finished(run);
}
