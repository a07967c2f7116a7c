#pragma once
// One row per relayed request: who, what, how much. Field names are the API's.
// Never holds a credential: only the label and the key's id/alias.
#include <cstdint>
#include <optional>
#include <string>

namespace passgate::usage {

struct spend_record {
  std::string request_id;     // the x-passgate-request-id value
  std::int64_t started_at_ms = 0;  // unix milliseconds
  std::int64_t duration_ms = 0;
  std::optional<std::int64_t> ttfb_ms;
  std::string key_id;         // empty: anonymous caller
  std::string key_alias;
  std::string route;          // "anthropic", "openai", … (the route's name)
  std::string provider;       // anthropic | openai | gemini | bedrock | generic
  std::string path;           // upstream path, no query
  std::string method;
  int status = 0;             // status sent to the client (0: none sent)
  std::string model;          // empty: unknown
  std::string credential;     // oauth | byok | bearer | server | none
  std::optional<std::int64_t> input_tokens;
  std::optional<std::int64_t> output_tokens;
  std::optional<std::int64_t> cache_creation_input_tokens;
  std::optional<std::int64_t> cache_read_input_tokens;
  std::optional<double> cost_usd;  // null: unknown (unknown model or no usage)
  std::string outcome;        // ok | upstream_error | client_closed | gateway_error
  // Attribution (usage/attribution.hpp): who and what made the request; empty
  // when the request did not say.
  std::string end_user;       // from the body's metadata.user_id
  std::string session_id;     // x-claude-code-session-id, else the session in metadata.user_id
  std::string agent_id;       // x-claude-code-agent-id
  std::string client;         // the user-agent's product token
  // The store's id of the row, when read back (keyset paging); 0 otherwise.
  std::int64_t row_id = 0;
};

}  // namespace passgate::usage
