#pragma once
// Expected failures of admin operations (bad input, unknown key, refused caller)
// are values: a `problem` names the gateway error (hence the HTTP status and the
// Anthropic error type) and a message fit to show the caller. Store failures are
// not expected outcomes: they stay exceptions, caught once by the API and the CLI;
// a store::unavailable becomes store_unavailable()'s problem there (503, exit 1).
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/gateway_error.hpp"

namespace passgate::admin {

struct problem {
  gateway_error kind = gateway_error::bad_request;
  std::string message;
};

inline problem bad_request(std::string message) { return {gateway_error::bad_request, std::move(message)}; }
inline problem not_found(std::string message) { return {gateway_error::not_found, std::move(message)}; }
// reason: the store::unavailable's what(), e.g. "sqlite /var/lib/passgate.db:
// database is locked (begin transaction)".
inline problem store_unavailable(std::string_view reason) {
  return {gateway_error::unavailable, "key store unavailable: " + std::string(reason) + "; try again"};
}

// A value or the problem that prevented it.
template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}           // NOLINT: implicit on purpose
  result(problem p) : v_(std::move(p)) {}             // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const problem& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, problem> v_;
};

}  // namespace passgate::admin
