#include "app/run/CliArguments.h"

Result<CliArguments> CliArguments::parse(
    const QString &command, const QStringList &args, const QList<CliOption> &options, int maxPositionals)
{
    CliArguments parsed;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        if (!arg.startsWith(QLatin1String("--")) || arg == QLatin1String("--")) {
            if (arg.startsWith(QLatin1Char('-')) && arg.size() > 1 && arg != QLatin1String("--"))
                return Failure { QStringLiteral("%1: unknown option '%2'").arg(command, arg) };
            if (parsed.m_positionals.size() >= maxPositionals)
                return Failure { QStringLiteral("%1: unexpected argument '%2'").arg(command, arg) };
            parsed.m_positionals.append(arg);
            continue;
        }
        QString name = arg.mid(2);
        QString value;
        bool inlineValue = false;
        if (const qsizetype eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
            value = name.mid(eq + 1);
            name = name.left(eq);
            inlineValue = true;
        }
        const CliOption *spec = nullptr;
        for (const CliOption &o : options)
            if (o.name == name)
                spec = &o;
        if (!spec)
            return Failure { QStringLiteral("%1: unknown option '--%2'").arg(command, name) };
        if (spec->takesValue && !inlineValue) {
            if (i + 1 >= args.size())
                return Failure { QStringLiteral("%1: option '--%2' needs a value").arg(command, name) };
            value = args.at(++i);
        } else if (!spec->takesValue && inlineValue) {
            return Failure { QStringLiteral("%1: option '--%2' takes no value").arg(command, name) };
        }
        if (parsed.m_values.contains(name) && !spec->repeatable)
            return Failure { QStringLiteral("%1: option '--%2' given twice").arg(command, name) };
        parsed.m_values[name].append(value);
    }
    return parsed;
}
