#include "core/metering/Pricing.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

#include <cmath>

namespace {

// Which vendor tables a provider kind searches, in order. The openai kind is also what
// OpenAI-compatible servers (OpenRouter, Gemini's and Mistral's compatible endpoints,
// DeepSeek, vLLM…) use, so it falls through to the other hosted vendors.
QStringList vendorsForKind(const QString &kind)
{
    if (kind == u"openai")
        return { QStringLiteral("openai"), QStringLiteral("google"), QStringLiteral("mistral"),
            QStringLiteral("deepseek"), QStringLiteral("anthropic") };
    return { kind };
}

// OpenRouter-style and LiteLLM-style vendor prefixes ("mistralai/mistral-large").
QString vendorForPrefix(const QString &prefix)
{
    static const QHash<QString, QString> map = {
        { QStringLiteral("openai"), QStringLiteral("openai") },
        { QStringLiteral("anthropic"), QStringLiteral("anthropic") },
        { QStringLiteral("google"), QStringLiteral("google") },
        { QStringLiteral("gemini"), QStringLiteral("google") },
        { QStringLiteral("mistral"), QStringLiteral("mistral") },
        { QStringLiteral("mistralai"), QStringLiteral("mistral") },
        { QStringLiteral("deepseek"), QStringLiteral("deepseek") },
        { QStringLiteral("ollama"), QStringLiteral("ollama") },
    };
    return map.value(prefix);
}

// "gpt-4o-2024-08-06" -> "gpt-4o", "claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5",
// "mistral-large-latest" -> "mistral-large". Returns empty when there is nothing to strip.
QString withoutSnapshotSuffix(const QString &model)
{
    thread_local const QRegularExpression suffix(QStringLiteral("-(\\d{4}-\\d{2}-\\d{2}|\\d{8}|latest)$"));
    const QRegularExpressionMatch m = suffix.match(model);
    if (!m.hasMatch())
        return {};
    return model.left(m.capturedStart());
}

std::optional<double> number(const QJsonValue &v)
{
    if (v.isDouble())
        return v.toDouble();
    if (v.isString()) { // LiteLLM's loader tolerates numeric strings
        bool ok = false;
        const double d = v.toString().toDouble(&ok);
        if (ok)
            return d;
    }
    return std::nullopt;
}

} // namespace

PricingTable PricingTable::builtIn()
{
    PricingTable table;
    const Result<void> r = table.loadFile(QStringLiteral(":/agentstudio/pricing.json"));
    if (!r)
        qWarning("built-in pricing table: %s", qPrintable(r.error()));
    return table;
}

Result<void> PricingTable::loadFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Failure { QStringLiteral("%1: %2").arg(path, file.errorString()) };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError)
        return Failure {
            QStringLiteral("%1: invalid JSON at offset %2: %3").arg(path).arg(pe.offset).arg(pe.errorString())
        };
    if (!doc.isObject())
        return Failure { QStringLiteral("%1: expected a JSON object").arg(path) };
    return loadJson(doc.object(), path);
}

void PricingTable::insert(const QString &key, const ModelPrice &price)
{
    m_prices.insert(key, price);
    // An explicit entry wins over an older alias of the same name.
    m_aliases.remove(key);
}

Result<void> PricingTable::loadJson(const QJsonObject &root, const QString &sourceName)
{
    const QJsonValue modelsValue = root.value(u"models");
    if (!modelsValue.isObject())
        return Failure { QStringLiteral("%1: models: expected an object").arg(sourceName) };
    const QJsonObject models = modelsValue.toObject();

    // Validate everything first so a bad file changes nothing.
    QHash<QString, ModelPrice> prices;
    QHash<QString, QString> aliases;
    for (auto it = models.begin(); it != models.end(); ++it) {
        const QString key = it.key().toLower();
        const QString path = QStringLiteral("%1: models.%2").arg(sourceName, it.key());
        const int slash = key.indexOf(u'/');
        if (slash <= 0 || slash == key.size() - 1)
            return Failure { path + QStringLiteral(": key must be 'vendor/model'") };
        if (!it.value().isObject())
            return Failure { path + QStringLiteral(": expected an object") };
        const QJsonObject o = it.value().toObject();
        const auto input = number(o.value(u"input"));
        const auto output = number(o.value(u"output"));
        if (!input || *input < 0)
            return Failure { path + QStringLiteral(".input: expected a number >= 0") };
        if (!output || *output < 0)
            return Failure { path + QStringLiteral(".output: expected a number >= 0") };
        ModelPrice price;
        price.input = *input;
        price.output = *output;
        if (o.contains(u"cached_input")) {
            const auto v = number(o.value(u"cached_input"));
            if (!v || *v < 0)
                return Failure { path + QStringLiteral(".cached_input: expected a number >= 0") };
            price.cachedInput = *v;
        }
        if (o.contains(u"cache_write")) {
            const auto v = number(o.value(u"cache_write"));
            if (!v || *v < 0)
                return Failure { path + QStringLiteral(".cache_write: expected a number >= 0") };
            price.cacheWrite = *v;
        }
        prices.insert(key, price);
        const QString vendor = key.left(slash);
        const QJsonArray list = o.value(u"aliases").toArray();
        for (const QJsonValue &a : list) {
            if (!a.isString() || a.toString().isEmpty())
                return Failure { path + QStringLiteral(".aliases: expected names") };
            aliases.insert(vendor + u'/' + a.toString().toLower(), key);
        }
    }
    const QJsonObject extra = root.value(u"aliases").toObject();
    for (auto it = extra.begin(); it != extra.end(); ++it)
        aliases.insert(it.key().toLower(), it.value().toString().toLower());

    for (auto it = prices.cbegin(); it != prices.cend(); ++it)
        insert(it.key(), it.value());
    for (auto it = aliases.cbegin(); it != aliases.cend(); ++it)
        if (!prices.contains(it.key()))
            m_aliases.insert(it.key(), it.value());
    return {};
}

Result<int> PricingTable::importLiteLlm(const QJsonObject &root)
{
    // litellm_provider -> our vendor. Others (bedrock, azure, vertex partner models…) are skipped.
    static const QHash<QString, QString> providers = {
        { QStringLiteral("openai"), QStringLiteral("openai") },
        { QStringLiteral("text-completion-openai"), QStringLiteral("openai") },
        { QStringLiteral("anthropic"), QStringLiteral("anthropic") },
        { QStringLiteral("gemini"), QStringLiteral("google") },
        { QStringLiteral("vertex_ai-language-models"), QStringLiteral("google") },
        { QStringLiteral("mistral"), QStringLiteral("mistral") },
        { QStringLiteral("codestral"), QStringLiteral("mistral") },
        { QStringLiteral("deepseek"), QStringLiteral("deepseek") },
        { QStringLiteral("ollama"), QStringLiteral("ollama") },
    };
    // Collected first: Google AI Studio ("gemini/…") rows win over Vertex rows of the same
    // model whatever their order in the file.
    QHash<QString, std::pair<ModelPrice, bool>> imported; // key -> (price, from AI Studio)
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (it.key() == u"sample_spec" || !it.value().isObject())
            continue;
        const QJsonObject spec = it.value().toObject();
        const QString provider = spec.value(u"litellm_provider").toString();
        const QString vendor = providers.value(provider);
        if (vendor.isEmpty())
            continue;
        const auto in = number(spec.value(u"input_cost_per_token"));
        const auto out = number(spec.value(u"output_cost_per_token"));
        if (!in || !out)
            continue;
        QString name = it.key().toLower();
        const int slash = name.indexOf(u'/');
        if (slash > 0 && !vendorForPrefix(name.left(slash)).isEmpty())
            name = name.mid(slash + 1);
        if (name.contains(u'/'))
            continue; // e.g. "ft:…/…" or nested hosts: not a model id we can look up
        const QString key = vendor + u'/' + name;
        const bool aiStudio = provider == u"gemini";
        const auto existing = imported.constFind(key);
        if (existing != imported.cend() && existing->second && !aiStudio)
            continue;

        ModelPrice price;
        price.input = *in * 1e6;
        price.output = *out * 1e6;
        if (const auto v = number(spec.value(u"cache_read_input_token_cost")))
            price.cachedInput = *v * 1e6;
        if (const auto v = number(spec.value(u"cache_creation_input_token_cost")))
            price.cacheWrite = *v * 1e6;
        imported.insert(key, { price, aiStudio });
    }
    for (auto it = imported.cbegin(); it != imported.cend(); ++it)
        insert(it.key(), it.value().first);
    const int count = int(imported.size());
    return count;
}

QString PricingTable::resolveInVendor(const QString &vendor, const QString &model) const
{
    const auto tryName = [&](const QString &name) -> QString {
        if (name.isEmpty())
            return {};
        const QString key = vendor + u'/' + name;
        if (m_prices.contains(key))
            return key;
        const auto alias = m_aliases.constFind(key);
        if (alias != m_aliases.cend() && m_prices.contains(*alias))
            return *alias;
        return {};
    };
    QString found = tryName(model);
    if (found.isEmpty())
        found = tryName(withoutSnapshotSuffix(model));
    if (found.isEmpty() && model.contains(u'.')) {
        // OpenRouter spells Claude versions with dots ("claude-sonnet-4.5").
        QString dashed = model;
        dashed.replace(u'.', u'-');
        found = tryName(dashed);
        if (found.isEmpty())
            found = tryName(withoutSnapshotSuffix(dashed));
    }
    return found;
}

QString PricingTable::resolvedKey(const QString &providerKind, const QString &modelName) const
{
    const QString kind = providerKind.toLower();
    QString model = modelName.trimmed().toLower();
    if (model.isEmpty())
        return {};

    QStringList vendors = vendorsForKind(kind);
    const int slash = model.indexOf(u'/');
    if (slash > 0) {
        const QString vendor = vendorForPrefix(model.left(slash));
        // "openai/gpt-4o" on an OpenAI-compatible server: the prefix names the vendor.
        if (!vendor.isEmpty() && (kind == u"openai" || vendor == kind)) {
            vendors = { vendor };
            model = model.mid(slash + 1);
        }
    }
    for (const QString &vendor : std::as_const(vendors)) {
        const QString key = resolveInVendor(vendor, model);
        if (!key.isEmpty())
            return key;
    }
    // Explicit catch-all rules ("ollama/*": local models cost 0), only for the kind itself.
    const QString wildcard = kind + QStringLiteral("/*");
    if (m_prices.contains(wildcard))
        return wildcard;
    return {};
}

std::optional<ModelPrice> PricingTable::find(const QString &providerKind, const QString &model) const
{
    const QString key = resolvedKey(providerKind, model);
    if (key.isEmpty())
        return std::nullopt;
    return m_prices.value(key);
}

std::optional<double> PricingTable::cost(
    const QString &providerKind, const QString &model, const TokenUsage &usage) const
{
    const auto price = find(providerKind, model);
    if (!price)
        return std::nullopt;
    return cost(*price, usage);
}

double PricingTable::cost(const ModelPrice &price, const TokenUsage &usage)
{
    // inputTokens holds every input token; cached reads and cache writes are parts of it, so
    // each token is billed exactly once. Reasoning tokens are inside outputTokens.
    const qint64 cached = qMax<qint64>(0, usage.cachedTokens);
    const qint64 written = qMax<qint64>(0, usage.cacheWriteTokens);
    const qint64 uncached = qMax<qint64>(0, usage.inputTokens - cached - written);
    const double perMillion = double(uncached) * price.input
        + double(cached) * price.cachedInput.value_or(price.input)
        + double(written) * price.cacheWrite.value_or(price.input)
        + double(qMax<qint64>(0, usage.outputTokens)) * price.output;
    return perMillion / 1e6;
}

// --- token estimate -------------------------------------------------------------------------

namespace {

// tiktoken's o200k_base pre-tokenizer (the regex of tiktoken's o200k_base encoding).
const QRegularExpression &pieceRegex()
{
    // QRegularExpression is reentrant, not thread-safe: one compiled copy per thread.
    thread_local const QRegularExpression re(
        QStringLiteral("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{"
                       "M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                       "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}"
                       "\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                       "|\\p{N}{1,3}"
                       "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*"
                       "|\\s*[\\r\\n]+"
                       "|\\s+(?!\\S)"
                       "|\\s+"),
        QRegularExpression::UseUnicodePropertiesOption);
    return re;
}

// Tokens of one pre-token piece. BPE keeps common short words whole; long words, non-ASCII
// letters and punctuation runs split into more tokens.
qint64 pieceTokens(QStringView piece)
{
    qint64 asciiLetters = 0, otherLetters = 0, symbols = 0, spaces = 0, digits = 0;
    for (qsizetype i = 0; i < piece.size(); ++i) {
        const QChar c = piece.at(i);
        if (c.isHighSurrogate() && i + 1 < piece.size()) {
            ++i;
            symbols += 2; // emoji and other astral symbols: ~2 tokens each
            continue;
        }
        if (c.unicode() < 128) {
            if (c.isLetter())
                ++asciiLetters;
            else if (c.isDigit())
                ++digits;
            else if (c.isSpace())
                ++spaces;
            else
                ++symbols;
        } else if (c.isLetterOrNumber() || c.isMark()) {
            ++otherLetters;
        } else if (c.isSpace()) {
            ++spaces;
        } else {
            ++symbols;
        }
    }
    if (digits > 0)
        return 1; // pieces hold at most 3 digits
    qint64 tokens = 0;
    if (asciiLetters > 0)
        tokens += asciiLetters <= 8 ? 1 : 1 + (asciiLetters - 5) / 4;
    tokens += (otherLetters * 2 + 2) / 3; // ceil(2/3 per non-ASCII letter)
    if (asciiLetters + otherLetters > 0)
        symbols = qMax<qint64>(0, symbols - 1); // a leading symbol joins the word's token
    tokens += symbols;
    if (tokens == 0 && spaces > 0)
        tokens = 1; // whitespace runs
    return tokens;
}

} // namespace

qint64 estimateTokens(const QString &text)
{
    if (text.isEmpty())
        return 0;
    qint64 total = 0;
    QRegularExpressionMatchIterator it = pieceRegex().globalMatch(text);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        total += pieceTokens(m.capturedView());
    }
    if (total == 0) {
        // Ill-formed UTF-16 (a lone surrogate) makes PCRE match nothing: ~4 characters a token.
        total = (text.size() + 3) / 4;
    }
    return total;
}
