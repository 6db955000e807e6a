#pragma once

#include "core/api/ExecutionEvent.h"
#include "core/api/ExecutionFold.h"
#include "core/api/ExecutionRecord.h"

#include <QAbstractItemModel>
#include <QDateTime>
#include <QHash>
#include <QSet>

#include <optional>
#include <vector>

// The steps of one execution as a tree: the execution at the top,
// then workflow nodes, then their llm / parse / tool steps (retry attempts as siblings with
// their attempt number). Fed by a stored ExecutionRecord (history) and/or live
// ExecutionEvents (step_started / chunk / step_completed / complete) — idempotently: an event
// whose seq the model already holds is ignored, and a step it already has is updated in place.
//
// Built for 30,000-step traces: the tree lives in a flat vector of small Node structs with the
// fields the tree and the timeline paint; display strings are formatted on demand for visible
// rows only; step payloads (input/output JSON, prompts, replies) stay in the record's
// StepRecords and are only read when the details pane asks for one step.
//
// GUI thread only.
class TraceModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TraceModel)
public:
    enum Column {
        NameColumn,
        KindColumn,
        StatusColumn,
        LatencyColumn,
        TokensColumn,
        CostColumn,
        ColumnCount
    };
    enum Role {
        StepIdRole = Qt::UserRole, // QString; the execution id for the top row
        KindRole, // "execution", "node", "llm", "parse", "tool"
        StatusRole,
        StartMsRole, // qint64 offset from origin(); -1 unknown
        EndMsRole, // qint64; -1 while running
        TtftMsRole, // qint64; -1 none
        AttemptRole, // int
        SearchMatchRole, // bool: matches the search text
    };

    // Hot data of one row. No payloads here (see above).
    struct Node
    {
        QString id;
        QString name;
        QString kind;
        QString status; // wire name, as shown
        bool ended = false; // a terminal status
        bool active = true; // queued or running
        bool failed = false;
        bool stopped = false; // cancelled or interrupted
        std::optional<StepKind> stepKind; // nullopt for the execution row
        bool metered = false; // has tokens and cost of its own (execution, llm, node)
        QString nodeId;
        QString model;
        QString errorMessage;
        int parent = -1; // index into nodes, -1 for the execution
        int row = 0; // row within the parent
        std::vector<int> children;
        int stepIndex = -1; // index into record().steps, -1 for the execution
        qint64 startMs = -1; // offsets from origin()
        qint64 endMs = -1;
        qint64 queueMs = 0; // execution: queued -> started
        qint64 ttftMs = -1;
        qint64 latencyMs = -1;
        qint64 inputTokens = 0, outputTokens = 0, cachedTokens = 0, reasoningTokens = 0;
        qint64 streamedTokens = 0; // live: tokens of chunks received so far
        std::optional<double> cost;
        bool estimated = false;
        int attempt = 1;
        int stepNumber = 0; // sibling order (0 = unknown: appended)
    };

    explicit TraceModel(QObject *parent = nullptr);
    ~TraceModel() override;

    // Replaces everything with a stored execution (with its steps). Events for it with any seq
    // are still applied afterwards (a running execution opened from history keeps growing).
    void setExecution(const ExecutionRecord &record);
    // Starts an empty live trace for an execution whose events will follow; origin = now.
    void startLive(const QString &executionId);
    // Live: names the root (agent or orchestration, type, mode, inputs) from the stored header
    // once it arrives; statuses, times and steps stay as the events made them.
    void setIdentity(const ExecutionRecord &header);
    // Replay: the execution's header (times, ids) with no steps and status "queued"; the
    // replayer's events then fill it in.
    void startReplay(const ExecutionRecord &record);
    void clear();

    // Applies the events of this model's execution (others are ignored). Idempotent: a seq
    // already held is ignored, also when a replay (subscribe from seq 0) delivers earlier
    // events after later ones; a step never goes back from a final status to running.
    void applyEvents(const ExecutionEventList &events);
    qint64 lastSeq() const { return m_fold.lastSeq(); } // the highest seq held

    QString executionId() const { return m_fold.executionId(); }
    // The execution with every step received so far (payloads included).
    const ExecutionRecord &record() const { return m_fold.record(); }
    bool isLive() const; // queued or running

    // Row access for the views (no copies).
    const Node *node(const QModelIndex &index) const;
    const Node &nodeAt(int i) const { return m_nodes[size_t(i)]; }
    int nodeCount() const { return int(m_nodes.size()); }
    // Time spent in model calls (llm steps) and in tool calls (tool steps), summed over the
    // steps that ended, and how many tool steps there are: the summary's "model · tools".
    struct KindTimes
    {
        qint64 modelMs = 0;
        qint64 toolMs = 0;
        int toolSteps = 0;
    };
    KindTimes kindTimes() const;
    int nodeIndex(const QModelIndex &index) const;
    QModelIndex indexOfNode(int i, int column = 0) const;
    QModelIndex indexForStep(const QString &stepId) const;
    // The payload of a row: nullptr for the execution row.
    const StepRecord *step(const QModelIndex &index) const;
    // Text streamed so far for a step still running (chunks), else empty.
    QString streamedText(const QString &stepId) const { return m_fold.streamedText(stepId); }

    // The time axis: origin is the execution's queued_at (else started_at, else the first
    // step); totalMs the latest end seen, or the clock while running.
    QDateTime origin() const { return m_origin; }
    qint64 totalMs() const;
    qint64 clockMs() const { return m_clockMs; }
    // Live/replay: where "now" is on the time axis (running bars end here).
    void setClockMs(qint64 ms);

    // Search within the trace: case-insensitive over name, kind, status, node, model, error.
    // Returns the number of matching rows; matches() lists their node indices in tree order.
    int setSearchText(const QString &text);
    QString searchText() const { return m_search; }
    const std::vector<int> &matches() const { return m_matchList; }
    bool isMatch(int node) const
    {
        return node >= 0 && size_t(node) < m_match.size() && m_match[size_t(node)];
    }
    // True when the node or anything below it matches (for "only matches" filtering).
    bool subtreeMatches(int node) const;

    // QAbstractItemModel
    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // The execution's own status changed (live or replay).
    void executionStatusChanged(ExecutionStatus status);
    // Times moved (a step started/ended, the clock advanced): the timeline repaints.
    void timesChanged();

private:
    void resetTo(const ExecutionRecord &header, bool withSteps);
    void fillRoot(const ExecutionRecord &e);
    void clearState();
    void fillNode(Node &n, const StepRecord &s) const;
    int addStep(const StepRecord &s, bool notify);
    void moveUnder(int child, int newParent);
    int insertionRow(int parent, int stepNumber) const;
    void renumberRows(int parent, int fromRow);
    void refreshStep(int nodeIndex); // from the fold's step
    void fillIdentity(); // the top row's name and kind from the record's header
    bool applyStatusToRoot(const ExecutionEvent &ev, ExecutionStatus before); // true: status changed
    void applyStepToRows(const ExecutionEvent &ev);
    void applyCompleteToRoot();
    qint64 offsetOf(const QDateTime &t) const;
    void notifyRow(int nodeIndex);
    bool nodeMatches(const Node &n) const;
    void recomputeMatches();

    ExecutionFold m_fold; // the record: header + steps (payloads), index = Node::stepIndex
    std::vector<Node> m_nodes; // [0] is the execution when not empty
    QHash<QString, int> m_byId; // step id -> node index
    // Live steps that arrived before their parent (events out of order after a re-subscribe):
    // parked under the execution, moved under the parent when it arrives.
    QHash<QString, QList<int>> m_orphans;
    QDateTime m_origin;
    qint64 m_clockMs = 0;
    qint64 m_maxEndMs = 0;
    QString m_search;
    std::vector<char> m_match;
    std::vector<char> m_subtreeMatch;
    std::vector<int> m_matchList;
};
