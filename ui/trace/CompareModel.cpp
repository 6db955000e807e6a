#include "ui/trace/CompareModel.h"

#include "ui/trace/TraceFormat.h"

#include <QColor>

CompareModel::CompareModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void CompareModel::setExecutions(const ExecutionRecord &left, const ExecutionRecord &right)
{
    beginResetModel();
    m_left = left;
    m_right = right;
    m_result = compareExecutions(left, right);
    endResetModel();
}

const CompareRow *CompareModel::compareRow(int row) const
{
    if (row <= 0 || row > int(m_result.rows.size()))
        return nullptr;
    return &m_result.rows[row - 1];
}

QList<DiffLine> CompareModel::diffOf(int row) const
{
    if (row == 0) {
        if (m_result.outputChanged)
            return m_result.outputDiff;
        return diffLines(executionOutputText(m_left), executionOutputText(m_right));
    }
    const CompareRow *r = compareRow(row);
    if (!r)
        return {};
    if (r->outputChanged)
        return r->outputDiff;
    const QString l = r->left >= 0 ? stepOutputText(m_left.steps[r->left]) : QString();
    const QString rt = r->right >= 0 ? stepOutputText(m_right.steps[r->right]) : QString();
    return diffLines(l, rt);
}

int CompareModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || (m_left.id.isEmpty() && m_right.id.isEmpty()))
        return 0;
    return 1 + int(m_result.rows.size());
}

int CompareModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString CompareModel::sideText(const StepRecord *s) const
{
    if (!s)
        return QStringLiteral("—");
    QStringList parts { toWire(s->status) };
    parts << traceformat::latency(s->executionTimeMs);
    if (s->inputTokens || s->outputTokens)
        parts << traceformat::tokens(s->inputTokens, s->outputTokens, s->tokensEstimated);
    if (s->costUsd || s->kind == StepKind::Llm)
        parts << traceformat::cost(s->costUsd);
    return parts.join(QStringLiteral(" · "));
}

QVariant CompareModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const CompareRow *r = compareRow(row);
    const StepRecord *l = r && r->left >= 0 ? &m_left.steps[r->left] : nullptr;
    const StepRecord *rt = r && r->right >= 0 ? &m_right.steps[r->right] : nullptr;
    const QString side = !r ? QStringLiteral("both")
        : r->onlyLeft()     ? QStringLiteral("left")
        : r->onlyRight()    ? QStringLiteral("right")
                            : QStringLiteral("both");
    const bool changed = r ? r->outputChanged : m_result.outputChanged;

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case StepColumn: {
            if (!r)
                return tr("Execution");
            const StepRecord *s = l ? l : rt;
            QString name = s->name.isEmpty() ? toWire(s->kind) : s->name;
            if (s->kind == StepKind::Node && !s->nodeId.isEmpty())
                name = s->nodeId;
            if (s->attempt > 1)
                name += QStringLiteral(" (attempt %1)").arg(s->attempt);
            return QString(QString(r->depth * 3, u' ') + toWire(s->kind) + QStringLiteral(": ") + name);
        }
        case LeftColumn:
            if (!r)
                return QStringLiteral("%1 · %2 · %3 · %4")
                    .arg(toWire(m_left.status), traceformat::latency(m_left.executionTimeMs),
                        traceformat::tokens(m_left.inputTokens, m_left.outputTokens, m_left.tokensEstimated),
                        traceformat::cost(m_left.costUsd));
            return sideText(l);
        case RightColumn:
            if (!r)
                return QStringLiteral("%1 · %2 · %3 · %4")
                    .arg(toWire(m_right.status), traceformat::latency(m_right.executionTimeMs),
                        traceformat::tokens(
                            m_right.inputTokens, m_right.outputTokens, m_right.tokensEstimated),
                        traceformat::cost(m_right.costUsd));
            return sideText(rt);
        case TokensDeltaColumn:
            if (r && (!l || !rt))
                return QString();
            return traceformat::signedNumber(r ? r->tokensDelta : m_result.tokensDelta);
        case CostDeltaColumn: {
            if (r && (!l || !rt))
                return QString();
            const std::optional<double> d = r ? r->costDelta : m_result.costDelta;
            return d ? traceformat::costDelta(d) : QStringLiteral("unknown");
        }
        case LatencyDeltaColumn: {
            if (r && (!l || !rt))
                return QString();
            const qint64 d = r ? r->latencyDeltaMs : m_result.latencyDeltaMs;
            return QString((d > 0          ? QStringLiteral("+")
                                   : d < 0 ? QStringLiteral("−")
                                           : QString())
                + traceformat::latency(qAbs(d)));
        }
        case OutputColumn:
            if (side == QLatin1String("left"))
                return tr("only left");
            if (side == QLatin1String("right"))
                return tr("only right");
            return changed ? QStringLiteral("changed") : QStringLiteral("same");
        }
        return {};
    case Qt::BackgroundRole:
        if (side == QLatin1String("left"))
            return QColor(0xfd, 0xe2, 0xe2);
        if (side == QLatin1String("right"))
            return QColor(0xdf, 0xf5, 0xe1);
        if (changed && index.column() == OutputColumn)
            return QColor(0xff, 0xf1, 0xb8);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() >= TokensDeltaColumn && index.column() <= LatencyDeltaColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SideRole:
        return side;
    case OutputChangedRole:
        return changed;
    case LeftStepIdRole:
        return l ? l->id : (r ? QString() : m_left.id);
    case RightStepIdRole:
        return rt ? rt->id : (r ? QString() : m_right.id);
    }
    return {};
}

QVariant CompareModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case StepColumn:
        return tr("Step");
    case LeftColumn:
        return tr("Left");
    case RightColumn:
        return tr("Right");
    case TokensDeltaColumn:
        return QStringLiteral("Δ tokens");
    case CostDeltaColumn:
        return QStringLiteral("Δ cost");
    case LatencyDeltaColumn:
        return QStringLiteral("Δ latency");
    case OutputColumn:
        return tr("Output");
    }
    return {};
}
