#pragma once

#include <QMetaType>
#include <QString>

#include <optional>

// Why a request or an execution failed, as a value every layer reads instead of the message
// text (docs/wire-protocol.md, "Errors"). The server maps it to an HTTP status, the runner to
// an exit code, the UI to a state; the message is for people.
enum class ErrorCode {
    None, // no error
    NotFound, // no such execution / agent / orchestration / node (or another tenant's)
    InvalidInput, // a request, input value, workspace or query that does not fit (names where)
    InvalidCursor, // a history cursor that this store did not issue
    Unreachable, // the server or provider could not be reached / the connection dropped
    Provider, // the provider answered with an error or a reply that does not fit the signature
    Cancelled, // cancelled by a user or by shutdown
    Internal, // a bug or a store failure: the log has the cause
    BudgetExceeded, // a run went over its budget (max_cost_usd, max_tool_calls)
};

// "not_found", "invalid_input", "invalid_cursor", "unreachable", "provider", "cancelled",
// "internal", "budget_exceeded"; "" for None.
QString toWire(ErrorCode code);
// The code of a wire name; unknown names (a newer server) read as Internal, "" as None.
ErrorCode errorCodeFromWire(QStringView text);

// The code an HTTP error status stands for when a body carries no `error_code` (an older
// server).
ErrorCode errorCodeFromHttpStatus(int status);

// A failure: code + a message that says where and why.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;

    bool operator==(const Error &o) const { return code == o.code && message == o.message; }
};

Q_DECLARE_METATYPE(ErrorCode)
Q_DECLARE_METATYPE(Error)
