#include "ui/settings/WorkspaceTrustDialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

WorkspaceTrustDialog::WorkspaceTrustDialog(
    const QString &workspaceName, const QList<CredentialUse> &uses, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("workspaceTrustDialog"));
    setWindowTitle(tr("Trust this workspace?"));

    auto *icon = new QLabel(this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(32, 32));
    icon->setAlignment(Qt::AlignTop);
    auto *intro = new QLabel(
        tr("<b>%1</b> wants to send API keys from your environment to these hosts. Whoever runs a "
           "host receives the key and can use it.")
            .arg(workspaceName.toHtmlEscaped()),
        this);
    intro->setWordWrap(true);
    auto *top = new QHBoxLayout;
    top->addWidget(icon);
    top->addWidget(intro, 1);

    auto *list = new QTreeWidget(this);
    list->setObjectName(QStringLiteral("trustUsesList"));
    list->setColumnCount(ColumnCount);
    list->setHeaderLabels({ tr("Provider"), tr("Host"), tr("Variable"), tr("Why it asks") });
    list->setRootIsDecorated(false);
    list->setSelectionMode(QAbstractItemView::NoSelection);
    list->setFocusPolicy(Qt::NoFocus); // a list to read; the keyboard belongs to the buttons
    list->setUniformRowHeights(true);
    for (const CredentialUse &use : uses) {
        auto *item = new QTreeWidgetItem(list,
            QStringList { use.providerId + QStringLiteral(" (") + use.kind + QLatin1Char(')'), use.host,
                QLatin1Char('$') + use.variable, use.reason });
        item->setToolTip(HostColumn, use.origin);
        item->setToolTip(ReasonColumn, use.reason);
    }
    // Every column readable at once, the list as tall as its rows (a few at most, then it scrolls).
    int width = 2 * list->frameWidth();
    for (int c = 0; c < ColumnCount; ++c) {
        list->resizeColumnToContents(c);
        width += list->columnWidth(c) + 12;
    }
    list->header()->setStretchLastSection(true);
    const int rowHeight = uses.isEmpty() ? list->fontMetrics().height() + 6 : list->sizeHintForRow(0);
    list->setFixedHeight(list->header()->sizeHint().height() + 2 * list->frameWidth()
        + rowHeight * int(qBound(qsizetype(2), uses.size(), qsizetype(6))) + 4);

    auto *outro = new QLabel(tr("Trust it only if you wrote this file or know where it comes from. Without "
                                "trust, runs that need these keys fail before sending anything; other "
                                "runs work as usual. The answer is kept for this file until its content "
                                "changes (Settings > Workspace Trust asks again)."),
        this);
    outro->setWordWrap(true);

    auto *buttons = new QDialogButtonBox(this);
    QPushButton *trust = buttons->addButton(tr("Trust"), QDialogButtonBox::AcceptRole);
    trust->setObjectName(QStringLiteral("trustButton"));
    trust->setAutoDefault(false);
    QPushButton *dontTrust = buttons->addButton(tr("Don't Trust"), QDialogButtonBox::RejectRole);
    dontTrust->setObjectName(QStringLiteral("dontTrustButton"));
    dontTrust->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(list);
    layout->addWidget(outro);
    layout->addWidget(buttons);
    const int margins = layout->contentsMargins().left() + layout->contentsMargins().right();
    resize(qBound(560, width + margins, 960), sizeHint().height());
}

WorkspaceTrustDialog::~WorkspaceTrustDialog() = default;
