#include "ui/trace/TraceFormat.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QRegularExpression>

namespace traceformat {

QString latency(qint64 ms)
{
    if (ms < 0)
        return {};
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60'000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', ms < 10'000 ? 2 : 1);
    const qint64 s = ms / 1000;
    return QStringLiteral("%1 m %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

static QString dollars(double usd)
{
    const double a = qAbs(usd);
    if (a == 0)
        return QStringLiteral("$0");
    if (a >= 1)
        return QStringLiteral("$%1").arg(a, 0, 'f', 2);
    if (a >= 0.01)
        return QStringLiteral("$%1").arg(a, 0, 'f', 4);
    // Small amounts: 3 significant digits, no exponent ("$0.000186").
    QString text = QString::number(a, 'f', 10);
    int firstDigit = int(text.indexOf(QRegularExpression(QStringLiteral("[1-9]"))));
    if (firstDigit < 0)
        return QStringLiteral("$0");
    text = text.left(qMin<qsizetype>(text.size(), firstDigit + 3));
    while (text.endsWith(u'0'))
        text.chop(1);
    return u'$' + text;
}

QString cost(const std::optional<double> &usd)
{
    if (!usd)
        return QCoreApplication::translate("traceformat", "price unknown");
    return dollars(*usd);
}

QString costDelta(const std::optional<double> &usd)
{
    if (!usd)
        return {};
    if (*usd == 0)
        return QStringLiteral("±$0");
    return (*usd > 0 ? QStringLiteral("+") : QStringLiteral("−")) + dollars(*usd);
}

QString signedNumber(qint64 value)
{
    if (value > 0)
        return u'+' + QString::number(value);
    if (value < 0)
        return QStringLiteral("−") + QString::number(-value);
    return QStringLiteral("0");
}

QString tokens(qint64 in, qint64 out, bool estimated)
{
    const QString mark = estimated ? QStringLiteral("~") : QString();
    return mark + QString::number(in) + QStringLiteral(" → ") + mark + QString::number(out);
}

QString time(const QDateTime &t)
{
    if (!t.isValid())
        return {};
    return t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString modeLabel(TestMode testMode, ExecutionType executionType)
{
    switch (testMode) {
    case TestMode::SingleAgent:
        return QCoreApplication::translate("traceformat", "Single agent");
    case TestMode::NodeInContext:
        return QCoreApplication::translate("traceformat", "Node in context");
    case TestMode::FullWorkflow:
        return QCoreApplication::translate("traceformat", "Full workflow");
    case TestMode::Unset:
        break;
    }
    return toWire(executionType);
}

QColor kindColor(std::optional<StepKind> kind)
{
    if (!kind)
        return QColor(0x5d, 0x6b, 0x7e); // the execution
    switch (*kind) {
    case StepKind::Node:
        return QColor(0x4a, 0x86, 0xd6);
    case StepKind::Llm:
        return QColor(0x8b, 0x5c, 0xd6);
    case StepKind::Parse:
        return QColor(0x2a, 0xa1, 0x98);
    case StepKind::Tool:
        return QColor(0xe0, 0x8a, 0x2e);
    }
    return QColor(0x5d, 0x6b, 0x7e);
}

} // namespace traceformat
