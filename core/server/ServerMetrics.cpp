#include "core/server/ServerMetrics.h"

#include <cmath>
#include <limits>

void ServerMetrics::declare(const QString &name, Type type, const QString &help, QList<double> buckets)
{
    if (!m_families.contains(name))
        m_order.append(name);
    Family &f = m_families[name];
    f.type = type;
    f.help = help;
    if (type == Type::Histogram && buckets.isEmpty())
        buckets = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
    f.buckets = std::move(buckets);
}

QString ServerMetrics::escapeLabelValue(const QString &value)
{
    QString out;
    out.reserve(value.size());
    for (const QChar c : value) {
        if (c == QLatin1Char('\\'))
            out += QLatin1String("\\\\");
        else if (c == QLatin1Char('"'))
            out += QLatin1String("\\\"");
        else if (c == QLatin1Char('\n'))
            out += QLatin1String("\\n");
        else
            out += c;
    }
    return out;
}

QString ServerMetrics::formatValue(double value)
{
    if (std::isnan(value))
        return QStringLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("+Inf") : QStringLiteral("-Inf");
    return QString::number(value, 'g', std::numeric_limits<double>::max_digits10);
}

QString ServerMetrics::labelText(const Labels &labels)
{
    if (labels.isEmpty())
        return {};
    QStringList parts;
    for (const auto &[k, v] : labels)
        parts.append(QStringLiteral("%1=\"%2\"").arg(k, escapeLabelValue(v)));
    return parts.join(QLatin1Char(','));
}

ServerMetrics::Series &ServerMetrics::seriesOf(Family &family, const Labels &labels)
{
    auto it = family.series.find(labelText(labels));
    if (it == family.series.end()) {
        Series s;
        s.labels = labels;
        if (family.type == Type::Histogram)
            s.bucketCounts = QList<quint64>(family.buckets.size(), 0);
        it = family.series.emplace(labelText(labels), std::move(s)).first;
    }
    return it->second;
}

void ServerMetrics::increment(const QString &name, const Labels &labels, double by)
{
    auto it = m_families.find(name);
    if (it == m_families.end())
        return;
    seriesOf(*it, labels).value += by;
}

void ServerMetrics::set(const QString &name, const Labels &labels, double value)
{
    auto it = m_families.find(name);
    if (it == m_families.end())
        return;
    seriesOf(*it, labels).value = value;
}

void ServerMetrics::observe(const QString &name, const Labels &labels, double value)
{
    auto it = m_families.find(name);
    if (it == m_families.end() || it->type != Type::Histogram)
        return;
    Series &s = seriesOf(*it, labels);
    s.value += value;
    ++s.count;
    for (qsizetype i = 0; i < it->buckets.size(); ++i) {
        if (value <= it->buckets[i]) {
            ++s.bucketCounts[i];
            break;
        }
    }
}

void ServerMetrics::setGaugeCallback(
    const QString &name, std::function<QList<std::pair<Labels, double>>()> read)
{
    auto it = m_families.find(name);
    if (it != m_families.end())
        it->callback = std::move(read);
}

double ServerMetrics::value(const QString &name, const Labels &labels) const
{
    auto it = m_families.constFind(name);
    if (it == m_families.cend())
        return 0;
    if (it->callback)
        for (const auto &[l, v] : it->callback())
            if (labelText(l) == labelText(labels))
                return v;
    auto s = it->series.find(labelText(labels));
    if (s == it->series.end())
        return 0;
    return it->type == Type::Histogram ? double(s->second.count) : s->second.value;
}

QByteArray ServerMetrics::render() const
{
    QString out;
    for (const QString &name : m_order) {
        const Family &f = m_families[name];
        const char *type = f.type == Type::Counter ? "counter"
            : f.type == Type::Gauge                ? "gauge"
                                                   : "histogram";
        out += QStringLiteral("# HELP %1 %2\n# TYPE %1 %3\n")
                   .arg(name,
                       QString(f.help)
                           .replace(QLatin1Char('\\'), QLatin1String("\\\\"))
                           .replace(QLatin1Char('\n'), QLatin1String("\\n")),
                       QLatin1String(type));
        auto line = [&out](const QString &series, const QString &labels, double v) {
            out += series;
            if (!labels.isEmpty())
                out += QLatin1Char('{') + labels + QLatin1Char('}');
            out += QLatin1Char(' ') + formatValue(v) + QLatin1Char('\n');
        };
        if (f.callback) {
            for (const auto &[l, v] : f.callback())
                line(name, labelText(l), v);
            continue;
        }
        for (const auto &[key, s] : f.series) {
            if (f.type != Type::Histogram) {
                line(name, key, s.value);
                continue;
            }
            quint64 cumulative = 0;
            for (qsizetype i = 0; i < f.buckets.size(); ++i) {
                cumulative += s.bucketCounts[i];
                Labels l = s.labels;
                l.append({ QStringLiteral("le"), formatValue(f.buckets[i]) });
                line(name + QStringLiteral("_bucket"), labelText(l), double(cumulative));
            }
            Labels inf = s.labels;
            inf.append({ QStringLiteral("le"), QStringLiteral("+Inf") });
            line(name + QStringLiteral("_bucket"), labelText(inf), double(s.count));
            line(name + QStringLiteral("_sum"), key, s.value);
            line(name + QStringLiteral("_count"), key, double(s.count));
        }
    }
    return out.toUtf8();
}
