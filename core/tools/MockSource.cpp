#include "core/tools/MockSource.h"

#include "core/common/Util.h"

#include <QTimer>

MockSource::MockSource(const ToolSourceSpec &spec, QObject *parent)
    : SingleToolSource(spec, parent)
{
}

MockSource::~MockSource() = default;

bool MockSource::isSubset(const QJsonValue &when, const QJsonValue &value)
{
    if (when.isObject()) {
        if (!value.isObject())
            return false;
        const QJsonObject w = when.toObject(), v = value.toObject();
        for (auto it = w.begin(); it != w.end(); ++it)
            if (!v.contains(it.key()) || !isSubset(it.value(), v.value(it.key())))
                return false;
        return true;
    }
    if (when.isArray()) {
        if (!value.isArray() || when.toArray().size() != value.toArray().size())
            return false;
        const QJsonArray w = when.toArray(), v = value.toArray();
        for (qsizetype i = 0; i < w.size(); ++i)
            if (!isSubset(w.at(i), v.at(i)))
                return false;
        return true;
    }
    if (when.isDouble() && value.isDouble())
        return when.toDouble() == value.toDouble();
    return when == value;
}

ToolResult MockSource::respond(
    const QJsonArray &responses, const QJsonObject &arguments, const QString &sourceId)
{
    for (const QJsonValue &v : responses) {
        const QJsonObject r = v.toObject();
        if (r.contains(u"when") && !isSubset(r.value(u"when"), arguments))
            continue;
        if (r.contains(u"error"))
            return ToolResult::fromError(r.value(u"error").toString());
        return ToolResult::fromValue(r.value(u"result"));
    }
    return ToolResult::fromError(QStringLiteral("mock '%1': no response matches the arguments %2")
                                     .arg(sourceId, as::compactJson(arguments)));
}

void MockSource::start(quint64 handle, const QJsonObject &arguments)
{
    const ToolResult result = respond(spec().responses, arguments, id());
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer); // never early: the latency is at least latency_ms
    m_waiting.insert(handle, timer);
    connect(timer, &QTimer::timeout, this, [this, handle, result] {
        m_waiting.take(handle)->deleteLater(); // not deleted inside its own signal
        finish(handle, result);
    });
    timer->start(spec().latencyMs); // 0: at the next turn of the event loop
}

void MockSource::abort(quint64 handle)
{
    delete m_waiting.take(handle);
}

QString MockSource::target() const
{
    const qsizetype n = spec().responses.size();
    return QStringLiteral("mock (%1 response%2)").arg(n).arg(n == 1 ? QString() : QStringLiteral("s"));
}
