#pragma once

#include "core/api/ExecutionRecord.h"
#include "core/common/Result.h"

#include <QUrlQuery>

// The filters of a history query as the URL query of `GET /api/executions`. Written once for
// both ends: the remote backend encodes with toUrlQuery(), the workspace server decodes with
// fromUrlQuery(), so a filter added here reaches the wire on both sides.
//
// The scope (organization, workspace) is never encoded: the server takes it from the token.
// Defaults are left out (newest-first sort, empty filters); `limit` is always sent, clamped to
// the server's maximum. Pure functions, any thread.
namespace HistoryQueryCodec {

constexpr int kMaxLimit = 500;

QUrlQuery toUrlQuery(const HistoryQuery &query);

// Every item must be a known parameter with a valid value; otherwise the failure's message
// starts with the parameter's name ("limit: expected an integer from 1 to 500, got 'x'"), and
// the server answers it as a 400. Parameters absent from the URL keep HistoryQuery's defaults.
Result<HistoryQuery> fromUrlQuery(const QUrlQuery &query);

// "newest" | "oldest" | "cost" | "latency".
QString sortName(HistoryQuery::Sort sort);

} // namespace HistoryQueryCodec
