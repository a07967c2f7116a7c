#pragma once
// The settable fields of a virtual key as a caller gave them, before they mean
// anything: the API fills this from JSON (key_request.hpp), the CLI from its
// options. The key service checks the meaning (known routes and labels, limits
// not negative, a valid duration) once, for both.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace passgate::admin {

// Absent (leave as is / default), null (clear), or a value.
template <class T>
using patch = std::optional<std::optional<T>>;

struct key_fields {
  patch<std::string> key_alias;
  patch<std::string> duration;         // "30d": expires_at = now + 30 days; null: never expires
  patch<double> max_budget;            // USD
  patch<std::string> budget_duration;  // "30d"; null: lifetime budget
  patch<std::int64_t> rpm_limit;
  patch<std::int64_t> tpm_limit;
  patch<std::int64_t> max_parallel_requests;
  patch<std::string> metadata_json;                     // a JSON object, serialised
  patch<std::vector<std::string>> allowed_routes;       // route names; empty or null: every route
  patch<std::vector<std::string>> allowed_credentials;  // label names; null: every label
  patch<std::vector<std::string>> budget_credentials;   // label names whose cost counts; null: every label
};

}  // namespace passgate::admin
