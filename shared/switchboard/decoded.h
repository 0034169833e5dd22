// The result of decoding untrusted bytes: a value, or the reason it was rejected.
#pragma once

#include <QString>

#include <utility>

namespace switchboard {

template <typename T> class Decoded
{
public:
    Decoded(T value) : m_value(std::move(value)) {}
    static Decoded failure(QString reason)
    {
        Decoded d{T{}};
        d.m_error = std::move(reason);
        return d;
    }

    bool ok() const { return m_error.isEmpty(); }
    explicit operator bool() const { return ok(); }
    const QString &error() const { return m_error; }
    const T &value() const { return m_value; }
    T &value() { return m_value; }
    const T &operator*() const { return m_value; }
    T &operator*() { return m_value; }
    const T *operator->() const { return &m_value; }
    T *operator->() { return &m_value; }

private:
    T m_value;
    QString m_error;
};

} // namespace switchboard
