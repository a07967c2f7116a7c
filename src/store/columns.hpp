#pragma once
// What every backend stores alike: the spend table's columns, and a key's list
// fields as JSON arrays of strings in text, so a database can be copied from one
// backend to another and read by hand.
#include <string>
#include <vector>

#include "policy/credential_label.hpp"
#include "store/store.hpp"

namespace passgate::store {

// The spend columns in the order the backends insert and read them. Inline:
// initialised before the statements each backend builds from it at namespace
// scope (partially-ordered initialisation), whatever the link order.
inline const std::string spend_columns =
    "request_id, started_at_ms, duration_ms, ttfb_ms, key_id, key_alias, route, path, method, "
    "status, model, credential, input_tokens, output_tokens, cache_creation_input_tokens, "
    "cache_read_input_tokens, cost_usd, outcome, end_user, session_id, agent_id, client, provider";

// Throws std::invalid_argument unless offset >= 0 and limit > 0.
void check_page(page p);

std::string routes_to_json(const std::vector<std::string>& routes);
std::string labels_to_json(const policy::label_set& labels);

// Throw std::runtime_error naming `db` ("sqlite FILE", "postgres HOST:PORT/DB"),
// the key and the column when the text is not what the store wrote.
std::vector<std::string> json_strings(const std::string& text, const std::string& key_id,
                                      const char* column, const std::string& db);
policy::label_set labels_from_json(const std::string& text, const std::string& key_id,
                                   const std::string& db, const char* column);

}  // namespace passgate::store
