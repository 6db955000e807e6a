#include "ui/eval/EvalPanel.h"

#include "core/api/ActiveBackend.h"
#include "core/api/ExecutionBackend.h"
#include "core/eval/EvalRecorder.h"
#include "core/eval/EvalRunner.h"
#include "core/eval/Promptfoo.h"
#include "core/eval/Reports.h"
#include "core/store/StoreScope.h"
#include "ui/common/FileDialog.h"
#include "ui/common/MessageBox.h"
#include "ui/eval/EvalMatrixFilter.h"
#include "ui/eval/EvalMatrixModel.h"
#include "ui/eval/EvalText.h"
#include "ui/eval/SaveCaseDialog.h"
#include "ui/trace/TraceView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>

struct EvalPanel::LoadOutcome
{
    std::optional<Dataset> dataset;
    QString error;
    QList<DatasetProblem> problems;
    PromptfooHints hints;
};

namespace {

// Runs `job` on the thread pool and `done(result)` back on `owner`'s thread. The watcher is a
// child of `owner`: once `owner` is gone nothing is called (the job itself still finishes).
template <typename Job, typename Done> void inBackground(QObject *owner, Job job, Done done)
{
    using T = decltype(job());
    auto *watcher = new QFutureWatcher<T>(owner);
    QObject::connect(
        watcher, &QFutureWatcher<T>::finished, owner, [watcher, done = std::move(done)]() mutable {
            done(watcher->result());
            watcher->deleteLater();
        });
    watcher->setFuture(QtConcurrent::run(std::move(job)));
}

bool isPromptfoo(const QString &path)
{
    return path.endsWith(QLatin1String(".yaml"), Qt::CaseInsensitive)
        || path.endsWith(QLatin1String(".yml"), Qt::CaseInsensitive);
}

// Results in report order: variant (as the run lists them), case order, repeat.
QList<EvalResultRecord> inResultOrder(const EvalRunRecord &run, QList<EvalResultRecord> results)
{
    std::stable_sort(
        results.begin(), results.end(), [&](const EvalResultRecord &a, const EvalResultRecord &b) {
            const qsizetype va = run.variants.indexOf(a.variant), vb = run.variants.indexOf(b.variant);
            if (va != vb)
                return va < vb;
            if (a.caseOrder != b.caseOrder)
                return a.caseOrder < b.caseOrder;
            return a.repeatIndex < b.repeatIndex;
        });
    return results;
}

QString writeFile(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    return {};
}

const char *kSortKeys[]
    = { QT_TRANSLATE_NOOP("EvalPanel", "Outcome"), QT_TRANSLATE_NOOP("EvalPanel", "Score"),
          QT_TRANSLATE_NOOP("EvalPanel", "Cost"), QT_TRANSLATE_NOOP("EvalPanel", "Latency") };

} // namespace

EvalPanel::EvalPanel(ExecutionBackend *backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_runner(nullptr)
    , m_flushTimer(new QTimer(this))
    , m_model(new EvalMatrixModel(this))
    , m_filter(new EvalMatrixFilter(this))
{
    setObjectName(QStringLiteral("evalPanel"));
    m_filter->setSourceModel(m_model);
    // Results of a burst land in the model once per frame, not once each.
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(16);
    connect(m_flushTimer, &QTimer::timeout, this, &EvalPanel::flushResults);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    // The setup column scrolls: the bottom dock area (shared with history, trace and tools)
    // must stay as low as the window's first layout makes it.
    auto *setupScroll = new QScrollArea(this);
    setupScroll->setWidgetResizable(true);
    setupScroll->setFrameShape(QFrame::NoFrame);
    setupScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setupScroll->setWidget(buildSetup());
    setupScroll->setMinimumWidth(240);
    splitter->addWidget(setupScroll);
    splitter->addWidget(buildResults());
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ 260, 1000 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);
    if (auto *active = qobject_cast<ActiveBackend *>(backend))
        connect(active, &ActiveBackend::backendChanged, this, [this] { updateState(); });
    setStatus(tr("Open a dataset (*.eval.json) or a promptfoo config (*.yaml) to run an evaluation."));
    updateState();
}

EvalPanel::~EvalPanel()
{
    // The runner cancels what is in flight; the recorder (a child, deleted after) finishes
    // the queued writes.
    delete m_runner;
}

QWidget *EvalPanel::buildSetup()
{
    auto *box = new QWidget(this);
    m_open = new QPushButton(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("Open Dataset…"), box);
    m_open->setObjectName(QStringLiteral("evalOpen"));
    m_open->setToolTip(tr("Open a dataset (*.eval.json) or a promptfoo config (*.yaml)"));
    m_datasetLabel = new QLabel(tr("No dataset"), box);
    m_datasetLabel->setObjectName(QStringLiteral("evalDatasetLabel"));
    m_datasetLabel->setWordWrap(true);
    m_variants = new QListWidget(box);
    m_variants->setObjectName(QStringLiteral("evalVariants"));
    m_variants->setToolTip(tr("The variants to run (none checked: all)"));
    m_repeat = new QSpinBox(box);
    m_repeat->setObjectName(QStringLiteral("evalRepeat"));
    m_repeat->setRange(1, 100);
    m_concurrency = new QSpinBox(box);
    m_concurrency->setObjectName(QStringLiteral("evalConcurrency"));
    m_concurrency->setRange(1, 64);
    m_concurrency->setValue(4);
    m_cache = new QComboBox(box);
    m_cache->setObjectName(QStringLiteral("evalCache"));
    m_cache->addItem(tr("Off"), int(CacheMode::Off));
    m_cache->addItem(tr("Read (replay, no network)"), int(CacheMode::Read));
    m_cache->addItem(tr("Write (record)"), int(CacheMode::Write));
    m_cache->addItem(tr("Read and write"), int(CacheMode::ReadWrite));
    m_runButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Run"), box);
    m_runButton->setObjectName(QStringLiteral("evalRun"));
    m_cancelButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Cancel"), box);
    m_cancelButton->setObjectName(QStringLiteral("evalCancel"));

    auto *form = new QFormLayout;
    form->addRow(tr("Repeat:"), m_repeat);
    form->addRow(tr("Concurrency:"), m_concurrency);
    form->addRow(tr("Cache:"), m_cache);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_runButton);
    buttons->addWidget(m_cancelButton);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_open);
    layout->addWidget(m_datasetLabel);
    layout->addWidget(new QLabel(tr("Variants:"), box));
    layout->addWidget(m_variants, 1);
    layout->addLayout(form);
    layout->addLayout(buttons);
    m_status = new QLabel(box);
    m_status->setObjectName(QStringLiteral("evalStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    connect(m_open, &QPushButton::clicked, this, &EvalPanel::openWithDialog);
    connect(m_runButton, &QPushButton::clicked, this, &EvalPanel::run);
    connect(m_cancelButton, &QPushButton::clicked, this, &EvalPanel::cancel);
    return box;
}

QWidget *EvalPanel::buildResults()
{
    auto *box = new QWidget(this);
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("evalProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_progress->setMaximumWidth(220);
    m_progressLine = new QLabel(box);
    m_progressLine->setObjectName(QStringLiteral("evalProgressLine"));
    m_compare = new QToolButton(box);
    m_compare->setObjectName(QStringLiteral("evalCompare"));
    m_compare->setText(tr("Compare with…"));
    m_compare->setPopupMode(QToolButton::InstantPopup);
    m_compare->setMenu(new QMenu(m_compare));
    m_export = new QToolButton(box);
    m_export->setObjectName(QStringLiteral("evalExport"));
    m_export->setText(tr("Export"));
    m_export->setPopupMode(QToolButton::InstantPopup);
    auto *exportMenu = new QMenu(m_export);
    exportMenu->addAction(tr("JUnit XML…"), this, [this] { chooseExport(QStringLiteral("xml")); });
    exportMenu->addAction(tr("CSV…"), this, [this] { chooseExport(QStringLiteral("csv")); });
    exportMenu->addAction(tr("JSON…"), this, [this] { chooseExport(QStringLiteral("json")); });
    m_export->setMenu(exportMenu);
    m_saveCase = new QToolButton(box);
    m_saveCase->setObjectName(QStringLiteral("evalSaveCase"));
    m_saveCase->setText(tr("Save as Test Case…"));
    m_saveCase->setPopupMode(QToolButton::InstantPopup);
    m_saveCase->setMenu(new QMenu(m_saveCase));
    connect(m_compare->menu(), &QMenu::aboutToShow, this, &EvalPanel::populateCompareMenu);
    connect(m_saveCase->menu(), &QMenu::aboutToShow, this, &EvalPanel::populateSaveMenu);

    m_summary = new QLabel(box);
    m_summary->setObjectName(QStringLiteral("evalSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problems = new QListWidget(box);
    m_problems->setObjectName(QStringLiteral("evalProblems"));
    m_problems->setWordWrap(true);
    m_problems->hide();
    m_onlyFailures = new QCheckBox(tr("Only failures"), box);
    m_onlyFailures->setObjectName(QStringLiteral("evalOnlyFailures"));
    m_sortKey = new QComboBox(box);
    m_sortKey->setObjectName(QStringLiteral("evalSortKey"));
    for (const char *key : kSortKeys)
        m_sortKey->addItem(tr(key));
    m_sortKey->setToolTip(tr("What a click on a variant's header sorts by"));

    m_matrix = new QTableView(box);
    m_matrix->setObjectName(QStringLiteral("evalMatrix"));
    m_matrix->setModel(m_filter);
    m_matrix->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_matrix->setSelectionMode(QAbstractItemView::SingleSelection);
    m_matrix->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_matrix->setWordWrap(false);
    m_matrix->verticalHeader()->setDefaultSectionSize(m_matrix->fontMetrics().height() + 6);
    m_matrix->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed); // no per-row measuring
    m_matrix->horizontalHeader()->setDefaultSectionSize(210);
    m_matrix->horizontalHeader()->setStretchLastSection(true);
    m_matrix->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder); // dataset order first
    m_matrix->setSortingEnabled(true);
    m_matrix->setMinimumHeight(60);
    m_details = new QTextBrowser(box);
    m_details->setMinimumHeight(60);
    m_details->setObjectName(QStringLiteral("evalDetails"));
    m_details->setPlaceholderText(tr("Select a cell to see its assertions; double-click it for its trace."));
    auto *split = new QSplitter(Qt::Horizontal, box);
    split->addWidget(m_matrix);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setSizes({ 750, 250 });

    auto *top = new QHBoxLayout;
    top->addWidget(m_progress);
    top->addWidget(m_progressLine, 1);
    top->addWidget(m_compare);
    top->addWidget(m_export);
    top->addWidget(m_saveCase);
    auto *filters = new QHBoxLayout;
    filters->addWidget(m_summary, 1);
    filters->addWidget(m_onlyFailures);
    filters->addWidget(new QLabel(tr("Sort cells by:"), box));
    filters->addWidget(m_sortKey);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addLayout(filters);
    layout->addWidget(m_problems);
    layout->addWidget(split, 1);

    connect(m_onlyFailures, &QCheckBox::toggled, m_filter, &EvalMatrixFilter::setOnlyFailures);
    connect(m_sortKey, &QComboBox::currentIndexChanged, this,
        [this](int i) { m_model->setSortKey(EvalMatrixModel::SortKey(i)); });
    connect(m_matrix->selectionModel(), &QItemSelectionModel::currentChanged, this,
        &EvalPanel::onCurrentCellChanged);
    connect(m_matrix, &QTableView::doubleClicked, this, &EvalPanel::openCellTrace);
    return box;
}

void EvalPanel::setHistoryDatabasePath(const QString &path)
{
    if (path == m_dbPath)
        return;
    m_dbPath = path;
    delete std::exchange(m_recorder, nullptr); // made again on first use, on the new file
    refreshBaselines();
}

QString EvalPanel::historyDatabasePath() const
{
    return m_dbPath;
}

EvalRecorder *EvalPanel::recorder()
{
    if (!m_recorder && !m_dbPath.isEmpty()) {
        m_recorder = new EvalRecorder(m_dbPath, this);
        connect(m_recorder, &EvalRecorder::error, this,
            [this](const QString &message) { setStatus(tr("Eval history: %1").arg(message), true); });
    }
    return m_recorder;
}

void EvalPanel::setTraceView(TraceView *view)
{
    m_traceView = view;
}

void EvalPanel::setLastTestRun(const QString &executionId)
{
    m_lastTestRun = executionId;
}

// --- Loading -------------------------------------------------------------------------------

void EvalPanel::openWithDialog()
{
    const QString dir = m_dataset ? QFileInfo(m_dataset->path).absolutePath() : QString();
    const QString path = FileDialog::getOpenFileName(this, tr("Open Dataset"), dir,
        tr("Eval datasets and promptfoo configs (*.eval.json *.json *.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        openDataset(path);
}

void EvalPanel::openDataset(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const int generation = ++m_loadGeneration;
    m_loadingPath = absolute;
    setStatus(tr("Reading %1…").arg(QDir::toNativeSeparators(absolute)));
    const Workspace ws = m_backend ? m_backend->workspace() : Workspace();
    inBackground(
        this,
        [absolute, ws] {
            LoadOutcome out;
            Result<Dataset> loaded = isPromptfoo(absolute)
                ? promptfoo::import(absolute, ws, &out.problems, &out.hints)
                : Dataset::load(absolute, ws, &out.problems);
            if (loaded)
                out.dataset = loaded.take();
            else
                out.error = loaded.error();
            return out;
        },
        [this, generation](const LoadOutcome &out) { onLoaded(generation, out); });
}

void EvalPanel::onLoaded(int generation, const LoadOutcome &out)
{
    if (generation != m_loadGeneration)
        return; // another file was opened since
    m_problems->clear();
    for (const DatasetProblem &p : out.problems) {
        auto *item = new QListWidgetItem(p.toString(), m_problems);
        item->setIcon(style()->standardIcon(QStyle::SP_MessageBoxWarning));
        item->setToolTip(p.toString());
    }
    if (!out.dataset && out.problems.isEmpty() && !out.error.isEmpty())
        new QListWidgetItem(style()->standardIcon(QStyle::SP_MessageBoxCritical), out.error, m_problems);
    m_problems->setVisible(m_problems->count() > 0);
    const QString name = QFileInfo(m_loadingPath).fileName();
    if (!out.dataset) {
        setStatus(
            tr("%1 cannot be run: %n problem(s), listed above.", nullptr, std::max(1, m_problems->count()))
                .arg(name),
            true);
        emit loadFailed(out.error);
        updateState();
        return;
    }
    m_dataset = out.dataset;
    if (out.hints.maxConcurrency)
        m_concurrency->setValue(*out.hints.maxConcurrency);
    if (out.hints.cache && !*out.hints.cache)
        setCacheMode(CacheMode::Off);
    m_run = EvalRunRecord();
    m_comparison.reset();
    showDataset();
    refreshBaselines();
    if (isVisible())
        m_runButton->setFocus(); // ready to run: Space runs it
    emit datasetLoaded();
}

void EvalPanel::showDataset()
{
    const Dataset &d = *m_dataset;
    m_datasetLabel->setText(
        tr("<b>%1</b><br>%2 · %n case(s)", nullptr, int(d.cases.size()))
            .arg((d.name.isEmpty() ? QFileInfo(d.path).fileName() : d.name).toHtmlEscaped(),
                d.target.label().toHtmlEscaped()));
    m_datasetLabel->setToolTip(QDir::toNativeSeparators(d.path));
    m_variants->clear();
    for (const EvalVariant &v : d.variants) {
        auto *item = new QListWidgetItem(v.name, m_variants);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
        item->setToolTip(v.isBaseline()
                ? tr("the target as the workspace defines it")
                : QString::fromUtf8(QJsonDocument(v.raw).toJson(QJsonDocument::Indented)));
    }
    m_repeat->setValue(std::max(1, d.repeat));
    planMatrix(checkedVariants(), m_repeat->value());
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progressLine->clear();
    m_summary->clear();
    setStatus(tr("%1 ready: %n case(s)", nullptr, int(d.cases.size())).arg(QFileInfo(d.path).fileName()));
    updateState();
}

void EvalPanel::planMatrix(const QStringList &variants, int repeat)
{
    QList<EvalMatrixModel::RowKey> rows;
    rows.reserve(m_dataset->cases.size() * repeat);
    for (const EvalCase &c : m_dataset->cases)
        for (int r = 1; r <= repeat; ++r)
            rows.append({ c.id, r, c.order });
    m_model->setPlan(rows, variants, repeat);
    m_matrix->resizeColumnToContents(EvalMatrixModel::CaseColumn);
}

QStringList EvalPanel::problems() const
{
    QStringList out;
    for (int i = 0; i < m_problems->count(); ++i)
        out << m_problems->item(i)->text();
    return out;
}

QStringList EvalPanel::checkedVariants() const
{
    QStringList out;
    for (int i = 0; i < m_variants->count(); ++i)
        if (m_variants->item(i)->checkState() == Qt::Checked)
            out << m_variants->item(i)->text();
    return out;
}

void EvalPanel::setVariantChecked(const QString &name, bool checked)
{
    for (int i = 0; i < m_variants->count(); ++i)
        if (m_variants->item(i)->text() == name)
            m_variants->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

void EvalPanel::setRepeat(int repeat)
{
    m_repeat->setValue(repeat);
}

void EvalPanel::setConcurrency(int concurrency)
{
    m_concurrency->setValue(concurrency);
}

void EvalPanel::setCacheMode(CacheMode mode)
{
    m_cache->setCurrentIndex(m_cache->findData(int(mode)));
}

// --- Running -------------------------------------------------------------------------------

void EvalPanel::run()
{
    if (!m_dataset || isRunning() || !m_backend)
        return;
    QStringList variants = checkedVariants();
    if (variants.isEmpty())
        for (const EvalVariant &v : std::as_const(m_dataset->variants))
            variants << v.name;
    EvalOptions options;
    options.variants = variants;
    options.repeat = m_repeat->value();
    options.concurrency = m_concurrency->value();
    options.cacheMode = CacheMode(m_cache->currentData().toInt());
    options.triggerType = TriggerType::TestPanel;
    options.triggeredBy = QStringLiteral("evaluations panel");
    auto *active = qobject_cast<ActiveBackend *>(m_backend.data());
    ExecutionBackend *engine = active ? active->backend() : m_backend.data();
    options.backendLabel
        = engine && !engine->runsLocalWorkspace() ? engine->displayName() : QStringLiteral("local");

    // A runner per run: the recorder may have changed since the last one.
    if (m_runner)
        m_runner->deleteLater();
    m_runner = new EvalRunner(m_backend, recorder(), this);
    connectRunner();
    m_incoming.clear();
    m_comparison.reset();
    m_run = EvalRunRecord();
    planMatrix(variants, m_repeat->value());
    m_progress->setRange(
        0, std::max<qsizetype>(1, m_dataset->cases.size() * variants.size() * m_repeat->value()));
    m_progress->setValue(0);
    m_progressLine->setText(tr("starting…"));
    m_summary->clear();
    setStatus(
        tr("Running %n case run(s) on %1…", nullptr, m_progress->maximum()).arg(m_backend->displayName()));
    m_runner->start(*m_dataset, options);
    updateState();
}

void EvalPanel::connectRunner()
{
    connect(m_runner, &EvalRunner::started, this, [this](const EvalRunRecord &run) { m_run = run; });
    connect(m_runner, &EvalRunner::resultReady, this, [this](const EvalResultRecord &r) {
        m_incoming.append(r);
        if (!m_flushTimer->isActive())
            m_flushTimer->start();
    });
    connect(m_runner, &EvalRunner::progressChanged, this, &EvalPanel::onProgress);
    connect(m_runner, &EvalRunner::finished, this, &EvalPanel::onRunFinished);
}

void EvalPanel::cancel()
{
    if (isRunning())
        m_runner->cancel();
}

bool EvalPanel::isRunning() const
{
    return m_runner && m_runner->isRunning();
}

void EvalPanel::flushResults()
{
    m_model->addResults(std::exchange(m_incoming, {}));
}

void EvalPanel::onProgress(const EvalProgress &p)
{
    m_progress->setRange(0, std::max(1, p.total));
    m_progress->setValue(p.done);
    m_progressLine->setText(evalreport::progressLine(p));
}

void EvalPanel::onRunFinished(const EvalRunRecord &run)
{
    m_flushTimer->stop();
    flushResults();
    m_run = run;
    m_progress->setRange(0, std::max(1, run.total));
    m_progress->setValue(run.total - run.skipped);
    m_progressLine->setText(evalreport::progressLine(m_runner->progress()));
    m_summary->setText(evaltext::runSummary(run));
    const int notPassed = run.failed + run.errored;
    setStatus(notPassed > 0 ? tr("Finished in %1: %n case run(s) did not pass.", nullptr, notPassed)
                                  .arg(evaltext::latency(run.wallMs))
                            : tr("Finished in %1: every case run passed.").arg(evaltext::latency(run.wallMs)),
        notPassed > 0);
    updateState();
    refreshBaselines();
    emit runFinished(run);
}

// --- Baselines -----------------------------------------------------------------------------

void EvalPanel::refreshBaselines()
{
    EvalRecorder *rec = m_dataset ? recorder() : nullptr;
    if (!rec || !m_backend)
        return;
    const Workspace ws = m_backend->workspace();
    rec->listRuns(StoreScope::workspace(ws.organizationId, ws.workspaceId), 50, m_dataset->path, this,
        [this](const QList<EvalRunRecord> &runs, const QString &error) {
            if (!error.isEmpty()) {
                setStatus(tr("Recorded runs: %1").arg(error), true);
                return;
            }
            m_baselines.clear();
            for (const EvalRunRecord &r : runs)
                if (r.id != m_run.id && r.status != EvalRunStatus::Running)
                    m_baselines.append(r);
            updateState();
            emit baselinesListed();
        });
}

void EvalPanel::populateCompareMenu()
{
    QMenu *menu = m_compare->menu();
    menu->clear();
    QAction *none = menu->addAction(tr("No baseline"), this, [this] { compareWith(QString()); });
    none->setEnabled(m_comparison.has_value());
    menu->addSeparator();
    for (const EvalRunRecord &r : std::as_const(m_baselines)) {
        const QString text
            = tr("%1 · %2 · %3/%4 passed · %5 · %6")
                  .arg(r.startedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")),
                      toWire(r.status))
                  .arg(r.passed)
                  .arg(r.total)
                  .arg(r.variants.join(QStringLiteral(", ")), r.id.left(8));
        QAction *a = menu->addAction(text, this, [this, id = r.id] { compareWith(id); });
        a->setCheckable(true);
        a->setChecked(m_comparison && m_comparison->baselineId == r.id);
    }
    if (m_baselines.isEmpty())
        menu->addAction(tr("No recorded run of this dataset yet"))->setEnabled(false);
}

void EvalPanel::compareWith(const QString &evalRunId)
{
    delete std::exchange(m_baselineContext, nullptr); // drops an answer still coming
    if (evalRunId.isEmpty()) {
        m_comparison.reset();
        m_model->setComparison(std::nullopt);
        m_summary->setText(m_run.id.isEmpty() ? QString() : evaltext::runSummary(m_run));
        onCurrentCellChanged();
        emit comparisonShown();
        return;
    }
    EvalRecorder *rec = recorder();
    if (!rec || !m_dataset || !m_backend)
        return;
    m_baselineContext = new QObject(this);
    const Workspace ws = m_backend->workspace();
    setStatus(tr("Loading baseline %1…").arg(evalRunId.left(8)));
    rec->loadRun(StoreScope::workspace(ws.organizationId, ws.workspaceId), evalRunId, m_dataset->path,
        m_baselineContext,
        [this](const EvalRunRecord &run, const QList<EvalResultRecord> &results, const QString &error) {
            onBaselineLoaded(run, results, error);
        });
}

void EvalPanel::onBaselineLoaded(
    const EvalRunRecord &baseline, const QList<EvalResultRecord> &baselineResults, const QString &error)
{
    m_baselineContext->deleteLater();
    m_baselineContext = nullptr;
    if (!error.isEmpty()) {
        setStatus(tr("Baseline: %1").arg(error), true);
        return;
    }
    const QList<EvalResultRecord> current(m_model->results().cbegin(), m_model->results().cend());
    m_comparison = eval::compareRuns(baseline, baselineResults, m_run, inResultOrder(m_run, current));
    m_model->setComparison(m_comparison);
    m_summary->setText(evaltext::comparisonSummary(*m_comparison));
    setStatus(tr("Compared with %1").arg(baseline.id.left(8)), m_comparison->newlyFailing > 0);
    onCurrentCellChanged();
    emit comparisonShown();
}

// --- Export --------------------------------------------------------------------------------

void EvalPanel::chooseExport(const QString &extension)
{
    const QString filter = extension == QLatin1String("xml") ? tr("JUnit XML (*.xml)")
        : extension == QLatin1String("csv")                  ? tr("CSV (*.csv)")
                                                             : tr("JSON (*.json)");
    const QString base = m_dataset ? QFileInfo(m_dataset->path).absolutePath() + QLatin1Char('/')
            + QFileInfo(m_dataset->path).completeBaseName().section(QLatin1Char('.'), 0, 0)
                                   : QStringLiteral("eval");
    QString path = FileDialog::getSaveFileName(
        this, tr("Export Eval Results"), base + QStringLiteral("-results.") + extension, filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + extension;
    exportTo(path);
}

void EvalPanel::exportTo(const QString &path)
{
    const EvalRunRecord run = m_run;
    const QList<EvalResultRecord> results(m_model->results().cbegin(), m_model->results().cend());
    const std::optional<EvalComparison> comparison = m_comparison;
    const QString suffix = QFileInfo(path).suffix().toLower();
    setStatus(tr("Exporting to %1…").arg(QDir::toNativeSeparators(path)));
    inBackground(
        this,
        [path, run, results, comparison, suffix] {
            const QList<EvalResultRecord> ordered = inResultOrder(run, results);
            QByteArray bytes;
            if (suffix == QLatin1String("xml"))
                bytes = evalreport::junit(run, ordered);
            else if (suffix == QLatin1String("csv"))
                bytes = evalreport::csv(run, ordered);
            else if (suffix == QLatin1String("json"))
                bytes = QJsonDocument(evalreport::json(run, ordered, comparison))
                            .toJson(QJsonDocument::Indented);
            else
                return QStringLiteral("%1: export as .xml (JUnit), .csv or .json")
                    .arg(QDir::toNativeSeparators(path));
            return writeFile(path, bytes);
        },
        [this, path](const QString &error) {
            if (error.isEmpty())
                setStatus(tr("Exported to %1").arg(QDir::toNativeSeparators(path)));
            else
                setStatus(tr("Export failed: %1").arg(error), true);
            emit exportFinished(path, error);
        });
}

// --- Save as test case ---------------------------------------------------------------------

void EvalPanel::populateSaveMenu()
{
    QMenu *menu = m_saveCase->menu();
    menu->clear();
    QAction *last = menu->addAction(
        tr("From the Test Panel's Last Run"), this, [this] { saveAsTestCase(m_lastTestRun); });
    last->setEnabled(!m_lastTestRun.isEmpty());
    const EvalResultRecord *cell = m_model->resultAt(m_filter->mapToSource(m_matrix->currentIndex()));
    QAction *fromCell = menu->addAction(tr("From the Selected Cell's Run"), this,
        [this, id = cell ? cell->executionId : QString()] { saveAsTestCase(id); });
    fromCell->setEnabled(cell && !cell->executionId.isEmpty());
    menu->addSeparator();
    menu->addAction(tr("Any past run: History › right-click › Save as Test Case…"))->setEnabled(false);
}

void EvalPanel::saveAsTestCase(const QString &executionId)
{
    if (executionId.isEmpty() || !m_backend)
        return;
    delete std::exchange(m_fetchContext, new QObject(this));
    setStatus(tr("Reading run %1…").arg(executionId.left(8)));
    m_backend->fetchExecution(
        executionId, m_fetchContext, [this](const ExecutionRecord &record, const Error &error) {
            onExecutionFetched(record, error.code == ErrorCode::None ? QString() : error.message);
        });
}

void EvalPanel::onExecutionFetched(const ExecutionRecord &record, const QString &error)
{
    m_fetchContext->deleteLater();
    m_fetchContext = nullptr;
    if (!error.isEmpty()) {
        setStatus(tr("Save as test case: %1").arg(error), true);
        MessageBox::warning(this, tr("Save as Test Case"), tr("Cannot read the run."), error);
        return;
    }
    if (record.status == ExecutionStatus::Queued || record.status == ExecutionStatus::Running) {
        MessageBox::information(this, tr("Save as Test Case"),
            tr("Run %1 has not finished yet: save it once it has.").arg(record.id.left(8)));
        return;
    }
    const QJsonObject caseObject
        = eval::caseFromRun(record, m_backend ? m_backend->workspace() : Workspace());
    const QJsonObject target = eval::targetOfRun(record);
    if (m_saveDialog)
        m_saveDialog->close();
    m_saveDialog = new SaveCaseDialog(caseObject, target, m_dataset ? m_dataset->path : QString(), this);
    m_saveDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_saveDialog, &SaveCaseDialog::saveRequested, this, &EvalPanel::writeCase);
    m_saveDialog->open();
    setStatus(tr("Run %1 as a test case: check it and choose the dataset.").arg(record.id.left(8)));
    emit saveDialogOpened(m_saveDialog);
}

SaveCaseDialog *EvalPanel::saveDialog() const
{
    return m_saveDialog.data();
}

void EvalPanel::writeCase(const QString &path, const QJsonObject &target, const QJsonObject &caseObject)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QPointer<SaveCaseDialog> dialog = m_saveDialog;
    inBackground(
        this,
        [absolute, target, caseObject] {
            Result<QString> written = Dataset::appendCase(absolute, target, caseObject);
            return written ? qMakePair(written.value(), QString()) : qMakePair(QString(), written.error());
        },
        [this, absolute, dialog](const QPair<QString, QString> &written) {
            const QString &error = written.second;
            if (dialog)
                dialog->saveFinished(error);
            if (error.isEmpty()) {
                setStatus(tr("Case %1 added to %2").arg(written.first, QDir::toNativeSeparators(absolute)));
                if (m_dataset && m_dataset->path == absolute && !isRunning())
                    openDataset(absolute); // show the new case
            } else {
                setStatus(tr("Save as test case: %1").arg(error), true);
            }
            emit caseSaved(absolute, written.first, error);
        });
}

// --- Cells ---------------------------------------------------------------------------------

void EvalPanel::onCurrentCellChanged()
{
    const QModelIndex source = m_filter->mapToSource(m_matrix->currentIndex());
    const EvalResultRecord *r = m_model->resultAt(source);
    if (!r) {
        m_details->clear();
        return;
    }
    const EvalCaseDelta *delta = nullptr;
    if (m_comparison)
        for (const EvalCaseDelta &d : m_comparison->cases)
            if (d.caseId == r->caseId && d.variant == r->variant && d.repeatIndex == r->repeatIndex) {
                delta = &d;
                break;
            }
    m_details->setHtml(evaltext::detailsHtml(*r, delta));
}

void EvalPanel::openCellTrace(const QModelIndex &index)
{
    const QModelIndex source = index.model() == m_filter ? m_filter->mapToSource(index) : index;
    const EvalResultRecord *r = m_model->resultAt(source);
    if (!r || r->executionId.isEmpty())
        return;
    if (m_traceView)
        m_traceView->openExecution(r->executionId);
    emit traceRequested(r->executionId);
}

QString EvalPanel::detailsHtml() const
{
    return m_details->toHtml();
}

// --- State ---------------------------------------------------------------------------------

void EvalPanel::updateState()
{
    const bool running = isRunning();
    const bool haveRun = !m_model->results().isEmpty();
    m_open->setEnabled(!running);
    m_runButton->setEnabled(m_dataset && !running && m_backend);
    m_cancelButton->setEnabled(running);
    m_variants->setEnabled(!running);
    m_repeat->setEnabled(!running);
    m_concurrency->setEnabled(!running);
    m_cache->setEnabled(!running);
    m_compare->setEnabled(!running && haveRun && !m_dbPath.isEmpty());
    m_compare->setToolTip(m_dbPath.isEmpty() ? tr("Runs are not recorded: there is no history database")
                                             : tr("Compare with a recorded run of this dataset"));
    m_export->setEnabled(!running && haveRun);
}

void EvalPanel::setStatus(const QString &text, bool error)
{
    m_statusText = text;
    m_status->setText(text);
    m_status->setStyleSheet(error
            ? QStringLiteral("color: %1").arg(statuspalette::color(statuspalette::Tone::Failed).name())
            : QString());
}

QString EvalPanel::statusText() const
{
    return m_statusText;
}
