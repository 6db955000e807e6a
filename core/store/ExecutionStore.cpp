#include "core/store/ExecutionStore.h"

#include "core/api/ErrorCode.h"
#include "core/common/Util.h"
#include "core/store/PgStore.h"
#include "core/store/StoreOwnerLock.h"
#include "core/store/StoreRows.h"
#include "core/store/StoreSchema.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QThread>
#include <QVariant>

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>

using storerows::decodeCursor;
using storerows::encodeCursor;
using storerows::executionFromRow;
using storerows::executionValues;
using storerows::stepFromRow;
using storerows::stepValues;
using storerows::withinScope;
using storeschema::columnList;
using storeschema::executionColumns;
using storeschema::stepColumns;

namespace {

const QString kInterruptedMessage = QStringLiteral("interrupted: the app stopped during the run");
constexpr int kBusyTimeoutMs = 15000;

std::atomic<quint64> g_connectionCounter { 0 };

QString placeholders(int n)
{
    QStringList marks;
    for (int i = 0; i < n; ++i)
        marks.append(QStringLiteral("?"));
    return marks.join(QStringLiteral(", "));
}

QString insertSql(const QString &table, const QList<storeschema::Column> &columns)
{
    return QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
        .arg(table, columnList(columns), placeholders(int(columns.size())));
}

QString updateSql(const QString &table, const QList<storeschema::Column> &columns)
{
    QStringList sets;
    for (qsizetype i = 1; i < columns.size(); ++i) // column 0 is the id
        sets.append(QLatin1String(columns.at(i).name) + QStringLiteral(" = ?"));
    return QStringLiteral("UPDATE %1 SET %2 WHERE id = ?").arg(table, sets.join(QStringLiteral(", ")));
}

Failure sqlFailure(const QString &what, const QSqlQuery &q)
{
    return Failure { QStringLiteral("store: %1: %2").arg(what, q.lastError().text()) };
}

bool execBound(QSqlQuery &q, const QVariantList &values)
{
    for (int i = 0; i < values.size(); ++i)
        q.bindValue(i, values.at(i));
    return q.exec();
}

// The sort of a history query: key expression, direction, and how the cursor stores the key.
struct SortSpec
{
    QString key;
    bool descending;
    bool numericKey;
};

SortSpec sortSpec(HistoryQuery::Sort sort)
{
    switch (sort) {
    case HistoryQuery::Sort::OldestFirst:
        return { QStringLiteral("queued_at"), false, false };
    case HistoryQuery::Sort::CostDesc:
        return { QStringLiteral("IFNULL(cost_usd, -1.0)"), true, true };
    case HistoryQuery::Sort::LatencyDesc:
        return { QStringLiteral("execution_time_ms"), true, true };
    case HistoryQuery::Sort::NewestFirst:
        break;
    }
    return { QStringLiteral("queued_at"), true, false };
}

struct WhereClause
{
    QStringList terms;
    QVariantList values;

    QString sql() const
    {
        return terms.isEmpty() ? QString() : QStringLiteral(" WHERE ") + terms.join(QStringLiteral(" AND "));
    }
};

// Whether a statement may look its scope up in idx_executions_workspace. Yes where that index
// also gives the order (time sorts) or none is needed. Not for the cost and latency sorts:
// there the sort's own index must drive the query, stopping after a page, with the scope
// checked per row; looked up by workspace, every row of the workspace would be sorted first
// (seconds on a million).
enum class ScopeLookup { Indexed, PerRow };

// The terms that keep a statement inside `scope` (none for every workspace).
WhereClause scopeClause(const StoreScope &scope, ScopeLookup lookup = ScopeLookup::Indexed)
{
    WhereClause w;
    if (!scope.isEveryWorkspace()) {
        // A unary '+' keeps SQLite from using an index for the term.
        const QString plus = lookup == ScopeLookup::PerRow ? QStringLiteral("+") : QString();
        w.terms << plus + QStringLiteral("organization_id = ?") << plus + QStringLiteral("workspace_id = ?");
        w.values << scope.organizationId() << scope.workspaceId();
    }
    return w;
}

// How a full-text filter joins the history query. Few matches: read them from the index and
// sort them (rowid IN …). Many matches (a common word): walk the history in sort order and
// keep rows whose rowid is in the match set (+rowid IN …; the '+' stops SQLite from driving the
// query from the match list), which stops after one page.
enum class FtsPlan { DriveFromMatches, ScanInOrder };

// `q` has been through withinScope().
WhereClause filterClause(
    const StoreScope &scope, const HistoryQuery &q, FtsPlan plan = FtsPlan::DriveFromMatches)
{
    const bool byTime
        = q.sort == HistoryQuery::Sort::NewestFirst || q.sort == HistoryQuery::Sort::OldestFirst;
    WhereClause w = scopeClause(scope, byTime ? ScopeLookup::Indexed : ScopeLookup::PerRow);
    auto equals = [&w](const char *column, const QString &value) {
        if (value.isEmpty())
            return;
        w.terms.append(QLatin1String(column) + QStringLiteral(" = ?"));
        w.values.append(value);
    };
    equals("organization_id", q.organizationId);
    equals("workspace_id", q.workspaceId);
    if (q.statuses.size() == 1) {
        equals("status", toWire(q.statuses.first()));
    } else if (!q.statuses.isEmpty()) {
        w.terms.append(QStringLiteral("status IN (%1)").arg(placeholders(int(q.statuses.size()))));
        for (ExecutionStatus s : q.statuses)
            w.values.append(toWire(s));
    }
    if (q.executionType)
        equals("execution_type", toWire(*q.executionType));
    if (q.testMode)
        equals("test_mode", toWire(*q.testMode));
    equals("agent_id", q.agentId);
    equals("orchestration_id", q.orchestrationId);
    if (q.triggerType)
        equals("trigger_type", toWire(*q.triggerType));
    const QString match = ExecutionStore::ftsMatchExpression(q.search);
    if (!match.isEmpty()) {
        // The execution's own text, or one of its tool steps' arguments, results and errors.
        w.terms.append(
            QStringLiteral("(%1rowid IN (SELECT rowid FROM executions_fts WHERE executions_fts MATCH ?) OR "
                           "%1id IN (SELECT execution_id FROM execution_steps WHERE rowid IN (SELECT rowid "
                           "FROM tool_steps_fts WHERE tool_steps_fts MATCH ?)))")
                .arg(plan == FtsPlan::ScanInOrder ? QStringLiteral("+") : QString()));
        w.values << match << match;
    }
    if (q.since.isValid()) {
        w.terms.append(QStringLiteral("queued_at >= ?"));
        w.values.append(as::isoTime(q.since));
    }
    if (q.until.isValid()) {
        w.terms.append(QStringLiteral("queued_at < ?"));
        w.values.append(as::isoTime(q.until));
    }
    if (q.minCost) {
        w.terms.append(QStringLiteral("cost_usd >= ?"));
        w.values.append(*q.minCost);
    }
    if (q.maxCost) {
        w.terms.append(QStringLiteral("cost_usd <= ?"));
        w.values.append(*q.maxCost);
    }
    if (q.minLatencyMs) {
        w.terms.append(QStringLiteral("execution_time_ms >= ?"));
        w.values.append(*q.minLatencyMs);
    }
    if (q.maxLatencyMs) {
        w.terms.append(QStringLiteral("execution_time_ms <= ?"));
        w.values.append(*q.maxLatencyMs);
    }
    return w;
}

// Full-text search of a common word, newest first, paged by rowid: FTS5 hands out matches in
// rowid order and stops, so a chunk of the newest matches costs little however common the word
// is (the other plans collect every match first). Rows are inserted when queued, so above the
// watermark executions_order.late_rowid (StoreSchema migration 2) rowid order IS the history order
// (queued_at DESC, id DESC) and the result is exact. Returns no page (std::nullopt) when the walk
// would have to go below the watermark; the caller then uses the ordinary plan. The cursor keeps
// its [queued_at, id] form, so pages from either plan continue each other.
std::optional<Result<HistoryPage>> queryByRowid(
    QSqlDatabase db, const StoreScope &scope, const HistoryQuery &hq, const QString &match, int limit)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT late_rowid FROM executions_order")))
        return Result<HistoryPage>(sqlFailure(QStringLiteral("history order"), q));
    const qint64 late = q.next() ? q.value(0).toLongLong() : std::numeric_limits<qint64>::max();
    q.finish();

    HistoryPage page;
    qint64 upper = std::numeric_limits<qint64>::max(); // inclusive
    if (!hq.cursor.isEmpty()) {
        QVariant key;
        QString id;
        if (!decodeCursor(hq.cursor, false, &key, &id))
            return Result<HistoryPage>(
                Failure { QStringLiteral("invalid cursor '%1'").arg(hq.cursor), ErrorCode::InvalidCursor });
        // The newest row after the cursor, whether or not it matches: above the watermark,
        // exactly the rows at or below its rowid come after the cursor.
        q.prepare(
            QStringLiteral("SELECT rowid FROM executions WHERE queued_at <= ? AND (queued_at < ? OR id < ?) "
                           "ORDER BY queued_at DESC, id DESC LIMIT 1"));
        q.addBindValue(key);
        q.addBindValue(key);
        q.addBindValue(id);
        if (!q.exec())
            return Result<HistoryPage>(sqlFailure(QStringLiteral("history cursor"), q));
        if (!q.next())
            return Result<HistoryPage>(page); // nothing older than the cursor
        upper = q.value(0).toLongLong();
        q.finish();
        if (upper <= late)
            return std::nullopt;
    }

    HistoryQuery rest = hq; // every filter but the search and the cursor, checked per row
    rest.search.clear();
    rest.cursor.clear();
    const WhereClause where = filterClause(scope, rest);
    const QString columns = columnList(executionColumns());
    const int keyColumn = int(executionColumns().size());
    QSqlQuery matches(db);
    matches.setForwardOnly(true);
    if (!matches.prepare(QStringLiteral("SELECT rowid FROM executions_fts WHERE executions_fts MATCH ? AND "
                                        "rowid <= ? AND rowid > ? ORDER BY rowid DESC LIMIT ?")))
        return Result<HistoryPage>(sqlFailure(QStringLiteral("full-text search"), matches));
    QVariant lastKey;
    int chunk = 4 * (limit + 1);
    while (true) {
        matches.bindValue(0, match);
        matches.bindValue(1, upper);
        matches.bindValue(2, late);
        matches.bindValue(3, chunk);
        if (!matches.exec())
            return Result<HistoryPage>(sqlFailure(QStringLiteral("full-text search"), matches));
        QStringList rowids;
        while (matches.next())
            rowids.append(QString::number(matches.value(0).toLongLong()));
        matches.finish();
        if (rowids.isEmpty())
            return late > 0 ? std::nullopt : std::optional(Result<HistoryPage>(page)); // no more matches
        upper = rowids.constLast().toLongLong() - 1;
        // The rowids are integers read from the index, safe to inline.
        WhereClause chunkWhere = where;
        chunkWhere.terms.prepend(QStringLiteral("rowid IN (%1)").arg(rowids.join(QLatin1Char(','))));
        QSqlQuery rows(db);
        rows.setForwardOnly(true);
        // NOT INDEXED: read the chunk by rowid, never by walking a filter's index instead.
        if (!rows.prepare(
                QStringLiteral("SELECT %1, queued_at FROM executions NOT INDEXED%2 ORDER BY rowid DESC")
                    .arg(columns, chunkWhere.sql()))
            || !execBound(rows, chunkWhere.values))
            return Result<HistoryPage>(sqlFailure(QStringLiteral("history query"), rows));
        while (rows.next()) {
            if (page.items.size() == limit) {
                page.nextCursor = encodeCursor(lastKey, page.items.constLast().id, false);
                return Result<HistoryPage>(page);
            }
            page.items.append(executionFromRow(rows));
            lastKey = rows.value(keyColumn);
        }
        if (rowids.size() < chunk) { // the matches above the watermark are exhausted
            if (late > 0)
                return std::nullopt;
            return Result<HistoryPage>(page);
        }
        chunk = qMin(chunk * 2, qMax(chunk, 16384));
    }
}

} // namespace

// Whether any tool step's text matches (tool_steps_fts, StoreSchema migration 3).
static bool toolStepsMatch(const QSqlDatabase &db, const QString &match)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT 1 FROM tool_steps_fts WHERE tool_steps_fts MATCH ? LIMIT 1"));
    q.addBindValue(match);
    return !q.exec() || q.next(); // on error: the exact plan
}

struct ExecutionStore::Statements
{
    explicit Statements(const QSqlDatabase &db)
        : insertExecution(db)
        , updateExecution(db)
        , insertStep(db)
        , updateStep(db)
        , selectExecution(db)
        , selectSteps(db)
    {
    }

    bool prepare(QString *error)
    {
        const QString execSelect
            = QStringLiteral("SELECT %1 FROM executions WHERE id = ?").arg(columnList(executionColumns()));
        const QString stepsSelect = QStringLiteral("SELECT %1 FROM execution_steps WHERE execution_id = ? "
                                                   "ORDER BY step_number, started_at, rowid")
                                        .arg(columnList(stepColumns()));
        const std::pair<QSqlQuery *, QString> all[] = {
            { &insertExecution, insertSql(QStringLiteral("executions"), executionColumns()) },
            { &updateExecution, updateSql(QStringLiteral("executions"), executionColumns()) },
            { &insertStep, insertSql(QStringLiteral("execution_steps"), stepColumns()) },
            { &updateStep, updateSql(QStringLiteral("execution_steps"), stepColumns()) },
            { &selectExecution, execSelect },
            { &selectSteps, stepsSelect },
        };
        for (const auto &[query, sql] : all) {
            if (!query->prepare(sql)) {
                *error = query->lastError().text();
                return false;
            }
        }
        return true;
    }

    QSqlQuery insertExecution, updateExecution, insertStep, updateStep, selectExecution, selectSteps;
};

ExecutionStore::ExecutionStore(QString path)
    : m_path(std::move(path))
{
    m_connection = QStringLiteral("agentstudio-store-%1").arg(++g_connectionCounter);
    if (PgStore::isUri(m_path))
        m_pg = std::make_unique<PgStore>(m_path);
}

QString ExecutionStore::kind() const
{
    return m_pg ? QStringLiteral("postgresql") : QStringLiteral("sqlite");
}

QString ExecutionStore::displayPath() const
{
    return m_pg ? PgStore::redactedUri(m_path) : m_path;
}

namespace {
QString &instanceIdSlot()
{
    static QString id;
    return id;
}
} // namespace

void ExecutionStore::setProcessInstanceId(const QString &instanceId)
{
    instanceIdSlot() = instanceId;
}

QString ExecutionStore::processInstanceId()
{
    return instanceIdSlot();
}

namespace {
std::atomic<int> g_openSqlite { 0 };
std::atomic<int> g_openPostgres { 0 };
} // namespace

int ExecutionStore::openConnections(const QString &kind)
{
    return kind == QLatin1String("postgresql") ? g_openPostgres.load() : g_openSqlite.load();
}

ExecutionStore::~ExecutionStore()
{
    close();
}

QString ExecutionStore::defaultPath()
{
    // The same file for the app, the runner and the server whatever their application names:
    // AppDataLocation of an application called "agentstudio" (~/.local/share/agentstudio).
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base).absoluteFilePath(QStringLiteral("agentstudio/executions.db"));
}

// SQLite's advice for a closing connection, bounded: analysis_limit makes any ANALYZE that
// PRAGMA optimize decides on read a few hundred rows per index instead of the whole table.
// Unbounded, it re-read a million-execution file on every close: the empty partial index
// idx_executions_rerun never gets statistics, so optimize finds the table "unanalyzed" after
// any statement that used its statistics (recovery's status lookup, on every open). A
// connection that wrote nothing (the runner's `history`, `show`) skips it (docs/store.md).
void ExecutionStore::optimizeBeforeClose(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT total_changes()")) || !q.next() || q.value(0).toLongLong() == 0)
        return;
    q.finish();
    q.exec(QStringLiteral("PRAGMA analysis_limit = 400"));
    q.exec(QStringLiteral("PRAGMA optimize"));
}

bool ExecutionStore::isOpen() const
{
    if (m_pg)
        return m_pg->isOpen();
    return m_stmts != nullptr;
}

void ExecutionStore::close()
{
    if (m_counted) {
        m_counted = false;
        --(m_pg ? g_openPostgres : g_openSqlite);
    }
    if (m_pg) {
        m_pg->close();
        return;
    }
    const bool wasOpen = m_stmts != nullptr;
    m_stmts.reset();
    if (QSqlDatabase::contains(m_connection)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connection, false);
            if (db.isOpen()) {
                if (wasOpen)
                    optimizeBeforeClose(db);
                db.close();
            }
        }
        QSqlDatabase::removeDatabase(m_connection);
    }
    m_ownerLock.reset();
    m_txDepth = 0;
}

namespace {
// Runs one PRAGMA of open(). Two connections switching a new file to WAL at once can get
// SQLITE_BUSY without the busy handler being consulted (SQLite gives up at once where waiting
// could deadlock), so a busy or locked answer is retried for up to the busy timeout. open()
// never runs on the GUI thread (engine, reader and recorder threads open their own stores).
bool execPragma(QSqlQuery &q, const QString &pragma)
{
    QElapsedTimer waited;
    waited.start();
    while (!q.exec(pragma)) {
        const QString code = q.lastError().nativeErrorCode();
        const bool busy = code == QLatin1String("5") || code == QLatin1String("6"); // BUSY, LOCKED
        if (!busy || waited.elapsed() >= kBusyTimeoutMs)
            return false;
        QThread::msleep(10);
    }
    return true;
}
} // namespace

Result<void> ExecutionStore::open(int *recovered)
{
    Result<void> opened = openConnection(recovered);
    if (opened && !m_counted) {
        m_counted = true;
        ++(m_pg ? g_openPostgres : g_openSqlite);
    }
    return opened;
}

Result<void> ExecutionStore::openConnection(int *recovered)
{
    if (m_pg)
        return m_pg->open(recovered);
    if (recovered)
        *recovered = 0;
    if (isOpen())
        return {};
    const bool inMemory = m_path == QStringLiteral(":memory:");
    if (!inMemory) {
        const QFileInfo fi(m_path);
        if (!QDir().mkpath(fi.absolutePath()))
            return Failure { QStringLiteral("store: cannot create folder %1").arg(fi.absolutePath()) };
        // Announce this connection as a live writer before anything else (see recoverInterrupted);
        // a store that cannot do so fails here rather than run where others could interrupt it.
        Result<std::unique_ptr<StoreOwnerLock>> lock = StoreOwnerLock::acquire(ownersFolder());
        if (!lock)
            return Failure { lock.error() };
        m_ownerLock = lock.take();
    }

    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        db.setDatabaseName(m_path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs));
        if (!db.open()) {
            const QString error = db.lastError().text();
            db = QSqlDatabase();
            close();
            return Failure { QStringLiteral("store: cannot open %1: %2").arg(m_path, error) };
        }
        QSqlQuery q(db);
        const QString pragmas[] = {
            QStringLiteral("PRAGMA busy_timeout = %1").arg(kBusyTimeoutMs),
            QStringLiteral("PRAGMA journal_mode = WAL"),
            QStringLiteral("PRAGMA synchronous = NORMAL"),
            QStringLiteral("PRAGMA foreign_keys = ON"),
            // 32 MB page cache: a batch touches many index and FTS pages; with SQLite's 2 MB
            // default they spill to the WAL mid-transaction and are written again.
            QStringLiteral("PRAGMA cache_size = -32000"),
            QStringLiteral("PRAGMA temp_store = MEMORY"),
        };
        for (const QString &p : pragmas) {
            if (!execPragma(q, p)) {
                const QString error = q.lastError().text();
                q = QSqlQuery();
                db = QSqlDatabase();
                close();
                return Failure { QStringLiteral("store: %1: %2").arg(p, error) };
            }
        }
    }

    if (auto r = migrate(); !r) {
        close();
        return r;
    }
    m_stmts = std::make_unique<Statements>(QSqlDatabase::database(m_connection, false));
    QString error;
    if (!m_stmts->prepare(&error)) {
        close();
        return Failure { QStringLiteral("store: cannot prepare statements: %1").arg(error) };
    }
    const Result<int> n = recoverInterrupted();
    if (!n) {
        close();
        return Failure { n.error() };
    }
    if (recovered)
        *recovered = *n;
    return {};
}

Result<void> ExecutionStore::migrate()
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    // Each read is finished at once: DROP TABLE in a migration fails while any statement of
    // this connection is still active.
    auto userVersion = [&q]() {
        const int v = q.exec(QStringLiteral("PRAGMA user_version")) && q.next() ? q.value(0).toInt() : -1;
        q.finish();
        return v;
    };
    const int start = userVersion();
    if (start < 0)
        return sqlFailure(QStringLiteral("reading user_version"), q);
    if (start > SchemaVersion)
        return Failure { QStringLiteral("store: %1 has schema version %2, newer than this build (%3)")
                             .arg(m_path)
                             .arg(start)
                             .arg(SchemaVersion) };
    if (start == SchemaVersion)
        return {};

    // Foreign keys off while tables are rebuilt (they can only be switched outside a
    // transaction); every migration runs in an IMMEDIATE transaction so two processes opening a
    // new file at once migrate it once: the second waits, then sees the new user_version.
    q.exec(QStringLiteral("PRAGMA foreign_keys = OFF"));
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE")))
        return sqlFailure(QStringLiteral("starting the migration"), q);
    Result<void> result;
    int version = userVersion();
    for (const storeschema::Migration &m : storeschema::migrations()) {
        if (m.version <= version)
            continue;
        result = m.apply(db);
        if (!result)
            break;
        if (!q.exec(QStringLiteral("PRAGMA user_version = %1").arg(m.version))) {
            result = sqlFailure(QStringLiteral("writing user_version"), q);
            break;
        }
        version = m.version;
    }
    if (result && !q.exec(QStringLiteral("COMMIT")))
        result = sqlFailure(QStringLiteral("committing the migration"), q);
    if (!result)
        q.exec(QStringLiteral("ROLLBACK"));
    q.exec(QStringLiteral("PRAGMA foreign_keys = ON"));
    return result;
}

QString ExecutionStore::ownersFolder() const
{
    return QFileInfo(m_path).absoluteFilePath() + QStringLiteral(".owners");
}

bool ExecutionStore::otherOwnersAlive() const
{
    if (!m_ownerLock) // in memory: nobody else can see this database
        return false;
    return StoreOwnerLock::liveOwners(ownersFolder(), m_ownerLock->filePath()) > 0;
}

Result<int> ExecutionStore::recoverInterrupted()
{
    // Another live store on this file (the app's engine while the runner starts, a second
    // engine thread) owns the executions that are running now: leave them alone.
    if (otherOwnersAlive())
        return 0;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    if (auto r = begin(); !r)
        return Failure { r.error() };
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "UPDATE execution_steps SET status = 'interrupted', error_message = IFNULL(error_message, ?) "
        "WHERE status = 'running' AND execution_id IN "
        "(SELECT id FROM executions WHERE status IN ('running', 'queued'))"));
    q.addBindValue(kInterruptedMessage);
    if (!q.exec()) {
        const Failure f = sqlFailure(QStringLiteral("recovering steps"), q);
        (void)rollback();
        return f;
    }
    q.prepare(QStringLiteral("UPDATE executions SET status = 'interrupted', error_message = ? "
                             "WHERE status IN ('running', 'queued')"));
    q.addBindValue(kInterruptedMessage);
    if (!q.exec()) {
        const Failure f = sqlFailure(QStringLiteral("recovering executions"), q);
        (void)rollback();
        return f;
    }
    const int n = q.numRowsAffected();
    // Eval runs follow the same rule (docs/eval-store.md): their finished results stay.
    q.prepare(QStringLiteral("UPDATE eval_runs SET status = 'interrupted', error = IFNULL(error, ?) "
                             "WHERE status = 'running'"));
    q.addBindValue(kInterruptedMessage);
    if (!q.exec()) {
        const Failure f = sqlFailure(QStringLiteral("recovering eval runs"), q);
        (void)rollback();
        return f;
    }
    if (auto r = commit(); !r)
        return Failure { r.error() };
    return n;
}

Result<void> ExecutionStore::begin()
{
    if (m_pg)
        return m_pg->begin();
    if (!QSqlDatabase::contains(m_connection))
        return Failure { QStringLiteral("store: not open") };
    if (m_txDepth == 0) {
        // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a batch never
        // fails half way with SQLITE_BUSY when another connection writes.
        QSqlQuery q(QSqlDatabase::database(m_connection, false));
        if (!q.exec(QStringLiteral("BEGIN IMMEDIATE")))
            return sqlFailure(QStringLiteral("begin"), q);
    }
    ++m_txDepth;
    return {};
}

Result<void> ExecutionStore::commit()
{
    if (m_pg)
        return m_pg->commit();
    if (m_txDepth <= 0)
        return Failure { QStringLiteral("store: commit without begin") };
    if (--m_txDepth > 0)
        return {};
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("COMMIT"))) {
        const Failure f = sqlFailure(QStringLiteral("commit"), q);
        q.exec(QStringLiteral("ROLLBACK"));
        return f;
    }
    return {};
}

Result<void> ExecutionStore::rollback()
{
    if (m_pg)
        return m_pg->rollback();
    if (m_txDepth <= 0)
        return Failure { QStringLiteral("store: rollback without begin") };
    m_txDepth = 0;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.exec(QStringLiteral("ROLLBACK")))
        return sqlFailure(QStringLiteral("rollback"), q);
    return {};
}

Result<void> ExecutionStore::insertExecution(const ExecutionRecord &e)
{
    if (m_pg)
        return m_pg->insertExecution(e);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    if (e.id.isEmpty())
        return Failure { QStringLiteral("store: execution without an id") };
    if (!execBound(m_stmts->insertExecution, executionValues(e)))
        return sqlFailure(QStringLiteral("inserting execution %1").arg(e.id), m_stmts->insertExecution);
    return {};
}

Result<void> ExecutionStore::updateExecution(const ExecutionRecord &e)
{
    if (m_pg)
        return m_pg->updateExecution(e);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    QVariantList values = executionValues(e);
    values.append(values.takeFirst()); // id goes last, into WHERE
    QSqlQuery &q = m_stmts->updateExecution;
    if (!execBound(q, values))
        return sqlFailure(QStringLiteral("updating execution %1").arg(e.id), q);
    if (q.numRowsAffected() != 1)
        return Failure { QStringLiteral("store: no execution %1 to update").arg(e.id) };
    return {};
}

Result<void> ExecutionStore::insertStep(const StepRecord &s)
{
    if (m_pg)
        return m_pg->insertStep(s);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    if (s.id.isEmpty() || s.executionId.isEmpty())
        return Failure { QStringLiteral("store: step without an id or execution id") };
    if (!execBound(m_stmts->insertStep, stepValues(s)))
        return sqlFailure(QStringLiteral("inserting step %1").arg(s.id), m_stmts->insertStep);
    return {};
}

Result<void> ExecutionStore::updateStep(const StepRecord &s)
{
    if (m_pg)
        return m_pg->updateStep(s);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    QVariantList values = stepValues(s);
    values.append(values.takeFirst());
    QSqlQuery &q = m_stmts->updateStep;
    if (!execBound(q, values))
        return sqlFailure(QStringLiteral("updating step %1").arg(s.id), q);
    if (q.numRowsAffected() != 1)
        return Failure { QStringLiteral("store: no step %1 to update").arg(s.id) };
    return {};
}

Result<ExecutionRecord> ExecutionStore::execution(
    const StoreScope &scope, const QString &id, bool withSteps) const
{
    if (m_pg)
        return m_pg->execution(scope, id, withSteps);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    QSqlQuery &q = m_stmts->selectExecution;
    q.bindValue(0, id);
    if (!q.exec())
        return sqlFailure(QStringLiteral("reading execution %1").arg(id), q);
    const bool found = q.next();
    ExecutionRecord e = found ? executionFromRow(q) : ExecutionRecord();
    q.finish();
    // Another tenant's execution reads exactly as a missing one: its existence stays unknown.
    if (!found || !scope.contains(e))
        return Failure { QStringLiteral("no execution with id '%1'").arg(id), ErrorCode::NotFound };
    if (withSteps) {
        QSqlQuery &s = m_stmts->selectSteps;
        s.bindValue(0, id);
        if (!s.exec())
            return sqlFailure(QStringLiteral("reading steps of %1").arg(id), s);
        while (s.next())
            e.steps.append(stepFromRow(s));
        s.finish();
    }
    return e;
}

Result<HistoryPage> ExecutionStore::query(const StoreScope &scope, const HistoryQuery &request) const
{
    if (m_pg)
        return m_pg->query(scope, request);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    const std::optional<HistoryQuery> scoped = withinScope(scope, request);
    if (!scoped)
        return HistoryPage();
    const HistoryQuery &hq = *scoped;
    const SortSpec sort = sortSpec(hq.sort);
    FtsPlan plan = FtsPlan::DriveFromMatches;
    const QString match = ftsMatchExpression(hq.search);
    if (!match.isEmpty()) {
        constexpr int manyMatches = 1000;
        QSqlQuery probe(QSqlDatabase::database(m_connection, false));
        probe.setForwardOnly(true);
        probe.prepare(QStringLiteral("SELECT COUNT(*) FROM (SELECT rowid FROM executions_fts WHERE "
                                     "executions_fts MATCH ? LIMIT %1)")
                          .arg(manyMatches));
        probe.addBindValue(match);
        if (!probe.exec() || !probe.next())
            return sqlFailure(QStringLiteral("full-text search"), probe);
        if (probe.value(0).toInt() >= manyMatches)
            plan = FtsPlan::ScanInOrder;
    }
    const int limit = hq.limit > 0 ? qMin(hq.limit, 10000) : 50;
    // The rowid walk reads executions_fts alone: only when no tool step matches too.
    if (plan == FtsPlan::ScanInOrder && hq.sort == HistoryQuery::Sort::NewestFirst
        && !toolStepsMatch(QSqlDatabase::database(m_connection, false), match)) {
        // One read snapshot for the watermark and the walk (a writer could insert a late row
        // in between), unless the caller's transaction already is one.
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        QSqlQuery tx(db);
        const bool ownSnapshot = m_txDepth == 0 && tx.exec(QStringLiteral("BEGIN"));
        std::optional<Result<HistoryPage>> page = queryByRowid(db, scope, hq, match, limit);
        if (ownSnapshot)
            tx.exec(QStringLiteral("COMMIT"));
        if (page)
            return *page;
    }
    WhereClause where = filterClause(scope, hq, plan);
    if (!hq.cursor.isEmpty()) {
        QVariant key;
        QString id;
        if (!decodeCursor(hq.cursor, sort.numericKey, &key, &id))
            return Failure { QStringLiteral("invalid cursor '%1'").arg(hq.cursor), ErrorCode::InvalidCursor };
        // Written as "key <= k AND (key < k OR id < i)" rather than a row value so the first
        // term is a plain range on the index.
        const QString cmp = sort.descending ? QStringLiteral("<") : QStringLiteral(">");
        where.terms.append(QStringLiteral("%1 %2= ? AND (%1 %2 ? OR id %2 ?)").arg(sort.key, cmp));
        where.values << key << key << id;
    }
    const QString dir = sort.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");
    const QString sql = QStringLiteral("SELECT %1, %2 FROM executions%3 ORDER BY %2 %4, id %4 LIMIT %5")
                            .arg(columnList(executionColumns()), sort.key, where.sql(), dir)
                            .arg(limit + 1);
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!q.prepare(sql) || !execBound(q, where.values))
        return sqlFailure(QStringLiteral("history query"), q);
    HistoryPage page;
    const int keyColumn = int(executionColumns().size());
    QVariant lastKey;
    while (q.next()) {
        if (page.items.size() == limit) {
            page.nextCursor = encodeCursor(lastKey, page.items.constLast().id, sort.numericKey);
            break;
        }
        page.items.append(executionFromRow(q));
        lastKey = q.value(keyColumn);
    }
    return page;
}

Result<qint64> ExecutionStore::count(const StoreScope &scope, const HistoryQuery &request) const
{
    if (m_pg)
        return m_pg->count(scope, request);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    const std::optional<HistoryQuery> hq = withinScope(scope, request);
    if (!hq)
        return qint64(0);
    const WhereClause where = filterClause(scope, *hq);
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!q.prepare(QStringLiteral("SELECT COUNT(*) FROM executions") + where.sql())
        || !execBound(q, where.values) || !q.next())
        return sqlFailure(QStringLiteral("history count"), q);
    return q.value(0).toLongLong();
}

Result<int> ExecutionStore::remove(const StoreScope &scope, const QStringList &ids)
{
    if (m_pg)
        return m_pg->remove(scope, ids);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    if (ids.isEmpty())
        return 0;
    if (auto r = begin(); !r)
        return Failure { r.error() };
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    int removed = 0;
    const WhereClause inScope = scopeClause(scope);
    constexpr qsizetype chunk = 500; // stays far below SQLite's bound-parameter limit
    for (qsizetype at = 0; at < ids.size(); at += chunk) {
        const QStringList part = ids.mid(at, chunk);
        WhereClause where = inScope;
        where.terms.prepend(QStringLiteral("id IN (%1)").arg(placeholders(int(part.size()))));
        where.values = QVariantList(part.cbegin(), part.cend()) + inScope.values;
        if (!q.prepare(QStringLiteral("DELETE FROM executions") + where.sql())
            || !execBound(q, where.values)) {
            const Failure f = sqlFailure(QStringLiteral("removing executions"), q);
            (void)rollback();
            return f;
        }
        removed += q.numRowsAffected();
    }
    if (auto r = commit(); !r)
        return Failure { r.error() };
    return removed;
}

Result<int> ExecutionStore::applyRetention(const StoreScope &scope, int keepLast, const QDateTime &olderThan)
{
    if (m_pg)
        return m_pg->applyRetention(scope, keepLast, olderThan);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    // Queued and running executions are never deleted: the engine is still writing them.
    if (auto r = begin(); !r)
        return Failure { r.error() };
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    int removed = 0;
    WhereClause finished = scopeClause(scope);
    finished.terms.prepend(QStringLiteral("status NOT IN ('queued', 'running')"));
    if (keepLast > 0) {
        // The newest `keepLast` of the scope are kept, whatever other workspaces hold.
        const WhereClause inScope = scopeClause(scope);
        WhereClause where = finished;
        where.terms.append(
            QStringLiteral("id IN (SELECT id FROM executions%1 ORDER BY queued_at DESC, id DESC "
                           "LIMIT -1 OFFSET ?)")
                .arg(inScope.sql()));
        where.values << inScope.values << keepLast;
        if (!q.prepare(QStringLiteral("DELETE FROM executions") + where.sql())
            || !execBound(q, where.values)) {
            const Failure f = sqlFailure(QStringLiteral("retention by count"), q);
            (void)rollback();
            return f;
        }
        removed += q.numRowsAffected();
    }
    if (olderThan.isValid()) {
        WhereClause where = finished;
        where.terms.append(QStringLiteral("queued_at < ?"));
        where.values << as::isoTime(olderThan);
        if (!q.prepare(QStringLiteral("DELETE FROM executions") + where.sql())
            || !execBound(q, where.values)) {
            const Failure f = sqlFailure(QStringLiteral("retention by age"), q);
            (void)rollback();
            return f;
        }
        removed += q.numRowsAffected();
    }
    if (auto r = commit(); !r)
        return Failure { r.error() };
    return removed;
}

Result<ExecutionRecord> ExecutionStore::latestSuccessfulRun(
    const StoreScope &scope, const QString &orchestrationId) const
{
    if (m_pg)
        return m_pg->latestSuccessfulRun(scope, orchestrationId);
    if (!m_stmts)
        return Failure { QStringLiteral("store: not open") };
    WhereClause where = scopeClause(scope);
    where.terms.prepend(QStringLiteral("orchestration_id = ? AND status = 'completed' AND "
                                       "(test_mode = 'full_workflow' OR (test_mode IS NULL AND "
                                       "execution_type = 'orchestration' AND IFNULL(node_id, '') = ''))"));
    where.values.prepend(orchestrationId);
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!q.prepare(QStringLiteral("SELECT id FROM executions%1 ORDER BY queued_at DESC, id DESC LIMIT 1")
                       .arg(where.sql()))
        || !execBound(q, where.values))
        return sqlFailure(QStringLiteral("latest run of %1").arg(orchestrationId), q);
    if (!q.next())
        return Failure { QStringLiteral("no completed full run of orchestration '%1' in %2")
                             .arg(orchestrationId, scope.describe()) };
    return execution(scope, q.value(0).toString(), true);
}

QString ExecutionStore::ftsMatchExpression(const QString &userText)
{
    QStringList phrases;
    const QStringList terms = userText.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    for (QString term : terms) {
        bool prefix = false;
        if (term.endsWith(QLatin1Char('*'))) {
            prefix = true;
            term.chop(1);
        }
        // A term with no letter or digit would be an empty phrase, which FTS5 rejects.
        if (!std::any_of(term.cbegin(), term.cend(), [](QChar c) { return c.isLetterOrNumber(); }))
            continue;
        term.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        phrases.append(
            QLatin1Char('"') + term + QLatin1Char('"') + (prefix ? QStringLiteral("*") : QString()));
    }
    return phrases.join(QLatin1Char(' '));
}
