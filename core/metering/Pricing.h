#pragma once

#include "core/common/Result.h"
#include "core/metering/Usage.h"

#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

// USD per 1M tokens.
struct ModelPrice
{
    double input = 0;
    double output = 0;
    std::optional<double> cachedInput; // absent: cached input billed at the input price
    std::optional<double> cacheWrite; // absent: cache writes billed at the input price
};

// The pricing table: resources/pricing.json (its format in its "_comment") built in, a user override file on
// top, LiteLLM-style lists importable. Lookup is by provider kind and model name, through
// aliases and dated snapshots ("gpt-4o-2024-08-06" -> "gpt-4o").
class PricingTable
{
public:
    static PricingTable builtIn(); // from ":/agentstudio/pricing.json"

    // Adds/overrides entries from a file in pricing.json's format; later loads win.
    Result<void> loadFile(const QString &path);
    Result<void> loadJson(const QJsonObject &root, const QString &sourceName);
    // Imports LiteLLM's model_prices_and_context_window.json format (USD per token).
    Result<int> importLiteLlm(const QJsonObject &root);

    std::optional<ModelPrice> find(const QString &providerKind, const QString &model) const;
    // The table key ("anthropic/claude-sonnet-4-5", "ollama/*") a lookup resolves to, or empty.
    QString resolvedKey(const QString &providerKind, const QString &model) const;
    int size() const { return int(m_prices.size()); }

    // Cost in USD, or nullopt when the model's price is unknown (never a silent 0).
    // Cost = uncached input × input + cached × cachedInput + cacheWrite × cacheWrite + output × output.
    std::optional<double> cost(
        const QString &providerKind, const QString &model, const TokenUsage &usage) const;
    static double cost(const ModelPrice &price, const TokenUsage &usage);

private:
    QString resolveInVendor(const QString &vendor, const QString &model) const;
    void insert(const QString &key, const ModelPrice &price);

    QHash<QString, ModelPrice> m_prices; // key "kind/model"
    QHash<QString, QString> m_aliases; // "kind/alias" -> "kind/model"
};

// Estimates token counts where a provider reports none (stream cut, scripted provider).
// Deterministic; close to cl100k/o200k counts for English text (within ~30% on mixed text):
// the text is split with the o200k pre-tokenizer regex and each piece is costed by its shape.
// Reentrant; the compiled regex is cached per thread.
qint64 estimateTokens(const QString &text);
