#include "core/eval/PromptfooImport.h"

#include <QStringList>

// promptfoo provider ids onto workspace providers (docs/promptfoo.md, "Providers"). Each distinct
// endpoint becomes one provider entry of the dataset's target ("pf-openai", "pf-openai-2", …),
// in the workspace's provider format; keys stay in the environment under the variable names
// promptfoo uses.
namespace promptfoo::detail {

namespace {

struct Endpoint
{
    QString kind; // openai | anthropic | ollama | scripted
    QString model;
    QString baseUrl;
    QString apiKeyEnv;
};

const QString kSupportedIds = QStringLiteral(
    "supported: openai:MODEL, openai:chat:MODEL, anthropic:messages:MODEL, ollama:chat:MODEL, echo");

// "openai:chat:gpt-4o-mini" -> openai, gpt-4o-mini. nullopt for any other shape.
std::optional<Endpoint> parseId(const QString &id)
{
    if (id == u"echo")
        return Endpoint { QStringLiteral("scripted"), QStringLiteral("echo"), {}, {} };
    const QStringList parts = id.split(QLatin1Char(':'));
    auto rest = [&parts](qsizetype from) { return parts.mid(from).join(QLatin1Char(':')); };
    static const QStringList openAiModes = { QStringLiteral("chat"), QStringLiteral("completion"),
        QStringLiteral("embedding"), QStringLiteral("embeddings"), QStringLiteral("responses"),
        QStringLiteral("assistant"), QStringLiteral("image"), QStringLiteral("realtime") };
    if (parts.size() >= 2 && parts.at(0) == u"openai") {
        if (parts.size() == 2 && !openAiModes.contains(parts.at(1)) && !parts.at(1).isEmpty())
            return Endpoint { QStringLiteral("openai"), parts.at(1),
                QStringLiteral("https://api.openai.com/v1"), QStringLiteral("OPENAI_API_KEY") };
        if (parts.size() >= 3 && parts.at(1) == u"chat" && !rest(2).isEmpty())
            return Endpoint { QStringLiteral("openai"), rest(2), QStringLiteral("https://api.openai.com/v1"),
                QStringLiteral("OPENAI_API_KEY") };
        return std::nullopt;
    }
    if (parts.size() >= 3 && parts.at(0) == u"anthropic" && parts.at(1) == u"messages" && !rest(2).isEmpty())
        return Endpoint { QStringLiteral("anthropic"), rest(2), QStringLiteral("https://api.anthropic.com"),
            QStringLiteral("ANTHROPIC_API_KEY") };
    if (parts.size() >= 3 && parts.at(0) == u"ollama" && parts.at(1) == u"chat" && !rest(2).isEmpty())
        return Endpoint { QStringLiteral("ollama"), rest(2), QStringLiteral("http://localhost:11434"), {} };
    return std::nullopt;
}

QJsonObject entryFor(const Endpoint &e)
{
    QJsonObject o { { QStringLiteral("kind"), e.kind } };
    if (e.kind == u"scripted") {
        // promptfoo's echo: the reply is the prompt, at once.
        o.insert(QStringLiteral("echo"), true);
        o.insert(QStringLiteral("ttft_ms"), 0);
        o.insert(QStringLiteral("tokens_per_second"), 0);
        return o;
    }
    o.insert(QStringLiteral("base_url"), e.baseUrl);
    if (!e.apiKeyEnv.isEmpty())
        o.insert(QStringLiteral("api_key_env"), e.apiKeyEnv);
    return o;
}

} // namespace

std::optional<QJsonObject> ImportContext::mapProvider(
    const Source &source, const QString &path, const QJsonValue &v, QString *label)
{
    QJsonObject object;
    if (v.isString()) {
        object.insert(QStringLiteral("id"), v);
    } else if (v.isObject()) {
        object = v.toObject();
    } else {
        report(source, path, QStringLiteral("expected a provider id or {id, label, config}"));
        return std::nullopt;
    }
    bool ok = true;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (it.key() != u"id" && it.key() != u"label" && it.key() != u"config") {
            report(source, join(path, it.key()), QStringLiteral("not supported"));
            ok = false;
        }
    const QString id = object.value(u"id").toString();
    if (id.isEmpty()) {
        report(source, v.isString() ? path : join(path, QStringLiteral("id")),
            QStringLiteral("missing provider id (%1)").arg(kSupportedIds));
        return std::nullopt;
    }
    std::optional<Endpoint> endpoint = parseId(id);
    if (!endpoint) {
        report(source, path, QStringLiteral("unknown provider id '%1' (%2)").arg(id, kSupportedIds));
        return std::nullopt;
    }

    QJsonObject model { { QStringLiteral("name"), endpoint->model } };
    const QString cp = join(path, QStringLiteral("config"));
    const QJsonValue configValue = object.value(u"config");
    if (!configValue.isUndefined() && !configValue.isObject()) {
        report(source, cp, QStringLiteral("expected an object"));
        ok = false;
    }
    const QJsonObject config = configValue.toObject();
    for (auto it = config.begin(); it != config.end(); ++it) {
        const QString kp = join(cp, it.key());
        const bool echo = endpoint->kind == u"scripted";
        if (!echo && it.key() == u"temperature" && it.value().isDouble()) {
            model.insert(QStringLiteral("temperature"), it.value());
        } else if (!echo && it.key() == u"max_tokens" && it.value().isDouble()) {
            model.insert(QStringLiteral("max_tokens"), it.value());
        } else if (!echo && it.key() == u"apiBaseUrl" && it.value().isString()) {
            endpoint->baseUrl = it.value().toString();
        } else if (!echo && it.key() == u"apiKeyEnvar" && it.value().isString()) {
            endpoint->apiKeyEnv = it.value().toString();
        } else if (!echo
            && (it.key() == u"temperature" || it.key() == u"max_tokens" || it.key() == u"apiBaseUrl"
                || it.key() == u"apiKeyEnvar")) {
            report(source, kp,
                it.key() == u"temperature" || it.key() == u"max_tokens"
                    ? QStringLiteral("expected a number")
                    : QStringLiteral("expected a string"));
            ok = false;
        } else {
            report(source, kp, QStringLiteral("not supported"));
            ok = false;
        }
    }
    if (!ok)
        return std::nullopt;

    // One entry per distinct endpoint, named after its kind.
    const QJsonObject entry = entryFor(*endpoint);
    QString entryId;
    int sameKind = 0;
    for (const QJsonValue &e : std::as_const(m_providerEntries)) {
        QJsonObject known = e.toObject();
        const QString knownId = known.take(QStringLiteral("id")).toString();
        if (known == entry)
            entryId = knownId;
        if (known.value(u"kind") == entry.value(u"kind"))
            ++sameKind;
    }
    if (entryId.isEmpty()) {
        const QString base = QStringLiteral("pf-")
            + (endpoint->kind == u"scripted" ? QStringLiteral("echo") : endpoint->kind);
        entryId = sameKind == 0 ? base : base + QLatin1Char('-') + QString::number(sameKind + 1);
        QJsonObject withId = entry;
        withId.insert(QStringLiteral("id"), entryId);
        m_providerEntries.append(withId);
    }
    model.insert(QStringLiteral("provider"), entryId);
    if (label)
        *label = object.value(u"label").isString() ? object.value(u"label").toString() : id;
    return model;
}

} // namespace promptfoo::detail
