#include "app/run/CliArguments.h"

#include <utility>

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

int CliArguments::countGiven(const QStringList &names) const
{
    int n = 0;
    for (const QString &name : names)
        n += m_values.contains(name) ? 1 : 0;
    return n;
}

Result<QStringList> CliArguments::splitCommand(const QString &text)
{
    QStringList words;
    QString word;
    bool inWord = false;
    QChar quote; // '\'' or '"' while inside quotes
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quote == u'\'') {
            if (c == u'\'')
                quote = QChar();
            else
                word += c;
        } else if (quote == u'"') {
            if (c == u'"')
                quote = QChar();
            else if (c == u'\\' && i + 1 < text.size() && (text.at(i + 1) == u'"' || text.at(i + 1) == u'\\'))
                word += text.at(++i);
            else
                word += c;
        } else if (c.isSpace()) {
            if (inWord)
                words.append(std::exchange(word, QString()));
            inWord = false;
        } else {
            inWord = true;
            if (c == u'\'' || c == u'"')
                quote = c;
            else if (c == u'\\' && i + 1 < text.size())
                word += text.at(++i);
            else
                word += c;
        }
    }
    if (!quote.isNull())
        return Failure { QStringLiteral("unclosed %1 quote in '%2'").arg(quote, text) };
    if (inWord)
        words.append(word);
    if (words.isEmpty())
        return Failure { QStringLiteral("no command given") };
    return words;
}
