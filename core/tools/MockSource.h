#pragma once

#include "core/tools/SingleToolSource.h"

#include <QHash>

class QTimer;

// A `mock` source (docs/tools.md): no process. Its `responses` are tried in order; the first
// whose `when` is a deep subset of the arguments (or that has no `when`) gives its `result` or
// its `error`, after `latency_ms`. Arguments no response matches get an error result that says
// so. The latency is a timer, so cancel() ends a waiting call at once.
//
// Threading: one thread (the engine's or the runner's); answers come from its event loop.
class MockSource final : public SingleToolSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MockSource)
public:
    explicit MockSource(const ToolSourceSpec &spec, QObject *parent = nullptr);
    ~MockSource() override;

    QString kind() const override { return QStringLiteral("mock"); }

    // The answer `responses` give `arguments` (pure; `sourceId` names the source in the
    // no-match error).
    static ToolResult respond(
        const QJsonArray &responses, const QJsonObject &arguments, const QString &sourceId);
    // True when every member of `when` is in `value` with a value `when` is in turn a subset of
    // (objects recursively; lists element by element, same length; numbers by value).
    static bool isSubset(const QJsonValue &when, const QJsonValue &value);

protected:
    void start(quint64 handle, const QJsonObject &arguments) override;
    void abort(quint64 handle) override;
    QString target() const override;

private:
    QHash<quint64, QTimer *> m_waiting; // Owned (children): the latency timers of running calls.
};
