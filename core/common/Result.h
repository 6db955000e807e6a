#pragma once

#include <QString>

#include <optional>
#include <utility>

// The codes of core/api/ErrorCode.h; declared here so a failure can carry one without this
// library depending on the api layer.
enum class ErrorCode;

// Errors are values at API boundaries. The message says where and why (a JSON path, a
// provider, a field), e.g. "agents[2].signature.inputs[0].type: unknown type 'strng'". The
// optional code says what kind of failure it is, for callers that must act on it (unset:
// Internal).
struct Failure
{
    QString message;
    std::optional<ErrorCode> code = std::nullopt;
};

template <typename T> class [[nodiscard]] Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    {
    }
    Result(Failure failure)
        : m_error(std::move(failure.message))
        , m_code(failure.code)
    {
    }

    bool ok() const { return m_value.has_value(); }
    std::optional<ErrorCode> errorCode() const { return m_code; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T take() { return std::move(*m_value); }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }
    const T &operator*() const { return *m_value; }
    const QString &error() const { return m_error; }

private:
    std::optional<T> m_value;
    QString m_error;
    std::optional<ErrorCode> m_code;
};

template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Failure failure)
        : m_ok(false)
        , m_error(std::move(failure.message))
        , m_code(failure.code)
    {
    }

    bool ok() const { return m_ok; }
    std::optional<ErrorCode> errorCode() const { return m_code; }
    explicit operator bool() const { return m_ok; }
    const QString &error() const { return m_error; }

private:
    bool m_ok = true;
    QString m_error;
    std::optional<ErrorCode> m_code;
};
