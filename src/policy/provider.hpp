#pragma once
// The providers a route can speak to, and how each one's credentials travel,
// written down as data: the credential rule (credential_rule.hpp) reads this
// table instead of knowing any provider by name. Pure and constexpr.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/gateway_error.hpp"
#include "policy/credential_label.hpp"

namespace passgate::policy {

enum class provider_kind : std::uint8_t { anthropic, openai, gemini, bedrock, generic };

inline constexpr provider_kind all_providers[] = {provider_kind::anthropic, provider_kind::openai,
                                                  provider_kind::gemini, provider_kind::bedrock,
                                                  provider_kind::generic};

constexpr std::string_view to_string(provider_kind p) {
  switch (p) {
    case provider_kind::anthropic: return "anthropic";
    case provider_kind::openai: return "openai";
    case provider_kind::gemini: return "gemini";
    case provider_kind::bedrock: return "bedrock";
    case provider_kind::generic: return "generic";
  }
  return "generic";
}

constexpr std::optional<provider_kind> provider_from_string(std::string_view s) {
  for (auto p : all_providers)
    if (to_string(p) == s) return p;
  return std::nullopt;
}

struct provider_rule {
  provider_kind kind;
  // The upstream when the route names none; "" when it must ("{region}" is the
  // route's AWS region).
  std::string_view default_upstream;
  // Headers the caller's own provider credential travels in. Any other
  // credential header (credential_rule.cpp) never reaches this provider.
  std::array<std::string_view, 2> client_headers;
  // Where the route's server key goes, and whether as "Bearer <key>". Empty:
  // the route signs its requests instead (Bedrock) or names the header itself.
  std::string_view server_key_header;
  bool server_key_bearer;
  // A query parameter that carries the caller's key (Gemini's ?key=): taken out
  // of the URL and treated as the first client header. Empty: none.
  std::string_view query_key_param;
  bool signs_requests;  // the gateway signs with the route's AWS credentials
  error_dialect errors;
};

inline constexpr provider_rule provider_rules[] = {
    {provider_kind::anthropic, "https://api.anthropic.com", {"x-api-key", "authorization"}, "x-api-key", false, "",
     false, error_dialect::anthropic},
    {provider_kind::openai, "https://api.openai.com", {"authorization", ""}, "authorization", true, "", false,
     error_dialect::openai},
    {provider_kind::gemini, "https://generativelanguage.googleapis.com", {"x-goog-api-key", "authorization"},
     "x-goog-api-key", false, "key", false, error_dialect::gemini},
    {provider_kind::bedrock, "https://bedrock-runtime.{region}.amazonaws.com", {"", ""}, "", false, "", true,
     error_dialect::bedrock},
    // The header and its format come from the route's config.
    {provider_kind::generic, "", {"", ""}, "", false, "", false, error_dialect::openai},
};

constexpr const provider_rule& rule_of(provider_kind p) { return provider_rules[static_cast<std::size_t>(p)]; }

// The label of the caller's own credential `value` sent in `header` (one of the
// route's client headers), on a route of provider `p`:
//   anthropic  x-api-key → byok; Authorization: Bearer sk-ant-oat… → oauth,
//              Bearer sk-ant-api… → byok (newer SDKs), any other → bearer
//   openai     Authorization: Bearer sk-… → byok, any other → bearer
//   gemini     x-goog-api-key (or ?key=) → byok; Authorization → bearer (a Google token)
//   generic    the route's header → byok
credential_label client_label(provider_kind p, std::string_view header, std::string_view value);

}  // namespace passgate::policy
