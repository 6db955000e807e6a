#include "ui/common/StatusPalette.h"

#include <QHash>
#include <QPainter>
#include <QPixmap>

namespace statuspalette {

namespace {
struct Colours
{
    QColor strong;
    QColor light;
};

Colours colours(Tone tone)
{
    switch (tone) {
    case Tone::Idle:
        return { QColor(0x9e, 0x9e, 0x9e), QColor(0xf5, 0xf5, 0xf5) };
    case Tone::Waiting:
        return { QColor(0x78, 0x90, 0x9c), QColor(0xec, 0xef, 0xf1) };
    case Tone::Running:
        return { QColor(0x15, 0x65, 0xc0), QColor(0xbb, 0xde, 0xfb) };
    case Tone::Succeeded:
        return { QColor(0x2e, 0x7d, 0x32), QColor(0xc8, 0xe6, 0xc9) };
    case Tone::Failed:
        return { QColor(0xc6, 0x28, 0x28), QColor(0xff, 0xcd, 0xd2) };
    case Tone::Cancelled:
        return { QColor(0xb2, 0x6a, 0x00), QColor(0xff, 0xe0, 0xb2) };
    case Tone::Skipped:
        return { QColor(0x9e, 0x9e, 0x9e), QColor(0xd6, 0xd6, 0xd6) };
    case Tone::Interrupted:
        return { QColor(0x8e, 0x5a, 0xc8), QColor(0xe1, 0xbe, 0xe7) };
    }
    return { QColor(0x9e, 0x9e, 0x9e), QColor(0xf5, 0xf5, 0xf5) };
}
} // namespace

Tone tone(ExecutionStatus status)
{
    switch (status) {
    case ExecutionStatus::Queued:
        return Tone::Waiting;
    case ExecutionStatus::Running:
        return Tone::Running;
    case ExecutionStatus::Completed:
        return Tone::Succeeded;
    case ExecutionStatus::Failed:
        return Tone::Failed;
    case ExecutionStatus::Cancelled:
        return Tone::Cancelled;
    case ExecutionStatus::Interrupted:
        return Tone::Interrupted;
    }
    return Tone::Idle;
}

Tone tone(StepStatus status)
{
    switch (status) {
    case StepStatus::Running:
        return Tone::Running;
    case StepStatus::Completed:
        return Tone::Succeeded;
    case StepStatus::Failed:
        return Tone::Failed;
    case StepStatus::Cancelled:
        return Tone::Cancelled;
    case StepStatus::Skipped:
        return Tone::Skipped;
    case StepStatus::Interrupted:
        return Tone::Interrupted;
    }
    return Tone::Idle;
}

Tone toneOf(QStringView status)
{
    if (const std::optional<ExecutionStatus> s = fromWire<ExecutionStatus>(status))
        return tone(*s);
    if (const std::optional<StepStatus> s = fromWire<StepStatus>(status))
        return tone(*s);
    // The test panel's own states before the engine's first event and after it let go.
    if (status == u"starting")
        return Tone::Waiting;
    if (status == u"detached")
        return Tone::Skipped;
    return Tone::Idle;
}

QColor color(Tone tone)
{
    return colours(tone).strong;
}

QColor fill(Tone tone)
{
    return colours(tone).light;
}

QIcon icon(Tone tone)
{
    static QHash<int, QIcon> cache;
    const auto it = cache.constFind(int(tone));
    if (it != cache.constEnd())
        return *it;
    QPixmap pm(12, 12);
    pm.fill(Qt::transparent);
    {
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(color(tone));
        p.drawEllipse(QRectF(1.5, 1.5, 9, 9));
    }
    const QIcon dot(pm);
    cache.insert(int(tone), dot);
    return dot;
}

} // namespace statuspalette
