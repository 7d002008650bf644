#pragma once
// Errors as values (CONVENTIONS §3). Result<T, E> has the member names of
// std::expected so it can become an alias under C++23. Failures travel up as
// Error values and gain context on the way; bugs assert, findings are data.
#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace dp {

enum class Errc {
  invalid_input,   // bad plan, bad argument: exit 2
  not_found,       // a file or binary is missing
  io,              // read/write failed
  timeout,         // a deadline passed
  interrupted,     // SIGINT/SIGTERM arrived
  process_failed,  // a child exited non-zero
  engine,          // a database reported an error
  unsupported,     // e.g. a dump newer than the server
  internal,
};

const char* errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;

  // Prepends "what: " so the outermost caller reads the full path of the failure.
  Error&& context(std::string_view what) && {
    message = std::string(what) + ": " + message;
    return std::move(*this);
  }
};

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E e) : m_error(std::move(e)) {}
  E& error() & { return m_error; }
  E&& error() && { return std::move(m_error); }

 private:
  E m_error;
};

inline Unexpected<Error> make_error(Errc code, std::string message) {
  return Unexpected<Error>(Error{code, std::move(message)});
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  template <class U = T>
  requires std::is_constructible_v<T, U&&> Result(U&& value)
      : m_v(std::in_place_index<0>, std::forward<U>(value)) {}
  Result(Unexpected<E> e) : m_v(std::in_place_index<1>, std::move(e).error()) {}

  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(m_v);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(m_v);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(m_v));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & {
    assert(!has_value());
    return std::get<1>(m_v);
  }
  const E& error() const& {
    assert(!has_value());
    return std::get<1>(m_v);
  }
  E&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(m_v));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> m_v;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Unexpected<E> e) : m_error(std::move(e).error()), m_ok(false) {}

  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  void value() const { assert(m_ok); }
  E& error() & {
    assert(!m_ok);
    return m_error;
  }
  const E& error() const& {
    assert(!m_ok);
    return m_error;
  }
  E&& error() && {
    assert(!m_ok);
    return std::move(m_error);
  }

 private:
  E m_error{};
  bool m_ok = true;
};

// Propagates a failed Result<void> or Result<T> from the current function,
// adding no context. Use sparingly; prefer adding context.
#define DP_TRY_VOID(expr)                                                                         \
  do {                                                                                            \
    auto dp_try_result_ = (expr);                                                                 \
    if (!dp_try_result_) return ::dp::Unexpected<::dp::Error>(std::move(dp_try_result_).error()); \
  } while (false)

}  // namespace dp
