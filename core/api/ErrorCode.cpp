#include "core/api/ErrorCode.h"

QString toWire(ErrorCode code)
{
    switch (code) {
    case ErrorCode::None:
        return {};
    case ErrorCode::NotFound:
        return QStringLiteral("not_found");
    case ErrorCode::InvalidInput:
        return QStringLiteral("invalid_input");
    case ErrorCode::InvalidCursor:
        return QStringLiteral("invalid_cursor");
    case ErrorCode::Unreachable:
        return QStringLiteral("unreachable");
    case ErrorCode::Provider:
        return QStringLiteral("provider");
    case ErrorCode::Cancelled:
        return QStringLiteral("cancelled");
    case ErrorCode::Internal:
        return QStringLiteral("internal");
    case ErrorCode::BudgetExceeded:
        return QStringLiteral("budget_exceeded");
    }
    return QStringLiteral("internal");
}

ErrorCode errorCodeFromWire(QStringView text)
{
    if (text.isEmpty())
        return ErrorCode::None;
    for (ErrorCode c :
        { ErrorCode::NotFound, ErrorCode::InvalidInput, ErrorCode::InvalidCursor, ErrorCode::Unreachable,
            ErrorCode::Provider, ErrorCode::Cancelled, ErrorCode::Internal, ErrorCode::BudgetExceeded }) {
        if (text == toWire(c))
            return c;
    }
    return ErrorCode::Internal;
}

ErrorCode errorCodeFromHttpStatus(int status)
{
    if (status < 400)
        return ErrorCode::None;
    if (status == 404)
        return ErrorCode::NotFound;
    if (status == 409)
        return ErrorCode::Cancelled;
    if (status == 502 || status == 503 || status == 504)
        return ErrorCode::Unreachable;
    if (status < 500)
        return ErrorCode::InvalidInput;
    return ErrorCode::Internal;
}
