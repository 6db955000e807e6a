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
    // How many of `names` were given (options that exclude each other: at most one).
    int countGiven(const QStringList &names) const;

    // Splits a command line given as one argument (`--mcp-command "npx -y server docs"`) into
    // the program and its arguments: blanks separate words; '…' is literal; "…" keeps blanks
    // and takes \" and \\; a backslash outside quotes escapes the next character. An unclosed
    // quote or nothing at all is an error (the message says which).
    static Result<QStringList> splitCommand(const QString &text);

private:
    QHash<QString, QStringList> m_values;
    QStringList m_positionals;
};
