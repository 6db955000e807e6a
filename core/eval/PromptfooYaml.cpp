#include "core/eval/PromptfooImport.h"
#include "core/model/PromptTemplate.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>

// YAML -> JSON once (yaml-cpp), keeping where each node was, and the file access of the
// importer: every file:// reference is relative to the config's folder, as promptfoo reads it.
namespace promptfoo::detail {

namespace {

// A plain (unquoted) scalar resolved by the YAML 1.2 core schema, as promptfoo's js-yaml does:
// null, booleans, integers (decimal, 0x, 0o), floats (.inf, .nan), else a string.
QJsonValue plainScalar(const QString &s)
{
    static const QRegularExpression integer(QStringLiteral("^[-+]?[0-9]+$"));
    static const QRegularExpression hexOrOctal(QStringLiteral("^0([xo])([0-9a-fA-F]+)$"));
    static const QRegularExpression real(
        QStringLiteral("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"));
    if (s.isEmpty() || s == u"~" || s == u"null" || s == u"Null" || s == u"NULL")
        return QJsonValue::Null;
    if (s == u"true" || s == u"True" || s == u"TRUE")
        return true;
    if (s == u"false" || s == u"False" || s == u"FALSE")
        return false;
    if (integer.match(s).hasMatch() || real.match(s).hasMatch())
        return s.toDouble();
    if (const auto m = hexOrOctal.match(s); m.hasMatch()) {
        bool ok = false;
        const qlonglong n = m.captured(2).toLongLong(&ok, m.captured(1) == u"x" ? 16 : 8);
        if (ok)
            return double(n);
    }
    const QString lower = s.toLower();
    if (lower == u".inf" || lower == u"+.inf" || lower == u"-.inf")
        return QJsonValue(s.startsWith(u'-') ? -std::numeric_limits<double>::infinity()
                                             : std::numeric_limits<double>::infinity());
    return s;
}

QString text(const std::string &s)
{
    return QString::fromStdString(s);
}

class Converter
{
public:
    explicit Converter(Source *out)
        : m_out(out)
    {
    }

    QJsonValue convert(const YAML::Node &n, const QString &path)
    {
        const YAML::Mark mark = n.Mark();
        if (mark.line >= 0)
            m_out->marks.insert(path, { mark.line + 1, mark.column + 1 });
        switch (n.Type()) {
        case YAML::NodeType::Sequence: {
            QJsonArray a;
            for (std::size_t i = 0; i < n.size(); ++i)
                a.append(convert(n[i], indexed(path, qsizetype(i))));
            return a;
        }
        case YAML::NodeType::Map: {
            QJsonObject o;
            for (auto it = n.begin(); it != n.end(); ++it) {
                const QString key = it->first.IsScalar() ? text(it->first.Scalar()) : QStringLiteral("?");
                o.insert(key, convert(it->second, join(path, key)));
            }
            return o;
        }
        case YAML::NodeType::Scalar: {
            const QString s = text(n.Scalar());
            // "!" is a quoted or block scalar: always a string; "?" a plain one.
            if (n.Tag() == "?")
                return plainScalar(s);
            return s;
        }
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return QJsonValue::Null;
        }
        return QJsonValue::Null;
    }

private:
    Source *m_out;
};

bool isTextFile(const QString &suffix)
{
    static const QStringList text
        = { QStringLiteral("txt"), QStringLiteral("md"), QStringLiteral("markdown"), QStringLiteral("html"),
              QStringLiteral("htm"), QStringLiteral("xml"), QStringLiteral("csv"), QStringLiteral("log"),
              QStringLiteral("text"), QStringLiteral("j2"), QStringLiteral("njk"), QStringLiteral("") };
    return text.contains(suffix);
}

} // namespace

QString join(const QString &path, const QString &key)
{
    return path.isEmpty() ? key : path + QLatin1Char('.') + key;
}

QString indexed(const QString &path, qsizetype i)
{
    return path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
}

Result<Source> readYaml(const QByteArray &bytes, const QString &name, const QString &root)
{
    Source s;
    s.name = name;
    try {
        const YAML::Node doc = YAML::Load(bytes.toStdString());
        s.value = Converter(&s).convert(doc, root);
    } catch (const YAML::Exception &e) {
        const QString where = (name.isEmpty() ? QString() : name + QLatin1Char(':'))
            + QStringLiteral("line %1, column %2").arg(e.mark.line + 1).arg(e.mark.column + 1);
        return Failure { QStringLiteral("%1: invalid YAML: %2").arg(where, text(e.msg)) };
    }
    return s;
}

ImportContext::ImportContext(const QString &configPath, QList<DatasetProblem> *problems)
    : dir(QFileInfo(configPath).absoluteDir())
    , m_problems(problems)
    , m_firstProblem(problems->size())
{
}

void ImportContext::report(const Source &source, const QString &path, const QString &why)
{
    QString message = why;
    if (const auto it = source.marks.constFind(path); it != source.marks.cend())
        message += QStringLiteral(" (line %1, column %2)").arg(it->first).arg(it->second);
    // A problem inside a loaded file names it: "cases.yaml:[2].assert[0].type".
    const QString where = source.name.isEmpty() ? path : source.name + QLatin1Char(':') + path;
    m_problems->append(DatasetProblem { where, message });
}

std::optional<QByteArray> ImportContext::readFile(
    const Source &source, const QString &path, const QString &ref, QString *displayName)
{
    const QString relative = ref.startsWith(QLatin1String("file://")) ? ref.mid(7) : ref;
    if (relative.contains(QLatin1Char('*')) || relative.contains(QLatin1Char('?'))) {
        report(source, path, QStringLiteral("'%1': file globs are not supported").arg(ref));
        return std::nullopt;
    }
    const QString absolute = QDir::cleanPath(dir.absoluteFilePath(relative));
    QFile f(absolute);
    if (!f.open(QIODevice::ReadOnly)) {
        report(source, path, QStringLiteral("cannot read '%1': %2").arg(relative, f.errorString()));
        return std::nullopt;
    }
    const QByteArray bytes = f.readAll();
    hashBytes(bytes);
    if (displayName)
        *displayName = dir.relativeFilePath(absolute);
    return bytes;
}

std::optional<Source> ImportContext::readDocument(
    const Source &source, const QString &path, const QString &ref)
{
    QString name;
    const std::optional<QByteArray> bytes = readFile(source, path, ref, &name);
    if (!bytes)
        return std::nullopt;
    Result<Source> doc = readYaml(*bytes, name);
    if (!doc) {
        m_problems->append(DatasetProblem {
            source.name.isEmpty() ? path : source.name + QLatin1Char(':') + path, doc.error() });
        return std::nullopt;
    }
    return doc.take();
}

std::optional<QJsonValue> ImportContext::loadValue(
    const Source &source, const QString &path, const QString &ref)
{
    const QString suffix = QFileInfo(ref.mid(7)).suffix().toLower();
    if (suffix == u"json" || suffix == u"yaml" || suffix == u"yml") {
        const std::optional<Source> doc = readDocument(source, path, ref);
        return doc ? std::optional<QJsonValue>(doc->value) : std::nullopt;
    }
    if (!isTextFile(suffix)) {
        report(source, path,
            QStringLiteral("'%1': only text, .json and .yaml files can be loaded (not .%2)")
                .arg(ref, suffix));
        return std::nullopt;
    }
    const std::optional<QByteArray> bytes = readFile(source, path, ref);
    if (!bytes)
        return std::nullopt;
    return QJsonValue(QString::fromUtf8(*bytes));
}

const Source *ImportContext::keep(Source s)
{
    m_documents.push_back(std::move(s));
    return &m_documents.back();
}

bool ImportContext::checkTemplate(const Source &source, const QString &path, const QString &text)
{
    QString error;
    prompttemplate::placeholders(text, &error);
    if (error.isEmpty())
        return true;
    report(source, path, error);
    return false;
}

} // namespace promptfoo::detail
