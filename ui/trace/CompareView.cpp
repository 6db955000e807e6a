#include "ui/trace/CompareView.h"

#include "ui/trace/CompareModel.h"
#include "ui/trace/TraceFormat.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

CompareView::CompareView(QWidget *parent)
    : QWidget(parent)
    , m_model(new CompareModel(this))
    , m_table(new QTableView(this))
    , m_diff(new QTextBrowser(this))
    , m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("compareView"));
    setWindowTitle(tr("Compare executions"));
    m_table->setObjectName(QStringLiteral("compareTable"));
    m_diff->setObjectName(QStringLiteral("compareDiff"));
    m_summary->setObjectName(QStringLiteral("compareSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->setColumnWidth(CompareModel::StepColumn, 220);
    m_table->setColumnWidth(CompareModel::LeftColumn, 230);
    m_table->setColumnWidth(CompareModel::RightColumn, 230);
    m_table->setWordWrap(false);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_diff);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this](const QModelIndex &current) { showDiff(current.row()); });
    resize(1000, 640);
}

void CompareView::setExecutions(const ExecutionRecord &left, const ExecutionRecord &right)
{
    m_model->setExecutions(left, right);
    const CompareResult &r = m_model->result();
    auto name = [](const ExecutionRecord &e) {
        return QString((e.orchestrationId.isEmpty() ? e.agentId : e.orchestrationId) + QStringLiteral(" · ")
            + traceformat::time(e.queuedAt));
    };
    m_summary->setText(QStringLiteral("<b>Left</b> %1 &nbsp; <b>Right</b> %2<br>%3 steps aligned, %4 "
                                      "changed, %5 only left, %6 only right · "
                                      "Δ tokens %7 · Δ cost %8 · Δ latency %9")
                           .arg(name(left).toHtmlEscaped(), name(right).toHtmlEscaped())
                           .arg(r.matched)
                           .arg(r.changed)
                           .arg(r.onlyLeft)
                           .arg(r.onlyRight)
                           .arg(traceformat::signedNumber(r.tokensDelta),
                               r.costDelta ? traceformat::costDelta(r.costDelta) : QStringLiteral("unknown"),
                               (r.latencyDeltaMs >= 0 ? QStringLiteral("+") : QStringLiteral("−"))
                                   + traceformat::latency(qAbs(r.latencyDeltaMs))));
    m_table->setCurrentIndex(m_model->index(0, 0));
    showDiff(0);
}

void CompareView::showDiff(int row)
{
    const QList<DiffLine> diff = m_model->diffOf(row);
    QString html = QStringLiteral("<pre style='margin:0'>");
    if (diff.isEmpty())
        html += tr("(no output on either side)");
    for (const DiffLine &d : diff) {
        const QString text = d.text.toHtmlEscaped();
        switch (d.kind) {
        case DiffLine::Kind::Same:
            html += QStringLiteral("  ") + text + u'\n';
            break;
        case DiffLine::Kind::Removed:
            html += QStringLiteral("<span style='background:#fde2e2;color:#8a1f1f'>- %1</span>\n").arg(text);
            break;
        case DiffLine::Kind::Added:
            html += QStringLiteral("<span style='background:#dff5e1;color:#1f6a2c'>+ %1</span>\n").arg(text);
            break;
        }
    }
    html += QStringLiteral("</pre>");
    m_diff->setHtml(html);
}

QString CompareView::diffText() const
{
    return m_diff->toPlainText();
}
