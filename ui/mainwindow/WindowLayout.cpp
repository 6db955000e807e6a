#include "ui/mainwindow/WindowLayout.h"

#include <QtGlobal>

namespace windowlayout {

namespace {
constexpr QSize kLargest(1400, 900);
constexpr double kScreenShare = 0.9;
constexpr double kTreeShare = 0.16;
constexpr double kDockShare = 0.22;
} // namespace

QRect firstWindowRect(const QRect &available)
{
    if (available.isEmpty())
        return QRect(QPoint(0, 0), kLargest);
    const QSize size(qMin(kLargest.width(), int(available.width() * kScreenShare)),
        qMin(kLargest.height(), int(available.height() * kScreenShare)));
    QRect r(QPoint(0, 0), size);
    r.moveCenter(available.center());
    return r;
}

Sizes firstSizes(const QSize &window)
{
    Sizes s;
    s.treeWidth = qBound(180, int(window.width() * kTreeShare), 260);
    // Enough for the history's search row, table header and a few rows; the rest of the height
    // (menu and status bars aside) goes to the test panel.
    s.bottomDockHeight = qMax(120, int(window.height() * kDockShare));
    return s;
}

} // namespace windowlayout
