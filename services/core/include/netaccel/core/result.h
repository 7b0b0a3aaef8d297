// One error currency for netaccel: an error_code plus a sentence naming the place that failed.
// Results are returned, not thrown; the boundary (main, a D-Bus handler) logs or replies once.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace netaccel {

// Codes for errors that are netaccel's own judgement rather than a failed syscall.
enum class Errc {
  invalid_argument = 1,  // bad input from a caller or config: nothing was changed
  not_found,             // the named interface, map entry or pin does not exist
  already_exists,        // e.g. interface already attached
  unsupported,           // the kernel or the interface cannot do this
  permission_denied,     // caller is not allowed to change state
  parse_error,           // a config or ruleset line could not be read
};

const std::error_category& netaccel_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), netaccel_category()};
}

struct Error {
  std::error_code code;
  std::string message;  // human sentence, names what failed ("attach veth1: ...")

  std::string what() const { return message.empty() ? code.message() : message + ": " + code.message(); }
};

inline Error make_error(Errc e, std::string msg) { return Error{make_error_code(e), std::move(msg)}; }
// From a negative errno as libbpf and sd-bus return them, or from errno itself.
inline Error errno_error(int err, std::string msg) {
  return Error{std::error_code(err < 0 ? -err : err, std::generic_category()), std::move(msg)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  const T* operator->() const { return &value(); }
  const T& operator*() const { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace netaccel

template <>
struct std::is_error_code_enum<netaccel::Errc> : std::true_type {};
