#pragma once

#include "core/common/Result.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

// Options of one runner subcommand: `--name VALUE`, `--name=VALUE` or a `--flag`.
struct CliOption
{
    QString name; // without the dashes
    bool takesValue = true;
    bool repeatable = false;
};

// The parsed arguments of one subcommand. Unknown options, missing values, repeated
// non-repeatable options and surplus positionals are errors that name the argument.
class CliArguments
{
public:
    static Result<CliArguments> parse(
        const QString &command, const QStringList &args, const QList<CliOption> &options, int maxPositionals);

    bool has(const QString &name) const { return m_values.contains(name); }
    QString value(const QString &name) const { return m_values.value(name).value(0); }
    QStringList values(const QString &name) const { return m_values.value(name); }
    const QStringList &positionals() const { return m_positionals; }

private:
    QHash<QString, QStringList> m_values;
    QStringList m_positionals;
};
