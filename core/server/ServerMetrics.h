#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <map>
#include <utility>

// The metrics of agentstudio-server in the Prometheus text exposition format 0.0.4
// (docs/operations.md, "Metrics"): counters, gauges and histograms with labels. Families are
// declared once (name, type, help, histogram buckets); samples are updated as things happen;
// gauges can also be read at render time through a callback.
//
// Names: agentstudio_<what>_<unit>, counters end in _total, durations in _seconds.
// Label values are escaped (\\, \", \n) on output.
//
// Threading: the server's thread only (other threads send their figures there first).
class ServerMetrics
{
public:
    using Labels = QList<std::pair<QString, QString>>; // in the order given

    enum class Type { Counter, Gauge, Histogram };

    void declare(const QString &name, Type type, const QString &help, QList<double> buckets = {});
    void increment(const QString &name, const Labels &labels = {}, double by = 1.0);
    void set(const QString &name, const Labels &labels, double value);
    void observe(const QString &name, const Labels &labels, double value);
    // A gauge whose value is read when /metrics is rendered.
    void setGaugeCallback(const QString &name, std::function<QList<std::pair<Labels, double>>()> read);

    double value(const QString &name, const Labels &labels = {}) const; // counter or gauge (tests)
    QByteArray render() const;

    static QString escapeLabelValue(const QString &value);
    static QString formatValue(double value); // "+Inf", "NaN", shortest round-trip otherwise

private:
    struct Series
    {
        Labels labels;
        double value = 0; // counter, gauge; histogram: sum
        quint64 count = 0; // histogram
        QList<quint64> bucketCounts; // histogram: per bucket (not cumulative)
    };
    struct Family
    {
        Type type = Type::Counter;
        QString help;
        QList<double> buckets;
        std::map<QString, Series> series; // keyed by the rendered label set (sorted output)
        std::function<QList<std::pair<Labels, double>>()> callback;
    };
    Series &seriesOf(Family &family, const Labels &labels);
    static QString labelText(const Labels &labels);

    QList<QString> m_order; // declaration order
    QHash<QString, Family> m_families;
};
