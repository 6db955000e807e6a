#pragma once

#include <QtGlobal>

// Token counts of one LLM call. inputTokens is ALL input, cached included;
// cachedTokens is the part read from a cache, cacheWriteTokens the part written to it;
// outputTokens includes reasoningTokens.
struct TokenUsage
{
    qint64 inputTokens = 0;
    qint64 outputTokens = 0;
    qint64 cachedTokens = 0;
    qint64 cacheWriteTokens = 0;
    qint64 reasoningTokens = 0;
    bool estimated = false; // a local tokenizer's estimate, not the provider's report

    TokenUsage &operator+=(const TokenUsage &o)
    {
        inputTokens += o.inputTokens;
        outputTokens += o.outputTokens;
        cachedTokens += o.cachedTokens;
        cacheWriteTokens += o.cacheWriteTokens;
        reasoningTokens += o.reasoningTokens;
        estimated = estimated || o.estimated;
        return *this;
    }
};
